"""Build arguments and word expansion: ARG defaults and --build-arg, meta ARGs in FROM,
scoping per stage, unused-argument warning, and tricky escaping."""

from __future__ import annotations

from build_helpers import api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon


def _env(sdk, image_id: str) -> dict[str, str]:  # noqa: F811
    env = sdk.api.inspect_image(image_id)["Config"]["Env"]
    return dict(e.split("=", 1) for e in env)


def test_arg_scoping_across_stages(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = ("ARG GLOBAL=g\nFROM busybox AS a\nARG LOCAL=l1\nENV A_LOCAL=$LOCAL A_GLOBAL=${GLOBAL:-none}\n"
          "FROM a\nARG GLOBAL\nENV B_LOCAL=${LOCAL:-gone} B_GLOBAL=$GLOBAL\n")
    r = api_build(daemon, tar_of({"Dockerfile": df}), buildargs={"GLOBAL": "cli"})
    assert r.error is None, r.text
    cleanup.append(r.id)
    env = _env(sdk, r.id)
    assert (env["A_LOCAL"], env["A_GLOBAL"], env["B_LOCAL"], env["B_GLOBAL"]) == \
        ("l1", "none", "gone", "cli")


def test_unused_build_arg_warning(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nARG USED\n"}),
                  buildargs={"USED": "1", "NOTUSED": "2", "HTTP_PROXY": "http://127.0.0.1:9"})
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert "[Warning] One or more build-args [NOTUSED] were not consumed\n" in r.text


def test_proxy_args_reach_run_without_declaration(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN echo \"proxy=$HTTP_PROXY\"\n"}),
                  buildargs={"HTTP_PROXY": "http://127.0.0.1:3128"}, nocache=True)
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert "proxy=http://127.0.0.1:3128\n" in r.text
    assert "HTTP_PROXY" not in _env(sdk, r.id)
    assert "3128" not in sdk.api.history(r.id)[0]["CreatedBy"]


def test_tricky_expansion(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = r"""FROM busybox
ENV base=/opt/app
ENV full="${base}/bin" literal='${base}' escaped=\${base} mixed=a"b c"d
ENV nested=${undefined:-${base}} trimmed=${full##*/} spaces="  kept  "
ARG DEFAULT_EXPANDS=${base}/data
ENV from_arg=$DEFAULT_EXPANDS
LABEL "key with spaces"="value \"quoted\"" dollar='$notexpanded'
"""
    r = api_build(daemon, tar_of({"Dockerfile": df}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    env = _env(sdk, r.id)
    assert env["full"] == "/opt/app/bin" and env["literal"] == "${base}"
    assert env["escaped"] == "${base}" and env["mixed"] == "ab cd"
    assert env["nested"] == "/opt/app" and env["trimmed"] == "bin"
    assert env["spaces"] == "  kept  " and env["from_arg"] == "/opt/app/data"
    labels = sdk.api.inspect_image(r.id)["Config"]["Labels"]
    assert labels == {"key with spaces": 'value "quoted"', "dollar": "$notexpanded"}


def test_required_variable_error_names_the_line(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\n\nENV X=\"${MISSING:?must be set}\"\n"}))
    assert r.error["error"] == \
        'Dockerfile:3: failed to process "\\"${MISSING:?must be set}\\"": MISSING: must be set'
