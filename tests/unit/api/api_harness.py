"""A real dockyard API Server on a unix socket, run on its own loop in a thread.

The synchronous clients under test (dockyard's transport, the docker SDK,
requests, the docker CLI) talk to it from the test thread.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from dockyard.api.router import Router
from dockyard.api.server import Server

T = TypeVar("T")


class ServerThread:
    """A started Server; ``path`` is its socket, ``address`` the ``unix://`` URL."""

    def __init__(self, router: Router, directory: str) -> None:
        self.router = router
        self.path = os.path.join(directory, "api.sock")
        self.address = f"unix://{self.path}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="api-server", daemon=True)
        self.thread.start()
        self.server = Server(router, server_version="9.9.9")
        self.run(self.server.serve_unix(self.path, group=None))

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.run(self.server.close(timeout=2.0))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
