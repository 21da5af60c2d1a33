"""Container lifecycle verbs: ``start``, ``stop``, ``kill``, ``restart``, ``wait``, ``rm``, ``attach``.

All but ``start -a`` and ``attach`` follow docker's many-containers pattern: act on each
argument in turn, print the argument on success, print the daemon's error on stderr and
carry on, and exit 1 if any failed.
"""

from __future__ import annotations

from dockyard.cli.command import EXACT1, MIN1, Command, Context, run_each
from dockyard.cli.errors import StatusError, describe
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.flags import FlagSet, Options

__all__ = ["START", "STOP", "KILL", "RESTART", "WAIT", "RM", "ATTACH"]


def _check_signal(text: str) -> str:
    from dockyard.cli.units import parse_signal

    parse_signal(text)  # docker validates client-side: "Invalid signal: X"
    return text


# --- start ----------------------------------------------------------------------------------------

def _start_flags(fs: FlagSet) -> None:
    fs.add("attach", "a", bool, help="Attach STDOUT/STDERR and forward signals")
    fs.add("detach-keys", None, str, help="Override the key sequence for detaching a container")
    fs.add("interactive", "i", bool, help="Attach container's STDIN")


def _start(ctx: Context, opts: Options) -> int:
    client = ctx.client
    if opts.attach or opts.interactive:
        if len(opts.args) > 1:
            raise StatusError(1, "you cannot start and attach multiple containers at once")
        ref = opts.args[0]
        info = client.container_inspect(ref)
        from dockyard.cli.commands.run import attach_and_wait

        cid = info["Id"]
        tty = bool(info.get("Config", {}).get("Tty"))
        return attach_and_wait(ctx, cid, tty=tty, stdin=bool(opts.interactive), condition="next-exit",
                               start=lambda: client.container_start(cid), detach_keys=opts.detach_keys or None)
    failed = []
    for ref in opts.args:
        try:
            client.container_start(ref)
        except DockyardError as exc:
            ctx.warn(describe(exc))
            failed.append(ref)
            continue
        ctx.print(ref)
    if failed:
        raise StatusError(1, f"Error: failed to start containers: {', '.join(failed)}")
    return 0


START = Command("start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
                run=_start, flags=_start_flags, args=MIN1, family="container")


# --- stop / restart / kill -------------------------------------------------------------------------

def _stop_flags(fs: FlagSet) -> None:
    fs.add("signal", "s", str, help="Signal to send to the container")
    fs.add("timeout", "t", int, help="Seconds to wait before killing the container")
    fs.add("time", None, int, deprecated="use --timeout instead", dest="timeout")


def _stop(ctx: Context, opts: Options) -> int:
    timeout = opts.timeout if opts.is_set("timeout") or opts.is_set("time") else None
    signal = _check_signal(opts.signal) if opts.signal else None
    return run_each(ctx, opts.args, lambda ref: ctx.client.container_stop(ref, timeout, signal))


def _restart(ctx: Context, opts: Options) -> int:
    timeout = opts.timeout if opts.is_set("timeout") or opts.is_set("time") else None
    signal = _check_signal(opts.signal) if opts.signal else None
    return run_each(ctx, opts.args, lambda ref: ctx.client.container_restart(ref, timeout, signal))


def _kill_flags(fs: FlagSet) -> None:
    fs.add("signal", "s", str, help="Signal to send to the container")


def _kill(ctx: Context, opts: Options) -> int:
    signal = _check_signal(opts.signal) if opts.signal else None
    return run_each(ctx, opts.args, lambda ref: ctx.client.container_kill(ref, signal))


STOP = Command("stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
               run=_stop, flags=_stop_flags, args=MIN1, family="container")
RESTART = Command("restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
                  run=_restart, flags=_stop_flags, args=MIN1, family="container")
KILL = Command("kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
               run=_kill, flags=_kill_flags, args=MIN1, family="container")


# --- wait -----------------------------------------------------------------------------------------

def _wait(ctx: Context, opts: Options) -> int:
    def wait_one(ref: str) -> str:
        return str(ctx.client.container_wait(ref).get("StatusCode", 0))

    return run_each(ctx, opts.args, wait_one)


WAIT = Command("wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes",
               run=_wait, args=MIN1, family="container")


# --- rm -------------------------------------------------------------------------------------------

def _rm_flags(fs: FlagSet) -> None:
    fs.add("force", "f", bool, help="Force the removal of a running container (uses SIGKILL)")
    fs.add("link", "l", bool, help="Remove the specified link")
    fs.add("volumes", "v", bool, help="Remove anonymous volumes associated with the container")


def _rm(ctx: Context, opts: Options) -> int:
    # docker: "rm -f" of a missing container is not an error
    return run_each(ctx, opts.args, lambda ref: ctx.client.container_remove(
        ref, force=bool(opts.force), volumes=bool(opts.volumes)), missing_ok=bool(opts.force))


RM = Command("rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", run=_rm, flags=_rm_flags,
             args=MIN1, aliases=("remove",), family="container")


# --- attach ---------------------------------------------------------------------------------------

def _attach_flags(fs: FlagSet) -> None:
    fs.add("detach-keys", None, str, help="Override the key sequence for detaching a container")
    fs.add("no-stdin", None, bool, help="Do not attach STDIN")
    fs.add("sig-proxy", None, bool, default=True, help="Proxy all received signals to the process")


def _attach(ctx: Context, opts: Options) -> int:
    from dockyard.cli.commands.run import attach_and_wait

    info = ctx.client.container_inspect(opts.args[0])
    if not info.get("State", {}).get("Running"):
        raise StatusError(1, "You cannot attach to a stopped container, start it first")
    cfg = info.get("Config", {})
    return attach_and_wait(ctx, info["Id"], tty=bool(cfg.get("Tty")),
                           stdin=bool(cfg.get("OpenStdin")) and not opts.no_stdin, condition="next-exit",
                           proxy=bool(opts.sig_proxy), detach_keys=opts.detach_keys or None)


ATTACH = Command("attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container",
                 run=_attach, flags=_attach_flags, args=EXACT1, family="container")
