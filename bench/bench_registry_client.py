"""Benchmark: push and pull of a ~300 MB multi-layer image on loopback, dockyardd vs Docker
20.10 vs skopeo.

    .venv/bin/python bench/bench_registry_client.py [--size-mb 300] [--layers 6] [--runs 1]
    .venv/bin/python bench/bench_registry_client.py --clients dockyard,docker   # no skopeo rows

Run by hand as root; CI never runs it. What is timed, per run:

- **skopeo push**: ``skopeo copy dir:<image> docker://<fresh registry>/bench/skopeo:v1``
- **skopeo pull**: ``skopeo copy docker://…/bench/skopeo:v1 dir:<new dir>``
- **dockyard pull**: ``POST /images/create`` on dockyardd (download, verify *and unpack*
  into snapshots; skopeo's ``dir:`` only writes the blobs, so dockyard does more work)
- **dockyard push**: ``POST /images/{name}/push`` to another fresh registry (so no blob is
  already there and nothing can be mounted)
- **Docker pull** / **Docker push**: the same two API calls, made by the same code, on a
  private dockerd (Docker 20.10 from Debian: own roots, socket and cgroup parent, no network
  of its own: ``--bridge=none --iptables=false``); its pull downloads, verifies and unpacks
  into overlay2 as dockyard's does. Its push goes to a third fresh registry; Docker keeps
  no compressed copy of a layer, so it gzips each layer again while pushing.

The issue's target: dockyard's pull throughput >= 1.5x Docker's.

The registry is dockyard's own server (``python -m dockyard.registry.server``) with fresh
storage for every push. The image is an OCI layout of gzip layers, built once
(bench/registry_server.py's ``build_layout``): random bytes (``--content random``), or the
host's own files under /usr, gzip -6 (``--content files``). Prints MB/s (compressed bytes over
wall time) and dockyard's ratio to skopeo (higher is better for dockyard). Everything runs
under a fresh /tmp directory, every process is stopped by pid, mounts left under it are
unmounted and the directory removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from engines import start_dockerd, start_dockyardd  # noqa: E402
from hostprocs import BenchError, Section, UnixHTTP, api  # noqa: E402
from registry_server import CONTENTS, Server, build_layout  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DOCKER_CGROUP_PARENT = "dockyard-bench-regclient-docker"
PULL_TARGET = 1.5  # dockyard pull >= 1.5x Docker's throughput


def _skopeo(timeout: float, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                           *args], capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"skopeo copy {' '.join(args)} failed:\n{proc.stderr}")
    return elapsed


def _stream(sock: str, method: str, url: str, timeout: float) -> float:
    """One streaming Engine API call (pull/push); fails on an errorDetail line."""
    conn = UnixHTTP(sock, timeout)
    start = time.perf_counter()
    try:
        conn.request(method, url, headers={"X-Registry-Auth": "e30="})
        resp = conn.getresponse()
        raw = resp.read().decode(errors="replace")
    finally:
        conn.close()
    elapsed = time.perf_counter() - start
    if resp.status != 200:
        raise BenchError(f"{method} {url}: {resp.status} {raw[:500]}")
    for line in raw.splitlines():
        if line.strip() and "errorDetail" in json.loads(line):
            raise BenchError(f"{method} {url}: {line}")
    return elapsed


def _rmi(sock: str, ref: str) -> None:
    # by ID: removing the tags alone leaves the image (its RepoDigests still name it)
    status, body = api(sock, "GET", f"/images/{ref}/json")
    if status != 200:
        raise BenchError(f"inspect {ref}: {status} {body}")
    status, body = api(sock, "DELETE", f"/images/{body['Id']}?force=1")
    if status != 200:
        raise BenchError(f"rmi {ref}: {status} {body}")


def _engine_copy(who: str, sock: str, src: str, dst_host: str, repo: str,
                 timeout: float) -> dict[str, float]:
    """Pull ``src`` (``host/repo:tag``) into an engine, push it as ``dst_host/bench/<repo>:v1``,
    then remove it, so the next run pulls into an empty store again."""
    name, tag = src.rsplit(":", 1)
    out = {f"{who} pull": _stream(sock, "POST", f"/images/create?fromImage={name}&tag={tag}",
                                  timeout)}
    status, _ = api(sock, "POST", f"/images/{src}/tag?repo={dst_host}/bench/{repo}&tag=v1")
    if status != 201:
        raise BenchError(f"{who}: tag failed: {status}")
    out[f"{who} push"] = _stream(sock, "POST", f"/images/{dst_host}/bench/{repo}/push?tag=v1",
                                 timeout)
    _rmi(sock, f"{dst_host}/bench/{repo}:v1")
    return out


def run_once(engines: dict[str, str], skopeo: bool, image_dir: Path, work: Path,
             timeout: float) -> dict[str, float]:
    """One round: skopeo fills a fresh registry (and is timed if ``skopeo``), each engine in
    ``engines`` (who -> socket) pulls from it and pushes to a fresh registry of its own."""
    out: dict[str, float] = {}
    servers = [Server("dockyard", work / "src")]
    try:
        src = servers[0].start()
        push = _skopeo(timeout, f"dir:{image_dir}", f"docker://{src.host}/bench/skopeo:v1")
        if skopeo:
            out["skopeo push"] = push
            out["skopeo pull"] = _skopeo(timeout, f"docker://{src.host}/bench/skopeo:v1",
                                         f"dir:{work / 'pulled'}")
            shutil.rmtree(work / "pulled", ignore_errors=True)
        for who, sock in engines.items():
            servers.append(Server("dockyard", work / f"dst-{who}"))
            dst = servers[-1].start()
            out.update(_engine_copy(who, sock, f"{src.host}/bench/skopeo:v1", dst.host,
                                    who.lower(), timeout))
            servers.pop().stop()
            shutil.rmtree(work / f"dst-{who}", ignore_errors=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def report(results: dict[str, list[float]], mb: float) -> None:
    rates = {k: mb / statistics.median(v) for k, v in results.items()}
    print()
    print(f"{'client':14s} {'push MB/s':>10s} {'pull MB/s':>10s}")
    for who in ("skopeo", "dockyard", "Docker"):
        if f"{who} pull" in rates:
            print(f"{who:14s} {rates[who + ' push']:10.1f} {rates[who + ' pull']:10.1f}")
    for peer, note in (("skopeo", "  (dockyard also unpacks; skopeo's dir: only writes blobs)"),
                       ("Docker", "")):
        if f"{peer} pull" not in rates or "dockyard pull" not in rates:
            continue
        for op in ("push", "pull"):
            r = rates[f"dockyard {op}"] / rates[f"{peer} {op}"]
            mark = ""
            if peer == "Docker" and op == "pull":
                mark = "  ok" if r >= PULL_TARGET else f"  BELOW target {PULL_TARGET}x"
            elif peer == "Docker":
                mark = "  (Docker gzips the layers again)"
            print(f"ratio dockyard/{peer} {op}: {r:.2f}x{mark}" + (note if op == "pull" else ""))
    print("(MB = compressed bytes of the image; higher is better for dockyard)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size-mb", type=int, default=300)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--content", choices=CONTENTS, default="random",
                   help="random: incompressible layers; files: the host's /usr files, gzip -6")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed for one transfer")
    p.add_argument("--clients", default="skopeo,dockyard,docker",
                   help="comma-separated subset of skopeo,dockyard,docker (skopeo always fills "
                        "the source registry)")
    p.add_argument("--dockyardd", default=str(VENV_BIN / "dockyardd"))
    p.add_argument("--docker", default="/usr/local/bin/docker", help="the docker CLI")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        print("run as root (dockyardd unpacks layers)", file=sys.stderr)
        return 2
    if shutil.which("skopeo") is None:
        print("needs skopeo", file=sys.stderr)
        return 2
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    clients = {c.strip() for c in args.clients.split(",") if c.strip()}
    root = Path(tempfile.mkdtemp(prefix="dockyard-bench-regclient-"))
    sec = Section("bench")
    sec.defer("remove workdir", lambda: shutil.rmtree(root, ignore_errors=True))
    try:
        started = time.perf_counter()
        size = build_layout(root / "layout", args.size_mb, args.layers, args.content)
        _skopeo(args.timeout, f"oci:{root / 'layout'}:v1", f"dir:{root / 'image'}")
        shutil.rmtree(root / "layout")
        mb = size / 1e6
        print(f"image: {args.layers} layers of {args.content}, {mb:.0f} MB (built in {time.perf_counter() - started:.1f}s)")
        engines: dict[str, str] = {}
        if "dockyard" in clients:
            engines["dockyard"] = start_dockyardd(root / "dockyard", sec, args.dockyardd,
                                                  args.docker, busybox=False).sock
        if "docker" in clients:
            docker = start_dockerd(root / "docker", sec, args.docker, DOCKER_CGROUP_PARENT,
                                   busybox=False)
            print(f"dockerd pid {docker.proc.pid} (no network of its own) on {docker.sock}")
            engines["Docker"] = docker.sock
        results: dict[str, list[float]] = {}
        for run in range(args.runs):
            times = run_once(engines, "skopeo" in clients, root / "image", root / f"run{run}",
                             args.timeout)
            for k, v in times.items():
                results.setdefault(k, []).append(v)
            print(f"  run {run + 1}: " + "\n         ".join(
                f"{k:14s} {v:6.2f}s ({mb / v:6.1f} MB/s)" for k, v in times.items()))
        report(results, mb)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: everything started is being stopped", file=sys.stderr)
        return 130
    finally:
        sec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
