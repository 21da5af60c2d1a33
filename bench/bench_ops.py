"""Benchmark: the cost of ``stats``, dockyard vs Docker.

    .venv/bin/python bench/bench_ops.py [--runs 5] [--containers 5] [--seconds 10]

Run by hand, as root; never by CI. It reuses bench_run.py's approach (hostprocs.py): each
engine gets a private state directory under a fresh ``/tmp/dockyard-bench-ops-*``; dockerd
(Docker 20.10 from Debian, if installed) runs with ``--bridge=none --iptables=false``, its own
roots, socket and cgroup parent; everything is stopped by pid and removed at the end, also on
Ctrl-C or an error. Containers run with ``--network none`` on both engines.

Measured, per engine, over the raw API on the unix socket:

  stats stream=0            time of one ``GET /containers/{id}/stats?stream=0`` (two samples
                            about a second apart, as Docker sends it), median of --runs
  stats one-shot            time of one ``...?stream=0&one-shot=1`` (one sample), median
  stream CPU                CPU time the engine's processes use while --containers streams
                            (``stream=1``, one per container) run for --seconds: the daemon
                            plus its helpers (containerd and shims for Docker, which read
                            the cgroups there), from /proc/<pid>/stat

and printed with dockyard's ratio to Docker (lower is better).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hostprocs import (CGROUP_ROOT, BenchError, Section, api, busybox_tar, kill_matching,
                       processes, remove_cgroup_tree, run, runc_delete_all, say, spawn_daemon,
                       stop_daemon, unmount_under, wait_ping)

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
DOCKER_CGROUP_PARENT = "dockyard-bench-ops-docker"
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    label: str
    stream0: list[float] = field(default_factory=list)
    oneshot: list[float] = field(default_factory=list)
    cpu_s: float | None = None
    frames: int = 0
    note: str = ""


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of ``pids`` (exited ones count 0), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / _TICK


def time_get(sock: str, url: str, runs: int, timeout: float) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        status, reply = api(sock, "GET", url, timeout=timeout)
        if status != 200:
            raise BenchError(f"GET {url}: HTTP {status}: {str(reply)[:300]}")
        out.append(time.perf_counter() - t0)
    return out


def stream_for(sock: str, cid: str, seconds: float, counts: list[int], i: int) -> None:
    """Read ``stats?stream=1`` for ``seconds``, counting frames (one JSON per line)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(seconds + 5)
    try:
        s.connect(sock)
        s.sendall(f"GET /containers/{cid}/stats?stream=1 HTTP/1.1\r\nHost: d\r\n\r\n".encode())
        deadline = time.monotonic() + seconds
        buf = b""
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            if not chunk:
                break
            buf += chunk
            counts[i] += buf.count(b"}\n")
            buf = buf[buf.rfind(b"\n") + 1:]
    finally:
        s.close()


def measure(label: str, sock: str, engine_pids: Callable[[], list[int]], args: argparse.Namespace,
            sec: Section) -> Result:
    res = Result(label)
    ids = []
    body = {"Image": "busybox", "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": "none"}}
    sec.defer(f"{label} containers", lambda: [api(sock, "DELETE", f"/containers/{c}?force=1",
                                                  timeout=args.timeout) for c in ids])
    for _ in range(args.containers):
        status, reply = api(sock, "POST", "/containers/create", body, args.timeout)
        if status != 201:
            raise BenchError(f"create: HTTP {status}: {reply}")
        ids.append(reply["Id"])
        status, reply = api(sock, "POST", f"/containers/{ids[-1]}/start", None, args.timeout)
        if status not in (204, 304):
            raise BenchError(f"start: HTTP {status}: {reply}")
    time_get(sock, f"/containers/{ids[0]}/stats?stream=0&one-shot=1", 1, args.timeout)  # warm
    res.stream0 = time_get(sock, f"/containers/{ids[0]}/stats?stream=0", args.runs, args.timeout)
    res.oneshot = time_get(sock, f"/containers/{ids[0]}/stats?stream=0&one-shot=1", args.runs,
                           args.timeout)
    counts = [0] * len(ids)
    threads = [threading.Thread(target=stream_for, args=(sock, cid, args.seconds, counts, i))
               for i, cid in enumerate(ids)]
    pids = engine_pids()
    before = cpu_seconds(pids)
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 30)
    res.cpu_s = cpu_seconds(pids + [p for p in engine_pids() if p not in pids]) - before
    res.frames = sum(counts)
    say(f"  {label}: stream=0 median {statistics.median(res.stream0) * 1000:.0f} ms, one-shot "
        f"median {statistics.median(res.oneshot) * 1000:.1f} ms, {res.frames} frames in "
        f"{args.seconds:.0f}s on {len(ids)} streams, engine CPU {res.cpu_s:.2f}s")
    return res


def section_dockyard(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    root = work / "dockyard"
    data, exe = root / "data", root / "exec"
    exe.mkdir(parents=True)
    sock = str(exe / "dockyard.sock")
    log = root / "dockyardd.log"
    daemon = spawn_daemon([args.dockyardd, "--data-root", str(data), "--exec-root", str(exe),
                           "-H", f"unix://{sock}", "--log-file", str(log)], root / "stdout.log")
    sec.defer("leftover mounts", lambda: unmount_under(root))
    sec.defer("leftover runc containers", lambda: runc_delete_all(exe / "runc"))
    sec.defer("leftover conmon", lambda: kill_matching(("conmon",), str(root)))
    sec.defer("stop dockyardd", lambda: stop_daemon(daemon, "dockyardd", 15))
    wait_ping(sock, daemon, "dockyardd", log, 30)
    status, reply = api(sock, "POST", "/dockyard/images/bootstrap?name=busybox", timeout=120)
    if status != 200:
        raise BenchError(f"bootstrap busybox: HTTP {status}: {reply}")
    # dockyardd reads the cgroups itself: its own process is the whole cost (conmon idles).
    return measure("dockyardd", sock, lambda: [daemon.pid], args, sec)


def section_docker(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise BenchError("dockerd is not installed (apt-get install docker.io)")
    root = work / "docker"
    data, exe = root / "data", root / "exec"
    exe.mkdir(parents=True)
    sock = str(root / "docker.sock")
    log = root / "dockerd.log"
    key = Path("/etc/docker/key.json")
    had_key = key.exists()
    if any(CGROUP_ROOT.glob(f"*/{DOCKER_CGROUP_PARENT}")):
        raise BenchError(f"cgroup {DOCKER_CGROUP_PARENT} already exists (another bench running?)")
    config = root / "daemon.json"
    config.write_text("{}\n")
    daemon = spawn_daemon([dockerd, "--config-file", str(config), "--data-root", str(data),
                           "--exec-root", str(exe), "--pidfile", str(root / "dockerd.pid"),
                           "-H", f"unix://{sock}", "--bridge=none", "--iptables=false",
                           "--ip-masq=false", "--ip6tables=false", "--userland-proxy=false",
                           "--cgroup-parent", f"/{DOCKER_CGROUP_PARENT}", "--log-level", "warn"],
                          log)
    sec.defer("cgroups", lambda: remove_cgroup_tree(DOCKER_CGROUP_PARENT))
    sec.defer("key.json", lambda: None if had_key or not key.exists() else key.unlink())
    sec.defer("leftover mounts", lambda: unmount_under(root))
    sec.defer("leftover containerd/shims", lambda: kill_matching(
        ("containerd", "containerd-shim", "containerd-shim-runc-v2"), str(exe)))
    sec.defer("stop dockerd", lambda: stop_daemon(daemon, "dockerd", 30))
    wait_ping(sock, daemon, "dockerd", log, 60)
    run([args.docker, "-H", f"unix://{sock}", "import", str(busybox_tar(root)), "busybox:latest"],
        timeout=120)

    def engine_pids() -> list[int]:
        # dockerd, its containerd, and the shims (they read the cgroups for Docker)
        table = processes()
        return [daemon.pid] + [p.pid for p in table.values()
                               if p.comm.startswith("containerd") and str(exe) in p.args]

    return measure("dockerd + containerd", sock, engine_pids, args, sec)


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def report(results: dict[str, Result], args: argparse.Namespace) -> None:
    dy, dk = results.get("dockyard"), results.get("docker")
    say()
    say(f"{'':30s} {'dockyardd':>12s} {'Docker':>12s} {'ratio':>8s}")

    def row(what: str, get: Callable[[Result], float | None], fmt: str) -> None:
        a = get(dy) if dy else None
        b = get(dk) if dk else None
        show = lambda v: (fmt % v) if v is not None else "-"  # noqa: E731
        say(f"{what:30s} {show(a):>12s} {show(b):>12s} {ratio(a, b):>8s}")

    med = lambda xs: statistics.median(xs) * 1000 if xs else None  # noqa: E731
    row("stats stream=0 (ms, median)", lambda r: med(r.stream0), "%.0f")
    row("stats one-shot (ms, median)", lambda r: med(r.oneshot), "%.1f")
    row(f"stream CPU, {args.containers}x{args.seconds:.0f}s (s)", lambda r: r.cpu_s, "%.3f")
    row("  frames received", lambda r: float(r.frames), "%.0f")
    row("  CPU per frame (ms)", lambda r: r.cpu_s * 1000 / r.frames if r.frames and
        r.cpu_s is not None else None, "%.2f")
    for r in results.values():
        if r.note:
            say(f"{r.label}: {r.note}")
    say("(ratio = dockyard / Docker; lower is better)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="timed stats requests per kind")
    p.add_argument("--containers", type=int, default=5, help="containers (and streams)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the stream phase")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--engines", default="dockyard,docker")
    p.add_argument("--docker", default="/usr/local/bin/docker", help="the docker CLI")
    p.add_argument("--dockyardd", default=str(VENV_BIN / "dockyardd"))
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        say("bench_ops.py must run as root (it starts container engines)")
        return 2

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-ops-", dir="/tmp"))
    sections = {"dockyard": section_dockyard, "docker": section_docker}
    results: dict[str, Result] = {}
    say(f"work dir {work}; {args.runs} requests per kind, {args.containers} containers, "
        f"{args.seconds:.0f}s of streams; {os.cpu_count()} CPUs")
    try:
        for name in (e.strip() for e in args.engines.split(",") if e.strip()):
            if name not in sections:
                say(f"unknown engine {name!r}")
                continue
            say(f"\n== {name}")
            sec = Section(name)
            try:
                results[name] = sections[name](args, work, sec)
            except BenchError as exc:
                say(f"  {name} FAILED: {exc}")
            finally:
                sec.close()
    except KeyboardInterrupt:
        say("\ninterrupted: everything started was stopped")
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"kept {work}")
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
