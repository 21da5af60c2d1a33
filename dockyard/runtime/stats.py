"""Container resource statistics from cgroups v1, in the shape of Docker's ``StatsJSON``.

Why pure functions over a *root*: every reader takes the cgroup mount root (normally
``/sys/fs/cgroup``) and the container's cgroup path (``/dockyard/<id>``, see
``spec.CGROUP_PARENT``), and proc readers take the proc root, so unit tests run them on a
fake tree. Nothing here keeps state: the caller pairs two samples for ``precpu_stats``.

Vocabulary (Docker's field names, daemon/stats_unix.go with containerd's cgroups v1 reader)::

    cpu_stats      cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat (ticks), cpu.stat
    system_cpu_usage   /proc/stat "cpu" line: the first 7 fields, ticks -> ns (Docker's way)
    memory_stats   memory.usage_in_bytes / max_usage_in_bytes / failcnt / limit_in_bytes
                   (capped at the host's memory) and a fixed set of memory.stat keys
    pids_stats     pids.current, pids.max ("max" -> no limit, omitted)
    blkio_stats    the CFQ files when they hold entries, else blkio.throttle.io_service_bytes
                   and blkio.throttle.io_serviced
    networks       /proc/<pid>/net/dev without lo, only for a network namespace of its own

A worked example::

    s = sample(cid="ab12...", name="/web", pid=4242, cgroup_path="/dockyard/ab12...")
    s["memory_stats"]["usage"], s["cpu_stats"]["cpu_usage"]["total_usage"]
"""

from __future__ import annotations

import os
import time
from typing import Any

__all__ = [
    "CGROUP_ROOT", "MEMORY_STAT_KEYS", "BLKIO_KEYS", "controller_dir", "read_cpu",
    "read_memory", "read_pids", "read_blkio", "read_net_dev", "own_netns",
    "system_cpu_usage", "online_cpus", "machine_memory", "cgroup_pids", "empty_stats",
    "empty_cpu_stats", "sample", "format_time_ns", "ZERO_TIME",
]

CGROUP_ROOT = "/sys/fs/cgroup"
ZERO_TIME = "0001-01-01T00:00:00Z"
_USER_HZ = 100           # clock ticks per second of cpuacct.stat and /proc/stat
_NS_PER_TICK = 1_000_000_000 // _USER_HZ

#: The memory.stat keys Docker reports on cgroups v1 (its ``raw`` map), sorted as Go encodes.
MEMORY_STAT_KEYS: tuple[str, ...] = tuple(sorted((
    "cache", "rss", "rss_huge", "mapped_file", "dirty", "writeback", "pgpgin", "pgpgout",
    "pgfault", "pgmajfault", "inactive_anon", "active_anon", "inactive_file", "active_file",
    "unevictable", "hierarchical_memory_limit", "hierarchical_memsw_limit",
    "total_cache", "total_rss", "total_rss_huge", "total_mapped_file", "total_dirty",
    "total_writeback", "total_pgpgin", "total_pgpgout", "total_pgfault", "total_pgmajfault",
    "total_inactive_anon", "total_active_anon", "total_inactive_file", "total_active_file",
    "total_unevictable")))

#: BlkioStats fields in Docker's order; with the CFQ file each one is read from.
BLKIO_KEYS: tuple[tuple[str, str], ...] = (
    ("io_service_bytes_recursive", "io_service_bytes_recursive"),
    ("io_serviced_recursive", "io_serviced_recursive"),
    ("io_queue_recursive", "io_queued_recursive"),
    ("io_service_time_recursive", "io_service_time_recursive"),
    ("io_wait_time_recursive", "io_wait_time_recursive"),
    ("io_merged_recursive", "io_merged_recursive"),
    ("io_time_recursive", "time_recursive"),
    ("sectors_recursive", "sectors_recursive"),
)

# Where a controller may be mounted: alone, or co-mounted as distributions do.
_CONTROLLER_DIRS = {
    "cpuacct": ("cpuacct", "cpu,cpuacct", "cpuacct,cpu"),
    "cpu": ("cpu", "cpu,cpuacct", "cpuacct,cpu"),
    "memory": ("memory",),
    "pids": ("pids",),
    "blkio": ("blkio",),
}


def controller_dir(root: str, controller: str, cgroup_path: str) -> str:
    """The directory of ``cgroup_path`` in ``controller``'s v1 hierarchy (first that exists)."""
    rel = cgroup_path.lstrip("/")
    names = _CONTROLLER_DIRS.get(controller, (controller,))
    for name in names:
        d = os.path.join(root, name, rel)
        if os.path.isdir(d):
            return d
    return os.path.join(root, names[0], rel)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0


def _kv(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = _int(parts[1])
    return out


# -- cpu ---------------------------------------------------------------------------------------


def empty_cpu_stats() -> dict[str, Any]:
    """``CPUStats`` of no sample: what Docker sends as the first frame's ``precpu_stats``."""
    return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}


def read_cpu(root: str, cgroup_path: str) -> dict[str, Any]:
    """``cpu_stats`` without the host fields (system_cpu_usage, online_cpus)."""
    acct = controller_dir(root, "cpuacct", cgroup_path)
    total = _int(_read(os.path.join(acct, "cpuacct.usage")))
    percpu = [_int(v) for v in _read(os.path.join(acct, "cpuacct.usage_percpu")).split()]
    ticks = _kv(_read(os.path.join(acct, "cpuacct.stat")))
    usage: dict[str, Any] = {"total_usage": total}
    if percpu:
        usage["percpu_usage"] = percpu
    usage["usage_in_kernelmode"] = ticks.get("system", 0) * _NS_PER_TICK
    usage["usage_in_usermode"] = ticks.get("user", 0) * _NS_PER_TICK
    cpu = _kv(_read(os.path.join(controller_dir(root, "cpu", cgroup_path), "cpu.stat")))
    return {"cpu_usage": usage,
            "throttling_data": {"periods": cpu.get("nr_periods", 0),
                                "throttled_periods": cpu.get("nr_throttled", 0),
                                "throttled_time": cpu.get("throttled_time", 0)}}


def system_cpu_usage(proc_root: str = "/proc") -> int:
    """Host CPU time in ns as Docker computes it: user..softirq of /proc/stat's "cpu" line."""
    for line in _read(os.path.join(proc_root, "stat")).splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu" and len(parts) >= 8:
            return sum(_int(p) for p in parts[1:8]) * _NS_PER_TICK
    return 0


def online_cpus() -> int:
    try:
        return int(os.sysconf("SC_NPROCESSORS_ONLN"))
    except (ValueError, OSError):
        return os.cpu_count() or 1


def machine_memory(proc_root: str = "/proc") -> int:
    for line in _read(os.path.join(proc_root, "meminfo")).splitlines():
        if line.startswith("MemTotal:"):
            return _int(line.split()[1]) * 1024
    return 0


# -- memory, pids, blkio --------------------------------------------------------------------------


def read_memory(root: str, cgroup_path: str, host_memory: int) -> dict[str, Any]:
    """``memory_stats``: zero counters are left out, as Go's ``omitempty`` does."""
    d = controller_dir(root, "memory", cgroup_path)
    raw = _kv(_read(os.path.join(d, "memory.stat")))
    stats = {k: raw.get(k, 0) for k in MEMORY_STAT_KEYS}
    limit = _int(_read(os.path.join(d, "memory.limit_in_bytes")))
    if host_memory > 0 and limit > host_memory:
        limit = host_memory
    out: dict[str, Any] = {}
    for key, fname in (("usage", "memory.usage_in_bytes"),
                       ("max_usage", "memory.max_usage_in_bytes")):
        value = _int(_read(os.path.join(d, fname)))
        if value:
            out[key] = value
    out["stats"] = stats
    failcnt = _int(_read(os.path.join(d, "memory.failcnt")))
    if failcnt:
        out["failcnt"] = failcnt
    if limit:
        out["limit"] = limit
    return out


def read_pids(root: str, cgroup_path: str) -> dict[str, int]:
    d = controller_dir(root, "pids", cgroup_path)
    out: dict[str, int] = {}
    current = _int(_read(os.path.join(d, "pids.current")))
    if current:
        out["current"] = current
    limit = _int(_read(os.path.join(d, "pids.max")))  # "max" reads as 0: no limit
    if limit:
        out["limit"] = limit
    return out


def parse_blkio(text: str) -> list[dict[str, Any]]:
    """Lines ``MAJ:MIN Op value`` (or ``MAJ:MIN value``); the ``Total`` line is skipped."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        fields = line.replace(":", " ").split()
        if len(fields) < 3:
            continue
        op, value = ("", fields[2]) if len(fields) == 3 else (fields[2], fields[3])
        try:
            out.append({"major": int(fields[0]), "minor": int(fields[1]), "op": op,
                        "value": int(value)})
        except ValueError:
            continue
    return out


def read_blkio(root: str, cgroup_path: str) -> dict[str, list[dict[str, Any]]]:
    """containerd's order: the CFQ files when any holds an entry, else the throttle files."""
    d = controller_dir(root, "blkio", cgroup_path)
    out: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in BLKIO_KEYS}
    if os.path.exists(os.path.join(d, "blkio.io_serviced_recursive")):
        for key, fname in BLKIO_KEYS:
            out[key] = parse_blkio(_read(os.path.join(d, f"blkio.{fname}")))
        if any(out.values()):
            return out
    out["io_serviced_recursive"] = parse_blkio(_read(os.path.join(d, "blkio.throttle.io_serviced")))
    out["io_service_bytes_recursive"] = parse_blkio(
        _read(os.path.join(d, "blkio.throttle.io_service_bytes")))
    return out


def cgroup_pids(root: str, cgroup_path: str) -> list[int]:
    """The processes of the container's cgroup (``cgroup.procs``; ``tasks`` as a fallback)."""
    for controller in ("pids", "memory", "cpu", "devices", "freezer"):
        d = controller_dir(root, controller, cgroup_path)
        for fname in ("cgroup.procs", "tasks"):
            text = _read(os.path.join(d, fname))
            if text.strip():
                return sorted({_int(p) for p in text.split() if p.strip().isdigit()})
    return []


# -- network ----------------------------------------------------------------------------------------


def own_netns(pid: int, proc_root: str = "/proc") -> bool:
    """True when ``pid`` has a network namespace other than the daemon's (not host network)."""
    try:
        theirs = os.readlink(os.path.join(proc_root, str(pid), "ns", "net"))
        ours = os.readlink(os.path.join(proc_root, "self", "ns", "net"))
    except OSError:
        return False
    return theirs != ours


def read_net_dev(pid: int, proc_root: str = "/proc") -> dict[str, dict[str, int]]:
    """Per-interface counters from ``/proc/<pid>/net/dev``, loopback left out (as Docker)."""
    out: dict[str, dict[str, int]] = {}
    for line in _read(os.path.join(proc_root, str(pid), "net", "dev")).splitlines()[2:]:
        name, sep, rest = line.partition(":")
        f = rest.split()
        name = name.strip()
        if not sep or name == "lo" or len(f) < 12:
            continue
        v = [_int(x) for x in f]
        out[name] = {"rx_bytes": v[0], "rx_packets": v[1], "rx_errors": v[2],
                     "rx_dropped": v[3], "tx_bytes": v[8], "tx_packets": v[9],
                     "tx_errors": v[10], "tx_dropped": v[11]}
    return out


# -- whole samples ---------------------------------------------------------------------------------


def format_time_ns(ns: int) -> str:
    """Go's RFC3339Nano in UTC from integer nanoseconds (trailing fraction zeros dropped)."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


def _frame(name: str, cid: str) -> dict[str, Any]:
    return {"read": ZERO_TIME, "preread": ZERO_TIME, "pids_stats": {},
            "blkio_stats": {}, "num_procs": 0, "storage_stats": {},
            "cpu_stats": empty_cpu_stats(), "precpu_stats": empty_cpu_stats(),
            "memory_stats": {}, "name": name, "id": cid}


def empty_stats(name: str, cid: str) -> dict[str, Any]:
    """What Docker sends for a container that does not run: only name and id are set."""
    s = _frame(name, cid)
    s["blkio_stats"] = {key: None for key, _ in BLKIO_KEYS}
    return s


def sample(*, cid: str, name: str, pid: int, cgroup_path: str, host_network: bool = False,
           root: str = CGROUP_ROOT, proc_root: str = "/proc",
           host_memory: int | None = None) -> dict[str, Any]:
    """One ``StatsJSON`` of a running container, ``precpu_stats`` still empty."""
    s = _frame(name, cid)
    s["read"] = format_time_ns(time.time_ns())
    s["pids_stats"] = read_pids(root, cgroup_path)
    s["blkio_stats"] = read_blkio(root, cgroup_path)
    cpu = read_cpu(root, cgroup_path)
    # Sampled right after the container's usage, so the two deltas cover the same interval.
    system = system_cpu_usage(proc_root)
    s["cpu_stats"] = {"cpu_usage": cpu["cpu_usage"], "system_cpu_usage": system,
                      "online_cpus": online_cpus(), "throttling_data": cpu["throttling_data"]}
    mem = machine_memory(proc_root) if host_memory is None else host_memory
    s["memory_stats"] = read_memory(root, cgroup_path, mem)
    if pid > 0 and not host_network and own_netns(pid, proc_root):
        nets = read_net_dev(pid, proc_root)
        if nets:
            s["networks"] = nets
    return s
