"""Builder basics: the classic stream texts, the image config and history, tags, quiet
mode, and ONBUILD triggers running when a child image builds FROM the parent."""

from __future__ import annotations

import re

from build_helpers import run_cmd, api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon


def test_stream_texts_and_history(daemon: Daemon, sdk, cleanup, name: str) -> None:  # noqa: F811
    df = "FROM busybox\nENV A=1\nRUN echo hello-from-run\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n"
    r = api_build(daemon, tar_of({"Dockerfile": df, "f": "content\n"}), t=[f"{name}:a", f"{name}:b"])
    assert r.error is None, r.text
    cleanup.append(r.id)
    text = r.text
    assert r.steps() == ["Step 1/5 : FROM busybox\n", "Step 2/5 : ENV A=1\n",
                         "Step 3/5 : RUN echo hello-from-run\n", "Step 4/5 : COPY f /f\n",
                         "Step 5/5 : CMD [\"cat\", \"/f\"]\n"]
    assert re.search(r" ---> Running in [0-9a-f]{12}\nhello-from-run\n", text)
    short = r.id[7:19]
    assert text.endswith(f" ---> {short}\nSuccessfully built {short}\n"
                         f"Successfully tagged {name}:a\nSuccessfully tagged {name}:b\n")
    assert any(m == {"aux": {"ID": r.id}} for m in r.lines)
    info = sdk.api.inspect_image(f"{name}:b")
    assert info["Id"] == r.id and sorted(info["RepoTags"]) == [f"{name}:a", f"{name}:b"]
    hist = sdk.api.history(r.id)
    created_by = [h["CreatedBy"] for h in hist[:4]]
    assert created_by[0] == '/bin/sh -c #(nop)  CMD ["cat" "/f"]'
    assert re.fullmatch(r"/bin/sh -c #\(nop\) COPY file:[0-9a-f]{64} in /f ", created_by[1])
    assert created_by[2] == "/bin/sh -c echo hello-from-run"
    assert created_by[3] == "/bin/sh -c #(nop)  ENV A=1"
    assert hist[0]["Size"] == 0 and hist[1]["Size"] == len("content\n")
    assert run_cmd(sdk, f"{name}:a") == b"content\n"


def test_metadata_steps_add_no_layers(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    base = sdk.api.inspect_image("busybox")
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nENV X=1\nLABEL a=b\nUSER nobody\n"}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    info = sdk.api.inspect_image(r.id)
    assert info["RootFS"]["Layers"] == base["RootFS"]["Layers"]
    assert info["Config"]["User"] == "nobody" and info["Config"]["Labels"] == {"a": "b"}


def test_quiet_prints_only_the_id(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nRUN echo noisy\n"}), q=True)
    assert r.error is None
    cleanup.append(r.id)
    assert r.text == r.id + "\n"


def test_onbuild_triggers_run_in_child(daemon: Daemon, sdk, cleanup, name: str) -> None:  # noqa: F811
    parent = f"{name}-parent:1"
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nONBUILD COPY hello /hello\n"
                                                "ONBUILD RUN echo triggered > /trig\n"}), t=parent)
    assert r.error is None, r.text
    cleanup.append(parent)
    r2 = api_build(daemon, tar_of({"Dockerfile": f"FROM {parent}\nENV CHILD=1\n",
                                   "hello": "from child context\n"}))
    assert r2.error is None, r2.text
    cleanup.append(r2.id)
    assert "# Executing 2 build triggers\n" in r2.text
    info = sdk.api.inspect_image(r2.id)
    assert info["Config"]["OnBuild"] is None
    out = run_cmd(sdk, r2.id, ["cat", "/hello", "/trig"])
    assert out == b"from child context\ntriggered\n"


def test_dockerfile_name_parameter_and_bare_dockerfile_body(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"sub/Build.df": "FROM busybox\nLABEL from=sub\n"}),
                  dockerfile="sub/Build.df")
    assert r.error is None, r.text
    cleanup.append(r.id)
    r2 = api_build(daemon, b"FROM busybox\nLABEL bare=1\n")
    assert r2.error is None, r2.text
    cleanup.append(r2.id)
