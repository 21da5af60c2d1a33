"""`run -it` with a real pseudo-terminal (the client runs under `script`, which gives it one)."""

from __future__ import annotations

import subprocess

from engine_helpers import DOCKER_CLI, Daemon


def _in_pty(d: Daemon, cmd: str, stdin: bytes = b"", timeout: float = 60) -> tuple[int, bytes]:
    r = subprocess.run(["script", "-qefc", cmd, "/dev/null"], input=stdin, env=d.env,
                       capture_output=True, timeout=timeout)
    return r.returncode, r.stdout


def test_it_gives_a_terminal(daemon: Daemon) -> None:
    code, out = _in_pty(daemon, f"{DOCKER_CLI} run --rm -it busybox sh -c 'tty; echo $TERM; exit 5'")
    text = out.replace(b"\r", b"").decode(errors="replace")
    assert "/dev/pts/0" in text and "xterm" in text
    assert code == 5


def test_it_interactive_input(daemon: Daemon) -> None:
    code, out = _in_pty(daemon, f"{DOCKER_CLI} run --rm -it busybox sh -c 'read x; echo got-$x'",
                        stdin=b"hello\n")
    assert b"got-hello" in out
    assert code == 0


def test_tty_size_follows_the_client(daemon: Daemon) -> None:
    code, out = _in_pty(daemon, f"stty rows 33 cols 101; {DOCKER_CLI} run --rm -it busybox stty size")
    assert b"33 101" in out
