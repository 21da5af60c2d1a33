"""Benchmark: the cost of ``exec`` and ``stats``, dockyard vs Docker.

    .venv/bin/python bench/bench_ops.py [--exec-runs 30] [--runs 5] [--containers 5] [--seconds 10]
    .venv/bin/python bench/bench_ops.py --parts exec        # exec latency only

Run by hand, as root; never by CI. It reuses bench_run.py's approach (hostprocs.py): each
engine gets a private state directory under a fresh ``/tmp/dockyard-bench-ops-*``; dockerd
(Docker 20.10 from Debian, if installed) runs with ``--bridge=none --iptables=false``, its own
roots, socket and cgroup parent; everything is stopped by pid and removed at the end, also on
Ctrl-C or an error. Containers run with ``--network none`` on both engines.

Measured, per engine:

  docker exec c true        wall time of the docker CLI (the same /usr/local/bin/docker for
                            both engines) running ``exec <c> true`` in a running ``sleep``
                            container: exec create, start (hijacked), inspect for the exit
                            code; one warm-up, then median and p90 of --exec-runs
  API exec create+start     the same without the CLI: ``POST /containers/{id}/exec``, then
                            ``POST /exec/{id}/start`` with ``Upgrade: tcp``, read until the
                            engine closes the stream (the process has ended); median and p90

and, over the raw API on the unix socket:

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
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from engines import Engine, engine_arguments, is_root, start_dockerd, start_dockyardd
from hostprocs import BenchError, Section, api, cpu_seconds, hijack, run, run_in_work_dir, say
from measure import pct

DOCKER_CGROUP_PARENT = "dockyard-bench-ops-docker"


@dataclass
class Result:
    label: str
    stream0: list[float] = field(default_factory=list)
    oneshot: list[float] = field(default_factory=list)
    cpu_s: float | None = None
    frames: int = 0
    exec_cli: list[float] = field(default_factory=list)
    exec_create: list[float] = field(default_factory=list)
    exec_start: list[float] = field(default_factory=list)
    exec_api: list[float] = field(default_factory=list)
    note: str = ""


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


def time_exec(eng: Engine, cid: str, runs: int, timeout: float, res: Result) -> None:
    """``docker exec <c> true`` through the CLI, then the raw API pair: exec create, and exec
    start hijacked (``Upgrade: tcp``) and read until the engine closes the stream."""
    cmd = eng.cli("exec", cid, "true")
    for i in range(runs + 1):  # run 0 warms up
        t0 = time.perf_counter()
        run(cmd, timeout=timeout)
        if i:
            res.exec_cli.append(time.perf_counter() - t0)
    body = {"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True}
    for i in range(runs + 1):
        t0 = time.perf_counter()
        status, reply = api(eng.sock, "POST", f"/containers/{cid}/exec", body, timeout)
        if status != 201:
            raise BenchError(f"exec create: HTTP {status}: {reply}")
        t1 = time.perf_counter()
        hijack(eng.sock, f"/exec/{reply['Id']}/start", {"Detach": False, "Tty": False}, timeout)
        t2 = time.perf_counter()
        if i:
            res.exec_create.append(t1 - t0)
            res.exec_start.append(t2 - t1)
            res.exec_api.append(t2 - t0)
    ms = lambda xs: f"median {statistics.median(xs) * 1000:.1f} / p90 {pct(xs, 0.9) * 1000:.1f} ms"  # noqa: E731
    say(f"  {eng.label}: docker exec {ms(res.exec_cli)}; API create+start {ms(res.exec_api)} "
        f"(create {statistics.median(res.exec_create) * 1000:.1f}, start "
        f"{statistics.median(res.exec_start) * 1000:.1f})")


def measure(label: str, eng: Engine, engine_pids: Callable[[], list[int]],
            args: argparse.Namespace, sec: Section) -> Result:
    res = Result(label)
    sock = eng.sock
    ids: list[str] = []
    body = {"Image": "busybox", "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": "none"}}
    sec.defer(f"{label} containers", lambda: [api(sock, "DELETE", f"/containers/{c}?force=1",
                                                  timeout=args.timeout) for c in ids])
    parts = {p.strip() for p in args.parts.split(",")}
    for _ in range(args.containers if "stats" in parts else 1):
        status, reply = api(sock, "POST", "/containers/create", body, args.timeout)
        if status != 201:
            raise BenchError(f"create: HTTP {status}: {reply}")
        ids.append(reply["Id"])
        status, reply = api(sock, "POST", f"/containers/{ids[-1]}/start", None, args.timeout)
        if status not in (204, 304):
            raise BenchError(f"start: HTTP {status}: {reply}")
    if "exec" in parts:
        time_exec(eng, ids[0], args.exec_runs, args.timeout, res)
    if "stats" in parts:
        measure_stats(label, sock, ids, engine_pids, args, res)
    return res


def measure_stats(label: str, sock: str, ids: list[str], engine_pids: Callable[[], list[int]],
                  args: argparse.Namespace, res: Result) -> None:
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


def section_dockyard(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    eng = start_dockyardd(work / "dockyard", sec, args.dockyardd, args.docker)
    # dockyardd reads the cgroups itself: its own process is the whole cost (conmon idles).
    return measure("dockyardd", eng, lambda: [eng.proc.pid], args, sec)


def section_docker(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    eng = start_dockerd(work / "docker", sec, args.docker, DOCKER_CGROUP_PARENT)
    # dockerd, its containerd, and the shims (they read the cgroups for Docker)
    return measure("dockerd + containerd", eng, eng.pids, args, sec)


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
    p90 = lambda xs: pct(xs, 0.9) * 1000 if xs else None  # noqa: E731
    if any(r.exec_cli for r in results.values()):
        row("docker exec c true (ms, median)", lambda r: med(r.exec_cli), "%.1f")
        row("docker exec c true (ms, p90)", lambda r: p90(r.exec_cli), "%.1f")
        row("API exec create+start (median)", lambda r: med(r.exec_api), "%.1f")
        row("API exec create+start (p90)", lambda r: p90(r.exec_api), "%.1f")
        row("  exec create (ms, median)", lambda r: med(r.exec_create), "%.1f")
        row("  exec start, hijacked (median)", lambda r: med(r.exec_start), "%.1f")
    if not any(r.frames or r.stream0 for r in results.values()):
        say("(ratio = dockyard / Docker; lower is better)")
        return
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
    p.add_argument("--parts", default="exec,stats", help="comma-separated subset of exec,stats")
    p.add_argument("--exec-runs", type=int, default=30, help="timed execs per kind (default 30)")
    engine_arguments(p)
    args = p.parse_args(argv)
    if not is_root("bench_ops.py"):
        return 2

    results, wd = run_in_work_dir(
        "dockyard-bench-ops-", args, {"dockyard": section_dockyard, "docker": section_docker},
        lambda path: f"work dir {path}; {args.runs} requests per kind, {args.containers} "
                     f"containers, {args.seconds:.0f}s of streams; {os.cpu_count()} CPUs")
    if wd.interrupted:
        return 130
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
