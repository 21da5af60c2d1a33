"""Container logs in Docker's json-file format.

conmon writes what the container prints as CRI lines (``k8s-file``), and keeps doing so
while the daemon is down. The daemon turns those lines into Docker's json-file
(``<id>-json.log``: ``{"log":"hi\\n","stream":"stdout","time":"...Z"}``) incrementally:
whenever logs are read, and on a timer for running containers. Nothing is lost across a
``kill -9``: the position file records (CRI offset, json size) *after* the json lines are
written, and a sync first truncates the json file back to the recorded size, so a
half-finished sync is redone, never duplicated.

Files, per container::

    <cdir>/ctr.log            conmon's CRI lines: "<RFC3339Nano> stdout F text"
    <cdir>/<id>-json.log      Docker's json-file lines (what ``LogPath`` points at)
    <cdir>/<id>-json.log.pos  "<cri offset> <json size>" (temp + rename)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

__all__ = ["LogFile", "LogEntry", "format_time"]


@dataclass(frozen=True)
class LogEntry:
    stream: str        # "stdout" | "stderr"
    time: str          # RFC3339Nano, UTC
    data: bytes
    ts: float


def _to_utc(ts: str) -> tuple[str, float]:
    """CRI timestamps carry a zone offset; Docker's json-file wants UTC with ``Z``."""
    head, _, frac_zone = ts.partition(".")
    frac = ""
    zone = ""
    for i, ch in enumerate(frac_zone):
        if not ch.isdigit():
            frac, zone = frac_zone[:i], frac_zone[i:]
            break
    else:
        frac = frac_zone
    if zone in ("Z", "+00:00", ""):
        dt = datetime.fromisoformat(head).replace(tzinfo=timezone.utc)
    else:
        dt = datetime.fromisoformat(head + zone).astimezone(timezone.utc)
    seconds = dt.timestamp()
    text = dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"
    return text, seconds + (float("0." + frac) if frac else 0.0)


def _go_json_string(text: str) -> str:
    # Go's encoder escapes <, > and & (HTML-safe), as Docker's json-file lines show.
    return (json.dumps(text, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def format_time(time_text: str) -> str:
    """Docker's ``--timestamps`` form: RFC3339 with exactly nine fractional digits."""
    base, _, frac = time_text.rstrip("Z").partition(".")
    return f"{base}.{(frac + '000000000')[:9]}Z"


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

    def sync(self) -> None:
        """Append the CRI lines conmon wrote since the last sync to the json-file."""
        cri_off, json_size = self._position()
        try:
            cri = open(self.cri_path, "rb")
        except FileNotFoundError:
            return
        with cri:
            cri.seek(cri_off)
            data = cri.read()
        end = data.rfind(b"\n")
        if end < 0:
            if not os.path.exists(self.json_path):
                open(self.json_path, "ab").close()
            return
        out = []
        for raw in data[: end + 1].splitlines():
            entry = self._convert(raw)
            if entry is not None:
                out.append(entry)
        with open(self.json_path, "ab") as js:
            if js.tell() != json_size:
                js.truncate(json_size)
                js.seek(json_size)
            js.write(b"".join(out))
            new_size = js.tell()
        tmp = self.pos_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{cri_off + end + 1} {new_size}")
        os.replace(tmp, self.pos_path)

    @staticmethod
    def _convert(raw: bytes) -> bytes | None:
        parts = raw.split(b" ", 3)
        if len(parts) < 3:
            return None
        ts, stream, tag = parts[0].decode(), parts[1].decode(), parts[2].decode()
        msg = parts[3] if len(parts) > 3 else b""
        text = msg.decode("utf-8", errors="replace")
        if tag.split(",")[0] == "F":
            text += "\n"
        try:
            when, _ = _to_utc(ts)
        except ValueError:
            return None
        return (f'{{"log":{_go_json_string(text)},"stream":"{stream}",'
                f'"time":"{when}"}}\n').encode()

    def entries(self, offset: int = 0) -> Iterator[tuple[LogEntry, int]]:
        """Entries from the json-file starting at byte ``offset``, with the next offset."""
        try:
            f = open(self.json_path, "rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(offset)
            while True:
                line = f.readline()
                if not line.endswith(b"\n"):
                    return
                offset += len(line)
                try:
                    obj = json.loads(line)
                    _, ts = _to_utc(obj["time"])
                except (ValueError, KeyError):
                    continue
                yield LogEntry(obj.get("stream", "stdout"), obj["time"],
                               obj.get("log", "").encode(), ts), offset

    def read(self, *, since: float = 0, until: float = 0, tail: int = -1
             ) -> tuple[list[LogEntry], int]:
        """Entries matching the filters, and the offset to follow from."""
        self.sync()
        out: list[LogEntry] = []
        end = 0
        for entry, end in self.entries(0):
            if since and entry.ts < since:
                continue
            if until and entry.ts > until:
                continue
            out.append(entry)
        if tail >= 0:
            out = out[-tail:] if tail else []
        return out, end
