"""create / start / stop / kill / restart / wait / rm, and their ``container`` aliases."""

from __future__ import annotations

import json
import time

from engine_helpers import Daemon, docker, dockyard


def _state(d: Daemon, ref: str) -> dict:
    return json.loads(dockyard(d, "inspect", ref, check=True).stdout)[0]["State"]


def test_create_then_start_attached_prints_output_and_status(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "create", "--name", name, "busybox", "sh", "-c", "echo hi; exit 7", check=True)
    try:
        assert len(r.stdout.strip()) == 64
        assert _state(daemon, name)["Status"] == "created"
        r = dockyard(daemon, "start", "-a", name)
        assert r.returncode == 7
        assert r.stdout == "hi\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_start_stop_restart_kill_wait(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        assert dockyard(daemon, "start", name, check=True).stdout == f"{name}\n"
        assert _state(daemon, name)["Running"] is True
        assert dockyard(daemon, "stop", "-t", "1", name, check=True).stdout == f"{name}\n"
        state = _state(daemon, name)
        assert state["Running"] is False and state["ExitCode"] == 137  # sleep as PID 1 ignores TERM
        assert dockyard(daemon, "restart", "-t", "1", name, check=True).stdout == f"{name}\n"
        assert _state(daemon, name)["Running"] is True
        assert dockyard(daemon, "kill", "-s", "KILL", name, check=True).stdout == f"{name}\n"
        r = dockyard(daemon, "wait", name, check=True)
        assert r.stdout == "137\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_stop_with_signal(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
             "trap 'exit 9' USR1; while true; do sleep 0.1; done", check=True)
    try:
        time.sleep(0.3)
        dockyard(daemon, "container", "stop", "-s", "USR1", "-t", "5", name, check=True)
        assert _state(daemon, name)["ExitCode"] == 9
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_wait_prints_each_exit_code(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "--name", name, "busybox", "sh", "-c", "exit 3")
    dockyard(daemon, "run", "--name", name + "-b", "busybox", "true")
    try:
        r = dockyard(daemon, "wait", name, name + "-b", check=True)
        assert r.stdout == "3\n0\n"
    finally:
        dockyard(daemon, "rm", "-f", name, name + "-b")


def test_missing_container_errors_match_docker(daemon: Daemon) -> None:
    for verb in ("stop", "kill", "restart", "wait", "rm"):
        ours = dockyard(daemon, verb, "no-such-ctr")
        ref = docker(daemon, verb, "no-such-ctr")
        assert ours.returncode == ref.returncode == 1, verb
        assert ours.stderr == ref.stderr == "Error response from daemon: No such container: no-such-ctr\n", verb
    ours = dockyard(daemon, "start", "no-such-ctr")
    assert ours.returncode == 1
    assert ours.stderr == ("Error response from daemon: No such container: no-such-ctr\n"
                           "Error: failed to start containers: no-such-ctr\n")


def test_rm_force_of_missing_is_quiet_success(daemon: Daemon) -> None:
    r = dockyard(daemon, "rm", "-f", "no-such-ctr")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_rm_running_needs_force(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    try:
        r = dockyard(daemon, "rm", name)
        assert r.returncode == 1
        assert "You cannot remove a running container" in r.stderr
        r = dockyard(daemon, "container", "rm", "-f", "-v", name)
        assert r.returncode == 0 and r.stdout == f"{name}\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_rm_reports_each_failure_and_removes_the_rest(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", check=True)
    r = dockyard(daemon, "rm", "no-such-ctr", name)
    assert r.returncode == 1
    assert r.stdout == f"{name}\n"
    assert "No such container: no-such-ctr" in r.stderr


def test_argument_count_errors(daemon: Daemon) -> None:
    r = dockyard(daemon, "stop")
    assert r.returncode == 1
    ref = docker(daemon, "stop")
    assert r.stderr == ref.stderr.replace("docker", "dockyard")
    r = dockyard(daemon, "logs")
    assert r.stderr == docker(daemon, "logs").stderr.replace("docker", "dockyard")


def test_invalid_signal_is_rejected(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "kill", "-s", "NOPE", name)
    assert r.returncode == 1
    assert "Invalid signal: NOPE" in r.stderr


def test_container_management_aliases(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "container", "create", "--name", name, "busybox", "true", check=True)
    try:
        r = dockyard(daemon, "container", "ls", "-a", "-q", "--filter", f"name={name}", check=True)
        assert len(r.stdout.strip()) == 12
        r = dockyard(daemon, "container", "inspect", "-f", "{{.Name}}", name, check=True)
        assert r.stdout == f"/{name}\n"
        r = dockyard(daemon, "container", "start", "-a", name)
        assert r.returncode == 0
    finally:
        dockyard(daemon, "container", "rm", "-f", name)


def test_attach_streams_a_running_container_and_exits_with_it(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 1; echo late; exit 4", check=True)
    try:
        r = dockyard(daemon, "attach", name, timeout=30)
        assert r.returncode == 4
        assert r.stdout == "late\n"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_attach_to_a_stopped_container_is_refused(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", check=True)
    try:
        r = dockyard(daemon, "attach", name)
        assert r.returncode == 1
        assert "You cannot attach to a stopped container, start it first" in r.stderr
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_detached_run_whose_start_fails(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "run", "-d", "--name", name, "busybox", "no-such-command")
    try:
        assert r.returncode == 127
        assert r.stdout == ""
        assert r.stderr.startswith("dockyard: Error response from daemon: ")
    finally:
        dockyard(daemon, "rm", "-f", name)
