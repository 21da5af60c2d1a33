"""Copy-up: a new volume mounted over a path that has content in the image starts with it.

As Docker's ``copyExistingContents``: at start, when the container's root file system is
mounted, each volume mount point that may copy (not ``nocopy``, not a bind) whose volume
is *empty* receives the content of the destination path as the container's root sees it
(the image's layers plus the container's own changes), owner, mode and times included,
the top directory's too. A volume that has anything in it is left alone, so data written
by a container is never overwritten by the image.
"""

from __future__ import annotations

import os
import stat
import subprocess

from dockyard.errors import SystemError as DySystemError
from dockyard.runtime.fsjoin import secure_join

__all__ = ["is_empty", "copy_up"]


def is_empty(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is None
    except FileNotFoundError:
        return True


def copy_up(rootfs: str, destination: str, volume_path: str) -> bool:
    """Copy ``rootfs``'s ``destination`` into the empty ``volume_path``; True if it copied."""
    src = secure_join(rootfs, destination)
    try:
        st = os.stat(src)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(st.st_mode) or not is_empty(volume_path):
        return False
    r = subprocess.run(["cp", "-a", "--", src + "/.", volume_path + "/"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise DySystemError(f"failed to populate volume: {r.stderr.strip()}")
    # cp -a of "dir/." gives the volume's top directory the source's metadata as well
    os.chown(volume_path, st.st_uid, st.st_gid)
    os.chmod(volume_path, stat.S_IMODE(st.st_mode))
    return True
