"""Filesystem views of a build state, and committing what a step changed as a layer.

Vocabulary (after the Snapshotter's): a step that changes files *prepares* a writable
view (an overlay of the state's layers with a fresh upper), mutates it, *commits* the
upper as a layer tar on the parent chain (``ImageService.add_layer``), and removes the
view. ``view`` is a read-only overlay of a state, for ``COPY --from`` to read.

Layout (under the builder's root; never under the engine's ``tmp``, which is deleted
with ``rmtree`` at start-up and must not hold mounts)::

    <data_root>/builder/mnt/<random>/upper work merged    a writable view
    <data_root>/builder/mnt/<random>/view                 a read-only view
    <data_root>/builder/mnt/layer-<random>                a layer tar being committed

``sweep`` (at daemon start) unmounts and deletes what a killed daemon left there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dockyard.image.service import ImageService
from dockyard.store import mount as mnt
from dockyard.store.snapshots import Snapshotter, chain_id

__all__ = ["Layers", "is_empty_dir"]


def is_empty_dir(path: str) -> bool:
    with os.scandir(path) as it:
        return next(it, None) is None


class Layers:
    def __init__(self, root: str, images: ImageService, snapshots: Snapshotter) -> None:
        self.root = os.path.join(root, "mnt")
        self.images = images
        self.snapshots = snapshots
        os.makedirs(self.root, mode=0o700, exist_ok=True)

    def sweep(self) -> None:
        for name in os.listdir(self.root):
            base = os.path.join(self.root, name)
            if not os.path.isdir(base) or os.path.islink(base):
                os.unlink(base)  # a layer tar being written when the daemon died
                continue
            for sub in ("merged", "view"):
                Snapshotter.unmount(os.path.join(base, sub))
            if not any(mnt.is_mountpoint(os.path.join(base, s)) for s in ("merged", "view")):
                shutil.rmtree(base, ignore_errors=True)

    def _new_dir(self) -> str:
        return tempfile.mkdtemp(prefix="m-", dir=self.root)

    def _drop(self, base: str, target: str) -> None:
        Snapshotter.unmount(target)
        if not mnt.is_mountpoint(target):
            shutil.rmtree(base, ignore_errors=True)

    def mutate(self, chain: str | None, change: Callable[[str], None]) -> tuple[str, str] | None:
        """Prepare a writable view of ``chain``, let ``change(root)`` modify it, then commit
        its upper as a layer (see :meth:`commit`) once the view is unmounted."""
        base = self._new_dir()
        upper, work, merged = (os.path.join(base, s) for s in ("upper", "work", "merged"))
        try:
            for p in (upper, work, merged):
                os.mkdir(p, 0o755)
            self.snapshots.mount(chain, upper, work, merged)
            try:
                change(merged)
            finally:
                Snapshotter.unmount(merged)
            if mnt.is_mountpoint(merged):
                raise OSError(f"cannot unmount {merged}")
            return self.commit(chain, upper)
        finally:
            self._drop(base, merged)

    @contextmanager
    def view(self, chain: str | None) -> Iterator[str]:
        """A read-only merged view of ``chain`` (the empty dir for ``scratch``)."""
        if chain is None:
            yield str(self.snapshots.root / "empty")
            return
        base = self._new_dir()
        target = os.path.join(base, "view")
        os.mkdir(target, 0o755)
        # overlayfs wants two lowers when there is no upper: the empty dir is the second.
        lowers = self.snapshots.lowerdirs(chain) + [str(self.snapshots.root / "empty")]
        try:
            mnt.mount("overlay", target, "overlay", mnt.MS_RDONLY,
                      f"lowerdir={':'.join(lowers)}")
            yield target
        finally:
            self._drop(base, target)

    def commit(self, parent_chain: str | None, upper: str) -> tuple[str, str] | None:
        """The upper dir as a layer on ``parent_chain``: ``(diff_id, chain)``, or None
        when nothing changed (Docker records such a step as ``empty_layer``)."""
        from dockyard.image.diff import write_layer

        if is_empty_dir(upper):
            return None
        fd, tmp = tempfile.mkstemp(prefix="layer-", dir=self.root)
        try:
            with os.fdopen(fd, "w+b") as f:
                write_layer(upper, f, compression="gzip")
                f.seek(0)
                ref = self.images.add_layer(parent_chain, f)
        finally:
            os.unlink(tmp)
        return ref.diff_id, chain_id(parent_chain, ref.diff_id)
