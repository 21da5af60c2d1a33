"""Learning that a container ended: conmon writes ``<exit-dir>/<id>``; inotify tells us.

Why inotify and not waiting on a pid: conmon is not the daemon's child (it daemonizes so
that it survives the daemon), and the exit file is the record that also survives a daemon
restart. ``scan()`` picks up files written while no daemon was watching.
"""

from __future__ import annotations

import asyncio
import os
from typing import Callable

from inotify_simple import INotify, flags

__all__ = ["ExitWatcher", "read_exit_code"]


def read_exit_code(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    try:
        return int(text)
    except ValueError:
        return None


class ExitWatcher:
    def __init__(self, exit_dir: str, on_exit: Callable[[str], None]) -> None:
        self.exit_dir = exit_dir
        self._on_exit = on_exit
        self._inotify: INotify | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        os.makedirs(self.exit_dir, exist_ok=True)
        self._inotify = INotify(nonblocking=True)
        self._inotify.add_watch(self.exit_dir, flags.CLOSE_WRITE | flags.MOVED_TO)
        loop.add_reader(self._inotify.fileno(), self._ready)

    def _ready(self) -> None:
        assert self._inotify is not None
        for event in self._inotify.read(timeout=0):
            if event.name and not event.name.startswith("."):
                self._on_exit(event.name)

    def scan(self) -> list[str]:
        try:
            return [n for n in os.listdir(self.exit_dir) if not n.startswith(".")]
        except FileNotFoundError:
            return []

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._inotify is not None:
            loop.remove_reader(self._inotify.fileno())
            self._inotify.close()
            self._inotify = None
