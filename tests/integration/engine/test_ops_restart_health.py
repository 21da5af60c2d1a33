"""Restart policies (with back-off, across daemon restarts), healthchecks, pause/unpause, update."""

from __future__ import annotations

import json
import time

import docker as docker_sdk

from engine_helpers import Daemon, docker


def inspect(d: Daemon, ref: str) -> dict:
    return json.loads(docker(d, "inspect", ref, check=True).stdout)[0]


def wait_for(pred, timeout: float = 20.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("condition not met in time")


def test_on_failure_with_max_retries(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--restart", "on-failure:2", "busybox", "sh",
           "-c", "echo attempt; exit 3", check=True)
    try:
        wait_for(lambda: inspect(daemon, name)["RestartCount"] == 2
                 and inspect(daemon, name)["State"]["Status"] == "exited")
        time.sleep(1.0)   # no third restart
        info = inspect(daemon, name)
        assert info["RestartCount"] == 2 and info["State"]["ExitCode"] == 3
        assert docker(daemon, "logs", name).stdout.count("attempt") == 3
    finally:
        docker(daemon, "rm", "-f", name)


def test_on_failure_does_not_restart_success(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--restart", "on-failure", "busybox", "true",
           check=True)
    try:
        time.sleep(1.0)
        assert inspect(daemon, name)["RestartCount"] == 0
    finally:
        docker(daemon, "rm", "-f", name)


def test_always_restarts_with_backoff_until_stopped(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--restart", "always", "busybox", "true",
           check=True)
    try:
        t0 = time.monotonic()
        wait_for(lambda: inspect(daemon, name)["RestartCount"] >= 4)
        # back-off 0.1 + 0.2 + 0.4 (+ run times) before the 4th restart
        assert time.monotonic() - t0 > 0.6
        docker(daemon, "stop", name, check=True)
        count = inspect(daemon, name)["RestartCount"]
        time.sleep(1.5)
        info = inspect(daemon, name)
        assert info["State"]["Status"] == "exited" and info["RestartCount"] == count
    finally:
        docker(daemon, "rm", "-f", name)


def test_restart_and_rm_conflict(daemon: Daemon) -> None:
    r = docker(daemon, "run", "--rm", "--restart", "always", "busybox", "true")
    assert r.returncode != 0 and "cannot specify both --restart and --rm" in r.stderr



def test_policies_across_daemon_restart(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "300",
           check=True)
    docker(d, "run", "-d", "--name", "unless", "--restart", "unless-stopped", "busybox",
           "sleep", "300", check=True)
    docker(d, "run", "-d", "--name", "dies", "--restart", "always", "busybox", "sh", "-c",
           "sleep 1; exit 5", check=True)
    docker(d, "run", "-d", "--name", "plain", "busybox", "sleep", "300", check=True)
    docker(d, "stop", "-t", "0", "always", "unless", "plain", check=True)
    d.kill9()
    time.sleep(1.5)   # "dies" ends while no daemon runs
    d.start()
    assert inspect(d, "always")["State"]["Running"]        # always: started at boot
    assert not inspect(d, "unless")["State"]["Running"]    # stopped by the user: stays
    assert not inspect(d, "plain")["State"]["Running"]
    wait_for(lambda: inspect(d, "dies")["RestartCount"] >= 1)
    docker(d, "rm", "-f", "always", "unless", "dies", "plain", check=True)


def test_healthcheck_states_and_events(daemon: Daemon, name: str) -> None:
    since = str(int(time.time()) - 1)
    docker(daemon, "run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok",
           "--health-interval", "200ms", "--health-retries", "2", "--health-timeout", "2s",
           "busybox", "sleep", "300", check=True)
    try:
        assert inspect(daemon, name)["State"]["Health"]["Status"] == "starting"
        wait_for(lambda: inspect(daemon, name)["State"]["Health"]["Status"] == "unhealthy")
        r = docker(daemon, "ps", "--filter", f"name={name}", "--format", "{{.Status}}")
        assert "(unhealthy)" in r.stdout
        docker(daemon, "exec", name, "touch", "/tmp/ok", check=True)
        wait_for(lambda: inspect(daemon, name)["State"]["Health"]["Status"] == "healthy")
        health = inspect(daemon, name)["State"]["Health"]
        assert health["FailingStreak"] == 0 and health["Log"][-1]["ExitCode"] == 0
        assert len(health["Log"]) <= 5
        r = docker(daemon, "ps", "--filter", f"name={name}", "--format", "{{.Status}}")
        assert "(healthy)" in r.stdout
        client = docker_sdk.DockerClient(base_url=daemon.host, version="auto")
        try:
            events = client.events(since=since, until=str(int(time.time()) + 1), decode=True,
                                   filters={"container": name})
            actions = [e["Action"] for e in events]
        finally:
            client.close()
        assert "health_status: unhealthy" in actions and "health_status: healthy" in actions
    finally:
        docker(daemon, "rm", "-f", name)


def test_healthcheck_timeout_and_start_period(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "--health-cmd", "sleep 5",
           "--health-interval", "200ms", "--health-timeout", "300ms", "--health-retries", "1",
           "busybox", "sleep", "300", check=True)
    try:
        wait_for(lambda: inspect(daemon, name)["State"]["Health"]["Status"] == "unhealthy")
        log = inspect(daemon, name)["State"]["Health"]["Log"][-1]
        assert log["ExitCode"] == -1 and "exceeded timeout" in log["Output"]
    finally:
        docker(daemon, "rm", "-f", name)


def test_no_healthcheck_means_no_health(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "30", check=True)
    try:
        assert "Health" not in inspect(daemon, name)["State"]
    finally:
        docker(daemon, "rm", "-f", name)


def test_pause_unpause_freezes_processes(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
           "while :; do echo x; sleep 0.1; done", check=True)
    try:
        time.sleep(0.3)
        docker(daemon, "pause", name, check=True)
        assert inspect(daemon, name)["State"]["Status"] == "paused"
        assert "(Paused)" in docker(daemon, "ps", "-f", f"name={name}", "--format",
                                    "{{.Status}}").stdout
        n1 = len(docker(daemon, "logs", name).stdout.splitlines())
        time.sleep(0.6)
        n2 = len(docker(daemon, "logs", name).stdout.splitlines())
        assert n1 == n2
        r = docker(daemon, "pause", name)
        assert r.returncode != 0 and "is already paused" in r.stderr
        client = docker_sdk.DockerClient(base_url=daemon.host, version="auto")
        try:
            client.containers.get(name).unpause()
        finally:
            client.close()
        time.sleep(0.5)
        assert len(docker(daemon, "logs", name).stdout.splitlines()) > n2
        r = docker(daemon, "unpause", name)
        assert r.returncode != 0 and "is not paused" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_update_changes_live_limits(daemon: Daemon, name: str) -> None:
    docker(daemon, "run", "-d", "--name", name, "-m", "64m", "busybox", "sleep", "300",
           check=True)
    try:
        docker(daemon, "update", "-m", "96m", "--memory-swap", "200m", "--pids-limit", "30",
               name, check=True)
        r = docker(daemon, "exec", name, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                   "/sys/fs/cgroup/pids/pids.max", check=True)
        assert r.stdout.split() == [str(96 * 1024 * 1024), "30"]
        client = docker_sdk.DockerClient(base_url=daemon.host, version="auto")
        try:
            client.containers.get(name).update(cpu_quota=25000, cpu_period=100000)
        finally:
            client.close()
        r = docker(daemon, "exec", name, "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", check=True)
        assert r.stdout.strip() == "25000"
        assert inspect(daemon, name)["HostConfig"]["Memory"] == 96 * 1024 * 1024
        docker(daemon, "update", "--restart", "always", name, check=True)
        assert inspect(daemon, name)["HostConfig"]["RestartPolicy"]["Name"] == "always"
    finally:
        docker(daemon, "rm", "-f", name)
