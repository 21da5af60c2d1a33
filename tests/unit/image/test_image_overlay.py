"""Layers unpacked into snapshot dirs, stacked with real overlayfs, and diffed back.

Pull → run → commit in miniature: two layers (one deleting a file and making a dir opaque)
are applied to their own dirs, mounted with ``lowerdir=l2:l1``; the container's changes
land in the upper, which ``write_layer`` turns into a third layer and ``changes`` lists
as ``docker diff`` would; that layer stacked on the others must show the same tree.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from layer_tar_helpers import Entry, make_tar

from dockyard.image.diff import changes, write_layer
from dockyard.image.unpack import apply_layer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount overlayfs")

LAYER1 = make_tar(
    Entry("etc", "dir", mtime=1000),
    Entry("etc/keep", data=b"keep", mtime=1000),
    Entry("etc/gone", data=b"gone", mtime=1000),
    Entry("etc/edit", data=b"v1", mtime=1000),
    Entry("data", "dir", mtime=1000),
    Entry("data/old1", data=b"1", mtime=1000),
    Entry("data/old2", data=b"2", mtime=1000),
    Entry("opq", "dir", mtime=1000),
    Entry("opq/old", data=b"o", mtime=1000),
)
LAYER2 = make_tar(
    Entry("etc", "dir", mtime=2000),
    Entry("etc/.wh.gone"),
    Entry("data", "dir", mtime=2000),
    Entry("data/.wh..wh..opq"),
    Entry("data/new", data=b"new", mtime=2000),
)


@contextmanager
def overlay(tmp: Path, lowers: list[Path], name: str) -> Iterator[tuple[Path, Path]]:
    """Mount lowers (topmost first) with a fresh upper; always unmounted on exit."""
    upper, work, merged = tmp / f"{name}-upper", tmp / f"{name}-work", tmp / f"{name}-merged"
    for d in (upper, work, merged):
        d.mkdir()
    opts = f"lowerdir={':'.join(map(str, lowers))},upperdir={upper},workdir={work},index=off"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, str(merged)], check=True)
    try:
        yield merged, upper
    finally:
        subprocess.run(["umount", str(merged)], check=True)


def tree(root: Path) -> dict[str, bytes | None]:
    """path -> content (None for dirs) as seen through the mount."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = Path(p).read_bytes()
    return out


def unpack(data: bytes, dest: Path) -> Path:
    dest.mkdir()
    apply_layer(io.BytesIO(data), str(dest))
    return dest


def test_stacked_layers_commit_and_diff(tmp_path: Path) -> None:
    l1 = unpack(LAYER1, tmp_path / "l1")
    l2 = unpack(LAYER2, tmp_path / "l2")
    assert stat.S_ISCHR(os.lstat(l2 / "etc/gone").st_mode)

    with overlay(tmp_path, [l2, l1], "c1") as (merged, upper):
        view = tree(merged)
        assert view == {
            "etc": None,
            "etc/keep": b"keep",
            "etc/edit": b"v1",
            "data": None,
            "data/new": b"new",  # opaque: old1/old2 hidden
            "opq": None,
            "opq/old": b"o",
        }
        # The "container" changes things.
        (merged / "etc/keep").unlink()
        (merged / "etc/added").write_bytes(b"added")
        (merged / "etc/edit").write_bytes(b"v2")
        (merged / "newdir").mkdir()
        (merged / "newdir/f").write_bytes(b"f")
        subprocess.run(["rm", "-rf", str(merged / "opq")], check=True)
        (merged / "opq").mkdir()
        (merged / "opq/fresh").write_bytes(b"fresh")
        expected_view = tree(merged)

    # docker diff
    got = [(c.path, c.kind) for c in changes(str(upper), [str(l2), str(l1)])]
    assert got == [
        ("/etc", "C"),
        ("/etc/added", "A"),
        ("/etc/edit", "C"),
        ("/etc/keep", "D"),
        ("/newdir", "A"),
        ("/newdir/f", "A"),
        ("/opq", "D"),
        ("/opq/fresh", "A"),
    ]
    expanded = [(c.path, c.kind) for c in changes(str(upper), [str(l2), str(l1)], expand_opaque=True)]
    assert ("/opq", "C") in expanded and ("/opq/old", "D") in expanded

    # docker commit: the upper becomes a layer
    blob = io.BytesIO()
    written = write_layer(str(upper), blob, compression="gzip")
    blob.seek(0)
    members = {m.name: m for m in tarfile.open(fileobj=blob, mode="r:gz")}
    assert set(members) == {
        "etc", "etc/.wh.keep", "etc/added", "etc/edit",
        "newdir", "newdir/f", "opq", "opq/.wh..wh..opq", "opq/fresh",
    }  # fmt: skip
    assert not any(k.startswith("SCHILY.xattr.trusted.overlay") for m in members.values() for k in m.pax_headers)

    # ...which, stacked on the image, shows the committed container's tree.
    blob.seek(0)
    l3 = tmp_path / "l3"
    l3.mkdir()
    stats = apply_layer(blob, str(l3))
    assert stats.diff_id == written.diff_id
    with overlay(tmp_path, [l3, l2, l1], "c2") as (merged, _upper):
        assert tree(merged) == expected_view
        assert not (merged / "opq/old").exists() and not (merged / "etc/keep").exists()
