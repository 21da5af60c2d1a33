"""cgroups v1 readers of dockyard.runtime.stats on a fake /sys/fs/cgroup and /proc tree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockyard.api.handlers.events_filter import event_matcher, parse_time_ns
from dockyard.api.handlers.stats import parse_ps_output, validate_ps_args
from dockyard.errors import InvalidArgument
from dockyard.runtime import stats

CG = "/dockyard/abc"
GIB = 1 << 30


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    cg = tmp_path / "cg"
    write(cg, "cpuacct/dockyard/abc/cpuacct.usage", "3000000000\n")
    write(cg, "cpuacct/dockyard/abc/cpuacct.usage_percpu", "1000000000 2000000000 \n")
    write(cg, "cpuacct/dockyard/abc/cpuacct.stat", "user 250\nsystem 50\n")
    write(cg, "cpu/dockyard/abc/cpu.stat",
          "nr_periods 10\nnr_throttled 4\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n")
    write(cg, "memory/dockyard/abc/memory.usage_in_bytes", "10485760\n")
    write(cg, "memory/dockyard/abc/memory.max_usage_in_bytes", "20971520\n")
    write(cg, "memory/dockyard/abc/memory.failcnt", "0\n")
    write(cg, "memory/dockyard/abc/memory.limit_in_bytes", "67108864\n")
    write(cg, "memory/dockyard/abc/memory.stat",
          "cache 4096\nrss 8192\nshmem 0\ninactive_file 2048\ntotal_inactive_file 2048\n"
          "total_rss 8192\nhierarchical_memory_limit 67108864\nswap 0\n")
    write(cg, "pids/dockyard/abc/pids.current", "3\n")
    write(cg, "pids/dockyard/abc/pids.max", "max\n")
    write(cg, "pids/dockyard/abc/cgroup.procs", "42\n7\n")
    write(cg, "blkio/dockyard/abc/blkio.throttle.io_service_bytes",
          "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 0\n254:0 Async 12288\n"
          "254:0 Discard 0\n254:0 Total 12288\nTotal 12288\n")
    write(cg, "blkio/dockyard/abc/blkio.throttle.io_serviced", "254:0 Read 1\nTotal 1\n")
    proc = tmp_path / "proc"
    write(proc, "stat", "cpu  100 5 50 1000 10 1 2 7 0 0\ncpu0 50 2 25 500 5 0 1 0 0 0\n")
    write(proc, "meminfo", "MemTotal:        1048576 kB\nMemFree: 10 kB\n")
    write(proc, "42/net/dev",
          "Inter-|   Receive                            |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes ...\n"
          "    lo:     100       1    0    0    0     0          0         0      100"
          "       1    0    0    0     0       0          0\n"
          "  eth0:    5338      36    1    2    0     0          0         0      648"
          "       8    3    4    0     0       0          0\n")
    return tmp_path


def test_cpu_usage_percpu_ticks_and_throttling(tree: Path) -> None:
    cpu = stats.read_cpu(str(tree / "cg"), CG)
    assert cpu["cpu_usage"] == {"total_usage": 3_000_000_000,
                                "percpu_usage": [1_000_000_000, 2_000_000_000],
                                "usage_in_kernelmode": 500_000_000,
                                "usage_in_usermode": 2_500_000_000}
    assert cpu["throttling_data"] == {"periods": 10, "throttled_periods": 4,
                                      "throttled_time": 123456}


def test_system_cpu_usage_sums_seven_fields_as_docker(tree: Path) -> None:
    # user nice system idle iowait irq softirq = 1168 ticks; steal (7) is not counted
    assert stats.system_cpu_usage(str(tree / "proc")) == 1168 * 10_000_000


def test_memory_limit_stats_and_omitted_zero_failcnt(tree: Path) -> None:
    mem = stats.read_memory(str(tree / "cg"), CG, host_memory=GIB)
    assert mem["usage"] == 10485760 and mem["max_usage"] == 20971520
    assert mem["limit"] == 67108864
    assert "failcnt" not in mem
    assert mem["stats"]["total_inactive_file"] == 2048 and mem["stats"]["cache"] == 4096
    # Docker's fixed key set, sorted: no "shmem"/"swap", missing keys are 0
    assert list(mem["stats"]) == sorted(stats.MEMORY_STAT_KEYS)
    assert "shmem" not in mem["stats"] and mem["stats"]["total_cache"] == 0


def test_memory_limit_capped_at_host_memory(tree: Path) -> None:
    write(tree / "cg", "memory/dockyard/abc/memory.limit_in_bytes", "9223372036854771712\n")
    assert stats.read_memory(str(tree / "cg"), CG, host_memory=GIB)["limit"] == GIB
    assert stats.machine_memory(str(tree / "proc")) == GIB


def test_pids_without_limit_and_with(tree: Path) -> None:
    assert stats.read_pids(str(tree / "cg"), CG) == {"current": 3}
    write(tree / "cg", "pids/dockyard/abc/pids.max", "50\n")
    assert stats.read_pids(str(tree / "cg"), CG) == {"current": 3, "limit": 50}


def test_blkio_falls_back_to_throttle_files(tree: Path) -> None:
    b = stats.read_blkio(str(tree / "cg"), CG)
    assert list(b) == [k for k, _ in stats.BLKIO_KEYS]
    assert b["io_service_bytes_recursive"][:2] == [
        {"major": 254, "minor": 0, "op": "Read", "value": 4096},
        {"major": 254, "minor": 0, "op": "Write", "value": 8192}]
    assert len(b["io_service_bytes_recursive"]) == 6  # the bare "Total" line is skipped
    assert b["io_serviced_recursive"] == [{"major": 254, "minor": 0, "op": "Read", "value": 1}]
    assert b["sectors_recursive"] == []


def test_blkio_prefers_cfq_files_when_they_have_entries(tree: Path) -> None:
    write(tree / "cg", "blkio/dockyard/abc/blkio.io_serviced_recursive", "8:0 Read 5\nTotal 5\n")
    write(tree / "cg", "blkio/dockyard/abc/blkio.sectors_recursive", "8:0 16\n")
    b = stats.read_blkio(str(tree / "cg"), CG)
    assert b["io_serviced_recursive"] == [{"major": 8, "minor": 0, "op": "Read", "value": 5}]
    assert b["sectors_recursive"] == [{"major": 8, "minor": 0, "op": "", "value": 16}]
    assert b["io_service_bytes_recursive"] == []


def test_net_dev_skips_loopback(tree: Path) -> None:
    assert stats.read_net_dev(42, str(tree / "proc")) == {"eth0": {
        "rx_bytes": 5338, "rx_packets": 36, "rx_errors": 1, "rx_dropped": 2,
        "tx_bytes": 648, "tx_packets": 8, "tx_errors": 3, "tx_dropped": 4}}


def test_cgroup_pids(tree: Path) -> None:
    assert stats.cgroup_pids(str(tree / "cg"), CG) == [7, 42]
    assert stats.cgroup_pids(str(tree / "cg"), "/dockyard/none") == []


def test_comounted_cpu_cpuacct(tmp_path: Path) -> None:
    write(tmp_path, "cpu,cpuacct/dockyard/abc/cpuacct.usage", "5\n")
    assert stats.read_cpu(str(tmp_path), CG)["cpu_usage"]["total_usage"] == 5


def test_missing_cgroup_reads_as_zero(tmp_path: Path) -> None:
    assert stats.read_cpu(str(tmp_path), CG)["cpu_usage"]["total_usage"] == 0
    assert stats.read_pids(str(tmp_path), CG) == {}


def test_sample_shape_matches_docker(tree: Path) -> None:
    s = stats.sample(cid="abc", name="/web", pid=42, cgroup_path=CG, root=str(tree / "cg"),
                     proc_root=str(tree / "proc"))
    assert list(s) == ["read", "preread", "pids_stats", "blkio_stats", "num_procs",
                       "storage_stats", "cpu_stats", "precpu_stats", "memory_stats", "name",
                       "id"]  # /proc/self/ns/net is absent in the fake tree: no networks
    assert list(s["cpu_stats"]) == ["cpu_usage", "system_cpu_usage", "online_cpus",
                                    "throttling_data"]
    assert s["preread"] == stats.ZERO_TIME and s["read"].endswith("Z")
    assert s["precpu_stats"] == stats.empty_cpu_stats()
    json.dumps(s)


def test_empty_stats_as_docker_sends_for_a_stopped_container() -> None:
    s = stats.empty_stats("/x", "abc")
    assert s["read"] == stats.ZERO_TIME and s["pids_stats"] == {} and s["memory_stats"] == {}
    assert s["blkio_stats"]["io_service_bytes_recursive"] is None
    assert s["cpu_stats"]["cpu_usage"] == {"total_usage": 0, "usage_in_kernelmode": 0,
                                           "usage_in_usermode": 0}


def test_format_time_ns() -> None:
    assert stats.format_time_ns(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123456789Z"
    assert stats.format_time_ns(1_700_000_000_100_000_000) == "2023-11-14T22:13:20.1Z"
    assert stats.format_time_ns(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


def test_own_netns_is_false_without_proc(tmp_path: Path) -> None:
    assert stats.own_netns(1, str(tmp_path)) is False
    assert stats.own_netns(os.getpid()) is False  # our own namespace is the host's


# -- top ---------------------------------------------------------------------------------------

PS = ("UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 08:00 ?        00:00:01 /sbin/init\n"
      "root          42       7  0 08:57 ?        00:00:00 sleep 300 with args\n"
      "root          43      42  0 08:57 ?        00:00:00 sh\n")


def test_parse_ps_output_keeps_container_rows_and_merges_command() -> None:
    out = parse_ps_output(PS, [42, 43])
    assert out["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert out["Processes"] == [
        ["root", "42", "7", "0", "08:57", "?", "00:00:00", "sleep 300 with args"],
        ["root", "43", "42", "0", "08:57", "?", "00:00:00", "sh"]]


def test_parse_ps_output_threads_follow_their_process() -> None:
    text = "PID TTY TIME CMD\n 42 ? 00:00:00 app\n  - - 00:00:00 -\n 99 ? 00:00:00 other\n  - - 00:00:00 -\n"
    assert parse_ps_output(text, [42])["Processes"] == [["42", "?", "00:00:00", "app"],
                                                          ["-", "-", "00:00:00", "-"]]


def test_validate_ps_args() -> None:
    validate_ps_args("-o pid,comm")
    validate_ps_args("-o pid=PID")
    with pytest.raises(InvalidArgument, match='specifying "x=PID" is not allowed'):
        validate_ps_args("-o x=PID")


# -- events filters (moby's events.Filter) -----------------------------------------------------

def msg(type_: str, action: str, actor: str, **attrs: str) -> dict[str, object]:
    return {"Type": type_, "Action": action, "scope": "local",
            "Actor": {"ID": actor, "Attributes": attrs}}


def test_event_filters_as_moby() -> None:
    ctr = msg("container", "die", "abcdef", name="web1", image="busybox:latest", a="b",
              exitCode="0")
    img = msg("image", "tag", "sha256:11", name="busybox:latest")
    assert event_matcher({})(ctr)
    assert event_matcher({"container": ["web"]})(ctr)          # a name prefix
    assert event_matcher({"container": ["abc"]})(ctr)          # an id prefix
    assert not event_matcher({"container": ["web"]})(img)      # applies to every type
    assert event_matcher({"image": ["busybox"]})(ctr) and event_matcher({"image": ["busybox"]})(img)
    assert event_matcher({"event": ["die"], "type": ["container"]})(ctr)
    assert not event_matcher({"event": ["start"]})(ctr)
    assert event_matcher({"label": ["a=b"]})(ctr)
    assert not event_matcher({"label": ["a=b", "c"]})(ctr)     # every label must hold
    assert not event_matcher({"label": ["a"]})(img)
    assert event_matcher({"event": ["exec_start"]})(msg("container", "exec_start: sh", "x"))
    assert event_matcher({"whatever": ["x"]})(ctr)             # moby ignores unknown keys


def test_parse_time_ns_is_exact() -> None:
    assert parse_time_ns("1796114955.123456789") == 1796114955123456789
    assert parse_time_ns("1796114955.5") == 1796114955500000000
    assert parse_time_ns("1796114955") == 1796114955 * 10**9
    assert parse_time_ns("") == 0
    with pytest.raises(InvalidArgument):
        parse_time_ns("yesterday-ish")
