"""The ``local`` volume driver: a plain directory, or a file system mounted on it.

A local volume's data is ``<data_root>/volumes/<name>/_data``. With no options it is just
that directory. With Docker's options it is a mount made with mount(8) on ``_data``::

    docker volume create -d local --opt type=tmpfs --opt device=tmpfs --opt o=size=64m v
    docker volume create --opt type=none --opt device=/srv/share --opt o=bind v

``type`` and ``device`` go together, ``o`` needs both (moby's ``mandatoryOpts``). As in
Docker, the mount is made when the first container using the volume starts and undone
when the last one stops (``mounted``/``users`` are derived from the containers, not counted,
so a restarted daemon needs no counter to agree with reality); a bad device therefore
fails at ``run``, not at ``volume create``.
"""

from __future__ import annotations

import os
import re
import subprocess

from dockyard.errors import InvalidArgument, SystemError as DySystemError
from dockyard.store.mount import is_mountpoint, unmount

__all__ = ["DRIVER", "VALID_OPTS", "LocalDriver", "validate_name", "validate_opts",
           "needs_mount", "mount", "release", "mounts_below"]

DRIVER = "local"
VALID_OPTS = ("type", "device", "o", "size")
_MANDATORY = {"device": ("type",), "type": ("device",), "o": ("device", "type")}
RESTRICTED_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME = re.compile(rf"^{RESTRICTED_CHARS}+$")


def validate_name(name: str) -> None:
    """moby's local ``validateName`` (the texts are Docker's)."""
    if len(name) == 1:
        raise InvalidArgument("volume name is too short, names should be at least two "
                              "alphanumeric characters")
    if not _NAME.match(name):
        raise InvalidArgument(
            f'"{name}" includes invalid characters for a local volume name, only '
            f'"{RESTRICTED_CHARS}" are allowed. If you intended to pass a host directory, '
            f"use absolute path")


def validate_opts(opts: dict[str, str] | None) -> None:
    """``--opt`` keys of the local driver; ``size`` needs project quotas, which we lack."""
    if not opts:
        return
    for key in sorted(opts):
        if key not in VALID_OPTS:
            raise InvalidArgument(f'invalid option: "{key}"')
    if opts.get("size"):
        raise InvalidArgument("quota size requested but no quota support")
    for key, required in _MANDATORY.items():
        if key in opts:
            for req in required:
                if req not in opts:
                    raise InvalidArgument(f'missing required option: "{req}"')


def needs_mount(opts: dict[str, str] | None) -> bool:
    return bool(opts and opts.get("type"))


def mount(opts: dict[str, str], target: str) -> None:
    """Mount the volume's file system on ``target`` (its ``_data``) unless it already is."""
    if is_mountpoint(target):
        return
    args = ["mount", "-t", opts["type"]]
    if opts.get("o"):
        args += ["-o", opts["o"]]
    args += [opts["device"], target]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DySystemError(f"failed to mount local volume: {exc}") from exc
    if r.returncode != 0:
        why = (r.stderr or r.stdout).strip().removeprefix("mount: ")
        raise DySystemError(f"error while mounting volume '{target}': failed to mount local "
                            f"volume: mount {opts['device']}:{target}, data: "
                            f"{opts.get('o', '')}: {why}")


def release(target: str) -> None:
    """Unmount the volume's file system (lazily: a straggler keeps its view)."""
    while is_mountpoint(target):
        if not unmount(target):
            break


def mounts_below(path: str) -> list[str]:
    """Mount points at or under ``path`` (to refuse deleting through one)."""
    real = os.path.realpath(path)
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split(" ", 5)[4]
                if mp == real or mp.startswith(real + "/"):
                    out.append(mp)
    except OSError:
        pass
    return out


class LocalDriver:
    """The ``local`` driver as a :class:`dockyard.volume.driver.Driver`."""

    name = DRIVER

    def validate(self, name: str, options: dict[str, str] | None) -> None:
        validate_name(name)
        validate_opts(options)

    def needs_mount(self, options: dict[str, str] | None) -> bool:
        return needs_mount(options)

    def mount(self, options: dict[str, str] | None, mountpoint: str) -> None:
        if needs_mount(options):
            mount(options or {}, mountpoint)

    def unmount(self, options: dict[str, str] | None, mountpoint: str) -> None:
        release(mountpoint)
