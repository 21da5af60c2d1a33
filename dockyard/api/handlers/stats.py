"""``GET /containers/{id}/stats`` and ``GET /containers/{id}/top``, as moby answers them.

Stats timing, as moby's daemon/stats.go (its collector samples every second)::

    stream=1            a frame now (empty precpu_stats), then one a second, each with the
                        previous sample as precpu_stats/preread; zeroed frames while the
                        container is stopped; the stream ends when the container is removed
    stream=0            two samples 1 s apart, the second sent with the first as precpu, so
                        ``docker stats --no-stream`` shows a CPU %
    stream=0&one-shot=1 one sample at once, precpu empty
    not running, stream=0   a zeroed frame with only name and id (Docker's empty StatsJSON)

Top runs the host's ``ps`` with the client's ``ps_args`` and keeps the rows whose PID is in
the container's cgroup, merging "overhanging" columns into the last title as moby does.
"""

from __future__ import annotations

import asyncio
import os
import json
import re
from typing import TYPE_CHECKING, Any, AsyncIterator

from dockyard.api.http import JSONResponse, Request, StreamResponse
from dockyard.api.router import Router
from dockyard.errors import Conflict, InvalidArgument, SystemError as DySystemError
from dockyard.runtime import stats as cgstats
from dockyard.runtime.spec import CGROUP_PARENT

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine
    from dockyard.runtime.manager import Container

__all__ = ["register", "parse_ps_output", "validate_ps_args", "INTERVAL"]

INTERVAL = 1.0
"""Seconds between samples: moby's collector interval."""

_PS_ARG = re.compile(r"\s+([^\s]*)=\s*(PID[^\s]*)")


def cgroup_path(cid: str) -> str:
    return f"/{CGROUP_PARENT}/{cid}"


def take_sample(c: Container, host_memory: int) -> dict[str, Any]:
    """A sample of a running container, or Docker's zeroed frame for one that is not."""
    if not c.running:
        return cgstats.empty_stats(c.rec["Name"], c.id)
    host_net = (c.rec["HostConfig"].get("NetworkMode") or "") == "host"
    return cgstats.sample(cid=c.id, name=c.rec["Name"], pid=int(c.state.get("Pid") or 0),
                          cgroup_path=cgroup_path(c.id), host_network=host_net,
                          host_memory=host_memory)


def with_previous(cur: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
    if prev is not None:
        cur["preread"] = prev["read"]
        cur["precpu_stats"] = prev["cpu_stats"]
    return cur


def _encode(frame: dict[str, Any]) -> bytes:
    return (json.dumps(frame, separators=(",", ":")) + "\n").encode()


def validate_ps_args(ps_args: str) -> None:
    """moby refuses ``-o x=PID``-style renames of the PID column (it must find "PID")."""
    for key, value in _PS_ARG.findall(ps_args):
        if key != "pid":
            raise InvalidArgument(f'specifying "{key}={value}" is not allowed')


def _fields(line: str) -> list[str]:
    # ASCII whitespace only, as moby's fieldsASCII (a command may hold unicode spaces).
    return [f for f in re.split(r"[\t\n\f\r ]+", line) if f]


def parse_ps_output(output: str, pids: list[int]) -> dict[str, Any]:
    """``{"Titles": [...], "Processes": [[...]]}`` for the rows of ``pids`` (moby's parsePSOutput)."""
    lines = output.split("\n")
    titles = _fields(lines[0]) if lines else []
    if "PID" not in titles:
        raise DySystemError("Couldn't find PID field in ps output")
    at = titles.index("PID")
    wanted = set(pids)
    procs: list[list[str]] = []

    def add(fields: list[str]) -> None:
        row = fields[:len(titles) - 1]
        row.append(" ".join(fields[len(titles) - 1:]))
        procs.append(row)

    previous_in = False   # thread lines ("-" as PID, ps -m) follow their process
    for line in lines[1:]:
        if not line:
            continue
        fields = _fields(line)
        if len(fields) <= at:
            continue
        if fields[at] == "-":
            if previous_in:
                add(fields)
            continue
        try:
            pid = int(fields[at])
        except ValueError:
            raise DySystemError(f"Unexpected pid '{fields[at]}'") from None
        previous_in = pid in wanted
        if previous_in:
            add(fields)
    return {"Processes": procs, "Titles": titles}


# ps narrows its output to $COLUMNS when set (the daemon may inherit one from a shell):
# without it and without a terminal, the command column is whole.
_PS_ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


async def _ps(args: list[str]) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        "ps", *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=_PS_ENV)
    out, err = await proc.communicate()
    return proc.returncode or 0, out, err


def _event(engine: Engine, c: Container, action: str) -> None:
    """A container event with the attributes the manager gives its own (name, image, labels)."""
    attrs = {"name": c.name, "image": c.rec["Config"].get("Image", "")}
    attrs.update(c.rec["Config"].get("Labels") or {})
    engine.events.emit("container", action, c.id, attrs)


def register(router: Router, engine: Engine) -> None:
    mgr = engine.containers

    async def stats(req: Request) -> StreamResponse | JSONResponse:
        c = mgr.get(req.params["id"])
        stream = req.qbool("stream", True)
        one_shot = req.qbool("one-shot")
        if stream and one_shot:
            raise InvalidArgument("cannot have stream=true and one-shot=true")
        host_memory = cgstats.machine_memory()
        if not stream:
            if not c.running:
                return JSONResponse(cgstats.empty_stats(c.rec["Name"], c.id))
            first = take_sample(c, host_memory)
            if one_shot:
                return JSONResponse(first)
            await asyncio.sleep(INTERVAL)
            return JSONResponse(with_previous(take_sample(c, host_memory), first))

        async def gen() -> AsyncIterator[bytes]:
            prev: dict[str, Any] | None = None
            while c.id in mgr.containers:
                cur = take_sample(c, host_memory)
                frame = dict(cur)
                if prev is not None:
                    with_previous(frame, prev)
                prev = cur
                yield _encode(frame)
                try:
                    await asyncio.wait_for(c.removed.wait(), INTERVAL)
                except asyncio.TimeoutError:
                    continue
                return

        return StreamResponse(gen())

    async def top(req: Request) -> JSONResponse:
        c = mgr.get(req.params["id"])
        ps_args = req.q("ps_args") or "-ef"
        validate_ps_args(ps_args)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.state.get("Restarting"):
            raise Conflict(f"Container {c.id} is restarting, wait until the container is "
                           f"running")
        pids = cgstats.cgroup_pids(cgstats.CGROUP_ROOT, cgroup_path(c.id))
        if not pids and c.state.get("Pid"):
            pids = [int(c.state["Pid"])]
        args = ps_args.split(" ")
        code, out, err = await _ps(args + ["-q" + ",".join(str(p) for p in pids)])
        if code != 0:
            # Some ps options (such as f) cannot go with -q: retry without, as moby does.
            code, out, err = await _ps(args)
            if code != 0:
                first = err.decode(errors="replace").split("\n", 1)[0]
                raise DySystemError(f"ps: {first or f'exit status {code}'}")
        result = parse_ps_output(out.decode(errors="replace"), pids)
        _event(engine, c, "top")
        return JSONResponse(result)

    router.add("GET", "/containers/{id}/stats", stats)
    router.add("GET", "/containers/{id}/top", top)
