"""OCI 1.1 referrers API: subject handling, OCI-Subject, artifactType filter."""

from __future__ import annotations

import json

import requests

from regsrv_helpers import OCI_INDEX, OCI_MANIFEST, make_image, push_blob, push_image, sha256


def _artifact(base: str, repo: str, subject: dict[str, object], artifact_type: str | None, label: str,
              annotations: dict[str, str] | None = None) -> tuple[str, requests.Response]:
    image = make_image(label=label, subject=subject, artifact_type=artifact_type, annotations=annotations)
    for data in image.blobs.values():
        push_blob(base, repo, data)
    r = requests.put(f"{base}/v2/{repo}/manifests/{image.manifest_digest}", data=image.manifest,
                     headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 201, r.text
    return image.manifest_digest, r


def test_referrers(base: str, repo: str) -> None:
    target = make_image(label="target")
    subject = {"mediaType": OCI_MANIFEST, "digest": target.manifest_digest, "size": len(target.manifest)}
    # a referrer may be pushed before its subject exists
    sbom, r = _artifact(base, repo, subject, "application/vnd.example.sbom", "sbom", {"org.example": "1"})
    assert r.headers["OCI-Subject"] == target.manifest_digest
    push_image(base, repo, "v1", target)
    sig, _ = _artifact(base, repo, subject, None, "sig")

    r = requests.get(f"{base}/v2/{repo}/referrers/{target.manifest_digest}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(OCI_INDEX)
    index = r.json()
    assert index["schemaVersion"] == 2 and index["mediaType"] == OCI_INDEX
    by_digest = {m["digest"]: m for m in index["manifests"]}
    assert set(by_digest) == {sbom, sig}
    assert by_digest[sbom]["artifactType"] == "application/vnd.example.sbom"
    assert by_digest[sbom]["annotations"] == {"org.example": "1"}
    assert by_digest[sig]["artifactType"] == "application/vnd.oci.image.config.v1+json"  # config fallback
    assert by_digest[sbom]["mediaType"] == OCI_MANIFEST and by_digest[sbom]["size"] > 0

    r = requests.get(f"{base}/v2/{repo}/referrers/{target.manifest_digest}",
                     params={"artifactType": "application/vnd.example.sbom"})
    assert r.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["digest"] for m in r.json()["manifests"]] == [sbom]

    # deleting a referrer removes it from the list
    assert requests.delete(f"{base}/v2/{repo}/manifests/{sbom}").status_code == 202
    r = requests.get(f"{base}/v2/{repo}/referrers/{target.manifest_digest}")
    assert [m["digest"] for m in r.json()["manifests"]] == [sig]


def test_referrers_empty_and_invalid(base: str, repo: str) -> None:
    r = requests.get(f"{base}/v2/{repo}/referrers/{sha256(b'nothing')}")
    assert r.status_code == 200 and r.json()["manifests"] == []
    r = requests.get(f"{base}/v2/{repo}/referrers/sha256:xyz")
    assert r.status_code == 400


def test_index_with_subject(base: str, repo: str) -> None:
    child = make_image(label="child")
    push_image(base, repo, child.manifest_digest, child)
    target = make_image(label="t2")
    push_image(base, repo, "t", target)
    index = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": child.manifest_digest, "size": len(child.manifest)}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": target.manifest_digest, "size": len(target.manifest)},
    }).encode()
    r = requests.put(f"{base}/v2/{repo}/manifests/{sha256(index)}", data=index, headers={"Content-Type": OCI_INDEX})
    assert r.status_code == 201 and r.headers["OCI-Subject"] == target.manifest_digest
    entries = requests.get(f"{base}/v2/{repo}/referrers/{target.manifest_digest}").json()["manifests"]
    assert entries == [{"mediaType": OCI_INDEX, "digest": sha256(index), "size": len(index)}]
