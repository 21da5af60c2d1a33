"""docker commit with the real docker CLI and the SDK: the new image's layers, config merge,
history, pause, --change; and kill -9 of the daemon in the middle of a commit."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from engine_helpers import Daemon, docker


def _build_available() -> bool:
    try:
        import dockyard.build.instructions  # noqa: F401
        import dockyard.build.parser  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def images_made(daemon: Daemon):
    made: list[str] = []
    yield made
    for ref in made:
        docker(daemon, "rmi", "-f", ref)


def _inspect(d: Daemon, ref: str) -> dict:
    return json.loads(docker(d, "image", "inspect", ref, check=True).stdout)[0]


def test_cli_commit_message_author_history(daemon: Daemon, name: str, images_made: list[str]) -> None:
    docker(daemon, "run", "--name", name, "-e", "FOO=bar", "busybox", "sh", "-c",
           "echo committed > /new; rm /bin/vi; mkdir -p /var/x", check=True)
    try:
        ref = f"{name}:v1"
        images_made.append(ref)
        r = docker(daemon, "commit", "-m", "a message", "-a", "Ann <ann@x>", name, ref, check=True)
        image_id = r.stdout.strip()
        assert image_id.startswith("sha256:")
        img = _inspect(daemon, ref)
        base = _inspect(daemon, "busybox")
        assert img["Id"] == image_id and img["Parent"] == base["Id"]
        assert img["Author"] == "Ann <ann@x>" and img["Comment"] == "a message"
        assert img["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
        assert len(img["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
        assert "FOO=bar" in img["Config"]["Env"]
        assert img["Config"]["Cmd"] == ["sh", "-c", "echo committed > /new; rm /bin/vi; mkdir -p /var/x"]
        hist = docker(daemon, "history", "--no-trunc", "--format",
                      "{{.ID}}|{{.CreatedBy}}|{{.Comment}}", ref, check=True).stdout.splitlines()
        assert hist[0] == f"{image_id}|sh -c echo committed > /new; rm /bin/vi; mkdir -p /var/x|a message"
        assert hist[1].startswith(base["Id"] + "|")
        # the new image has the file, and the deletion (a whiteout) holds
        out = docker(daemon, "run", "--rm", ref, "sh", "-c", "cat /new; test -e /bin/vi || echo gone; "
                     "test -d /var/x && echo dir", check=True).stdout
        assert out == "committed\ngone\ndir\n"
        listed = docker(daemon, "images", "--format", "{{.Repository}}:{{.Tag}}", check=True).stdout
        assert ref in listed.split()
    finally:
        docker(daemon, "rm", "-f", name)


def test_sdk_commit_with_config_override(daemon: Daemon, client, name: str,
                                         images_made: list[str]) -> None:
    c = client.containers.run("busybox", ["sh", "-c", "echo sdk > /sdkfile"], name=name,
                              detach=True, labels={"from": "container"})
    c.wait()
    try:
        img = c.commit("sdkcommit", "t1", message="via sdk", author="sdk",
                       conf={"Env": ["ADDED=1"], "Cmd": ["cat", "/sdkfile"],
                             "Labels": {"extra": "yes"}})
        images_made.append("sdkcommit:t1")
        cfg = img.attrs["Config"]
        # Docker's merge: the request's Config wins, the container's fills the gaps
        assert cfg["Env"][0] == "ADDED=1" and any(e.startswith("PATH=") for e in cfg["Env"])
        assert cfg["Cmd"] == ["cat", "/sdkfile"]
        assert cfg["Labels"] == {"extra": "yes", "from": "container"}
        assert img.attrs["Comment"] == "via sdk" and img.attrs["Author"] == "sdk"
        assert client.containers.run("sdkcommit:t1", remove=True) == b"sdk\n"
        hist = img.history()
        assert hist[0]["Id"] == img.id and hist[0]["Tags"] == ["sdkcommit:t1"]
        assert hist[0]["Comment"] == "via sdk" and hist[0]["Size"] > 0
        assert hist[-1]["Id"] == "<missing>" or len(hist) == 2
    finally:
        c.remove(force=True)


def test_commit_running_container_pauses_and_resumes(daemon: Daemon, client, name: str,
                                                     images_made: list[str]) -> None:
    c = client.containers.run("busybox", ["sh", "-c", "echo live > /live; sleep 300"], name=name,
                              detach=True)
    try:
        for _ in range(100):
            if c.exec_run(["test", "-e", "/live"]).exit_code == 0:
                break
            time.sleep(0.1)
        since = int(time.time()) - 1
        r = docker(daemon, "commit", name, f"{name}:live", check=True)
        images_made.append(f"{name}:live")
        c.reload()
        assert c.status == "running" and c.attrs["State"]["Paused"] is False
        assert c.exec_run(["true"]).exit_code == 0
        out = docker(daemon, "run", "--rm", f"{name}:live", "cat", "/live", check=True).stdout
        assert out == "live\n"
        ev = docker(daemon, "events", "--since", str(since), "--until", str(int(time.time()) + 1),
                    "--filter", f"container={name}", "--format", "{{.Action}}", check=True).stdout
        actions = ev.split()
        assert "commit" in actions
        assert actions.index("pause") < actions.index("commit") < actions.index("unpause")
        assert r.stdout.strip() == _inspect(daemon, f"{name}:live")["Id"]
        # --pause=false works on a running container too
        docker(daemon, "commit", "--pause=false", name, f"{name}:nopause", check=True)
        images_made.append(f"{name}:nopause")
    finally:
        c.remove(force=True)


def test_commit_without_changes_adds_no_layer(daemon: Daemon, name: str, images_made: list[str]) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        image_id = docker(daemon, "commit", name, check=True).stdout.strip()
        images_made.append(image_id)
        img = _inspect(daemon, image_id)
        assert img["RepoTags"] == []
        assert img["RootFS"]["Layers"] == _inspect(daemon, "busybox")["RootFS"]["Layers"]
        hist = json.loads(docker(daemon, "history", "--format", "{{json .}}", image_id,
                                 check=True).stdout.splitlines()[0])
        assert hist["Size"] in ("0B", "0")
    finally:
        docker(daemon, "rm", "-f", name)


def test_commit_errors(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "commit", "no-such-container-xyz")
    assert r.returncode != 0 and "No such container" in r.stderr
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        r = docker(daemon, "commit", name, "Bad:Name:x")
        assert r.returncode != 0
    finally:
        docker(daemon, "rm", "-f", name)


@pytest.mark.skipif(not _build_available(),
                    reason="--change needs dockyard.build (the Dockerfile parser), not there yet")
def test_commit_change_cli(daemon: Daemon, name: str, images_made: list[str]) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        ref = f"{name}:chg"
        images_made.append(ref)
        docker(daemon, "commit", "--change", "ENV A=b", "--change", 'CMD ["echo", "changed"]',
               "--change", "LABEL k=v", "--change", "WORKDIR /tmp", name, ref, check=True)
        img = _inspect(daemon, ref)
        assert "A=b" in img["Config"]["Env"] and img["Config"]["Cmd"] == ["echo", "changed"]
        assert img["Config"]["Labels"]["k"] == "v" and img["Config"]["WorkingDir"] == "/tmp"
        assert docker(daemon, "run", "--rm", ref, check=True).stdout == "changed\n"
        r = docker(daemon, "commit", "--change", "RUN true", name)
        assert r.returncode != 0
    finally:
        docker(daemon, "rm", "-f", name)


def test_commit_change_without_builder_is_refused_cleanly(daemon: Daemon, name: str) -> None:
    if _build_available():
        pytest.skip("the builder is there: test_commit_change_cli covers --change")
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        r = docker(daemon, "commit", "--change", "ENV A=b", name)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        pytest.xfail("--change for commit waits for dockyard.build")
    finally:
        docker(daemon, "rm", "-f", name)


# -- kill -9 mid-commit ----------------------------------------------------------------------------



def test_kill9_during_commit(own_daemon: Daemon) -> None:
    d = own_daemon
    # a big upper dir (48 MiB of incompressible data) and a running container to pause
    docker(d, "run", "-d", "--name", "big", "busybox", "sh", "-c",
           "mkdir /data; for i in $(seq 1 48); do "
           "dd if=/dev/urandom of=/data/f$i bs=1M count=1 2>/dev/null; done; "
           "touch /ready; sleep 600", check=True)
    for _ in range(300):
        if docker(d, "exec", "big", "test", "-e", "/ready").returncode == 0:
            break
        time.sleep(0.2)
    outcomes = []
    # a commit of this container takes ~3 s here: the first kills land mid-way (blobs,
    # snapshot, image row), the last one after the commit is done (it must survive)
    for round_, delay in enumerate((0.3, 1.2, 2.4, None)):
        ref = f"crashcommit:{round_}"
        results: list[int] = []
        t = threading.Thread(target=lambda: results.append(
            docker(d, "commit", "big", ref, timeout=120).returncode))
        t.start()
        if delay is None:  # last round: the commit is done before the kill
            t.join(130)
        else:
            time.sleep(delay)
        d.kill9()
        t.join(130)
        d.start()
        listed = docker(d, "images", "--format", "{{.Repository}}:{{.Tag}}", check=True).stdout.split()
        outcomes.append(ref in listed)
        if results == [0]:  # the client was told it worked: then it must be there
            assert ref in listed
        if ref in listed:
            out = docker(d, "run", "--rm", ref, "sh", "-c", "ls /data | wc -l", check=True).stdout
            assert out.strip() == "48"
        # nothing half-made is visible, and nothing half-written is left
        ids = d.api("GET", "/images/json?all=1")
        for img in ids:
            assert docker(d, "image", "inspect", img["Id"]).returncode == 0
        snaps = os.listdir(os.path.join(d.data_root, "snapshots"))
        assert not [s for s in snaps if s.startswith("tmp-")]
        assert os.listdir(os.path.join(d.data_root, "content", "ingest")) == []
        # the container a commit paused is running again (resumed at start-up)
        state = d.api("GET", "/containers/big/json")["State"]
        assert state["Running"] and not state["Paused"], (round_, state)
        r = docker(d, "exec", "big", "true", timeout=30)
        assert r.returncode == 0, (round_, r.stderr)
    # and a commit completes after all this
    docker(d, "commit", "big", "crashcommit:after", check=True, timeout=120)
    out = docker(d, "run", "--rm", "crashcommit:after", "sh", "-c", "ls /data | wc -l",
                 check=True).stdout
    assert out.strip() == "48"
    assert outcomes[-1], (outcomes, results)
    print("commit visible after kill per round:", outcomes)
