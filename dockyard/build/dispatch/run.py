"""RUN: execute a command in a real container on the stage's filesystem, keep its changes.

``RUN <command>`` (through the stage's SHELL), ``RUN ["exe", "arg"]`` (no shell),
``RUN <<EOF`` (a heredoc script), ``RUN --network=none|host|default``.

The container is created from a *carrier* image (the state's layers and volumes, nothing
else) with the stage's Env plus the build ARGs in scope, its WorkingDir and User; the
build's network mode. What it prints is streamed as it comes (read straight from conmon's
log, so nothing else's log sync is disturbed). A zero exit commits its writable layer
(minus the mount points the runtime made); a non-zero one fails the build with Docker's
``The command '/bin/sh -c ...' returned a non-zero code: N``.

History and cache key: the command line, with the ARG values prefixed as Docker does
(``|2 A=1 B=2 /bin/sh -c make``), so a changed build arg re-runs the step.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import TYPE_CHECKING

from dockyard.build import progress
from dockyard.build.builder import StepFailed, located
from dockyard.build.instructions import RunInstruction
from dockyard.build.state import BUILTIN_ARGS, StageState
from dockyard.errors import DockyardError, NotFound

if TYPE_CHECKING:
    from dockyard.build.builder import Job

__all__ = ["dispatch_run", "run_command"]

#: what runc creates as mount points when an image lacks them (Docker hides these in an
#: init layer); removed from the upper when they are empty and new
_MOUNT_POINTS = ("dev/pts", "dev/shm", "dev/mqueue", "dev/console", "proc", "sys", "dev",
                 "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc")


def run_command(st: StageState, inst: RunInstruction) -> list[str]:
    if not inst.prepend_shell:
        return list(inst.cmd)
    text = inst.cmd[0] if inst.cmd else ""
    if inst.heredocs:
        doc = inst.heredocs[0]
        words = text.split()
        if len(inst.heredocs) == 1 and len(words) == 1 and words[0].lstrip("0123456789") \
                .startswith("<<"):
            return st.shell + [doc.chomped()]
        script = text + "\n" + "".join(d.content + d.name + "\n" for d in inst.heredocs)
        return st.shell + [script]
    return st.shell + [text]


async def dispatch_run(job: Job, st: StageState, inst: RunInstruction) -> None:
    if inst.mounts:
        raise located("RUN --mount needs BuildKit; this builder runs the classic Dockerfile "
                      "feature set (copy what the step needs into the stage instead)")
    if inst.security == "insecure":
        raise located("RUN --security=insecure needs BuildKit with the security.insecure "
                      "entitlement")
    cmd = run_command(st, inst)
    args = st.arg_env()
    save = cmd if not args else [f"|{len(args)}", *(f"{k}={v}" for k, v in args.items()),
                                 *cmd]
    env = list(st.run.get("Env") or []) + [f"{k}={v}" for k, v in args.items()]
    declared = set(st.args)
    for k in BUILTIN_ARGS:
        v = job.opts.build_args.get(k)
        if v is not None and k not in declared:
            env.append(f"{k}={v}")
    network = inst.network or job.opts.network_mode

    async def layer() -> tuple[str, str] | None:
        return await _run(job, st, cmd, env, network)

    await job.commit(st, " ".join(save), layer=layer)


async def _run(job: Job, st: StageState, cmd: list[str], env: list[str],
               network: str) -> tuple[str, str] | None:
    engine = job.engine
    manager = engine.containers
    carrier = await asyncio.to_thread(job.builder.carrier, st)
    cid = ""
    keep = False
    try:
        body = {"Image": carrier, "Cmd": cmd, "Entrypoint": None, "Env": env,
                "WorkingDir": st.run.get("WorkingDir") or "", "User": st.run.get("User") or "",
                "AttachStdout": True, "AttachStderr": True, "Labels": {},
                "HostConfig": {"NetworkMode": "" if network in ("", "default") else network}}
        cid, _ = await manager.create(body, None)
        job.say(progress.running_in(cid))
        fut = manager.wait_future(cid, "next-exit")
        try:
            await manager.start(cid)
        except DockyardError as exc:
            raise StepFailed(f"The command '{' '.join(cmd)}' returned a non-zero code: 127: "
                             f"{exc}", 127) from None
        code = await _pump(job, manager.get(cid).dir, fut)
        if code != 0:
            keep = not (job.opts.force_rm)
            raise StepFailed(f"The command '{' '.join(cmd)}' returned a non-zero code: {code}",
                             code)
        c = manager.get(cid)
        upper = os.path.join(c.dir, "diff")
        lowers = engine.snapshots.lowerdirs(st.chain) if st.chain else []
        await asyncio.to_thread(_clean_upper, upper, lowers)
        result = await asyncio.to_thread(job.layers.commit, st.chain, upper)
        keep = not job.opts.rm
        return result
    finally:
        if cid and not keep:
            try:
                await manager.remove(cid, force=True, volumes=True)
                job.say(progress.removed(cid))
            except NotFound:
                pass
        await asyncio.to_thread(job.builder.drop_carrier, carrier)


async def _pump(job: Job, cdir: str, fut: asyncio.Future[int]) -> int:
    """Stream the container's output (conmon's CRI log) until it exits."""
    path = os.path.join(cdir, "ctr.log")
    offset = 0
    while True:
        done = fut.done()
        offset = await asyncio.to_thread(_read_new, job, path, offset)
        if done:
            return fut.result()
        await asyncio.wait([fut], timeout=0.2)


def _read_new(job: Job, path: str, offset: int) -> int:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return offset
    end = data.rfind(b"\n")
    if end < 0:
        return offset
    out: list[str] = []
    for raw in data[:end + 1].splitlines():
        parts = raw.split(b" ", 3)
        if len(parts) < 3:
            continue
        text = (parts[3] if len(parts) > 3 else b"").decode("utf-8", errors="replace")
        out.append(text + ("\n" if parts[2].split(b",")[0] == b"F" else ""))
    if out:
        job.out("".join(out))
    return offset + end + 1


def _exists_below(lowers: list[str], rel: str) -> bool:
    return any(os.path.lexists(os.path.join(lower, rel)) for lower in lowers)


def _clean_upper(upper: str, lowers: list[str]) -> None:
    """Drop the runtime's mount points: new, empty, and not something RUN made."""
    for rel in _MOUNT_POINTS:
        path = os.path.join(upper, rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            if not os.listdir(path):
                os.rmdir(path)
        elif stat.S_ISREG(st.st_mode) and st.st_size == 0 and not _exists_below(lowers, rel):
            os.unlink(path)
