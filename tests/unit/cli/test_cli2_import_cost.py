"""Start-up cost of the second wave of commands: each module imports only what it needs at once.

``pull``/``push`` bars need rich (~130 ms), ``build`` needs tarfile and the .dockerignore
matcher, ``login`` the registry auth module: all of it is imported inside the functions
that use it, so importing a command module (which ``main`` does before parsing its flags)
stays cheap, and ``dockyard run`` never loads any of it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
before = set(sys.modules)
{code}
print(json.dumps(sorted(set(sys.modules) - before)))
"""
HEAVY = ("rich", "aiohttp", "tarfile", "http.client", "dockyard.registry", "dockyard.build", "dockyard.api",
         "dockyard.image", "dataclasses", "typing", "threading", "tempfile", "ipaddress")
COMMANDS = ["exec", "cp", "imagetransfer", "containerops", "stats", "events", "systemops", "volume", "network",
            "registry", "build"]


def _added(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("module", COMMANDS)
def test_command_module_imports_nothing_heavy(module: str) -> None:
    added = _added(f"import dockyard.cli.commands.{module}")
    assert not _heavy(added), f"{module} imports {_heavy(added)}"


def test_progress_imports_rich_only_when_drawing_bars() -> None:
    added = _added("import io, dockyard.cli.progress as p\n"
                   "p.display(io.StringIO(), [{'status': 'x'}], tty=False)")
    assert not _heavy(added), _heavy(added)


def test_client_mixins_stay_light() -> None:
    added = _added("import dockyard.client.api")
    assert not _heavy(added), _heavy(added)


def test_run_help_loads_none_of_the_new_commands() -> None:
    added = _added("import dockyard.cli.main as m\nimport io, contextlib\n"
                   "with contextlib.redirect_stdout(io.StringIO()):\n    m.main(['run', '--help'])")
    new = sorted(m for m in added if m.startswith("dockyard.cli.commands.") and m.rsplit(".", 1)[1] in COMMANDS)
    assert not new, new
    assert not _heavy(added), _heavy(added)


@pytest.mark.parametrize("argv", [["exec", "--help"], ["cp", "--help"], ["stats", "--help"], ["pull", "--help"],
                                  ["build", "--help"], ["volume", "ls", "--help"], ["network", "create", "--help"],
                                  ["system", "df", "--help"], ["login", "--help"], ["events", "--help"]])
def test_help_of_each_new_command(argv: list[str]) -> None:
    r = subprocess.run([sys.executable, "-m", "dockyard.cli.main", *argv], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("\nUsage:") or r.stdout.startswith("Usage:"), r.stdout[:200]
