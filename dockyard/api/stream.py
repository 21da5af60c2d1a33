"""Docker's stream framings: the multiplexed attach/logs stream and jsonmessage lines.

**Multiplexed stream** (attach/logs/exec without a TTY): every write becomes one
frame, an 8-byte header then the payload::

    [stream, 0, 0, 0, size (uint32, big-endian)] payload...

with stream 0 = stdin, 1 = stdout, 2 = stderr, 3 = systemerr (an error from the
daemon itself, the rest of the stream is its text). With a TTY the stream is raw
(no frames) because stdout and stderr are one terminal.

**jsonmessage lines** (pull, push, build, load, import): one JSON object per
write followed by ``\\r\\n`` — ``{"status":..,"id":..,"progressDetail":{..}}``,
``{"stream":"Step 1/3 : FROM busybox\\n"}``, ``{"errorDetail":{"message":..},"error":..}``.

Pure functions and a small incremental reader, importable by the fast CLI
(no struct, no dataclasses).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "STDIN",
    "STDOUT",
    "STDERR",
    "SYSTEMERR",
    "HEADER_SIZE",
    "mux_frame",
    "MuxReader",
    "demux",
    "json_message",
    "json_status",
    "json_progress",
    "json_stream",
    "json_aux",
    "json_error",
    "progress_bar",
]

STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3
HEADER_SIZE = 8
_MAX_FRAME = 0xFFFFFFFF
_HEADER = struct.Struct(">B3xI")  # stream id, 3 zero bytes, big-endian length


def mux_frame(stream_id: int, data: bytes) -> bytes:
    """One multiplexed frame carrying ``data`` on ``stream_id`` (0-3)."""
    if not 0 <= stream_id <= SYSTEMERR:
        raise ValueError(f"invalid stream id {stream_id}")
    if len(data) > _MAX_FRAME:
        raise ValueError("frame payload larger than 4 GiB")
    return _HEADER.pack(stream_id, len(data)) + data


class MuxReader:
    """Incremental demultiplexer: ``feed()`` bytes in any pieces, get whole frames out.

    ``feed(b"")`` never returns frames; call :meth:`close` at end of input to
    learn whether a frame was cut short.
    """

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add bytes; return every frame now complete as ``(stream_id, payload)``."""
        self._buf += data
        frames: list[tuple[int, bytes]] = []
        buf = self._buf
        pos = 0
        while len(buf) - pos >= HEADER_SIZE:
            stream_id = buf[pos]
            if stream_id > SYSTEMERR:
                raise ValueError(f"invalid multiplexed stream id {stream_id}")
            size = int.from_bytes(buf[pos + 4 : pos + 8], "big")
            end = pos + HEADER_SIZE + size
            if len(buf) < end:
                break
            frames.append((stream_id, bytes(buf[pos + HEADER_SIZE : end])))
            pos = end
        del buf[:pos]
        return frames

    @property
    def pending(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buf)

    def close(self) -> None:
        """Declare end of input; a partial frame left over is an error."""
        if self._buf:
            raise ValueError(f"multiplexed stream ended inside a frame ({len(self._buf)} bytes left)")


def demux(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Frames from an iterable of raw byte pieces (e.g. ``response.iter_chunks()``)."""
    reader = MuxReader()
    for chunk in chunks:
        yield from reader.feed(chunk)
    reader.close()


def json_message(**fields: Any) -> bytes:
    """One jsonmessage line: compact JSON of the non-None ``fields`` plus ``\\r\\n``."""
    payload = {k: v for k, v in fields.items() if v is not None}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\r\n"


def json_status(status: str, id: str | None = None) -> bytes:  # noqa: A002 - Docker's field name
    """``{"status": ..., "id": ...}`` — "Pulling from library/busybox", "Pull complete"."""
    return json_message(status=status, id=id)


def progress_bar(current: int, total: int | None, width: int = 50) -> str:
    """The human ``progress`` text docker-py users print, e.g. ``[===>   ]  1.2MB/3.4MB``."""
    if not total or total <= 0:
        return _human(current)
    filled = min(width, int(width * current / total))
    arrow = ">" if filled < width else ""
    bar = "=" * max(0, filled - (1 if arrow else 0)) + arrow
    return f"[{bar.ljust(width)}] {_human(current).rjust(8)}/{_human(total)}"


def _human(size: float) -> str:
    # Docker's units.HumanSize: decimal units, 3 significant digits.
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    value = float(size)
    i = 0
    while value >= 1000 and i < len(units) - 1:
        value /= 1000
        i += 1
    return f"{value:.3g}{units[i]}"


def json_progress(id: str, status: str, current: int, total: int | None = None) -> bytes:  # noqa: A002
    """A progress line: ``progressDetail`` for the docker CLI, ``progress`` for humans."""
    detail: dict[str, int] = {"current": current}
    if total:
        detail["total"] = total
    return json_message(status=status, progressDetail=detail, progress=progress_bar(current, total), id=id)


def json_stream(text: str) -> bytes:
    """Build output: ``{"stream": "Step 1/2 : FROM busybox\\n"}``."""
    return json_message(stream=text)


def json_aux(aux: Any) -> bytes:
    """Auxiliary data for the client (``{"aux":{"ID":"sha256:..."}}`` after a build)."""
    return json_message(aux=aux)


def json_error(message: str, code: int | None = None) -> bytes:
    """A failure inside a progress stream; the docker CLI prints ``message`` and exits 1."""
    detail: dict[str, Any] = {"message": message}
    if code is not None:
        detail["code"] = code
    return json_message(errorDetail=detail, error=message)
