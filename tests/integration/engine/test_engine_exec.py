"""`docker exec` (CLI and SDK): output, exit codes, stdin, user/workdir/env, tty, detach, inspect."""

from __future__ import annotations

import subprocess
import time

import docker as docker_sdk
import pytest

from engine_helpers import DOCKER_CLI, Daemon, docker


@pytest.fixture
def box(daemon: Daemon, name: str):
    docker(daemon, "run", "-d", "--name", name, "-e", "FROMRUN=1", "busybox", "sleep", "300",
           check=True)
    yield name
    docker(daemon, "rm", "-f", name)


def test_exec_output_and_exit_code(daemon: Daemon, box: str) -> None:
    r = docker(daemon, "exec", box, "sh", "-c", "echo out; echo err >&2; exit 4")
    assert (r.returncode, r.stdout, r.stderr) == (4, "out\n", "err\n")


def test_exec_stdin(daemon: Daemon, box: str) -> None:
    r = docker(daemon, "exec", "-i", box, "tr", "a-z", "A-Z", input=b"piped\n")
    assert r.stdout == "PIPED\n"


def test_exec_user_workdir_env(daemon: Daemon, box: str) -> None:
    r = docker(daemon, "exec", "-u", "nobody", "-w", "/tmp", "-e", "X=2", box, "sh", "-c",
               "id -u; pwd; echo $X $FROMRUN", check=True)
    assert r.stdout.split() == ["65534", "/tmp", "2", "1"]


def test_exec_privileged_has_more_caps(daemon: Daemon, box: str) -> None:
    plain = docker(daemon, "exec", box, "grep", "CapEff", "/proc/self/status", check=True)
    priv = docker(daemon, "exec", "--privileged", box, "grep", "CapEff", "/proc/self/status",
                  check=True)
    assert int(priv.stdout.split()[1], 16) > int(plain.stdout.split()[1], 16)


def test_exec_not_found_is_126(daemon: Daemon, box: str) -> None:
    r = docker(daemon, "exec", box, "no-such-binary")
    assert r.returncode == 126
    assert "executable file not found" in r.stdout + r.stderr


def test_exec_detached(daemon: Daemon, box: str) -> None:
    docker(daemon, "exec", "-d", box, "sh", "-c", "echo done > /tmp/marker", check=True)
    for _ in range(50):
        if docker(daemon, "exec", box, "cat", "/tmp/marker").stdout == "done\n":
            break
        time.sleep(0.1)
    else:
        raise AssertionError("detached exec did not run")


def test_exec_tty(daemon: Daemon, box: str) -> None:
    r = subprocess.run(["script", "-qefc",
                        f"stty rows 20 cols 70; {DOCKER_CLI} exec -it {box} sh -c 'tty; stty size'",
                        "/dev/null"], env=daemon.env, capture_output=True, timeout=60)
    out = r.stdout.decode(errors="replace")
    assert "/dev/pts/" in out and "20 70" in out


def test_exec_on_stopped_container(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        r = docker(daemon, "exec", name, "true")
        assert r.returncode != 0 and "is not running" in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_sdk_exec_run(daemon: Daemon, box: str) -> None:
    client = docker_sdk.DockerClient(base_url=daemon.host, version="auto")
    try:
        c = client.containers.get(box)
        code, out = c.exec_run(["sh", "-c", "echo sdk; exit 3"])
        assert (code, out) == (3, b"sdk\n")
        code, (out, err) = c.exec_run(["sh", "-c", "echo a; echo b >&2"], demux=True)
        assert (out, err) == (b"a\n", b"b\n")
        eid = client.api.exec_create(box, ["sleep", "0.2"])["Id"]
        assert client.api.exec_inspect(eid)["Running"] is False
        client.api.exec_start(eid)
        info = client.api.exec_inspect(eid)
        assert info["ExitCode"] == 0 and info["ContainerID"] == c.id
    finally:
        client.close()
