"""Golden files for the Dockerfile frontend: ``X.Dockerfile`` → ``X.json``.

Each JSON holds the parser's node tree (``file``, ``escape``, ``directives``, ``warnings``,
``nodes``) and the typed result (``meta_args``, ``stages``). To inspect a difference run
``python -m pytest tests/golden/test_dockerfile_golden.py -k NAME -vv``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.build import parse, parse_stages

GOLDEN = Path(__file__).parent / "dockerfile"
CASES = sorted(p.stem for p in GOLDEN.glob("*.Dockerfile"))


def render(name: str) -> dict[str, Any]:
    text = (GOLDEN / f"{name}.Dockerfile").read_text(encoding="utf-8")
    df = parse(text, file=f"{name}.Dockerfile")
    stages, meta_args = parse_stages(df)
    out = df.to_dict()
    out["meta_args"] = [a.to_dict() for a in meta_args]
    out["stages"] = [s.to_dict() for s in stages]
    # Through JSON, so tuples compare equal to the golden's lists.
    return json.loads(json.dumps(out))


def test_every_dockerfile_has_a_golden() -> None:
    assert len(CASES) >= 54
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == CASES


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    got = render(name)
    assert got.keys() == expected.keys()
    for key in ("file", "escape", "directives", "warnings", "meta_args"):
        assert got[key] == expected[key], key
    assert len(got["nodes"]) == len(expected["nodes"])
    for g, e in zip(got["nodes"], expected["nodes"]):
        assert g == e, f"line {e['start_line']}"
    assert got["stages"] == expected["stages"]
