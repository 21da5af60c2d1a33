"""Benchmark: a chatty container's logs, dockyard vs Docker.

    .venv/bin/python bench/bench_logs.py [--lines 1000000] [--runs 3]

Run by hand, as root; never by CI. Each engine gets private state under a fresh
``/tmp/dockyard-bench-logs-*`` (engines.py: dockyardd, and Docker 20.10 with no network of
its own); containers run with ``--network none``; everything is stopped by pid and removed
at the end, also on Ctrl-C. The same docker CLI drives both engines. Timed, per engine:

  run (attached)       ``docker run --name c busybox sh -c 'yes <line> | head -n N'`` with
                       its output to /dev/null: until the CLI has the exit status
  logs                 ``docker logs c`` to /dev/null, all N lines (median of --runs)
  logs --tail 10       the last ten lines of the same log
  logs -f (to exit)    ``docker logs -f`` of a container still printing N lines, until it ends

and printed with dockyard's ratio to Docker (lower is better). Much of ``logs`` is the docker
CLI itself (one frame per line to demultiplex and write): the same for both engines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from engines import Engine, engine_arguments, is_root, start_dockerd, start_dockyardd
from hostprocs import BenchError, Section, run_in_work_dir, say

DOCKER_CGROUP_PARENT = "dockyard-bench-logs-docker"
LINE = "a-log-line-of-about-forty-bytes-0123456789"


def _timed(cmd: list[str], env: dict[str, str], timeout: float) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)}: {proc.returncode}: {proc.stderr.decode()[-400:]}")
    return elapsed


def measure(eng: Engine, args: argparse.Namespace, sec: Section) -> dict[str, float]:
    script = f"yes {LINE} | head -n {args.lines}"
    names: list[str] = []

    def rm_all() -> None:
        if names:
            subprocess.run(eng.cli("rm", "-f", *names), env=eng.env, capture_output=True,
                           timeout=120)

    sec.defer("remove the containers", rm_all)
    out: dict[str, list[float]] = {"run (attached)": [], "logs": [], "logs --tail 10": [],
                                   "logs -f (to exit)": []}
    for i in range(args.runs):
        name = f"benchlogs{i}"
        names.append(name)
        out["run (attached)"].append(_timed(eng.cli("run", "--name", name, "--network", "none",
                                                     "busybox", "sh", "-c", script),
                                            eng.env, args.timeout))
        out["logs"].append(_timed(eng.cli("logs", name), eng.env, args.timeout))
        out["logs --tail 10"].append(_timed(eng.cli("logs", "--tail", "10", name), eng.env,
                                            args.timeout))
        follow = f"benchfollow{i}"
        names.append(follow)
        subprocess.run(eng.cli("create", "--name", follow, "--network", "none", "busybox", "sh",
                               "-c", f"sleep 1; {script}"), env=eng.env, check=True,
                       capture_output=True, timeout=60)
        subprocess.run(eng.cli("start", follow), env=eng.env, check=True, capture_output=True,
                       timeout=60)
        out["logs -f (to exit)"].append(_timed(eng.cli("logs", "-f", follow), eng.env,
                                               args.timeout))
        say(f"  run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in out.items()))
    return {k: statistics.median(v) for k, v in out.items()}


def section_dockyard(args: argparse.Namespace, work: Path, sec: Section) -> dict[str, float]:
    return measure(start_dockyardd(work / "dockyard", sec, args.dockyardd, args.docker), args, sec)


def section_docker(args: argparse.Namespace, work: Path, sec: Section) -> dict[str, float]:
    return measure(start_dockerd(work / "docker", sec, args.docker, DOCKER_CGROUP_PARENT), args, sec)


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    dy, dk = results.get("dockyard", {}), results.get("docker", {})
    say()
    say(f"{args.lines} lines of {len(LINE) + 1} bytes; medians of {args.runs} runs (seconds)")
    say(f"{'':22s} {'dockyardd':>10s} {'Docker':>10s} {'ratio':>8s}")
    for row in ("run (attached)", "logs", "logs --tail 10", "logs -f (to exit)"):
        a, b = dy.get(row), dk.get(row)
        ratio = f"{a / b:.2f}x" if a is not None and b else "n/a"
        say(f"{row:22s} {a if a is not None else float('nan'):10.3f} "
            f"{b if b is not None else float('nan'):10.3f} {ratio:>8s}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--timeout", type=float, default=300)
    engine_arguments(p)
    args = p.parse_args(argv)
    if not is_root("bench_logs.py"):
        return 2
    results, wd = run_in_work_dir(
        "dockyard-bench-logs-", args, {"dockyard": section_dockyard, "docker": section_docker},
        lambda path: f"work dir {path}; {args.lines} lines, {args.runs} runs; {os.cpu_count()} CPUs")
    if wd.interrupted:
        return 130
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
