"""Multi-stage builds: COPY --from a stage (name or index) or an image, FROM an earlier
stage, --target, and only the stages the target needs are built."""

from __future__ import annotations

from build_helpers import run_cmd, api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon

DF = """FROM busybox AS Builder
RUN echo compiled > /artifact
FROM builder AS tester
RUN test -f /artifact && echo tested > /test-ok
FROM busybox AS unrelated
RUN echo never-runs && exit 9
FROM scratch
COPY --from=builder /artifact /artifact
COPY --from=1 /test-ok /test-ok
COPY --from=busybox /bin/busybox /bin/sh
CMD ["/bin/sh", "-c", "cat /artifact /test-ok"]
"""


def test_final_stage_builds_only_what_it_needs(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": DF}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert "never-runs" not in r.text
    steps = r.steps()
    assert len(steps) == 9 and steps[0] == "Step 1/9 : FROM busybox AS Builder\n"
    assert not any("unrelated" in s for s in steps)
    assert run_cmd(sdk, r.id) == b"compiled\ntested\n"
    info = sdk.api.inspect_image(r.id)
    assert len(info["RootFS"]["Layers"]) == 3  # scratch + three COPYs


def test_target_stops_at_that_stage(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": DF}), target="tester")
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert [s.split(" : ")[1] for s in r.steps()] == [
        "FROM busybox AS Builder\n", "RUN echo compiled > /artifact\n",
        "FROM builder AS tester\n", "RUN test -f /artifact && echo tested > /test-ok\n"]
    out = run_cmd(sdk, r.id, ["cat", "/artifact", "/test-ok"])
    assert out == b"compiled\ntested\n"


def test_unknown_target(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": DF}), target="nope")
    assert r.error["error"] == "failed to reach build target nope in Dockerfile"


def test_copy_from_meta_arg_stage(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = ("ARG SRC=one\nFROM busybox AS one\nRUN echo from-one > /f\n"
          "FROM busybox AS two\nRUN echo from-two > /f\n"
          "FROM busybox\nARG SRC\nCOPY --from=${SRC} /f /f\n")
    r = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"SRC": "two"})
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert "from-one" not in r.text  # stage "one" is not needed
    assert run_cmd(sdk, r.id, ["cat", "/f"]) == b"from-two\n"
