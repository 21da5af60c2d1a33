"""Images for the registry client tests: runnable ones (busybox below, a layer of ours on top).

The busybox layer comes from a registry the daemon pushed busybox to (``base_layer``), so
the images built here run under dockyardd and show their own files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from regsrv_helpers import (DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, OCI_CONFIG, OCI_LAYER_GZIP,
                            OCI_MANIFEST, Image, make_layer, sha256)

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_layer(base: str, repo: str, tag: str) -> tuple[bytes, str]:
    """(gzip blob, diff_id) of the only layer of ``repo:tag`` on the registry at ``base``."""
    man = requests.get(f"{base}/v2/{repo}/manifests/{tag}",
                       headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"}, timeout=30).json()
    cfg = requests.get(f"{base}/v2/{repo}/blobs/{man['config']['digest']}", timeout=30).json()
    blob = requests.get(f"{base}/v2/{repo}/blobs/{man['layers'][0]['digest']}", timeout=30).content
    return blob, cfg["rootfs"]["diff_ids"][0]


def layered_image(base_gz: bytes, base_diff_id: str, files: dict[str, bytes], *,
                  arch: str = "amd64", oci: bool = False, label: str = "") -> Image:
    """busybox + one layer with ``files``: a runnable image built in memory."""
    tar, gz = make_layer(files)
    config_doc: dict[str, Any] = {
        "architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Env": [PATH_ENV], "Cmd": ["sh"], "Labels": {"test": label or arch}},
        "rootfs": {"type": "layers", "diff_ids": [base_diff_id, sha256(tar)]},
        "history": [{"created_by": "busybox"}, {"created_by": "test layer"}],
    }
    config = json.dumps(config_doc, indent=2).encode()  # not canonical: IDs must still match
    layer_type = OCI_LAYER_GZIP if oci else DOCKER_LAYER
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "digest": sha256(config),
                   "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": sha256(g), "size": len(g)}
                   for g in (base_gz, gz)],
    }
    manifest = json.dumps(manifest_doc, indent=2).encode()
    return Image(manifest, sha256(manifest), config, [base_gz, gz],
                 OCI_MANIFEST if oci else DOCKER_MANIFEST)


def unique(text: str) -> bytes:
    """Content no earlier test pushed (so its layer is new to the daemon)."""
    return f"{text} {time.time_ns()}\n".encode()


def blob_file(root: Path, digest: str) -> Path:
    """Where dockyard's registry keeps a blob (its layout, see server/layout.py)."""
    hexd = digest.split(":", 1)[1]
    return root / "blobs" / "sha256" / hexd[:2] / hexd / "data"
