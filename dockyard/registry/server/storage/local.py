"""``LocalDriver``: the storage driver over a local folder.

How the write contract is kept on a POSIX filesystem:

* ``put_content`` and a replacing ``writer`` write a hidden temp file
  (``.tmp-<name>-<random>``) in the target directory, fsync it, ``rename`` it
  over the target and fsync the directory.
* An appending ``writer`` writes in place, past the committed end, and records
  the committed length in a hidden sidecar ``.<name>.committed`` (itself
  replaced atomically). Readers, ``stat`` and ``move`` honour the sidecar, and
  the next appending writer truncates the file back to it — so the tail of a
  write interrupted by ``kill -9`` is never seen and is dropped on resume.
  A file without a sidecar is wholly committed.
* ``move`` truncates to the committed length, fsyncs, renames and fsyncs both
  directories.

Names starting with a dot are this driver's bookkeeping; ``validate_path``
forbids them in callers' paths and ``list``/``walk`` hide them. Stray temp
files left by a crash are removed by garbage collection (``sweep_temp``).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from .driver import FileInfo, PathNotFound, validate_path

__all__ = ["LocalDriver"]

_SIDECAR_SUFFIX = ".committed"
_TEMP_PREFIX = ".tmp-"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sidecar(full: Path) -> Path:
    return full.with_name(f".{full.name}{_SIDECAR_SUFFIX}")


def _atomic_write(full: Path, content: bytes) -> None:
    full.parent.mkdir(parents=True, exist_ok=True)
    tmp = full.with_name(f"{_TEMP_PREFIX}{full.name}-{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, full)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(full.parent)


def _committed_size(full: Path) -> int | None:
    """The committed length recorded in the sidecar, or None if there is none."""
    try:
        return int(_sidecar(full).read_text() or "0")
    except FileNotFoundError:
        return None
    except ValueError:
        return 0


class _Limited(io.RawIOBase):
    """A raw reader that stops at the committed length."""

    def __init__(self, raw: BinaryIO, remaining: int) -> None:
        self._raw = raw
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._remaining <= 0:
            return 0
        view = memoryview(buffer)[: self._remaining]
        count = self._raw.readinto(view) or 0  # type: ignore[attr-defined]
        self._remaining -= count
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _ReplaceWriter:
    """Writes a temp file; ``commit`` renames it over the target (and ends the writer)."""

    def __init__(self, full: Path) -> None:
        full.parent.mkdir(parents=True, exist_ok=True)
        self._full = full
        self._tmp = full.with_name(f"{_TEMP_PREFIX}{full.name}-{secrets.token_hex(6)}")
        self._file: BinaryIO | None = open(self._tmp, "xb")  # noqa: SIM115 - closed in commit/close
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray) -> int:
        assert self._file is not None, "writer already committed or closed"
        self._file.write(data)
        self._size += len(data)
        return len(data)

    def commit(self) -> None:
        assert self._file is not None, "writer already committed or closed"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        os.replace(self._tmp, self._full)
        _sidecar(self._full).unlink(missing_ok=True)
        _fsync_dir(self._full.parent)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._tmp.unlink(missing_ok=True)


class _AppendWriter:
    """Writes in place past the committed end; ``commit`` advances the sidecar."""

    def __init__(self, full: Path) -> None:
        full.parent.mkdir(parents=True, exist_ok=True)
        self._full = full
        if not full.exists():
            open(full, "xb").close()
            _atomic_write(_sidecar(full), b"0")
            committed = 0
        else:
            recorded = _committed_size(full)
            committed = full.stat().st_size if recorded is None else recorded
            if recorded is None:
                _atomic_write(_sidecar(full), str(committed).encode())
        self._file: BinaryIO | None = open(full, "r+b")  # noqa: SIM115 - closed in close()
        self._file.truncate(committed)  # drop a tail a crash left behind
        self._file.seek(committed)
        self._committed = committed
        self._size = committed

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray) -> int:
        assert self._file is not None, "writer closed"
        self._file.write(data)
        self._size += len(data)
        return len(data)

    def commit(self) -> None:
        assert self._file is not None, "writer closed"
        self._file.flush()
        os.fsync(self._file.fileno())
        if self._size != self._committed:
            _atomic_write(_sidecar(self._full), str(self._size).encode())
        self._committed = self._size

    def close(self) -> None:
        if self._file is None:
            return
        if self._size != self._committed:
            self._file.truncate(self._committed)
            self._size = self._committed
        self._file.close()
        self._file = None


class LocalDriver:
    """A storage driver rooted at a local directory (see the module docstring)."""

    name = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _full(self, path: str, *, allow_root: bool = False) -> Path:
        validate_path(self.name, path, allow_root=allow_root)
        return self.root / path.lstrip("/")

    def _require_file(self, path: str) -> Path:
        full = self._full(path)
        if not full.is_file():
            raise PathNotFound(self.name, path)
        return full

    def get_content(self, path: str) -> bytes:
        full = self._require_file(path)
        try:
            data = full.read_bytes()
        except FileNotFoundError as exc:
            raise PathNotFound(self.name, path) from exc
        committed = _committed_size(full)
        return data if committed is None else data[:committed]

    def put_content(self, path: str, content: bytes) -> None:
        full = self._full(path)
        _atomic_write(full, content)
        _sidecar(full).unlink(missing_ok=True)

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        full = self._require_file(path)
        committed = _committed_size(full)
        try:
            raw = open(full, "rb", buffering=0)  # noqa: SIM115 - returned to the caller
        except FileNotFoundError as exc:
            raise PathNotFound(self.name, path) from exc
        size = os.fstat(raw.fileno()).st_size if committed is None else committed
        raw.seek(min(offset, size))
        return io.BufferedReader(_Limited(raw, max(0, size - offset)), buffer_size=1 << 20)

    def writer(self, path: str, append: bool = False) -> _AppendWriter | _ReplaceWriter:
        full = self._full(path)
        return _AppendWriter(full) if append else _ReplaceWriter(full)

    def stat(self, path: str) -> FileInfo:
        full = self._full(path, allow_root=True)
        try:
            st = full.stat()
        except FileNotFoundError as exc:
            raise PathNotFound(self.name, path) from exc
        if full.is_dir():
            return FileInfo(path, 0, st.st_mtime, True)
        committed = _committed_size(full)
        return FileInfo(path, st.st_size if committed is None else committed, st.st_mtime, False)

    def list(self, path: str) -> list[str]:
        full = self._full(path, allow_root=True)
        try:
            names = os.listdir(full)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise PathNotFound(self.name, path) from exc
        prefix = "" if path == "/" else path
        return sorted(f"{prefix}/{n}" for n in names if not n.startswith("."))

    def walk(self, path: str) -> Iterator[FileInfo]:
        full = self._full(path, allow_root=True)
        if not full.is_dir():
            raise PathNotFound(self.name, path)
        yield from self._walk(full, "" if path == "/" else path)

    def _walk(self, directory: Path, prefix: str) -> Iterator[FileInfo]:
        try:
            with os.scandir(directory) as scan:
                entries = [e for e in scan if not e.name.startswith(".")]
        except FileNotFoundError:
            return  # removed while walking
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path), f"{prefix}/{entry.name}")
            else:
                try:
                    yield self.stat(f"{prefix}/{entry.name}")
                except PathNotFound:
                    continue

    def move(self, source: str, dest: str) -> None:
        src = self._require_file(source)
        dst = self._full(dest)
        committed = _committed_size(src)
        if committed is not None:
            with open(src, "r+b") as handle:
                handle.truncate(committed)
                os.fsync(handle.fileno())
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        _fsync_dir(dst.parent)
        if dst.parent != src.parent:
            _fsync_dir(src.parent)
        _sidecar(src).unlink(missing_ok=True)

    def delete(self, path: str) -> None:
        full = self._full(path)
        if full.is_dir() and not full.is_symlink():
            shutil.rmtree(full)
        elif full.exists():
            full.unlink()
            _sidecar(full).unlink(missing_ok=True)
        else:
            raise PathNotFound(self.name, path)

    def local_file(self, path: str) -> str | None:
        full = self._full(path)
        if not full.is_file() or _sidecar(full).exists():
            return None
        return str(full)

    def sweep_temp(self, path: str, older_than: float) -> int:
        """Remove temp files a crash left under ``path`` (older than ``older_than`` seconds)."""
        full = self._full(path, allow_root=True)
        if not full.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than
        for dirpath, _dirnames, filenames in os.walk(full):
            for name in filenames:
                if not name.startswith(_TEMP_PREFIX):
                    continue
                candidate = Path(dirpath) / name
                try:
                    if candidate.stat().st_mtime < cutoff:
                        candidate.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    def __repr__(self) -> str:
        return f"LocalDriver({str(self.root)!r})"

