"""The instructions that only change the image config (and WORKDIR, which may also make
its directory): ENV LABEL EXPOSE VOLUME USER WORKDIR ARG CMD ENTRYPOINT STOPSIGNAL
HEALTHCHECK SHELL ONBUILD MAINTAINER.

Each records Docker's classic history text (``/bin/sh -c #(nop)  ENV A=b``), which is also
its cache key. Expansion follows Docker: ENV/LABEL keys and values, EXPOSE, VOLUME, USER,
WORKDIR, STOPSIGNAL and ARG defaults see ``$VAR`` (ENV values all against the environment
*before* the instruction); CMD, ENTRYPOINT, HEALTHCHECK, SHELL and ONBUILD are kept as
written. ``ENTRYPOINT`` clears an inherited ``CMD`` unless this stage set one.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import re
import signal as signals
from typing import TYPE_CHECKING, Any

from dockyard.build.builder import located
from dockyard.build.flags import format_duration
from dockyard.build.instructions import (
    ArgInstruction, CmdInstruction, EntrypointInstruction, EnvInstruction, ExposeInstruction,
    HealthcheckInstruction, LabelInstruction, MaintainerInstruction, OnbuildInstruction,
    ShellInstruction, StopsignalInstruction, UserInstruction, VolumeInstruction,
    WorkdirInstruction)
from dockyard.build.shell_words import go_quote
from dockyard.build.state import StageState

if TYPE_CHECKING:
    from dockyard.build.builder import Job

__all__ = ["TABLE", "command_line", "go_slice"]

_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?$")


def go_slice(items: list[str] | None) -> str:
    """Go's ``%q`` of a string slice: ``["a" "b c"]``."""
    return "[" + " ".join(go_quote(i) for i in (items or [])) + "]"


def command_line(st: StageState, inst: Any) -> list[str] | None:
    """CMD/ENTRYPOINT's value: exec form as written, shell form through the SHELL."""
    if inst.prepend_shell:
        return st.shell + list(inst.cmd) if inst.cmd else None
    return list(inst.cmd)


async def env(job: Job, st: StageState, inst: EnvInstruction) -> None:
    before = st.env()
    pairs = [(job_expand(job, st, k, before), job_expand(job, st, v, before))
             for k, v in inst.pairs]

    def mutate(cfg: dict[str, Any]) -> None:
        items = list(cfg["config"].get("Env") or [])
        for k, v in pairs:
            for i, e in enumerate(items):
                if e.split("=", 1)[0] == k:
                    items[i] = f"{k}={v}"
                    break
            else:
                items.append(f"{k}={v}")
        cfg["config"]["Env"] = items

    text = "ENV" + "".join(f" {k}={v}" for k, v in pairs)
    await job.commit(st, st.comment(text), mutate=mutate)


def job_expand(job: Job, st: StageState, word: str, env: dict[str, str]) -> str:
    from dockyard.build.shell_words import expand_word
    return expand_word(word, env, st.escape)


async def label(job: Job, st: StageState, inst: LabelInstruction) -> None:
    if getattr(inst, "raw", False):
        pairs = list(inst.pairs)
    else:
        pairs = [(job.expand(st, k), job.expand(st, v)) for k, v in inst.pairs]

    def mutate(cfg: dict[str, Any]) -> None:
        labels = dict(cfg["config"].get("Labels") or {})
        labels.update(pairs)
        cfg["config"]["Labels"] = labels

    text = "LABEL" + "".join(f" {k}={v}" for k, v in pairs)
    await job.commit(st, st.comment(text), mutate=mutate)


def parse_ports(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        m = _PORT.match(w)
        if not m:
            raise located(f"invalid containerPort: {w.split('/')[0]}")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        proto = (m.group(3) or "tcp").lower()
        if hi < lo:
            raise located(f"invalid range specified for container port: {w}")
        out += [f"{p}/{proto}" for p in range(lo, hi + 1)]
    return out


async def expose(job: Job, st: StageState, inst: ExposeInstruction) -> None:
    words: list[str] = []
    for p in inst.ports:
        words += job.expand(st, p).split()
    ports = parse_ports(words)

    def mutate(cfg: dict[str, Any]) -> None:
        exposed = dict(cfg["config"].get("ExposedPorts") or {})
        for p in ports:
            exposed[p] = {}
        cfg["config"]["ExposedPorts"] = exposed

    await job.commit(st, st.comment("EXPOSE " + " ".join(words)), mutate=mutate)


async def volume(job: Job, st: StageState, inst: VolumeInstruction) -> None:
    paths = [job.expand(st, p) for p in inst.paths]
    for p in paths:
        if not p.strip():
            raise located("VOLUME specified can not be an empty string")

    def mutate(cfg: dict[str, Any]) -> None:
        vols = dict(cfg["config"].get("Volumes") or {})
        for p in paths:
            vols[p] = {}
        cfg["config"]["Volumes"] = vols

    await job.commit(st, st.comment("VOLUME [" + " ".join(paths) + "]"), mutate=mutate)


async def user(job: Job, st: StageState, inst: UserInstruction) -> None:
    value = job.expand(st, inst.user)

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["User"] = value

    await job.commit(st, st.comment("USER " + value), mutate=mutate)


async def workdir(job: Job, st: StageState, inst: WorkdirInstruction) -> None:
    path = job.expand(st, inst.path)
    if not path.startswith("/"):
        path = posixpath.join(st.run.get("WorkingDir") or "/", path)
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["WorkingDir"] = path

    async def layer() -> tuple[str, str] | None:
        return await asyncio.to_thread(_make_workdir, job, st, path)

    await job.commit(st, st.comment_string("WORKDIR " + path), mutate=mutate, layer=layer)


def _make_workdir(job: Job, st: StageState, path: str) -> tuple[str, str] | None:
    from dockyard.runtime.fsjoin import secure_join

    def change(root: str) -> None:
        target = secure_join(root, path)
        if not os.path.isdir(target):
            os.makedirs(target, 0o755, exist_ok=True)

    return job.layers.mutate(st.chain, change)


async def arg(job: Job, st: StageState, inst: ArgInstruction) -> None:
    texts = []
    for k, v in inst.pairs:
        job.used_args.add(k)
        default = job.expand(st, v) if v is not None else None
        given = job.opts.build_args.get(k)
        if given is not None:
            value: str | None = given
        elif default is not None:
            value = default
        elif k in job.meta:
            value = job.meta[k]
        else:
            value = job.auto.get(k)
        st.args[k] = value
        texts.append(k if default is None else f"{k}={default}")
    await job.commit(st, st.comment("ARG " + " ".join(texts)))


async def cmd(job: Job, st: StageState, inst: CmdInstruction) -> None:
    value = command_line(st, inst)
    st.cmd_set = True

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["Cmd"] = value

    await job.commit(st, st.comment("CMD " + go_slice(value)), mutate=mutate)


async def entrypoint(job: Job, st: StageState, inst: EntrypointInstruction) -> None:
    value = command_line(st, inst)
    keep_cmd = st.cmd_set

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["Entrypoint"] = value
        if not keep_cmd:
            cfg["config"]["Cmd"] = None

    await job.commit(st, st.comment("ENTRYPOINT " + go_slice(value)), mutate=mutate)


def _valid_signal(sig: str) -> None:
    s = sig.upper()
    if s.isdigit():
        if 0 < int(s) <= 64:
            return
    else:
        name = s if s.startswith("SIG") else "SIG" + s
        if hasattr(signals, name) or re.fullmatch(r"SIGRTM(IN|AX)([+-]\d+)?", name):
            return
    raise located(f"Invalid signal: {sig}")


async def stopsignal(job: Job, st: StageState, inst: StopsignalInstruction) -> None:
    sig = job.expand(st, inst.signal)
    _valid_signal(sig)

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["StopSignal"] = sig

    await job.commit(st, st.comment("STOPSIGNAL " + sig), mutate=mutate)


async def healthcheck(job: Job, st: StageState, inst: HealthcheckInstruction) -> None:
    hc: dict[str, Any] = {"Test": list(inst.test)}
    for key, value in (("Interval", inst.interval), ("Timeout", inst.timeout),
                       ("StartPeriod", inst.start_period),
                       ("StartInterval", inst.start_interval), ("Retries", inst.retries)):
        if value:
            hc[key] = value
    old = st.run.get("Healthcheck")
    if old and (old.get("Test") or [""])[0] != "NONE" and inst.test != ["NONE"]:
        job.out(f"Note: overriding previous HEALTHCHECK: {go_slice(old.get('Test'))}\n")

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["Healthcheck"] = hc

    durations = " ".join(go_quote(format_duration(v)) for v in (
        inst.interval, inst.timeout, inst.start_period, inst.start_interval))
    text = f"HEALTHCHECK &{{{go_slice(inst.test)} {durations} '\\x{inst.retries:02x}'}}"
    await job.commit(st, st.comment(text), mutate=mutate)


async def shell(job: Job, st: StageState, inst: ShellInstruction) -> None:
    value = list(inst.shell)

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["Shell"] = value

    await job.commit(st, st.comment("SHELL [" + " ".join(value) + "]"), mutate=mutate)


async def onbuild(job: Job, st: StageState, inst: OnbuildInstruction) -> None:
    expr = inst.expression

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["config"]["OnBuild"] = list(cfg["config"].get("OnBuild") or []) + [expr]

    await job.commit(st, st.comment("ONBUILD " + expr), mutate=mutate)


async def maintainer(job: Job, st: StageState, inst: MaintainerInstruction) -> None:
    name = inst.maintainer

    def mutate(cfg: dict[str, Any]) -> None:
        cfg["author"] = name

    await job.commit(st, st.comment("MAINTAINER " + name), mutate=mutate)


TABLE = {"ENV": env, "LABEL": label, "EXPOSE": expose, "VOLUME": volume, "USER": user,
         "WORKDIR": workdir, "ARG": arg, "CMD": cmd, "ENTRYPOINT": entrypoint,
         "STOPSIGNAL": stopsignal, "HEALTHCHECK": healthcheck, "SHELL": shell,
         "ONBUILD": onbuild, "MAINTAINER": maintainer}
