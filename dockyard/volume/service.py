"""VolumeService: volumes as the API sees them, and a container's mounts through its life.

The container manager calls four hooks (registered in ``dockyard.daemon.engine``)::

    create  plan(c, body)   parse VolumesFrom, Binds, Mounts, Tmpfs and Config.Volumes into
                            mount points (validation first, then volumes created; on any
                            error the ones created here are removed again), and record them
                            in ``c.rec["Mounts"]`` (Docker's inspect shape) and
                            ``c.rec["_dy"]["mounts"]`` (what start needs)
    start   mounts(c)       mount local volumes that have options, copy image content into
                            empty volumes (copy-up), create missing ``-v`` host folders, and
                            return the OCI mounts; emits volume ``mount`` events
    stop    release(c)      unmount option volumes no running container uses any more;
                            emits ``unmount``
    remove  forget(c)       with ``rm -v`` or ``--rm``: remove the container's anonymous
                            volumes that no other container uses

A volume is **in use** while any container (running or not) has it among its mounts, as in
Docker; such a volume cannot be removed or pruned. Anonymous volumes carry the label
``com.docker.volume.anonymous`` (Docker 23+), which ``prune`` without ``all`` looks for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
import secrets
import time
from typing import TYPE_CHECKING, Any

from dockyard.errors import Conflict, DockyardError, InvalidArgument, NotFound
from dockyard.errors import SystemError as DySystemError
from dockyard.events import Events
from dockyard.volume import filters as vfilters
from dockyard.volume import local
from dockyard.volume.copyup import copy_up
from dockyard.volume.mounts import (MountPoint, anonymous_name, parse_bind, parse_mount,
                                    parse_volumes_from, validate_tmpfs_destination)
from dockyard.volume.store import Volume, VolumeStore

if TYPE_CHECKING:
    from dockyard.runtime.manager import Container, ContainerManager

__all__ = ["VolumeService", "ANONYMOUS_LABEL"]

log = logging.getLogger("dockyard.volume")

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
_PENDING_TTL = 300.0


def points_of(c: Container) -> list[MountPoint]:
    """The container's mount points (none for records made before volumes existed)."""
    return [MountPoint.from_json(m) for m in c.rec.get("_dy", {}).get("mounts") or []]


class VolumeService:
    def __init__(self, store: VolumeStore, containers: ContainerManager,
                 events: Events) -> None:
        self.store = store
        self.containers = containers
        self.events = events
        #: container id → (time, volume names, names created) between the create hook and
        #: the record: these volumes are in use although no record names them yet
        self._pending: dict[str, tuple[float, set[str], list[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: containers between their mount provider call and their stop hook: a starting
        #: container is not "running" yet but its option volumes must stay mounted
        self._active: set[str] = set()

    # -- start-up ------------------------------------------------------------------------
    def repair(self) -> None:
        """Before containers load: drop half-created volume directories."""
        self.store.repair()

    def reconcile(self) -> None:
        """After containers load: unmount option volumes no running container uses."""
        for vol in self.store.list():
            drv = self.store.driver(vol.driver)
            if drv.needs_mount(vol.options) and not self.running_users(vol.name):
                try:
                    drv.unmount(vol.options, vol.mountpoint)
                except DockyardError:
                    log.exception("could not unmount volume %s", vol.name)

    # -- references ----------------------------------------------------------------------
    def users(self, name: str, ignore: str | None = None) -> list[str]:
        """Ids of the containers that have volume ``name`` among their mounts."""
        now = time.monotonic()
        known = self.containers.containers
        ids = []
        for c in known.values():
            if c.id != ignore and any(m.get("Type") == "volume" and m.get("Name") == name
                                      for m in c.rec.get("Mounts") or []):
                ids.append(c.id)
        for cid, (since, names, _made) in list(self._pending.items()):
            if cid in known:
                del self._pending[cid]
            elif cid != ignore and name in names and now - since <= _PENDING_TTL:
                ids.append(cid)
        return ids

    def _collect(self) -> None:
        """Undo the volumes of creates that failed after the create hook (a later hook or
        the record's insert raised): their container never appeared."""
        now = time.monotonic()
        for cid, (since, _names, made) in list(self._pending.items()):
            if cid in self.containers.containers:
                del self._pending[cid]
            elif now - since > _PENDING_TTL:
                del self._pending[cid]
                for name in made:
                    vol = self.store.find(name)
                    if vol is not None and not self.users(name):
                        try:
                            self.store.remove(name)
                            self._event(vol, "destroy")
                        except DockyardError:
                            log.exception("could not remove volume %s", name)

    def running_users(self, name: str, ignore: str | None = None) -> list[str]:
        """Users that run or are starting (their mounts were handed out, not yet released)."""
        known = self.containers.containers
        return [cid for cid in self.users(name, ignore)
                if cid in self._active or (cid in known and known[cid].running)]

    # -- the API -------------------------------------------------------------------------
    def create(self, name: str = "", driver: str = "", options: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> dict[str, Any]:
        vol, created = self.store.create(name or secrets.token_hex(32),
                                         driver=driver or local.DRIVER, options=options,
                                         labels=labels)
        if created:
            self._event(vol, "create")
        return vol.inspect()

    def inspect(self, name: str) -> dict[str, Any]:
        return self.store.get(name).inspect()

    def list(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        vfilters.validate(filters, vfilters.LIST_FILTERS)
        self._collect()
        dangling = (vfilters.bool_filter(filters, "dangling")
                    if filters.get("dangling") else None)
        out = []
        for vol in self.store.list():
            if dangling is not None and bool(self.users(vol.name)) == dangling:
                continue
            if filters.get("name") and not vfilters.match_name(filters["name"], vol.name):
                continue
            if filters.get("driver") and vol.driver not in filters["driver"]:
                continue
            if filters.get("label") and not vfilters.match_labels(filters["label"], vol.labels):
                continue
            out.append(vol.inspect())
        return out

    def remove(self, name: str, force: bool = False) -> None:
        vol = self.store.find(name) if name else None
        if vol is None:
            if force:
                return
            raise NotFound(f"get {name}: no such volume")
        refs = self.users(name)
        if refs:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(refs)}]")
        self.store.remove(name)
        self._event(vol, "destroy")

    def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        vfilters.validate(filters, vfilters.PRUNE_FILTERS)
        self._collect()
        all_ = vfilters.bool_filter(filters, "all")
        deleted: list[str] = []
        reclaimed = 0
        for vol in self.store.list():
            labels = vol.labels or {}
            if vol.driver != local.DRIVER or self.users(vol.name):
                continue
            if not all_ and ANONYMOUS_LABEL not in labels:
                continue
            if filters.get("label") and not vfilters.match_labels(filters["label"], labels):
                continue
            if filters.get("label!") and vfilters.match_labels(filters["label!"], labels):
                continue
            size = self.store.size(vol)
            try:
                self.store.remove(vol.name)
            except DockyardError as exc:
                log.warning("prune: could not remove volume %s: %s", vol.name, exc)
                continue
            self._event(vol, "destroy")
            deleted.append(vol.name)
            reclaimed += size
        self.events.emit("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return {"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}

    def df(self) -> list[dict[str, Any]]:
        """The ``Volumes`` of ``GET /system/df``: each volume with its ``UsageData``."""
        out = []
        for vol in self.store.list():
            item = vol.inspect()
            item["UsageData"] = {"Size": self.store.size(vol),
                                 "RefCount": len(self.users(vol.name))}
            out.append(item)
        return out

    def _event(self, vol: Volume, action: str, **extra: str) -> None:
        self.events.emit("volume", action, vol.name, {"driver": vol.driver, **extra})

    # -- create hook ---------------------------------------------------------------------
    def plan(self, c: Container, body: dict[str, Any]) -> None:
        """Docker's ``registerMountPoints`` + image volumes, validated before anything is made."""
        self._collect()
        ordered, given_points = self._points_for(c.rec["HostConfig"], c.rec["Config"])
        self._validate_volumes(ordered)
        made = self._create_volumes(c, ordered)
        for mp in given_points:
            if mp.Type == "volume" and mp.Driver == local.DRIVER and not mp.Mode:
                mp.Mode = "z"   # moby's setBindModeIfNull for local volumes from -v/--mount
        for vol in made:
            self._event(vol, "create")
        self._pending[c.id][2].extend(vol.name for vol in made)
        c.rec["Mounts"] = [mp.inspect() for mp in ordered]
        c.rec["_dy"]["mounts"] = [mp.to_json() for mp in ordered]

    def _points_for(self, hc: dict[str, Any],
                    cfg: dict[str, Any]) -> tuple[list[MountPoint], list[MountPoint]]:
        """(every mount point by destination, the ones given by Binds/Mounts), in Docker's
        precedence: VolumesFrom < Binds | Mounts (duplicates refused) < image volumes
        (skipped where anything else, tmpfs included, is mounted)."""
        driver = hc.get("VolumeDriver") or ""
        points: dict[str, MountPoint] = {}
        for spec in hc.get("VolumesFrom") or []:
            ref, mode = parse_volumes_from(spec)
            other = self.containers.get(ref)
            for mp in points_of(other):
                cp = MountPoint.from_json(mp.to_json())
                cp.RW = mp.RW and "ro" not in mode.split(",")
                cp.Mode, cp.copy_data, cp.create_source = "", False, False
                points[cp.Destination] = cp
        given: set[str] = set()
        given_points: list[MountPoint] = []
        for raw in hc.get("Binds") or []:
            mp = parse_bind(str(raw), driver)
            if mp.Destination in given:
                raise InvalidArgument(f"Duplicate mount point: {mp.Destination}")
            given.add(mp.Destination)
            points[mp.Destination] = mp
            given_points.append(mp)
        for m in hc.get("Mounts") or []:
            mp = parse_mount(m)
            if mp.Destination in given:
                raise InvalidArgument(f"Duplicate mount point: {m.get('Target')}")
            given.add(mp.Destination)
            points[mp.Destination] = mp
            given_points.append(mp)
        tmpfs = set()
        for dest in hc.get("Tmpfs") or {}:
            validate_tmpfs_destination(dest)
            tmpfs.add(posixpath.normpath(dest))
        for spec in sorted(cfg.get("Volumes") or {}):
            if not spec.startswith("/"):
                raise InvalidArgument(f'invalid mount config for type "volume": invalid mount '
                                      f"path: '{spec}' mount path must be absolute")
            dest = posixpath.normpath(spec)
            if dest == "/":
                raise InvalidArgument('invalid mount config for type "volume": invalid '
                                      "specification: destination can't be '/'")
            if dest in points or dest in tmpfs:
                continue
            points[dest] = MountPoint(Type="volume", Destination=dest, anonymous=True,
                                      Driver=driver or local.DRIVER, copy_data=True,
                                      volume_labels={})
        return sorted(points.values(), key=lambda p: p.Destination), given_points

    def _validate_volumes(self, ordered: list[MountPoint]) -> None:
        """Every volume is checked before any is created, so a refusal leaves nothing."""
        for mp in ordered:
            if mp.Type != "volume":
                continue
            if mp.anonymous and not mp.Name:
                mp.Name = anonymous_name()
                labels = dict(mp.volume_labels or {})
                labels[ANONYMOUS_LABEL] = ""
                mp.volume_labels = labels
            existing = self.store.find(mp.Name)
            if existing is None:
                self.store.validate(mp.Name, mp.Driver, mp.volume_opts)
            elif mp.Driver not in ("", existing.driver):
                raise Conflict(f"create {mp.Name}: a volume with the same name already exists "
                               f"with a different driver")

    def _create_volumes(self, c: Container, ordered: list[MountPoint]) -> list[Volume]:
        """Create the missing volumes (all or none); returns the ones created."""
        made: list[Volume] = []
        self._pending[c.id] = (time.monotonic(),
                               {mp.Name for mp in ordered if mp.Type == "volume"}, [])
        try:
            for mp in ordered:
                if mp.Type != "volume":
                    continue
                vol, created = self.store.create(mp.Name, driver=mp.Driver or local.DRIVER,
                                                 options=mp.volume_opts,
                                                 labels=mp.volume_labels)
                if created:
                    made.append(vol)
                mp.Driver, mp.Source = vol.driver, vol.mountpoint
        except BaseException:
            self._pending.pop(c.id, None)
            for vol in made:
                try:
                    self.store.remove(vol.name)
                except DockyardError:
                    log.exception("could not undo volume %s", vol.name)
            raise
        return made

    # -- start: mount providers ----------------------------------------------------------
    async def mounts(self, c: Container) -> list[dict[str, Any]]:
        rootfs = os.path.join(c.dir, "rootfs")
        out: list[dict[str, Any]] = []
        self._active.add(c.id)
        for mp in points_of(c):
            ro = [] if mp.RW else ["ro"]
            if mp.Type == "bind":
                self._bind_source(mp)
                opts = ["rbind" if mp.recursive else "bind"] + ro + [mp.Propagation or
                                                                     "rprivate"]
                out.append({"destination": mp.Destination, "type": "bind",
                            "source": mp.Source, "options": opts})
            elif mp.Type == "tmpfs":
                extra = [o for o in mp.tmpfs.split(",") if o]
                out.append({"destination": mp.Destination, "type": "tmpfs", "source": "tmpfs",
                            "options": ["nosuid", "nodev", "noexec"] + extra})
            elif mp.Type == "volume":
                vol = self.store.get(mp.Name)
                lock = self._locks.setdefault(vol.name, asyncio.Lock())
                async with lock:
                    drv = self.store.driver(vol.driver)
                    if drv.needs_mount(vol.options):
                        await asyncio.to_thread(drv.mount, vol.options, vol.mountpoint)
                    if mp.copy_data:
                        await asyncio.to_thread(copy_up, rootfs, mp.Destination,
                                                vol.mountpoint)
                out.append({"destination": mp.Destination, "type": "bind",
                            "source": vol.mountpoint, "options": ["rbind"] + ro + ["rprivate"]})
                self._event(vol, "mount", container=c.id, destination=mp.Destination,
                            **{"read/write": "true" if mp.RW else "false",
                               "propagation": mp.Propagation})
        return out

    @staticmethod
    def _bind_source(mp: MountPoint) -> None:
        if os.path.lexists(mp.Source):
            return
        if not mp.create_source:
            raise InvalidArgument(f'invalid mount config for type "bind": bind source path '
                                  f"does not exist: {mp.Source}")
        try:
            os.makedirs(mp.Source, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise DySystemError(f"error while creating mount source path '{mp.Source}': "
                                f"mkdir {mp.Source}: {exc.strerror.lower()}") from exc

    # -- stop / remove hooks -------------------------------------------------------------
    def release(self, c: Container) -> None:
        self._active.discard(c.id)
        for mp in points_of(c):
            if mp.Type != "volume":
                continue
            vol = self.store.find(mp.Name)
            if vol is None:
                continue
            drv = self.store.driver(vol.driver)
            if drv.needs_mount(vol.options) and not self.running_users(vol.name, ignore=c.id):
                try:
                    drv.unmount(vol.options, vol.mountpoint)
                except DockyardError:
                    log.exception("could not unmount volume %s", vol.name)
            self._event(vol, "unmount", container=c.id)

    def forget(self, c: Container) -> None:
        self._pending.pop(c.id, None)
        self._active.discard(c.id)
        dy = c.rec.get("_dy") or {}
        if not (dy.get("remove_volumes") or c.rec["HostConfig"].get("AutoRemove")):
            return
        for mp in points_of(c):
            if mp.Type != "volume" or not mp.anonymous:
                continue
            vol = self.store.find(mp.Name)
            if vol is None or self.users(mp.Name, ignore=c.id):
                continue   # used by another container: not an error, as in Docker
            try:
                self.store.remove(vol.name)
                self._event(vol, "destroy")
            except DockyardError as exc:
                log.warning("could not remove volume %s of %s: %s", mp.Name, c.id[:12], exc)

