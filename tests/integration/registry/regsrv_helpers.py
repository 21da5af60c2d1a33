"""Helpers for the registry server tests: a server process, OCI layouts, skopeo.

Every process started here is stopped by pid (terminate, then kill) by the
object that started it; the fixtures in ``conftest.py`` call ``stop()``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """A ``python -m dockyard.registry.server`` child; ``url`` is read from its first line."""

    root: Path
    args: list[str] = field(default_factory=list)
    port: int = 0
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root.parent / f"{self.root.name}-server.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        cmd = [PYTHON, "-m", "dockyard.registry.server", "--listen", f"127.0.0.1:{self.port}",
               "--root", str(self.root), *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT)
        log.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line or self.proc.poll() is not None:
                break
        if b"listening on" not in line:
            self.stop()
            raise RuntimeError(f"registry did not start: {line!r}\n{self.log()}")
        self.url = line.decode().strip().rsplit(" ", 1)[-1]
        self.port = int(self.url.rsplit(":", 1)[-1])
        return self

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, 9)
            self.proc.wait(10)
        self._close()

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
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


@dataclass
class DockerRegistryProcess:
    """Debian's ``docker-registry`` (distribution 2.8) with a config written here."""

    root: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> DockerRegistryProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
        )
        log = open(self.root / "registry.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(config)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "registry.log").read_text())
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/v2/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

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
        self.proc = None


# -- images -------------------------------------------------------------------


def make_layer(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    """A deterministic tar of ``files`` and its gzip: (tar, tar.gz)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, mtime=0)


@dataclass
class Image:
    """An image built in memory: blobs by digest, the manifest bytes and digest."""

    manifest: bytes
    manifest_digest: str
    config: bytes
    layers: list[bytes]
    media_type: str = OCI_MANIFEST

    @property
    def blobs(self) -> dict[str, bytes]:
        out = {sha256(self.config): self.config}
        for layer in self.layers:
            out[sha256(layer)] = layer
        return out


def make_image(
    layer_files: list[dict[str, bytes]] | None = None,
    *,
    docker: bool = False,
    label: str = "test",
    subject: dict[str, Any] | None = None,
    artifact_type: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Image:
    layer_files = layer_files or [{"hello.txt": f"hello from {label}\n".encode()}]
    tars = [make_layer(files) for files in layer_files]
    config_doc = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"test": label}},
        "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t, _ in tars]},
    }
    config = json.dumps(config_doc, sort_keys=True).encode()
    layers = [gz for _, gz in tars]
    media = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest_doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [
            {"mediaType": DOCKER_LAYER if docker else OCI_LAYER_GZIP, "digest": sha256(gz), "size": len(gz)}
            for gz in layers
        ],
    }
    if subject is not None:
        manifest_doc["subject"] = subject
    if artifact_type is not None:
        manifest_doc["artifactType"] = artifact_type
    if annotations:
        manifest_doc["annotations"] = annotations
    manifest = json.dumps(manifest_doc, indent=2).encode()
    return Image(manifest, sha256(manifest), config, layers, media)


def write_oci_layout(path: Path, images: dict[str, Image]) -> None:
    """Write ``images`` (tag → image) as an OCI image layout at ``path``."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    entries = []
    for tag, image in images.items():
        for digest, data in {**image.blobs, image.manifest_digest: image.manifest}.items():
            (blobs / digest.split(":", 1)[1]).write_bytes(data)
        entries.append({
            "mediaType": image.media_type,
            "digest": image.manifest_digest,
            "size": len(image.manifest),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        })
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": entries}))


def read_oci_layout(path: Path, tag: str) -> tuple[bytes, dict[str, bytes]]:
    """(manifest bytes, blobs by digest) of ``tag`` in an OCI layout."""
    index = json.loads((path / "index.json").read_text())
    entry = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    blob_dir = path / "blobs" / "sha256"
    manifest = (blob_dir / entry["digest"].split(":", 1)[1]).read_bytes()
    doc = json.loads(manifest)
    blobs = {}
    for desc in [doc["config"], *doc["layers"]]:
        blobs[desc["digest"]] = (blob_dir / desc["digest"].split(":", 1)[1]).read_bytes()
    return manifest, blobs


# -- skopeo -------------------------------------------------------------------

SKOPEO = shutil.which("skopeo")


def skopeo(*args: str, timeout: float = 240, check: bool = True, env_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run skopeo with a private auth file and no inherited registry credentials."""
    env = dict(os.environ)
    if env_home is not None:
        env["HOME"] = str(env_home)
        env["REGISTRY_AUTH_FILE"] = str(env_home / "auth.json")
        env["XDG_RUNTIME_DIR"] = str(env_home)
    proc = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


# -- registry HTTP helpers ----------------------------------------------------


def push_blob(base: str, name: str, data: bytes, session: requests.Session | None = None) -> str:
    http = session or requests
    digest = sha256(data)
    r = http.post(f"{base}/v2/{name}/blobs/uploads/", params={"digest": digest}, data=data,
                  headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    return digest


def push_image(base: str, name: str, ref: str, image: Image, session: requests.Session | None = None) -> requests.Response:
    http = session or requests
    for data in image.blobs.values():
        push_blob(base, name, data, session)
    r = http.put(f"{base}/v2/{name}/manifests/{ref}", data=image.manifest, headers={"Content-Type": image.media_type})
    assert r.status_code == 201, r.text
    return r


def make_index(images: dict[str, Image]) -> bytes:
    """An OCI index over ``images`` (platform "os/arch" → image)."""
    manifests = []
    for platform, image in images.items():
        os_name, arch = platform.split("/")
        manifests.append({
            "mediaType": image.media_type,
            "digest": image.manifest_digest,
            "size": len(image.manifest),
            "platform": {"os": os_name, "architecture": arch},
        })
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, indent=2).encode()


def write_oci_index_layout(path: Path, tag: str, images: dict[str, Image]) -> bytes:
    """Write a multi-platform image (an index over ``images``) as an OCI layout; return the index bytes."""
    write_oci_layout(path, {})
    blobs = path / "blobs" / "sha256"
    for image in images.values():
        for digest, data in {**image.blobs, image.manifest_digest: image.manifest}.items():
            (blobs / digest.split(":", 1)[1]).write_bytes(data)
    index = make_index(images)
    (blobs / sha256(index).split(":", 1)[1]).write_bytes(index)
    entry = {"mediaType": OCI_INDEX, "digest": sha256(index), "size": len(index),
             "annotations": {"org.opencontainers.image.ref.name": tag}}
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return index
