"""Health checks: a probe run inside the container on a schedule, as Docker's ``HEALTHCHECK``.

``Config.Healthcheck`` (the image's, or ``--health-*`` flags) holds::

    Test        ["NONE"] | ["CMD", arg...] | ["CMD-SHELL", "command"]  ([] = inherit)
    Interval    ns between probes      (default 30 s)
    Timeout     ns before a probe fails (default 30 s)
    StartPeriod ns of grace after start: failures do not count, a success ends it
    Retries     consecutive failures that make the container unhealthy (default 3)

``State.Health`` is ``{"Status": starting|healthy|unhealthy, "FailingStreak": n,
"Log": [last 5 {"Start", "End", "ExitCode", "Output"}]}``; every status change emits a
``health_status: <status>`` container event. The monitor lives in the daemon (a task per
running container) and is started again for re-adopted containers after a daemon restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from dockyard.oci.image import rfc3339

if TYPE_CHECKING:
    from dockyard.runtime.manager import Container, ContainerManager

__all__ = ["probe_command", "HealthMonitor", "DEFAULT_INTERVAL_NS"]

log = logging.getLogger("dockyard.runtime")

DEFAULT_INTERVAL_NS = 30_000_000_000
DEFAULT_TIMEOUT_NS = 30_000_000_000
DEFAULT_RETRIES = 3
MAX_LOG_ENTRIES = 5
MAX_OUTPUT = 4096


def probe_command(healthcheck: dict[str, Any] | None, shell: list[str] | None = None) -> list[str] | None:
    """The probe's argv, or None when there is no check (absent, [] or NONE)."""
    test = list((healthcheck or {}).get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return test[1:] or None
    if test[0] == "CMD-SHELL":
        return list(shell or ["/bin/sh", "-c"]) + [" ".join(test[1:])]
    return None


class HealthMonitor:
    def __init__(self, manager: ContainerManager, c: Container) -> None:
        self.manager = manager
        self.c = c
        hc = c.rec["Config"].get("Healthcheck") or {}
        self.cmd = probe_command(hc, c.rec["Config"].get("Shell"))
        self.interval = (hc.get("Interval") or DEFAULT_INTERVAL_NS) / 1e9
        self.timeout = (hc.get("Timeout") or DEFAULT_TIMEOUT_NS) / 1e9
        self.start_period = (hc.get("StartPeriod") or 0) / 1e9
        self.retries = hc.get("Retries") or DEFAULT_RETRIES
        self.task: asyncio.Task[None] | None = None

    def start(self, *, fresh: bool) -> None:
        if self.cmd is None:
            return
        if fresh or not self.c.state.get("Health"):
            self.c.state["Health"] = {"Status": "starting", "FailingStreak": 0, "Log": []}
        self.task = asyncio.ensure_future(self._loop())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _loop(self) -> None:
        started = time.monotonic()
        try:
            while self.c.running:
                await asyncio.sleep(self.interval)
                if not self.c.running:
                    return
                if self.c.state.get("Paused"):
                    continue
                await self._probe(in_start_period=time.monotonic() - started < self.start_period)
        except asyncio.CancelledError:
            pass
        except Exception:  # pragma: no cover - a broken probe must not take the daemon down
            log.exception("health monitor of %s failed", self.c.id[:12])

    async def _probe(self, *, in_start_period: bool) -> None:
        assert self.cmd is not None
        execs = self.manager.execs
        begin = rfc3339()
        eid = ""
        session: Any = None
        try:
            eid = execs.create(self.c.id, {"Cmd": self.cmd, "AttachStdout": True,
                                           "AttachStderr": True})
            session = await execs.start(eid, detach=False)
            output = await asyncio.wait_for(_collect(session), self.timeout)
            code = session.exit_code if session.exit_code is not None else -1
        except asyncio.TimeoutError:
            if session is not None and session.proc is not None and session.proc.returncode is None:
                session.proc.kill()
            code, output = -1, f"Health check exceeded timeout ({_seconds(self.timeout)})"
        except Exception as exc:
            code, output = -1, str(exc)
        finally:
            execs.sessions.pop(eid, None)
        health = self.c.state.setdefault("Health", {"Status": "starting", "FailingStreak": 0,
                                                    "Log": []})
        entry = {"Start": begin, "End": rfc3339(), "ExitCode": code, "Output": output}
        health["Log"] = (health.get("Log") or [])[-(MAX_LOG_ENTRIES - 1):] + [entry]
        old = health.get("Status")
        if code == 0:
            health["FailingStreak"] = 0
            health["Status"] = "healthy"
        elif not (in_start_period and old == "starting"):
            health["FailingStreak"] = int(health.get("FailingStreak") or 0) + 1
            if health["FailingStreak"] >= self.retries:
                health["Status"] = "unhealthy"
        self.manager._save(self.c)
        if health["Status"] != old:
            self.manager._event(self.c, f"health_status: {health['Status']}")


async def _collect(session: Any) -> str:
    proc = session.proc
    chunks: list[bytes] = []

    async def read(stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while data := await stream.read(4096):
            if sum(map(len, chunks)) < MAX_OUTPUT:
                chunks.append(data)

    await asyncio.gather(read(proc.stdout), read(proc.stderr))
    await session.done.wait()
    text = b"".join(chunks)[:MAX_OUTPUT].decode(errors="replace")
    if session.error:
        text += session.error
    return text


def _seconds(value: float) -> str:
    return f"{value:g}s"
