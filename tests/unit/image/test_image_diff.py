"""write_tree / write_layer / changes on plain directories (no mount needed)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import struct
import tarfile
from pathlib import Path

import pytest
import zstandard
from layer_tar_helpers import snapshot

from dockyard.image.diff import Change, changes, write_layer, write_tree
from dockyard.image.unpack import apply_layer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, mknod, trusted xattrs)")

FILE_CAP = struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0)


def build_tree(root: Path) -> None:
    """A tree with every kind of entry and metadata a layer must carry."""
    (root / "etc/sub").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    os.chown(root / "etc/passwd", 0, 42)
    (root / "etc/secret").write_bytes(b"s")
    os.chmod(root / "etc/secret", 0o600)
    os.chown(root / "etc/secret", 1000, 1000)
    (root / "bin").mkdir()
    (root / "bin/ping").write_bytes(b"\x7fELF" + os.urandom(5000))
    os.chmod(root / "bin/ping", 0o4755)
    os.setxattr(root / "bin/ping", "security.capability", FILE_CAP)
    os.setxattr(root / "etc/passwd", "user.comment", b"\xff\x00binary")
    os.link(root / "bin/ping", root / "bin/ping6")
    os.symlink("/bin/ping", root / "bin/abs")
    os.symlink("../etc/passwd", root / "etc/sub/rel")
    os.lchown(root / "etc/sub/rel", 5, 6)
    (root / "dev").mkdir()
    os.mknod(root / "dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(root / "dev/fifo", 0o640 | stat.S_IFIFO)
    os.mkdir(root / "tmp", 0o777)
    os.chmod(root / "tmp", 0o1777)
    os.chown(root / "etc/sub", 7, 8)
    for i, p in enumerate(["etc/passwd", "bin", "etc/sub", "dev", "etc", "tmp"]):
        os.utime(root / p, (1_500_000_000 + i, 1_500_000_000 + i))
    os.utime(root / "bin/abs", (1_400_000_000, 1_400_000_000), follow_symlinks=False)


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_round_trip_keeps_everything(tmp_path: Path, compression: str) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    build_tree(src)
    out = io.BytesIO()
    written = write_tree(str(src), out, compression=compression)  # type: ignore[arg-type]
    blob = out.getvalue()
    assert written.size == len(blob)
    assert written.digest == "sha256:" + hashlib.sha256(blob).hexdigest()
    plain = {
        "none": lambda b: b,
        "gzip": gzip.decompress,
        "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
    }[compression](blob)
    assert written.diff_id == "sha256:" + hashlib.sha256(plain).hexdigest()

    stats = apply_layer(io.BytesIO(blob), str(dst))
    assert stats.diff_id == written.diff_id and stats.digest == written.digest
    before, after = snapshot(str(src)), snapshot(str(dst))
    assert after == before
    assert after["bin/ping6"]["linked_to"] == "bin/ping"
    assert after["bin/ping"]["xattrs"]["security.capability"] == FILE_CAP


def test_output_is_deterministic_and_sorted(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    build_tree(src)
    a, b = io.BytesIO(), io.BytesIO()
    assert write_tree(str(src), a) == write_tree(str(src), b)
    assert a.getvalue() == b.getvalue()
    names = [m.name for m in tarfile.open(fileobj=io.BytesIO(gzip.decompress(a.getvalue())))]
    assert names == [
        "bin", "bin/abs", "bin/ping", "bin/ping6",
        "dev", "dev/fifo", "dev/null",
        "etc", "etc/passwd", "etc/secret", "etc/sub", "etc/sub/rel",
        "tmp",
    ]  # fmt: skip
    members = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(gzip.decompress(a.getvalue())))}
    assert members["bin/ping6"].islnk() and members["bin/ping6"].linkname == "bin/ping"
    assert members["etc/passwd"].uname == "" and members["etc/passwd"].gid == 42


def test_write_layer_converts_whiteouts_and_opaque_dirs(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    os.mknod(upper / "etc/gone", stat.S_IFCHR, 0)
    (upper / "var").mkdir()
    os.setxattr(upper / "var", "trusted.overlay.opaque", b"y")
    os.setxattr(upper / "var", "trusted.overlay.origin", b"\x00junk")
    os.setxattr(upper / "var", "user.keep", b"1")
    (upper / "var/-first").write_text("sorts before .wh")
    (upper / "var/new").write_text("n")
    out = io.BytesIO()
    write_layer(str(upper), out, compression="none")
    members = list(tarfile.open(fileobj=io.BytesIO(out.getvalue())))
    names = [m.name for m in members]
    assert names == ["etc", "etc/.wh.gone", "var", "var/.wh..wh..opq", "var/-first", "var/new"]
    by = {m.name: m for m in members}
    assert by["etc/.wh.gone"].isreg() and by["etc/.wh.gone"].size == 0
    assert by["var/.wh..wh..opq"].isreg()
    assert by["var"].pax_headers == {"SCHILY.xattr.user.keep": "1"}  # no trusted.overlay.*

    # write_tree keeps a char device 0:0 as a device (export of a plain directory)
    plain = io.BytesIO()
    write_tree(str(upper), plain, compression="none")
    kinds = {m.name: m for m in tarfile.open(fileobj=io.BytesIO(plain.getvalue()))}
    assert kinds["etc/gone"].ischr() and "var/.wh..wh..opq" not in kinds


def test_sockets_are_skipped(tmp_path: Path) -> None:
    import socket

    root = tmp_path / "r"
    root.mkdir()
    (root / "f").write_text("1")
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(root / "sock"))
        out = io.BytesIO()
        write_tree(str(root), out, compression="none")
    finally:
        s.close()
    assert [m.name for m in tarfile.open(fileobj=io.BytesIO(out.getvalue()))] == ["f"]


# -- changes --------------------------------------------------------------------------


def _mkfile(path: Path, text: str = "x", mtime: int = 1_000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_changes_kinds_and_parent_dirs(tmp_path: Path) -> None:
    lower1, lower2, upper = tmp_path / "l1", tmp_path / "l2", tmp_path / "up"
    _mkfile(lower1 / "etc/hosts")
    _mkfile(lower1 / "etc/passwd")
    _mkfile(lower1 / "usr/lib/old.so")
    _mkfile(lower1 / "opt/app/a")
    _mkfile(lower1 / "gone-below")
    _mkfile(lower2 / "etc/shadow")
    (lower2 / "usr").mkdir(parents=True)
    os.mknod(lower2 / "gone-below", stat.S_IFCHR, 0)  # deleted by lower2
    for d in ("etc", "usr", "usr/lib", "opt", "opt/app"):
        for layer in (lower1, lower2):
            if (layer / d).is_dir():
                os.utime(layer / d, (500, 500))

    # upper: modify etc/passwd, delete etc/hosts, add etc/new, re-add gone-below,
    # usr/lib only copied up with the same metadata (unchanged dir), file deleted inside it.
    _mkfile(upper / "etc/passwd", "changed")
    os.mknod(upper / "etc/hosts", stat.S_IFCHR, 0)
    _mkfile(upper / "etc/new")
    _mkfile(upper / "gone-below")
    (upper / "usr/lib").mkdir(parents=True)
    os.mknod(upper / "usr/lib/old.so", stat.S_IFCHR, 0)
    # opt/app deleted and recreated: opaque
    (upper / "opt/app").mkdir(parents=True)
    os.setxattr(upper / "opt/app", "trusted.overlay.opaque", b"y")
    _mkfile(upper / "opt/app/b")
    for d in ("usr", "usr/lib"):
        os.utime(upper / d, (500, 500))
    os.utime(upper / "etc", (900, 900))
    os.utime(upper / "opt", (500, 500))

    got = [(c.path, c.kind) for c in changes(str(upper), [str(lower2), str(lower1)])]
    assert got == [
        ("/etc", "C"),
        ("/etc/hosts", "D"),
        ("/etc/new", "A"),
        ("/etc/passwd", "C"),
        ("/gone-below", "A"),  # a whiteout in lower2 hides lower1's file
        ("/opt", "C"),  # unchanged itself: listed as the parent of a deletion
        ("/opt/app", "D"),  # Docker: deleted and recreated
        ("/opt/app/b", "A"),
        ("/usr/lib", "C"),  # unchanged dir, listed as the parent of a deletion
        ("/usr/lib/old.so", "D"),
    ]
    assert Change("/etc/new", "A").api_kind == 1

    expanded = [(c.path, c.kind) for c in changes(str(upper), [str(lower2), str(lower1)], expand_opaque=True)]
    assert ("/opt/app", "C") in expanded and ("/opt/app/a", "D") in expanded and ("/opt/app/b", "A") in expanded
    assert expanded.index(("/opt/app/a", "D")) < expanded.index(("/opt/app/b", "A"))


def test_changes_without_lowers_is_all_added(tmp_path: Path) -> None:
    upper = tmp_path / "up"
    _mkfile(upper / "a/b")
    assert [(c.path, c.kind) for c in changes(str(upper))] == [("/a", "A"), ("/a/b", "A")]
