"""``volume create|ls|inspect|rm|prune`` with docker's flags, output and errors."""

from __future__ import annotations

import json

import pytest

from engine_helpers import Daemon, docker, dockyard


def _labels_sorted(text: str) -> str:
    """docker joins ``.Labels`` in Go map order (random): compare them as sets."""
    import re

    return re.sub(r'"Labels":"([^"]*)"', lambda m: '"Labels":"' + ",".join(sorted(m.group(1).split(","))) + '"', text)


@pytest.fixture
def vols(daemon: Daemon, name: str):
    made: list[str] = []
    yield name, made
    for v in made:
        dockyard(daemon, "volume", "rm", "-f", v)


def test_create_inspect_ls(daemon: Daemon, vols) -> None:
    name, made = vols
    r = dockyard(daemon, "volume", "create", "--label", "tier=db", "--label", "a=b", "-o", "type=tmpfs",
                 "-o", "device=tmpfs", name, check=True)
    made.append(name)
    assert r.stdout == f"{name}\n"
    anon = dockyard(daemon, "volume", "create", check=True).stdout.strip()
    made.append(anon)
    assert len(anon) == 64
    ours, ref = dockyard(daemon, "volume", "inspect", name, check=True), docker(daemon, "volume", "inspect", name,
                                                                               check=True)
    assert ours.stdout == ref.stdout
    info = json.loads(ours.stdout)[0]
    assert info["Labels"] == {"a": "b", "tier": "db"} and info["Options"] == {"device": "tmpfs", "type": "tmpfs"}
    for args in ((), ("-q",), ("--format", "json"), ("--format", "{{.Name}} {{.Label \"tier\"}} {{.Driver}}"),
                 ("-f", "label=tier=db"), ("-f", f"name={name}", "--format", "table {{.Name}}\t{{.Mountpoint}}")):
        o, d = dockyard(daemon, "volume", "ls", *args, check=True), docker(daemon, "volume", "ls", *args, check=True)
        assert _labels_sorted(o.stdout) == _labels_sorted(d.stdout), args
    assert name in dockyard(daemon, "volume", "list", "-q", check=True).stdout.split()
    assert dockyard(daemon, "volume", "inspect", "-f", "{{.Driver}}", name, check=True).stdout == "local\n"


def test_create_with_name_flag_and_conflict(daemon: Daemon, vols) -> None:
    name, made = vols
    made.append(name)
    assert dockyard(daemon, "volume", "create", "--name", name, check=True).stdout == f"{name}\n"
    ours, ref = (dockyard(daemon, "volume", "create", "--name", "x", "y"),
                 docker(daemon, "volume", "create", "--name", "x", "y"))
    assert ours.returncode == ref.returncode == 1


def test_rm_and_errors(daemon: Daemon, vols, name: str) -> None:
    vname, made = vols
    dockyard(daemon, "volume", "create", vname, check=True)
    made.append(vname)
    ctr = name + "-user"
    dockyard(daemon, "create", "--name", ctr, "-v", f"{vname}:/data", "busybox", "true", check=True)
    try:
        ours, ref = dockyard(daemon, "volume", "rm", vname), docker(daemon, "volume", "rm", vname)
        assert (ours.returncode, ours.stderr) == (ref.returncode, ref.stderr) and ours.returncode == 1
    finally:
        dockyard(daemon, "rm", "-f", ctr)
    for args in (("rm", "no-such-vol"), ("inspect", "no-such-vol"), ("rm", "-f", "no-such-vol")):
        ours, ref = dockyard(daemon, "volume", *args), docker(daemon, "volume", *args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr), args
    assert dockyard(daemon, "volume", "rm", vname, check=True).stdout == f"{vname}\n"
    made.remove(vname)


def test_prune(daemon: Daemon, vols) -> None:
    name, made = vols
    ctr = name + "-anon"
    dockyard(daemon, "create", "--name", ctr, "-v", "/data", "busybox", "true", check=True)
    mounts = json.loads(dockyard(daemon, "inspect", ctr, check=True).stdout)[0]["Mounts"]
    anon = mounts[0]["Name"]
    dockyard(daemon, "rm", ctr, check=True)  # without -v: the anonymous volume stays, unused
    dockyard(daemon, "volume", "create", "--label", "keep=no", name, check=True)
    made += [anon, name]
    declined = dockyard(daemon, "volume", "prune", input="n\n")
    assert declined.stdout == ("WARNING! This will remove anonymous local volumes not used by at least one "
                               "container.\nAre you sure you want to continue? [y/N] ")
    r = dockyard(daemon, "volume", "prune", "-f", check=True)
    assert f"Deleted Volumes:\n" in r.stdout and anon in r.stdout and name not in r.stdout
    assert r.stdout.splitlines()[-1].startswith("Total reclaimed space: ")
    r = dockyard(daemon, "volume", "prune", "-a", "-f", "--filter", "label=keep=no", check=True)
    assert f"Deleted Volumes:\n{name}\n" in r.stdout
    assert dockyard(daemon, "volume", "inspect", name).returncode == 1
