"""``docker commit``: a container's writable layer on top of its image becomes a new image.

The new image is the container's image layers plus one layer made from the container's
upper dir (``diff.write_layer``: whiteouts converted), with the config Docker's commit
builds: the request's Config (or the container's), ``--change`` lines applied, then
``merge``\\ d with the container's Config; a history entry whose ``created_by`` is the
container's ``Cmd`` joined by spaces (as moby's ``NewChildImage``), plus author and
comment. A container that changed nothing adds no layer (an ``empty_layer`` history entry).

Crash safety, in order: the layer tar is written to the engine's tmp dir (emptied when the
daemon starts), unpacked by ``ImageService.add_layer`` (blob through the content store's
ingest, committed by rename; snapshot unpacked in ``tmp-*``, renamed, then its row), and
``ImageService.create`` inserts the image row and tag in one transaction last. A kill at
any point leaves the whole image or no image; leftovers are swept by the stores' repair.
"""

from __future__ import annotations

import copy
import os
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from dockyard.errors import InvalidArgument, NotImplementedKind
from dockyard.image.service import ImageService
from dockyard.oci import image as oci

__all__ = ["IMAGE_CONFIG_KEYS", "merge", "build_config", "commit_container"]

IMAGE_CONFIG_KEYS = ("User", "ExposedPorts", "Env", "Cmd", "Healthcheck", "ArgsEscaped",
                     "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal",
                     "Shell")
"""The Config fields an image keeps (Docker 25+ drops Hostname, Image, Attach*... too)."""

_HEALTH_KEYS = ("Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries")


def merge(user: dict[str, Any], ctr: dict[str, Any]) -> dict[str, Any]:
    """moby's ``daemon.merge``: fill what ``user`` leaves unset from the container's Config."""
    if not user.get("User"):
        user["User"] = ctr.get("User") or ""
    if not user.get("ExposedPorts"):
        user["ExposedPorts"] = ctr.get("ExposedPorts")
    elif ctr.get("ExposedPorts"):
        for port in ctr["ExposedPorts"]:
            user["ExposedPorts"].setdefault(port, {})
    if not user.get("Env"):
        user["Env"] = ctr.get("Env")
    else:
        keys = {e.split("=", 1)[0] for e in user["Env"]}
        user["Env"] = list(user["Env"]) + [e for e in ctr.get("Env") or []
                                           if e.split("=", 1)[0] not in keys]
    labels = dict(user.get("Labels") or {})
    for k, v in (ctr.get("Labels") or {}).items():
        labels.setdefault(k, v)
    user["Labels"] = labels
    if not user.get("Entrypoint"):
        if not user.get("Cmd"):
            user["Cmd"] = ctr.get("Cmd")
        if user.get("Entrypoint") is None:
            user["Entrypoint"] = ctr.get("Entrypoint")
    if ctr.get("Healthcheck"):
        if not user.get("Healthcheck"):
            user["Healthcheck"] = copy.deepcopy(ctr["Healthcheck"])
        else:
            for k in _HEALTH_KEYS:
                if not user["Healthcheck"].get(k) and ctr["Healthcheck"].get(k):
                    user["Healthcheck"][k] = ctr["Healthcheck"][k]
    if not user.get("WorkingDir"):
        user["WorkingDir"] = ctr.get("WorkingDir") or ""
    if not user.get("Volumes"):
        user["Volumes"] = ctr.get("Volumes")
    else:
        user["Volumes"] = {**user["Volumes"], **(ctr.get("Volumes") or {})}
    if not user.get("StopSignal") and ctr.get("StopSignal"):
        user["StopSignal"] = ctr["StopSignal"]
    return user


def build_config(ctr_config: dict[str, Any], override: dict[str, Any] | None,
                 changes: list[str]) -> dict[str, Any]:
    """The new image's ``config`` section, as Docker's commit computes it."""
    user = copy.deepcopy(override if override is not None else ctr_config)
    if not isinstance(user, dict):
        raise InvalidArgument("config must be a JSON object")
    if [c for c in changes if c.strip()]:
        from dockyard.image.importer import apply_changes
        try:
            apply_changes(user, changes)
        except ImportError as exc:
            raise NotImplementedKind(
                "--change needs the Dockerfile parser, which this daemon does not have yet") from exc
    merge(user, ctr_config)
    out = oci.empty_container_config()
    for k in IMAGE_CONFIG_KEYS:
        if user.get(k) is not None:
            out[k] = user[k]
    return out


def _upper_is_empty(upper: str) -> bool:
    try:
        return not os.listdir(upper)
    except FileNotFoundError:
        return True


def commit_container(images: ImageService, rec: dict[str, Any], upper: str, tmp_dir: str, *,
                     override: dict[str, Any] | None = None, changes: Sequence[str] = (),
                     author: str = "", comment: str = "", tag: str | None = None) -> str:
    """Make the image (see the module docstring); returns its ID. Blocking: run in a thread."""
    from dockyard.image.diff import write_layer

    base = images.config(rec["Image"])
    ctr_config = rec["Config"]
    config_section = build_config(ctr_config, override, list(changes))
    diff_ids = list((base.get("rootfs") or {}).get("diff_ids") or [])
    empty = _upper_is_empty(upper)
    if not empty:
        chain = images.top_chain(rec["Image"])
        fd, tmp = tempfile.mkstemp(prefix="commit-", suffix=".tar.gz", dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                write_layer(upper, out)
                out.flush()
            with open(tmp, "rb") as src:
                layer = images.add_layer(chain, src)
        finally:
            os.unlink(tmp)
        diff_ids.append(layer.diff_id)
    now = time.time()
    entry: dict[str, Any] = {"created": oci.rfc3339(now),
                             "created_by": " ".join(ctr_config.get("Cmd") or [])}
    if author:
        entry["author"] = author
    if comment:
        entry["comment"] = comment
    if empty:
        entry["empty_layer"] = True
    config: dict[str, Any] = {
        "architecture": base.get("architecture") or oci.arch(),
        "os": base.get("os") or "linux",
        "created": oci.rfc3339(now),
        "config": config_section,
        "container": rec["Id"],
        "container_config": copy.deepcopy(ctr_config),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": list(base.get("history") or []) + [entry],
    }
    if base.get("variant"):
        config["variant"] = base["variant"]
    if author:
        config["author"] = author
    return images.create(config, tags=[tag] if tag else [], parent=rec["Image"])
