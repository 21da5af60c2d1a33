"""``dockyard inspect`` (any object, --type, --format) and ``container``/``image inspect``."""

from __future__ import annotations

import json

from engine_helpers import Daemon, docker, dockyard


def test_inspect_container_json_matches_docker(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "-e", "X=<&>", "busybox", "sh", "-c", "echo a >&2", check=True)
    try:
        ours = dockyard(daemon, "inspect", name, check=True)
        ref = docker(daemon, "inspect", name, check=True)
        assert ours.stdout == ref.stdout
        data = json.loads(ours.stdout)
        assert isinstance(data, list) and data[0]["Name"] == f"/{name}"
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_inspect_image_json_matches_docker(daemon: Daemon) -> None:
    for args in (["inspect", "busybox"], ["image", "inspect", "busybox"], ["inspect", "--type", "image", "busybox"]):
        ours = dockyard(daemon, *args, check=True)
        ref = docker(daemon, *args, check=True)
        assert ours.stdout == ref.stdout, args
    assert json.loads(ours.stdout)[0]["RepoTags"] == ["busybox:latest"]


def test_inspect_format(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "-l", "k=v", "busybox", "true", check=True)
    try:
        for fmt in ("{{.State.Status}} {{.Name}}", "{{json .Config.Labels}}", "{{.Config.Cmd}}",
                    "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}", "{{index .Config.Labels \"k\"}}"):
            ours = dockyard(daemon, "inspect", "--format", fmt, name, check=True)
            ref = docker(daemon, "inspect", "--format", fmt, name, check=True)
            assert ours.stdout == ref.stdout, fmt
        r = dockyard(daemon, "inspect", "-f", "{{.Id}}", name, "busybox", check=True)
        lines = r.stdout.splitlines()
        assert len(lines) == 2 and lines[1].startswith("sha256:")
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_inspect_missing_objects(daemon: Daemon, name: str) -> None:
    r = dockyard(daemon, "inspect", "no-such-thing")
    ref = docker(daemon, "inspect", "no-such-thing")
    assert (r.returncode, r.stdout, r.stderr) == (ref.returncode, ref.stdout, ref.stderr)
    assert r.returncode == 1 and r.stdout == "[]\n" and r.stderr == "Error: No such object: no-such-thing\n"
    r = dockyard(daemon, "image", "inspect", "no-such-image")
    assert r.returncode == 1 and "No such image: no-such-image" in r.stderr
    r = dockyard(daemon, "inspect", "--type", "container", "busybox")
    assert r.returncode == 1 and "No such container: busybox" in r.stderr


def test_inspect_some_found_some_not(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name, "busybox", check=True)
    try:
        r = dockyard(daemon, "inspect", "-f", "{{.Name}}", name, "no-such-thing")
        assert r.returncode == 1
        assert r.stdout == f"/{name}\n"
        assert r.stderr == "Error: No such object: no-such-thing\n"
    finally:
        dockyard(daemon, "rm", "-f", name)
