"""Fixtures for differential tests against a real Docker (skipped when none can be had)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

_ENGINE = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE not in sys.path:
    sys.path.insert(0, _ENGINE)

from engine_helpers import Daemon, started_daemon  # noqa: E402

from docker_peer import RealDocker, ensure_dockerd  # noqa: E402


@pytest.fixture(scope="session")
def real_docker() -> Iterator[RealDocker]:
    if os.geteuid() != 0:
        pytest.skip("a real dockerd needs root")
    dockerd = ensure_dockerd()
    if dockerd is None:
        pytest.skip("Docker (docker.io) is not installed and could not be installed here")
    try:
        peer = RealDocker(dockerd).start()
    except RuntimeError as exc:
        pytest.skip(f"dockerd would not start here: {exc}")
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    with started_daemon() as d:
        yield d
