"""Snapshots: unpacked image layers, stacked with overlayfs under a container's writable layer.

Vocabulary (after containerd's Snapshotter):

- *chain id*: a layer's identity *in its stack*: ``chain(L1) = diff_id(L1)``,
  ``chain(Ln) = sha256(chain(Ln-1) + " " + diff_id(Ln))`` (OCI image spec). Two images sharing
  a base share its snapshots.
- *commit a layer*: unpack into ``tmp-<random>/``, rename to its final directory, then insert
  the row. A crash before the row leaves an orphan directory, which ``repair`` deletes.
- *prepare a container*: an ``upper``/``work`` pair in the container's directory; *mount*
  joins the parent chain (lowers, top first) and the upper into the container's rootfs.

On-disk layout::

    <root>/snapshots/
      <12 hex of chain id>/     one layer's files, whiteouts as overlayfs expects them
      empty/                    the lower of images without layers (FROM scratch)
      tmp-<random>/             unpack in progress (removed on open)

Worked example (import a layer, then run a container on it)::

    snap = snapshotter.commit_layer(None, lambda dest: unpack(tar, dest))  # -> (diff_id, size)
    snapshotter.mount(snap.chain_id, upper, work, target)   # container start
    snapshotter.unmount(target)                              # container stop
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dockyard.errors import InvalidArgument, NotFound, SystemError as DySystemError
from dockyard.store import mount as mnt
from dockyard.store.metadata import Metadata

__all__ = ["Snapshot", "Snapshotter", "chain_id", "chain_ids"]


def chain_id(parent: str | None, diff_id: str) -> str:
    if parent is None:
        return diff_id
    return "sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest()


def chain_ids(diff_ids: list[str]) -> list[str]:
    out: list[str] = []
    parent = None
    for d in diff_ids:
        parent = chain_id(parent, d)
        out.append(parent)
    return out


@dataclass(frozen=True)
class Snapshot:
    chain_id: str
    dir: str
    parent: str | None
    diff_id: str
    size: int
    blob: str | None
    media_type: str | None


class Snapshotter:
    def __init__(self, root: str | Path, meta: Metadata) -> None:
        self.root = Path(root) / "snapshots"
        self.meta = meta
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "empty").mkdir(exist_ok=True)

    # -- layers ---------------------------------------------------------------------
    def get(self, chain: str) -> Snapshot | None:
        row = self.meta.one("SELECT * FROM snapshots WHERE chain_id=?", (chain,))
        return _row(row) if row else None

    def path(self, snap: Snapshot) -> str:
        return str(self.root / snap.dir)

    def commit_layer(self, parent: str | None, apply: Callable[[str], tuple[str, int]], *,
                     diff_id: str | None = None, blob: str | None = None,
                     media_type: str | None = None) -> Snapshot:
        """Unpack a layer on ``parent`` with ``apply(dest) -> (diff_id, size)``.

        When ``diff_id`` is known beforehand and its chain exists, nothing is unpacked.
        Otherwise the layer is unpacked into ``tmp-*`` (the diff_id is only known once the
        whole tar has been read), then renamed into place and recorded.
        """
        if diff_id is not None:
            existing = self.get(chain_id(parent, diff_id))
            if existing is not None:
                return self._with_blob(existing, blob, media_type)
        tmp = self.root / f"tmp-{secrets.token_hex(8)}"
        tmp.mkdir(mode=0o755)
        try:
            actual, size = apply(str(tmp))
            if diff_id is not None and actual != diff_id:
                raise InvalidArgument(f"layer diff_id mismatch: expected {diff_id}, got {actual}")
            chain = chain_id(parent, actual)
            existing = self.get(chain)
            if existing is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                return self._with_blob(existing, blob, media_type)
            name = chain.split(":", 1)[1][:12]
            final = self.root / name
            if final.exists():  # orphan of an earlier crash with the same chain
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO snapshots(chain_id, dir, parent, diff_id, size, "
                       "blob, media_type) VALUES(?,?,?,?,?,?,?)",
                       (chain, name, parent, actual, size, blob, media_type))
        snap = self.get(chain)
        assert snap is not None
        return snap

    def _with_blob(self, snap: Snapshot, blob: str | None, media_type: str | None) -> Snapshot:
        if blob and not snap.blob:
            self.set_blob(snap.chain_id, blob, media_type)
            return self.get(snap.chain_id) or snap
        return snap

    def set_blob(self, chain: str, blob: str, media_type: str | None) -> None:
        """Record the (compressed) blob a layer came from, for save and push."""
        self.meta.execute("UPDATE snapshots SET blob=?, media_type=? WHERE chain_id=?",
                          (blob, media_type, chain))

    def lowerdirs(self, chain: str | None) -> list[str]:
        """The layer directories of ``chain``, top first, as overlayfs wants them."""
        dirs: list[str] = []
        while chain is not None:
            snap = self.get(chain)
            if snap is None:
                raise NotFound(f"snapshot {chain} not found")
            dirs.append(self.path(snap))
            chain = snap.parent
        return dirs or [str(self.root / "empty")]

    def remove(self, chain: str) -> None:
        snap = self.get(chain)
        if snap is None:
            return
        with self.meta.tx() as db:
            db.execute("DELETE FROM snapshots WHERE chain_id=?", (chain,))
        shutil.rmtree(self.root / snap.dir, ignore_errors=True)

    def all(self) -> list[Snapshot]:
        return [_row(r) for r in self.meta.query("SELECT * FROM snapshots")]

    def repair(self) -> None:
        """Drop directories no row names and rows whose directory is gone (after kill -9)."""
        rows = {r["dir"]: r["chain_id"] for r in self.meta.query("SELECT dir, chain_id FROM snapshots")}
        for entry in os.scandir(self.root):
            if entry.name == "empty":
                continue
            if entry.name not in rows:
                shutil.rmtree(entry.path, ignore_errors=True)
        for d, chain in rows.items():
            if not (self.root / d).is_dir():
                self.meta.execute("DELETE FROM snapshots WHERE chain_id=?", (chain,))

    # -- container layers -----------------------------------------------------------------
    @staticmethod
    def prepare(container_dir: str | Path) -> tuple[str, str, str]:
        """Make the writable layer of a container: (upper, work, merged) paths."""
        base = Path(container_dir)
        upper, work, merged = base / "diff", base / "work", base / "rootfs"
        for p in (upper, work, merged):
            p.mkdir(mode=0o755, exist_ok=True)
        return str(upper), str(work), str(merged)

    def mount(self, chain: str | None, upper: str, work: str, target: str,
              readonly: bool = False) -> None:
        if mnt.is_mountpoint(target):
            return
        lowers = ":".join(self.lowerdirs(chain))
        data = f"lowerdir={lowers},upperdir={upper},workdir={work},index=off"
        if len(data) > 4000:
            raise DySystemError(f"too many layers to mount ({len(lowers.split(':'))})")
        mnt.mount("overlay", target, "overlay", 0, data)

    @staticmethod
    def unmount(target: str) -> None:
        while mnt.unmount(target):
            pass

    def mount_readonly_view(self, chain: str | None, target: str) -> None:
        """A read-only merged view of an image (for inspecting /etc/passwd, export...)."""
        lowers = self.lowerdirs(chain)
        if len(lowers) == 1:
            mnt.mount(lowers[0], target, None, mnt.MS_BIND)
            return
        mnt.mount("overlay", target, "overlay", mnt.MS_RDONLY, f"lowerdir={':'.join(lowers)}")


def _row(row: object) -> Snapshot:
    r = row  # sqlite3.Row
    return Snapshot(chain_id=r["chain_id"], dir=r["dir"], parent=r["parent"],  # type: ignore[index]
                    diff_id=r["diff_id"], size=r["size"], blob=r["blob"],  # type: ignore[index]
                    media_type=r["media_type"])  # type: ignore[index]
