"""Benchmark: push and pull of a ~300 MB multi-layer image on loopback, dockyardd vs skopeo.

    .venv/bin/python bench/bench_registry_client.py [--size-mb 300] [--layers 6] [--runs 1]

Run by hand as root; CI never runs it. What is timed, per run:

- **skopeo push**: ``skopeo copy dir:<image> docker://<fresh registry>/bench/skopeo:v1``
- **skopeo pull**: ``skopeo copy docker://…/bench/skopeo:v1 dir:<new dir>``
- **dockyard pull**: ``POST /images/create`` on dockyardd (download, verify *and unpack*
  into snapshots; skopeo's ``dir:`` only writes the blobs, so dockyard does more work)
- **dockyard push**: ``POST /images/{name}/push`` to another fresh registry (so no blob is
  already there and nothing can be mounted)

The registry is dockyard's own server (``python -m dockyard.registry.server``) with fresh
storage for every push. The image is an OCI layout of gzip layers of random bytes, built
once (bench/registry_server.py's ``build_layout``). Prints MB/s (compressed bytes over
wall time) and dockyard's ratio to skopeo (higher is better for dockyard). Everything runs
under a fresh /tmp directory, every process is stopped by pid, mounts left under it are
unmounted and the directory removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from hostprocs import (BenchError, Section, UnixHTTP, api, spawn_daemon, stop_daemon,  # noqa: E402
                       unmount_under, wait_ping)
from registry_server import Server, build_layout  # noqa: E402

VENV_BIN = Path(sys.executable).parent


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


def run_once(sock: str, image_dir: Path, work: Path, timeout: float) -> dict[str, float]:
    out: dict[str, float] = {}
    src = Server("dockyard", work / "src").start()
    dst = Server("dockyard", work / "dst").start()
    try:
        out["skopeo push"] = _skopeo(timeout, f"dir:{image_dir}", f"docker://{src.host}/bench/skopeo:v1")
        out["skopeo pull"] = _skopeo(timeout, f"docker://{src.host}/bench/skopeo:v1",
                                     f"dir:{work / 'pulled'}")
        out["dockyard pull"] = _stream(sock, "POST", f"/images/create?fromImage={src.host}/bench/skopeo"
                                       f"&tag=v1", timeout)
        status, _ = api(sock, "POST", f"/images/{src.host}/bench/skopeo:v1/tag?repo={dst.host}/bench/dy&tag=v1")
        if status != 201:
            raise BenchError(f"tag failed: {status}")
        out["dockyard push"] = _stream(sock, "POST", f"/images/{dst.host}/bench/dy/push?tag=v1", timeout)
        # by ID: removing the tags alone leaves the image (its RepoDigests still name it)
        status, body = api(sock, "GET", f"/images/{dst.host}/bench/dy:v1/json")
        status, body = api(sock, "DELETE", f"/images/{body['Id']}?force=1")
        if status != 200:
            raise BenchError(f"rmi failed: {status} {body}")
    finally:
        src.stop()
        dst.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size-mb", type=int, default=300)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed for one transfer")
    p.add_argument("--dockyardd", default=str(VENV_BIN / "dockyardd"))
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        print("run as root (dockyardd unpacks layers)", file=sys.stderr)
        return 2
    if shutil.which("skopeo") is None:
        print("needs skopeo", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="dockyard-bench-regclient-"))
    sec = Section("bench")
    sec.defer("remove workdir", lambda: shutil.rmtree(root, ignore_errors=True))
    try:
        started = time.perf_counter()
        size = build_layout(root / "layout", args.size_mb, args.layers)
        _skopeo(args.timeout, f"oci:{root / 'layout'}:v1", f"dir:{root / 'image'}")
        shutil.rmtree(root / "layout")
        mb = size / 1e6
        print(f"image: {args.layers} layers, {mb:.0f} MB (built in {time.perf_counter() - started:.1f}s)")
        sock = str(root / "run" / "dockyard.sock")
        log = root / "dockyardd.log"
        daemon = spawn_daemon([args.dockyardd, "--data-root", str(root / "data"),
                               "--exec-root", str(root / "run"), "-H", f"unix://{sock}"], log)
        sec.defer("unmount leftovers", lambda: unmount_under(root))
        sec.defer("stop dockyardd", lambda: stop_daemon(daemon, "dockyardd", 15))
        wait_ping(sock, daemon, "dockyardd", log, 30)
        results: dict[str, list[float]] = {}
        for run in range(args.runs):
            times = run_once(sock, root / "image", root / f"run{run}", args.timeout)
            for k, v in times.items():
                results.setdefault(k, []).append(v)
            print(f"  run {run + 1}: " + "  ".join(f"{k} {v:6.2f}s ({mb / v:6.1f} MB/s)"
                                                   for k, v in times.items()))
        print()
        rates = {k: mb / statistics.median(v) for k, v in results.items()}
        print(f"{'':14s} {'push MB/s':>10s} {'pull MB/s':>10s}")
        for who in ("skopeo", "dockyard"):
            print(f"{who:14s} {rates[who + ' push']:10.1f} {rates[who + ' pull']:10.1f}")
        for op in ("push", "pull"):
            print(f"ratio dockyard/skopeo {op}: {rates['dockyard ' + op] / rates['skopeo ' + op]:.2f}x"
                  + ("  (dockyard also unpacks)" if op == "pull" else ""))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        sec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
