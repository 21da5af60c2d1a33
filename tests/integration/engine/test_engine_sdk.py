"""The docker SDK for Python against dockyardd."""

from __future__ import annotations

import docker as docker_sdk
import pytest


def test_ping_version_info(client) -> None:
    assert client.ping() is True
    v = client.version()
    assert v["ApiVersion"] and v["Os"] == "linux"
    info = client.info()
    assert "Containers" in info and "Images" in info


def test_run_returns_output(client) -> None:
    out = client.containers.run("busybox", ["echo", "from sdk"], remove=True)
    assert out == b"from sdk\n"


def test_run_error_raises_container_error(client) -> None:
    with pytest.raises(docker_sdk.errors.ContainerError) as exc:
        client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 4"], remove=True)
    assert exc.value.exit_status == 4


def test_detached_list_get_logs_stop_remove(client, name: str) -> None:
    c = client.containers.run("busybox", ["sh", "-c", "echo ready; sleep 300"], detach=True,
                              name=name, labels={"sdk": "yes"}, stop_signal="SIGKILL")
    try:
        assert c.id in [x.id for x in client.containers.list(filters={"label": "sdk=yes"})]
        got = client.containers.get(name)
        assert got.status == "running"
        for _ in range(50):
            if b"ready" in got.logs():
                break
            import time
            time.sleep(0.1)
        assert got.logs() == b"ready\n"
        stream = got.logs(stream=True, follow=False)
        assert b"".join(stream) == b"ready\n"
        got.stop(timeout=1)
        got.reload()
        assert got.status == "exited"
        assert got.wait()["StatusCode"] == 137
    finally:
        c.remove(force=True)
    with pytest.raises(docker_sdk.errors.NotFound):
        client.containers.get(name)


def test_images_list(client) -> None:
    tags = [t for img in client.images.list() for t in img.tags]
    assert "busybox:latest" in tags
    with pytest.raises(docker_sdk.errors.ImageNotFound):
        client.images.get("no-such-image:here")


def test_unknown_image_is_not_found(client) -> None:
    with pytest.raises(docker_sdk.errors.ImageNotFound):
        client.containers.create("nope-not-here:1", ["true"])
