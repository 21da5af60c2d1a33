"""``docker events`` and the SDK's ``client.events``: past events with since/until, live
events, and Docker's filters over container and image events."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
import urllib.parse
import uuid
from typing import Any

import docker as docker_sdk

from engine_helpers import Daemon, _unix_request, docker


def cli_events(d: Daemon, since: float, *filters: str) -> list[dict[str, Any]]:
    """Past events through the real CLI; it sends ``--until 0s`` as whole seconds, so wait."""
    time.sleep(max(0.0, int(time.time()) + 1.05 - time.time()))
    args = ["events", "--since", f"{since:.3f}", "--until", "0s", "--format", "{{json .}}"]
    for f in filters:
        args += ["--filter", f]
    r = docker(d, *args, check=True, timeout=30)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_container_lifecycle_events_with_cli(daemon: Daemon, name: str) -> None:
    t0 = time.time()
    docker(daemon, "run", "--name", name, "--network", "none", "-l", "ev=yes", "busybox",
           "sh", "-c", "exit 3")
    docker(daemon, "rename", name, f"{name}-2", check=True)
    docker(daemon, "rm", f"{name}-2", check=True)
    evs = cli_events(daemon, t0, f"container={name}")
    actions = [e["Action"] for e in evs]
    for a in ("create", "start", "die", "rename", "destroy"):
        assert a in actions, actions
    assert actions.index("create") < actions.index("start") < actions.index("die") \
        < actions.index("destroy")
    die = next(e for e in evs if e["Action"] == "die")
    assert die["Type"] == "container" and die["Actor"]["Attributes"]["exitCode"] == "3"
    assert die["Actor"]["Attributes"]["ev"] == "yes" and die["from"] == "busybox"
    assert die["status"] == "die" and die["id"] == die["Actor"]["ID"]
    ren = next(e for e in evs if e["Action"] == "rename")
    assert ren["Actor"]["Attributes"]["oldName"] == f"/{name}"
    assert {e["Actor"]["ID"] for e in evs} == {die["Actor"]["ID"]}
    # filters combine: event + label; a label that does not match gives nothing
    only = cli_events(daemon, t0, "event=die", "label=ev=yes", "type=container")
    assert [e["Actor"]["Attributes"]["name"] for e in only] == [name]
    assert cli_events(daemon, t0, f"container={name}", "label=ev=no") == []


def test_kill_stop_and_top_events(daemon: Daemon, name: str) -> None:
    t0 = time.time()
    docker(daemon, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "300",
           check=True)
    try:
        docker(daemon, "top", name, check=True)
        docker(daemon, "stop", "-t", "1", name, check=True)
        evs = cli_events(daemon, t0, f"container={name}")
        actions = [e["Action"] for e in evs]
        assert "top" in actions and "stop" in actions and "die" in actions, actions
        kills = [e["Actor"]["Attributes"]["signal"] for e in evs if e["Action"] == "kill"]
        assert kills and kills[0] == "15", evs
    finally:
        docker(daemon, "rm", "-f", name)


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"hello\n"
        ti = tarfile.TarInfo("hello.txt")
        ti.size = len(data)
        tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_image_events_with_sdk(daemon: Daemon, client: docker_sdk.DockerClient) -> None:
    repo = f"evimg-{uuid.uuid4().hex[:8]}"
    t0 = time.time()
    r = docker(daemon, "import", "-", f"{repo}:1", input=_tar())
    assert r.returncode == 0, r.stderr
    image_id = r.stdout.strip()
    docker(daemon, "tag", f"{repo}:1", f"{repo}:2", check=True)
    docker(daemon, "rmi", f"{repo}:2", check=True)
    docker(daemon, "rmi", f"{repo}:1", check=True)
    until = time.time()
    evs = list(client.events(decode=True, since=t0, until=until, filters={"type": "image"}))
    mine = [e for e in evs if e["Actor"]["ID"] == image_id]
    assert [e["Action"] for e in mine] == ["tag", "import", "tag", "untag", "untag", "delete"]
    assert mine[0]["Actor"]["Attributes"]["name"] == f"{repo}:1"
    assert mine[2]["Actor"]["Attributes"]["name"] == f"{repo}:2"
    assert all(e["Actor"]["Attributes"]["name"] == image_id for e in mine[3:])
    assert all(e["Type"] == "image" and e["status"] == e["Action"] for e in mine)
    # image=<repo> matches by name with the tag stripped
    by_name = list(client.events(decode=True, since=t0, until=until,
                                 filters={"image": repo, "event": "tag"}))
    assert [e["Actor"]["Attributes"]["name"] for e in by_name] == [f"{repo}:1", f"{repo}:2"]


def test_live_events_until_in_the_future(daemon: Daemon, client: docker_sdk.DockerClient,
                                         name: str) -> None:
    """A stream subscribed before the container starts sees it, and ends at ``until``."""
    def later() -> None:
        time.sleep(1.0)
        docker(daemon, "run", "--rm", "--name", name, "--network", "none", "busybox", "true")

    worker = threading.Thread(target=later)
    start = time.monotonic()
    until = time.time() + 6
    stream = client.events(decode=True, until=until, filters={"container": name})
    worker.start()
    try:
        got = [e["Action"] for e in stream]
    finally:
        worker.join(30)
    elapsed = time.monotonic() - start
    assert got[:1] == ["create"] and "start" in got and "die" in got and "destroy" in got, got
    assert 5.0 <= elapsed <= 12.0


def test_until_alone_returns_past_events(daemon: Daemon, client: docker_sdk.DockerClient,
                                         name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    docker(daemon, "rm", name, check=True)
    evs = list(client.events(decode=True, until=time.time(), filters={"container": name}))
    assert [e["Action"] for e in evs] == ["create", "destroy"]


def test_prune_event_and_bad_time_range(daemon: Daemon, client: docker_sdk.DockerClient) -> None:
    t0 = time.time()
    client.containers.prune(filters={"label": f"none-{uuid.uuid4().hex}"})
    evs = list(client.events(decode=True, since=t0, until=time.time(),
                             filters={"type": "container", "event": "prune"}))
    assert evs and evs[-1]["Actor"] == {"ID": "", "Attributes": {"reclaimed": "0"}}
    status, body = _unix_request(daemon.sock, "GET", f"/events?since={t0 + 10}&until={t0}")
    assert status == 400 and b"cannot be after" in body


def test_event_stream_shape(daemon: Daemon, name: str) -> None:
    t0 = time.time()
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    docker(daemon, "rm", name, check=True)
    flt = urllib.parse.quote(json.dumps({"container": [name]}))
    status, body = _unix_request(daemon.sock, "GET",
                                 f"/events?since={t0:.9f}&until={time.time():.9f}"
                                 f"&filters={flt}")
    assert status == 200
    lines = [json.loads(x) for x in body.decode().splitlines() if x.startswith("{")]
    assert [m["Action"] for m in lines] == ["create", "destroy"]
    m = lines[0]
    assert list(m) == ["status", "id", "from", "Type", "Action", "Actor", "scope", "time",
                       "timeNano"]
    assert m["time"] == m["timeNano"] // 1_000_000_000 and m["scope"] == "local"


def test_live_events_with_cli(daemon: Daemon, name: str) -> None:
    """``docker events --until <future>`` streams what happens meanwhile, then exits."""
    import subprocess

    from engine_helpers import DOCKER_CLI
    until = int(time.time()) + 6
    proc = subprocess.Popen([DOCKER_CLI, "events", "--until", str(until), "--filter",
                             f"container={name}", "--format", "{{.Action}}"], env=daemon.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        time.sleep(1.0)
        docker(daemon, "run", "--rm", "--name", name, "--network", "none", "busybox", "true",
               check=True)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, err
    got = [a for a in out.split() if a in ("create", "start", "die", "destroy")]
    assert got == ["create", "start", "die", "destroy"], out   # (Docker adds "attach" too)


def test_unknown_event_filter_is_refused(daemon: Daemon) -> None:
    r = docker(daemon, "events", "--since", "1m", "--until", "0s", "--filter", "bogus=1")
    assert r.returncode != 0 and "invalid filter 'bogus'" in r.stderr
