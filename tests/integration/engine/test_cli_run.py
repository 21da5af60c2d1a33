"""``dockyard run``: foreground and detached runs, streams, exit codes and the create flags."""

from __future__ import annotations

import json
import os
import pty
import select
import struct
import subprocess
import time


from engine_helpers import VENV_BIN, Daemon, docker, dockyard


def _inspect(d: Daemon, ref: str) -> dict:
    r = dockyard(d, "inspect", ref, check=True)
    return json.loads(r.stdout)[0]


def test_run_prints_output_and_keeps_streams_apart(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "--rm", "--name", name, "busybox", "sh", "-c", "echo out; echo err >&2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_run_exits_with_the_container_status(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "--rm", "--name", name, "busybox", "sh", "-c", "exit 42")
    assert r.returncode == 42


def test_run_rm_removes_the_container(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "--rm", "--name", name, "busybox", "true", check=True)
    r = dockyard(daemon, "ps", "-a", "-q", "--filter", f"name={name}")
    assert r.stdout == ""


def test_run_detached_prints_the_full_id(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "30", check=True)
    try:
        cid = r.stdout.strip()
        assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid)
        assert _inspect(daemon, name)["State"]["Running"] is True
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_run_forwards_stdin_with_i(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "-i", "--rm", "--name", name, "busybox", "sh", "-c", "cat; exit 3",
                 input="one\ntwo\n")
    assert r.returncode == 3
    assert r.stdout == "one\ntwo\n"


def test_run_without_i_gives_no_stdin(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "--rm", "--name", name, "busybox", "cat", input="ignored\n", timeout=30)
    assert r.returncode == 0
    assert r.stdout == ""


def test_run_environment_workdir_user_hostname_entrypoint(daemon: Daemon, name: str, tmp_path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=1\n\nOVERRIDE=file\n")
    r = dockyard(daemon, "run", "--rm", "--name", name, "--env-file", str(env_file), "-e", "OVERRIDE=flag",
                 "-e", "A=b c", "-w", "/tmp", "-u", "1234:5678", "-h", "myhost", "--entrypoint", "sh",
                 "busybox", "-c", 'echo "$FROM_FILE|$OVERRIDE|$A|$(pwd)|$(id -u):$(id -g)|$(hostname)"')
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1|flag|b c|/tmp|1234:5678|myhost\n"


def test_run_e_without_value_takes_it_from_the_cli_environment(daemon: Daemon, name: str) -> None:
    env = dict(daemon.env, DY_PASSED="from-cli")
    r = subprocess.run([str(VENV_BIN / "dockyard"), "run", "--rm", "--name", name, "-e", "DY_PASSED",
                        "busybox", "sh", "-c", "echo $DY_PASSED"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.stdout == "from-cli\n", r.stderr


def test_run_unknown_image_says_unable_to_find_and_exits_125(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "--rm", "no-such-image-xyz")
    assert r.returncode == 125
    lines = r.stderr.splitlines()
    assert lines[0] == "Unable to find image 'no-such-image-xyz:latest' locally"
    assert lines[1].startswith("dockyard: Error response from daemon: ")
    assert "Run 'dockyard run --help' for more information" in r.stderr
    ref = docker(daemon, "run", "--rm", "no-such-image-xyz")
    assert ref.returncode == r.returncode
    assert ref.stderr.replace("docker:", "dockyard:").replace("'docker run", "'dockyard run") == r.stderr


def test_run_command_not_found_is_127_and_not_executable_126(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "--rm", "--name", name, "busybox", "no-such-command")
    assert r.returncode == 127, r.stderr
    assert r.stderr.startswith("dockyard: Error response from daemon: ")
    r = dockyard(daemon, "run", "--rm", "--name", name + "-2", "busybox", "/etc")
    assert r.returncode == 126, r.stderr


def test_run_bad_flag_is_125_with_usage(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "--no-such-flag", "busybox")
    assert r.returncode == 125
    ref = docker(daemon, "run", "--no-such-flag", "busybox")
    assert r.stderr == ref.stderr.replace("docker ", "dockyard ").replace("'docker run", "'dockyard run")


def test_run_bad_memory_value_is_125(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "-m", "lots", "busybox")
    assert r.returncode == 125
    assert 'invalid argument "lots" for "-m, --memory" flag' in r.stderr


def test_run_name_in_use_is_a_conflict(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", check=True)
    try:
        r = dockyard(daemon, "run", "--name", name, "busybox", "true")
        assert r.returncode == 125
        assert "is already in use by container" in r.stderr
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_run_flags_reach_the_host_config(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "create", "--name", name, "--read-only", "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
                 "-m", "64m", "--memory-swap", "128m", "--cpus", "1.5", "--pids-limit", "50", "-l", "a=1",
                 "--label", "b", "--init", "--stop-signal", "SIGUSR1", "--stop-timeout", "7", "--network", "none",
                 "--restart", "on-failure:3", "--tmpfs", "/scratch:size=1m", "-p", "127.0.0.1:8080:80/udp",
                 "--add-host", "db:10.0.0.2", "--dns", "9.9.9.9", "--shm-size", "8m",
                 "--security-opt", "no-new-privileges", "busybox", "true", check=True)
    try:
        assert len(r.stdout.strip()) == 64
        info = _inspect(daemon, name)
        hc, cfg = info["HostConfig"], info["Config"]
        assert hc["ReadonlyRootfs"] is True
        assert hc["CapAdd"] == ["NET_ADMIN"] and hc["CapDrop"] == ["MKNOD"]
        assert hc["Memory"] == 64 * 1024 * 1024 and hc["MemorySwap"] == 128 * 1024 * 1024
        assert hc["NanoCpus"] == 1_500_000_000
        assert hc["PidsLimit"] == 50
        assert hc["Init"] is True
        assert hc["NetworkMode"] == "none"
        assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
        assert hc["Tmpfs"] == {"/scratch": "size=1m"}
        assert hc["PortBindings"] == {"80/udp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
        assert hc["ExtraHosts"] == ["db:10.0.0.2"] and hc["Dns"] == ["9.9.9.9"]
        assert hc["ShmSize"] == 8 * 1024 * 1024
        assert hc["SecurityOpt"] == ["no-new-privileges"]
        assert cfg["Labels"] == {"a": "1", "b": ""}
        assert cfg["StopSignal"] == "SIGUSR1" and cfg["StopTimeout"] == 7
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_run_read_only_rootfs_is_enforced(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "--rm", "--name", name, "--read-only", "busybox", "touch", "/x")
    assert r.returncode != 0
    assert "Read-only file system" in r.stderr


def test_run_rm_with_restart_conflicts(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "--rm", "--restart", "always", "busybox", "true")
    assert r.returncode == 125
    assert "conflicting options: cannot specify both --restart and --rm" in r.stderr


def test_run_help(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage:  dockyard run [OPTIONS] IMAGE [COMMAND] [ARG...]\n")
    assert "-h, --hostname string" in r.stdout


def _pty_session(argv: list[str], env: dict[str, str], keys: list[bytes], rows: int = 33,
                 cols: int = 111) -> tuple[bytes, int]:
    import fcntl
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, with the pty as its terminal
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = b""

    def pump(seconds: float, until: bytes | None = None) -> None:
        nonlocal out
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if until is not None and until in out:
                return
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return
                if not data:
                    return
                out += data

    pump(15, until=b"# ")
    for key in keys:
        os.write(fd, key)
        pump(3, until=b"@@")
    pump(10)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    os.close(fd)
    return out, os.waitstatus_to_exitcode(status)


def test_run_it_gives_a_real_terminal_sized_like_ours(daemon: Daemon, name: str) -> None:
    argv = [str(VENV_BIN / "dockyard"), "run", "--rm", "-it", "--name", name, "busybox", "sh"]
    out, status = _pty_session(argv, daemon.env, [b"echo @@$(stty size)@@; tty\r", b"exit 5\r"])
    text = out.decode(errors="replace")
    assert "@@33 111@@" in text
    assert "/dev/pts/" in text or "/dev/console" in text
    assert status == 5


def test_run_proxies_signals_to_the_container(daemon: Daemon, name: str) -> None:
    import signal

    p = subprocess.Popen([str(VENV_BIN / "dockyard"), "run", "--rm", "--name", name, "busybox", "sh", "-c",
                          "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done"],
                         env=daemon.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 7, err
        assert out == "got-term\n"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        dockyard(daemon, "rm", "-f", name)


def test_start_i_forwards_stdin(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "-i", "--name", name, "busybox", "sh", "-c", "read x; echo got:$x", check=True)
    try:
        r = dockyard(daemon, "start", "-ai", name, input="hello\n", timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "got:hello\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_run_it_without_a_terminal_is_refused(daemon: Daemon) -> None:
    r = dockyard(daemon, "run", "--rm", "-it", "busybox", "true", input="")
    ref = docker(daemon, "run", "--rm", "-it", "busybox", "true", input=b"")
    assert (r.returncode, r.stderr) == (ref.returncode, ref.stderr) == (1, "the input device is not a TTY\n")


def test_run_rm_whose_start_fails_leaves_no_container(daemon: Daemon, name: str) -> None:
    try:
        r = dockyard(daemon, "run", "--rm", "--name", name, "busybox", "no-such-command")
        assert r.returncode == 127
        time.sleep(1)
        assert dockyard(daemon, "ps", "-aq", "--filter", f"name={name}").stdout == ""
    finally:
        dockyard(daemon, "rm", "-f", name)
