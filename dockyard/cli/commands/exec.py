"""``dockyard exec``: run a command in a running container, as docker's ``container exec``.

The sequence (docker's RunExec): create the exec (``POST /containers/{id}/exec``); with
``-d`` start it detached and print nothing; else hijack ``POST /exec/{id}/start``, resize
the pty (now and on SIGWINCH) with ``-t``, copy the streams until the daemon closes them,
then exit with the process's exit code from ``GET /exec/{id}/json`` — which is how a
command that cannot be run gives docker's 126/127: the daemon records them there.
"""

from __future__ import annotations

import sys

from dockyard.cli.command import Command, Context
from dockyard.cli.errors import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options
    from dockyard.client.api import Client

__all__ = ["EXEC", "exec_config"]


def _flags(fs: FlagSet) -> None:
    fs.add("detach", "d", bool, help="Detached mode: run command in the background")
    fs.add("detach-keys", None, str, help="Override the key sequence for detaching a container")
    fs.add("env", "e", list, help="Set environment variables")
    fs.add("env-file", None, list, help="Read in a file of environment variables")
    fs.add("interactive", "i", bool, help="Keep STDIN open even if not attached")
    fs.add("privileged", None, bool, help="Give extended privileges to the command")
    fs.add("tty", "t", bool, help="Allocate a pseudo-TTY")
    fs.add("user", "u", str, help="Username or UID (format: \"<name|uid>[:<group|gid>]\")")
    fs.add("workdir", "w", str, help="Working directory inside the container")


def exec_config(opts: Options, cmd: list[str]) -> dict[str, Any]:
    """The ``ExecConfig`` body docker sends (env files first, then ``-e``, as docker merges them)."""
    from dockyard.cli.containerconfig import _env_from_os, read_env_file

    env: list[str] = []
    for path in opts.env_file:
        env += read_env_file(path)
    env += [_env_from_os(e) for e in opts.env]
    detach = bool(opts.detach)
    config: dict[str, Any] = {
        "User": opts.user, "Privileged": bool(opts.privileged), "Tty": bool(opts.tty),
        "AttachStdin": bool(opts.interactive) and not detach, "AttachStdout": not detach,
        "AttachStderr": not detach, "DetachKeys": opts.detach_keys, "Env": env or None,
        "WorkingDir": opts.workdir, "Cmd": cmd,
    }
    if opts.tty:
        from dockyard.cli.stdio import terminal_size

        size = terminal_size()
        if size is not None:
            config["ConsoleSize"] = list(size)
    return config


def _resize(client: Client, exec_id: str) -> None:
    from dockyard.cli.stdio import terminal_size
    from dockyard.errors import DockyardError

    size = terminal_size()
    if size is not None:
        try:
            client.exec_resize(exec_id, *size)
        except (DockyardError, OSError):
            pass


def _exec(ctx: Context, opts: Options) -> int:
    ref, cmd = opts.args[0], opts.args[1:]
    if opts.tty and opts.interactive and not opts.detach and not (sys.stdin is not None and sys.stdin.isatty()):
        raise StatusError(1, "the input device is not a TTY")
    client = ctx.client
    exec_id = str(client.exec_create(ref, exec_config(opts, cmd))["Id"])
    if opts.detach:
        client.exec_start(exec_id, detach=True, tty=bool(opts.tty))
        return 0
    tty = bool(opts.tty)
    sock = client.exec_attach(exec_id, tty=tty)
    try:
        if tty and sys.stdout.isatty():
            import signal

            _resize(client, exec_id)
            signal.signal(signal.SIGWINCH, lambda *_: _resize(client, exec_id))
        from dockyard.cli.stdio import stream_attached

        stream_attached(sock, tty=tty, stdin=bool(opts.interactive))
    finally:
        sock.close()
    status = client.exec_inspect(exec_id).get("ExitCode")
    return int(status or 0)


EXEC = Command("exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",
               run=_exec, flags=_flags, args=("min", 2), interspersed=False, family="container")
