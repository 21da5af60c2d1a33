"""Parsing and validation of a container's mounts: ``HostConfig.Binds``, ``HostConfig.Mounts``,
``HostConfig.Tmpfs`` and ``HostConfig.VolumesFrom``, into typed :class:`MountPoint` values.

This module is pure (no daemon state): it turns what the client sent into a plan and raises
``InvalidArgument`` with moby's texts (``volume/mounts/linux_parser.go``), which clients and
scripts match. Vocabulary:

- a **bind spec** (``-v``, ``HostConfig.Binds``) is ``[source:]destination[:mode]``; a
  source that is an absolute path makes a *bind*, any other source names a *volume*. The
  mode is a comma list of at most one of each: ``ro|rw``, ``z|Z``, a propagation
  (``[r]private|[r]shared|[r]slave``), ``nocopy``, a consistency (``consistent|cached|
  delegated``, accepted and ignored as on Linux Docker). A missing bind source is created
  at start.
- a **mount spec** (``--mount``, ``HostConfig.Mounts``) is Docker's ``mount.Mount`` object:
  ``Type`` (``bind|volume|tmpfs``), ``Source``, ``Target``, ``ReadOnly``, ``BindOptions``,
  ``VolumeOptions``, ``TmpfsOptions``. A bind source must exist.
- an **anonymous** volume is one the container did not name (an image ``VOLUME``, ``-v
  /path``, ``--mount type=volume`` without ``src``): it gets a random 64-hex name and is
  removed with the container by ``rm -v`` or ``--rm``.

Worked example::

    >>> mp = parse_bind("data:/srv:ro")
    >>> (mp.Type, mp.Name, mp.Destination, mp.RW)
    ('volume', 'data', '/srv', False)
"""

from __future__ import annotations

import os
import posixpath
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from dockyard.errors import InvalidArgument

__all__ = [
    "MountPoint",
    "PROPAGATIONS",
    "anonymous_name",
    "parse_bind",
    "parse_mount",
    "parse_volumes_from",
    "validate_tmpfs_destination",
    "tmpfs_options",
    "valid_mode",
]

PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_RW_MODES = ("rw", "ro")
_LABEL_MODES = ("z", "Z")
_CONSISTENCY = ("consistent", "cached", "delegated")
DEFAULT_PROPAGATION = "rprivate"


@dataclass
class MountPoint:
    """One mount of a container, in the shape of Docker's ``MountPoint`` plus what start needs.

    The capitalised fields are Docker's inspect fields (``inspect()`` returns them); the
    others are dockyard's bookkeeping, kept in the record's private ``_dy`` part.
    """

    Type: str                       # "volume" | "bind" | "tmpfs"
    Destination: str
    Source: str = ""                # bind: host path; volume: the volume's _data
    Name: str = ""                  # volume name
    Driver: str = ""
    Mode: str = ""
    RW: bool = True
    Propagation: str = ""
    copy_data: bool = True          # populate an empty volume from the image path
    anonymous: bool = False         # no name given: removed by rm -v / --rm
    create_source: bool = False     # -v bind: create a missing host folder at start
    recursive: bool = True          # rbind (BindOptions.NonRecursive → bind)
    tmpfs: str = ""                 # tmpfs mount data: "size=64m,mode=1777"
    volume_opts: dict[str, str] | None = None    # VolumeOptions.DriverConfig.Options
    volume_labels: dict[str, str] | None = None  # VolumeOptions.Labels
    spec: str = field(default="", repr=False)    # the raw bind spec, for error texts

    def inspect(self) -> dict[str, Any]:
        """The entry of a container's ``Mounts`` list, as ``docker inspect`` shows it."""
        out: dict[str, Any] = {"Type": self.Type}
        if self.Name:
            out["Name"] = self.Name
        out["Source"] = self.Source
        out["Destination"] = self.Destination
        if self.Driver:
            out["Driver"] = self.Driver
        out.update({"Mode": self.Mode, "RW": self.RW, "Propagation": self.Propagation})
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MountPoint:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _invalid_spec(raw: str) -> str:
    return f"invalid volume specification: '{raw}'"


def _mount_config_error(type_: str, why: str) -> InvalidArgument:
    return InvalidArgument(f'invalid mount config for type "{type_}": {why}')


def valid_mode(mode: str) -> bool:
    """moby's ``linuxValidMountMode``: known words, at most one of each kind."""
    if mode == "":
        return True
    counts = [0, 0, 0, 0, 0]
    for o in mode.split(","):
        if o in _RW_MODES:
            counts[0] += 1
        elif o in _LABEL_MODES:
            counts[1] += 1
        elif o in PROPAGATIONS:
            counts[2] += 1
        elif o == "nocopy":
            counts[3] += 1
        elif o in _CONSISTENCY:
            counts[4] += 1
        else:
            return False
    return all(n <= 1 for n in counts)


def _propagation(mode: str) -> str:
    return next((o for o in mode.split(",") if o in PROPAGATIONS), "")


def _validate_target(type_: str, target: str) -> None:
    if not target:
        raise _mount_config_error(type_, "field Target must not be empty")
    if target == "/":
        raise _mount_config_error(type_, "invalid specification: destination can't be '/'")
    if not target.startswith("/"):
        raise _mount_config_error(type_, f"invalid mount path: '{target}' mount path must be "
                                         f"absolute")


def parse_bind(raw: str, volume_driver: str = "") -> MountPoint:
    """One ``HostConfig.Binds`` entry (moby's ``ParseMountRaw``)."""
    if raw.count(":") > 2:
        raise InvalidArgument(_invalid_spec(raw))
    arr = raw.split(":", 2)
    if arr[0] == "":
        raise InvalidArgument(_invalid_spec(raw))
    source, mode = "", ""
    if len(arr) == 1:
        target = arr[0]
    elif len(arr) == 2:
        if valid_mode(arr[1]):
            # "/foo:rw": a destination and a mode is not a valid spec (volumes need a name)
            raise InvalidArgument(_invalid_spec(raw))
        source, target = arr
    else:
        source, target, mode = arr
    if not valid_mode(mode):
        raise InvalidArgument(f"invalid mode: {mode}")
    type_ = "bind" if source.startswith("/") else "volume"
    words = mode.split(",") if mode else []
    try:
        _validate_target(type_, target)
        if type_ == "volume" and _propagation(mode):
            raise _mount_config_error(type_, "field BindOptions must not be specified")
        if type_ == "bind" and "nocopy" in words:
            raise _mount_config_error(type_, "field VolumeOptions must not be specified")
    except InvalidArgument as exc:
        raise InvalidArgument(f"{_invalid_spec(raw)}: {exc}") from None
    mp = MountPoint(Type=type_, Destination=posixpath.normpath(target), Mode=mode,
                    RW="ro" not in words, spec=raw)
    if type_ == "bind":
        mp.Source = posixpath.normpath(source)
        mp.Propagation = _propagation(mode) or DEFAULT_PROPAGATION
        mp.create_source = True
        mp.copy_data = False
    else:
        mp.Name = source
        mp.anonymous = not source
        mp.Driver = volume_driver or "local"
        mp.copy_data = "nocopy" not in words
    return mp


def _opt(obj: dict[str, Any] | None, key: str, default: Any = None) -> Any:
    if not obj:
        return default
    value = obj.get(key)
    return default if value is None else value


def tmpfs_options(opts: dict[str, Any] | None, read_only: bool) -> str:
    """moby's ``ConvertTmpfsOptions``: ``TmpfsOptions`` to mount data (``ro,mode=1770,size=1m``)."""
    raw: list[str] = []
    if read_only:
        raw.append("ro")
    mode = int(_opt(opts, "Mode", 0) or 0)
    if mode:
        raw.append(f"mode={mode:o}")
    size = int(_opt(opts, "SizeBytes", 0) or 0)
    if size < 0:
        raise InvalidArgument("invalid tmpfs size: size must not be negative")
    if size:
        suffix = ""
        for s, div in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % div == 0:
                size, suffix = size // div, s
                break
        raw.append(f"size={size}{suffix}")
    for extra in _opt(opts, "Options", []) or []:
        if isinstance(extra, list) and extra:
            raw.append("=".join(str(x) for x in extra))
    return ",".join(raw)


def parse_mount(cfg: dict[str, Any], *, check_source: bool = True) -> MountPoint:
    """One ``HostConfig.Mounts`` entry (moby's ``ParseMountSpec``, bind sources must exist)."""
    if not isinstance(cfg, dict):
        raise InvalidArgument("invalid mount config: expected an object")
    type_ = str(cfg.get("Type") or "")
    source = str(cfg.get("Source") or "")
    target = str(cfg.get("Target") or "")
    read_only = bool(cfg.get("ReadOnly"))
    bind_opts = cfg.get("BindOptions")
    vol_opts = cfg.get("VolumeOptions")
    tmpfs_opts = cfg.get("TmpfsOptions")
    _validate_target(type_, target)
    dest = posixpath.normpath(target)
    if type_ == "bind":
        if not source:
            raise _mount_config_error(type_, "field Source must not be empty")
        prop = str(_opt(bind_opts, "Propagation", "") or "")
        if prop and prop not in PROPAGATIONS:
            raise _mount_config_error(type_, f"invalid propagation mode: {prop}")
        if vol_opts is not None:
            raise _mount_config_error(type_, "field VolumeOptions must not be specified")
        if tmpfs_opts is not None:
            raise _mount_config_error(type_, "field TmpfsOptions must not be specified")
        if not source.startswith("/"):
            raise _mount_config_error(type_, f"invalid mount path: '{source}' mount path must "
                                             f"be absolute")
        if check_source and not os.path.lexists(source):
            raise _mount_config_error(type_, f"bind source path does not exist: {source}")
        return MountPoint(Type="bind", Destination=dest, Source=posixpath.normpath(source),
                          RW=not read_only, Propagation=prop or DEFAULT_PROPAGATION,
                          copy_data=False,
                          recursive=not bool(_opt(bind_opts, "NonRecursive", False)))
    if type_ == "volume":
        if bind_opts is not None:
            raise _mount_config_error(type_, "field BindOptions must not be specified")
        if tmpfs_opts is not None:
            raise _mount_config_error(type_, "field TmpfsOptions must not be specified")
        if read_only and not source:
            raise _mount_config_error(
                type_, "must not set ReadOnly mode when using anonymous volumes")
        if _opt(vol_opts, "Subpath", ""):
            raise _mount_config_error(type_, "field Subpath is not supported")
        driver_cfg = _opt(vol_opts, "DriverConfig", {}) or {}
        return MountPoint(
            Type="volume", Destination=dest, Name=source, anonymous=not source,
            Driver=str(driver_cfg.get("Name") or "local"), RW=not read_only,
            copy_data=not bool(_opt(vol_opts, "NoCopy", False)),
            volume_opts=dict(driver_cfg.get("Options") or {}) or None,
            volume_labels=dict(_opt(vol_opts, "Labels", {}) or {}) or None)
    if type_ == "tmpfs":
        if bind_opts is not None:
            raise _mount_config_error(type_, "field BindOptions must not be specified")
        if vol_opts is not None:
            raise _mount_config_error(type_, "field VolumeOptions must not be specified")
        if source:
            raise _mount_config_error(type_, "field Source must not be specified")
        return MountPoint(Type="tmpfs", Destination=dest, RW=not read_only, copy_data=False,
                          tmpfs=tmpfs_options(tmpfs_opts, read_only))
    raise _mount_config_error(type_, "mount type unknown")


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """``container[:ro|rw]`` → (container, mode); moby's ``ParseVolumesFrom``."""
    if not spec:
        raise InvalidArgument("volumes-from specification cannot be an empty string")
    ref, _, mode = spec.partition(":")
    if not mode:
        return ref, "rw"
    if not valid_mode(mode) or _propagation(mode) or "nocopy" in mode.split(","):
        raise InvalidArgument(f"invalid mode: {mode}")
    return ref, mode


def validate_tmpfs_destination(dest: str) -> None:
    """A ``HostConfig.Tmpfs`` key (``--tmpfs /run:size=1m``)."""
    if dest == "/":
        raise InvalidArgument("invalid specification: destination can't be '/'")
    if not dest.startswith("/"):
        raise InvalidArgument(f"invalid mount path: '{dest}' mount path must be absolute")


def anonymous_name() -> str:
    """A new anonymous volume's name: 64 hex digits, as Docker's ``stringid``."""
    return secrets.token_hex(32)
