"""RUN: a real container on the stage's filesystem with its env, user, workdir, shell and
build args; its changes become a layer; failures report Docker's text and exit code."""

from __future__ import annotations

from build_helpers import run_cmd, api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon


def test_run_sees_stage_state(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = ("FROM busybox\nARG BA=argval\nENV E=envval\nWORKDIR /work\nUSER nobody\n"
          'SHELL ["/bin/sh", "-c"]\n'
          'RUN echo "$E $BA $(pwd) $(id -u)" > /tmp/seen\n')
    r = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"BA": "override"})
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = run_cmd(sdk, r.id, ["cat", "/tmp/seen"])
    assert out == b"envval override /work 65534\n"
    created = [h["CreatedBy"] for h in sdk.api.history(r.id)]
    assert created[0] == '|1 BA=override /bin/sh -c echo "$E $BA $(pwd) $(id -u)" > /tmp/seen'


def test_run_deletes_become_whiteouts(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN rm /bin/vi && mkdir /new\n"}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = run_cmd(sdk, r.id, ["sh", "-c", "ls /bin/vi 2>&1; ls -d /new"])
    assert b"No such file" in out and out.endswith(b"/new\n")


def test_failing_run_reports_code(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN echo before; exit 7\n"}),
                  forcerm=True)
    msg = "The command '/bin/sh -c echo before; exit 7' returned a non-zero code: 7"
    assert r.error == {"errorDetail": {"code": 7, "message": msg}, "error": msg}
    assert "before\n" in r.text and r.id is None


def test_failed_container_kept_without_forcerm(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN exit 3\n"}))
    assert r.error["errorDetail"]["code"] == 3
    left = sdk.containers.list(all=True)
    assert len(left) == 1 and left[0].attrs["State"]["ExitCode"] == 3
    left[0].remove(force=True)


def test_rm_false_keeps_intermediate_containers(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN true\n"}), rm=False,
                  nocache=True)
    assert r.error is None, r.text
    cleanup.append(r.id)
    left = sdk.containers.list(all=True)
    assert len(left) == 1
    left[0].remove(force=True)


def test_network_modes(daemon: Daemon, cleanup) -> None:  # noqa: F811
    df = "FROM busybox\nRUN ls /sys/class/net > /nets\nRUN --network=none ls /sys/class/net\n"
    r = api_build(daemon, tar_of({"Dockerfile": df}), networkmode="none", nocache=True)
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert "lo\n" in r.text
    r2 = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN ls /sys/class/net\n"}),
                   networkmode="host", nocache=True)
    assert r2.error is None, r2.text
    cleanup.append(r2.id)
    assert len([x for x in r2.text.split("\n") if x and not x.startswith((" ---", "Step"))]) >= 1


def test_heredoc_and_exec_form(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = ("FROM busybox\nRUN <<EOF\nset -e\necho one > /multi\necho two >> /multi\nEOF\n"
          'RUN ["sh", "-c", "cat /multi | wc -l > /count"]\n'
          "RUN cat <<A > /heredoc-arg\nvia cat\nA\n")
    r = api_build(daemon, tar_of({"Dockerfile": df}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = run_cmd(sdk, r.id, ["sh", "-c", "cat /multi /count /heredoc-arg"])
    assert out.split() == [b"one", b"two", b"2", b"via", b"cat"]


def test_daemon_killed_mid_run_leaves_nothing(name: str) -> None:
    """kill -9 during a RUN: the next daemon removes the build container and its carrier
    image, and the same build then works."""
    import http.client
    import threading
    import time

    d = Daemon().start()
    try:
        d.bootstrap_busybox()
        body = tar_of({"Dockerfile": f"FROM busybox\nRUN echo {name}; sleep 60\n"})
        def build() -> None:
            try:
                api_build(d, body, timeout=120)
            except (OSError, http.client.HTTPException):
                pass  # the daemon dies under it: that is the point

        t = threading.Thread(target=build, daemon=True)
        t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not d.api("GET", "/containers/json"):
            time.sleep(0.2)
        assert d.api("GET", "/containers/json"), "the RUN container never started"
        d.kill9()
        d.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and d.api("GET", "/containers/json?all=1"):
            time.sleep(0.2)
        assert d.api("GET", "/containers/json?all=1") == []
        images = d.api("GET", "/images/json?all=1")
        assert [i["RepoTags"] for i in images] == [["busybox:latest"]]
        r = api_build(d, tar_of({"Dockerfile": "FROM busybox\nRUN true\n"}))
        assert r.error is None, r.text
    finally:
        d.stop()
