"""Dispatch, global flags, argument checks and start-up cost — no daemon involved."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dockyard.cli.main import COMMANDS, MANAGEMENT, _load, main
from dockyard.client.autostart import resolve_host


def test_every_command_entry_loads() -> None:
    for table in (COMMANDS, *MANAGEMENT.values()):
        for verb, entry in table.items():
            command = _load(entry)
            assert command.usage and command.short, verb
            command.flagset()  # declarations are valid


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 1
    assert capsys.readouterr().err == ("dockyard: unknown command: dockyard frobnicate\n\n"
                                       "Run 'dockyard --help' for more information\n")
    assert main(["image", "frobnicate"]) == 1


def test_flag_errors_exit_125_without_a_daemon(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-H", "unix:///nonexistent.sock", "ps", "--bogus"]) == 125
    err = capsys.readouterr().err
    assert err.startswith("unknown flag: --bogus\n\nUsage:  dockyard ps [OPTIONS]\n")
    assert main(["--bogus"]) == 125


def test_argument_count_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-H", "unix:///nonexistent.sock", "tag", "one"]) == 1
    assert capsys.readouterr().err.startswith("dockyard: 'dockyard tag' requires 2 arguments\n")
    assert main(["-H", "unix:///nonexistent.sock", "import"]) == 1
    assert "requires at least 1 and at most 2 arguments" in capsys.readouterr().err


def test_help_needs_no_daemon(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-H", "unix:///nonexistent.sock", "run", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage:  dockyard run [OPTIONS] IMAGE [COMMAND] [ARG...]\n")
    assert main(["container"]) == 0
    assert "Usage:  dockyard container COMMAND" in capsys.readouterr().out


def test_resolve_host_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKYARD_HOST", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKYARD_EXEC_ROOT", "/tmp/x")
    assert resolve_host() == "unix:///tmp/x/dockyard.sock"
    monkeypatch.setenv("DOCKER_HOST", "tcp://1.2.3.4:2375")
    assert resolve_host() == "tcp://1.2.3.4:2375"
    monkeypatch.setenv("DOCKYARD_HOST", "unix:///a.sock")
    assert resolve_host() == "unix:///a.sock"
    assert resolve_host(["unix:///b.sock"]) == "unix:///b.sock"
    monkeypatch.delenv("DOCKYARD_EXEC_ROOT")
    monkeypatch.delenv("DOCKYARD_HOST")
    monkeypatch.delenv("DOCKER_HOST")
    assert resolve_host() == "unix:///run/dockyard/dockyard.sock"


PROBE = """
import json, sys
before = set(sys.modules)
import dockyard.cli.main as m
for entry in {entries!r}:
    m._load(entry)
import dockyard.client.api, dockyard.client.autostart, dockyard.cli.stdio
print(json.dumps(sorted(set(sys.modules) - before)))
"""
HEAVY = {"aiohttp", "rich", "h11", "asyncio", "subprocess", "threading", "yaml", "jsonschema", "zstandard", "dataclasses", "typing",
         "dockyard.api.server", "dockyard.daemon", "dockyard.image", "dockyard.runtime", "dockyard.cli.gotemplate"}


def test_run_path_imports_nothing_heavy() -> None:
    """``dockyard run`` (and the lifecycle verbs) must not pay for templates, the server or aiohttp."""
    entries = [COMMANDS[v] for v in ("run", "start", "stop", "rm", "logs")]
    out = subprocess.run([sys.executable, "-c", PROBE.format(entries=entries)], capture_output=True, text=True,
                         check=True).stdout
    added = set(json.loads(out))
    heavy = {m for m in added if m in HEAVY or m.split(".")[0] in HEAVY}
    assert not heavy, sorted(heavy)
