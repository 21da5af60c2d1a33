"""Fixtures for the engine integration tests: one real daemon per test session (worker)."""

from __future__ import annotations

import itertools
import os
from typing import Iterator

import pytest

from engine_helpers import Daemon

_names = itertools.count()


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    if os.geteuid() != 0:
        pytest.skip("the engine needs root")
    d = Daemon().start()
    try:
        d.bootstrap_busybox()
        yield d
    finally:
        d.stop()


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A container name unique to the test."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:40]
    return f"t{os.getpid()}-{next(_names)}-{stem}".rstrip("-")


@pytest.fixture
def own_daemon() -> Iterator[Daemon]:
    """A daemon of the test's own, with busybox, for tests that kill or restart it
    (``Daemon.stop`` brings a killed one back to remove its containers)."""
    if os.geteuid() != 0:
        pytest.skip("the engine needs root")
    d = Daemon().start()
    try:
        d.bootstrap_busybox()
        yield d
    finally:
        d.stop()
