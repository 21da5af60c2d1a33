"""Blob push and pull: monolithic uploads, HEAD/GET, Range, delete, mount, tampering."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import requests

from regsrv_helpers import ServerProcess, push_blob, sha256


def test_single_post_upload_then_head_get(base: str, repo: str) -> None:
    data = os.urandom(300_000)
    digest = sha256(data)
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data)
    assert r.status_code == 201
    assert r.headers["Location"] == f"/v2/{repo}/blobs/{digest}"
    assert r.headers["Docker-Content-Digest"] == digest

    r = requests.head(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(data)
    assert r.headers["Docker-Content-Digest"] == digest
    assert r.content == b""

    r = requests.get(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.status_code == 200 and r.content == data
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Docker-Content-Digest"] == digest


def test_post_then_put(base: str, repo: str) -> None:
    data = b"post then put"
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/")
    assert r.status_code == 202
    location = r.headers["Location"]
    assert location.startswith(f"/v2/{repo}/blobs/uploads/")
    assert r.headers["Range"] == "0-0" and r.headers["Docker-Upload-UUID"] in location
    r = requests.put(f"{base}{location}", params={"digest": sha256(data)}, data=data,
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/v2/{repo}/blobs/{sha256(data)}"
    assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data


def test_empty_blob(base: str, repo: str) -> None:
    digest = push_blob(base, repo, b"")
    r = requests.get(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.status_code == 200 and r.content == b""


def test_range_requests(base: str, repo: str) -> None:
    data = bytes(range(256)) * 40
    digest = push_blob(base, repo, data)
    url = f"{base}/v2/{repo}/blobs/{digest}"
    r = requests.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    r = requests.get(url, headers={"Range": "bytes=10000-"})
    assert r.status_code == 206 and r.content == data[10000:]
    r = requests.get(url, headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == data[-5:]
    r = requests.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert r.status_code == 416


def test_tampered_digest_refused_and_nothing_stored(base: str, repo: str, server: ServerProcess) -> None:
    data = b"the real bytes"
    claimed = sha256(b"something else")
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/", params={"digest": claimed}, data=data)
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    for digest in (claimed, sha256(data)):
        assert requests.head(f"{base}/v2/{repo}/blobs/{digest}").status_code == 404
        hexpart = digest.split(":", 1)[1]
        assert not (server.root / "blobs" / "sha256" / hexpart[:2] / hexpart).exists()
    # the POST+PUT path too: the session is discarded with its bytes
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/")
    location = r.headers["Location"]
    r = requests.put(f"{base}{location}", params={"digest": claimed}, data=data)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert requests.get(f"{base}{location}").status_code == 404
    uuid = location.rsplit("/", 1)[-1]
    assert not (server.root / "uploads" / uuid).exists()


def test_put_without_digest_is_digest_invalid(base: str, repo: str) -> None:
    location = requests.post(f"{base}/v2/{repo}/blobs/uploads/").headers["Location"]
    r = requests.put(f"{base}{location}", data=b"x")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"


def test_sha512_blob(base: str, repo: str) -> None:
    data = os.urandom(5000)
    digest = "sha512:" + hashlib.sha512(data).hexdigest()
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data)
    assert r.status_code == 201, r.text
    r = requests.get(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.content == data and r.headers["Docker-Content-Digest"] == digest


def test_blob_is_scoped_to_its_repository(base: str, repo: str) -> None:
    digest = push_blob(base, repo, b"only here")
    assert requests.head(f"{base}/v2/{repo}-other/blobs/{digest}").status_code == 404


def test_cross_repository_mount(base: str, repo: str) -> None:
    digest = push_blob(base, repo, b"mount me")
    target = f"{repo}-mounted"
    r = requests.post(f"{base}/v2/{target}/blobs/uploads/", params={"mount": digest, "from": repo})
    assert r.status_code == 201
    assert r.headers["Location"] == f"/v2/{target}/blobs/{digest}"
    assert r.headers["Docker-Content-Digest"] == digest
    assert requests.get(f"{base}/v2/{target}/blobs/{digest}").content == b"mount me"
    # a blob the source does not have: falls back to a new upload session
    missing = sha256(b"not there")
    r = requests.post(f"{base}/v2/{target}/blobs/uploads/", params={"mount": missing, "from": repo})
    assert r.status_code == 202 and "/blobs/uploads/" in r.headers["Location"]


def test_delete_blob(base: str, repo: str) -> None:
    digest = push_blob(base, repo, b"delete me")
    r = requests.delete(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.status_code == 202
    assert requests.head(f"{base}/v2/{repo}/blobs/{digest}").status_code == 404
    r = requests.delete(f"{base}/v2/{repo}/blobs/{digest}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UNKNOWN"


def test_delete_disabled_and_read_only(start_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--allow-anonymous-push", "--disable-delete")
    digest = push_blob(srv.url, "r", b"keep")
    r = requests.delete(f"{srv.url}/v2/r/blobs/{digest}")
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == "UNSUPPORTED"
    srv.stop()
    ro = start_server("--allow-anonymous-push", "--read-only", root=srv.root)
    r = requests.post(f"{ro.url}/v2/r/blobs/uploads/")
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == "UNSUPPORTED"
    assert requests.get(f"{ro.url}/v2/r/blobs/{digest}").content == b"keep"
