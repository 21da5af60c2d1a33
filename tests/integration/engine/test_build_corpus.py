"""The Dockerfile corpus (tests/build_corpus/NAME/): each is built through the daemon and
its image compared with ``expected.json`` (the Config fields Docker's documentation
specifies, top-level fields, the layer count, and a script's output in a container)."""

from __future__ import annotations

import json

import pytest

from build_helpers import CORPUS, api_build, cleanup, run_output, sdk, tar_dir  # noqa: F401
from engine_helpers import Daemon

NAMES = sorted(p.name for p in CORPUS.iterdir() if (p / "Dockerfile").is_file())
_TOP = {"author": "Author"}


def test_corpus_is_big_enough() -> None:
    assert len(NAMES) >= 40


@pytest.mark.parametrize("name", NAMES)
def test_corpus(daemon: Daemon, sdk, cleanup, name: str) -> None:  # noqa: F811
    entry = CORPUS / name
    exp = json.loads((entry / "expected.json").read_text())
    tag = f"corpus-{name}:test"
    r = api_build(daemon, tar_dir(entry), t=tag, buildargs=exp.get("build_args"),
                  labels=exp.get("labels"), target=exp.get("target"), forcerm=True)
    assert r.error is None, r.text + json.dumps(r.error)
    cleanup.append(tag)
    assert r.id and f"Successfully built {r.id[7:19]}\n" in r.text
    info = sdk.api.inspect_image(tag)
    assert info["Id"] == r.id
    for key, want in exp.get("config", {}).items():
        assert info["Config"].get(key) == want, key
    for key, want in exp.get("image", {}).items():
        assert info[_TOP[key]] == want, key
    if "layers" in exp:
        assert len(info["RootFS"].get("Layers") or []) == exp["layers"]
    check = exp.get("check")
    if check:
        assert run_output(sdk, tag, check["script"], check.get("shell")) == check["output"]
