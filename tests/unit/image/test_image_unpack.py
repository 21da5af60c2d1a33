"""apply_layer: every member type, compression, whiteouts, and hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import struct
from pathlib import Path

import pytest
import zstandard
from layer_tar_helpers import Entry, make_tar

from dockyard.errors import InvalidArgument
from dockyard.image.unpack import apply_layer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, mknod, trusted xattrs)")

# A valid VFS_CAP_REVISION_2 security.capability value granting CAP_NET_BIND_SERVICE (bit 10).
FILE_CAP = struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    d = tmp_path / "dest"
    d.mkdir()
    return d


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A directory beside dest that no layer may touch."""
    s = tmp_path / "sentinel"
    s.mkdir()
    (s / "secret").write_bytes(b"host secret")
    return s


def assert_untouched(sentinel: Path) -> None:
    assert sorted(os.listdir(sentinel)) == ["secret"]
    assert (sentinel / "secret").read_bytes() == b"host secret"
    assert os.lstat(sentinel / "secret").st_nlink == 1


def apply(data: bytes, dest: Path, **kw: object) -> object:
    return apply_layer(io.BytesIO(data), str(dest), **kw)  # type: ignore[arg-type]


# -- member types -----------------------------------------------------------------------


def test_every_member_type_with_metadata(dest: Path) -> None:
    layer = make_tar(
        Entry("etc", "dir", mode=0o750, uid=10, gid=20, mtime=1_000_000),
        Entry("etc/app.conf", data=b"k=v\n", mode=0o640, uid=1000, gid=1001, mtime=1_100_000),
        Entry("usr/bin/ping", data=b"\x7fELF", mode=0o4755, xattrs={"security.capability": FILE_CAP}),
        Entry("etc/blob", data=b"x", xattrs={"user.bin": b"\xff\xfe\x00raw", "user.text": b"hello"}),
        Entry("etc/abs-link", "symlink", linkname="/etc/passwd", uid=7, gid=8, mtime=1_200_000),
        Entry("etc/rel-link", "symlink", linkname="../usr/bin/ping"),
        Entry("etc/hard", "link", linkname="etc/app.conf"),
        Entry("dev/null", "chr", major=1, minor=3, mode=0o666),
        Entry("dev/loop9", "blk", major=7, minor=9, mode=0o660, gid=6),
        Entry("run/fifo", "fifo", mode=0o620),
        Entry("./tmp/", "dir", mode=0o1777),
    )
    stats = apply(layer, dest)

    etc = os.lstat(dest / "etc")
    assert stat.S_IMODE(etc.st_mode) == 0o750 and (etc.st_uid, etc.st_gid) == (10, 20)
    assert etc.st_mtime == 1_000_000, "directory mtime must survive the children written into it"
    conf = os.lstat(dest / "etc/app.conf")
    assert stat.S_IMODE(conf.st_mode) == 0o640 and (conf.st_uid, conf.st_gid) == (1000, 1001)
    assert conf.st_mtime == 1_100_000 and conf.st_nlink == 2
    assert (dest / "etc/app.conf").read_bytes() == b"k=v\n"
    hard = os.lstat(dest / "etc/hard")
    assert hard.st_ino == conf.st_ino

    ping = dest / "usr/bin/ping"
    assert stat.S_IMODE(os.lstat(ping).st_mode) == 0o4755, "setuid bit must survive chown"
    assert os.getxattr(ping, "security.capability") == FILE_CAP
    assert stat.S_IMODE(os.lstat(dest / "usr").st_mode) == 0o755  # implicit parent
    assert os.getxattr(dest / "etc/blob", "user.bin") == b"\xff\xfe\x00raw"
    assert os.getxattr(dest / "etc/blob", "user.text") == b"hello"

    link = os.lstat(dest / "etc/abs-link")
    assert stat.S_ISLNK(link.st_mode) and os.readlink(dest / "etc/abs-link") == "/etc/passwd"
    assert (link.st_uid, link.st_gid, link.st_mtime) == (7, 8, 1_200_000)
    assert os.readlink(dest / "etc/rel-link") == "../usr/bin/ping"

    null = os.lstat(dest / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    assert stat.S_IMODE(null.st_mode) == 0o666
    loop = os.lstat(dest / "dev/loop9")
    assert stat.S_ISBLK(loop.st_mode) and (os.major(loop.st_rdev), os.minor(loop.st_rdev)) == (7, 9)
    assert stat.S_IMODE(loop.st_mode) == 0o660 and loop.st_gid == 6
    fifo = os.lstat(dest / "run/fifo")
    assert stat.S_ISFIFO(fifo.st_mode) and stat.S_IMODE(fifo.st_mode) == 0o620
    assert stat.S_IMODE(os.lstat(dest / "tmp").st_mode) == 0o1777

    assert stats.size == len(b"k=v\n") + len(b"\x7fELF") + 1  # type: ignore[attr-defined]
    assert stats.entries == 11  # type: ignore[attr-defined]


def test_root_entry_sets_root_attributes(dest: Path) -> None:
    apply(make_tar(Entry("./", "dir", mode=0o711, uid=3, gid=4, mtime=5_000), Entry("f", data=b"1")), dest)
    st = os.lstat(dest)
    assert stat.S_IMODE(st.st_mode) == 0o711 and (st.st_uid, st.st_gid) == (3, 4) and st.st_mtime == 5_000


def test_existing_entries_are_replaced_and_dirs_merged(dest: Path) -> None:
    (dest / "d").mkdir()
    (dest / "d/old").write_text("old")
    (dest / "f").mkdir()  # a dir where the layer has a file
    (dest / "g").write_text("file where the layer has a dir")
    apply(
        make_tar(Entry("d", "dir", mode=0o700), Entry("d/new", data=b"n"), Entry("f", data=b"F"), Entry("g", "dir")),
        dest,
    )
    assert (dest / "d/old").read_text() == "old" and (dest / "d/new").read_bytes() == b"n"
    assert stat.S_IMODE(os.lstat(dest / "d").st_mode) == 0o700
    assert (dest / "f").read_bytes() == b"F"
    assert (dest / "g").is_dir()


# -- compression and digests -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["none", "gzip", "zstd"])
@pytest.mark.parametrize("declared", ["auto", "explicit"])
def test_compression_and_digests(tmp_path: Path, kind: str, declared: str) -> None:
    tar = make_tar(Entry("a", "dir"), Entry("a/b", data=b"payload" * 1000))
    blob = {"none": lambda b: b, "gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress}[kind](tar)
    dest = tmp_path / "d"
    dest.mkdir()
    stats = apply_layer(io.BytesIO(blob), str(dest), compression="auto" if declared == "auto" else kind)  # type: ignore[arg-type]
    assert stats.diff_id == "sha256:" + hashlib.sha256(tar).hexdigest()
    assert stats.digest == "sha256:" + hashlib.sha256(blob).hexdigest()
    assert stats.compressed_size == len(blob) and stats.uncompressed_size == len(tar)
    assert (dest / "a/b").read_bytes() == b"payload" * 1000


def test_diff_id_covers_trailing_padding(dest: Path) -> None:
    tar = make_tar(Entry("x", data=b"1")) + b"\0" * 4096  # extra zero blocks after the end marker
    stats = apply(tar, dest)
    assert stats.diff_id == "sha256:" + hashlib.sha256(tar).hexdigest()  # type: ignore[attr-defined]


def test_streaming_reads_in_small_chunks(dest: Path) -> None:
    """The source is read piecewise, never slurped (a reader that refuses big reads)."""

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.pos = data, 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            assert 0 < n <= 1 << 20, f"read({n}) asks for the whole stream"
            chunk = self.data[self.pos : self.pos + min(n, 1000)]
            self.pos += len(chunk)
            return chunk

    tar = make_tar(Entry("big", data=os.urandom(3 << 20)))
    apply_layer(Trickle(gzip.compress(tar)), str(dest))  # type: ignore[arg-type]
    assert (dest / "big").stat().st_size == 3 << 20


def test_empty_stream_is_an_empty_layer(dest: Path) -> None:
    stats = apply(b"", dest)
    assert stats.entries == 0 and os.listdir(dest) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "blob",
    [
        gzip.compress(make_tar(Entry("x", data=b"y" * 5000)))[:-30],  # truncated gzip
        b"\x1f\x8b" + b"not really gzip" * 10,
        make_tar(Entry("x", data=b"y" * 5000))[:1500],  # truncated tar
        b"garbage that is no tar at all" * 40,
    ],
    ids=["truncated-gzip", "bad-gzip", "truncated-tar", "garbage"],
)
def test_corrupt_input_is_invalid_argument(dest: Path, blob: bytes) -> None:
    with pytest.raises(InvalidArgument, match="invalid layer tar"):
        apply(blob, dest)


# -- whiteouts ----------------------------------------------------------------------------


def test_overlay_whiteouts(dest: Path) -> None:
    apply(
        make_tar(
            Entry("etc", "dir"),
            Entry("etc/.wh.passwd", uid=5, gid=6),
            Entry("var/.wh..wh..opq"),  # parent not listed: created implicitly
            Entry("var/new", data=b"n"),
        ),
        dest,
    )
    wo = os.lstat(dest / "etc/passwd")
    assert stat.S_ISCHR(wo.st_mode) and wo.st_rdev == 0 and (wo.st_uid, wo.st_gid) == (5, 6)
    assert not (dest / "etc/.wh.passwd").exists()
    assert os.getxattr(dest / "var", "trusted.overlay.opaque") == b"y"
    assert sorted(os.listdir(dest / "var")) == ["new"]


def test_overlay_whiteout_replaces_existing_entry(dest: Path) -> None:
    (dest / "d").mkdir()
    (dest / "d/x").mkdir()
    (dest / "d/x/deep").write_text("1")
    apply(make_tar(Entry("d/.wh.x")), dest)
    assert stat.S_ISCHR(os.lstat(dest / "d/x").st_mode)


def test_delete_mode_whiteouts(dest: Path) -> None:
    for p in ("a", "keep", "opq/old", "opq/sub/old", "opq/sub2/x"):
        (dest / p).parent.mkdir(parents=True, exist_ok=True)
        (dest / p).write_text(p)
    apply(
        make_tar(
            Entry(".wh.a"),
            Entry(".wh.missing"),  # deleting what is not there is fine
            Entry("nodir/.wh.x"),  # nor under a missing parent
            Entry("opq", "dir"),
            Entry("opq/sub", "dir"),
            Entry("opq/sub/new", data=b"1"),
            Entry("opq/.wh..wh..opq"),  # after some children: those must survive
            Entry("opq/later", data=b"2"),
        ),
        dest,
        whiteout_mode="delete",
    )
    assert sorted(os.listdir(dest)) == ["keep", "opq"]
    assert sorted(os.listdir(dest / "opq")) == ["later", "sub"]
    assert sorted(os.listdir(dest / "opq/sub")) == ["new"]
    assert "trusted.overlay.opaque" not in os.listxattr(dest / "opq")


@pytest.mark.parametrize("name", ["d/.wh..", "d/.wh.", "d/.wh.."])
def test_bad_whiteout_names(dest: Path, name: str) -> None:
    with pytest.raises(InvalidArgument):
        apply(make_tar(Entry("d", "dir"), Entry(name)), dest)


def test_aufs_metadata_is_skipped(dest: Path) -> None:
    apply(make_tar(Entry(".wh..wh.plnk", "dir"), Entry(".wh..wh.plnk/123.4", data=b"x"), Entry("f", data=b"1")), dest)
    assert os.listdir(dest) == ["f"]


def test_overlay_xattrs_in_a_layer_are_dropped(dest: Path) -> None:
    apply(make_tar(Entry("d", "dir", xattrs={"trusted.overlay.redirect": b"/elsewhere", "user.ok": b"1"})), dest)
    assert os.listxattr(dest / "d") == ["user.ok"]


# -- hostile archives -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "/abs/../../x", "a/../../x", "./../x", ".."])
def test_names_escaping_the_root_are_refused(dest: Path, sentinel: Path, name: str) -> None:
    with pytest.raises(InvalidArgument, match=r"path escapes the root: .*\.\."):
        apply(make_tar(Entry(name, data=b"pwned")), dest)
    assert_untouched(sentinel)
    assert not (dest.parent / "x").exists()


@pytest.mark.parametrize("target_kind", ["absolute", "relative"])
def test_write_through_symlink_stays_inside(dest: Path, sentinel: Path, target_kind: str) -> None:
    target = str(sentinel) if target_kind == "absolute" else "../../../../../../" + str(sentinel).lstrip("/")
    apply(
        make_tar(
            Entry("evil", "symlink", linkname=target),
            Entry("evil/secret", data=b"pwned"),
            Entry("evil/newdir", "dir"),
            Entry("evil/newdir/f", data=b"pwned"),
        ),
        dest,
    )
    assert_untouched(sentinel)
    # Docker's chroot semantics: the symlink is resolved with dest as "/".
    inside = dest / str(sentinel).lstrip("/")
    assert (inside / "secret").read_bytes() == b"pwned"
    assert (inside / "newdir/f").read_bytes() == b"pwned"
    assert os.readlink(dest / "evil") == target


def test_symlink_replaced_by_file_is_not_followed(dest: Path, sentinel: Path) -> None:
    apply(make_tar(Entry("evil", "symlink", linkname=str(sentinel / "secret")), Entry("evil", data=b"pwned")), dest)
    assert_untouched(sentinel)
    assert (dest / "evil").read_bytes() == b"pwned" and not (dest / "evil").is_symlink()


def test_symlink_replaced_by_dir_is_not_followed(dest: Path, sentinel: Path) -> None:
    apply(
        make_tar(Entry("d", "symlink", linkname=str(sentinel)), Entry("d", "dir", mode=0o777), Entry("d/f", data=b"x")),
        dest,
    )
    assert_untouched(sentinel)
    assert stat.S_IMODE(os.lstat(sentinel).st_mode) != 0o777
    assert (dest / "d").is_dir() and not (dest / "d").is_symlink()


def test_preexisting_symlink_in_dest_is_resolved_inside(dest: Path, sentinel: Path) -> None:
    (dest / "lib").symlink_to(sentinel)  # e.g. left by a lower layer when flattening
    apply(make_tar(Entry("lib/libc.so", data=b"x")), dest, whiteout_mode="delete")
    assert_untouched(sentinel)
    assert (dest / str(sentinel).lstrip("/") / "libc.so").read_bytes() == b"x"


def test_merged_usr_symlink_is_followed_inside(dest: Path) -> None:
    """The legitimate case in-scope resolution exists for: lib -> usr/lib."""
    (dest / "usr/lib").mkdir(parents=True)
    (dest / "lib").symlink_to("usr/lib")
    apply(
        make_tar(Entry("lib/x.so", data=b"so"), Entry("lib/y.so", "link", linkname="lib/x.so")),
        dest,
        whiteout_mode="delete",
    )
    assert (dest / "usr/lib/x.so").read_bytes() == b"so"
    assert os.lstat(dest / "usr/lib/y.so").st_ino == os.lstat(dest / "usr/lib/x.so").st_ino


@pytest.mark.parametrize("linkname", ["../sentinel/secret", "/../../sentinel/secret", "a/../../sentinel/secret"])
def test_hardlink_out_of_root_is_refused(dest: Path, sentinel: Path, linkname: str) -> None:
    with pytest.raises(InvalidArgument, match="escapes the root"):
        apply(make_tar(Entry("stolen", "link", linkname=linkname)), dest)
    assert_untouched(sentinel)


def test_hardlink_through_symlink_is_refused(dest: Path, sentinel: Path) -> None:
    with pytest.raises(InvalidArgument, match="hardlink target not found"):
        apply(
            make_tar(Entry("evil", "symlink", linkname=str(sentinel)), Entry("stolen", "link", linkname="evil/secret")),
            dest,
        )
    assert_untouched(sentinel)


def test_hardlink_to_a_symlink_links_the_symlink_itself(dest: Path, sentinel: Path) -> None:
    apply(
        make_tar(Entry("evil", "symlink", linkname=str(sentinel / "secret")), Entry("l", "link", linkname="evil")), dest
    )
    assert_untouched(sentinel)
    assert os.readlink(dest / "l") == str(sentinel / "secret")


@pytest.mark.parametrize("mode", ["overlay", "delete"])
def test_whiteouts_through_symlink_stay_inside(dest: Path, sentinel: Path, mode: str) -> None:
    apply(
        make_tar(
            Entry("evil", "symlink", linkname=str(sentinel)),
            Entry("evil/.wh.secret"),
            Entry("evil/.wh..wh..opq"),
            Entry("evil2", "symlink", linkname="../sentinel"),
            Entry("evil2/.wh.secret"),
        ),
        dest,
        whiteout_mode=mode,
    )
    assert_untouched(sentinel)
    assert "trusted.overlay.opaque" not in os.listxattr(sentinel)


def test_symlink_loop_is_refused(dest: Path) -> None:
    with pytest.raises(InvalidArgument, match="too many levels of symlinks"):
        apply(
            make_tar(Entry("a", "symlink", linkname="b"), Entry("b", "symlink", linkname="a"), Entry("a/x", data=b"1")),
            dest,
        )


def test_file_as_parent_is_refused(dest: Path) -> None:
    with pytest.raises(InvalidArgument, match="not a directory"):
        apply(make_tar(Entry("f", data=b"1"), Entry("f/x", data=b"2")), dest)


def test_device_nodes_are_allowed(dest: Path) -> None:
    apply(make_tar(Entry("dev/sda", "blk", major=8, minor=0), Entry("dev/kmsg", "chr", major=1, minor=11)), dest)
    assert stat.S_ISBLK(os.lstat(dest / "dev/sda").st_mode)
