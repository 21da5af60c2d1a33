"""Resolve a path inside a container's root without ever leaving it.

Why: a container's /etc/passwd (or any path a user names for ``cp``) may be a symlink to
``/etc/shadow`` *of the host* when followed from outside. Like moby's FollowSymlinkInScope,
every symlink met on the way is resolved relative to the container root, and ``..`` never
climbs above it.
"""

from __future__ import annotations

import os

__all__ = ["secure_join"]

_MAX_LINKS = 255


def secure_join(root: str, path: str) -> str:
    """The host path of ``path`` as seen inside ``root`` (the last component may not exist)."""
    root = os.path.realpath(root)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(part)
            continue
        import stat as _stat
        if _stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_LINKS:
                raise OSError(40, "too many levels of symbolic links", path)
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)
