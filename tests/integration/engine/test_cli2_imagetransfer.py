"""save / load / history / commit / export / diff, compared with the docker CLI on the same daemon."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


@pytest.fixture
def image(daemon: Daemon, name: str):
    """A two-layer image with a comment and author (via commit), removed afterwards."""
    ctr = f"{name}-src"
    dockyard(daemon, "run", "--name", ctr, "busybox", "sh", "-c", "echo hi > /hello", check=True)
    ref = f"{name}:v1"
    try:
        dockyard(daemon, "commit", "-m", "add hello", "-a", "me <me@x>", "-c", "ENV GREETING=hi",
                 "-c", 'CMD ["cat", "/hello"]', ctr, ref, check=True)
        yield ref
    finally:
        dockyard(daemon, "rm", "-f", ctr)
        dockyard(daemon, "rmi", "-f", ref)


def test_commit_sets_message_author_changes(daemon: Daemon, image: str) -> None:
    info = json.loads(dockyard(daemon, "image", "inspect", image, check=True).stdout)[0]
    assert info["Comment"] == "add hello" and info["Author"] == "me <me@x>"
    assert "GREETING=hi" in info["Config"]["Env"] and info["Config"]["Cmd"] == ["cat", "/hello"]
    assert dockyard(daemon, "run", "--rm", image, check=True).stdout == "hi\n"


def test_commit_prints_id_and_no_pause(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        r = dockyard(daemon, "commit", "-p=false", name, check=True)
        iid = r.stdout.strip()
        assert iid.startswith("sha256:") and len(iid) == 71
        dockyard(daemon, "rmi", iid, check=True)
    finally:
        dockyard(daemon, "rm", "-f", name)
    r = dockyard(daemon, "commit", "no-such-ctr")
    ref = docker(daemon, "commit", "no-such-ctr")
    assert (r.returncode, r.stderr) == (ref.returncode, ref.stderr) == (1, ref.stderr)


@pytest.mark.parametrize("args", [(), ("--no-trunc",), ("-H=false",), ("-q",), ("--format", "json"),
                                  ("--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}"),
                                  ("--format", "table {{.ID}}\t{{.Comment}}")])
def test_history_matches_docker(daemon: Daemon, image: str, args: tuple[str, ...]) -> None:
    import re

    ours = dockyard(daemon, "history", *args, image, check=True)
    ref = docker(daemon, "history", *args, image, check=True)
    # the image is seconds old: "2 seconds ago" may tick to "3 seconds ago" between the two runs
    tick = re.compile(r"(Less than a second|About a minute|\d+ seconds?|\d+ minutes?) ago")
    def norm(text: str) -> str:
        text = tick.sub("T ago", text)
        return text if "-H=false" in args else re.sub(r" {2,}", "  ", text)  # widths follow the tick

    assert norm(ours.stdout) == norm(ref.stdout)
    if "-H=false" in args:
        assert ours.stdout == ref.stdout


def test_history_missing_image(daemon: Daemon) -> None:
    ours, ref = dockyard(daemon, "history", "no-such-img"), docker(daemon, "history", "no-such-img")
    assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr) and ours.returncode == 1


def test_save_load_roundtrip(daemon: Daemon, image: str, tmp_path: Path) -> None:
    out = tmp_path / "images.tar"
    dockyard(daemon, "save", "-o", str(out), image, "busybox", check=True)
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert sorted(t for m in manifest for t in m["RepoTags"]) == sorted([image, "busybox:latest"])
    dockyard(daemon, "rmi", image, check=True)
    r = dockyard(daemon, "load", "-i", str(out), check=True)
    assert f"Loaded image: {image}\n" in r.stdout
    ref = docker(daemon, "load", "-i", str(out), check=True)
    assert r.stdout == ref.stdout
    q = subprocess.run([str(VENV_BIN / "dockyard"), "load", "-q"], env=daemon.env, stdin=open(out, "rb"),
                       capture_output=True, text=True, check=True)
    assert q.stdout == docker(daemon, "load", "-q", "-i", str(out)).stdout


def test_save_to_stdout_and_errors(daemon: Daemon, image: str) -> None:
    raw = subprocess.run([str(VENV_BIN / "dockyard"), "save", image], env=daemon.env, capture_output=True,
                         check=True).stdout
    assert raw[257:262] == b"ustar"
    for args in (("save", "no-such-img"), ("load", "-i", "/nonexistent.tar")):
        ours, ref = dockyard(daemon, *args), docker(daemon, *args)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), args


def test_export_and_diff(daemon: Daemon, name: str, tmp_path: Path) -> None:
    dockyard(daemon, "run", "--name", name, "busybox", "sh", "-c", "mkdir /new && echo x > /new/f && rm /bin/ls",
             check=True)
    try:
        ours, ref = dockyard(daemon, "diff", name, check=True), docker(daemon, "diff", name, check=True)
        assert ours.stdout == ref.stdout
        assert "A /new/f\n" in ours.stdout and "D /bin/ls\n" in ours.stdout
        out = tmp_path / "fs.tar"
        dockyard(daemon, "export", "-o", str(out), name, check=True)
        with tarfile.open(out) as tar:
            names = set(tar.getnames())
        assert "new/f" in names and "bin/ls" not in names and "bin/sh" in names
        raw = subprocess.run([str(VENV_BIN / "dockyard"), "export", name], env=daemon.env, capture_output=True,
                             check=True).stdout
        assert raw[257:262] == b"ustar"
    finally:
        dockyard(daemon, "rm", "-f", name)
    for verb in ("diff", "export"):
        ours, ref = dockyard(daemon, verb, "no-such-ctr"), docker(daemon, verb, "no-such-ctr")
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), verb
