"""docker cp's path rules on a plain directory standing in for a container root."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from dockyard.errors import InvalidArgument, NotFound
from dockyard.runtime import cp


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (r / "tmp").mkdir()
    os.symlink("/etc", r / "lnk")
    os.symlink("../../../../etc/passwd", r / "tmp" / "rel")
    os.symlink("/nowhere/x", r / "broken")
    os.symlink(str(tmp_path / "outside"), r / "esc")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("host")
    return r


def _tar(entries: list[tuple[str, bytes | None, str | None]]) -> io.BytesIO:
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        for name, data, link in entries:
            ti = tarfile.TarInfo(name)
            if link is not None:
                ti.type, ti.linkname = tarfile.SYMTYPE, link
                t.addfile(ti)
            elif data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    bio.seek(0)
    return bio


def test_go_file_mode() -> None:
    fake = os.stat_result((stat.S_IFDIR | 0o1755, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert cp.go_file_mode(fake) == (1 << 31) | (1 << 20) | 0o755
    fake = os.stat_result((stat.S_IFLNK | 0o777, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert cp.go_file_mode(fake) == (1 << 27) | 0o777
    fake = os.stat_result((stat.S_IFCHR | 0o666, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert cp.go_file_mode(fake) == (1 << 26) | (1 << 21) | 0o666
    fake = os.stat_result((stat.S_IFREG | 0o4755, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert cp.go_file_mode(fake) == (1 << 23) | 0o755


def test_go_time() -> None:
    assert cp.go_time(0) == "1970-01-01T00:00:00Z"
    assert cp.go_time(1_500_000_000_120_000_000) == "2017-07-14T02:40:00.12Z"


def test_stat_names_and_link_targets(root: Path) -> None:
    st = cp.stat_path(str(root), "/etc/passwd", "c")
    assert st.name == "passwd" and st.mode == 0o644 and st.link_target == ""
    st = cp.stat_path(str(root), "/lnk", "c")
    assert st.mode & (1 << 27) and st.link_target == "/etc"
    assert cp.stat_path(str(root), "/tmp/rel", "c").link_target == "/etc/passwd"  # .. clamps
    assert cp.stat_path(str(root), "/broken", "c").link_target == "/nowhere/x"
    st = cp.stat_path(str(root), "/lnk/", "c")  # trailing slash follows the link
    assert st.name == "lnk" and st.mode & (1 << 31)
    assert cp.stat_path(str(root), "/etc/.", "c").name == "."
    assert cp.stat_path(str(root), "/", "c").name == "/"
    # an intermediate symlink is followed inside the root
    assert cp.stat_path(str(root), "/lnk/passwd", "c").size > 0


def test_paths_never_leave_the_root(root: Path) -> None:
    with pytest.raises(NotFound, match="Could not find the file /esc/secret in container c"):
        cp.stat_path(str(root), "/esc/secret", "c")
    with pytest.raises(NotFound):
        cp.stat_path(str(root), "/../../outside/secret", "c")
    with pytest.raises(NotFound):
        cp.extract(str(root), "/esc", "c", _tar([("planted", b"x", None)]))
    assert os.listdir(root.parent / "outside") == ["secret"]


def test_archive_rebases_names(root: Path) -> None:
    for path, want in (("/etc", ["etc", "etc/passwd"]), ("/etc/.", [".", "./passwd"]),
                       ("/etc/passwd", ["passwd"]), ("/lnk", ["lnk"])):
        rp, name = cp.resolve(str(root), path, "c")
        out = io.BytesIO()
        try:
            cp.archive(rp, name, out)
        finally:
            rp.close()
        out.seek(0)
        assert tarfile.open(fileobj=out).getnames() == want, path


def test_extract_rules(root: Path, tmp_path: Path) -> None:
    cp.extract(str(root), "/tmp", "c", _tar([("d", None, None), ("d/f", b"data", None),
                                            (".wh.x", b"plain", None)]))
    assert (root / "tmp" / "d" / "f").read_bytes() == b"data"
    assert (root / "tmp" / ".wh.x").read_bytes() == b"plain"
    # through the destination symlink (followed, inside the root)
    cp.extract(str(root), "/lnk", "c", _tar([("viaLink", b"v", None)]))
    assert (root / "etc" / "viaLink").read_bytes() == b"v"
    with pytest.raises(InvalidArgument, match="extraction point is not a directory"):
        cp.extract(str(root), "/etc/passwd", "c", _tar([("x", b"x", None)]))
    with pytest.raises(NotFound):
        cp.extract(str(root), "/no/such", "c", _tar([("x", b"x", None)]))
    with pytest.raises(InvalidArgument, match="escapes"):
        cp.extract(str(root), "/tmp", "c", _tar([("../../../../x", b"x", None)]))
    # a planted symlink is resolved inside the root when written through
    cp.extract(str(root), "/tmp", "c", _tar([("l", None, str(tmp_path / "outside")),
                                            ("l/planted", b"in", None)]))
    assert os.listdir(tmp_path / "outside") == ["secret"]
    assert (root / str(tmp_path / "outside").lstrip("/") / "planted").read_bytes() == b"in"
    # noOverwriteDirNonDir
    with pytest.raises(InvalidArgument, match="cannot overwrite directory"):
        cp.extract(str(root), "/tmp", "c", _tar([("d", b"now a file", None)]),
                   no_overwrite_dir_nondir=True)
    with pytest.raises(InvalidArgument, match="cannot overwrite non-directory"):
        cp.extract(str(root), "/tmp/d", "c", _tar([("f", None, None)]),
                   no_overwrite_dir_nondir=True)
    cp.extract(str(root), "/tmp", "c", _tar([("owned", b"o", None)]), owner=(1234, 4321))
    st = os.lstat(root / "tmp" / "owned")
    assert (st.st_uid, st.st_gid) == (1234, 4321)
