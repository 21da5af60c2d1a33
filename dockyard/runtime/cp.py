"""``docker cp``: stat, archive and extract paths inside a container's root filesystem.

Paths are the container's (``/etc/passwd``); ``root`` is the host path of its merged
rootfs (see ``rootfs.mounted``). Every lookup is fd-relative from the root with symlinks
resolved *inside* it (``..`` stops at the root, absolute targets restart there), which is
what Docker gets by running these operations chrooted into the container: a container
cannot point us at the host's files, not even by swapping a directory for a symlink while
we work.

Docker's rules, kept:

- stat / archive: every component but the last is followed; the last is ``lstat``-ed
  (a symlink is archived as a symlink), unless the path ends in ``/`` or ``/.``;
  ``linkTarget`` is the link fully resolved in the container. A directory is archived
  with its own name as the top entry (``/etc`` -> ``etc/``, ``etc/passwd``...), a path
  ending in ``/.`` as ``./``, a file as its base name.
- extract: the destination is followed completely, must exist and be a directory; the
  archive goes through ``unpack.apply_layer`` in plain mode, so it cannot escape the root.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass
from typing import Any, BinaryIO

from dockyard.errors import InvalidArgument, NotFound, SystemError as DySystemError

__all__ = ["PathStat", "go_file_mode", "go_time", "ResolvedPath", "resolve", "stat_of", "stat_path",
           "archive", "extract"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_HOPS = 40

# Go's os.FileMode type bits (the "mode" of X-Docker-Container-Path-Stat).
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_DEVICE = 1 << 26
_GO_PIPE = 1 << 25
_GO_SOCKET = 1 << 24
_GO_SETUID = 1 << 23
_GO_SETGID = 1 << 22
_GO_CHARDEV = 1 << 21
_GO_STICKY = 1 << 20


def go_file_mode(st: os.stat_result) -> int:
    """``st_mode`` as Go's ``os.FileMode`` (what Docker clients decode)."""
    m = st.st_mode
    mode = m & 0o777
    if m & stat.S_ISUID:
        mode |= _GO_SETUID
    if m & stat.S_ISGID:
        mode |= _GO_SETGID
    if m & stat.S_ISVTX:
        mode |= _GO_STICKY
    if stat.S_ISDIR(m):
        mode |= _GO_DIR
    elif stat.S_ISLNK(m):
        mode |= _GO_SYMLINK
    elif stat.S_ISFIFO(m):
        mode |= _GO_PIPE
    elif stat.S_ISSOCK(m):
        mode |= _GO_SOCKET
    elif stat.S_ISCHR(m):
        mode |= _GO_DEVICE | _GO_CHARDEV
    elif stat.S_ISBLK(m):
        mode |= _GO_DEVICE
    return mode


def go_time(ns: int) -> str:
    """Go's ``time.Time`` JSON (RFC3339Nano, UTC, trailing zeros of the fraction dropped)."""
    import time as _time
    secs, frac = divmod(ns, 1_000_000_000)
    base = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(secs))
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


@dataclass
class PathStat:
    """Docker's ``ContainerPathStat``."""

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "mode": self.mode, "mtime": self.mtime,
                "linkTarget": self.link_target}


@dataclass
class ResolvedPath:
    """An open parent directory plus the entry in it (``"."``: the directory itself)."""

    parent_fd: int
    name: str
    st: os.stat_result
    canon: tuple[str, ...]  # the parent's canonical path inside the root

    def close(self) -> None:
        os.close(self.parent_fd)


def _split(path: str) -> tuple[list[str], bool, str]:
    """(components, must be a dir, Docker's base name) of a container path."""
    clean = posixpath.normpath("/" + path)
    parts = [p for p in clean.split("/") if p]
    trailing_dot = path == "." or path.endswith("/.")
    as_dir = trailing_dot or path.endswith("/")
    if not parts:
        name = "/"
    elif trailing_dot:
        name = "."
    else:
        name = parts[-1]
    return parts, as_dir, name


def _open_dir(root_fd: int, parts: list[str] | tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    from dockyard.image.unpack import resolve_dir
    return resolve_dir(root_fd, tuple(parts), create=False)


def _not_found(path: str, container: str) -> NotFound:
    return NotFound(f"Could not find the file {path} in container {container}")


def resolve(root: str, path: str, container: str) -> tuple[ResolvedPath, str]:
    """Open what ``path`` names, Docker's way; returns it and Docker's base name."""
    parts, as_dir, name = _split(path)
    root_fd = os.open(root, _DIR_FLAGS)
    try:
        try:
            if as_dir or not parts:
                fd, canon = _open_dir(root_fd, parts)
                return ResolvedPath(fd, ".", os.fstat(fd), canon), name
            fd, canon = _open_dir(root_fd, parts[:-1])
        except (FileNotFoundError, InvalidArgument) as exc:
            raise _not_found(path, container) from exc
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ELOOP):
                raise _not_found(path, container) from exc
            raise DySystemError(f"lstat {path}: {exc.strerror}") from exc
        try:
            st = os.lstat(parts[-1], dir_fd=fd)
        except FileNotFoundError as exc:
            os.close(fd)
            raise _not_found(path, container) from exc
        return ResolvedPath(fd, parts[-1], st, canon), name
    finally:
        os.close(root_fd)


def _link_target(root: str, canon: tuple[str, ...], name: str) -> str:
    """The symlink ``canon/name`` fully resolved in the root (as far as it goes if broken)."""
    root_fd = os.open(root, _DIR_FLAGS)
    try:
        parent, base = list(canon), name
        for _ in range(_MAX_HOPS):
            try:
                fd, real = _open_dir(root_fd, parent)
            except (FileNotFoundError, InvalidArgument, OSError):
                break
            try:
                try:
                    st = os.lstat(base, dir_fd=fd)
                except FileNotFoundError:
                    parent = list(real)
                    break
                if not stat.S_ISLNK(st.st_mode):
                    parent = list(real)
                    break
                target = os.readlink(base, dir_fd=fd)
            finally:
                os.close(fd)
            start = [] if target.startswith("/") else list(real)
            parts = [p for p in posixpath.normpath("/" + "/".join(start) + "/" + target).split("/") if p]
            if not parts:
                return "/"
            parent, base = parts[:-1], parts[-1]
        return "/" + "/".join([*parent, base])
    finally:
        os.close(root_fd)


def stat_of(root: str, rp: ResolvedPath, name: str) -> PathStat:
    """Docker's stat of an already resolved path."""
    link = ""
    if stat.S_ISLNK(rp.st.st_mode):
        link = _link_target(root, rp.canon, rp.name)
    return PathStat(name=name, size=rp.st.st_size, mode=go_file_mode(rp.st),
                    mtime=go_time(rp.st.st_mtime_ns), link_target=link)


def stat_path(root: str, path: str, container: str) -> PathStat:
    """``HEAD /containers/{id}/archive``: Docker's stat of ``path``."""
    rp, name = resolve(root, path, container)
    try:
        return stat_of(root, rp, name)
    finally:
        rp.close()


def archive(rp: ResolvedPath, arcname: str, out: BinaryIO) -> None:
    """Write what ``rp`` names as an uncompressed tar to ``out`` (``rp`` stays open)."""
    from dockyard.image.diff import write_path
    write_path(rp.parent_fd, rp.name, arcname, out)


def extract(root: str, path: str, container: str, stream: BinaryIO, *,
            no_overwrite_dir_nondir: bool = False, owner: tuple[int, int] | None = None) -> None:
    """``PUT /containers/{id}/archive``: unpack the tar ``stream`` into directory ``path``."""
    from dockyard.image.unpack import apply_layer

    parts, _, _ = _split(path)
    root_fd = os.open(root, _DIR_FLAGS)
    try:
        try:
            fd, _ = _open_dir(root_fd, parts[:-1])
            os.close(fd)
        except (FileNotFoundError, InvalidArgument, OSError) as exc:
            raise _not_found(path, container) from exc
        try:
            fd, canon = _open_dir(root_fd, parts)
            os.close(fd)
        except FileNotFoundError as exc:
            raise _not_found(path, container) from exc
        except (InvalidArgument, OSError) as exc:
            raise InvalidArgument("extraction point is not a directory") from exc
    finally:
        os.close(root_fd)
    try:
        apply_layer(stream, root, whiteout_mode="none", subdir="/".join(canon), owner=owner,
                    no_overwrite_dir_nondir=no_overwrite_dir_nondir)
    except InvalidArgument as exc:
        raise InvalidArgument(str(exc).replace("invalid layer tar", "invalid archive")) from exc
