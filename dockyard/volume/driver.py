"""The volume driver interface: how a volume's data comes to be at its mountpoint.

Vocabulary: a driver has a ``name`` (``local``); a volume's ``options`` are the driver's
``--opt`` map, checked once by ``validate`` when the volume is created; its ``mountpoint``
is the directory containers bind (``<data_root>/volumes/<name>/_data``). Lifecycle of one
volume, as the VolumeService drives it::

    validate(name, options)          at ``volume create`` (or the first ``-v name:...``)
    mount(options, mountpoint)       at each start of a container using it (idempotent:
                                     a second user finds it mounted)
    unmount(options, mountpoint)     when the last running user stops, and before removal

Worked example, the local driver with a tmpfs::

    drv = LocalDriver()
    drv.validate("cache", {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"})
    drv.mount({"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}, ".../cache/_data")
    drv.unmount({...}, ".../cache/_data")
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Driver"]


class Driver(Protocol):
    name: str

    def validate(self, name: str, options: dict[str, str] | None) -> None:
        """Refuse a bad name or option with ``InvalidArgument`` (Docker's texts)."""

    def needs_mount(self, options: dict[str, str] | None) -> bool:
        """True when the data is a file system mounted on the mountpoint while used."""

    def mount(self, options: dict[str, str] | None, mountpoint: str) -> None:
        """Make the data visible at ``mountpoint`` (no-op for a plain directory)."""

    def unmount(self, options: dict[str, str] | None, mountpoint: str) -> None:
        """Undo ``mount``; safe to call when nothing is mounted."""
