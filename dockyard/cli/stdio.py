"""Moving a container's streams to and from the terminal: demultiplexing, attach, raw tty.

The Engine API sends a non-tty container's output *multiplexed*: frames of an 8-byte header
``[stream, 0, 0, 0, size(4, big endian)]`` then ``size`` bytes, stream 1 = stdout, 2 =
stderr (0 = stdin echo, written to stdout as docker does). A tty container's output is one
raw stream. :class:`Demux` undoes the framing incrementally, over pieces cut anywhere.

:func:`stream_attached` is docker's ``hijackedIOStreamer``: one thread copies our stdin to
the hijacked socket (half-closing it at EOF, so the container sees its stdin end), the
calling thread copies the socket to stdout/stderr until the daemon closes it. With ``tty``
and a terminal on stdin, the terminal is put in raw mode for the duration (keys go to the
container's line discipline, not ours) and always restored.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import BinaryIO

    from dockyard.client.transport import HijackedSocket

__all__ = ["MULTIPLEXED", "Demux", "copy_output", "raw_terminal", "stream_attached", "terminal_size"]

MULTIPLEXED = "application/vnd.docker.multiplexed-stream"


class Demux:
    """Incremental decoder of the 8-byte-framed stream; ``feed`` returns ``(stream, data)`` pieces."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._stream = 1
        self._left = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        self._buf += data
        while self._buf:
            if self._left == 0:
                if len(self._buf) < 8:
                    break
                self._stream = self._buf[0]
                self._left = int.from_bytes(self._buf[4:8], "big")
                del self._buf[:8]
                continue
            piece = bytes(self._buf[: self._left])
            del self._buf[: len(piece)]
            self._left -= len(piece)
            out.append((self._stream, piece))
        return out


def _writer(stream: BinaryIO) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        stream.write(data)
        stream.flush()

    return write


def copy_output(chunks: Iterable[bytes], multiplexed: bool, out: BinaryIO | None = None,
                err: BinaryIO | None = None) -> None:
    """Write a (framed or raw) output stream to our stdout/stderr as it arrives."""
    write_out = _writer(out or sys.stdout.buffer)
    write_err = _writer(err or sys.stderr.buffer)
    demux = Demux() if multiplexed else None
    for chunk in chunks:
        if demux is None:
            write_out(chunk)
            continue
        for stream, data in demux.feed(chunk):
            (write_err if stream == 2 else write_out)(data)


def terminal_size(fd: int | None = None) -> tuple[int, int] | None:
    """``(height, width)`` of the terminal on ``fd`` (stdout by default), or None if not a tty."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno() if fd is None else fd)
    except (OSError, ValueError):
        return None
    return size.lines, size.columns


class raw_terminal:  # noqa: N801 - used as a context manager, like contextlib's lower-case ones
    """Put the terminal on ``fd`` in raw mode inside the ``with``; restore it on any exit."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.saved: list | None = None  # type: ignore[type-arg]

    def __enter__(self) -> raw_terminal:
        import termios
        import tty

        self.saved = termios.tcgetattr(self.fd)
        tty.setraw(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def _pump_stdin(sock: HijackedSocket, fd: int) -> None:
    """Our stdin → the container, until EOF (then half-close) or the socket goes away."""
    try:
        while True:
            data = os.read(fd, 32 * 1024)
            if not data:
                break
            sock.send(data)
    except OSError:
        return
    sock.shutdown_write()


def stream_attached(sock: HijackedSocket, *, tty: bool, stdin: bool) -> None:
    """Copy stdin to ``sock`` (when ``stdin``) and ``sock`` to stdout/stderr until the daemon ends it.

    ``tty``: the output is raw, and if our stdin is a terminal it goes raw for the duration.
    """
    multiplexed = not tty and "raw-stream" not in sock.content_type
    in_fd = sys.stdin.fileno() if stdin and sys.stdin is not None else -1
    raw = raw_terminal(in_fd) if tty and in_fd >= 0 and os.isatty(in_fd) else None
    if in_fd >= 0:
        import threading

        threading.Thread(target=_pump_stdin, args=(sock, in_fd), daemon=True).start()

    def chunks() -> Iterable[bytes]:
        while True:
            try:
                data = sock.recv(32 * 1024)
            except OSError:
                return
            if not data:
                return
            yield data

    if raw is None:
        copy_output(chunks(), multiplexed)
        return
    with raw:
        copy_output(chunks(), multiplexed)
