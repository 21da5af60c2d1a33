"""Registry client pieces that need no network: credentials, challenges, platforms, manifests."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from dockyard.api.handlers.distribution import pull_reference
from dockyard.errors import InvalidArgument, NotFound
from dockyard.oci import image as oci
from dockyard.registry.client.auth import (Credentials, credentials_for, decode_registry_auth,
                                           encode_registry_auth, load_config, normalize_host,
                                           parse_challenges, registry_auth_header,
                                           store_credentials)
from dockyard.registry.client.progress import Progress
from dockyard.registry.client.pull import parse_platform, select_manifest
from dockyard.registry.client.push import build_manifest
from dockyard.registry.client.transport import is_insecure, registry_error

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


# -- challenges ---------------------------------------------------------------------------

def test_bearer_challenge_with_a_comma_in_the_scope() -> None:
    [ch] = parse_challenges('Bearer realm="https://auth.example/token",service="reg",'
                            'scope="repository:a/b:pull,push"')
    assert ch.scheme == "bearer"
    assert ch.params == {"realm": "https://auth.example/token", "service": "reg",
                         "scope": "repository:a/b:pull,push"}


def test_several_challenges_and_bare_values() -> None:
    chs = parse_challenges('Basic realm="Registry Realm", Bearer realm=http://r/t,error=invalid_token')
    assert [c.scheme for c in chs] == ["basic", "bearer"]
    assert chs[0].params == {"realm": "Registry Realm"}
    assert chs[1].params == {"realm": "http://r/t", "error": "invalid_token"}


def test_escaped_quote_in_a_parameter() -> None:
    [ch] = parse_challenges(r'Bearer realm="a\"b"')
    assert ch.params["realm"] == 'a"b'


# -- X-Registry-Auth ----------------------------------------------------------------------

def _b64url(doc: dict[str, str], pad: bool = True) -> str:
    out = base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()
    return out if pad else out.rstrip("=")


@pytest.mark.parametrize("pad", [True, False])
def test_decode_registry_auth(pad: bool) -> None:
    creds = decode_registry_auth(_b64url({"username": "u", "password": "p?>~",
                                          "serveraddress": "r:5000"}, pad))
    assert creds == Credentials(username="u", password="p?>~")


def test_anonymous_and_identity_token() -> None:
    assert decode_registry_auth(None).anonymous
    assert decode_registry_auth("").anonymous
    assert decode_registry_auth("e30=").anonymous  # "{}" as the docker CLI sends it
    creds = decode_registry_auth(_b64url({"identitytoken": "tok"}))
    assert creds.identity_token == "tok" and creds.basic() is None


def test_junk_registry_auth_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="X-Registry-Auth"):
        decode_registry_auth("!!!not base64")


def test_encode_decode_round_trip() -> None:
    creds = Credentials(username="alice", password="s3cret")
    assert decode_registry_auth(encode_registry_auth(creds, "127.0.0.1:5000")) == creds


@pytest.mark.parametrize("address,host", [
    ("127.0.0.1:5000", "127.0.0.1:5000"), ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"),
    ("https://index.docker.io/v1/", "docker.io"), ("registry-1.docker.io", "docker.io"),
    ("", "docker.io"),
])
def test_normalize_host(address: str, host: str) -> None:
    assert normalize_host(address) == host


# -- config.json and helpers ----------------------------------------------------------------

def _helper(tmp_path: Path, name: str, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_auths_entry() -> None:
    cfg = {"auths": {"https://r.example:5000": {"auth": base64.b64encode(b"u:p:with:colons").decode()}}}
    assert credentials_for("r.example:5000", cfg) == Credentials("u", "p:with:colons")
    assert credentials_for("other:5000", cfg).anonymous


def test_cred_helper_and_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _helper(tmp_path, "one", 'read s; echo "{\\"Username\\":\\"u-$s\\",\\"Secret\\":\\"pw\\"}"\n',
            monkeypatch)
    _helper(tmp_path, "tok", 'read s; echo "{\\"Username\\":\\"<token>\\",\\"Secret\\":\\"rt\\"}"\n',
            monkeypatch)
    _helper(tmp_path, "none", "echo 'credentials not found in native keychain'; exit 1\n",
            monkeypatch)
    cfg = {"credHelpers": {"a:1": "one", "b:1": "tok"}, "credsStore": "none",
           "auths": {"c:1": {"auth": base64.b64encode(b"x:y").decode()}}}
    assert credentials_for("a:1", cfg) == Credentials("u-a:1", "pw")
    assert credentials_for("b:1", cfg) == Credentials(identity_token="rt")
    assert credentials_for("c:1", cfg).anonymous  # credsStore wins over auths, as in docker
    header = registry_auth_header("a:1", cfg)
    assert decode_registry_auth(header) == Credentials("u-a:1", "pw")


def test_failing_helper_is_unauthorized(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockyard.errors import Unauthorized

    _helper(tmp_path, "broken", "echo 'keychain locked' >&2; exit 3\n", monkeypatch)
    with pytest.raises(Unauthorized, match="keychain locked"):
        credentials_for("a:1", {"credsStore": "broken"})


def test_store_credentials_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"auths": {}, "psFormat": "table {{.ID}}"}))
    store_credentials("127.0.0.1:5000", Credentials("alice", "pw"), str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cfg = load_config(str(path))
    assert cfg["psFormat"] == "table {{.ID}}"
    assert credentials_for("127.0.0.1:5000", cfg) == Credentials("alice", "pw")


# -- transport rules ------------------------------------------------------------------------

@pytest.mark.parametrize("host,extra,insecure", [
    ("127.0.0.1:5000", [], True), ("127.8.9.1", [], True), ("localhost:5000", [], True),
    ("[::1]:5000", [], True), ("10.1.2.3:5000", [], False), ("10.1.2.3:5000", ["10.0.0.0/8"], True),
    ("reg.example:443", ["reg.example:443"], True), ("reg.example", ["http://reg.example"], True),
    ("reg.example", ["other"], False),
])
def test_insecure_registries(host: str, extra: list[str], insecure: bool) -> None:
    assert is_insecure(host, extra) is insecure


def test_registry_errors_read_like_docker() -> None:
    body = json.dumps({"errors": [{"code": "DENIED", "message": "requested access to the "
                                   "resource is denied"}]}).encode()
    err = registry_error(403, body)
    assert str(err) == "denied: requested access to the resource is denied"
    assert str(registry_error(401, b"")) == "unauthorized: authentication required"
    assert str(registry_error(404, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN",
                                                          "message": "manifest unknown"}]}).encode())
               ) == "manifest unknown: manifest unknown"


# -- references, platforms, manifests ---------------------------------------------------------

def test_pull_reference_like_docker() -> None:
    assert str(pull_reference("127.0.0.1:5000/x", "1")) == "127.0.0.1:5000/x:1"
    assert str(pull_reference("127.0.0.1:5000/x", D1)) == f"127.0.0.1:5000/x@{D1}"
    assert str(pull_reference("busybox", None)) == "docker.io/library/busybox"  # --all-tags
    assert str(pull_reference("busybox:1.36", "")) == "docker.io/library/busybox:1.36"


def test_platforms() -> None:
    assert parse_platform("linux/arm64/v8") == ("linux", "arm64", "v8")
    assert parse_platform("linux/amd64") == ("linux", "amd64", None)
    with pytest.raises(InvalidArgument):
        parse_platform("linux//")
    index = {"manifests": [
        {"digest": D1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": D2, "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": D2, "platform": {"os": "unknown", "architecture": "unknown"}},
    ]}
    assert select_manifest(index, ("linux", "amd64", None))["digest"] == D2
    assert select_manifest(index, ("linux", "arm64", "v8"))["digest"] == D1
    with pytest.raises(NotFound, match="no matching manifest for linux/arm/v7"):
        select_manifest(index, ("linux", "arm", "v7"))


def test_manifest_kind_follows_the_layers() -> None:
    body, media = build_manifest(D1, 10, [(D2, 5, oci.MEDIA_DOCKER_LAYER_GZIP)])
    assert media == oci.MEDIA_DOCKER_MANIFEST
    assert json.loads(body)["config"]["mediaType"] == oci.MEDIA_DOCKER_CONFIG
    body, media = build_manifest(D1, 10, [(D2, 5, oci.MEDIA_DOCKER_LAYER_GZIP),
                                          (D1, 7, oci.MEDIA_OCI_LAYER_ZSTD)])
    doc = json.loads(body)
    assert media == doc["mediaType"] == oci.MEDIA_OCI_MANIFEST
    assert [lay["mediaType"] for lay in doc["layers"]] == [oci.MEDIA_OCI_LAYER_GZIP,
                                                          oci.MEDIA_OCI_LAYER_ZSTD]


def test_progress_lines_are_dockers() -> None:
    p = Progress()
    p.status("Pulling from x", id="1", detail=False)
    p.status("Pull complete", id="abc")
    p.bytes("abc", "Downloading", 10, 100, force=True)
    p.bytes("abc", "Downloading", 20, 100)   # within 100 ms of the last: dropped
    p.bytes("abc", "Downloading", 100, 100)  # the last one always goes
    p.aux({"Tag": "1", "Digest": D1, "Size": 5})
    assert p.messages[0] == {"status": "Pulling from x", "id": "1"}
    assert p.messages[1] == {"status": "Pull complete", "progressDetail": {}, "id": "abc"}
    assert [m["progressDetail"]["current"] for m in p.messages[2:4]] == [10, 100]
    assert p.messages[4] == {"progressDetail": {}, "aux": {"Tag": "1", "Digest": D1, "Size": 5}}
