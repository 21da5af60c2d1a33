"""``docker import``: a root filesystem tarball becomes a one-layer image.

``--change`` takes Dockerfile instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
STOPSIGNAL, USER, VOLUME, WORKDIR), parsed with the builder's own parser so that quoting
and JSON forms behave exactly as in a Dockerfile.
"""

from __future__ import annotations

import time
from typing import Any, BinaryIO

from dockyard.errors import InvalidArgument
from dockyard.image.service import ImageService
from dockyard.oci import image as oci

__all__ = ["import_rootfs", "apply_changes", "ALLOWED_CHANGES"]

ALLOWED_CHANGES = {"cmd", "entrypoint", "env", "expose", "label", "onbuild", "stopsignal",
                   "user", "volume", "workdir"}


def apply_changes(config: dict[str, Any], changes: list[str]) -> None:
    """Apply ``--change`` lines to an image's ``config`` section in place."""
    changes = [c for c in changes if c.strip()]
    if not changes:
        return
    from dockyard.build.parser import parse

    for change in changes:
        if not change.strip():
            continue
        df = parse(change, file="--change")
        for node in df.children if hasattr(df, "children") else df.nodes:
            kw = node.instruction.lower()
            if kw not in ALLOWED_CHANGES:
                raise InvalidArgument(f"{kw.upper()} is not a valid change command")
            _apply(config, kw, node)


def _apply(cfg: dict[str, Any], kw: str, node: Any) -> None:
    from dockyard.build import instructions as ins

    inst = ins.convert(node)
    env = {e.split("=", 1)[0]: e.split("=", 1)[1] for e in cfg.get("Env") or [] if "=" in e}

    def expand(word: str) -> str:
        from dockyard.build.shell_words import expand_word
        return expand_word(word, env)

    if kw == "cmd":
        cfg["Cmd"] = _command(inst)
    elif kw == "entrypoint":
        cfg["Entrypoint"] = _command(inst)
    elif kw == "env":
        items = list(cfg.get("Env") or [])
        for k, v in inst.pairs:
            k, v = expand(k), expand(v)
            items = [e for e in items if e.split("=", 1)[0] != k] + [f"{k}={v}"]
            env[k] = v
        cfg["Env"] = items
    elif kw == "label":
        labels = dict(cfg.get("Labels") or {})
        for k, v in inst.pairs:
            labels[expand(k)] = expand(v)
        cfg["Labels"] = labels
    elif kw == "expose":
        ports = dict(cfg.get("ExposedPorts") or {})
        for p in inst.ports:
            p = expand(p)
            ports[p if "/" in p else p + "/tcp"] = {}
        cfg["ExposedPorts"] = ports
    elif kw == "volume":
        vols = dict(cfg.get("Volumes") or {})
        for p in inst.paths:
            vols[expand(p)] = {}
        cfg["Volumes"] = vols
    elif kw == "user":
        cfg["User"] = expand(inst.user)
    elif kw == "workdir":
        cfg["WorkingDir"] = expand(inst.path)
    elif kw == "stopsignal":
        cfg["StopSignal"] = expand(inst.signal)
    elif kw == "onbuild":
        cfg["OnBuild"] = list(cfg.get("OnBuild") or []) + [inst.expression]


def _command(inst: Any) -> list[str]:
    cmd = list(inst.cmd)
    if getattr(inst, "prepend_shell", False):
        return ["/bin/sh", "-c"] + cmd
    return cmd


def import_rootfs(images: ImageService, stream: BinaryIO, *, tag: str | None,
                  changes: list[str], message: str = "", source: str = "-") -> str:
    """Unpack ``stream`` as the only layer of a new image; returns the image ID."""
    cfg = oci.empty_container_config()
    apply_changes(cfg, changes)
    layer = images.add_layer(None, stream)
    now = time.time()
    history: dict[str, Any] = {"created": oci.rfc3339(now),
                               "comment": message or f"Imported from {source}"}
    config: dict[str, Any] = {
        "architecture": oci.arch(), "os": "linux", "created": oci.rfc3339(now),
        "config": cfg, "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
        "history": [history],
    }
    if message:
        config["comment"] = message
    return images.create(config, tags=[tag] if tag else [])
