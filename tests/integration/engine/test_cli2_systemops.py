"""``system df`` (-v, --format), ``system prune``, ``container prune``: docker's figures and texts."""

from __future__ import annotations

import json

import pytest

from engine_helpers import Daemon, docker, dockyard


@pytest.mark.parametrize("args", [(), ("--format", "json"), ("--format", "{{.Type}}={{.TotalCount}}/{{.Active}}"),
                                  ("-v",)])
def test_df_matches_docker(daemon: Daemon, name: str, args: tuple[str, ...]) -> None:
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c", "echo data > /f; sleep 300", check=True)
    try:
        ours, ref = dockyard(daemon, "system", "df", *args, check=True), docker(daemon, "system", "df", *args,
                                                                                check=True)
        if args == ("-v",):  # "Up N seconds" may tick between the two calls
            strip = lambda s: [ln.split("   ")[0] for ln in s.splitlines()]  # noqa: E731
            assert strip(ours.stdout) == strip(ref.stdout)
            assert len(ours.stdout.splitlines()) == len(ref.stdout.splitlines())
        else:
            assert ours.stdout == ref.stdout
    finally:
        dockyard(daemon, "rm", "-f", name)


def test_container_prune(daemon: Daemon, name: str) -> None:
    dockyard(daemon, "create", "--name", name + "-stopped", "--label", "prune=me", "busybox", "true", check=True)
    dockyard(daemon, "run", "-d", "--name", name + "-up", "busybox", "sleep", "300", check=True)
    try:
        declined = dockyard(daemon, "container", "prune", input="n\n")
        assert declined.returncode == 0
        assert declined.stdout == "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
        cid = json.loads(dockyard(daemon, "inspect", name + "-stopped", check=True).stdout)[0]["Id"]
        r = dockyard(daemon, "container", "prune", "-f", "--filter", "label=prune=me", check=True)
        assert r.stdout.startswith(f"Deleted Containers:\n{cid}\n\nTotal reclaimed space: ")
        assert dockyard(daemon, "inspect", name + "-up").returncode == 0
        assert dockyard(daemon, "inspect", name + "-stopped").returncode == 1
    finally:
        dockyard(daemon, "rm", "-f", name + "-stopped", name + "-up")


def test_system_prune_prompt_and_report(daemon: Daemon, name: str) -> None:
    declined = dockyard(daemon, "system", "prune", "--volumes", input="\n")
    ref = docker(daemon, "system", "prune", "--volumes", input=b"\n")
    assert declined.returncode == 0
    assert declined.stdout == ref.stdout
    declined_all = dockyard(daemon, "system", "prune", "-a", input="no\n")
    assert "  - all images without at least one container associated to them\n" in declined_all.stdout
    dockyard(daemon, "create", "--name", name, "busybox", "true", check=True)
    cid = json.loads(dockyard(daemon, "inspect", name, check=True).stdout)[0]["Id"]
    r = dockyard(daemon, "system", "prune", "-f")
    if r.returncode != 0:
        dockyard(daemon, "rm", "-f", name)
    assert r.returncode == 0, r.stderr
    assert f"Deleted Containers:\n{cid}\n" in r.stdout
    assert r.stdout.rstrip("\n").splitlines()[-1].startswith("Total reclaimed space: ")
    assert dockyard(daemon, "image", "inspect", "busybox").returncode == 0  # tagged images stay without -a


def test_unknown_template_field_is_gos_error_like_docker(daemon: Daemon, name: str) -> None:
    """docker's formatter contexts are Go structs: ``{{.Bad}}`` is an error, not ``<no value>``."""
    dockyard(daemon, "run", "-d", "--name", name, "busybox", "sleep", "60", check=True)
    dockyard(daemon, "volume", "create", name, check=True)
    try:
        for args in (("history", "busybox"), ("network", "ls"), ("system", "df"), ("volume", "ls"),
                     ("stats", "--no-stream", name)):
            ours = dockyard(daemon, *args, "--format", "{{.Bad}}")
            ref = docker(daemon, *args, "--format", "{{.Bad}}")
            assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr), args
            assert ours.returncode == 1 and "can't evaluate field Bad" in ours.stderr
    finally:
        dockyard(daemon, "rm", "-f", name)
        dockyard(daemon, "volume", "rm", name)
