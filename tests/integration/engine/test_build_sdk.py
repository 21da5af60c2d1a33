"""The docker SDK for Python: ``client.images.build(path=..., tag=...)`` and its errors."""

from __future__ import annotations

from pathlib import Path

import docker as docker_sdk
import pytest

from build_helpers import run_cmd, cleanup, sdk  # noqa: F401
from engine_helpers import Daemon


def test_sdk_build(daemon: Daemon, sdk, cleanup, tmp_path: Path, name: str) -> None:  # noqa: F811
    (tmp_path / "Dockerfile").write_text("FROM busybox\nARG MSG\nCOPY . /src\n"
                                         "RUN echo \"$MSG\" > /msg\nCMD [\"cat\", \"/msg\"]\n")
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "ignored.tmp").write_text("x")
    (tmp_path / ".dockerignore").write_text("*.tmp\n")
    image, logs = sdk.images.build(path=str(tmp_path), tag=f"{name}:sdk",
                                   buildargs={"MSG": "from sdk"}, labels={"l": "v"}, rm=True)
    cleanup.append(f"{name}:sdk")
    assert f"{name}:sdk" in image.tags and image.labels == {"l": "v"}
    assert any("Successfully built" in m.get("stream", "") for m in logs)
    assert run_cmd(sdk, image.id) == b"from sdk\n"
    files = run_cmd(sdk, image.id, ["ls", "-A", "/src"]).split()
    assert sorted(files) == [b".dockerignore", b"Dockerfile", b"file.txt"]


def test_sdk_build_error(daemon: Daemon, sdk, cleanup, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 2\n")
    with pytest.raises(docker_sdk.errors.BuildError) as exc:
        sdk.images.build(path=str(tmp_path), forcerm=True)
    assert "returned a non-zero code: 2" in str(exc.value)


def test_sdk_low_level_stream_and_prune(daemon: Daemon, sdk, cleanup, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo streamed\n")
    msgs = list(sdk.api.build(path=str(tmp_path), decode=True, nocache=True, rm=True))
    ids = [m["aux"]["ID"] for m in msgs if "aux" in m]
    cleanup.extend(ids)
    assert len(ids) == 1 and {"stream": "streamed\n"} in msgs
    pruned = sdk.api.prune_builds()
    assert isinstance(pruned["SpaceReclaimed"], int) and "CachesDeleted" in pruned
