"""``dockyard ps``: docker's columns, filters and formats, checked against the docker CLI."""

from __future__ import annotations

import json
import re
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker, dockyard


@pytest.fixture
def pair(daemon: Daemon, name: str) -> Iterator[tuple[str, str]]:
    """One running and one exited container, labelled."""
    run, done = name + "-up", name + "-done"
    dockyard(daemon, "run", "-d", "--name", run, "-l", "tier=web", "busybox", "sleep", "60", check=True)
    dockyard(daemon, "run", "--name", done, "-l", "tier=db", "busybox", "sh", "-c", "echo a long command; exit 2")
    try:
        yield run, done
    finally:
        dockyard(daemon, "rm", "-f", run, done)


_AGO = re.compile(r"(Less than a second|About a minute|About an hour|\d+ (second|minute|hour)s?)")


def _stable(text: str) -> str:
    """Output with its relative times masked: two CLI runs a second apart may differ there
    (and so in column widths, hence the squeezed spaces)."""
    return re.sub(r" {2,}", "  ", _AGO.sub("T", text))


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_default_table_matches_docker(daemon: Daemon, pair: tuple[str, str]) -> None:
    run, done = pair
    for args in (["ps"], ["ps", "-a"], ["ps", "-a", "--no-trunc"], ["ps", "-a", "--filter", f"name={run}", "-s"]):
        ours = dockyard(daemon, *args, check=True)
        ref = docker(daemon, *args, check=True)
        assert _stable(ours.stdout) == _stable(ref.stdout), args
    header = _lines(dockyard(daemon, "ps").stdout)[0]
    assert header.split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]


def test_quiet_all_and_filters(daemon: Daemon, pair: tuple[str, str]) -> None:
    run, done = pair
    ids = {n: json.loads(dockyard(daemon, "inspect", n).stdout)[0]["Id"][:12] for n in pair}
    assert ids[run] in _lines(dockyard(daemon, "ps", "-q").stdout)
    assert ids[done] not in _lines(dockyard(daemon, "ps", "-q").stdout)
    assert ids[done] in _lines(dockyard(daemon, "ps", "-aq").stdout)
    for flt, want in ((["status=exited", f"name={done}"], [ids[done]]), (["label=tier=web"], [ids[run]]),
                      ([f"exited=2", f"name={pair[1]}"], [ids[done]]), ([f"id={ids[run]}"], [ids[run]]),
                      (["ancestor=busybox", f"name={run}"], [ids[run]])):
        args = ["ps", "-aq"] + [x for f in flt for x in ("--filter", f)]
        assert _lines(dockyard(daemon, *args, check=True).stdout) == want, flt
        assert _lines(docker(daemon, *args, check=True).stdout) == want, flt


def test_last_and_latest(daemon: Daemon, pair: tuple[str, str]) -> None:
    run, done = pair
    latest = dockyard(daemon, "ps", "-l", "--format", "{{.Names}}", check=True).stdout
    assert latest == f"{done}\n"
    two = _lines(dockyard(daemon, "ps", "-n", "2", "--format", "{{.Names}}", check=True).stdout)
    assert two == [done, run]


def test_format_template_table_and_json(daemon: Daemon, pair: tuple[str, str]) -> None:
    run, _ = pair
    flt = ("--filter", f"name={run}")
    for fmt in ("{{.Names}} {{.State}} {{.Labels}}", "table {{.ID}}\t{{.Names}}\t{{.Status}}", "{{json .}}",
                "json", "table {{.Image}}\t{{.Command}}\t{{.CreatedAt}}", "{{.Networks}}|{{.Mounts}}",
                '{{.Label "tier"}}|{{.Label "nope"}}', 'table {{.Names}}\t{{.Label "tier"}}'):
        ours = dockyard(daemon, "ps", *flt, "--format", fmt, check=True)
        ref = docker(daemon, "ps", *flt, "--format", fmt, check=True)
        assert _stable(ours.stdout) == _stable(ref.stdout), fmt
    row = json.loads(dockyard(daemon, "ps", *flt, "--format", "{{json .}}").stdout)
    assert row["Names"] == run and row["State"] == "running" and row["Labels"] == "tier=web"


def test_bad_template_is_an_error(daemon: Daemon) -> None:
    r = dockyard(daemon, "ps", "--format", "{{.Nope")
    assert r.returncode != 0
    assert "template" in r.stderr


def test_ps_rejects_arguments(daemon: Daemon) -> None:
    r = dockyard(daemon, "ps", "extra")
    assert r.returncode == 1
    assert "accepts no arguments" in r.stderr


def test_bad_filter_is_a_flag_error(daemon: Daemon) -> None:
    r = dockyard(daemon, "ps", "-f", "nonsense")
    ref = docker(daemon, "ps", "-f", "nonsense")
    assert r.returncode == ref.returncode == 125
    assert r.stderr == ref.stderr.replace("docker ", "dockyard ").replace("'docker", "'dockyard")
