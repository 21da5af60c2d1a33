"""mount(2)/umount2(2) through libc, without spawning /bin/mount on the container start path."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from dockyard.errors import SystemError as DySystemError

__all__ = ["mount", "unmount", "is_mountpoint", "MS_BIND", "MS_RDONLY", "MS_REC", "MNT_DETACH"]

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
EINVAL = 22

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def mount(source: str, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    rc = _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                     flags, data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise DySystemError(f"mount {fstype or 'bind'} on {target}: {os.strerror(err)}")


def unmount(target: str, flags: int = MNT_DETACH) -> bool:
    """Unmount ``target``; False when it was not mounted (EINVAL) or is gone."""
    rc = _libc.umount2(target.encode(), flags)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (EINVAL, 2):  # not a mount point / no such file
            return False
        raise DySystemError(f"unmount {target}: {os.strerror(err)}")
    return True


def is_mountpoint(path: str) -> bool:
    real = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if line.split(" ", 5)[4] == real:
                    return True
    except OSError:
        return False
    return False
