"""Container logs in Docker's json-file format.

conmon writes what the container prints as CRI lines (``k8s-file``), and keeps doing so
while the daemon is down. The daemon turns those lines into Docker's json-file
(``<id>-json.log``: ``{"log":"hi\\n","stream":"stdout","time":"...Z"}``) incrementally:
whenever logs are read, and when the container exits. Nothing is lost across a
``kill -9``: the position file records (CRI offset, json size) *after* the json lines are
written, and a sync first truncates the json file back to the recorded size, so a
half-finished sync is redone, never duplicated.

conmon cuts a line wherever its read buffer ends (a ``P`` line, then the rest); Docker's
json-file has one entry per line (split only past 16 KiB), so the pieces of one line are
joined into one entry when the rest is in the same sync.

Speed matters here: a chatty container writes millions of lines. A sync goes through the
CRI file in 8 MiB pieces (bounded memory, the position saved after each); timestamps are
rewritten as text (UTC needs no datetime) and parsed only for ``since``/``until``; ``tail``
reads the json-file backwards from its end. Callers run these in a thread: none of it
belongs on the event loop.

Files, per container::

    <cdir>/ctr.log            conmon's CRI lines: "<RFC3339Nano> stdout F text"
    <cdir>/<id>-json.log      Docker's json-file lines (what ``LogPath`` points at)
    <cdir>/<id>-json.log.pos  "<cri offset> <json size>" (temp + rename)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import lru_cache

__all__ = ["LogFile", "LogEntry", "format_time", "PARTIAL_MAX"]

PARTIAL_MAX = 16 * 1024  # Docker's json-file splits a line longer than this
_SYNC_PIECE = 8 << 20
_TAIL_BLOCK = 64 << 10


class LogEntry:
    """One json-file entry; ``ts`` (seconds since the epoch) is parsed only when asked for."""

    __slots__ = ("stream", "time", "data", "_ts")

    def __init__(self, stream: str, time: str, data: bytes) -> None:
        self.stream = stream   # "stdout" | "stderr"
        self.time = time       # RFC3339Nano, UTC ("...Z")
        self.data = data
        self._ts: float | None = None

    @property
    def ts(self) -> float:
        if self._ts is None:
            self._ts = _to_utc(self.time)[1]
        return self._ts


def _split_ts(ts: str) -> tuple[str, str, str]:
    """``2024-01-02T03:04:05.123+02:00`` → ``("2024-01-02T03:04:05", "123", "+02:00")``."""
    head, _, frac_zone = ts.partition(".")
    if not _:
        for i, ch in enumerate(head[19:], 19):
            if not ch.isdigit():
                return head[:i], "", head[i:]
        return head, "", ""
    for i, ch in enumerate(frac_zone):
        if not ch.isdigit():
            return head, frac_zone[:i], frac_zone[i:]
    return head, frac_zone, ""


@lru_cache(maxsize=256)
def _utc_second(head: str, zone: str) -> tuple[str, float]:
    """A whole second in another zone, as UTC text and epoch seconds (lines share seconds)."""
    if zone in ("Z", "+00:00", ""):
        dt = datetime.fromisoformat(head).replace(tzinfo=timezone.utc)
    else:
        dt = datetime.fromisoformat(head + zone).astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S"), dt.timestamp()


def _to_utc(ts: str) -> tuple[str, float]:
    """CRI timestamps carry a zone offset; Docker's json-file wants UTC with ``Z``."""
    head, frac, zone = _split_ts(ts)
    text, seconds = _utc_second(head, zone)
    return text + (f".{frac}" if frac else "") + "Z", seconds + (float("0." + frac) if frac else 0.0)


def _utc_text(ts: bytes) -> str:
    """The json-file ``time`` of a CRI timestamp, without datetime when it is UTC already."""
    if ts.endswith(b"+00:00"):
        return ts[:-6].decode() + "Z"
    if ts.endswith(b"Z"):
        return ts.decode()
    return _to_utc(ts.decode())[0]


def _go_json_string(text: str) -> str:
    # Go's encoder escapes <, > and & (HTML-safe), as Docker's json-file lines show.
    out = json.dumps(text, ensure_ascii=False)
    if "<" in out or ">" in out or "&" in out:
        out = out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if "\u2028" in out or "\u2029" in out:
        out = out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return out


def _json_line(stream: str, when: str, text: str) -> bytes:
    return f'{{"log":{_go_json_string(text)},"stream":"{stream}","time":"{when}"}}\n'.encode()


def format_time(time_text: str) -> str:
    """Docker's ``--timestamps`` form: RFC3339 with exactly nine fractional digits."""
    base, _, frac = time_text.rstrip("Z").partition(".")
    return f"{base}.{(frac + '000000000')[:9]}Z"


def _convert(lines: list[bytes]) -> bytes:
    """CRI lines (each ending in a newline) → json-file lines, a line's pieces joined."""
    out: list[bytes] = []
    pending: list[bytes] = []    # the P pieces of the line in progress
    pending_stream = b""
    pending_when = ""
    pending_size = 0

    def flush() -> None:
        nonlocal pending, pending_size
        if pending:
            out.append(_json_line(pending_stream.decode(), pending_when,
                                  b"".join(pending).decode("utf-8", errors="replace")))
            pending, pending_size = [], 0

    for raw in lines:
        parts = raw[:-1].split(b" ", 3)
        if len(parts) < 3:
            continue
        ts, stream, tag = parts[0], parts[1], parts[2]
        msg = parts[3] if len(parts) > 3 else b""
        try:
            when = _utc_text(ts)
        except (ValueError, UnicodeDecodeError):
            continue
        if pending and stream != pending_stream:
            flush()
        if not pending:
            pending_stream, pending_when = stream, when
        pending.append(msg)
        pending_size += len(msg)
        if tag.split(b",")[0] == b"F":
            pending.append(b"\n")
            flush()
        elif pending_size >= PARTIAL_MAX:
            flush()  # as Docker: a long line is cut into entries with no newline
    flush()  # a line whose rest is not written yet: its piece is an entry of its own
    return b"".join(out)


_LOG_HEAD = b'{"log":"'
_STREAM_MARK = b'","stream":"'
_TIME_MARK = b'","time":"'


def _parse_line(line: bytes) -> LogEntry | None:
    """One json-file line. The lines written here have one shape; a log with nothing to
    unescape is sliced out as it is (json.loads per line would be most of ``docker logs``)."""
    if line.startswith(_LOG_HEAD) and line.endswith(b'"}\n'):
        s = line.rfind(_STREAM_MARK)
        t = line.rfind(_TIME_MARK)
        if 0 < s < t:
            data = line[len(_LOG_HEAD):s]
            if data.endswith(b"\\n") and b"\\" not in data[:-2]:
                data = data[:-2] + b"\n"
            if b"\\" not in data:
                return LogEntry(line[s + len(_STREAM_MARK):t].decode(),
                                line[t + len(_TIME_MARK):-3].decode(), data)
    try:
        obj = json.loads(line)
        return LogEntry(obj.get("stream", "stdout"), obj["time"], obj.get("log", "").encode())
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class LogFile:
    def __init__(self, cri_path: str, json_path: str) -> None:
        self.cri_path = cri_path
        self.json_path = json_path
        self.pos_path = json_path + ".pos"

    def _position(self) -> tuple[int, int]:
        try:
            with open(self.pos_path) as f:
                a, b = f.read().split()
                return int(a), int(b)
        except (OSError, ValueError):
            return 0, 0

    def _save_position(self, cri_off: int, json_size: int) -> None:
        tmp = self.pos_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{cri_off} {json_size}")
        os.replace(tmp, self.pos_path)

    def sync(self) -> None:
        """Append the CRI lines conmon wrote since the last sync to the json-file."""
        cri_off, json_size = self._position()
        try:
            cri = open(self.cri_path, "rb")
        except FileNotFoundError:
            return
        with cri, open(self.json_path, "ab") as js:
            if js.tell() != json_size:
                js.truncate(json_size)
                js.seek(json_size)
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
                js.write(_convert(data[: end + 1].splitlines(keepends=True)))
                js.flush()
                cri_off += end + 1
                json_size = js.tell()
                self._save_position(cri_off, json_size)

    def entries(self, offset: int = 0) -> Iterator[tuple[LogEntry, int]]:
        """Entries from the json-file starting at byte ``offset``, with the next offset."""
        try:
            f = open(self.json_path, "rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(offset)
            for line in f:
                if not line.endswith(b"\n"):
                    return
                offset += len(line)
                entry = _parse_line(line)
                if entry is not None:
                    yield entry, offset

    def tail_offset(self, lines: int) -> int:
        """Where the last ``lines`` entries begin, found by reading backwards from the end."""
        try:
            f = open(self.json_path, "rb")
        except FileNotFoundError:
            return 0
        with f:
            pos = f.seek(0, os.SEEK_END)
            if lines <= 0:
                return pos
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
                        return pos + i + 1
        return 0

    def select(self, *, since: float = 0, until: float = 0, tail: int = -1
               ) -> Iterator[tuple[LogEntry, int]]:
        """The entries ``docker logs`` shows, with the offset after each (to follow from).

        As Docker's json-file reader: ``tail`` counts from the end of the file, then
        ``since`` drops what is older; with ``until`` the whole file is read and ``tail``
        counts the entries that pass both.
        """
        self.sync()
        if until:
            kept: list[tuple[LogEntry, int]] = []
            for entry, end in self.entries(0):
                if (since and entry.ts < since) or entry.ts > until:
                    continue
                kept.append((entry, end))
            yield from (kept[-tail:] if tail > 0 else [] if tail == 0 else kept)
            return
        start = self.tail_offset(tail) if tail >= 0 else 0
        for entry, end in self.entries(start):
            if since and entry.ts < since:
                continue
            yield entry, end

    @staticmethod
    def batches(items: Iterator[tuple[LogEntry, int]], fmt: Callable[[LogEntry], bytes | None],
                limit: int = 256 << 10) -> Iterator[tuple[bytes, int]]:
        """``items`` formatted and joined into writes of about ``limit`` bytes, with the
        offset after the last entry in each (a million entries are not a million writes)."""
        out: list[bytes] = []
        size = 0
        end = -1
        for entry, end in items:
            chunk = fmt(entry)
            if chunk:
                out.append(chunk)
                size += len(chunk)
                if size >= limit:
                    yield b"".join(out), end
                    out, size = [], 0
        if out or end >= 0:
            yield b"".join(out), end
