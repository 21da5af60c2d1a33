"""/v2/, routing and error bodies of the registry server."""

from __future__ import annotations

import requests

from regsrv_helpers import sha256


def test_version_check(base: str) -> None:
    for url in (f"{base}/v2/", f"{base}/v2"):
        r = requests.get(url)
        assert r.status_code == 200
        assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
        assert r.json() == {}


def test_error_shape_and_header_on_failures(base: str) -> None:
    r = requests.get(f"{base}/v2/nothing/here/at/all")
    assert r.status_code == 404
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert r.json()["errors"][0]["code"] == "NOT_FOUND"


def test_name_invalid(base: str) -> None:
    for name in ("UPPER", "a//b", "a/-b", "_x"):
        r = requests.get(f"{base}/v2/{name}/tags/list")
        assert r.status_code == 400, name
        err = r.json()["errors"][0]
        assert err["code"] == "NAME_INVALID" and err["message"]


def test_method_not_allowed(base: str, repo: str) -> None:
    r = requests.patch(f"{base}/v2/{repo}/manifests/latest")
    assert r.status_code == 405
    assert r.json()["errors"][0]["code"] == "UNSUPPORTED"


def test_digest_invalid_in_path(base: str, repo: str) -> None:
    r = requests.get(f"{base}/v2/{repo}/blobs/sha256:nothex")
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    r = requests.get(f"{base}/v2/{repo}/blobs/md5:{'0' * 32}")
    assert r.json()["errors"][0]["code"] == "DIGEST_INVALID"


def test_unknown_blob_and_manifest(base: str, repo: str) -> None:
    r = requests.get(f"{base}/v2/{repo}/blobs/{sha256(b'nope')}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    r = requests.head(f"{base}/v2/{repo}/blobs/{sha256(b'nope')}")
    assert r.status_code == 404
    r = requests.get(f"{base}/v2/{repo}/manifests/latest")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] in ("NAME_UNKNOWN", "MANIFEST_UNKNOWN")
    r = requests.get(f"{base}/v2/{repo}/tags/list")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NAME_UNKNOWN"
