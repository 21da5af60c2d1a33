"""``docker stats`` / ``docker top`` and the SDK's ``container.stats`` / ``container.top``."""

from __future__ import annotations

import json
import time
from typing import Any

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, docker

MIB = 1024 * 1024
ZERO = "0001-01-01T00:00:00Z"


def run_d(d: Daemon, name: str, *args: str) -> str:
    return docker(d, "run", "-d", "--name", name, *args, check=True).stdout.strip()


def rm(d: Daemon, name: str) -> None:
    docker(d, "rm", "-f", name)


def cli_stats(d: Daemon, name: str) -> dict[str, str]:
    r = docker(d, "stats", "--no-stream", "--format", "{{json .}}", name, check=True, timeout=60)
    return json.loads(r.stdout.strip().splitlines()[-1])


def size_mib(text: str) -> float:
    """``20.5MiB`` / ``512KiB`` / ``1.2GiB`` (the CLI's binary units) in MiB."""
    for unit, scale in (("GiB", 1024.0), ("MiB", 1.0), ("KiB", 1 / 1024), ("B", 1 / MIB)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise AssertionError(f"not a size: {text!r}")


def cpu_percent(s: dict[str, Any]) -> float:
    """The docker CLI's calculateCPUPercentUnix."""
    cpu = s["cpu_stats"]["cpu_usage"]["total_usage"] - s["precpu_stats"]["cpu_usage"]["total_usage"]
    system = s["cpu_stats"].get("system_cpu_usage", 0) - s["precpu_stats"].get("system_cpu_usage", 0)
    online = s["cpu_stats"].get("online_cpus") or len(s["cpu_stats"]["cpu_usage"].get("percpu_usage") or [])
    return cpu / system * online * 100.0 if system > 0 and cpu > 0 else 0.0


def wait_for(pred: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_memory_usage_and_limit_with_cli(daemon: Daemon, name: str) -> None:
    # 24 MiB in /dev/shm (tmpfs: charged to the container's memory cgroup, never inactive_file)
    run_d(daemon, name, "-m", "64m", "--network", "none", "busybox", "sh", "-c",
          "head -c 25165824 /dev/zero > /dev/shm/fill; echo ready; sleep 300")
    try:
        wait_for(lambda: "ready" in docker(daemon, "logs", name).stdout)
        row = cli_stats(daemon, name)
        used, limit = (size_mib(x.strip()) for x in row["MemUsage"].split("/"))
        assert limit == 64.0, row
        assert 23.0 <= used <= 40.0, row
        assert 35.0 <= float(row["MemPerc"].rstrip("%")) <= 63.0, row
        assert row["Name"] == name and row["PIDs"] == "1"
        assert row["NetIO"] == "0B / 0B"   # --network none: no interface but lo
    finally:
        rm(daemon, name)


def test_memory_with_sdk_and_host_memory_cap(daemon: Daemon, client: docker_sdk.DockerClient,
                                             name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sleep", "300")
    try:
        s = client.containers.get(name).stats(stream=False)
        mem = s["memory_stats"]
        assert mem["limit"] == client.info()["MemTotal"]  # no -m: the host's memory
        assert 0 < mem["usage"] < 64 * MIB
        assert "total_inactive_file" in mem["stats"] and "cache" in mem["stats"]
        assert s["name"] == f"/{name}" and len(s["id"]) == 64
        assert "networks" not in s
    finally:
        rm(daemon, name)


def test_busy_loop_shows_cpu(daemon: Daemon, client: docker_sdk.DockerClient, name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sh", "-c", "while :; do :; done")
    try:
        s = client.containers.get(name).stats(stream=False)
        assert s["preread"] != ZERO and s["read"] > s["preread"]
        assert s["cpu_stats"]["online_cpus"] >= 1
        assert len(s["cpu_stats"]["cpu_usage"]["percpu_usage"]) >= 1
        assert cpu_percent(s) > 20.0, s["cpu_stats"]
        row = cli_stats(daemon, name)
        assert float(row["CPUPerc"].rstrip("%")) > 20.0, row
    finally:
        rm(daemon, name)


def test_cpu_quota_is_throttled(daemon: Daemon, client: docker_sdk.DockerClient, name: str) -> None:
    run_d(daemon, name, "--network", "none", "--cpus", "0.2", "busybox", "sh", "-c",
          "while :; do :; done")
    try:
        time.sleep(1.0)
        s = client.containers.get(name).stats(stream=False)
        t = s["cpu_stats"]["throttling_data"]
        assert t["periods"] > 0 and t["throttled_periods"] > 0 and t["throttled_time"] > 0, t
        assert cpu_percent(s) < 60.0
    finally:
        rm(daemon, name)


def test_pids_current_and_limit(daemon: Daemon, client: docker_sdk.DockerClient, name: str) -> None:
    run_d(daemon, name, "--network", "none", "--pids-limit", "50", "busybox", "sh", "-c",
          "sleep 300 & sleep 300 & sleep 300 & wait")
    try:
        c = client.containers.get(name)
        wait_for(lambda: c.stats(stream=False, one_shot=True)["pids_stats"].get("current") == 4)
        s = c.stats(stream=False, one_shot=True)
        assert s["pids_stats"] == {"current": 4, "limit": 50}
        assert cli_stats(daemon, name)["PIDs"] == "4"
    finally:
        rm(daemon, name)


def test_one_shot_has_no_precpu(daemon: Daemon, client: docker_sdk.DockerClient, name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sleep", "300")
    try:
        t0 = time.monotonic()
        s = client.containers.get(name).stats(stream=False, one_shot=True)
        assert time.monotonic() - t0 < 0.9
        assert s["preread"] == ZERO and "system_cpu_usage" not in s["precpu_stats"]
        assert s["cpu_stats"]["system_cpu_usage"] > 0
    finally:
        rm(daemon, name)


def test_stream_sends_a_frame_a_second(daemon: Daemon, client: docker_sdk.DockerClient,
                                       name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sleep", "300")
    try:
        stream = client.containers.get(name).stats(stream=True, decode=True)
        t0 = time.monotonic()
        first, second, third = next(stream), next(stream), next(stream)
        elapsed = time.monotonic() - t0
        stream.close()
        assert first["preread"] == ZERO
        assert second["preread"] == first["read"] and third["preread"] == second["read"]
        assert second["precpu_stats"] == first["cpu_stats"]
        assert 1.5 <= elapsed <= 4.0
    finally:
        rm(daemon, name)


def test_stream_ends_when_the_container_is_removed(daemon: Daemon,
                                                   client: docker_sdk.DockerClient,
                                                   name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sleep", "300")
    try:
        stream = client.containers.get(name).stats(stream=True, decode=True)
        assert next(stream)["pids_stats"]["current"] == 1
        docker(daemon, "kill", name, check=True)
        assert next(stream)["read"] == ZERO          # stopped: zeroed frames go on
        docker(daemon, "rm", name, check=True)
        t0 = time.monotonic()
        rest = list(stream)                          # removed: the stream ends
        assert time.monotonic() - t0 < 5 and all(f["read"] == ZERO for f in rest)
    finally:
        rm(daemon, name)


def test_stopped_container_gets_zeroed_stats(daemon: Daemon, client: docker_sdk.DockerClient,
                                             name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        s = client.containers.get(name).stats(stream=False)
        assert s["read"] == ZERO and s["name"] == f"/{name}"
        assert s["memory_stats"] == {} and s["pids_stats"] == {}
        assert s["blkio_stats"]["io_service_bytes_recursive"] is None
        row = cli_stats(daemon, name)
        assert row["CPUPerc"] == "0.00%" and row["MemUsage"] == "0B / 0B"
    finally:
        rm(daemon, name)


def test_host_network_has_no_networks(daemon: Daemon, client: docker_sdk.DockerClient,
                                      name: str) -> None:
    run_d(daemon, name, "--network", "host", "busybox", "sleep", "300")
    try:
        assert "networks" not in client.containers.get(name).stats(stream=False, one_shot=True)
    finally:
        rm(daemon, name)


def test_own_network_namespace_reports_its_interfaces(daemon: Daemon,
                                                      client: docker_sdk.DockerClient,
                                                      name: str) -> None:
    run_d(daemon, name, "busybox", "sleep", "300")
    try:
        c = client.containers.get(name)
        nets = c.attrs["NetworkSettings"]["Networks"]
        if not any((n or {}).get("IPAddress") for n in nets.values()):
            pytest.skip("no bridge networking in this engine yet")
        s = c.stats(stream=False, one_shot=True)
        assert "lo" not in s["networks"] and "eth0" in s["networks"], s.get("networks")
        assert set(s["networks"]["eth0"]) == {"rx_bytes", "rx_packets", "rx_errors",
                                              "rx_dropped", "tx_bytes", "tx_packets",
                                              "tx_errors", "tx_dropped"}
    finally:
        rm(daemon, name)


def test_stats_of_missing_container(client: docker_sdk.DockerClient) -> None:
    with pytest.raises(docker_sdk.errors.NotFound, match="No such container"):
        client.api.stats("no-such-container-xyz", stream=False)


# -- top -----------------------------------------------------------------------------------------


def test_top_with_cli(daemon: Daemon, name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sh", "-c", "sleep 301 & sleep 302 & wait")
    try:
        wait_for(lambda: "sleep 302" in docker(daemon, "top", name).stdout)
        out = docker(daemon, "top", name, check=True).stdout.splitlines()
        assert out[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
        cmds = [line.split(None, 7)[7] for line in out[1:]]
        assert sorted(cmds) == ["sh -c sleep 301 & sleep 302 & wait", "sleep 301", "sleep 302"], out
        custom = docker(daemon, "top", name, "-o", "pid,comm", check=True).stdout.splitlines()
        assert custom[0].split() == ["PID", "COMMAND"] and len(custom) == 4
    finally:
        rm(daemon, name)


def test_top_with_sdk_and_not_running(daemon: Daemon, client: docker_sdk.DockerClient,
                                      name: str) -> None:
    run_d(daemon, name, "--network", "none", "busybox", "sleep", "300")
    try:
        c = client.containers.get(name)
        top = c.top(ps_args="aux")
        assert top["Titles"][:2] == ["USER", "PID"] and top["Titles"][-1] == "COMMAND"
        assert [p[-1] for p in top["Processes"]] == ["sleep 300"]
        assert top["Processes"][0][1] == str(c.attrs["State"]["Pid"])
        docker(daemon, "kill", name, check=True)
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            c.top()
        assert exc.value.status_code == 409 and "is not running" in str(exc.value)
        r = docker(daemon, "top", name)
        assert r.returncode != 0 and "is not running" in r.stderr
    finally:
        rm(daemon, name)
