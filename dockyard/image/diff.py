"""Turn directories back into layer tars, and list what a container changed.

Vocabulary: an *upper* is the writable overlayfs dir of a container or build step (it
holds only what changed, deletions spelled as overlayfs whiteouts); *lowers* are the
image's layer dirs, topmost first (the order of overlayfs ``lowerdir=``).

- ``write_layer(upper, out)`` — ``docker commit`` / a build step: the upper as an OCI
  layer; char device 0:0 → ``.wh.name``, ``trusted.overlay.opaque=y`` →
  ``dir/.wh..wh..opq`` right after the dir's own entry.
- ``write_tree(root, out)`` — ``docker export`` and base layers: a plain directory as is.
- ``changes(upper, lowers)`` — ``docker diff``: A/C/D entries as Docker lists them.

Tars are deterministic: entries sorted by name (bytes) within each directory, parents
before children, PAX format, whole-second mtimes, numeric owners with no user/group
names (no host name lookups; the host's names mean nothing inside an image), gzip
without a timestamp. The same tree therefore always gives the same digests.

Reading is fd-relative with ``O_NOFOLLOW`` all the way down, so a container that swaps a
directory for a symlink while it is being committed cannot make us archive host files.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO, Literal, NamedTuple

from dockyard.errors import SystemError
from dockyard.image.archive import (
    OVERLAY_OPAQUE_XATTR,
    OVERLAY_XATTR_PREFIX,
    PAX_XATTR_PREFIX,
    WHITEOUT_OPAQUE,
    WHITEOUT_PREFIX,
    HashingWriter,
    open_compressed,
)

__all__ = ["WrittenLayer", "Change", "write_layer", "write_tree", "write_path", "changes"]

OutCompression = Literal["gzip", "zstd", "none"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class WrittenLayer(NamedTuple):
    """Digests of a written layer; ``size`` is the number of bytes written to ``out``."""

    diff_id: str
    digest: str
    size: int


def write_layer(upper: str, out: BinaryIO, *, compression: OutCompression = "gzip") -> WrittenLayer:
    """Write the overlayfs upper dir ``upper`` to ``out`` as a layer tar (whiteouts converted)."""
    return _write(upper, out, compression, overlay=True)


def write_tree(root: str, out: BinaryIO, *, compression: OutCompression = "gzip") -> WrittenLayer:
    """Write the plain directory ``root`` to ``out`` as a tar (no whiteout conversion)."""
    return _write(root, out, compression, overlay=False)


def write_path(parent_fd: int, name: str, arcname: str, out: BinaryIO) -> None:
    """``docker cp`` out of a container: entry ``name`` of the open directory ``parent_fd``
    (a directory with everything below it) as an uncompressed tar, renamed ``arcname``.

    ``name`` "." archives the directory ``parent_fd`` itself. Same reading rules as
    ``write_tree`` (fd-relative, nothing followed).
    """
    tar = tarfile.TarFile(fileobj=HashingWriter(out), mode="w",  # type: ignore[arg-type]
                          format=tarfile.PAX_FORMAT,
                          encoding="utf-8", errors="surrogateescape")
    try:
        with tar:
            _TreeWriter(tar, False).entry(parent_fd, name, arcname)
    except OSError as exc:
        raise SystemError(f"archive {arcname}: {exc}") from exc


def _write(root: str, out: BinaryIO, compression: str, *, overlay: bool) -> WrittenLayer:
    plain, compressor, stored = open_compressed(out, compression)
    try:
        root_fd = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        raise SystemError(f"write layer: cannot open {root}: {exc.strerror}") from exc
    try:
        tar = tarfile.TarFile(
            fileobj=plain,  # type: ignore[arg-type]
            mode="w",
            format=tarfile.PAX_FORMAT,
            encoding="utf-8",
            errors="surrogateescape",
        )
        with tar:
            _TreeWriter(tar, overlay).walk(root_fd, "")
        compressor.finish()
    except OSError as exc:
        raise SystemError(f"write layer from {root}: {exc}") from exc
    finally:
        os.close(root_fd)
    return WrittenLayer(plain.hexdigest(), stored.hexdigest(), stored.count)


def _names(dfd: int) -> list[str]:
    return sorted(os.listdir(dfd), key=os.fsencode)


def _xattrs(proc_path: str) -> dict[str, bytes]:
    try:
        keys = os.listxattr(proc_path, follow_symlinks=False)
    except OSError:
        return {}
    out: dict[str, bytes] = {}
    for key in sorted(keys):
        if key.startswith(OVERLAY_XATTR_PREFIX):
            continue
        try:
            out[key] = os.getxattr(proc_path, key, follow_symlinks=False)
        except OSError:
            continue
    return out


def _is_opaque(dfd: int) -> bool:
    try:
        return os.getxattr(dfd, OVERLAY_OPAQUE_XATTR) == b"y"
    except OSError:
        return False


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


class _TreeWriter:
    def __init__(self, tar: tarfile.TarFile, overlay: bool) -> None:
        self.tar = tar
        self.overlay = overlay
        self.seen: dict[tuple[int, int], str] = {}  # (dev, ino) -> first name, for hardlinks

    def _info(self, name: str, st: os.stat_result, proc_path: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.mode = st.st_mode & 0o7777
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname = info.gname = ""
        info.mtime = int(st.st_mtime)
        info.pax_headers = {
            PAX_XATTR_PREFIX + key: value.decode("utf-8", "surrogateescape")
            for key, value in _xattrs(proc_path).items()
        }
        return info

    def walk(self, dfd: int, prefix: str) -> None:
        for name in _names(dfd):
            self.entry(dfd, name, prefix + name)

    def entry(self, dfd: int, name: str, path: str) -> None:
        """Add ``name`` of directory ``dfd`` as ``path`` (and, for a directory, all below it)."""
        st = os.lstat(name, dir_fd=dfd)
        proc_path = f"/proc/self/fd/{dfd}/{name}"
        if self.overlay and _is_whiteout(st):
            info = tarfile.TarInfo(path[: len(path) - len(name)] + WHITEOUT_PREFIX + name)
            info.mode, info.uid, info.gid, info.mtime = 0o600, st.st_uid, st.st_gid, int(st.st_mtime)
            self.tar.addfile(info)
            return
        if stat.S_ISDIR(st.st_mode):
            sub = os.open(name, _DIR_FLAGS, dir_fd=dfd)
            try:
                info = self._info(path, st, proc_path)
                info.type = tarfile.DIRTYPE
                self.tar.addfile(info)
                if self.overlay and _is_opaque(sub):
                    marker = tarfile.TarInfo(path + "/" + WHITEOUT_OPAQUE)
                    marker.mode = st.st_mode & 0o777
                    marker.uid, marker.gid, marker.mtime = st.st_uid, st.st_gid, int(st.st_mtime)
                    self.tar.addfile(marker)
                self.walk(sub, path + "/")
            finally:
                os.close(sub)
            return
        if stat.S_ISSOCK(st.st_mode):
            return  # sockets cannot travel in a tar (Docker skips them too)
        info = self._info(path, st, proc_path)
        if st.st_nlink > 1:
            first = self.seen.get((st.st_dev, st.st_ino))
            if first is not None:
                info.type, info.linkname = tarfile.LNKTYPE, first
                self.tar.addfile(info)
                return
            self.seen[(st.st_dev, st.st_ino)] = path
        if stat.S_ISREG(st.st_mode):
            self._add_file(dfd, name, info, st)
        elif stat.S_ISLNK(st.st_mode):
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(name, dir_fd=dfd)
            self.tar.addfile(info)
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self.tar.addfile(info)
        elif stat.S_ISFIFO(st.st_mode):
            info.type = tarfile.FIFOTYPE
            self.tar.addfile(info)

    def _add_file(self, dfd: int, name: str, info: tarfile.TarInfo, st: os.stat_result) -> None:
        fd = os.open(name, _READ_FLAGS, dir_fd=dfd)
        with os.fdopen(fd, "rb") as src:
            now = os.fstat(src.fileno())
            if not stat.S_ISREG(now.st_mode):  # swapped since lstat: skip rather than read it
                return
            info.type = tarfile.REGTYPE
            info.size = now.st_size
            self.tar.addfile(info, src)


# -- docker diff ----------------------------------------------------------------------


class Change(NamedTuple):
    """One ``docker diff`` line: ``kind`` is "A" (added), "C" (changed) or "D" (deleted)."""

    path: str
    kind: str

    @property
    def api_kind(self) -> int:
        """The Engine API's numeric Kind (0 modified, 1 added, 2 deleted)."""
        return {"C": 0, "A": 1, "D": 2}[self.kind]


def changes(upper: str, lowers: Sequence[str] = (), *, expand_opaque: bool = False) -> list[Change]:
    """List what ``upper`` changes over ``lowers`` (topmost first), as ``docker diff`` does.

    Docker's rules, kept: an entry of the upper is D if it is a whiteout, C if the merged
    lowers have the path, else A; a directory that exists below with the same mode, size
    and mtime is not listed itself; the parent of an A or D entry is listed as C once,
    just before it, unless already listed. An opaque directory that exists below is
    listed as D (it was deleted and recreated) followed by its new content.

    ``expand_opaque=True`` lists such a directory as C instead and adds a D for each
    lower child it hides, which reads better but is not what Docker prints.

    Lowers are looked up with overlayfs semantics (whiteouts and opaque dirs in upper
    lowers hide lower ones; nothing is followed through symlinks), where Docker's
    ``os.Stat`` would follow host symlinks.
    """
    out: list[Change] = []
    changed_dirs: set[str] = set()
    for path, st, opaque_dir in _walk_upper(upper, lowers, expand_opaque):
        parts = tuple(path.strip("/").split("/"))
        if st is None or _is_whiteout(st):
            kind = "D"
        else:
            lower = _lookup(lowers, parts)
            if opaque_dir and lower is not None and not expand_opaque:
                kind = "D"
            elif lower is None:
                kind = "A"
            else:
                if (
                    stat.S_ISDIR(st.st_mode)
                    and stat.S_ISDIR(lower.st_mode)
                    and not opaque_dir
                    and st.st_size == lower.st_size
                    and st.st_mode == lower.st_mode
                    and _same_time(st, lower)
                ):
                    continue  # a parent copied up only because something below changed
                kind = "C"
        if st is not None and stat.S_ISDIR(st.st_mode):
            changed_dirs.add(path)
        if kind in ("A", "D"):
            parent = os.path.dirname(path)
            if parent != "/" and parent not in changed_dirs:
                out.append(Change(parent, "C"))
                changed_dirs.add(parent)
        out.append(Change(path, kind))
    return out


def _same_time(a: os.stat_result, b: os.stat_result) -> bool:
    """Docker's sameFsTime: equal, or same second with one side lacking nanoseconds (tar)."""
    if a.st_mtime_ns == b.st_mtime_ns:
        return True
    sa, na = divmod(a.st_mtime_ns, 1_000_000_000)
    sb, nb = divmod(b.st_mtime_ns, 1_000_000_000)
    return sa == sb and (na == 0 or nb == 0)


def _is_opaque_path(path: str) -> bool:
    try:
        return os.getxattr(path, OVERLAY_OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


class _UpperEntry(NamedTuple):
    path: str  # "/etc/passwd"
    st: os.stat_result | None  # None: a lower child hidden by an opaque dir (expand_opaque)
    opaque: bool


def _walk_upper(upper: str, lowers: Sequence[str], expand_opaque: bool) -> Iterator[_UpperEntry]:
    """Pre-order walk of ``upper`` in Docker's order (names sorted as bytes).

    fd-relative with O_NOFOLLOW: the upper belongs to a possibly running container, which
    must not be able to point the walk at host directories by swapping in a symlink.
    """

    def walk(dfd: int, rel: tuple[str, ...], opaque: bool) -> Iterator[_UpperEntry]:
        names: dict[str, os.stat_result | None] = {name: os.lstat(name, dir_fd=dfd) for name in os.listdir(dfd)}
        if expand_opaque and rel and opaque and _lookup(lowers, rel) is not None:
            for name in _lower_children(lowers, rel):
                names.setdefault(name, None)
        for name in sorted(names, key=os.fsencode):
            st = names[name]
            child = rel + (name,)
            path = "/" + "/".join(child)
            if st is None or not stat.S_ISDIR(st.st_mode):
                yield _UpperEntry(path, st, False)
                continue
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=dfd)
            except OSError:  # replaced since listed: report it, do not descend
                yield _UpperEntry(path, st, False)
                continue
            try:
                sub_opaque = _is_opaque(sub)
                yield _UpperEntry(path, st, sub_opaque)
                yield from walk(sub, child, sub_opaque)
            finally:
                os.close(sub)

    root = os.open(upper, _DIR_FLAGS)
    try:
        yield from walk(root, (), False)
    finally:
        os.close(root)


class _Probe(NamedTuple):
    st: os.stat_result | None  # the path in this layer (None: absent)
    blocks: bool  # this layer hides every lower layer for the path


def _probe(layer: str, parts: tuple[str, ...]) -> _Probe:
    """Look ``parts`` up in one layer dir with overlayfs rules, following no symlinks."""
    cur = layer
    opaque_above = False
    for i, comp in enumerate(parts):
        cur = os.path.join(cur, comp)
        try:
            st = os.lstat(cur)
        except (FileNotFoundError, NotADirectoryError):
            return _Probe(None, opaque_above)
        if _is_whiteout(st):
            return _Probe(None, True)
        if i == len(parts) - 1:
            blocks = not stat.S_ISDIR(st.st_mode) or _is_opaque_path(cur)
            return _Probe(st, blocks)
        if not stat.S_ISDIR(st.st_mode):
            return _Probe(None, True)  # a non-directory hides lower directories
        if _is_opaque_path(cur):
            opaque_above = True
    return _Probe(None, opaque_above)


def _lookup(lowers: Sequence[str], parts: tuple[str, ...]) -> os.stat_result | None:
    """Stat of ``parts`` in the merged view of ``lowers`` (None if it does not show)."""
    for layer in lowers:
        probe = _probe(layer, parts)
        if probe.st is not None:
            return probe.st
        if probe.blocks:
            return None
    return None


def _lower_children(lowers: Sequence[str], parts: tuple[str, ...]) -> list[str]:
    """Names the merged lowers show inside directory ``parts``."""
    shown: set[str] = set()
    hidden: set[str] = set()
    for layer in lowers:
        probe = _probe(layer, parts)
        if probe.st is not None and stat.S_ISDIR(probe.st.st_mode):
            dir_path = os.path.join(layer, *parts)
            for name in os.listdir(dir_path):
                if name in shown or name in hidden:
                    continue
                if _is_whiteout(os.lstat(os.path.join(dir_path, name))):
                    hidden.add(name)
                else:
                    shown.add(name)
        if probe.blocks:
            break
    return sorted(shown, key=os.fsencode)
