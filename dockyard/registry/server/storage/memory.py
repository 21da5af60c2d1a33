"""``MemoryDriver``: the storage driver kept in a dict, for tests and as the
second implementation the conformance suite runs against (it proves the
interface does not lean on a filesystem). It cannot offer ``local_file``, so
blob GETs against it stream through ``reader``.
"""

from __future__ import annotations

import io
import threading
import time
from typing import BinaryIO, Iterator

from .driver import FileInfo, PathNotFound, validate_path

__all__ = ["MemoryDriver"]


class _MemoryWriter:
    def __init__(self, driver: MemoryDriver, path: str, append: bool) -> None:
        self._driver = driver
        self._path = path
        self._append = append
        self._base = driver._files.get(path, b"") if append else b""
        self._pending = bytearray()
        self._closed = False
        if append and path not in driver._files:
            driver._store(path, b"")

    @property
    def size(self) -> int:
        return len(self._base) + len(self._pending)

    def write(self, data: bytes | bytearray) -> int:
        assert not self._closed, "writer closed"
        self._pending += data
        return len(data)

    def commit(self) -> None:
        assert not self._closed, "writer closed"
        self._base = self._base + bytes(self._pending)
        self._pending.clear()
        self._driver._store(self._path, self._base)
        if not self._append:
            self._closed = True

    def close(self) -> None:
        self._pending.clear()
        self._closed = True


class MemoryDriver:
    """A storage driver whose files live in a dict; directories are implied by paths."""

    name = "memory"

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._mtimes: dict[str, float] = {}
        self._lock = threading.Lock()

    def _store(self, path: str, content: bytes) -> None:
        with self._lock:
            self._files[path] = content
            self._mtimes[path] = time.time()

    def _is_dir(self, path: str) -> bool:
        prefix = "/" if path == "/" else path + "/"
        return any(p.startswith(prefix) for p in self._files)

    def get_content(self, path: str) -> bytes:
        validate_path(self.name, path)
        try:
            return self._files[path]
        except KeyError as exc:
            raise PathNotFound(self.name, path) from exc

    def put_content(self, path: str, content: bytes) -> None:
        validate_path(self.name, path)
        self._store(path, bytes(content))

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        data = self.get_content(path)
        return io.BytesIO(data[offset:])

    def writer(self, path: str, append: bool = False) -> _MemoryWriter:
        validate_path(self.name, path)
        return _MemoryWriter(self, path, append)

    def stat(self, path: str) -> FileInfo:
        validate_path(self.name, path, allow_root=True)
        if path in self._files:
            return FileInfo(path, len(self._files[path]), self._mtimes[path], False)
        if path == "/" or self._is_dir(path):
            return FileInfo(path, 0, time.time(), True)
        raise PathNotFound(self.name, path)

    def list(self, path: str) -> list[str]:
        validate_path(self.name, path, allow_root=True)
        prefix = "/" if path == "/" else path + "/"
        children = {prefix + p[len(prefix):].split("/", 1)[0] for p in list(self._files) if p.startswith(prefix)}
        if not children and path != "/":
            raise PathNotFound(self.name, path)
        return sorted(children)

    def walk(self, path: str) -> Iterator[FileInfo]:
        validate_path(self.name, path, allow_root=True)
        prefix = "/" if path == "/" else path + "/"
        matches = sorted(p for p in list(self._files) if p.startswith(prefix))
        if not matches and path != "/":
            raise PathNotFound(self.name, path)
        for p in matches:
            if p in self._files:
                yield FileInfo(p, len(self._files[p]), self._mtimes[p], False)

    def move(self, source: str, dest: str) -> None:
        validate_path(self.name, dest)
        content = self.get_content(source)
        with self._lock:
            self._files[dest] = content
            self._mtimes[dest] = time.time()
            del self._files[source]
            del self._mtimes[source]

    def delete(self, path: str) -> None:
        validate_path(self.name, path)
        prefix = path + "/"
        with self._lock:
            doomed = [p for p in self._files if p == path or p.startswith(prefix)]
            if not doomed:
                raise PathNotFound(self.name, path)
            for p in doomed:
                del self._files[p]
                del self._mtimes[p]

    def local_file(self, path: str) -> str | None:
        return None
