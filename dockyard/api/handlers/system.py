"""System endpoints: ``/_ping``, ``/version``, ``/info``, ``/events``."""

from __future__ import annotations

import asyncio
import json
import os
import platform
from typing import TYPE_CHECKING, Any, AsyncIterator

import dockyard
from dockyard.api.http import (MAX_API_VERSION, MIN_API_VERSION, JSONResponse, Request,
                               Response, StreamResponse)
from dockyard.api.router import Router
from dockyard.oci.image import arch, rfc3339

if TYPE_CHECKING:
    from dockyard.daemon.engine import Engine

_EVENT_FILTERS = frozenset({"config", "container", "daemon", "event", "image", "label", "network",
                            "node", "plugin", "scope", "secret", "service", "type", "volume"})

__all__ = ["register"]


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _mem_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def register(router: Router, engine: Engine) -> None:
    async def ping(req: Request) -> Response:
        return Response(b"OK", content_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "no-cache, no-store, must-revalidate",
                                 "Pragma": "no-cache"})

    async def version(req: Request) -> JSONResponse:
        kernel = platform.release()
        details = {"ApiVersion": MAX_API_VERSION, "Arch": arch(), "BuildTime": "",
                   "Experimental": "false", "GitCommit": "", "GoVersion": "python" +
                   platform.python_version(), "KernelVersion": kernel,
                   "MinAPIVersion": MIN_API_VERSION, "Os": "linux"}
        return JSONResponse({
            "Platform": {"Name": "Dockyard Engine"},
            "Components": [{"Name": "Engine", "Version": dockyard.__version__,
                            "Details": details},
                           {"Name": "runc", "Version": _runc_version(),
                            "Details": {"GitCommit": ""}}],
            "Version": dockyard.__version__, "ApiVersion": MAX_API_VERSION,
            "MinAPIVersion": MIN_API_VERSION, "GitCommit": "",
            "GoVersion": "python" + platform.python_version(), "Os": "linux", "Arch": arch(),
            "KernelVersion": kernel, "BuildTime": "",
        })

    async def info(req: Request) -> JSONResponse:
        cs = list(engine.containers.containers.values())
        running = sum(1 for c in cs if c.running and not c.state.get("Paused"))
        paused = sum(1 for c in cs if c.state.get("Paused"))
        data: dict[str, Any] = {
            "ID": _daemon_id(engine), "Containers": len(cs), "ContainersRunning": running,
            "ContainersPaused": paused, "ContainersStopped": len(cs) - running - paused,
            "Images": len(engine.images.list()), "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"],
                             ["Using metacopy", "false"], ["Native Overlay Diff", "true"],
                             ["userxattr", "false"]],
            "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "ipvlan",
                                                         "macvlan", "null"],
                        "Authorization": None, "Log": ["json-file"]},
            "MemoryLimit": True, "SwapLimit": True, "KernelMemory": False,
            "KernelMemoryTCP": False, "CpuCfsPeriod": True, "CpuCfsQuota": True,
            "CPUShares": True, "CPUSet": True, "PidsLimit": True, "IPv4Forwarding": True,
            "BridgeNfIptables": True, "BridgeNfIp6tables": True, "Debug": engine.config.debug,
            "NFd": len(os.listdir("/proc/self/fd")), "OomKillDisable": True,
            "NGoroutines": len(asyncio.all_tasks()), "SystemTime": rfc3339(),
            "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs", "CgroupVersion": "1",
            "NEventsListener": 0, "KernelVersion": platform.release(),
            "OperatingSystem": _os_name(), "OSVersion": "", "OSType": "linux",
            "Architecture": platform.machine(),
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "AllowNondistributableArtifactsCIDRs": [],
                "AllowNondistributableArtifactsHostnames": [],
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": [],
                                               "Secure": True, "Official": True}},
                "Mirrors": []},
            "NCPU": os.cpu_count() or 1, "MemTotal": _mem_total(), "GenericResources": None,
            "DockerRootDir": engine.config.data_root, "HttpProxy": "", "HttpsProxy": "",
            "NoProxy": "", "Name": platform.node(), "Labels": [], "ExperimentalBuild": False,
            "ServerVersion": dockyard.__version__,
            "Runtimes": {"runc": {"path": "runc"}}, "DefaultRuntime": "runc",
            "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
                      "ControlAvailable": False, "Error": "", "RemoteManagers": None},
            "LiveRestoreEnabled": True, "Isolation": "", "InitBinary": "docker-init",
            "ContainerdCommit": {"ID": "", "Expected": ""},
            "RuncCommit": {"ID": "", "Expected": ""}, "InitCommit": {"ID": "", "Expected": ""},
            "SecurityOptions": ["name=seccomp,profile=builtin"], "Warnings": None,
        }
        return JSONResponse(data)

    async def events(req: Request) -> StreamResponse:
        # As moby's getEvents: buffered events between since and until first (until alone
        # means "everything kept, up to until"), then live ones; an until in the past ends
        # the stream after the buffered ones, one in the future when it is reached.
        import time
        from dockyard.api.handlers.events_filter import event_matcher, parse_time_ns
        from dockyard.errors import InvalidArgument
        since = parse_time_ns(req.q("since"))
        until = parse_time_ns(req.q("until"))
        if until and until < since:
            raise InvalidArgument(f"`since` time ({req.q('since')}) cannot be after `until` "
                                  f"time ({req.q('until')})")
        filters = req.qfilters()
        for key in filters:
            if key not in _EVENT_FILTERS:  # moby validates the keys (filters.Validate)
                raise InvalidArgument(f"invalid filter '{key}'")
        match = event_matcher(filters)
        only_past = bool(until) and until < time.time_ns()
        q = engine.events.subscribe()
        buffered = [m for m in engine.events.recent(since, until) if match(m)] \
            if (since or until) else []

        async def gen() -> AsyncIterator[bytes]:
            try:
                for msg in buffered:
                    yield (json.dumps(msg) + "\n").encode()
                if only_past:
                    return
                while True:
                    if until:
                        remaining = until / 1e9 - time.time()
                        if remaining <= 0:
                            return
                        try:
                            msg = await asyncio.wait_for(q.get(), remaining)
                        except asyncio.TimeoutError:
                            return
                    else:
                        msg = await q.get()
                    if match(msg):
                        yield (json.dumps(msg) + "\n").encode()
            finally:
                engine.events.unsubscribe(q)

        return StreamResponse(gen())

    router.add("GET", "/_ping", ping)
    router.add("HEAD", "/_ping", ping)
    router.add("GET", "/version", version)
    router.add("GET", "/info", info)
    router.add("GET", "/events", events)


def _daemon_id(engine: Engine) -> str:
    value = engine.meta.kv_get("daemon", "id")
    if not value:
        import uuid
        value = str(uuid.uuid4()).upper()
        engine.meta.kv_set("daemon", "id", value)
    return value


_RUNC_VERSION: list[str] = []


def _runc_version() -> str:
    if not _RUNC_VERSION:
        import subprocess
        try:
            out = subprocess.run(["runc", "--version"], capture_output=True, text=True,
                                 timeout=5).stdout
            _RUNC_VERSION.append(out.split()[2] if out else "")
        except (OSError, IndexError, subprocess.TimeoutExpired):
            _RUNC_VERSION.append("")
    return _RUNC_VERSION[0]
