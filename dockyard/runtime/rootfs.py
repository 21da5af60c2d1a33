"""A container's root filesystem for file operations (cp, export, commit), running or not.

Why a module: a running container's overlay is already mounted at ``<dir>/rootfs``, a
stopped one's is not, and ``docker cp``/``export`` work on both. ``mounted`` hides the
difference: it yields the running mount, or mounts the overlay (the record's ``_dy.chain``
as lowers, ``<dir>/diff`` + ``<dir>/work``) on a private mount point for as long as the
operation lasts. For a stopped container it holds the container's lock, so ``start``
(which mounts the same upper and work dirs) waits until the operation is done.

Crash safety: a daemon killed mid-operation leaves a mount under the exec root, never
under a directory that start-up deletes recursively (``rmtree`` through an overlay mount
would delete the container's files). ``repair`` unmounts such leftovers, and resumes
containers that a commit had paused (a marker file is written before the pause).

On-disk layout::

    <exec_root>/rootfs-ops/
      <container id>-<random>/    a stopped container's overlay, mounted for one operation
      paused-<container id>       this container was paused by a commit (resumed on start)
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import subprocess
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from dockyard.errors import Conflict
from dockyard.store import mount as mnt
from dockyard.store.snapshots import Snapshotter

if TYPE_CHECKING:
    from dockyard.runtime.manager import Container, ContainerManager

__all__ = ["ops_dir", "mounted", "frozen", "repair", "upper_dir", "lower_dirs"]

log = logging.getLogger("dockyard.runtime")


def ops_dir(exec_root: str) -> str:
    return os.path.join(exec_root, "rootfs-ops")


def upper_dir(c: Container) -> str:
    """The writable layer of ``c`` (what ``diff`` and ``commit`` read)."""
    return os.path.join(c.dir, "diff")


def lower_dirs(snapshots: Snapshotter, c: Container) -> list[str]:
    """The image layers of ``c``, top first."""
    return snapshots.lowerdirs(c.rec["_dy"].get("chain"))


def _check_usable(c: Container) -> None:
    if c.state.get("Status") == "removing":
        raise Conflict(f"container {c.id} is marked for removal")
    if c.state.get("Dead"):
        raise Conflict(f"container {c.id} is dead")


@contextlib.asynccontextmanager
async def mounted(mgr: ContainerManager, c: Container) -> AsyncIterator[str]:
    """The host path of ``c``'s merged root filesystem while the block runs."""
    _check_usable(c)
    running_root = os.path.join(c.dir, "rootfs")
    if mnt.is_mountpoint(running_root):
        yield running_root
        return
    async with c.lock:
        if mnt.is_mountpoint(running_root):  # started while we waited for the lock
            yield running_root
            return
        base = ops_dir(mgr.paths.exec_root)
        os.makedirs(base, mode=0o700, exist_ok=True)
        target = os.path.join(base, f"{c.id}-{secrets.token_hex(4)}")
        os.mkdir(target, 0o700)
        try:
            mgr.snapshots.mount(c.rec["_dy"].get("chain"), upper_dir(c),
                                os.path.join(c.dir, "work"), target)
            try:
                yield target
            finally:
                Snapshotter.unmount(target)
        finally:
            try:
                os.rmdir(target)
            except OSError:
                log.warning("could not remove %s", target)


@contextlib.asynccontextmanager
async def frozen(mgr: ContainerManager, c: Container, enabled: bool = True) -> AsyncIterator[None]:
    """Pause ``c`` (if it runs and is not paused already) while the block runs (commit)."""
    if not enabled or not c.running or c.state.get("Paused"):
        yield
        return
    marker = os.path.join(ops_dir(mgr.paths.exec_root), f"paused-{c.id}")
    os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
    with open(marker, "w"):
        pass
    attrs = {"name": c.name, "image": c.rec["Config"].get("Image", "")}
    attrs.update(c.rec["Config"].get("Labels") or {})
    try:
        await mgr.runc.pause(c.id)
    except BaseException:
        os.unlink(marker)
        raise
    mgr.events.emit("container", "pause", c.id, dict(attrs))  # as moby's containerPause
    try:
        yield
    finally:
        try:
            await mgr.runc.resume(c.id)
            mgr.events.emit("container", "unpause", c.id, dict(attrs))
        except Exception:  # the container may have been killed meanwhile
            log.exception("resume after commit failed for %s", c.id[:12])
        with contextlib.suppress(FileNotFoundError):
            os.unlink(marker)


def repair(exec_root: str, runc_root: str) -> None:
    """After a crash: unmount leftover operation mounts, resume containers a commit paused."""
    base = ops_dir(exec_root)
    if not os.path.isdir(base):
        return
    for entry in os.listdir(base):
        path = os.path.join(base, entry)
        if entry.startswith("paused-"):
            cid = entry[len("paused-"):]
            subprocess.run(["runc", "--root", runc_root, "resume", cid],
                           capture_output=True, check=False)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            continue
        Snapshotter.unmount(path)
        try:
            os.rmdir(path)
        except OSError:
            log.warning("leftover operation mount %s could not be removed", path)
