"""Fixtures for the engine integration tests: one real daemon per test session (worker)."""

from __future__ import annotations

import itertools
import os
from typing import Iterator

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, started_daemon

_names = itertools.count()


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    with started_daemon() as d:
        yield d


@pytest.fixture
def client(daemon: Daemon) -> Iterator[docker_sdk.DockerClient]:
    """The docker SDK for Python against the session's daemon."""
    c = docker_sdk.DockerClient(base_url=daemon.host, version="auto", timeout=60)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A container name unique to the test."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:40]
    return f"t{os.getpid()}-{next(_names)}-{stem}".rstrip("-")


@pytest.fixture
def own_daemon() -> Iterator[Daemon]:
    """A daemon of the test's own, with busybox, for tests that kill or restart it
    (``Daemon.stop`` brings a killed one back to remove its containers)."""
    with started_daemon() as d:
        yield d
