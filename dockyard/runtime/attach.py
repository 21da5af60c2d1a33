"""Pumping bytes between an API client's hijacked connection and conmon's attach socket.

conmon's socket is SOCK_SEQPACKET: each packet read is ``[stream id][data]`` with 2 for
stdout and 3 for stderr; anything sent to it is the container's stdin, and ``shutdown(WR)``
closes that stdin. Towards the client, Docker's framing applies: raw bytes for a TTY, else
the multiplexed stream (8-byte header, stream 1 stdout / 2 stderr).
"""

from __future__ import annotations

import asyncio
import socket
from dockyard.api.stream import mux_frame
from typing import Protocol

__all__ = ["ClientStream", "pump"]

_CONMON_STDOUT = 2
_CONMON_STDERR = 3


class ClientStream(Protocol):
    async def read(self, n: int) -> bytes: ...
    async def write(self, data: bytes) -> None: ...
    async def close_write(self) -> None: ...



async def pump(sock: socket.socket, client: ClientStream, *, tty: bool, stdin: bool,
               stdout: bool, stderr: bool, stdin_once: bool = True) -> None:
    """Run until the container's output ends (its socket closes) or the client goes away."""
    loop = asyncio.get_running_loop()

    async def output() -> None:
        while True:
            try:
                packet = await loop.sock_recv(sock, 8193)
            except (ConnectionError, OSError):
                return
            if not packet:
                return
            kind, data = packet[0], packet[1:]
            if not data:
                continue
            if kind == _CONMON_STDOUT and not stdout:
                continue
            if kind == _CONMON_STDERR and not stderr:
                continue
            if tty:
                await client.write(data)
            else:
                await client.write(mux_frame(1 if kind == _CONMON_STDOUT else 2, data))

    async def input_() -> None:
        while True:
            data = await client.read(32768)
            if not data:
                if stdin_once:
                    try:
                        sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            # SEQPACKET keeps message boundaries; conmon reads up to 8 KiB per packet.
            for i in range(0, len(data), 8192):
                try:
                    await loop.sock_sendall(sock, data[i:i + 8192])
                except OSError:
                    return

    out_task = asyncio.ensure_future(output())
    in_task = asyncio.ensure_future(input_()) if stdin else None
    try:
        await out_task
    finally:
        if in_task is not None:
            in_task.cancel()
            try:
                await in_task
            except (asyncio.CancelledError, Exception):
                pass
        sock.close()
        try:
            await client.close_write()
        except Exception:
            pass
