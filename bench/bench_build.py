"""Benchmark: a cold build and a fully cached rebuild of a multi-stage 10-step Dockerfile.

    .venv/bin/python bench/bench_build.py [--runs 5] [--engines dockyard,docker,buildkit]

Run by hand, as root; never by CI. The same docker CLI builds the same context against
dockyardd (the classic builder path, DOCKER_BUILDKIT=0) and against a private Docker 20.10
(classic builder, and BuildKit when the CLI has buildx). Each engine runs on private roots
under a fresh /tmp/dockyard-bench-build-*; dockerd has no network of its own
(engines.NO_NETWORK), so builds use ``--network none`` everywhere. Prints the cold time (one
``--no-cache`` build), the median of ``--runs`` cached rebuilds, and dockyard's ratio to
Docker (target: cached rebuild at most 0.5x Docker's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

from engines import Engine, start_dockerd, start_dockyardd
from hostprocs import BenchError, Section, run, say

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"

DOCKERFILE = """\
FROM busybox AS gen
ARG N=400
RUN mkdir -p /work && cd /work && i=0; while [ $i -lt $N ]; do echo "file $i" > f$i; i=$((i+1)); done
COPY src/ /src/
RUN cat /src/* > /all && echo done > /marker
FROM busybox
ENV APP=/app
WORKDIR /app
COPY --from=gen /work/ ./data/
COPY --from=gen /all /marker ./
LABEL bench=build
CMD ["cat", "/app/marker"]
"""


def make_context(root: Path) -> Path:
    ctx = root / "ctx"
    (ctx / "src").mkdir(parents=True)
    for i in range(200):
        (ctx / "src" / f"s{i:03d}.txt").write_text(f"source {i}\n" * 20)
    (ctx / "src" / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    return ctx


def time_builds(eng: Engine, ctx: Path, tag: str, runs: int, timeout: float,
                buildkit: bool) -> tuple[float, list[float]]:
    env = dict(eng.env, DOCKER_BUILDKIT="1" if buildkit else "0")
    base = ["build", "--network", "none", "-q", "-t", tag]
    t0 = time.perf_counter()
    run(eng.cli(*base, "--no-cache", str(ctx)), timeout=timeout, env=env)
    cold = time.perf_counter() - t0
    cached = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run(eng.cli(*base, str(ctx)), timeout=timeout, env=env)
        cached.append(time.perf_counter() - t0)
    return cold, cached


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="cached rebuilds per engine")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--engines", default="dockyard,docker,buildkit")
    p.add_argument("--docker", default="/usr/local/bin/docker")
    p.add_argument("--dockyardd", default=str(VENV_BIN / "dockyardd"))
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        say("bench_build.py must run as root")
        return 2

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    work = Path(tempfile.mkdtemp(prefix="dockyard-bench-build-", dir="/tmp"))
    ctx = make_context(work)
    results: dict[str, tuple[float, list[float]]] = {}
    wanted = [e.strip() for e in args.engines.split(",") if e.strip()]
    try:
        if "dockyard" in wanted:
            sec = Section("dockyard")
            try:
                eng = start_dockyardd(work / "dockyard", sec, args.dockyardd, args.docker)
                results["dockyard (classic)"] = time_builds(eng, ctx, "bench-build:1", args.runs,
                                                            args.timeout, False)
            except BenchError as exc:
                say(f"dockyard FAILED: {exc}")
            finally:
                sec.close()
        if {"docker", "buildkit"} & set(wanted):
            sec = Section("docker")
            try:
                eng = start_dockerd(work / "docker", sec, args.docker, "dockyard-bench-build")
                if "docker" in wanted:
                    results["Docker 20.10 classic"] = time_builds(eng, ctx, "bench-build:1",
                                                                  args.runs, args.timeout, False)
                if "buildkit" in wanted:
                    has_buildx = run([args.docker, "buildx", "version"], timeout=30,
                                     check=False).returncode == 0
                    if has_buildx:
                        results["Docker 20.10 BuildKit"] = time_builds(
                            eng, ctx, "bench-build:2", args.runs, args.timeout, True)
                    else:
                        say("BuildKit row skipped: the docker CLI has no buildx plugin here")
            except BenchError as exc:
                say(f"docker FAILED: {exc}")
            except Exception:  # noqa: BLE001 - never skip the cleanup
                traceback.print_exc()
            finally:
                sec.close()
    except KeyboardInterrupt:
        say("interrupted: everything started was stopped")
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"\n{'engine':24s} {'cold (s)':>10s} {'cached (s, median)':>20s}")
    for label, (cold, cached) in results.items():
        say(f"{label:24s} {cold:10.2f} {statistics.median(cached):20.3f}")
    dy = results.get("dockyard (classic)")
    for peer in ("Docker 20.10 classic", "Docker 20.10 BuildKit"):
        if dy and peer in results:
            c = statistics.median(dy[1]) / statistics.median(results[peer][1])
            say(f"dockyard / {peer}: cold {dy[0] / results[peer][0]:.2f}x, cached {c:.2f}x "
                f"(target cached <= 0.5x: {'met' if c <= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
