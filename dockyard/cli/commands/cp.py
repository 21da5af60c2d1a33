"""``dockyard cp``: copy files between a container and the local filesystem, as docker's.

Either side may be ``CONTAINER:PATH``; exactly one must be. ``-`` on the local side is a tar
stream on stdin (to the container: extracted at PATH, which must be a directory) or stdout
(from it: the archive as the daemon sends it).

Naming follows docker's ``archive.CopyInfo`` rules, which scripts rely on:

* the destination exists and is a directory: the source goes *inside* it (``src`` →
  ``dst/src``), or only its contents when the source path ends in ``/.``;
* the destination does not exist: the source is *renamed* to it (its parent must exist);
  a destination ending in ``/`` must then exist;
* a directory never replaces a file ("cannot copy directory").

Path stats come from the ``X-Docker-Container-Path-Stat`` header (Go ``os.FileMode`` bits:
directory ``1<<31``, symlink ``1<<27``).
"""

from __future__ import annotations

import os
import sys

from dockyard.cli.command import Command, Context
from dockyard.cli.errors import StatusError
from dockyard.errors import NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["CP", "split_cp_arg"]

_MODE_DIR = 1 << 31
_MODE_SYMLINK = 1 << 27


def _flags(fs: FlagSet) -> None:
    fs.add("archive", "a", bool, help="Archive mode (copy all uid/gid information)")
    fs.add("follow-link", "L", bool, help="Always follow symbol link in SRC_PATH")
    fs.add("quiet", "q", bool, help="Suppress progress output during copy. Progress output is automatically "
                                     "suppressed if no terminal is attached")


def split_cp_arg(arg: str) -> tuple[str, str]:
    """docker's splitCpArg: ``ctr:/p`` → ``("ctr", "/p")``; a local path (absolute, ``./x:y``) has no container."""
    if os.path.isabs(arg) or arg.startswith("."):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep:
        return "", arg
    return container, path


def _is_dir(stat: dict[str, Any]) -> bool:
    return bool(int(stat.get("mode", 0)) & _MODE_DIR)


def _contents_only(path: str) -> bool:
    return path.endswith(os.sep + ".") or path == "."


def _rebase(names: Any, old: str, new: str) -> None:
    """Rename the archive's top entry ``old`` (and what is under it) to ``new``."""
    for member in names:
        name = member.name.lstrip("./") if member.name.startswith("./") else member.name
        if name == old or name.startswith(old + "/"):
            member.name = new + name[len(old):]
            if member.islnk() and (member.linkname == old or member.linkname.startswith(old + "/")):
                member.linkname = new + member.linkname[len(old):]


# --- from the container ---------------------------------------------------------------------------

def _copy_from(ctx: Context, container: str, src: str, dst: str, follow: bool) -> int:
    import tarfile

    client = ctx.client
    if follow:
        stat = client.archive_stat(container, src)
        if int(stat.get("mode", 0)) & _MODE_SYMLINK and stat.get("linkTarget"):
            target = str(stat["linkTarget"])
            src = target if os.path.isabs(target) else os.path.join(os.path.dirname(src), target)
    response, stat = client.archive_get(container, src)
    with response:
        if dst == "-":
            out = sys.stdout.buffer
            n = 0
            for chunk in response.iter_chunks():
                out.write(chunk)
                n += len(chunk)
            out.flush()
            return n
        src_base = str(stat.get("name") or os.path.basename(src.rstrip("/")) or "/")
        src_is_dir = _is_dir(stat)
        if os.path.isdir(dst):
            into, rename = dst, (None if not (src_is_dir and _contents_only(src)) else "")
        elif os.path.lexists(dst):
            if src_is_dir:
                raise StatusError(1, "cannot copy directory")
            into, rename = os.path.dirname(os.path.abspath(dst)), os.path.basename(dst)
        else:
            if dst.endswith("/"):
                if not src_is_dir:
                    raise StatusError(1, "no such directory")
            parent = os.path.dirname(os.path.abspath(dst.rstrip("/")))
            if not os.path.isdir(parent):
                raise StatusError(1, f'invalid output path: directory "{parent}" does not exist')
            into, rename = parent, os.path.basename(dst.rstrip("/"))
        reader = _Reader(response)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if rename is not None:
                    if name == src_base:
                        if rename == "":
                            continue
                        name = rename
                    elif name.startswith(src_base + "/"):
                        name = (rename + "/" if rename else "") + name[len(src_base) + 1:]
                    if member.islnk() and member.linkname.startswith(src_base):
                        rest = member.linkname[len(src_base):].lstrip("/")
                        member.linkname = "/".join(p for p in (rename, rest) if p)
                member.name = name
                tar.extract(member, into, set_attrs=True, numeric_owner=True, filter="fully_trusted")
            end = tar.offset + 1024  # what docker's Go tar reader consumes: up to the two end blocks
        return min(reader.total, end)


class _Reader:
    """A file-like view of a streamed reply, for ``tarfile``'s stream mode."""

    def __init__(self, response: Any) -> None:
        self._chunks = response.iter_chunks()
        self._buf = b""
        self.total = 0

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self.total += len(chunk)
            self._buf += chunk
        if n < 0:
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data


# --- to the container -----------------------------------------------------------------------------

def _tar_path(src: str, arcname: str, out: BinaryIO, *, contents_only: bool) -> int:
    """Tar ``src`` into ``out``; the tar's size without record padding (the size docker reports)."""
    import tarfile

    def whole_seconds(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = int(info.mtime)  # a float mtime costs a PAX header per entry
        return info

    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        if contents_only:
            for entry in sorted(os.listdir(src)):
                tar.add(os.path.join(src, entry), arcname=f"{arcname}/{entry}" if arcname else entry,
                        filter=whole_seconds)
        else:
            tar.add(src, arcname=arcname, filter=whole_seconds)
    return tar.offset


def _copy_to(ctx: Context, src: str, container: str, dst: str, *, follow: bool, archive: bool) -> int:
    client = ctx.client
    if src == "-":
        client.archive_put(container, dst, sys.stdin.buffer, copy_uid_gid=archive)
        return 0
    if follow:
        src = os.path.realpath(src) if not _contents_only(src) else src
    if not os.path.lexists(src):
        raise StatusError(1, f"lstat {src}: no such file or directory")
    src_is_dir = os.path.isdir(src) and not (os.path.islink(src) and not follow)
    try:
        stat: dict[str, Any] | None = client.archive_stat(container, dst)
    except NotFound:
        stat = None
    if stat is not None and _is_dir(stat):
        put_at = dst
        arcname = "" if src_is_dir and _contents_only(src) else os.path.basename(os.path.normpath(src))
        contents = src_is_dir and _contents_only(src)
    else:
        if stat is not None and src_is_dir:
            raise StatusError(1, "cannot copy directory")
        if stat is None and dst.endswith("/") and not src_is_dir:
            raise StatusError(1, "no such directory")
        trimmed = dst.rstrip("/") or "/"
        put_at = os.path.dirname(trimmed) or "/"
        arcname = os.path.basename(trimmed)
        contents = src_is_dir and _contents_only(src)
    import tempfile

    with tempfile.TemporaryFile() as spool:  # a Content-Length body: the daemon reads it whole
        size = _tar_path(os.path.normpath(src) if not contents else src, arcname, spool, contents_only=contents)
        spool.seek(0)
        client.archive_put(container, put_at, spool, copy_uid_gid=archive)
    return size


def _cp(ctx: Context, opts: Options) -> int:
    src_arg, dst_arg = opts.args
    src_ctr, src_path = split_cp_arg(src_arg)
    dst_ctr, dst_path = split_cp_arg(dst_arg)
    if src_ctr and dst_ctr:
        raise StatusError(1, "copying between containers is not supported")
    if not src_ctr and not dst_ctr:
        raise StatusError(1, "must specify at least one container source")
    if src_ctr:
        if not src_path:
            raise StatusError(1, "empty source path")
        copied = _copy_from(ctx, src_ctr, src_path, dst_path, bool(opts.follow_link))
        shown = dst_path
    else:
        if not dst_path:
            raise StatusError(1, "empty destination path")
        copied = _copy_to(ctx, src_path, dst_ctr, dst_path, follow=bool(opts.follow_link), archive=bool(opts.archive))
        shown = dst_arg
    # docker reports the size on stderr when *stdout* is a terminal (never when stdout carries the data)
    if not opts.quiet and dst_path != "-" and src_path != "-" and _isatty(ctx.out):
        from dockyard.cli.units import human_size

        ctx.warn(f"Successfully copied {human_size(copied)} to {shown}")
    return 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


CP = Command("cp", "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
             "Copy files/folders between a container and the local filesystem", run=_cp, flags=_flags,
             args=("exact", 2), family="container")
