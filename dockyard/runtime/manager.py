"""Containers: Docker's lifecycle (create, start, stop, kill, restart, wait, rm) over conmon+runc.

State machine (``State.Status``)::

    created ──start──> running ──(process ends)──> exited ──start──> running
       │                 │  ▲                          │
       │                 └──pause/unpause──> paused    │
       └──────────────── rm ──> removing ──> (gone) <──┘

The daemon is not a single point of failure: conmon supervises each container, so a
restarted daemon ``load``s the records from SQLite and re-adopts what still runs (conmon
alive), and records the exit code of what ended while it was away (conmon's exit file).

On-disk layout of one container::

    <data_root>/containers/<id>/
      config.json  pidfile  conmon.pid  runc.log  attach  ctl    (the OCI bundle, conmon's)
      rootfs/      overlayfs mount point (lowers = image layers, upper = diff/)
      diff/ work/  the writable layer
      hostname hosts resolv.conf
      ctr.log  <id>-json.log  <id>-json.log.pos                 (logs.py)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import shutil
import signal as signals
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from dockyard.errors import (
    Conflict,
    DockyardError,
    InvalidArgument,
    NotFound,
    NotModified,
)
from dockyard.events import Events
from dockyard.image.service import ImageService
from dockyard.oci.image import rfc3339
from dockyard.runtime import conmon, etcfiles, names, record, restart
from dockyard.runtime.exits import ExitWatcher, read_exit_code
from dockyard.runtime.health import HealthMonitor
from dockyard.runtime.logconfig import LogOptions, parse_log_config
from dockyard.runtime.logs import LogFile
from dockyard.runtime.runc import Runc
from dockyard.runtime.spec import SpecInputs, build_spec
from dockyard.runtime.user import resolve_user
from dockyard.store.metadata import Metadata
from dockyard.store.snapshots import Snapshotter

__all__ = ["Container", "ContainerManager", "EnginePaths", "parse_signal"]

log = logging.getLogger("dockyard.runtime")

_MIN_MEMORY = 6 * 1024 * 1024
_LOG_SYNC_EVERY = 5.0  # seconds between copies of running containers' output


@dataclass
class EnginePaths:
    data_root: str
    exec_root: str

    @property
    def containers(self) -> str:
        return os.path.join(self.data_root, "containers")

    @property
    def conmon(self) -> conmon.ConmonPaths:
        return conmon.ConmonPaths(self.exec_root, os.path.join(self.exec_root, "runc"))


@dataclass
class Container:
    """A container's record plus what only lives while the daemon runs (waiters, attaches)."""

    rec: dict[str, Any]
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    removed: asyncio.Event = field(default_factory=asyncio.Event)
    next_exit: list[asyncio.Future[int]] = field(default_factory=list)
    pending_attach: list[asyncio.Future[socket.socket]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    stopping: bool = False
    health: HealthMonitor | None = None
    restart_task: asyncio.Task[None] | None = None
    restart_delay: float = 0.0

    @property
    def id(self) -> str:
        return self.rec["Id"]

    @property
    def name(self) -> str:
        return self.rec["Name"].lstrip("/")

    @property
    def dir(self) -> str:
        return self.rec["_dy"]["dir"]

    @property
    def state(self) -> dict[str, Any]:
        return self.rec["State"]

    @property
    def running(self) -> bool:
        return bool(self.state.get("Running"))

    @property
    def tty(self) -> bool:
        return bool(self.rec["Config"].get("Tty"))

    @property
    def log_options(self) -> LogOptions:
        return parse_log_config(self.rec["HostConfig"].get("LogConfig"))

    def logfile(self) -> LogFile:
        opts = self.log_options
        # LogPath is empty for the local and none drivers (as Docker shows it); the
        # json-file still lives at its usual place for local
        path = self.rec["LogPath"] or os.path.join(self.dir, f"{self.id}-json.log")
        return LogFile(os.path.join(self.dir, "ctr.log"), path, max_size=opts.max_size,
                       max_file=opts.max_file, compress=opts.compress,
                       discard=not opts.readable)


def parse_signal(value: str | int | None, default: int = signals.SIGKILL) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, int):
        return value
    v = str(value).strip().upper()
    if v.isdigit():
        n = int(v)
        if n <= 0 or n > 64:
            raise InvalidArgument(f"Invalid signal: {value}")
        return n
    if not v.startswith("SIG"):
        v = "SIG" + v
    try:
        return int(getattr(signals, v))
    except AttributeError as exc:
        if v.startswith("SIGRTMIN") or v.startswith("SIGRTMAX"):
            pass
        raise InvalidArgument(f"Invalid signal: {value}") from exc


class ContainerManager:
    def __init__(self, *, meta: Metadata, images: ImageService, snapshots: Snapshotter,
                 paths: EnginePaths, events: Events) -> None:
        self.meta = meta
        self.images = images
        self.snapshots = snapshots
        self.paths = paths
        self.events = events
        self.runc = Runc(paths.conmon.runc_root)
        self.containers: dict[str, Container] = {}
        self._watcher = ExitWatcher(paths.conmon.exits, self._exit_file)
        self._tasks: set[asyncio.Task[Any]] = set()
        #: hooks other subsystems register (networking, volumes): called around start/stop
        self.start_hooks: list[Callable[[Container], Any]] = []
        self.stop_hooks: list[Callable[[Container], Any]] = []
        self.remove_hooks: list[Callable[[Container], Any]] = []
        self.mount_providers: list[Callable[[Container], Any]] = []
        self.create_hooks: list[Callable[[Container, dict[str, Any]], Any]] = []
        #: the ExecManager (health probes run as execs); set by the engine's wiring
        self.execs: Any = None

    # -- loading and re-adoption -------------------------------------------------------
    async def load(self) -> None:
        for d in (self.paths.containers, self.paths.conmon.exits, self.paths.conmon.sockets,
                  self.paths.conmon.runc_root):
            os.makedirs(d, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._watcher.start(loop)
        self._spawn(self._sync_logs())
        for row in self.meta.query("SELECT record FROM containers"):
            rec = json.loads(row["record"])
            c = Container(rec)
            self.containers[c.id] = c
        self._repair_dirs()
        for c in list(self.containers.values()):
            status = c.state.get("Status")
            if status == "removing":
                await self._finish_remove(c)
                continue
            if c.running:
                code = read_exit_code(self.paths.conmon.exit_file(c.id))
                if code is not None:
                    await self._handle_exit(c, code)
                elif not conmon.conmon_alive(c.dir):
                    await self._handle_exit(c, 255, error="container monitor (conmon) is gone")
                else:
                    log.info("re-adopted running container %s", c.id[:12])
                    self._start_health(c, fresh=False)
            else:
                c.exited.set()
        for cid in self._watcher.scan():
            self._exit_file(cid)
        for c in list(self.containers.values()):
            if c.state.get("Status") == "restarting":
                c.state.update({"Status": "exited", "Restarting": False})
            if not c.running and restart.start_on_boot(
                    c.rec["HostConfig"], manually_stopped=self._manually_stopped(c)):
                try:
                    await self.start(c.id)
                except DockyardError as exc:
                    log.warning("could not restart %s at boot: %s", c.id[:12], exc)

    async def _sync_log(self, c: Container) -> None:
        try:
            await asyncio.to_thread(c.logfile().sync)
        except (OSError, DockyardError) as exc:  # removed meanwhile, or a full disk
            log.info("log sync for %s: %s", c.id[:12], exc)

    async def _sync_logs(self) -> None:
        """Copy running containers' output to their json-files every few seconds, so
        rotation (``max-size``) bounds the disk even when nobody reads the logs."""
        while True:
            await asyncio.sleep(_LOG_SYNC_EVERY)
            for c in [c for c in self.containers.values() if c.running]:
                await self._sync_log(c)

    def _repair_dirs(self) -> None:
        """Container directories without a record are leftovers of a crash mid-create."""
        try:
            entries = os.listdir(self.paths.containers)
        except FileNotFoundError:
            return
        for name in entries:
            if name not in self.containers:
                d = os.path.join(self.paths.containers, name)
                Snapshotter.unmount(os.path.join(d, "rootfs"))
                shutil.rmtree(d, ignore_errors=True)

    async def close(self) -> None:
        self._watcher.close(asyncio.get_running_loop())
        for c in self.containers.values():
            if c.health is not None:
                c.health.stop()
            if c.restart_task is not None:
                c.restart_task.cancel()
        for t in list(self._tasks):
            t.cancel()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lookup -------------------------------------------------------------------------
    def get(self, ref: str) -> Container:
        """By full id, name (with or without ``/``) or unique id prefix, as Docker does."""
        if ref in self.containers:
            return self.containers[ref]
        name = ref.lstrip("/")
        for c in self.containers.values():
            if c.name == name:
                return c
        if ref:
            matches = [c for c in self.containers.values() if c.id.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise InvalidArgument(f"multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def users_of_image(self, image_id: str) -> list[tuple[str, bool]]:
        return [(c.id, c.running) for c in self.containers.values() if c.rec["Image"] == image_id]

    def _save(self, c: Container) -> None:
        with self.meta.tx() as db:
            db.execute("UPDATE containers SET record=?, name=? WHERE id=?",
                       (json.dumps(c.rec), c.name, c.id))

    def _event(self, c: Container, action: str, **extra: str) -> None:
        attrs = {"name": c.name, "image": c.rec["Config"].get("Image", "")}
        attrs.update({k: v for k, v in (c.rec["Config"].get("Labels") or {}).items()})
        attrs.update(extra)
        self.events.emit("container", action, c.id, attrs)

    # -- create -------------------------------------------------------------------------
    async def create(self, body: dict[str, Any], name: str | None) -> tuple[str, list[str]]:
        image_ref = body.get("Image") or ""
        if not image_ref:
            raise InvalidArgument("config error: no image specified")
        img = self.images.resolve(image_ref)
        image_cfg = self.images.config(img.id)
        host_config = dict(body.get("HostConfig") or {})
        warnings = self._validate_host_config(host_config)
        config = {k: v for k, v in body.items()
                  if k not in ("HostConfig", "NetworkingConfig", "Image")}
        merged = record.merge_image_config(config, image_cfg.get("config") or {})
        if not (merged.get("Entrypoint") or merged.get("Cmd")):
            raise InvalidArgument("No command specified")
        taken = {c.name for c in self.containers.values()}
        if name:
            name = names.validate(name)
            if name in taken:
                other = next(c for c in self.containers.values() if c.name == name)
                raise Conflict(
                    f'Conflict. The container name "/{name}" is already in use by container '
                    f'"{other.id}". You have to remove (or rename) that container to be able '
                    f"to reuse that name.")
        else:
            name = names.generate(taken)
        cid = secrets.token_hex(32)
        if not merged.get("Hostname"):
            # As Docker: a host-network container has the host's name, others their short id.
            host_net = (host_config.get("NetworkMode") or "") == "host"
            merged["Hostname"] = os.uname().nodename if host_net else cid[:12]
        merged.setdefault("Domainname", "")
        for key in ("AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin",
                    "StdinOnce"):
            merged[key] = bool(merged.get(key))
        cdir = os.path.join(self.paths.containers, cid)
        os.makedirs(cdir, mode=0o710)
        upper, work, merged_dir = Snapshotter.prepare(cdir)
        chain = self.images.top_chain(img.id)
        paths = {
            "dir": cdir, "upper": upper, "work": work, "merged": merged_dir,
            "lower": ":".join(self.snapshots.lowerdirs(chain)),
            "resolv": os.path.join(cdir, "resolv.conf"),
            "hostname": os.path.join(cdir, "hostname"),
            "hosts": os.path.join(cdir, "hosts"),
            "log": os.path.join(cdir, f"{cid}-json.log")
            if parse_log_config(host_config.get("LogConfig")).driver == "json-file" else "",
        }
        rec = record.new_record(
            cid=cid, name=name, image_id=img.id, image_ref=image_ref, config=merged,
            host_config=host_config, paths=paths, chain=chain,
            network_settings=_network_settings(host_config.get("NetworkMode") or "default"))
        c = Container(rec)
        try:
            for hook in self.create_hooks:
                res = hook(c, body)
                if asyncio.iscoroutine(res):
                    await res
            with self.meta.tx() as db:
                db.execute("INSERT INTO containers(id, name, image_id, created, record) "
                           "VALUES(?,?,?,?,?)",
                           (cid, name, img.id, time.time(), json.dumps(rec)))
        except BaseException:
            shutil.rmtree(cdir, ignore_errors=True)
            raise
        c.exited.set()
        self.containers[cid] = c
        self._event(c, "create")
        return cid, warnings

    @staticmethod
    def _validate_host_config(hc: dict[str, Any]) -> list[str]:
        warnings: list[str] = []
        mem = int(hc.get("Memory") or 0)
        if mem < 0:
            raise InvalidArgument("invalid memory limit")
        if 0 < mem < _MIN_MEMORY:
            raise InvalidArgument("Minimum memory limit allowed is 6MB")
        swap = int(hc.get("MemorySwap") or 0)
        if swap > 0 and mem and swap < mem:
            raise InvalidArgument(
                "Minimum memoryswap limit should be larger than memory limit, see usage")
        if hc.get("NanoCpus") and (hc.get("CpuQuota") or hc.get("CpuPeriod")):
            raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be "
                                  "set")
        nano = int(hc.get("NanoCpus") or 0)
        if nano < 0 or nano > (os.cpu_count() or 1) * 1_000_000_000:
            raise InvalidArgument(
                f"Range of CPUs is from 0.01 to {os.cpu_count() or 1}.00, as there are only "
                f"{os.cpu_count() or 1} CPUs available")
        mode = hc.get("NetworkMode") or "default"
        if mode not in ("default", "bridge", "host", "none") and not mode.startswith(
                "container:"):
            # user-defined networks arrive with the networking subsystem
            pass
        opts = parse_log_config(hc.get("LogConfig"))
        hc["LogConfig"] = {"Type": opts.driver,
                           "Config": dict((hc.get("LogConfig") or {}).get("Config") or {})}
        policy = (hc.get("RestartPolicy") or {}).get("Name") or "no"
        if policy not in ("", "no", "always", "unless-stopped", "on-failure"):
            raise InvalidArgument(f"invalid restart policy '{policy}'")
        retries = int((hc.get("RestartPolicy") or {}).get("MaximumRetryCount") or 0)
        if policy != "on-failure" and retries:
            raise InvalidArgument(f"maximum retry count cannot be used with restart policy "
                                  f"'{policy or 'no'}'")
        if retries < 0:
            raise InvalidArgument("maximum retry count cannot be negative")
        if hc.get("AutoRemove") and policy not in ("", "no"):
            raise InvalidArgument("conflicting options: cannot specify both --restart and --rm")
        return warnings

    # -- start --------------------------------------------------------------------------
    async def start(self, ref: str) -> None:
        c = self.get(ref)
        async with c.lock:
            if c.running:
                if c.state.get("Paused"):
                    raise Conflict("cannot start a paused container, try unpause instead")
                raise NotModified("container already running")
            if c.state.get("Status") == "removing":
                raise Conflict("container is marked for removal and cannot be started")
            error: BaseException | None = None
            self._cancel_restart(c)
            c.rec["_dy"]["manually_stopped"] = False
            try:
                await self._start_locked(c)
            except BaseException as exc:
                error = exc
        if error is not None:
            # As moby's containerStart: a --rm container that cannot start is removed, so
            # a client waiting for condition=removed is answered.
            if not c.running and c.rec["HostConfig"].get("AutoRemove"):
                try:
                    await self.remove(c.id, force=True)
                except NotFound:
                    pass
            raise error

    async def _start_locked(self, c: Container) -> None:
        cfg, hc = c.rec["Config"], c.rec["HostConfig"]
        rootfs = os.path.join(c.dir, "rootfs")
        chain = c.rec["_dy"].get("chain")
        self.snapshots.mount(chain, os.path.join(c.dir, "diff"), os.path.join(c.dir, "work"),
                             rootfs)
        try:
            user = resolve_user(rootfs, cfg.get("User") or "", hc.get("GroupAdd"))
            hostname = cfg.get("Hostname") or c.id[:12]
            host_net = hc.get("NetworkMode") == "host"
            if host_net:
                hostname = os.uname().nodename if not cfg.get("Hostname") else hostname
            extra_mounts: list[dict[str, Any]] = []
            netns: str | None = None
            # networking may name the address for /etc/hosts and the nameservers
            net_extra: dict[str, Any] = {}
            for hook in self.start_hooks:
                res = hook(c)
                if asyncio.iscoroutine(res):
                    res = await res
                if isinstance(res, dict):
                    netns = res.get("netns", netns)
                    extra_mounts += res.get("mounts", [])
                    net_extra.update({k: res[k] for k in ("hosts_ip", "nameservers",
                                                           "extra_hosts") if k in res})
            for provider in self.mount_providers:
                res = provider(c)
                if asyncio.iscoroutine(res):
                    res = await res
                extra_mounts += res or []
            etcfiles.write_hostname(c.rec["HostnamePath"], hostname)
            ip = net_extra.get("hosts_ip") or (
                (c.rec.get("NetworkSettings") or {}).get("IPAddress") or None)
            etcfiles.write_hosts(c.rec["HostsPath"], hostname=hostname, ip=ip,
                                 extra=net_extra.get("extra_hosts", hc.get("ExtraHosts")),
                                 host_network=host_net)
            etcfiles.write_resolv_conf(c.rec["ResolvConfPath"],
                                       dns=net_extra.get("nameservers") or hc.get("Dns"),
                                       search=hc.get("DnsSearch"), options=hc.get("DnsOptions"))
            spec = build_spec(SpecInputs(
                cid=c.id, config=cfg, host_config=hc, rootfs=rootfs, user=user,
                hostname=hostname, hostname_path=c.rec["HostnamePath"],
                hosts_path=c.rec["HostsPath"], resolv_path=c.rec["ResolvConfPath"],
                netns_path=netns, extra_mounts=extra_mounts))
            tmp = os.path.join(c.dir, "config.json.tmp")
            with open(tmp, "w") as f:
                json.dump(spec, f)
            os.replace(tmp, os.path.join(c.dir, "config.json"))
            for stale in (self.paths.conmon.exit_file(c.id),
                          os.path.join(self.paths.conmon.sockets, c.id)):
                if os.path.lexists(stale):
                    os.unlink(stale)
            await self.runc.delete(c.id) if os.path.exists(
                os.path.join(self.paths.conmon.runc_root, c.id)) else None
            c.exited.clear()
            try:
                pid = await conmon.spawn(
                    self.paths.conmon, c.id, c.name, c.dir,
                    log_path=os.path.join(c.dir, "ctr.log"), stdin=bool(cfg.get("OpenStdin")),
                    tty=bool(cfg.get("Tty")),
                    leave_stdin_open=bool(cfg.get("OpenStdin")) and not cfg.get("StdinOnce"))
            except conmon.CreateError as exc:
                code = _start_error_code(str(exc))
                self._set_exited(c, code, error=str(exc))
                raise (InvalidArgument(str(exc)) if code in (126, 127) else exc) from None
            # Attach clients waiting for this start are connected now, before the process
            # runs, so not a byte of its output is missed.
            waiting, c.pending_attach = c.pending_attach, []
            for fut in waiting:
                if fut.done():
                    continue
                try:
                    fut.set_result(conmon.attach_socket(self.paths.conmon, c.id))
                except OSError as exc:
                    fut.set_exception(exc)
            await self.runc.start(c.id)
        except BaseException as exc:
            if not c.running:
                waiting, c.pending_attach = c.pending_attach, []
                for fut in waiting:
                    if not fut.done():
                        fut.set_exception(ConnectionError("container did not start"))
                c.exited.set()
                Snapshotter.unmount(rootfs)
                await _best_effort(self.stop_hooks, c, "stop")
                if not isinstance(exc, DockyardError):
                    self._set_exited(c, 128, error=str(exc))
                self._save(c)
            raise
        st = c.state
        st.update({"Status": "running", "Running": True, "Paused": False, "Restarting": False,
                   "OOMKilled": False, "Dead": False, "Pid": pid, "ExitCode": 0, "Error": "",
                   "StartedAt": rfc3339(), "FinishedAt": record.ZERO_TIME})
        c.stopping = False
        self._start_health(c, fresh=True)
        self._save(c)
        self._event(c, "start")
        # A quick process may have ended while it was not yet marked running: its exit
        # file's inotify event was then ignored, so look once more now.
        self._exit_file(c.id)

    def _set_exited(self, c: Container, code: int, error: str = "") -> None:
        c.state.update({"Status": "exited", "Running": False, "Paused": False,
                        "Restarting": False, "Pid": 0, "ExitCode": code, "Error": error,
                        "FinishedAt": rfc3339()})

    # -- exits ----------------------------------------------------------------------------
    def _exit_file(self, cid: str) -> None:
        c = self.containers.get(cid)
        if c is None or not c.running:
            return
        code = read_exit_code(self.paths.conmon.exit_file(cid))
        if code is None:
            return
        self._spawn(self._handle_exit(c, code))

    async def _handle_exit(self, c: Container, code: int, error: str = "") -> None:
        if not c.running:
            return
        oom = os.path.exists(os.path.join(c.dir, "persist", "oom"))
        if c.health is not None:
            c.health.stop()
            c.health = None
        self._set_exited(c, code, error=error)
        c.state["OOMKilled"] = oom
        if not c.rec["HostConfig"].get("AutoRemove"):
            # The exit need not wait for it: a read of the logs syncs first anyway, and a
            # --rm container's logs go with it.
            self._spawn(self._sync_log(c))
        await self.runc.delete(c.id)
        Snapshotter.unmount(os.path.join(c.dir, "rootfs"))
        await _best_effort(self.stop_hooks, c, "stop")
        for stale in (self.paths.conmon.exit_file(c.id),
                      os.path.join(self.paths.conmon.sockets, c.id)):
            try:
                os.unlink(stale)
            except FileNotFoundError:
                pass
        self._save(c)
        if oom:
            self._event(c, "oom")
        self._event(c, "die", exitCode=str(code))
        c.exited.set()
        waiters, c.next_exit = c.next_exit, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(code)
        if c.rec["HostConfig"].get("AutoRemove"):
            try:
                await self.remove(c.id, force=True)
            except NotFound:
                pass
            return
        if restart.should_restart(c.rec["HostConfig"], code,
                                  manually_stopped=self._manually_stopped(c),
                                  restart_count=int(c.rec.get("RestartCount") or 0)):
            self._schedule_restart(c)

    # -- restart policies and health -------------------------------------------------------
    @staticmethod
    def _manually_stopped(c: Container) -> bool:
        return bool(c.rec["_dy"].get("manually_stopped"))

    def _schedule_restart(self, c: Container) -> None:
        from dockyard.oci.image import parse_rfc3339
        ran = time.time() - parse_rfc3339(c.state.get("StartedAt") or "")
        c.restart_delay = restart.next_delay(c.restart_delay, ran)
        c.state.update({"Status": "restarting", "Restarting": True})
        self._save(c)

        async def later() -> None:
            await asyncio.sleep(c.restart_delay)
            async with c.lock:
                if c.id not in self.containers or not c.state.get("Restarting"):
                    return
                c.rec["RestartCount"] = int(c.rec.get("RestartCount") or 0) + 1
                c.state["Restarting"] = False
                try:
                    await self._start_locked(c)
                except DockyardError as exc:
                    log.warning("restart of %s failed: %s", c.id[:12], exc)
                    self._set_exited(c, int(c.state.get("ExitCode") or 0), error=str(exc))
                    self._save(c)
            c.restart_task = None

        c.restart_task = asyncio.ensure_future(later())

    def _cancel_restart(self, c: Container) -> None:
        if c.restart_task is not None:
            c.restart_task.cancel()
            c.restart_task = None
        if c.state.get("Restarting") or c.state.get("Status") == "restarting":
            c.state.update({"Status": "exited", "Restarting": False})

    def _start_health(self, c: Container, *, fresh: bool) -> None:
        if c.health is not None:
            c.health.stop()
        c.health = None
        if self.execs is None:
            return
        monitor = HealthMonitor(self, c)
        if monitor.cmd is not None:
            c.health = monitor
            monitor.start(fresh=fresh)
        elif fresh:
            c.state.pop("Health", None)

    # -- pause / update ---------------------------------------------------------------------
    async def pause(self, ref: str) -> None:
        c = self.get(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.state.get("Paused"):
            raise Conflict(f"Container {c.id} is already paused")
        await self.runc.pause(c.id)
        c.state.update({"Paused": True, "Status": "paused"})
        self._save(c)
        self._event(c, "pause")

    async def unpause(self, ref: str) -> None:
        c = self.get(ref)
        if not c.state.get("Paused"):
            raise Conflict(f"Container {c.id} is not paused")
        await self.runc.resume(c.id)
        c.state.update({"Paused": False, "Status": "running"})
        self._save(c)
        self._event(c, "unpause")

    async def update(self, ref: str, body: dict[str, Any]) -> list[str]:
        """``docker update``: new limits in HostConfig, applied live through ``runc update``."""
        from dockyard.runtime.spec import resources
        c = self.get(ref)
        hc = dict(c.rec["HostConfig"])
        keys = ("Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares",
                "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit",
                "BlkioWeight", "KernelMemory", "RestartPolicy")
        for k in keys:
            # As moby: zero means "unchanged" (the CLI sends every field); PidsLimit is a
            # pointer there, so present means set (<= 0: unlimited).
            if k == "PidsLimit":
                if body.get(k) is not None:
                    hc[k] = body[k] if int(body[k]) > 0 else 0
                continue
            if k == "RestartPolicy":
                if (body.get(k) or {}).get("Name"):
                    hc[k] = body[k]
                continue
            if body.get(k):
                hc[k] = body[k]
        if hc.get("Memory") and not body.get("MemorySwap") and c.rec["HostConfig"].get(
                "MemorySwap") and int(hc["Memory"]) > int(c.rec["HostConfig"]["MemorySwap"]):
            raise InvalidArgument("Memory limit should be smaller than already set memoryswap "
                                  "limit, update the memoryswap at the same time")
        warnings = self._validate_host_config(hc)
        if (hc.get("RestartPolicy") or {}).get("Name") not in (None, "", "no") and hc.get(
                "AutoRemove"):
            raise InvalidArgument("Restart policy cannot be updated because AutoRemove is "
                                  "enabled for the container")
        if c.running:
            res = resources(hc, bool(hc.get("Privileged")))
            res.pop("devices", None)
            await self.runc.update(c.id, res)
        c.rec["HostConfig"] = hc
        self._save(c)
        self._event(c, "update")
        return warnings

    # -- stop / kill / restart ----------------------------------------------------------------
    async def kill(self, ref: str, sig: str | int | None = None) -> None:
        c = self.get(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        signum = parse_signal(sig)
        c.rec["_dy"]["manually_stopped"] = True
        try:
            await self.runc.kill(c.id, signum)
        except (Conflict, NotFound):
            pass
        self._event(c, "kill", signal=str(signum))   # before the die it causes, as Docker
        if signum == signals.SIGKILL:
            try:
                await asyncio.wait_for(c.exited.wait(), 10)
            except asyncio.TimeoutError:
                pass

    async def stop(self, ref: str, timeout: int | None = None, sig: str | None = None) -> None:
        c = self.get(ref)
        if c.state.get("Restarting") or c.state.get("Status") == "restarting":
            c.rec["_dy"]["manually_stopped"] = True
            self._cancel_restart(c)
            self._save(c)
            self._event(c, "stop")
            return
        if not c.running:
            raise NotModified("container already stopped")
        c.rec["_dy"]["manually_stopped"] = True
        cfg = c.rec["Config"]
        if timeout is None:
            timeout = cfg.get("StopTimeout")
            if timeout is None:
                timeout = 10
        signum = parse_signal(sig or cfg.get("StopSignal") or "SIGTERM")
        c.stopping = True
        if c.state.get("Paused"):
            await self.runc.resume(c.id)
            c.state["Paused"] = False
        try:
            await self.runc.kill(c.id, signum)
        except (Conflict, NotFound):
            pass
        self._event(c, "kill", signal=str(signum))
        if timeout < 0:
            await c.exited.wait()
        else:
            try:
                await asyncio.wait_for(c.exited.wait(), timeout)
            except asyncio.TimeoutError:
                try:
                    await self.runc.kill(c.id, signals.SIGKILL, all_procs=False)
                except (Conflict, NotFound):
                    pass
                self._event(c, "kill", signal=str(int(signals.SIGKILL)))
                await c.exited.wait()
        self._event(c, "stop")

    async def restart(self, ref: str, timeout: int | None = None) -> None:
        c = self.get(ref)
        if c.running:
            await self.stop(ref, timeout)
        async with c.lock:
            if not c.running:
                await self._start_locked(c)
        self._event(c, "restart")

    # -- wait ------------------------------------------------------------------------------
    def wait_future(self, ref: str, condition: str = "not-running") -> asyncio.Future[int]:
        """Register the wait now (so a following start cannot be missed); await it later."""
        c = self.get(ref)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        if condition in ("", "not-running"):
            if not c.running:
                fut.set_result(int(c.state.get("ExitCode") or 0))
            else:
                c.next_exit.append(fut)
        elif condition == "next-exit":
            c.next_exit.append(fut)
        elif condition == "removed":
            async def removed() -> None:
                await c.removed.wait()
                if not fut.done():
                    fut.set_result(int(c.state.get("ExitCode") or 0))
            self._spawn(removed())
        else:
            raise InvalidArgument(f"invalid condition: {condition!r}")
        return fut

    # -- remove -------------------------------------------------------------------------------
    async def remove(self, ref: str, *, force: bool = False, volumes: bool = False) -> None:
        c = self.get(ref)
        if c.state.get("Restarting") or c.state.get("Status") == "restarting":
            if not force:
                raise Conflict(f"You cannot remove a restarting container {c.id}. Stop the "
                               f"container before attempting removal or force remove")
            self._cancel_restart(c)
        if c.running:
            if not force:
                verb = "paused" if c.state.get("Paused") else "running"
                raise Conflict(
                    f"You cannot remove a {verb} container {c.id}. Stop the container before "
                    f"attempting removal or force remove")
            if c.state.get("Paused"):
                await self.runc.resume(c.id)
            try:
                await self.runc.kill(c.id, signals.SIGKILL)
            except (Conflict, NotFound):
                pass
            self._event(c, "kill", signal=str(int(signals.SIGKILL)))
            try:
                await asyncio.wait_for(c.exited.wait(), 15)
            except asyncio.TimeoutError:
                # conmon may be gone: clean up as if it exited
                await self._handle_exit(c, 137)
        if c.state.get("Status") == "removing" and c.removed.is_set():
            return
        c.state["Status"] = "removing"
        c.rec["_dy"]["remove_volumes"] = volumes   # saved with the state: a crash mid-rm -v resumes it
        self._save(c)
        await self._finish_remove(c)

    async def _finish_remove(self, c: Container) -> None:
        await self.runc.delete(c.id)
        Snapshotter.unmount(os.path.join(c.dir, "rootfs"))
        await _best_effort(self.remove_hooks, c, "remove")
        with self.meta.tx() as db:
            db.execute("DELETE FROM containers WHERE id=?", (c.id,))
        shutil.rmtree(c.dir, ignore_errors=True)
        self.containers.pop(c.id, None)
        self._event(c, "destroy")
        c.removed.set()
        for fut in c.next_exit:
            if not fut.done():
                fut.set_result(int(c.state.get("ExitCode") or 0))

    # -- attach --------------------------------------------------------------------------------
    async def attach_socket(self, c: Container) -> socket.socket:
        """conmon's attach socket, connected now if the container runs, else by its next start
        (before the process is let go, so an attach made before start misses no output)."""
        if c.running:
            return conmon.attach_socket(self.paths.conmon, c.id)
        fut: asyncio.Future[socket.socket] = asyncio.get_running_loop().create_future()
        c.pending_attach.append(fut)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                fut.result().close()
            raise

    # -- rename ---------------------------------------------------------------------------------
    def rename(self, ref: str, new_name: str) -> None:
        c = self.get(ref)
        new_name = names.validate(new_name)
        if any(o.name == new_name for o in self.containers.values() if o is not c):
            other = next(o for o in self.containers.values() if o.name == new_name)
            raise Conflict(f'Conflict. The container name "/{new_name}" is already in use by '
                           f'container "{other.id}". You have to remove (or rename) that '
                           f"container to be able to reuse that name.")
        old = c.name
        c.rec["Name"] = "/" + new_name
        self._save(c)
        self._event(c, "rename", oldName="/" + old)


async def _best_effort(hooks: list[Callable[[Container], Any]], c: Container, what: str) -> None:
    """Run stop/remove hooks: each one's failure is logged, none stops the others (the
    container is gone either way; what a hook could not undo its subsystem repairs later)."""
    for hook in hooks:
        try:
            res = hook(c)
            if asyncio.iscoroutine(res):
                await res
        except Exception:
            log.exception("%s hook failed for %s", what, c.id[:12])


def _start_error_code(message: str) -> int:
    if "executable file not found" in message or "no such file or directory" in message:
        return 127
    if "permission denied" in message:
        return 126
    return 128


def _network_settings(mode: str) -> dict[str, Any]:
    nets: dict[str, Any] = {}
    if mode in ("none", "host"):
        nets[mode] = {
            "IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": "",
            "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
            "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "MacAddress": "", "DriverOpts": None,
        }
    return {
        "Bridge": "", "SandboxID": "", "HairpinMode": False, "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0, "Ports": {}, "SandboxKey": "",
        "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None, "EndpointID": "",
        "Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "",
        "IPPrefixLen": 0, "IPv6Gateway": "", "MacAddress": "", "Networks": nets,
    }
