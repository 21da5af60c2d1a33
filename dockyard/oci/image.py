"""OCI / Docker image data models, as plain dicts with the specs' field names.

Why dicts and not classes: image configs travel verbatim between the store, the Engine
API (``Config.Env``, ``RootFS.Layers``) and registries; keeping the spec's JSON shape means
what we store is byte-for-byte what we hash (the image ID is the sha256 of the config).
"""

from __future__ import annotations

import json
import platform
import time
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "MEDIA_DOCKER_MANIFEST", "MEDIA_DOCKER_CONFIG", "MEDIA_DOCKER_LAYER_GZIP",
    "MEDIA_OCI_MANIFEST", "MEDIA_OCI_CONFIG", "MEDIA_OCI_LAYER", "MEDIA_OCI_LAYER_GZIP",
    "MEDIA_OCI_LAYER_ZSTD", "MEDIA_OCI_INDEX", "MEDIA_DOCKER_LIST", "MEDIA_DOCKER_LAYER",
    "DEFAULT_PATH", "arch", "rfc3339", "parse_rfc3339", "new_config", "canonical", "manifest",
    "empty_container_config",
]

MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MEDIA_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64"}


def arch() -> str:
    m = platform.machine()
    return _ARCH.get(m, m)


def rfc3339(ts: float | None = None) -> str:
    """Go's RFC3339Nano in UTC, as Docker prints ``Created``."""
    if ts is None:
        ts = time.time()
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    frac = f"{ts % 1:.9f}"[2:].rstrip("0")
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def parse_rfc3339(value: str) -> float:
    if not value:
        return 0.0
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    frac = ""
    if "." in v:
        head, rest = v.split(".", 1)
        digits = ""
        for ch in rest:
            if ch.isdigit():
                digits += ch
            else:
                break
        tz = rest[len(digits):]
        frac = digits
        v = head + tz
    try:
        base = datetime.fromisoformat(v).timestamp()
    except ValueError:
        return 0.0
    return base + (float("0." + frac) if frac else 0.0)


def empty_container_config() -> dict[str, Any]:
    return {
        "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
        "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False,
        "Env": None, "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "",
        "Entrypoint": None, "OnBuild": None, "Labels": None,
    }


def new_config(*, env: list[str] | None = None, cmd: list[str] | None = None,
               diff_ids: list[str] | None = None, created: float | None = None,
               history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An image config (OCI ``config`` + Docker's extra fields)."""
    cfg = empty_container_config()
    cfg["Env"] = env
    cfg["Cmd"] = cmd
    return {
        "architecture": arch(),
        "os": "linux",
        "created": rfc3339(created),
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids or [])},
        "history": list(history or []),
    }


def canonical(obj: Any) -> bytes:
    """The bytes we hash: compact JSON with sorted keys, as Docker writes image configs."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def manifest(config_digest: str, config_size: int,
             layers: list[tuple[str, int, str]]) -> dict[str, Any]:
    """A Docker schema2 manifest for a config and ``(digest, size, media_type)`` layers."""
    return {
        "schemaVersion": 2,
        "mediaType": MEDIA_DOCKER_MANIFEST,
        "config": {"mediaType": MEDIA_DOCKER_CONFIG, "size": config_size, "digest": config_digest},
        "layers": [{"mediaType": mt, "size": size, "digest": d} for d, size, mt in layers],
    }
