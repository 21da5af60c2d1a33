"""A build keeps each step's result as an intermediate image, as Docker's classic builder:
the `` ---> <id>`` lines name real images (runnable: how a failed build is debugged), each
one's Parent is the step before, ``images`` hides them and ``images -a`` shows them,
``history`` names them, ``rmi`` of the final image removes the chain no other image needs
and a dangling prune keeps it."""

from __future__ import annotations

import re
from typing import Any

from build_helpers import api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon, docker

ARROW = re.compile(r"^ ---> ([0-9a-f]{12})$", re.M)


def _image(daemon: Daemon, ref: str) -> dict[str, Any] | None:
    try:
        return daemon.api("GET", f"/images/{ref}/json")
    except RuntimeError:
        return None


def _step_ids(text: str) -> list[str]:
    return ARROW.findall(text)


def test_steps_are_images_chained_by_parent(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    df = f"FROM busybox\nRUN echo {name} > /a\nENV TOKEN={name}\nCOPY f /f\n"
    r = api_build(daemon, tar_of({"Dockerfile": df, "f": "x\n"}), t=f"{name}:v1")
    assert r.error is None, r.text
    cleanup.append(f"{name}:v1")
    ids = _step_ids(r.text)   # FROM's, then one per step
    assert len(ids) == 4
    busybox = daemon.api("GET", "/images/busybox/json")["Id"]
    assert busybox.startswith("sha256:" + ids[0])
    chain = [_image(daemon, i) for i in ids[1:]]
    assert all(chain), ids
    assert chain[0]["Parent"] == busybox
    assert chain[1]["Parent"] == chain[0]["Id"] and chain[2]["Parent"] == chain[1]["Id"]
    assert chain[2]["Id"] == r.id and chain[2]["RepoTags"] == [f"{name}:v1"]
    assert chain[0]["RepoTags"] == [] and f"TOKEN={name}" in chain[1]["Config"]["Env"]

    listed = {i["Id"] for i in daemon.api("GET", "/images/json")}
    listed_all = {i["Id"] for i in daemon.api("GET", "/images/json?all=1")}
    assert chain[0]["Id"] not in listed and chain[1]["Id"] not in listed and r.id in listed
    assert {c["Id"] for c in chain} <= listed_all
    out = docker(daemon, "images", "-a", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}").stdout
    assert f"{ids[1]} <none>:<none>" in out
    dangling = docker(daemon, "images", "-a", "-q", "--no-trunc", "--filter", "dangling=true").stdout
    assert chain[0]["Id"] not in dangling and chain[1]["Id"] not in dangling  # not leaves

    hist = docker(daemon, "history", "-q", "--no-trunc", f"{name}:v1").stdout.split()
    assert hist[:4] == [chain[2]["Id"], chain[1]["Id"], chain[0]["Id"], busybox]

    # a dangling prune keeps them: they are a tagged image's parents, not dangling
    daemon.api("POST", "/images/prune")
    assert all(_image(daemon, c["Id"]) for c in chain)


def test_failed_build_leaves_the_last_good_step_runnable(daemon: Daemon, sdk, cleanup,  # noqa: F811
                                                         name: str) -> None:
    df = f"FROM busybox\nRUN echo {name} > /progress\nRUN cat /missing\n"
    r = api_build(daemon, tar_of({"Dockerfile": df}), forcerm=1)
    assert r.error is not None
    last_good = _step_ids(r.text)[-1]
    cleanup.append(last_good)
    out = docker(daemon, "run", "--rm", "--network", "none", last_good, "cat", "/progress")
    assert out.returncode == 0 and out.stdout == f"{name}\n", out.stderr


def test_rmi_removes_the_chain_other_images_do_not_need(daemon: Daemon, cleanup,  # noqa: F811
                                                        name: str) -> None:
    base = f"FROM busybox\nRUN echo {name} > /a\nENV K=1\n"
    one = api_build(daemon, tar_of({"Dockerfile": base + "RUN echo one > /b\n"}), t=f"{name}:one")
    two = api_build(daemon, tar_of({"Dockerfile": base + "RUN echo two > /b\n"}), t=f"{name}:two")
    assert one.error is None and two.error is None, one.text + two.text
    cleanup.extend([f"{name}:one", f"{name}:two"])
    shared = _step_ids(one.text)[1:3]
    assert _step_ids(two.text)[1:3] == shared   # from the cache, the same images
    shared_ids = {_image(daemon, s)["Id"] for s in shared}
    only_one = _step_ids(one.text)[3]

    gone = docker(daemon, "rmi", f"{name}:one")
    assert gone.returncode == 0, gone.stderr
    assert _image(daemon, only_one) is None
    assert all(_image(daemon, s) for s in shared)   # still the parents of :two

    removed = daemon.api("DELETE", f"/images/{name}:two")
    deleted = {d["Deleted"] for d in removed if "Deleted" in d}
    assert two.id in deleted and shared_ids <= deleted
    assert all(_image(daemon, s) is None for s in shared), removed
    assert _image(daemon, "busybox") is not None


def test_noprune_keeps_the_parents(daemon: Daemon, cleanup, name: str) -> None:  # noqa: F811
    df = f"FROM busybox\nRUN echo {name} > /a\nENV K=2\n"
    r = api_build(daemon, tar_of({"Dockerfile": df}), t=f"{name}:np")
    assert r.error is None, r.text
    parent = _step_ids(r.text)[1]
    cleanup.append(parent)
    daemon.api("DELETE", f"/images/{name}:np?noprune=1")
    assert _image(daemon, r.id) is None and _image(daemon, parent) is not None


