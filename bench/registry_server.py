"""Benchmark: push and pull a ~300 MB multi-layer image with skopeo, dockyard registry vs docker-registry.

    .venv/bin/python bench/registry_server.py [--size-mb 300] [--layers 6] [--runs 1]

Both registries run on 127.0.0.1 with fresh storage in a temp dir for every
run (so no blob is already there and no cross-repository mount short-cuts
the push). The image is an OCI layout of gzip layers of random bytes, built
once. Prints MB/s for push and pull of each registry and dockyard's ratio
(higher is better for dockyard). Every process is stopped by pid and the
temp dir removed; each skopeo call is bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


CONTENTS = ("random", "files")
HOST_TREES = ("/usr/lib", "/usr/share", "/usr/bin", "/usr/sbin", "/usr/libexec")


def _random_layer(i: int, size: int) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(f"layer{i}/payload.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    return raw.getvalue()


def _host_entries() -> Iterator[Path]:
    """The host's files under HOST_TREES, sorted: the same walk gives the same layers."""
    for top in HOST_TREES:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            yield Path(dirpath)
            for name in sorted(filenames):
                yield Path(dirpath) / name


def _files_layers(layers: int, size: int) -> Iterator[bytes]:
    """Layers as images have them: the host's own files (binaries, libraries, text), many
    of them small, each layer about ``size`` uncompressed bytes."""
    entries = _host_entries()
    for _ in range(layers):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in entries:
                try:
                    info = tar.gettarinfo(str(path), arcname=str(path).lstrip("/"))
                    if info.isreg():
                        with open(path, "rb") as f:
                            tar.addfile(info, f)
                    elif info.isdir() or info.issym():
                        tar.addfile(info)
                except OSError:
                    continue  # vanished or unreadable: not part of the image
                if raw.tell() >= size:
                    break
        yield raw.getvalue()


def build_layout(path: Path, total_mb: int, layers: int, content: str = "random") -> int:
    """Write an OCI layout with ``layers`` gzip layers; return its byte size.

    ``content`` "random": one file of random bytes per layer, ``total_mb`` MB in all (gzip
    level 1: the blobs are as big as the data). "files": the host's files, ``total_mb`` MB
    of tar in all, gzip level 6 as ``docker push`` writes (the blobs are smaller: the
    inflate is then a real part of the pull).
    """
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    per_layer = total_mb * 1_000_000 // layers
    if content == "random":
        tars: Iterable[bytes] = (_random_layer(i, per_layer) for i in range(layers))
        level = 1
    elif content == "files":
        tars, level = _files_layers(layers, per_layer), 6
    else:
        raise ValueError(f"content is one of {CONTENTS}")
    descs, diff_ids, total = [], [], 0
    for tar_bytes in tars:
        gz = gzip.compress(tar_bytes, compresslevel=level, mtime=0)
        (blobs / _sha(gz)[7:]).write_bytes(gz)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _sha(gz), "size": len(gz)})
        diff_ids.append(_sha(tar_bytes))
        total += len(gz)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    (blobs / _sha(config)[7:]).write_bytes(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _sha(config), "size": len(config)},
        "layers": descs,
    }).encode()
    (blobs / _sha(manifest)[7:]).write_bytes(manifest)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _sha(manifest), "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    return total + len(config) + len(manifest)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A registry child process, stopped by pid."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.host = ""

    def start(self) -> Server:
        self.workdir.mkdir(parents=True)
        log = open(self.workdir / "server.log", "wb")  # noqa: SIM115 - owned by the child
        if self.kind == "dockyard":
            cmd = [sys.executable, "-m", "dockyard.registry.server", "--listen", "127.0.0.1:0",
                   "--root", str(self.workdir / "root"), "--allow-anonymous-push"]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, cwd=REPO)
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().decode()
            if "listening on" not in line:
                self.stop()
                raise RuntimeError(f"dockyard registry did not start: {line!r}")
            self.host = line.strip().rsplit("//", 1)[-1]
        else:
            port = _free_port()
            config = self.workdir / "config.yml"
            config.write_text(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {self.workdir / 'root'}\n"
                f"http:\n  addr: 127.0.0.1:{port}\n"
            )
            self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(config)], stdout=log, stderr=log)
            self.host = f"127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                self.stop()
                raise RuntimeError("docker-registry did not start")
        log.close()
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


def _skopeo(timeout: float, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", *args],
                          capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"skopeo copy {' '.join(args)} failed:\n{proc.stderr}")
    return elapsed


def run_once(kind: str, layout: Path, workdir: Path, timeout: float) -> tuple[float, float]:
    server = Server(kind, workdir / kind).start()
    try:
        push = _skopeo(timeout, f"oci:{layout}:v1", f"docker://{server.host}/bench/image:v1")
        pull = _skopeo(timeout, f"docker://{server.host}/bench/image:v1", f"oci:{workdir / kind / 'pulled'}:v1")
        return push, pull
    finally:
        server.stop()
        shutil.rmtree(workdir / kind, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed for one skopeo copy")
    args = parser.parse_args(argv)
    if shutil.which("skopeo") is None or not os.path.exists("/usr/bin/docker-registry"):
        print("needs skopeo and /usr/bin/docker-registry", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="dockyard-registry-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        size = build_layout(workdir / "layout", args.size_mb, args.layers)
        mb = size / 1e6
        print(f"image: {args.layers} layers, {mb:.0f} MB (built in {time.perf_counter() - started:.1f}s)")
        results: dict[str, dict[str, list[float]]] = {}
        for run in range(args.runs):
            for kind in ("docker-registry", "dockyard"):
                push, pull = run_once(kind, workdir / "layout", workdir / f"run{run}", args.timeout)
                results.setdefault(kind, {"push": [], "pull": []})
                results[kind]["push"].append(push)
                results[kind]["pull"].append(pull)
                print(f"  run {run + 1} {kind:16s} push {push:6.2f}s ({mb / push:7.1f} MB/s)"
                      f"  pull {pull:6.2f}s ({mb / pull:7.1f} MB/s)")
        print()
        print(f"{'registry':16s} {'push MB/s':>10s} {'pull MB/s':>10s}")
        rates: dict[str, dict[str, float]] = {}
        for kind, times in results.items():
            rates[kind] = {op: mb / statistics.median(values) for op, values in times.items()}
            print(f"{kind:16s} {rates[kind]['push']:10.1f} {rates[kind]['pull']:10.1f}")
        for op in ("push", "pull"):
            ratio = rates["dockyard"][op] / rates["docker-registry"][op]
            print(f"ratio dockyard/docker-registry {op}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
