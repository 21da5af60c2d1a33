"""Container logs in Docker's json-file format.

conmon writes what the container prints as CRI lines (``k8s-file``), and keeps doing so
while the daemon is down. The daemon turns those lines into Docker's json-file
(``<id>-json.log``: ``{"log":"hi\\n","stream":"stdout","time":"...Z"}``) incrementally:
whenever logs are read, and when the container exits. Nothing is lost across a
``kill -9``: the position file records (CRI offset, json size) *after* the json lines are
written, and a sync first truncates the json file back to the recorded size, so a
half-finished sync is redone, never duplicated.

How a line is converted and parsed is :mod:`dockyard.runtime.logfmt`; this module is the
files: the sync, rotation (``--log-opt``), reading across rotated files, ``tail`` from the
end, and the ``-f`` follower.

Speed matters here: a chatty container writes millions of lines. A sync goes through the
CRI file in 8 MiB pieces (bounded memory, the position saved after each) and ``tail``
reads the json-file backwards from its end. Callers run these in a thread: none of it
belongs on the event loop.

Files, per container::

    <cdir>/ctr.log            conmon's CRI lines: "<RFC3339Nano> stdout F text"
    <cdir>/<id>-json.log      Docker's json-file lines (what ``LogPath`` points at)
    <cdir>/<id>-json.log.N[.gz]  rotated json-files, N=1 the newest
    <cdir>/<id>-json.log.pos  "<cri offset> <json size> <generation>" (temp + rename)
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from dockyard.runtime.logfmt import LogEntry, convert, parse_line

__all__ = ["LogFile", "Follower"]

_SYNC_PIECE = 8 << 20
_TAIL_BLOCK = 64 << 10
_PUNCH_MIN = 1 << 20  # punch the copied CRI prefix once this much can go
P = TypeVar("P")


class LogFile:
    """One container's log: conmon's CRI file, and the json-file made from it.

    ``max_size``/``max_file`` are json-file's rotation (``--log-opt``): once the file would
    pass ``max_size`` it becomes ``<id>-json.log.1`` (older ones move up, the oldest past
    ``max_file`` goes) and a new file starts; with ``max_file`` 1 the file starts over. The
    position is saved *before* a rotation, so a crash in the middle neither loses nor
    repeats lines. The CRI lines already copied are punched out of conmon's file (its size
    stays, its blocks go), so the disk holds one copy of a log, bounded by the rotation.
    """

    def __init__(self, cri_path: str, json_path: str, *, max_size: int = -1,
                 max_file: int = 1, compress: bool = False, discard: bool = False) -> None:
        self.cri_path = cri_path
        self.json_path = json_path
        self.pos_path = json_path + ".pos"
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self.compress = compress  # rotated files as <id>-json.log.N.gz, as Docker's compress=true
        self.discard = discard  # the "none" driver: nothing is kept

    def _position(self) -> tuple[int, int, int]:
        """(CRI offset copied up to, json-file size then, generation of the json-file: how
        many rotations made it; the file at ``.N`` is generation ``gen - N``)."""
        try:
            with open(self.pos_path) as f:
                parts = [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            return 0, 0, 0
        if len(parts) == 2:
            parts.append(0)
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (0, 0, 0)

    def _save_position(self, cri_off: int, json_size: int, gen: int) -> None:
        tmp = self.pos_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{cri_off} {json_size} {gen}")
        os.replace(tmp, self.pos_path)

    def generation(self) -> int:
        return self._position()[2]

    def path_of(self, gen: int) -> tuple[str | None, int]:
        """Where the file of generation ``gen`` is now, and its generation (the oldest one
        there is, when ``gen`` is gone already)."""
        current = self.generation()
        back = current - gen
        if back <= 0:
            return self.json_path, current
        path = self._rotated(back)
        if path is not None:
            return path, gen
        files = self.files()
        oldest = current - (len(files) - 1)
        return files[0], oldest

    def _rotated(self, i: int) -> str | None:
        for path in (f"{self.json_path}.{i}", f"{self.json_path}.{i}.gz"):
            if os.path.exists(path):
                return path
        return None

    def files(self) -> list[str]:
        """The json-file and its rotated predecessors (``.N`` or ``.N.gz``), oldest first."""
        out = []
        i = 1
        while (path := self._rotated(i)) is not None:
            out.append(path)
            i += 1
        return out[::-1] + [self.json_path]

    def _rotate(self, js: BinaryIO, cri_off: int, json_size: int, gen: int) -> BinaryIO:
        self._save_position(cri_off, json_size, gen)  # what the old file holds, before it moves
        js.close()
        for i in range(self.max_file - 2, 0, -1):
            src = self._rotated(i)
            if src is None:
                continue
            suffix = ".gz" if src.endswith(".gz") else ""
            for stale in (f"{self.json_path}.{i + 1}", f"{self.json_path}.{i + 1}.gz"):
                if stale != f"{self.json_path}.{i + 1}{suffix}" and os.path.exists(stale):
                    os.unlink(stale)
            os.replace(src, f"{self.json_path}.{i + 1}{suffix}")
        # a new file rather than a truncated one, even with max-file 1: a follower that has
        # the old one open reads it to its end
        os.replace(self.json_path, f"{self.json_path}.1")
        if self.max_file == 1:
            os.unlink(f"{self.json_path}.1")
        elif self.compress:
            _gzip_file(f"{self.json_path}.1")
        new = open(self.json_path, "ab")
        self._save_position(cri_off, 0, gen + 1)
        return new

    def sync(self) -> None:
        """Append the CRI lines conmon wrote since the last sync to the json-file, a piece at
        a time under the log's lock (a reader's sync, the one after the exit and the periodic
        one may meet; between pieces a streaming reader gets its turn)."""
        while self.sync_piece():
            pass

    def sync_piece(self) -> bool:
        """One piece of a sync (up to 8 MiB of CRI lines); True when there may be more."""
        with _lock_for(self.json_path):
            return self._sync(pieces=1)

    def _sync(self, pieces: int = 0) -> bool:
        if self.discard:
            try:
                _punch(self.cri_path, os.path.getsize(self.cri_path))
            except OSError:
                pass
            return False
        more = False
        cri_off, json_size, gen = self._position()
        started = cri_off
        try:
            cri = open(self.cri_path, "rb")
        except FileNotFoundError:
            return False
        js = open(self.json_path, "ab")
        try:
            size = js.tell()
            if size > json_size:      # a sync died after writing, before saving: redo it
                js.truncate(json_size)
                js.seek(json_size)
            elif size < json_size:    # it died in a rotation: this is the new file
                json_size = size
                gen += 1
            with cri:
                cri.seek(cri_off)
                carry = b""
                while True:
                    piece = cri.read(_SYNC_PIECE)
                    if not piece:
                        break
                    data = carry + piece
                    end = data.rfind(b"\n")
                    if end < 0:
                        carry = data
                        continue
                    carry = data[end + 1:]
                    batch: list[bytes] = []
                    before = 0  # CRI bytes of this piece behind the entries written so far
                    for line, upto in convert(data[: end + 1].splitlines(keepends=True)):
                        if 0 < self.max_size < json_size + len(line) and json_size:
                            js.write(b"".join(batch))
                            batch = []
                            js = self._rotate(js, cri_off + before, json_size, gen)
                            json_size = 0
                            gen += 1
                        batch.append(line)
                        json_size += len(line)
                        before = upto
                    js.write(b"".join(batch))
                    js.flush()
                    cri_off += end + 1
                    self._save_position(cri_off, json_size, gen)
                    pieces -= 1
                    if pieces == 0:
                        more = len(piece) == _SYNC_PIECE
                        break
        finally:
            js.close()
        if cri_off > started:
            _punch(self.cri_path, cri_off)
        return more

    def entries(self, offset: int = 0, path: str | None = None) -> Iterator[tuple[LogEntry, int]]:
        """Entries of the json-file (or ``path``) from byte ``offset``, with the next offset
        (in a ``.gz`` file: of the uncompressed text)."""
        try:
            f = _open_log(path or self.json_path)
        except FileNotFoundError:
            return
        with f:
            f.seek(offset)
            for line in f:
                if not line.endswith(b"\n"):
                    return
                offset += len(line)
                entry = parse_line(line)
                if entry is not None:
                    yield entry, offset

    @staticmethod
    def _tail_in(path: str, lines: int) -> tuple[int, int]:
        """(offset where the last ``lines`` entries of ``path`` begin, how many it has of them)."""
        if path.endswith(".gz"):  # bounded by max-size: read whole
            try:
                f = io.BytesIO(gzip.decompress(Path(path).read_bytes()))
            except (OSError, EOFError):
                return 0, 0
        else:
            try:
                f = open(path, "rb")  # type: ignore[assignment]
            except FileNotFoundError:
                return 0, 0
        with f:
            pos = f.seek(0, os.SEEK_END)
            if lines <= 0:
                return pos, 0
            seen = -1  # the file's own final newline ends the last entry, it starts none
            while pos > 0:
                step = min(_TAIL_BLOCK, pos)
                pos -= step
                f.seek(pos)
                block = f.read(step)
                i = len(block)
                while True:
                    i = block.rfind(b"\n", 0, i)
                    if i < 0:
                        break
                    seen += 1
                    if seen == lines:
                        return pos + i + 1, lines
        return 0, max(seen + 1, 0)

    def tail_offset(self, lines: int) -> int:
        """Where the last ``lines`` entries of the current json-file begin (read from its end)."""
        return self._tail_in(self.json_path, lines)[0]

    def follow_point(self) -> tuple[int, int]:
        """(generation, size) of the current json-file: where a follower starts."""
        with _lock_for(self.json_path):
            try:
                return self.generation(), os.path.getsize(self.json_path)
            except FileNotFoundError:
                return self.generation(), 0

    def follower(self, point: tuple[int, int]) -> Follower:
        """A reader that goes on from ``point`` (generation, offset) poll after poll."""
        return Follower(self, point)

    def select(self, *, since: float = 0, until: float = 0, tail: int = -1
               ) -> Iterator[tuple[LogEntry, tuple[int, int]]]:
        """The entries ``docker logs`` shows, oldest first, across rotated files, each with
        the point (inode, offset) just after it: where ``follow`` goes on from.

        As Docker's json-file reader: ``tail`` counts from the end, then ``since`` drops
        what is older; with ``until`` every file is read and ``tail`` counts the entries
        that pass both.
        """
        if tail < 0 and not until and self.max_size <= 0:
            yield from self._select_streaming(since)
            return
        self.sync()
        with _lock_for(self.json_path):
            files = self.files()
            current = self.generation()
        gens = {path: current - (len(files) - 1 - i) for i, path in enumerate(files)}

        def read(path: str, offset: int) -> Iterator[tuple[LogEntry, tuple[int, int]]]:
            for entry, end in self.entries(offset, path):
                yield entry, (gens[path], end)

        if until:
            kept = [(e, at) for path in files for e, at in read(path, 0)
                    if not ((since and e.ts < since) or e.ts > until)]
            yield from (kept[-tail:] if tail > 0 else [] if tail == 0 else kept)
            return
        start_file, start = 0, 0
        if tail >= 0:
            need = tail
            start_file, start = len(files) - 1, self.tail_offset(0)
            for i in range(len(files) - 1, -1, -1):
                if need <= 0:
                    break
                start_file = i
                start, got = self._tail_in(files[i], need)
                need -= got
        for i in range(start_file, len(files)):
            for entry, at in read(files[i], start if i == start_file else 0):
                if since and entry.ts < since:
                    continue
                yield entry, at

    def _select_streaming(self, since: float) -> Iterator[tuple[LogEntry, tuple[int, int]]]:
        """The whole log while it is still being copied: a piece is copied, what is there
        is read, then the next piece (the copy and the reader's own work overlap, instead
        of a million-line log being copied whole before its first line goes out). Only
        without rotation: a file never moves under the reader here."""
        offset = 0
        while True:
            more = self.sync_piece()
            gen = self.generation()
            for entry, offset in self.entries(offset):
                if since and entry.ts < since:
                    continue
                yield entry, (gen, offset)
            if not more:
                return

    @staticmethod
    def batches(items: Iterator[tuple[LogEntry, P]], fmt: Callable[[LogEntry], bytes | None],
                limit: int = 256 << 10) -> Iterator[tuple[bytes, P]]:
        """``items`` formatted and joined into writes of about ``limit`` bytes, with the
        position after the last entry in each (a million entries are not a million writes)."""
        out: list[bytes] = []
        size = 0
        last: P | None = None
        for entry, last in items:
            chunk = fmt(entry)
            if chunk:
                out.append(chunk)
                size += len(chunk)
                if size >= limit:
                    yield b"".join(out), last
                    out, size = [], 0
        if last is not None:
            yield b"".join(out), last


def _punch(path: str, upto: int) -> None:
    """Free the disk blocks of ``path`` below ``upto`` (copied to the json-file already);
    offsets stay as they are, so conmon's appends and the saved position are unaffected.
    Best effort: a filesystem without hole punching keeps the bytes."""
    if upto < _PUNCH_MIN:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        _fallocate(fd, _FALLOC_FL_KEEP_SIZE | _FALLOC_FL_PUNCH_HOLE, 0, upto)
    except OSError:
        pass
    finally:
        os.close(fd)


_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02


class Follower:
    """``docker logs -f``: keeps its json-file open, so a rotation (the file renamed,
    compressed, or deleted past ``max-file``) does not cut it short: it reads its file to
    the end, then the files of the next generations in order (see ``LogFile.path_of``)."""

    def __init__(self, lf: LogFile, point: tuple[int, int]) -> None:
        self.lf = lf
        self.gen, self.offset = point
        self._f: BinaryIO | None = None

    def _open(self) -> bool:
        with _lock_for(self.lf.json_path):  # no rotation between finding and opening it
            path, gen = self.lf.path_of(self.gen)
            if path is None:
                return False
            if gen != self.gen:  # ours is gone: the oldest there is, from its start
                self.gen, self.offset = gen, 0
            try:
                self._f = _open_log(path)
            except FileNotFoundError:
                return False
        self._f.seek(self.offset)
        return True

    def poll(self) -> Iterator[LogEntry]:
        """The entries written since the last poll (the caller syncs first)."""
        if self._f is None and not self._open():
            return
        while True:
            yield from self._read_to_end()
            if self.gen >= self.lf.generation():
                return
            # rotated since: the file is final now (lines may have come between the end
            # just seen and the rotation), read what is left, then the next generation
            yield from self._read_to_end()
            self.close()
            self.gen, self.offset = self.gen + 1, 0
            if not self._open():
                return

    def _read_to_end(self) -> Iterator[LogEntry]:
        assert self._f is not None
        for line in self._f:
            if not line.endswith(b"\n"):
                self._f.seek(self.offset)  # half a line: the rest comes later
                break
            self.offset += len(line)
            entry = parse_line(line)
            if entry is not None:
                yield entry

    @property
    def point(self) -> tuple[int, int]:
        return self.gen, self.offset

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def _open_log(path: str) -> BinaryIO:
    """A json-file for reading: a rotated ``.gz`` one through gzip."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _gzip_file(path: str) -> None:
    """``path`` → ``path.gz`` (temp + rename, then the plain file goes): a crash leaves one
    of the two, both readable."""
    tmp = path + ".gz.tmp"
    with open(path, "rb") as src, gzip.open(tmp, "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, path + ".gz")
    os.unlink(path)


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: str) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(path)
        if lock is None:
            lock = _LOCKS[path] = threading.Lock()
        return lock


@lru_cache(maxsize=1)
def _libc_fallocate() -> Any:
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return libc.fallocate


def _fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    import ctypes

    if _libc_fallocate()(fd, mode, offset, length) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
