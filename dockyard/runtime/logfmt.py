"""The lines of a container log: conmon's CRI lines in, Docker's json-file lines out.

A CRI line (what conmon writes, ``k8s-file``)::

    2024-05-06T09:08:09.123456789+02:00 stdout F hello

becomes a json-file line (what Docker writes, and what tools reading ``LogPath`` expect)::

    {"log":"hello\n","stream":"stdout","time":"2024-05-06T07:08:09.123456789Z"}

conmon cuts a line wherever its read buffer ends (a ``P`` piece, then the rest): the pieces
of one line become one entry, cut at 16 KiB as Docker cuts a long line. Most lines take a
fast path (whole, UTC, plain ASCII: no decoding, no json.dumps); reading parses a line by
slicing unless it has something to unescape. Timestamps are parsed to seconds only for
``since``/``until``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache

__all__ = ["LogEntry", "PARTIAL_MAX", "convert", "format_time", "json_line", "parse_line"]

PARTIAL_MAX = 16 * 1024  # Docker's json-file splits a line longer than this


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


def json_line(stream: str, when: str, text: str) -> bytes:
    return f'{{"log":{_go_json_string(text)},"stream":"{stream}","time":"{when}"}}\n'.encode()


def format_time(time_text: str) -> str:
    """Docker's ``--timestamps`` form: RFC3339 with exactly nine fractional digits."""
    base, _, frac = time_text.rstrip("Z").partition(".")
    return f"{base}.{(frac + '000000000')[:9]}Z"


_NEEDS_ESCAPE = re.compile(rb'[\x00-\x1f"\\<>&\x7f-\xff]')  # what a json.dumps path must see


def convert(lines: list[bytes]) -> list[tuple[bytes, int]]:
    """CRI lines (each ending in a newline) → json-file lines, a line's pieces joined.

    Each json line comes with how many bytes of ``lines`` it accounts for up to its end
    (so a rotation between two entries knows the CRI offset to record)."""
    out: list[tuple[bytes, int]] = []
    pending: list[bytes] = []    # the P pieces of the line in progress
    pending_stream = b""
    pending_when = ""
    pending_size = 0
    consumed = 0

    def flush() -> None:
        nonlocal pending, pending_size
        if pending:
            out.append((json_line(pending_stream.decode(), pending_when,
                                   b"".join(pending).decode("utf-8", errors="replace")), consumed))
            pending, pending_size = [], 0

    for raw in lines:
        parts = raw[:-1].split(b" ", 3)
        if len(parts) < 3:
            consumed += len(raw)
            continue
        ts, stream, tag = parts[0], parts[1], parts[2]
        msg = parts[3] if len(parts) > 3 else b""
        if (tag == b"F" and not pending and ts.endswith(b"+00:00")
                and not _NEEDS_ESCAPE.search(msg)):
            # the common line: whole, UTC, plain ASCII: no decoding, no json.dumps
            consumed += len(raw)
            out.append((b'{"log":"' + msg + b'\\n","stream":"' + stream + b'","time":"'
                        + ts[:-6] + b'Z"}\n', consumed))
            continue
        try:
            when = _utc_text(ts)
        except (ValueError, UnicodeDecodeError):
            consumed += len(raw)
            continue
        if pending and stream != pending_stream:
            flush()
        consumed += len(raw)
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
    return out


_LOG_HEAD = b'{"log":"'
_STREAM_MARK = b'","stream":"'
_TIME_MARK = b'","time":"'


def parse_line(line: bytes) -> LogEntry | None:
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
