"""Exec sessions: a second process in a running container (``docker exec``).

Lifecycle, as Docker's (``/containers/{id}/exec`` creates, ``/exec/{id}/start`` runs)::

    create ──> (inspect: Running false, ExitCode null) ──start──> running ──> exited (ExitCode)

The process joins the container's namespaces and cgroups through ``runc exec`` with a
process spec derived from the container's own (its env, user resolution against the
container's /etc/passwd, capabilities), then the exec's overrides. ``runc exec`` runs in the
foreground as the daemon's child: for a TTY its stdio is a pseudo-terminal the daemon holds
(runc proxies it to the console it makes inside the container, and resizes that console on
SIGWINCH); otherwise plain pipes. An exec session lives as long as the daemon: unlike a
container it is not re-adopted after a daemon restart (its process is killed with runc).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import secrets
import signal
import struct
import termios
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Conflict, InvalidArgument, NotFound
from dockyard.runtime import caps as capset
from dockyard.runtime.spec import process_env
from dockyard.runtime.user import resolve_user

__all__ = ["ExecSession", "ExecManager"]

log = logging.getLogger("dockyard.runtime")


@dataclass
class ExecSession:
    id: str
    container_id: str
    config: dict[str, Any]
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    proc: asyncio.subprocess.Process | None = None
    master_fd: int = -1
    done: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False
    runc_log: str = ""
    error: str = ""

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    def inspect(self) -> dict[str, Any]:
        cmd = list(self.config.get("Cmd") or [])
        return {
            "ID": self.id, "Running": self.running, "ExitCode": self.exit_code,
            "ProcessConfig": {"tty": self.tty, "entrypoint": cmd[0] if cmd else "",
                              "arguments": cmd[1:], "privileged": bool(self.config.get("Privileged")),
                              "user": self.config.get("User") or ""},
            "OpenStdin": bool(self.config.get("AttachStdin")),
            "OpenStderr": bool(self.config.get("AttachStderr")),
            "OpenStdout": bool(self.config.get("AttachStdout")),
            "CanRemove": False, "ContainerID": self.container_id,
            "DetachKeys": self.config.get("DetachKeys") or "", "Pid": self.pid,
        }

    def resize(self, height: int, width: int) -> None:
        if self.master_fd < 0:
            return
        fcntl.ioctl(self.master_fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        if self.proc is not None and self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGWINCH)  # runc resizes the container's console


def _runc_error(log_path: str) -> str:
    """The last error runc logged (JSON lines), or ""."""
    msg = ""
    try:
        with open(log_path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("level") == "error":
                    msg = str(entry.get("msg") or "")
    except OSError:
        return ""
    return msg


class ExecManager:
    def __init__(self, containers: Any) -> None:
        self.containers = containers   # ContainerManager
        self.sessions: dict[str, ExecSession] = {}

    def get(self, exec_id: str) -> ExecSession:
        s = self.sessions.get(exec_id)
        if s is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return s

    def create(self, ref: str, body: dict[str, Any]) -> str:
        c = self.containers.get(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.state.get("Paused"):
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        cmd = body.get("Cmd")
        if not cmd or not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
            raise InvalidArgument("No exec command specified")
        exec_id = secrets.token_hex(32)
        self.sessions[exec_id] = ExecSession(exec_id, c.id, dict(body))
        c.rec.setdefault("ExecIDs", None)
        c.rec["ExecIDs"] = (c.rec["ExecIDs"] or []) + [exec_id]
        return exec_id

    def _process_spec(self, s: ExecSession) -> dict[str, Any]:
        c = self.containers.get(s.container_id)
        with open(os.path.join(c.dir, "config.json")) as f:
            spec = json.load(f)
        base = spec["process"]
        cfg = s.config
        rootfs = os.path.join(c.dir, "rootfs")
        user_spec = cfg.get("User") or c.rec["Config"].get("User") or ""
        user = resolve_user(rootfs, user_spec, c.rec["HostConfig"].get("GroupAdd"))
        env_cfg = dict(c.rec["Config"])
        env_cfg["Env"] = list(c.rec["Config"].get("Env") or []) + list(cfg.get("Env") or [])
        env_cfg["Tty"] = bool(cfg.get("Tty"))
        process = dict(base)
        process.update({
            "terminal": bool(cfg.get("Tty")),
            "args": list(cfg["Cmd"]),
            "env": process_env(env_cfg, c.rec["Config"].get("Hostname") or c.id[:12], user),
            "cwd": cfg.get("WorkingDir") or base.get("cwd") or "/",
            "user": {"uid": user.uid, "gid": user.gid},
        })
        if user.additional_gids:
            process["user"]["additionalGids"] = list(user.additional_gids)
        process.pop("consoleSize", None)
        if cfg.get("Privileged"):
            caps = sorted(capset.host_caps())
            process["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
        return process

    async def start(self, exec_id: str, *, detach: bool, tty_size: tuple[int, int] | None = None
                    ) -> ExecSession:
        s = self.get(exec_id)
        if s.started:
            raise Conflict(f"Exec {exec_id} has already run")  # moby: "is already running"
        c = self.containers.get(s.container_id)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        s.started = True
        process = self._process_spec(s)
        path = os.path.join(c.dir, f"exec-{exec_id[:16]}.json")
        with open(path, "w") as f:
            json.dump(process, f)
        # runc's own errors go to a log file, so the process's stderr stays its own and a
        # failed start (exit 255 + "exec failed") can be told from the process's exit.
        s.runc_log = path[:-5] + ".log"
        args = [self.containers.runc.binary, "--root", self.containers.runc.root,
                "--log", s.runc_log, "--log-format", "json", "exec", "--process", path]
        if s.tty:
            args.append("-t")
        args.append(c.id)
        slave = -1
        try:
            if s.tty:
                s.master_fd, slave = os.openpty()
                if tty_size:
                    s.resize(*tty_size)
                stdio: dict[str, Any] = {"stdin": slave, "stdout": slave, "stderr": slave}
            elif detach:
                stdio = {"stdin": asyncio.subprocess.DEVNULL, "stdout": asyncio.subprocess.DEVNULL,
                         "stderr": asyncio.subprocess.DEVNULL}
            else:
                stdio = {"stdin": asyncio.subprocess.PIPE if s.config.get("AttachStdin")
                         else asyncio.subprocess.DEVNULL,
                         "stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.PIPE}
            s.proc = await asyncio.create_subprocess_exec(*args, start_new_session=True, **stdio)
        except BaseException:
            s.running = False
            s.exit_code = 126
            s.done.set()
            raise
        finally:
            if slave >= 0:
                os.close(slave)
        s.running = True
        s.pid = s.proc.pid
        self.containers._spawn(self._reap(s, path))
        return s

    async def _reap(self, s: ExecSession, spec_path: str) -> None:
        assert s.proc is not None
        code = await s.proc.wait()
        s.exit_code = code if code >= 0 else 128 - code
        if code == 255:
            err = _runc_error(s.runc_log)
            if err:
                # As moby: an exec that could not start has exit code 126 and its error
                # is told on the attached stream.
                s.error = f"OCI runtime exec failed: {err}: unknown"
                s.exit_code = 126
        s.running = False
        s.done.set()
        for leftover in (spec_path, s.runc_log):
            try:
                os.unlink(leftover)
            except OSError:
                pass
        self.containers._event(self.containers.get(s.container_id), "exec_die",
                               execID=s.id, exitCode=str(s.exit_code)) \
            if s.container_id in self.containers.containers else None

    def forget_container(self, cid: str) -> None:
        for eid in [e for e, s in self.sessions.items() if s.container_id == cid]:
            s = self.sessions.pop(eid)
            if s.proc is not None and s.proc.returncode is None:
                try:
                    s.proc.kill()
                except ProcessLookupError:
                    pass
