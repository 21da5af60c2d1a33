"""conmon: the small per-container monitor that outlives the daemon.

Why conmon: it holds the container's stdio, writes its log, records its exit code and
serves an attach socket, so ``kill -9`` of dockyardd loses nothing and a restarted daemon
re-adopts the container from files alone. The daemon starts one conmon per container:

    conmon (daemonizes) ──runc create──> container (created, waiting for ``runc start``)
       │  _OCI_SYNCPIPE: {"data": <pid>} or {"data": -1, "message": "<runc error>"}
       ├─ <bundle>/attach   SOCK_SEQPACKET; packets are [stream id][data] (2 stdout, 3 stderr);
       │                    bytes written to it go to the container's stdin
       ├─ <bundle>/ctl      fifo: "1 <rows> <cols>\\n" resizes the terminal
       ├─ <log>             CRI "k8s-file" lines (converted to Docker's json-file by logs.py)
       └─ <exit-dir>/<id>   the exit code, written when the container ends

Files for one container (``<cdir>`` = the container's directory, which is also the bundle)::

    <cdir>/config.json   OCI runtime spec          <cdir>/conmon.pid   the monitor's pid
    <cdir>/pidfile       the container's pid       <cdir>/ctr.log      conmon's log
    <exec_root>/sockets/<id> -> <cdir>            (keeps the attach path short)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from dataclasses import dataclass

from dockyard.errors import SystemError as DySystemError

__all__ = ["ConmonPaths", "spawn", "attach_socket", "resize", "conmon_alive"]

STDOUT = 2
STDERR = 3


@dataclass(frozen=True)
class ConmonPaths:
    exec_root: str
    runc_root: str

    @property
    def exits(self) -> str:
        return os.path.join(self.exec_root, "exits")

    @property
    def sockets(self) -> str:
        return os.path.join(self.exec_root, "sockets")

    def exit_file(self, cid: str) -> str:
        return os.path.join(self.exits, cid)

    def attach_path(self, cid: str) -> str:
        return os.path.join(self.sockets, cid, "attach")


class CreateError(DySystemError):
    """runc create failed; the message is runc's (the CLI maps it to 126/127)."""


async def spawn(paths: ConmonPaths, cid: str, name: str, bundle: str, *, log_path: str,
                stdin: bool, tty: bool, leave_stdin_open: bool = False,
                runtime: str | None = None) -> int:
    """Start conmon for a prepared bundle; returns the container's pid once it is created."""
    conmon = shutil.which("conmon") or "/usr/bin/conmon"
    runc = runtime or shutil.which("runc") or "/usr/bin/runc"
    args = [
        conmon, "--api-version", "1", "-c", cid, "-u", cid, "-r", runc, "-b", bundle,
        "-p", os.path.join(bundle, "pidfile"), "-n", name,
        "--exit-dir", paths.exits, "--socket-dir-path", paths.sockets,
        "-l", f"k8s-file:{log_path}", "--log-level", "error",
        "--runtime-arg", f"--root={paths.runc_root}",
        "--runtime-arg", "--log-format=json",
        "--runtime-arg", f"--log={os.path.join(bundle, 'runc.log')}",
        "--conmon-pidfile", os.path.join(bundle, "conmon.pid"),
        "--persist-dir", os.path.join(bundle, "persist"),
        "--syslog",
    ]
    if stdin:
        args.append("-i")
    if tty:
        args.append("-t")
    if leave_stdin_open:
        args.append("--leave-stdin-open")
    # conmon writes <persist>/exit (and oom) before the exit-dir file; a missing folder
    # makes it die before recording the exit at all.
    os.makedirs(os.path.join(bundle, "persist"), exist_ok=True)
    r, w = os.pipe()
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "_OCI_SYNCPIPE": str(w)}
        proc = await asyncio.create_subprocess_exec(
            *args, pass_fds=(w,), env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        os.close(w)
        w = -1
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise DySystemError(f"conmon failed: {err.decode(errors='replace').strip()}")
        data = await asyncio.get_running_loop().run_in_executor(None, _read_sync, r)
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)
    if not data:
        raise DySystemError("conmon exited without reporting the container's pid")
    msg = json.loads(data.splitlines()[0])
    pid = int(msg.get("data", -1))
    if pid <= 0:
        text = (msg.get("message") or "unknown error").strip()
        raise CreateError(f"OCI runtime create failed: {text}: unknown")
    return pid


def _read_sync(fd: int) -> bytes:
    buf = b""
    while b"\n" not in buf:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    return buf


def attach_socket(paths: ConmonPaths, cid: str) -> socket.socket:
    """Connect to conmon's attach socket.

    A unix socket path may hold 107 bytes; ``<exec_root>/sockets/<64-hex id>/attach`` passes
    that with an exec root of 30 characters or more, so the folder is opened and the socket
    reached through ``/proc/self/fd/<fd>/attach`` (as conmon itself binds it).
    """
    path = paths.attach_path(cid)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        if len(os.fsencode(path)) < 100:
            s.connect(path)
        else:
            fd = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
            try:
                s.connect(f"/proc/self/fd/{fd}/{os.path.basename(path)}")
            finally:
                os.close(fd)
    except OSError:
        s.close()
        raise
    s.setblocking(False)
    return s


def resize(bundle: str, height: int, width: int) -> None:
    """Tell conmon the terminal's new size through its control fifo."""
    ctl = os.path.join(bundle, "ctl")
    fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, f"1 {height} {width}\n".encode())
    finally:
        os.close(fd)


def conmon_alive(bundle: str) -> bool:
    try:
        with open(os.path.join(bundle, "conmon.pid")) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"conmon" in f.read()
    except OSError:
        return False
