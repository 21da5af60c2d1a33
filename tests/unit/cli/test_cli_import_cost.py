"""The CLI's leaf libraries must keep start-up cheap: they may pull in nothing but themselves.

Checked by the set of modules an import adds (deterministic), not by timing (noisy on a busy
machine); `python -X importtime -c 'import dockyard.cli.flags'` shows the milliseconds.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
before = set(sys.modules)
import {module}
print(json.dumps(sorted(set(sys.modules) - before)))
"""
ALLOWED_STDLIB = {"time"}  # a builtin module, no import cost


@pytest.mark.parametrize("module", ["dockyard.cli.units", "dockyard.cli.flags", "dockyard.cli.gotemplate"])
def test_leaf_modules_import_no_heavy_dependencies(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    ).stdout
    added = set(json.loads(out))
    foreign = {m for m in added if not m.startswith("dockyard") and m not in ALLOWED_STDLIB}
    assert not foreign, f"{module} imports {sorted(foreign)}"
    assert module in added
