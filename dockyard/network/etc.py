"""A running container's resolv.conf as its networks change (connect/disconnect).

The file is bind-mounted into the container as a *file*, so it is rewritten in place
(same inode); a rename would leave the container looking at the old one.
"""

from __future__ import annotations

__all__ = ["add_nameserver", "drop_nameserver"]


def add_nameserver(path: str, server: str) -> None:
    """Put ``nameserver <server>`` first, unless it is there already."""
    try:
        with open(path, "r+") as f:
            text = f.read()
            if f"nameserver {server}\n" in text:
                return
            f.seek(0)
            f.write(f"nameserver {server}\n" + text)
            f.truncate()
    except OSError:
        pass


def drop_nameserver(path: str, server: str) -> None:
    """Remove ``nameserver <server>``, unless it is the last nameserver left."""
    try:
        with open(path, "r+") as f:
            lines = f.read().splitlines(keepends=True)
            keep = [ln for ln in lines if ln.strip() != f"nameserver {server}"]
            if keep == lines or not any(ln.startswith("nameserver") for ln in keep):
                return
            f.seek(0)
            f.write("".join(keep))
            f.truncate()
    except OSError:
        pass
