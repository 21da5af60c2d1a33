"""Build errors: parse errors name the file and line, failing steps their exit code,
bad requests are refused before any work, and no build leaves a container behind."""

from __future__ import annotations

from build_helpers import api_build, cleanup, tar_of  # noqa: F401
from engine_helpers import Daemon


def test_parse_errors_name_file_and_line(daemon: Daemon, cleanup) -> None:  # noqa: F811
    cases = {
        "FROM busybox\nFORM x\n": "Dockerfile:2: unknown instruction: FORM",
        "FROM busybox\nRUN echo \\\n  ok\nENV\n": "Dockerfile:4: ENV requires at least one argument",
        "FROM busybox\nCOPY onlyone\n": "Dockerfile:2: COPY requires at least two arguments, "
                                        "but only one was provided. Destination could not be "
                                        "determined.",
        "ENV X=1\nFROM busybox\n": "Dockerfile:1: no build stage in current context",
        "FROM busybox\nEXPOSE notaport\n": "Dockerfile:2: invalid containerPort: notaport",
        "FROM busybox\nSTOPSIGNAL SIGNOPE\n": "Dockerfile:2: Invalid signal: SIGNOPE",
    }
    for df, want in cases.items():
        r = api_build(daemon, tar_of({"Dockerfile": df}))
        assert r.error is not None and r.error["error"] == want, (df, r.error)


def test_custom_dockerfile_name_in_errors(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"ci/Containerfile": "FROM busybox\n\n\nBAD x\n"}),
                  dockerfile="ci/Containerfile")
    assert r.error["error"] == "ci/Containerfile:4: unknown instruction: BAD"


def test_missing_dockerfile_and_base_image(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"other": "x"}))
    assert r.error["error"] == "Cannot locate specified Dockerfile: Dockerfile"
    r = api_build(daemon, tar_of({"Dockerfile": "FROM no-such-image:1\n"}))
    assert r.error["error"].startswith("pull access denied for no-such-image:1")


def test_refused_requests(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, b"", remote="https://example.com/repo.git")
    assert r.lines[0]["status"] == 400 and "remote build contexts" in r.lines[0]["error"]
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\n"}), buildargs="{not json")
    assert r.lines[0]["status"] == 400
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\n"}), t="Bad:Tag:x")
    assert r.lines[0]["status"] == 400 and "invalid reference format" in r.lines[0]["error"]
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\n"}), version="2")
    assert r.lines[0]["status"] == 400


def test_failing_step_leaves_nothing_with_forcerm(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN false\n"}), forcerm=True)
    assert r.error["errorDetail"] == {
        "code": 1, "message": "The command '/bin/sh -c false' returned a non-zero code: 1"}
    r = api_build(daemon, tar_of({"Dockerfile": 'FROM busybox\nRUN ["/no/such/binary"]\n'}),
                  forcerm=True)
    assert r.error is not None and "/no/such/binary" in r.error["error"]
