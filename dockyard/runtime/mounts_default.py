"""The filesystem a container gets before any user mount: Docker's defaults, as OCI dicts.

Sources of truth: moby's ``oci/defaults.go`` (mounts, masked and readonly paths, cgroup
device rules) and ``daemon/oci_linux.go`` (what ``--privileged`` changes).

Devices: for an ordinary container Docker lists **no** devices in ``linux.devices``;
runc itself creates /dev/null, zero, full, random, urandom and tty, links /dev/ptmx to
pts/ptmx, and mounts /dev/console over the pty when there is a terminal. The cgroup
rules below allow exactly those (runc also appends its own ``c *:* m``/``b *:* m``,
/dev/pts and /dev/ptmx rules). ``--privileged`` gets every device node of the host's
/dev and an allow-all rule.

Masked and readonly paths that do not exist on this kernel (/proc/kcore,
/proc/sysrq-trigger, /proc/sched_debug, /proc/scsi, ...) are passed to runc as is: runc
1.1 skips a masked or readonly path that is absent (ENOENT) and the container starts;
``tests/unit/runtime/test_runc.py`` checks this with a real container.
"""

from __future__ import annotations

import os
import stat
from typing import Any

__all__ = [
    "DEFAULT_SHM_SIZE",
    "MASKED_PATHS",
    "READONLY_PATHS",
    "default_mounts",
    "masked_paths",
    "readonly_paths",
    "linux_devices",
    "device_cgroup_rules",
    "host_devices",
]

DEFAULT_SHM_SIZE = 64 * 1024 * 1024

MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)

READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

Mount = dict[str, Any]


def default_mounts(*, shm_size: int = DEFAULT_SHM_SIZE, privileged: bool = False) -> list[Mount]:
    """Docker's default mounts; ``privileged`` makes /sys and the cgroup mount writable.

    /dev/shm is a private tmpfs of ``shm_size`` bytes (Docker's ``--shm-size``, 64m by
    default). Engines that share IPC namespaces replace it with a bind mount.
    """
    sys_opts = ["nosuid", "noexec", "nodev"] + ([] if privileged else ["ro"])
    cgroup_opts = ([] if privileged else ["ro"]) + ["nosuid", "noexec", "nodev"]
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": sys_opts},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": cgroup_opts},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", f"size={shm_size}"],
        },
    ]


def masked_paths(*, privileged: bool = False) -> list[str]:
    """Paths runc hides (bind of /dev/null, or an empty ro tmpfs for dirs); none if privileged."""
    return [] if privileged else list(MASKED_PATHS)


def readonly_paths(*, privileged: bool = False) -> list[str]:
    """Paths runc remounts read-only; none if privileged."""
    return [] if privileged else list(READONLY_PATHS)


def _rule(allow: bool, kind: str | None = None, major: int | None = None, minor: int | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"allow": allow}
    if kind is not None:
        rule["type"] = kind
    if major is not None:
        rule["major"] = major
    if minor is not None:
        rule["minor"] = minor
    rule["access"] = "rwm"
    return rule


def device_cgroup_rules(*, privileged: bool = False) -> list[dict[str, Any]]:
    """``linux.resources.devices``: deny all, then Docker's allow list (fuse stays denied)."""
    if privileged:
        return [_rule(True)]
    return [
        _rule(False),
        _rule(True, "c", 1, 5),  # /dev/zero
        _rule(True, "c", 1, 3),  # /dev/null
        _rule(True, "c", 1, 9),  # /dev/urandom
        _rule(True, "c", 1, 8),  # /dev/random
        _rule(True, "c", 5, 0),  # /dev/tty
        _rule(True, "c", 5, 1),  # /dev/console
        _rule(False, "c", 10, 229),  # /dev/fuse: explicitly denied
    ]


def linux_devices(*, privileged: bool = False, dev_root: str = "/dev") -> list[dict[str, Any]]:
    """``linux.devices``: nothing extra normally (runc makes the defaults), the host's if privileged."""
    return host_devices(dev_root) if privileged else []


# Directories of /dev that hold no device a container should get (as containerd's HostDevices).
_SKIP_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})


def host_devices(dev_root: str = "/dev") -> list[dict[str, Any]]:
    """Every char/block device node under ``dev_root`` as OCI device entries.

    Symlinks, fifos, sockets, /dev/console and the pseudo-filesystem dirs are skipped;
    paths keep their place (``/dev/net/tun`` stays ``/dev/net/tun``).
    """
    out: list[dict[str, Any]] = []

    def walk(path: str, container_path: str) -> None:
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names:
            full = os.path.join(path, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if name not in _SKIP_DIRS:
                    walk(full, os.path.join(container_path, name))
                continue
            if name == "console" and path == dev_root:
                continue
            if stat.S_ISCHR(st.st_mode):
                kind = "c"
            elif stat.S_ISBLK(st.st_mode):
                kind = "b"
            else:
                continue
            out.append(
                {
                    "path": os.path.join(container_path, name),
                    "type": kind,
                    "major": os.major(st.st_rdev),
                    "minor": os.minor(st.st_rdev),
                    "fileMode": stat.S_IMODE(st.st_mode),
                    "uid": st.st_uid,
                    "gid": st.st_gid,
                }
            )

    walk(dev_root, "/dev")
    return out
