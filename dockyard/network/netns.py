"""Network namespaces the engine owns: bind-mounted ns files under ``<exec_root>/netns/``.

Lifecycle: ``create`` (touch the file, ``unshare --net=<file> ip link set lo up`` bind-mounts a fresh
namespace on it; the namespace lives as long as the mount), the container joins it by
path (OCI ``linux.namespaces[{type: network, path}]``), ``remove`` unmounts and unlinks.
Because the mount outlives the daemon, a re-adopted container keeps its namespace.
"""

from __future__ import annotations

import os
import subprocess

from dockyard.errors import SystemError as DySystemError

__all__ = ["create", "is_mounted", "remove"]


def is_mounted(path: str) -> bool:
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == path for line in f)
    except OSError:
        return False


def create(path: str) -> str:
    if is_mounted(path):
        return path
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "a"):
        pass
    # the command runs inside the new namespace: bring its loopback up on the way
    r = subprocess.run(["unshare", f"--net={path}", "ip", "link", "set", "lo", "up"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise DySystemError(f"could not create network namespace {path}: {r.stderr.strip()}")
    return path


def remove(path: str) -> None:
    while is_mounted(path):
        r = subprocess.run(["umount", path], capture_output=True, timeout=30)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", path], capture_output=True, timeout=30)
            break
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
