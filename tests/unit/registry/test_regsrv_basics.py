"""Digests, names, media types, manifest parsing, routing: the registry's pure parts."""

from __future__ import annotations

import json

import pytest

from dockyard.registry.server import mediatypes as mt
from dockyard.registry.server.digests import Digest, compute
from dockyard.registry.server.errors import RegistryError
from dockyard.registry.server.manifest import parse_manifest
from dockyard.registry.server.names import is_valid_tag, validate_name
from dockyard.registry.server.router import match

H64 = "a" * 64


def test_digest_parse_and_compute() -> None:
    d = Digest.parse(f"sha256:{H64}")
    assert (d.algorithm, d.hex, str(d)) == ("sha256", H64, f"sha256:{H64}")
    assert compute(b"").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert compute(b"x", "sha512").algorithm == "sha512"
    Digest.parse("sha512:" + "0" * 128)


@pytest.mark.parametrize("bad", ["", "sha256", f"sha256:{'A' * 64}", "sha256:abc", f"md5:{H64}",
                                 f"sha256:{H64}0", "sha256:../../etc", f"SHA256:{H64}"])
def test_digest_invalid(bad: str) -> None:
    with pytest.raises(RegistryError) as info:
        Digest.parse(bad)
    assert info.value.code == "DIGEST_INVALID" and info.value.status == 400


@pytest.mark.parametrize("name", ["a", "library/busybox", "a.b/c-d/e__f", "x--y", "0/1/2"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "A", "a/", "/a", "a//b", "a/../b", "-a", "a-", "a.-b", "_a", "a___b", "x" * 256])
def test_invalid_names(name: str) -> None:
    with pytest.raises(RegistryError) as info:
        validate_name(name)
    assert info.value.code == "NAME_INVALID"


def test_tags() -> None:
    assert is_valid_tag("latest") and is_valid_tag("_x.Y-1") and is_valid_tag("a" * 128)
    assert not is_valid_tag(".x") and not is_valid_tag("-x") and not is_valid_tag("a" * 129) and not is_valid_tag("a:b")


def test_accept_negotiation() -> None:
    assert mt.acceptable([]) is None
    assert mt.acceptable(["*/*"]) is None
    got = mt.acceptable([f"{mt.OCI_MANIFEST}, {mt.DOCKER_MANIFEST};q=0.5", f"{mt.OCI_INDEX};q=0"])
    assert got == frozenset({mt.OCI_MANIFEST, mt.DOCKER_MANIFEST})


def _desc(media: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media, "digest": str(compute(data)), "size": len(data)}


def test_parse_image_manifest_and_artifact_type_fallback() -> None:
    doc = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": _desc("application/vnd.example.config", b"c"),
        "layers": [_desc("application/vnd.oci.image.layer.v1.tar", b"l")],
        "subject": _desc(mt.OCI_MANIFEST, b"s"),
        "annotations": {"k": "v"},
    }
    parsed = parse_manifest(json.dumps(doc).encode(), mt.OCI_MANIFEST)
    assert parsed.mediaType == mt.OCI_MANIFEST
    assert [str(b.digest) for b in parsed.blobs] == [str(compute(b"c")), str(compute(b"l"))]
    assert parsed.subject is not None and str(parsed.subject.digest) == str(compute(b"s"))
    entry = parsed.referrer_descriptor(compute(b"m"), 10)
    assert entry["artifactType"] == "application/vnd.example.config"
    assert entry["annotations"] == {"k": "v"}


def test_parse_detects_type_without_media_type_field() -> None:
    index = {"schemaVersion": 2, "manifests": [_desc(mt.OCI_MANIFEST, b"m")]}
    assert parse_manifest(json.dumps(index).encode(), "application/json").mediaType == mt.OCI_INDEX
    manifest = {"schemaVersion": 2, "config": _desc("x/y", b"c"), "layers": []}
    assert parse_manifest(json.dumps(manifest).encode(), None).mediaType == mt.OCI_MANIFEST


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"not json", mt.OCI_MANIFEST),
        (b"[]", mt.OCI_MANIFEST),
        (json.dumps({"schemaVersion": 1}).encode(), mt.OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": []}).encode(), mt.OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": mt.DOCKER_SCHEMA1[0]}).encode(), mt.DOCKER_SCHEMA1[0]),
        (json.dumps({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST, "layers": []}).encode(), mt.OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
                     "config": {"digest": "sha256:zz", "size": 1}}).encode(), mt.OCI_MANIFEST),
    ],
)
def test_parse_rejects(body: bytes, ctype: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_manifest(body, ctype)
    assert info.value.code == "MANIFEST_INVALID"


@pytest.mark.parametrize(
    "method,tail,endpoint,name,params",
    [
        ("GET", "", "end-1", "", {}),
        ("GET", "_catalog", "catalog", "", {}),
        ("GET", "a/b/tags/list", "end-8", "a/b", {}),
        ("PUT", "a/manifests/v1", "end-3", "a", {"reference": "v1"}),
        ("HEAD", f"a/manifests/sha256:{H64}", "end-3", "a", {"reference": f"sha256:{H64}"}),
        ("POST", "a/blobs/uploads/", "end-4", "a", {}),
        ("PATCH", "a/blobs/uploads/u-1", "end-5", "a", {"uuid": "u-1"}),
        ("GET", f"a/blobs/sha256:{H64}", "end-2", "a", {"digest": f"sha256:{H64}"}),
        ("GET", f"x/blobs/blobs/sha256:{H64}", "end-2", "x/blobs", {"digest": f"sha256:{H64}"}),
        ("GET", f"a/referrers/sha256:{H64}", "end-12", "a", {"digest": f"sha256:{H64}"}),
    ],
)
def test_router(method: str, tail: str, endpoint: str, name: str, params: dict[str, str]) -> None:
    found = match(method, tail)
    assert (found.endpoint.id, found.name, found.params) == (endpoint, name, params)


def test_router_errors() -> None:
    with pytest.raises(RegistryError) as info:
        match("GET", "a/nothing/here")
    assert info.value.status == 404
    with pytest.raises(RegistryError) as info:
        match("PATCH", "a/manifests/v1")
    assert info.value.code == "UNSUPPORTED" and info.value.status == 405


def test_needed_access() -> None:
    assert match("GET", "").needed("GET") is None
    access = match("PUT", "a/manifests/v1").needed("PUT")
    assert access is not None and access.scope == "repository:a:push"
    access = match("DELETE", "a/manifests/v1").needed("DELETE")
    assert access is not None and access.actions == frozenset({"delete"})
