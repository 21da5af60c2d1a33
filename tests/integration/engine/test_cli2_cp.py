"""``dockyard cp`` both ways, docker's naming rules, ``-`` tar streams, -a, -L, errors like docker's."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


@pytest.fixture
def ctr(daemon: Daemon, name: str):
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
             "mkdir -p /data/sub && echo a > /data/a && echo b > /data/sub/b && ln -s /data/a /data/link && "
             "sleep 300", check=True)
    try:
        for _ in range(50):
            if dockyard(daemon, "exec", name, "test", "-L", "/data/link").returncode == 0:
                break
        yield name
    finally:
        dockyard(daemon, "rm", "-f", name)


def _tree(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() and not p.is_symlink() else (
            "link:" + os.readlink(p) if p.is_symlink() else p.read_text())
    return out


def test_cp_from_container_file_and_dir(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    dockyard(daemon, "cp", f"{ctr}:/data/a", str(tmp_path / "a-copy"), check=True)
    assert (tmp_path / "a-copy").read_text() == "a\n"
    dockyard(daemon, "cp", f"{ctr}:/data", str(tmp_path / "new"), check=True)  # renamed
    (tmp_path / "into").mkdir()
    dockyard(daemon, "cp", f"{ctr}:/data", str(tmp_path / "into"), check=True)  # inside
    (tmp_path / "contents").mkdir()
    dockyard(daemon, "cp", f"{ctr}:/data/.", str(tmp_path / "contents"), check=True)  # contents only
    expected = {"a": "a\n", "link": "link:/data/a", "sub": "dir", "sub/b": "b\n"}
    assert _tree(tmp_path / "new") == expected
    assert _tree(tmp_path / "into" / "data") == expected
    assert _tree(tmp_path / "contents") == expected


def test_cp_matches_docker_layout(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    for tool in ("docker", "dockyard"):
        base = tmp_path / tool
        (base / "exists").mkdir(parents=True)
        run = docker if tool == "docker" else dockyard
        run(daemon, "cp", f"{ctr}:/data", str(base / "exists"), check=True)
        run(daemon, "cp", f"{ctr}:/data/sub", str(base / "renamed"), check=True)
        run(daemon, "cp", f"{ctr}:/data/sub/b", str(base / "exists"), check=True)
    assert _tree(tmp_path / "docker") == _tree(tmp_path / "dockyard")


def test_cp_follow_link(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    dockyard(daemon, "cp", f"{ctr}:/data/link", str(tmp_path / "nofollow"), check=True)
    assert os.readlink(tmp_path / "nofollow") == "/data/a"
    dockyard(daemon, "cp", "-L", f"{ctr}:/data/link", str(tmp_path / "follow"), check=True)
    assert not (tmp_path / "follow").is_symlink() and (tmp_path / "follow").read_text() == "a\n"


def test_cp_to_container(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "deep").mkdir(parents=True)
    (src / "f").write_text("f\n")
    (src / "deep" / "g").write_text("g\n")
    dockyard(daemon, "cp", str(src), f"{ctr}:/tmp", check=True)
    dockyard(daemon, "cp", str(src) + "/.", f"{ctr}:/tmp/flat", check=True)
    dockyard(daemon, "cp", str(src / "f"), f"{ctr}:/tmp/renamed.txt", check=True)
    r = dockyard(daemon, "exec", ctr, "sh", "-c",
                 "cat /tmp/src/f /tmp/src/deep/g /tmp/flat/f /tmp/flat/deep/g /tmp/renamed.txt", check=True)
    assert r.stdout == "f\ng\nf\ng\nf\n"


def test_cp_owner_with_and_without_archive_matches_docker(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    """docker keeps the tar's uid/gid without -a (moby's defaultTarCopyOptions has no ChownOpts)
    and uses the container user's with -a: whatever the daemon does, both clients must agree."""
    f = tmp_path / "owned"
    f.write_text("x")
    os.chown(f, 1234, 4321)
    for tool, run in (("docker", docker), ("dockyard", dockyard)):
        run(daemon, "cp", str(f), f"{ctr}:/tmp/{tool}-plain", check=True)
        run(daemon, "cp", "-a", str(f), f"{ctr}:/tmp/{tool}-kept", check=True)
    r = dockyard(daemon, "exec", ctr, "stat", "-c", "%u:%g", "/tmp/docker-plain", "/tmp/dockyard-plain",
                 "/tmp/docker-kept", "/tmp/dockyard-kept", check=True)
    plain_d, plain_y, kept_d, kept_y = r.stdout.split()
    assert (plain_d, kept_d) == (plain_y, kept_y)
    assert plain_y == "1234:4321"


def test_cp_tar_streams(daemon: Daemon, ctr: str) -> None:
    out = subprocess.run([str(VENV_BIN / "dockyard"), "cp", f"{ctr}:/data/a", "-"], env=daemon.env,
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        member = tar.getmember("a")
        assert tar.extractfile(member).read() == b"a\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("from-stdin")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    subprocess.run([str(VENV_BIN / "dockyard"), "cp", "-", f"{ctr}:/tmp"], env=daemon.env, input=buf.getvalue(),
                   capture_output=True, check=True)
    assert dockyard(daemon, "exec", ctr, "cat", "/tmp/from-stdin", check=True).stdout == "hi\n"


def test_cp_errors_match_docker(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    cases = [
        (f"{ctr}:/nope", str(tmp_path)),
        (str(tmp_path / "nope"), f"{ctr}:/tmp"),
        (str(tmp_path / "file"), f"{ctr}:/nodir/x"),
        (f"{ctr}:/data", str(tmp_path / "file")),
        ("a", "b"),
        (f"{ctr}:/data/a", str(tmp_path / "missing" / "x")),
        ("no-such-ctr:/x", str(tmp_path)),
    ]
    for src, dst in cases:
        ours, ref = dockyard(daemon, "cp", src, dst), docker(daemon, "cp", src, dst)
        assert ours.returncode == ref.returncode == 1, (src, dst)
        assert ours.stderr == ref.stderr, (src, dst)
    for src in (f"{ctr}:/nope", "no-such-ctr:/x"):  # -L stats first (HEAD, whose 404 has no body)
        ours, ref = dockyard(daemon, "cp", "-L", src, str(tmp_path)), docker(daemon, "cp", "-L", src, str(tmp_path))
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), src


def _stderr_on_tty(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run with stdout on a pty (docker's condition for the report), stderr captured."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                              timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    return proc.returncode, proc.stderr.decode(errors="replace")


def test_cp_reports_size_on_a_terminal_like_docker(daemon: Daemon, ctr: str, tmp_path: Path) -> None:
    from engine_helpers import DOCKER_CLI

    ours = _stderr_on_tty([str(VENV_BIN / "dockyard"), "cp", f"{ctr}:/data/a", str(tmp_path / "y")], daemon.env)
    ref = _stderr_on_tty([DOCKER_CLI, "cp", f"{ctr}:/data/a", str(tmp_path / "d")], daemon.env)
    assert ours[0] == ref[0] == 0
    assert ours[1].splitlines()[-1].replace("/y", "/d") == ref[1].splitlines()[-1]
    assert ours[1].splitlines()[-1].startswith("Successfully copied ")
    quiet = _stderr_on_tty([str(VENV_BIN / "dockyard"), "cp", "-q", f"{ctr}:/data/a", str(tmp_path / "q")],
                           daemon.env)
    assert quiet == (0, "")
