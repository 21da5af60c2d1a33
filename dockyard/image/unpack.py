"""Apply a Docker/OCI layer tar to a snapshot directory.

Vocabulary: a *layer* is a tar stream (maybe compressed); *dest* is the snapshot
directory it is applied to; a *whiteout mode* says how deletions are written:

- ``"overlay"`` (the default): dest is a fresh, empty directory that will be stacked as an
  overlayfs lower/upper dir. ``.wh.name`` becomes a char device 0:0 at ``name`` and
  ``.wh..wh..opq`` becomes ``trusted.overlay.opaque=y`` on its directory.
- ``"delete"``: dest already holds the layers below (flattening for ``export``, building a
  single-directory rootfs). ``.wh.name`` removes ``name``; ``.wh..wh..opq`` empties the
  directory of everything this layer did not itself write.
- ``"none"``: not a layer but a plain archive (``docker cp`` into a container): ``.wh.*``
  names are ordinary files and the archive's root entry leaves the directory as it is.
  With ``subdir`` the members land below that directory of dest (still resolved inside
  dest: dest is the container root); ``owner`` overrides every entry's uid/gid
  (``cp --archive``) and ``no_overwrite_dir_nondir`` refuses to replace a directory with a
  non-directory or the reverse (Docker's ``noOverwriteDirNonDir``).

Worked example (what the snapshotter does on pull)::

    with open(blob_path, "rb") as blob:
        stats = apply_layer(blob, snapshot_dir)      # gzip/zstd sniffed from magic bytes
    assert stats.diff_id == config.rootfs.diff_ids[i]

Safety contract. A layer comes from the network and may be hostile; nothing it says can
make this module write outside ``dest``:

- member names are cleaned (leading ``/`` and ``./`` dropped, ``a/../b`` collapsed) and a
  name that still climbs out (``../x``, ``/a/../../x``) is refused with ``InvalidArgument``;
- every write happens relative to a directory fd reached from ``dest`` one component at a
  time with ``O_NOFOLLOW``. A symlink met on the way (``evil -> /etc`` followed by
  ``evil/passwd``) is **resolved inside dest**, as if dest were ``/`` (what Docker gets by
  unpacking in a chroot, and what its ``FollowSymlinkInScope`` computes): ``..`` stops at
  dest and absolute targets restart at dest. We resolve rather than refuse because real
  images rely on it when layers are flattened (``lib -> usr/lib`` in one layer,
  ``lib/x.so`` in the next);
- the final component is never followed: an existing entry is removed and recreated
  (``O_CREAT|O_EXCL|O_NOFOLLOW``), except a directory that stays a directory (merged);
- hardlink targets are cleaned and resolved the same way, so they can only name a file
  inside dest; one that does not exist there is refused;
- device nodes are created as the layer says (we are root; images carry /dev entries).

Error contract: on any error this raises (``InvalidArgument`` for a bad or hostile
archive, ``SystemError`` when the kernel refuses) and leaves dest half-written; the
caller owns dest and must discard it (snapshots are prepared under a temporary key and
only committed after ``apply_layer`` returns).

Left out on purpose: AUFS hardlink directories (``/.wh..wh.plnk``) are skipped, not
resolved; ``trusted.overlay.*`` xattrs inside a layer are dropped (only the opaque
marker may set one); ``LIBARCHIVE.xattr.*`` records are ignored.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Literal

from dockyard.errors import InvalidArgument, SystemError
from dockyard.image.archive import (
    OVERLAY_OPAQUE_XATTR,
    OVERLAY_XATTR_PREFIX,
    PAX_XATTR_PREFIX,
    WHITEOUT_META_PREFIX,
    WHITEOUT_OPAQUE,
    WHITEOUT_PREFIX,
    Compression,
    HashingReader,
    clean_member_name,
    open_decompressed,
)

__all__ = ["LayerStats", "WhiteoutMode", "apply_layer", "resolve_dir"]

WhiteoutMode = Literal["overlay", "delete", "none"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_SYMLINK_HOPS = 40  # the kernel's own limit (MAXSYMLINKS)
_COPY_CHUNK = 1 << 20
_READ_CHUNK = 1 << 20  # what tarfile's 512-byte header reads are served from (see _Forward)
_Path = tuple[str, ...]


@dataclass(frozen=True)
class LayerStats:
    """What applying one layer produced.

    ``digest`` hashes the bytes as read (the blob); ``diff_id`` hashes the uncompressed
    tar. ``size`` counts regular-file content written (hardlinks once), which is what
    ``docker images`` adds up.
    """

    diff_id: str
    digest: str
    size: int
    compressed_size: int
    uncompressed_size: int
    entries: int


def apply_layer(
    stream: BinaryIO,
    dest: str,
    *,
    compression: Compression = "auto",
    whiteout_mode: WhiteoutMode = "overlay",
    subdir: str = "",
    owner: tuple[int, int] | None = None,
    no_overwrite_dir_nondir: bool = False,
    hash_blob: bool = True,
) -> LayerStats:
    """Unpack the layer tar read from ``stream`` into the directory ``dest``.

    Streams: the tar is read once, in order, never held in memory. See the module
    docstring for the safety and error contracts. ``hash_blob=False`` skips hashing the
    bytes as read (``LayerStats.digest`` is then ``""``): for a caller whose stream
    already hashes them (a content-store ingest); the diff_id is always computed.
    """
    if whiteout_mode not in ("overlay", "delete", "none"):
        raise InvalidArgument(f"unknown whiteout mode: {whiteout_mode!r}")
    raw = HashingReader(stream)
    if not hash_blob:
        raw.hash = _NO_HASH  # type: ignore[assignment]
    plain = open_decompressed(raw, compression)
    try:
        root_fd = os.open(dest, _DIR_FLAGS)
    except OSError as exc:
        raise SystemError(f"apply layer: cannot open {dest}: {exc.strerror}") from exc
    applier = _Applier(root_fd, whiteout_mode)
    applier.prefix = clean_member_name(subdir)
    applier.owner = owner
    applier.no_overwrite = no_overwrite_dir_nondir
    try:
        _apply_members(plain, applier)
        applier.finish()
        plain.drain()
        raw.drain()
    finally:
        applier.close()
        os.close(root_fd)
    return LayerStats(
        diff_id=plain.hexdigest(),
        digest=raw.hexdigest() if hash_blob else "",
        size=applier.size,
        compressed_size=raw.count,
        uncompressed_size=plain.count,
        entries=applier.entries,
    )


class _NoHash:
    """Stands in for a hash nobody asked for (``hash_blob=False``)."""

    def update(self, data: bytes) -> None:
        pass


_NO_HASH = _NoHash()


class _Forward:
    """The decompressed layer as tarfile's ``"r:"`` mode reads it: a file that seeks forward only.

    tarfile's stream mode (``"r|"``) reads its source 10 KiB at a time and joins and slices
    its own buffer on every read, and its file objects copy once more. In ``"r:"`` mode
    tarfile reads headers here (512 bytes at a time, served from a 1 MiB buffer) and seeks
    past what it skips; a file's contents go from the buffer to the file with one
    ``write`` per piece (``copy_to``). A backward seek (which a layer stream cannot do)
    is a ``tarfile.ReadError``.
    """

    def __init__(self, inner: HashingReader, chunk: int = _READ_CHUNK) -> None:
        self._inner = inner
        self._chunk = chunk
        self._buf = b""
        self._off = 0  # next unread byte of _buf
        self._pos = 0  # stream offset of that byte

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _view(self, n: int) -> memoryview | None:
        """Up to ``n`` next bytes, consumed (``None`` at the end of the stream)."""
        if self._off >= len(self._buf):
            self._buf, self._off = self._inner.read(self._chunk), 0
            if not self._buf:
                return None
        view = memoryview(self._buf)[self._off:self._off + n]
        self._off += len(view)
        self._pos += len(view)
        return view

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = 1 << 62
        parts = []
        while n > 0 and (view := self._view(n)) is not None:
            parts.append(view)
            n -= len(view)
        return parts[0].tobytes() if len(parts) == 1 else b"".join(parts)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            pos += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a layer stream seeks forward only")
        if pos < self._pos:
            raise tarfile.ReadError("invalid layer tar: seeks backwards")
        while pos > self._pos and self._view(pos - self._pos) is not None:
            pass
        return self._pos

    def copy_to(self, fd: int, size: int) -> None:
        """Write the next ``size`` bytes to ``fd``; the stream ending first is a truncated tar."""
        while size > 0:
            view = self._view(min(size, self._chunk))
            if view is None:
                raise tarfile.ReadError("unexpected end of data")
            size -= len(view)
            while view:
                view = view[os.write(fd, view):]


def _apply_members(plain: HashingReader, applier: _Applier) -> None:
    src = _Forward(plain)
    try:
        tar = tarfile.open(fileobj=src, mode="r:", encoding="utf-8", errors="surrogateescape")  # type: ignore[call-overload]
    except tarfile.ReadError as exc:
        if plain.count == 0:  # a zero-byte layer is an empty layer (as Go's tar reader sees it)
            return
        raise InvalidArgument(f"invalid layer tar: {exc}") from exc
    with tar:
        try:
            for member in tar:
                try:
                    applier.apply(member, tar)
                except OSError as exc:
                    if getattr(exc, "_dockyard_source", False):
                        raise
                    raise SystemError(f"apply layer: {member.name}: {exc.strerror or exc}") from exc
        except tarfile.TarError as exc:
            raise InvalidArgument(f"invalid layer tar: {exc}") from exc


def _resolve_dir(root_fd: int, parts: _Path, *, create: bool) -> tuple[int, _Path]:
    """Open the directory ``parts`` with every symlink resolved inside the root.

    Returns an fd the caller owns and the canonical path (symlinks gone). Missing
    components are created (0755, root-owned, as Docker does) when ``create``.
    """
    fds: list[int] = []
    names: list[str] = []
    pending = list(reversed(parts))
    hops = 0
    try:
        while pending:
            comp = pending.pop()
            if comp in ("", "."):
                continue
            if comp == "..":  # only symlink targets bring these; clamp at the root
                if names:
                    names.pop()
                    os.close(fds.pop())
                continue
            cur = fds[-1] if fds else root_fd
            try:
                fd = os.open(comp, _DIR_FLAGS, dir_fd=cur)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(comp, 0o700, dir_fd=cur)
                fd = os.open(comp, _DIR_FLAGS, dir_fd=cur)
                os.fchmod(fd, 0o755)  # exact, whatever the daemon's umask
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                st = os.lstat(comp, dir_fd=cur)
                if not stat.S_ISLNK(st.st_mode):
                    where = "/".join([*names, comp])
                    raise InvalidArgument(f"invalid layer tar: {where} is not a directory") from exc
                hops += 1
                if hops > _MAX_SYMLINK_HOPS:
                    raise InvalidArgument(
                        f"invalid layer tar: too many levels of symlinks in {'/'.join(parts)}"
                    ) from exc
                target = os.readlink(comp, dir_fd=cur)
                if target.startswith("/"):
                    for f in fds:
                        os.close(f)
                    fds.clear()
                    names.clear()
                pending.extend(reversed(target.split("/")))
                continue
            fds.append(fd)
            names.append(comp)
        result = fds.pop() if fds else os.dup(root_fd)
        return result, tuple(names)
    finally:
        for f in fds:
            os.close(f)


resolve_dir = _resolve_dir
"""Public name for ``docker cp``: open a directory of a root with symlinks resolved inside it."""


def _split(rel: str) -> tuple[_Path, str]:
    parts = tuple(rel.split("/"))
    return parts[:-1], parts[-1]


def _pax_xattrs(member: tarfile.TarInfo) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for key, value in member.pax_headers.items():
        if not key.startswith(PAX_XATTR_PREFIX):
            continue
        name = key[len(PAX_XATTR_PREFIX) :]
        if name.startswith(OVERLAY_XATTR_PREFIX):
            continue
        # tarfile decoded the raw record with surrogateescape; this restores the bytes
        # (security.capability is binary).
        out.append((name, value.encode("utf-8", "surrogateescape")))
    return out


def _times_ns(member: tarfile.TarInfo) -> tuple[int, int]:
    mtime = int(member.mtime * 1_000_000_000)
    try:
        atime = int(float(member.pax_headers["atime"]) * 1_000_000_000)
    except (KeyError, ValueError):
        atime = mtime
    return max(atime, mtime), mtime  # Docker: atime is the later of the two


class _Applier:
    """Applies members one by one; holds the root fd and what this layer has written."""

    def __init__(self, root_fd: int, whiteout_mode: WhiteoutMode) -> None:
        self.root_fd = root_fd
        self.mode = whiteout_mode
        self.size = 0
        self.entries = 0
        self.unpacked: set[_Path] = set()  # canonical paths written by this layer
        self._dir_times: list[tuple[_Path, tuple[int, int]]] = []
        # One-entry cache of the last parent directory: layers list siblings together,
        # so most members reuse it. Invalidated whenever an entry is removed (a removed
        # dir or symlink could change what a cached name resolves to); stale fds are
        # closed only at the next lookup because the current member may still use one.
        self._cache: tuple[_Path, int, _Path] | None = None
        self._stale: list[int] = []
        self.prefix = ""  # members go below this dir of the root ("none" mode: cp)
        self.owner: tuple[int, int] | None = None
        self.no_overwrite = False

    # -- directory lookup -----------------------------------------------------------
    def parent(self, parts: _Path) -> tuple[int, _Path]:
        for fd in self._stale:
            os.close(fd)
        self._stale.clear()
        if self._cache is not None and self._cache[0] == parts:
            return self._cache[1], self._cache[2]
        fd, canon = _resolve_dir(self.root_fd, parts, create=True)
        if self._cache is not None:
            os.close(self._cache[1])
        self._cache = (parts, fd, canon)
        return fd, canon

    def _invalidate(self) -> None:
        if self._cache is not None:
            self._stale.append(self._cache[1])
            self._cache = None

    def close(self) -> None:
        self._invalidate()
        for fd in self._stale:
            os.close(fd)
        self._stale.clear()

    def _remove(self, dfd: int, name: str, st: os.stat_result | None = None) -> None:
        if st is None:
            st = os.lstat(name, dir_fd=dfd)
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(name, dir_fd=dfd)  # fd-based: never follows symlinks inside
        else:
            os.unlink(name, dir_fd=dfd)
        self._invalidate()

    # -- members --------------------------------------------------------------------
    def apply(self, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        self.entries += 1
        rel = clean_member_name(member.name)
        if self.owner is not None:
            member.uid, member.gid = self.owner
        if self.mode == "none":
            if rel == "":
                return  # Docker's Untar: "." onto an existing directory is skipped
            if self.prefix:
                rel = self.prefix + "/" + rel
            if member.islnk():
                member.linkname = self.prefix + "/" + clean_member_name(member.linkname)
            self._plain(rel, member, tar)
            return
        if rel == "":
            self._apply_root(member)
            return
        if rel.startswith(WHITEOUT_META_PREFIX) and rel != WHITEOUT_OPAQUE:
            return  # AUFS metadata at the root (.wh..wh.plnk/..., .wh..wh.aufs): not content
        parent_parts, base = _split(rel)
        if base == WHITEOUT_OPAQUE:
            self._opaque(parent_parts)
            return
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(parent_parts, base[len(WHITEOUT_PREFIX) :], member)
            return

        self._plain(rel, member, tar)

    def _plain(self, rel: str, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        parent_parts, base = _split(rel)
        pfd, canon = self.parent(parent_parts)
        try:
            existing: os.stat_result | None = os.lstat(base, dir_fd=pfd)
        except FileNotFoundError:
            existing = None
        merge_dir = existing is not None and member.isdir() and stat.S_ISDIR(existing.st_mode)
        if existing is not None and self.no_overwrite and not merge_dir:
            if stat.S_ISDIR(existing.st_mode):
                raise InvalidArgument(f'cannot overwrite directory "/{rel}" with non-directory '
                                      f'"{member.name}"')
            if member.isdir():
                raise InvalidArgument(f'cannot overwrite non-directory "/{rel}" with directory '
                                      f'"{member.name}"')
        if existing is not None and not merge_dir:
            self._remove(pfd, base, existing)

        if member.isreg():
            self._file(pfd, base, member, tar)
        elif member.isdir():
            self._dir(pfd, base, canon + (base,), member, existed=merge_dir)
        elif member.issym():
            os.symlink(member.linkname, base, dir_fd=pfd)
            self._attrs(pfd, base, member, symlink=True)
        elif member.islnk():
            self._hardlink(pfd, base, member)
        elif member.ischr() or member.isblk() or member.isfifo():
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK if member.isblk() else stat.S_IFIFO
            dev = os.makedev(member.devmajor, member.devminor) if not member.isfifo() else 0
            os.mknod(base, kind | (member.mode & 0o7777), dev, dir_fd=pfd)
            self._attrs(pfd, base, member)
        else:
            raise InvalidArgument(f"invalid layer tar: {member.name}: unsupported entry type {member.type!r}")
        self.unpacked.add(canon + (base,))

    def _apply_root(self, member: tarfile.TarInfo) -> None:
        if not member.isdir():
            raise InvalidArgument(f"invalid layer tar: {member.name}: the root must be a directory")
        self._fd_attrs(self.root_fd, member)
        self._dir_times.append(((), _times_ns(member)))

    def _file(self, pfd: int, base: str, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        fd = os.open(base, _FILE_FLAGS, 0o600, dir_fd=pfd)
        try:
            src = tar.fileobj
            if member.sparse is None and isinstance(src, _Forward):
                src.seek(member.offset_data)
                src.copy_to(fd, member.size)
            else:  # a GNU sparse file: tarfile knows its map
                with tar.extractfile(member) as data:  # type: ignore[union-attr]
                    while chunk := data.read(_COPY_CHUNK):
                        while chunk:
                            chunk = chunk[os.write(fd, chunk):]
            self._fd_attrs(fd, member)
            atime, mtime = _times_ns(member)
            os.utime(fd, ns=(atime, mtime))
        finally:
            os.close(fd)
        self.size += member.size

    def _dir(self, pfd: int, base: str, path: _Path, member: tarfile.TarInfo, *, existed: bool) -> None:
        if not existed:
            os.mkdir(base, 0o700, dir_fd=pfd)
        dfd = os.open(base, _DIR_FLAGS, dir_fd=pfd)
        try:
            self._fd_attrs(dfd, member)
        finally:
            os.close(dfd)
        # Writing children changes a directory's mtime: set it once everything is in.
        self._dir_times.append((path, _times_ns(member)))

    def _hardlink(self, pfd: int, base: str, member: tarfile.TarInfo) -> None:
        target = clean_member_name(member.linkname)
        if target == "":
            raise InvalidArgument(f"invalid layer tar: {member.name}: hardlink to the root")
        tparts, tbase = _split(target)
        try:
            tfd, _ = _resolve_dir(self.root_fd, tparts, create=False)
        except FileNotFoundError as exc:
            raise InvalidArgument(
                f"invalid layer tar: {member.name}: hardlink target not found: {member.linkname}"
            ) from exc
        try:
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError as exc:
            raise InvalidArgument(
                f"invalid layer tar: {member.name}: hardlink target not found: {member.linkname}"
            ) from exc
        finally:
            os.close(tfd)
        # The inode already carries the target's owner, mode and times.

    def _whiteout(self, parent_parts: _Path, name: str, member: tarfile.TarInfo) -> None:
        if name in ("", ".", "..") or "/" in name:
            raise InvalidArgument(f"invalid layer tar: bad whiteout: {member.name}")
        if self.mode == "delete":
            try:
                dfd, _ = _resolve_dir(self.root_fd, parent_parts, create=False)
            except FileNotFoundError:
                return  # nothing there to delete
            try:
                try:
                    self._remove(dfd, name)
                except FileNotFoundError:
                    pass
            finally:
                os.close(dfd)
            return
        pfd, canon = self.parent(parent_parts)
        try:
            self._remove(pfd, name)
        except FileNotFoundError:
            pass
        os.mknod(name, stat.S_IFCHR, 0, dir_fd=pfd)
        os.chown(name, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)
        self.unpacked.add(canon + (name,))

    def _opaque(self, parent_parts: _Path) -> None:
        if self.mode == "overlay":
            pfd, _ = self.parent(parent_parts)
            os.setxattr(pfd, OVERLAY_OPAQUE_XATTR, b"y")
            return
        try:
            dfd, canon = _resolve_dir(self.root_fd, parent_parts, create=False)
        except FileNotFoundError:
            return
        try:
            self._empty_except_unpacked(dfd, canon)
        finally:
            os.close(dfd)

    def _empty_except_unpacked(self, dfd: int, path: _Path) -> None:
        """Remove from ``path`` everything this layer did not write (delete-mode opaque)."""
        for name in os.listdir(dfd):
            child = path + (name,)
            st = os.lstat(name, dir_fd=dfd)
            if child not in self.unpacked:
                self._remove(dfd, name, st)
            elif stat.S_ISDIR(st.st_mode):
                sub = os.open(name, _DIR_FLAGS, dir_fd=dfd)
                try:
                    self._empty_except_unpacked(sub, child)
                finally:
                    os.close(sub)

    # -- attributes -----------------------------------------------------------------
    def _fd_attrs(self, fd: int, member: tarfile.TarInfo) -> None:
        # Order matters: chown clears setuid bits and file capabilities, so mode and
        # xattrs (security.capability) go after it.
        os.fchown(fd, member.uid, member.gid)
        os.fchmod(fd, member.mode & 0o7777)
        for key, value in _pax_xattrs(member):
            _setxattr(functools.partial(os.setxattr, fd, key, value))

    def _attrs(self, pfd: int, base: str, member: tarfile.TarInfo, *, symlink: bool = False) -> None:
        """Owner, mode, xattrs and times of a node that must not be opened (device, fifo, symlink)."""
        os.chown(base, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False)
        if not symlink:
            os.chmod(base, member.mode & 0o7777, dir_fd=pfd, follow_symlinks=False)
        proc_path = f"/proc/self/fd/{pfd}/{base}"  # the dir fd is trusted; the last name is not followed
        for key, value in _pax_xattrs(member):
            _setxattr(functools.partial(os.setxattr, proc_path, key, value, follow_symlinks=False))
        os.utime(base, ns=_times_ns(member), dir_fd=pfd, follow_symlinks=False)

    def finish(self) -> None:
        """Set directory times last (children written after a dir changed its mtime)."""
        self._invalidate()
        for path, times in self._dir_times:
            if not path:
                os.utime(self.root_fd, ns=times)
                continue
            try:
                dfd, _ = _resolve_dir(self.root_fd, path[:-1], create=False)
            except (FileNotFoundError, InvalidArgument):
                continue  # removed or replaced later in the same layer
            try:
                os.utime(path[-1], ns=times, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                pass
            finally:
                os.close(dfd)


def _setxattr(op: Callable[[], None]) -> None:
    """Apply one xattr; filesystems without xattrs and kernel-refused namespaces are skipped.

    ENOTSUP: the filesystem has no xattrs. EPERM: e.g. ``user.*`` on a device or symlink,
    which the kernel never allows. Docker skips both the same way.
    """
    try:
        op()
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EPERM):
            return
        raise
