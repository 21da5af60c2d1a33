"""Container lifecycle, logs, ps and inspect through the real docker CLI."""

from __future__ import annotations

import json
import time

from engine_helpers import Daemon, docker


def state(d: Daemon, ref: str) -> dict:
    return json.loads(docker(d, "inspect", ref, check=True).stdout)[0]["State"]


def test_create_start_stop_restart_rm(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "--stop-timeout", "1", "busybox", "sleep", "300",
           check=True)
    try:
        assert state(daemon, name)["Status"] == "created"
        docker(daemon, "start", name, check=True)
        st = state(daemon, name)
        assert st["Status"] == "running" and st["Running"]
        pid1 = st["Pid"]
        r = docker(daemon, "rm", name)
        assert r.returncode != 0 and "You cannot remove a running container" in r.stderr
        docker(daemon, "restart", "-t", "1", name, check=True)
        st = state(daemon, name)
        assert st["Running"] and st["Pid"] != pid1
        # sleep as pid 1 has no TERM handler, so the kernel ignores TERM: killed after 1 s
        t0 = time.monotonic()
        docker(daemon, "stop", name, check=True)
        assert time.monotonic() - t0 < 6
        st = state(daemon, name)
        assert st["Status"] == "exited" and st["ExitCode"] == 137
    finally:
        docker(daemon, "rm", "-f", name)
    r = docker(daemon, "inspect", name)
    assert r.returncode != 0 and "No such object" in r.stderr


def test_stop_escalates_to_sigkill_after_timeout(daemon: Daemon, name: str) -> None:
    # sh as pid 1 ignores SIGTERM: stop waits the timeout, then kills
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c", "while :; do sleep 1; done",
           check=True)
    try:
        t0 = time.monotonic()
        docker(daemon, "stop", "-t", "1", name, check=True)
        took = time.monotonic() - t0
        assert 0.9 < took < 6
        assert state(daemon, name)["ExitCode"] == 137
    finally:
        docker(daemon, "rm", "-f", name)


def test_stop_signal_option(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--stop-signal", "SIGUSR1", "busybox", "sh", "-c",
           "trap 'exit 42' USR1; while :; do sleep 0.1; done", check=True)
    try:
        time.sleep(0.3)
        docker(daemon, "stop", name, check=True)
        assert state(daemon, name)["ExitCode"] == 42
    finally:
        docker(daemon, "rm", "-f", name)


def test_kill_and_wait(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "300", check=True)
    try:
        docker(daemon, "kill", "-s", "KILL", name, check=True)
        r = docker(daemon, "wait", name, check=True)
        assert r.stdout.strip() == "137"
        r = docker(daemon, "kill", name)
        assert r.returncode != 0 and "is not running" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_wait_returns_exit_code(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 0.5; exit 7",
           check=True)
    try:
        assert docker(daemon, "wait", name, check=True).stdout.strip() == "7"
    finally:
        docker(daemon, "rm", "-f", name)


def test_logs_tail_timestamps_since_follow(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "--name", name, "busybox", "sh", "-c",
           "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2", check=True)
    try:
        r = docker(daemon, "logs", name, check=True)
        assert r.stdout == "line1\nline2\nline3\nline4\nline5\n"
        assert r.stderr == "oops\n"
        r = docker(daemon, "logs", "--tail", "2", name, check=True)
        assert r.stdout == "line5\n" and r.stderr == "oops\n"
        r = docker(daemon, "logs", "-t", name, check=True)
        first = r.stdout.splitlines()[0]
        ts, _, text = first.partition(" ")
        assert text == "line1" and ts.endswith("Z") and "T" in ts
        r = docker(daemon, "logs", "--since", str(int(time.time()) + 60), name, check=True)
        assert r.stdout == ""
    finally:
        docker(daemon, "rm", "-f", name)


def test_logs_follow_ends_with_the_container(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
           "for i in 1 2 3; do echo f$i; sleep 0.3; done", check=True)
    try:
        r = docker(daemon, "logs", "-f", name, timeout=30, check=True)
        assert r.stdout == "f1\nf2\nf3\n"
    finally:
        docker(daemon, "rm", "-f", name)


def test_logs_are_json_file_format(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "--name", name, "busybox", "echo", "hello", check=True)
    try:
        path = docker(daemon, "inspect", "-f", "{{.LogPath}}", name, check=True).stdout.strip()
        entry = json.loads(open(path).readline())
        assert entry["log"] == "hello\n" and entry["stream"] == "stdout"
        assert entry["time"].endswith("Z")
    finally:
        docker(daemon, "rm", "-f", name)


def test_ps_filters_and_format(daemon: Daemon, name: str) -> None:
    a, b = f"{name}-a", f"{name}-b"
    docker(daemon, "run", "-d", "--name", a, "--label", f"grp={name}", "busybox", "sleep", "300",
           check=True)
    docker(daemon, "run", "--name", b, "--label", f"grp={name}", "busybox", "sh", "-c", "exit 2",
           check=False)
    try:
        r = docker(daemon, "ps", "--format", "{{.Names}}", "--filter", f"label=grp={name}")
        assert r.stdout.split() == [a]
        r = docker(daemon, "ps", "-a", "--format", "{{.Names}} {{.Status}}",
                   "--filter", f"label=grp={name}")
        lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
        assert lines[a].startswith("Up ") and lines[b].startswith("Exited (2) ")
        r = docker(daemon, "ps", "-a", "-q", "--filter", "status=exited", "--filter", f"name={b}")
        assert len(r.stdout.split()) == 1
        r = docker(daemon, "ps", "-a", "--filter", "ancestor=busybox", "--format", "{{.Names}}")
        assert a in r.stdout.split() and b in r.stdout.split()
        cid = docker(daemon, "inspect", "-f", "{{.Id}}", a, check=True).stdout.strip()
        r = docker(daemon, "ps", "--filter", f"id={cid[:10]}", "--format", "{{.ID}}")
        assert r.stdout.strip() == cid[:12]
        r = docker(daemon, "ps", "-a", "-n", "1", "--format", "{{.Names}}")
        assert len(r.stdout.split()) == 1
        header = docker(daemon, "ps").stdout.splitlines()[0]
        assert header.split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                  "PORTS", "NAMES"]
    finally:
        docker(daemon, "rm", "-f", a, b)


def test_inspect_format(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "-e", "X=1", "busybox", "echo", "hi", check=True)
    try:
        r = docker(daemon, "inspect", "-f", "{{.Name}} {{.State.Status}} {{json .Config.Cmd}}",
                   name, check=True)
        assert r.stdout.strip() == f'/{name} created ["echo","hi"]'
        r = docker(daemon, "inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", name,
                   check=True)
        assert "X=1" in r.stdout.split()
    finally:
        docker(daemon, "rm", "-f", name)


def test_start_exited_container_again(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "--name", name, "busybox", "echo", "again", check=True)
    try:
        r = docker(daemon, "start", "-a", name, check=True)
        assert r.stdout == "again\n"
        assert docker(daemon, "logs", name).stdout == "again\nagain\n"
    finally:
        docker(daemon, "rm", "-f", name)
