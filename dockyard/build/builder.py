"""Execute a parsed Dockerfile (step three of parse → type → execute).

A build is a :class:`Job`: it types the Dockerfile into stages, *plans* which stages the
target needs (the target, and transitively every stage named by ``FROM <stage>`` or
``COPY --from=<stage|index>``), then runs the planned stages in order. Each stage starts
with FROM (:mod:`~dockyard.build.dispatch.from_`) and goes instruction by instruction
through the dispatch table, one small function per instruction family:

=============================================  ======================================
instructions                                   module
=============================================  ======================================
RUN                                            :mod:`~dockyard.build.dispatch.run`
COPY ADD                                       :mod:`~dockyard.build.dispatch.copy`
ENV LABEL EXPOSE VOLUME USER WORKDIR ARG CMD   :mod:`~dockyard.build.dispatch.meta`
ENTRYPOINT STOPSIGNAL HEALTHCHECK SHELL
ONBUILD MAINTAINER
=============================================  ======================================

Every instruction ends in :meth:`Job.commit`: the cache is probed with the parent state's
id and the step's history text (see :mod:`~dockyard.build.cache`); on a miss the step
runs, its layer (if any) is committed and a history entry appended (``empty_layer`` for
metadata-only steps). Either way the step's state is kept as an untagged intermediate
image whose Parent is the previous step's, as Docker's classic builder does. The target
stage's final state becomes the image (tagged).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard import reference
from dockyard.build import progress
from dockyard.build.cache import BuildCache, cache_key
from dockyard.build.context import BuildContext
from dockyard.build.errors import DockerfileParseError, ExpansionError
from dockyard.build.instructions import (CopyInstruction, Instruction, LabelInstruction)
from dockyard.build.parser import parse
from dockyard.build.shell_words import expand_word, expand_words
from dockyard.build.stages import Stage, parse_stages
from dockyard.build.state import BUILTIN_ARGS, StageState
from dockyard.errors import BuildError, DockyardError, NotFound
from dockyard.oci import image as oci
from dockyard.store.snapshots import chain_id

if TYPE_CHECKING:
    from dockyard.build.service import Builder

__all__ = ["BuildOptions", "Job", "StepFailed", "plan_stages"]

Dispatcher = Callable[["Job", StageState, Any], Awaitable[None]]


class StepFailed(DockyardError):
    """A RUN whose command failed: ``code`` is its exit status (the stream's errorDetail)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class BuildOptions:
    """``POST /build``'s query, typed."""

    tags: list[str] = field(default_factory=list)
    dockerfile: str = "Dockerfile"
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    pull: bool = False
    quiet: bool = False
    rm: bool = True
    force_rm: bool = False
    network_mode: str = "default"
    cache_from: list[str] = field(default_factory=list)


def _auto_args() -> dict[str, str]:
    """BuildKit's automatic platform ARGs (global scope; declare them to use in a stage)."""
    arch = oci.arch()
    plat = f"linux/{arch}"
    return {"TARGETPLATFORM": plat, "TARGETOS": "linux", "TARGETARCH": arch,
            "TARGETVARIANT": "", "BUILDPLATFORM": plat, "BUILDOS": "linux",
            "BUILDARCH": arch, "BUILDVARIANT": ""}


def _stage_ref(value: str, stages: list[Stage], before: int) -> int | None:
    """The index of the stage ``value`` names (a name or an index), if it is earlier."""
    if value.isdigit():
        i = int(value)
        return i if i < before else None
    low = value.lower()
    for s in stages[:before]:
        if s.name and s.name == low:
            return s.index
    return None


def plan_stages(stages: list[Stage], target: str, meta: dict[str, str]) -> list[int]:
    """The stages the target needs, in build order."""
    if target:
        idx = next((s.index for s in stages if s.name == target.lower()), None)
        if idx is None:
            raise BuildError(f"failed to reach build target {target} in Dockerfile")
    else:
        idx = len(stages) - 1
    needed: set[int] = set()
    todo = [idx]
    while todo:
        i = todo.pop()
        if i in needed:
            continue
        needed.add(i)
        st = stages[i]
        refs = [_safe_expand(st.base.base, meta)]
        refs += [_safe_expand(ins.from_, meta) for ins in st.instructions
                 if isinstance(ins, CopyInstruction) and ins.from_]
        for ref in refs:
            j = _stage_ref(ref, stages, i)
            if j is not None:
                todo.append(j)
    return sorted(needed)


def _safe_expand(word: str, env: dict[str, str]) -> str:
    try:
        return expand_word(word, env)
    except ExpansionError:
        return word


class Job:
    """One build: a context, options, a place to say things, and the stages' results."""

    def __init__(self, builder: Builder, ctx: BuildContext, opts: BuildOptions,
                 emit: Callable[[bytes], None]) -> None:
        self.builder = builder
        self.engine = builder.engine
        self.layers = builder.layers
        self.cache: BuildCache = builder.cache
        self.ctx = ctx
        self.opts = opts
        self._emit = emit
        # the CLI's generated name for ``-f -`` / a Dockerfile outside the context says
        # nothing to the user: errors name it "Dockerfile"
        name = ctx.dockerfile_name
        self.file = "Dockerfile" if name.startswith(".dockerfile.") else name
        self.stages: list[Stage] = []
        self.results: dict[int, StageState] = {}
        self.meta: dict[str, str | None] = {}
        self.auto = _auto_args()
        self.used_args: set[str] = set()
        self.step_no = 0
        self.total = 0
        self.escape = "\\"
        self._cache_from: list[dict[str, Any]] | None = None

    # -- saying things -----------------------------------------------------------------
    def say(self, line: bytes) -> None:
        if not self.opts.quiet:
            self._emit(line)

    def out(self, text: str) -> None:
        self.say(progress.stream(text))

    # -- expansion ---------------------------------------------------------------------
    def expand(self, st: StageState, word: str) -> str:
        return expand_word(word, st.env(), st.escape)

    def expand_words(self, st: StageState, word: str) -> list[str]:
        return expand_words(word, st.env(), st.escape)

    def meta_env(self) -> dict[str, str]:
        env = dict(self.auto)
        env.update({k: v for k, v in self.meta.items() if v is not None})
        return env

    # -- the build ---------------------------------------------------------------------
    async def run(self) -> str:
        from dockyard.build.dispatch import TABLE
        from dockyard.build.dispatch.from_ import begin_stage

        df = parse(self.ctx.dockerfile_text, file=self.file)
        self.escape = df.escape
        self.stages, meta_args = parse_stages(df)
        if not self.stages:
            raise BuildError("no build stage in current context", file=self.file)
        for w in df.warnings:
            self.out(f"[WARNING]: {w.message}\n")
        for inst in meta_args:
            for k, v in inst.pairs:
                self.used_args.add(k)
                given = self.opts.build_args.get(k)
                if given is not None:
                    self.meta[k] = given
                elif v is not None:
                    self.meta[k] = self._at(inst, lambda v=v: expand_word(v, self.meta_env(),
                                                                         self.escape))
                else:
                    self.meta[k] = None
        order = plan_stages(self.stages, self.opts.target, self.meta_env())
        target = order[-1]
        label_inst = self._label_instruction() if self.opts.labels else None
        self.total = sum(1 + len(self.stages[i].instructions) for i in order) + (
            1 if label_inst else 0)
        for i in order:
            stage = self.stages[i]
            self.step(stage.base)
            st = await self._at_async(stage.base, begin_stage(self, stage))
            steps: list[Instruction] = list(stage.instructions)
            if i == target and label_inst is not None:
                steps.append(label_inst)
            for inst in steps:
                self.step(inst)
                fn = TABLE.get(inst.name)
                if fn is None:  # pragma: no cover - the parser rejects unknown keywords
                    raise DockerfileParseError.at(f"unknown instruction: {inst.name}",
                                                  self.file, inst.start_line)
                await self._at_async(inst, fn(self, st, inst))
            self.results[i] = st
        unused = sorted(k for k in self.opts.build_args
                        if k not in self.used_args and k not in BUILTIN_ARGS)
        if unused:
            self.out(f"[Warning] One or more build-args [{' '.join(unused)}] were not "
                     "consumed\n")
        return await self._finish(self.results[target])

    def step(self, inst: Instruction) -> None:
        self.step_no += 1
        self.say(progress.step(self.step_no, self.total, inst.original))

    def _label_instruction(self) -> LabelInstruction:
        pairs = sorted(self.opts.labels.items())
        inst = LabelInstruction(pairs=pairs)
        inst.original = "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)
        inst.raw = True  # type: ignore[attr-defined]  # values are not expanded
        return inst

    def _at(self, inst: Instruction, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ExpansionError as exc:
            raise BuildError(str(exc), file=self.file, line=inst.start_line) from None

    async def _at_async(self, inst: Instruction, coro: Awaitable[Any]) -> Any:
        try:
            return await coro
        except (ExpansionError, _Located) as exc:
            raise BuildError(str(exc), file=self.file, line=inst.start_line) from None

    async def _finish(self, st: StageState) -> str:
        import asyncio

        for t in self.opts.tags:
            reference.parse(t)
        image_id = await asyncio.to_thread(self.engine.images.create, st.config,
                                           tags=self.opts.tags, parent=st.image or None)
        for t in self.opts.tags:
            self.engine.events.emit("image", "tag", image_id,
                                    {"name": reference.parse(t).familiar()})
        self._emit(progress.aux_id(image_id))
        self.say(progress.built(image_id))
        for t in self.opts.tags:
            self.say(progress.tagged(reference.parse(t).familiar()))
        if self.opts.quiet:
            self._emit(progress.stream(image_id + "\n"))
        return image_id

    # -- committing a step ---------------------------------------------------------------
    async def commit(self, st: StageState, created_by: str, *, extra: str = "",
                     mutate: Callable[[dict[str, Any]], None] | None = None,
                     layer: Callable[[], Awaitable[tuple[str, str] | None]] | None = None
                     ) -> bool:
        """Finish a step: from the cache when it has it (True), else by running it."""
        key = cache_key(st.id, created_by, extra)
        parent = st.image
        if not self.opts.no_cache:
            hit = self.cache.get(key)
            if hit is not None:
                st.config, st.chain = hit.config, hit.chain
                await self._keep(st, parent)
                self.say(progress.using_cache())
                self.say(progress.arrow(st.id))
                return True
            if self._from_sources(st, created_by, mutate):
                self.cache.put(key, st.id, st.config, st.chain)
                await self._keep(st, parent)
                self.say(progress.using_cache())
                self.say(progress.arrow(st.id))
                return True
        new = st.copy()
        if mutate is not None:
            mutate(new)
        result = await layer() if layer is not None else None
        now = time.time()
        entry: dict[str, Any] = {"created": oci.rfc3339(now), "created_by": created_by}
        if result is None:
            entry["empty_layer"] = True
        else:
            new["rootfs"]["diff_ids"].append(result[0])
            st.chain = result[1]
        new["history"] = list(new.get("history") or []) + [entry]
        new["created"] = entry["created"]
        st.config = new
        self.cache.put(key, st.id, st.config, st.chain)
        await self._keep(st, parent)
        self.say(progress.arrow(st.id))
        return False

    async def _keep(self, st: StageState, parent: str) -> None:
        """Store the step's result as an untagged image whose Parent is the step before.

        Docker's classic builder does: the `` ---> <id>`` of a step can be run (how a
        failed build is debugged), ``history`` names each step's image, ``images -a``
        lists them and ``rmi`` of the final image removes the chain no other image needs.
        A state already stored (a cached rebuild) costs one lookup.
        """
        import asyncio

        images = self.engine.images
        image_id = st.id
        if not images.exists(image_id):
            image_id = await asyncio.to_thread(images.create, st.config, parent=parent or None)
        st.image = image_id

    def _from_sources(self, st: StageState, created_by: str,
                      mutate: Callable[[dict[str, Any]], None] | None) -> bool:
        """``--cache-from``: an image whose history continues this state's with this step
        (moby's ImageCache.GetCache: same history and layers so far, same command)."""
        if not self.opts.cache_from:
            return False
        if self._cache_from is None:
            self._cache_from = []
            for ref in self.opts.cache_from:
                try:
                    rec = self.engine.images.resolve(ref)
                except (NotFound, DockyardError):
                    continue
                self._cache_from.append(self.engine.images.config(rec.id))
        hist = list(st.config.get("history") or [])
        diffs = st.diff_ids
        for cand in self._cache_from:
            chist = cand.get("history") or []
            cdiffs = (cand.get("rootfs") or {}).get("diff_ids") or []
            if len(chist) <= len(hist) or chist[:len(hist)] != hist:
                continue
            if cdiffs[:len(diffs)] != diffs:
                continue
            h = chist[len(hist)]
            if h.get("created_by") != created_by:
                continue
            chain = st.chain
            new = st.copy()
            if mutate is not None:
                mutate(new)
            if not h.get("empty_layer"):
                if len(cdiffs) <= len(diffs):
                    continue
                diff = cdiffs[len(diffs)]
                chain = chain_id(st.chain, diff)
                if self.engine.snapshots.get(chain) is None:
                    continue
                new["rootfs"]["diff_ids"].append(diff)
            new["history"] = hist + [h]
            new["created"] = h.get("created", new.get("created"))
            if len(chist) == len(hist) + 1:
                new = dict(cand)  # the whole image: same ID as the cache source
            st.config, st.chain = new, chain
            return True
        return False


class _Located(DockyardError):
    """An error a dispatcher raises without a line; the job adds the instruction's."""


def located(message: str) -> _Located:
    return _Located(message)
