"""`registry garbage-collect`: mark from every manifest of every repository, sweep the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from regsrv_helpers import REPO_ROOT, make_image, push_blob, push_image, sha256


def _gc(root: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "dockyard.registry.server", "garbage-collect", "--root", str(root),
                           *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_garbage_collect(start_server) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--allow-anonymous-push")
    keep = make_image([{"keep": b"kept layer"}], label="keep")
    drop = make_image([{"drop": b"dropped layer"}], label="drop")
    shared = make_image([{"keep": b"kept layer"}, {"x": b"extra"}], label="shared")
    push_image(srv.url, "a/keep", "v1", keep)
    push_image(srv.url, "b/drop", "v1", drop)
    push_image(srv.url, "c/shared", "v1", shared)
    orphan = push_blob(srv.url, "a/keep", b"never referenced")
    assert requests.delete(f"{srv.url}/v2/b/drop/manifests/{drop.manifest_digest}").status_code == 202
    untagged = make_image([{"u": b"untagged only"}], label="untagged")
    push_image(srv.url, "c/shared", untagged.manifest_digest, untagged)
    srv.stop()

    root = srv.root
    dry = _gc(root, "--dry-run")
    assert f"would delete blob {orphan}" in dry
    expected_gone = {orphan, drop.manifest_digest, sha256(drop.config), sha256(drop.layers[0])}
    for digest in expected_gone:
        assert digest in dry
    assert sha256(keep.layers[0]) not in dry  # still referenced by two images

    out = _gc(root)
    assert "deleted blob" in out
    for digest in expected_gone:
        hexpart = digest.split(":")[1]
        assert not (root / "blobs" / "sha256" / hexpart[:2] / hexpart).exists()

    out = _gc(root, "--delete-untagged")
    assert "1 untagged manifests" in out
    assert sha256(untagged.layers[0]) in out

    again = start_server("--allow-anonymous-push", root=root)
    for name, image in (("a/keep", keep), ("c/shared", shared)):
        r = requests.get(f"{again.url}/v2/{name}/manifests/v1")
        assert r.status_code == 200 and r.content == image.manifest
        for digest, data in image.blobs.items():
            assert requests.get(f"{again.url}/v2/{name}/blobs/{digest}").content == data
    assert requests.head(f"{again.url}/v2/a/keep/blobs/{orphan}").status_code == 404
    assert requests.get(f"{again.url}/v2/c/shared/manifests/{untagged.manifest_digest}").status_code == 404


def test_gc_missing_root(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "dockyard.registry.server", "garbage-collect", "--root",
                           str(tmp_path / "nope")], capture_output=True, text=True, cwd=REPO_ROOT)
    assert proc.returncode == 2 and "no such directory" in proc.stderr
