"""The layer cache: a second identical build runs nothing, a late change keeps the earlier
steps, --no-cache, --cache-from, the cache surviving a daemon restart, /build/prune."""

from __future__ import annotations

import json

from build_helpers import api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon

DF = "FROM busybox\nCOPY early /early\nRUN echo ran-{tok} > /ran\nCOPY late /late\nRUN cat /late\n"


def _ctx(tok: str, late: str = "late v1\n") -> bytes:
    return tar_of({"Dockerfile": DF.format(tok=tok), "early": "early\n", "late": late})


def test_second_build_is_all_cache(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    r1 = api_build(daemon, _ctx(name))
    assert r1.error is None, r1.text
    cleanup.append(r1.id)
    assert r1.text.count("Running in") == 2
    r2 = api_build(daemon, _ctx(name))
    assert r2.error is None and r2.id == r1.id
    assert "Running in" not in r2.text and r2.text.count(" ---> Using cache\n") == 4


def test_late_change_keeps_earlier_steps(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    r1 = api_build(daemon, _ctx(name))
    cleanup.append(r1.id)
    r2 = api_build(daemon, _ctx(name, late="late v2\n"))
    assert r2.error is None, r2.text
    cleanup.append(r2.id)
    assert r2.id != r1.id
    assert r2.text.count(" ---> Using cache\n") == 2   # COPY early, RUN echo
    assert r2.text.count("Running in") == 1 and "late v2\n" in r2.text


def test_no_cache(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    r1 = api_build(daemon, _ctx(name))
    cleanup.append(r1.id)
    r2 = api_build(daemon, _ctx(name), nocache=True, pull=True)
    assert r2.error is None, r2.text
    cleanup.append(r2.id)
    assert "Using cache" not in r2.text and r2.text.count("Running in") == 2
    assert r2.id != r1.id


def test_build_args_are_part_of_the_run_key(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    df = f"FROM busybox\nARG V\nRUN echo {name} $V\n"
    a = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"V": "1"})
    b = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"V": "2"})
    c = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"V": "1"})
    cleanup.extend([a.id, b.id])
    assert "Running in" in b.text and "Running in" not in c.text and c.id == a.id


def test_prune_then_cache_from(daemon: Daemon, sdk, cleanup, name: str) -> None:  # noqa: F811
    tag = f"{name}:src"
    r1 = api_build(daemon, _ctx(name), t=tag)
    assert r1.error is None, r1.text
    cleanup.append(tag)
    pruned = daemon.api("POST", "/build/prune")
    assert set(pruned) == {"CachesDeleted", "SpaceReclaimed"}
    assert pruned["CachesDeleted"] and isinstance(pruned["SpaceReclaimed"], int)
    r2 = api_build(daemon, _ctx(name), cachefrom=json.dumps([tag]))
    assert r2.error is None, r2.text
    assert "Running in" not in r2.text and r2.id == r1.id
    r3 = api_build(daemon, _ctx(name), nocache=True)
    cleanup.append(r3.id)
    assert r3.id != r1.id


def test_cache_survives_daemon_restart(name: str) -> None:
    d = Daemon().start()
    try:
        d.bootstrap_busybox()
        r1 = api_build(d, _ctx(name))
        assert r1.error is None, r1.text
        d.terminate()
        d.start()
        r2 = api_build(d, _ctx(name))
        assert r2.error is None and r2.id == r1.id and "Running in" not in r2.text
        d.proc.kill()          # kill -9 mid-life: the next start still has the cache
        d.proc.wait(10)
        d.proc = None
        d.start()
        r3 = api_build(d, _ctx(name))
        assert r3.id == r1.id and "Running in" not in r3.text
        assert d.api("GET", "/containers/json?all=1") == []
    finally:
        d.stop()
