"""Fixtures for the API plumbing tests (the server harness lives in api_harness.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest

from api_harness import ServerThread
from dockyard.api.router import Router


@pytest.fixture
def sockdir() -> Iterator[str]:
    # Not tmp_path: AF_UNIX paths are limited to 107 bytes and pytest's are long.
    directory = tempfile.mkdtemp(prefix="dy-api-")
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def serve(sockdir: str) -> Iterator[Callable[[Router], ServerThread]]:
    """``serve(router)`` starts a server; every one started is closed after the test."""
    started: list[ServerThread] = []

    def start(router: Router) -> ServerThread:
        st = ServerThread(router, sockdir)
        started.append(st)
        return st

    yield start
    for st in started:
        st.stop()
