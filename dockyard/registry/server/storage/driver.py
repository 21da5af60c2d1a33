"""The storage driver interface: a small path-based key/value store.

Vocabulary
    path      an absolute, ``/``-separated key such as ``/blobs/sha256/ab/ab12…/data``.
              One rule (``validate_path``) decides which paths exist: every
              component matches ``[A-Za-z0-9_:+=-][A-Za-z0-9._:+=-]*`` — no empty
              components, no ``.``/``..``, nothing starting with a dot (drivers
              keep their own bookkeeping under dot-names, invisible to callers).
    content   the bytes stored at a path; small values go through
              ``get_content``/``put_content``, large ones through ``reader``/``writer``.
    commit    the moment written data becomes visible and durable.

Write contract
    * ``put_content`` is atomic: a reader sees the old value or the new one,
      never a mix, and after it returns the value survives a crash.
    * ``writer(path)`` returns a ``FileWriter``. Bytes written through it are
      *not* visible at ``path`` (to ``stat``, ``reader``, ``get_content``,
      ``move``) until ``commit()``; ``close()`` without ``commit()`` discards
      them. With ``append=True`` the writer continues after the committed
      content; each ``commit()`` makes everything written so far durable and
      visible, so a crash loses at most the bytes since the last commit.
    * ``move`` is atomic and durable: the destination shows the source's
      committed content in one step or not at all. This is how an upload
      becomes a blob without a crash ever exposing a partial one.

Worked example (a resumable upload, then publishing it)::

    w = driver.writer("/uploads/u1/data", append=True)
    w.write(b"first chunk"); w.commit()          # survives kill -9
    w.write(b"half a chu")                       # server dies here: discarded
    w = driver.writer("/uploads/u1/data", append=True)
    assert w.size == len(b"first chunk")         # resume from the committed size
    w.write(b"second chunk"); w.commit(); w.close()
    driver.move("/uploads/u1/data", "/blobs/sha256/ab/ab12…/data")

On-disk layout: ``LocalDriver`` maps each path to the same relative file
under its root; the registry's use of the namespace (and why) is drawn in
``dockyard.registry.server.layout``. With the driver's own hidden files::

    ROOT/
    ├── layout-version
    ├── blobs/sha256/ab/ab12…/data              a published blob (only ever moved in)
    ├── repositories/<name…>/_layers/… _manifests/… _referrers/…
    ├── uploads/<uuid>/
    │   ├── info
    │   ├── data                                appended to; may hold a torn tail after a crash
    │   └── .data.committed                     LocalDriver: the committed length of ``data``
    └── <any dir>/.tmp-<name>-<random>          LocalDriver: staging for atomic replaces

Errors are dockyard kinds that name the driver: ``PathNotFound`` (a
``NotFound``) and ``InvalidPath`` (an ``InvalidArgument``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Protocol

from dockyard.errors import InvalidArgument, NotFound

__all__ = ["FileInfo", "FileWriter", "StorageDriver", "PathNotFound", "InvalidPath", "validate_path"]

_COMPONENT = re.compile(r"^[A-Za-z0-9_:+=-][A-Za-z0-9._:+=-]*$")


class PathNotFound(NotFound):
    """Nothing is stored at the path (names the driver, like distribution's errors)."""

    def __init__(self, driver: str, path: str) -> None:
        super().__init__(f"{driver}: path not found: {path}")
        self.driver = driver
        self.path = path


class InvalidPath(InvalidArgument):
    def __init__(self, driver: str, path: str) -> None:
        super().__init__(f"{driver}: invalid path: {path!r}")
        self.driver = driver
        self.path = path


def validate_path(driver: str, path: str, *, allow_root: bool = False) -> str:
    """Return ``path`` if it obeys the one path rule, else raise ``InvalidPath``."""
    if allow_root and path == "/":
        return path
    if not path.startswith("/") or path.endswith("/"):
        raise InvalidPath(driver, path)
    for part in path[1:].split("/"):
        if not _COMPONENT.fullmatch(part):
            raise InvalidPath(driver, path)
    return path


@dataclass(frozen=True)
class FileInfo:
    """What ``stat`` and ``walk`` report; ``size`` counts committed bytes only."""

    path: str
    size: int
    mtime: float
    is_dir: bool


class FileWriter(Protocol):
    """A handle writing to one path; see the module docstring for the contract."""

    @property
    def size(self) -> int:
        """Bytes at the path once committed: the committed size plus what was written since."""
        ...

    def write(self, data: bytes | bytearray) -> int: ...

    def commit(self) -> None:
        """Make everything written so far durable and visible; the writer stays usable."""
        ...

    def close(self) -> None:
        """Release the handle; bytes written since the last commit are discarded."""
        ...


class StorageDriver(Protocol):
    """A path-based store; implementations: ``LocalDriver`` (a folder), ``MemoryDriver``."""

    name: str

    def get_content(self, path: str) -> bytes: ...

    def put_content(self, path: str, content: bytes) -> None: ...

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        """A binary stream of the committed content from ``offset``."""
        ...

    def writer(self, path: str, append: bool = False) -> FileWriter: ...

    def stat(self, path: str) -> FileInfo: ...

    def list(self, path: str) -> list[str]:
        """The full paths of the direct children of directory ``path``, sorted."""
        ...

    def walk(self, path: str) -> Iterator[FileInfo]:
        """Every file (not directory) below ``path``, depth first, sorted."""
        ...

    def move(self, source: str, dest: str) -> None: ...

    def delete(self, path: str) -> None:
        """Remove a file or a whole directory tree."""
        ...

    def local_file(self, path: str) -> str | None:
        """A filesystem path holding exactly the committed content, for zero-copy
        ``sendfile``; ``None`` when the driver cannot offer one."""
        ...
