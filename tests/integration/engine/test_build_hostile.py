"""A hostile build context cannot write outside the build root (nor read the host through it)."""

from __future__ import annotations

import io
import os
import tarfile
import uuid
from pathlib import Path

from build_helpers import api_build, cleanup, run_cmd, sdk  # noqa: F401
from engine_helpers import Daemon


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return buf.getvalue()


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_context_symlink_pointing_out_reads_nothing_of_the_host(daemon: Daemon, sdk,  # noqa: F811
                                                                cleanup) -> None:  # noqa: F811
    secret = Path(f"/tmp/dy-host-secret-{uuid.uuid4().hex[:8]}")
    secret.mkdir()
    (secret / "key").write_text("host secret\n")
    try:
        df = f"FROM busybox\nCOPY out/key /got\n"
        r = api_build(daemon, _tar([_file("Dockerfile", df.encode()), _link("out", str(secret))]))
        # the link resolves inside the context, where there is no such file
        assert r.error is not None and "not found" in r.error["error"]
        df = "FROM busybox\nCOPY out /got\n"
        r = api_build(daemon, _tar([_file("Dockerfile", df.encode()),
                                    _link("out", "../../../../../../etc/passwd")]))
        if r.error is None:
            cleanup.append(r.id)
            # a symlink is copied as a symlink (or resolved in the context): never host data
            out = run_cmd(sdk, r.id, ["sh", "-c", "cat /got 2>/dev/null | grep -c root: || true"])
            assert out.strip() in (b"0", b"")
    finally:
        (secret / "key").unlink()
        secret.rmdir()


def test_context_tar_with_parent_members_is_refused_or_contained(daemon: Daemon) -> None:
    victim = Path(f"/tmp/dy-victim-{uuid.uuid4().hex[:8]}")
    body = _tar([_file("Dockerfile", b"FROM busybox\nCOPY . /ctx/\n"),
                 _file(f"../../../../../..{victim}", b"evil"),
                 _link("h", "../../../../etc/passwd", tarfile.LNKTYPE)])
    api_build(daemon, body)
    assert not victim.exists()


def test_copy_parent_path_is_forbidden(daemon: Daemon) -> None:
    r = api_build(daemon, _tar([_file("Dockerfile", b"FROM busybox\nCOPY ../../etc/shadow /x\n")]))
    assert r.error is not None and "outside the build context" in r.error["error"]


def test_add_archive_with_parent_members_stays_inside(daemon: Daemon, sdk,  # noqa: F811
                                                       cleanup) -> None:  # noqa: F811
    victim = f"dy-add-victim-{uuid.uuid4().hex[:8]}"
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as t:
        for name in (f"../../../../../../tmp/{victim}", "ok.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            t.addfile(info, io.BytesIO(b"x\n"))
        link = tarfile.TarInfo("esc")
        link.type, link.linkname = tarfile.SYMTYPE, "/tmp"
        t.addfile(link)
        via = tarfile.TarInfo(f"esc/{victim}-via-link")
        via.size = 2
        t.addfile(via, io.BytesIO(b"x\n"))
    r = api_build(daemon, _tar([_file("Dockerfile", b"FROM busybox\nADD a.tgz /unpacked/\n"),
                                _file("a.tgz", inner.getvalue())]))
    assert not os.path.exists(f"/tmp/{victim}")
    assert not os.path.exists(f"/tmp/{victim}-via-link")
    if r.error is None:
        cleanup.append(r.id)
        out = run_cmd(sdk, r.id, ["sh", "-c", "ls /unpacked"])
        assert b"ok.txt" in out.split()
    else:
        assert r.error["error"]
