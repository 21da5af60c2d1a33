"""FROM: start a stage from an image, an earlier stage, or ``scratch``; run ONBUILD triggers.

``FROM <image>[:tag] [AS name]`` — the base is expanded with the meta ARGs (those before
the first FROM, and BuildKit's automatic ``TARGETPLATFORM``...). As Docker's classic
builder (``beginStage``): the base's runtime config is copied, ``OpenStdin``/``StdinOnce``
cleared, and ``PATH`` given Docker's default when the base has none. A base with
``OnBuild`` triggers runs them first (``# Executing 2 build triggers``), then forgets them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from dockyard.build import progress
from dockyard.build.builder import _stage_ref
from dockyard.build.errors import DockerfileParseError
from dockyard.build.instructions import convert
from dockyard.build.parser import parse
from dockyard.build.shell_words import expand_word
from dockyard.build.stages import Stage
from dockyard.build.state import StageState, env_map, scratch_config
from dockyard.errors import BuildError, NotFound
from dockyard.oci import image as oci

if TYPE_CHECKING:
    from dockyard.build.builder import Job

__all__ = ["begin_stage", "resolve_image"]


def resolve_image(job: Job, name: str) -> tuple[str, dict, str | None]:
    """(image id, config, top chain) of a local image; builds are offline."""
    images = job.engine.images
    try:
        rec = images.resolve(name)
    except NotFound:
        raise BuildError(f"pull access denied for {name}, repository does not exist or may "
                         f"require 'docker login': No such image: {name} (dockyard builds "
                         "offline: load or pull the image first)") from None
    return rec.id, images.config(rec.id), images.top_chain(rec.id)


async def begin_stage(job: Job, stage: Stage) -> StageState:
    name = expand_word(stage.base.base, job.meta_env(), job.escape)
    if not name:
        raise BuildError("base name (" + stage.base.base + ") should not be blank",
                         file=job.file, line=stage.base.start_line)
    ref = _stage_ref(name, job.stages, stage.index)
    if name.lower() == "scratch":
        st = StageState(stage, scratch_config(), None, "", escape=job.escape)
    elif ref is not None and ref in job.results:
        prev = job.results[ref]
        st = StageState(stage, copy.deepcopy(prev.config), prev.chain, prev.image or prev.id,
                        escape=job.escape)
        job.say(progress.arrow(st.base_id))
    else:
        image_id, cfg, chain = resolve_image(job, name)
        st = StageState(stage, copy.deepcopy(cfg), chain, image_id, escape=job.escape)
        job.say(progress.arrow(image_id))
    run = st.config.get("config") or oci.empty_container_config()
    st.config["config"] = run
    st.config.setdefault("history", [])
    st.config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    run["OpenStdin"] = False
    run["StdinOnce"] = False
    if "PATH" not in env_map(run.get("Env")):
        run["Env"] = list(run.get("Env") or []) + [f"PATH={oci.DEFAULT_PATH}"]
    triggers = list(run.get("OnBuild") or [])
    if triggers:
        run["OnBuild"] = None
        word = "trigger" if len(triggers) == 1 else "triggers"
        job.out(f"# Executing {len(triggers)} build {word}\n")
        await _run_triggers(job, st, triggers)
    return st


async def _run_triggers(job: Job, st: StageState, triggers: list[str]) -> None:
    from dockyard.build.dispatch import TABLE

    for expr in triggers:
        df = parse(expr, file=f"{job.file} (ONBUILD of the base image)")
        for node in df.nodes:
            inst = convert(node)
            if inst.name in ("FROM", "ONBUILD", "MAINTAINER"):
                raise DockerfileParseError(f"{inst.name} isn't allowed as an ONBUILD trigger",
                                           job.file, st.stage.base.start_line)
            await TABLE[inst.name](job, st, inst)
