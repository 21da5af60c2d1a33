"""``dockyard exec``: streams, exit codes (126/127 as docker), -d, -i, -t with a real pty, -e/--env-file/-w/-u."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from engine_helpers import VENV_BIN, Daemon, docker, dockyard


@pytest.fixture
def running(daemon: Daemon, name: str):
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "300", check=True)
    try:
        yield name
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_exec_streams_and_exit_code(daemon: Daemon, running: str) -> None:
    ours = dockyard(daemon, "exec", running, "sh", "-c", "echo out; echo err >&2; exit 3")
    ref = docker(daemon, "exec", running, "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr) == (3, "out\n", "err\n")


@pytest.mark.parametrize("cmd", ["no-such-binary", "/etc"])
def test_exec_cannot_run_matches_docker(daemon: Daemon, running: str, cmd: str) -> None:
    ours = dockyard(daemon, "exec", running, cmd)
    ref = docker(daemon, "exec", running, cmd)
    assert ours.returncode == ref.returncode and ours.returncode in (126, 127)
    assert ours.stdout == ref.stdout and ours.stderr == ref.stderr


def test_exec_env_workdir_user(daemon: Daemon, running: str, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=f\nB=file\n")
    r = dockyard(daemon, "exec", "-w", "/tmp", "-u", "1000:1000", "--env-file", str(env_file), "-e", "B=flag",
                 running, "sh", "-c", "pwd; id -u; id -g; echo $FROM_FILE $B", check=True)
    assert r.stdout == "/tmp\n1000\n1000\nf flag\n"


def test_exec_detached_runs_in_background(daemon: Daemon, running: str) -> None:
    r = dockyard(daemon, "exec", "-d", running, "sh", "-c", "sleep 0.2; echo done > /tmp/marker", check=True)
    assert r.stdout == ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if dockyard(daemon, "exec", running, "cat", "/tmp/marker").stdout == "done\n":
            break
        time.sleep(0.2)
    else:
        pytest.fail("detached exec did not run")


def test_exec_interactive_stdin(daemon: Daemon, running: str) -> None:
    r = dockyard(daemon, "exec", "-i", running, "sh", "-c", "tr a-z A-Z", input="hello\n", check=True)
    assert r.stdout == "HELLO\n"


def test_exec_errors_match_docker(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        for args in ((name, "true"), ("no-such-ctr", "true")):
            ours, ref = dockyard(daemon, "exec", *args), docker(daemon, "exec", *args)
            assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr), args
            assert ours.returncode == 1
        r = dockyard(daemon, "exec", name)
        assert r.returncode == 1 and "'dockyard exec' requires at least 2 arguments" in r.stderr
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_exec_it_without_terminal_refused(daemon: Daemon, running: str) -> None:
    r = dockyard(daemon, "exec", "-it", running, "true")
    assert r.returncode == 1 and r.stderr == "the input device is not a TTY\n"


def _pty_run(daemon: Daemon, args: list[str], send: bytes, rows: int = 33, cols: int = 101,
             resize_to: tuple[int, int] | None = None) -> tuple[int, bytes]:
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen([str(VENV_BIN / "dockyard"), *args], stdin=slave, stdout=slave, stderr=slave,
                            env=daemon.env, start_new_session=True)
    os.close(slave)
    out = b""
    sent = False
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    break
                if not data:
                    break
                out += data
            if not sent and b"READY" in out:
                if resize_to is not None:  # as a terminal emulator does: new size, then SIGWINCH
                    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", *resize_to, 0, 0))
                    os.kill(proc.pid, signal.SIGWINCH)
                    time.sleep(0.5)
                os.write(master, send)
                sent = True
            if proc.poll() is not None and not ready:
                break
        return proc.wait(10), out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)


def test_exec_tty_gets_pty_and_size(daemon: Daemon, running: str) -> None:
    status, out = _pty_run(daemon, ["exec", "-it", running, "sh", "-c",
                                    "tty; stty size; echo READY; read x; echo got=$x; exit 4"], b"abc\r")
    text = out.decode(errors="replace")
    assert status == 4, text
    assert "/dev/pts/" in text
    assert "33 101" in text
    assert "got=abc" in text


def test_exec_privileged_gets_all_capabilities(daemon: Daemon, running: str) -> None:
    def capeff(*flags: str) -> str:
        out = dockyard(daemon, "exec", *flags, running, "grep", "CapEff", "/proc/self/status", check=True).stdout
        return out.split()[1]

    plain, privileged = capeff(), capeff("--privileged")
    assert int(privileged, 16) > int(plain, 16)
    assert privileged == docker(daemon, "exec", "--privileged", running, "grep", "CapEff", "/proc/self/status",
                                check=True).stdout.split()[1]


def test_exec_tty_follows_window_resize(daemon: Daemon, running: str) -> None:
    # the new size travels CLI -> daemon -> conmon: the shell waits for it (up to 5 s)
    # rather than the test guessing how long that takes on a loaded machine
    script = ('echo READY; read x; i=0; while [ "$(stty size)" != "20 70" ] && [ $i -lt 50 ]; '
              'do sleep 0.1; i=$((i+1)); done; stty size')
    status, out = _pty_run(daemon, ["exec", "-it", running, "sh", "-c", script], b"go\r",
                           resize_to=(20, 70))
    assert status == 0, out
    assert "20 70" in out.decode(errors="replace")
