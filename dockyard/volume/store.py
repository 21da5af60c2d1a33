"""VolumeStore: the named volumes of one data root (records in SQLite, data on disk).

Vocabulary: a **volume** has a ``name`` (unique; 64 hex digits when anonymous), a
``driver`` (only ``local`` here), ``options`` (the driver's ``--opt``), ``labels`` and a
**mountpoint**, the directory containers bind (``_data``). Whether a volume is *in use* is
not the store's business: that is a question about containers (see ``service``).

On-disk layout (the ``volumes`` table is in ``dockyard.store.metadata``, schema v2)::

    <data_root>/volumes/
      <name>/              0701, created before the row that names it
        _data/             0755, the mountpoint; a mount(8) target when options say so
    dockyard.db  volumes(name PK, driver, created, record json)
                 record = {"Name", "Driver", "Labels", "Options", "CreatedAt", "Scope"}

Crash safety: ``create`` makes the directory, then commits the row; ``remove`` deletes the
row, then the directory. So after ``kill -9`` a directory without a row is a create that
did not finish (or a remove that did): ``repair`` deletes it; a row always has its data.
Deletion never goes through a mount point (a bind-type local volume's ``_data`` may be a
host folder): it is unmounted first and refused if anything is still mounted below.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from typing import Any

from dockyard.errors import Conflict, InvalidArgument, NotFound, SystemError as DySystemError
from dockyard.store.metadata import Metadata
from dockyard.volume import local
from dockyard.volume.driver import Driver

__all__ = ["Volume", "VolumeStore", "created_at"]


def created_at(ts: float) -> str:
    """Docker's ``CreatedAt`` of a volume (RFC 3339, seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class Volume:
    name: str
    driver: str
    created: float
    mountpoint: str
    labels: dict[str, str] | None = None
    options: dict[str, str] | None = None

    def inspect(self) -> dict[str, Any]:
        """Docker's ``Volume`` object (``docker volume inspect``)."""
        return {"CreatedAt": created_at(self.created), "Driver": self.driver,
                "Labels": self.labels, "Mountpoint": self.mountpoint, "Name": self.name,
                "Options": self.options, "Scope": "local"}

    def record(self) -> dict[str, Any]:
        return {"Name": self.name, "Driver": self.driver, "Labels": self.labels,
                "Options": self.options, "CreatedAt": created_at(self.created),
                "Scope": "local"}


class VolumeStore:
    def __init__(self, data_root: str, meta: Metadata) -> None:
        self.root = os.path.join(data_root, "volumes")
        self.meta = meta
        self.drivers: dict[str, Driver] = {local.DRIVER: local.LocalDriver()}
        os.makedirs(self.root, mode=0o701, exist_ok=True)

    def driver(self, name: str) -> Driver:
        drv = self.drivers.get(name or local.DRIVER)
        if drv is None:
            raise NotFound(f'error looking up volume plugin {name}: plugin "{name}" not found')
        return drv

    def mountpoint(self, name: str) -> str:
        return os.path.join(self.root, name, "_data")

    # -- lookups ------------------------------------------------------------------------
    def find(self, name: str) -> Volume | None:
        row = self.meta.one("SELECT name, driver, created, record FROM volumes WHERE name=?",
                            (name,))
        return self._volume(row) if row else None

    def get(self, name: str) -> Volume:
        vol = self.find(name) if name else None
        if vol is None:
            raise NotFound(f"get {name}: no such volume")
        return vol

    def list(self) -> list[Volume]:
        rows = self.meta.query("SELECT name, driver, created, record FROM volumes "
                               "ORDER BY created, name")
        return [self._volume(r) for r in rows]

    def _volume(self, row: Any) -> Volume:
        rec = json.loads(row["record"])
        return Volume(name=row["name"], driver=row["driver"], created=float(row["created"]),
                      mountpoint=self.mountpoint(row["name"]), labels=rec.get("Labels"),
                      options=rec.get("Options"))

    # -- create / remove ----------------------------------------------------------------
    def validate(self, name: str, driver: str, options: dict[str, str] | None) -> None:
        """Everything ``create`` would refuse, without touching anything."""
        drv = self.driver(driver)
        try:
            drv.validate(name, options)
        except InvalidArgument as exc:
            raise InvalidArgument(f"create {name}: {exc}") from None

    def create(self, name: str, *, driver: str = local.DRIVER,
               options: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> tuple[Volume, bool]:
        """The volume ``name``, created unless it exists; True when it was created now."""
        driver = driver or local.DRIVER
        existing = self.find(name)
        if existing is not None:
            if driver != existing.driver:
                raise Conflict(f"create {name}: a volume with the same name already exists "
                               f"with a different driver")
            return existing, False
        self.validate(name, driver, options)
        vdir = os.path.join(self.root, name)
        try:
            os.makedirs(vdir, mode=0o701, exist_ok=True)
            os.makedirs(os.path.join(vdir, "_data"), mode=0o755, exist_ok=True)
        except OSError as exc:
            raise DySystemError(f"create {name}: {exc.strerror}") from exc
        vol = Volume(name=name, driver=driver, created=time.time(),
                     mountpoint=self.mountpoint(name), labels=labels, options=options)
        try:
            with self.meta.tx() as db:
                db.execute("INSERT INTO volumes(name, driver, created, record) VALUES(?,?,?,?)",
                           (name, driver, vol.created, json.dumps(vol.record())))
        except BaseException:
            self._delete_dir(name)
            raise
        return vol, True

    def remove(self, name: str) -> None:
        """Forget the volume and delete its data (the caller checked it is unused)."""
        vol = self.get(name)
        self.driver(vol.driver).unmount(vol.options, vol.mountpoint)
        if local.mounts_below(os.path.join(self.root, name)):
            raise Conflict(f"remove {name}: volume is still mounted")
        with self.meta.tx() as db:
            db.execute("DELETE FROM volumes WHERE name=?", (name,))
        self._delete_dir(name)

    def _delete_dir(self, name: str) -> None:
        vdir = os.path.join(self.root, name)
        local.release(os.path.join(vdir, "_data"))
        if local.mounts_below(vdir):
            # Never delete through a mount: it may be a host folder.
            raise DySystemError(f"remove {name}: a file system is still mounted in {vdir}")
        shutil.rmtree(vdir, ignore_errors=True)

    def repair(self) -> None:
        """After a crash: drop directories no row names, give every row its directory."""
        names = {r["name"] for r in self.meta.query("SELECT name FROM volumes")}
        for entry in os.listdir(self.root):
            if entry not in names:
                try:
                    self._delete_dir(entry)
                except DySystemError:
                    pass
        for name in names:
            os.makedirs(self.mountpoint(name), mode=0o755, exist_ok=True)

    # -- usage --------------------------------------------------------------------------
    def size(self, vol: Volume) -> int:
        """Bytes of the volume's files (hard links once), as ``system df`` reports them."""
        total = 0
        seen: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(vol.mountpoint):
            for fn in filenames:
                try:
                    st = os.lstat(os.path.join(dirpath, fn))
                except OSError:
                    continue
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += st.st_size
        return total
