"""Linux capabilities: Docker's default set, ``--cap-add``/``--cap-drop``, and the host's set.

Names are always spelled the way the OCI runtime spec wants them: ``CAP_CHOWN``.
Users may write ``chown``, ``CHOWN`` or ``cap_chown``; ``ALL`` means every capability.

Why ``host_caps``: a nested engine (this machine's case) runs without some capabilities
(e.g. CAP_SYS_RESOURCE). runc refuses to start a container whose bounding set asks for a
capability the runtime itself lacks, so ``--privileged`` and ``--cap-add ALL`` ask for
what the host's bounding set holds, not for the kernel's full list.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from dockyard.errors import InvalidArgument

__all__ = [
    "CAPABILITIES",
    "DEFAULT_CAPS",
    "all_caps",
    "host_caps",
    "normalize_caps",
    "tweak_caps",
]

# Bit number -> name (include/uapi/linux/capability.h). Index is the capability number.
CAPABILITIES: tuple[str, ...] = tuple(
    "CAP_" + n
    for n in (
        "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
        "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
        "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
        "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
        "CHECKPOINT_RESTORE"
    ).split()
)

# Docker's default set, in Docker's order (moby oci/caps/defaults.go).
DEFAULT_CAPS: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

_ALL = "ALL"


@functools.lru_cache(maxsize=1)
def all_caps() -> tuple[str, ...]:
    """Every capability this kernel knows (up to /proc/sys/kernel/cap_last_cap)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read().strip())
    except (OSError, ValueError):
        last = len(CAPABILITIES) - 1
    return CAPABILITIES[: last + 1]


def _parse_capbnd(status_text: str) -> tuple[str, ...]:
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
            return tuple(name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1)
    raise ValueError("no CapBnd line")


@functools.lru_cache(maxsize=1)
def host_caps() -> tuple[str, ...]:
    """The capabilities in this process's bounding set (what a container may be given)."""
    with open("/proc/self/status") as f:
        return _parse_capbnd(f.read())


def normalize_caps(names: Iterable[str]) -> list[str]:
    """Upper-case, add ``CAP_``, validate; ``ALL`` passes through.

    Raises ``InvalidArgument('unknown capability: "CAP_FOO"')`` with Docker's text.
    """
    valid = set(all_caps())
    out: list[str] = []
    for raw in names:
        name = raw.strip().upper()
        if name == _ALL:
            out.append(name)
            continue
        if not name.startswith("CAP_"):
            name = "CAP_" + name
        if name not in valid:
            raise InvalidArgument(f'unknown capability: "{name}"')
        out.append(name)
    return out


def tweak_caps(
    default: Iterable[str] = DEFAULT_CAPS,
    add: Iterable[str] = (),
    drop: Iterable[str] = (),
    *,
    privileged: bool = False,
) -> list[str]:
    """Docker's TweakCapabilities: the capability list for a container.

    - ``privileged``: every capability the host has;
    - ``ALL`` in ``add``: every capability the host has, minus ``drop``;
    - ``ALL`` in ``drop``: only what ``add`` names;
    - otherwise ``default`` minus ``drop``, then ``add``.

    Where Docker uses the kernel's full list for ``ALL``/privileged we use the host's
    bounding set (see the module docstring). Duplicates are dropped, order kept.
    """
    if privileged:
        return list(host_caps())
    add_n = normalize_caps(add)
    drop_n = normalize_caps(drop)
    if not add_n and not drop_n:
        return list(dict.fromkeys(default))
    if _ALL in add_n:
        caps = [c for c in host_caps() if c not in drop_n]
    elif _ALL in drop_n:
        caps = [c for c in add_n if c != _ALL]
    else:
        caps = [c for c in default if c not in drop_n] + [c for c in add_n if c != _ALL]
    return list(dict.fromkeys(caps))
