"""``dockyard run`` and ``dockyard create``.

A foreground ``run`` follows docker's sequence, whose order matters:

1. create (an unknown image prints "Unable to find image 'x:latest' locally" and tries a
   pull, whose error — there is no registry yet — is the run's error, exit 125);
2. attach (``stream=1``, stdout/stderr, stdin with ``-i``) *before* start, so no output is lost;
3. wait (``condition=next-exit``, or ``removed`` with ``--rm``), also before start, so a
   container that exits at once cannot be missed (the daemon registers it when it answers);
4. start; with ``-t`` resize the tty now and on every SIGWINCH;
5. copy the streams until the daemon closes them, then exit with the container's status.

``-d`` is create + start + print the full id. Without ``-t``, signals sent to the CLI are
forwarded to the container (``--sig-proxy``, default on), as docker does.
"""

from __future__ import annotations

import sys

from dockyard.cli.command import MIN1, Command, Context
from dockyard.cli.containerconfig import add_create_flags, build_create_body
from dockyard.cli.errors import StatusError, describe, start_failure_status
from dockyard.errors import DockyardError, NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options
    from dockyard.client.api import Client

__all__ = ["RUN", "CREATE", "create_container", "tagged_name"]

_PROXIED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def tagged_name(ref: str) -> str:
    """docker's FamiliarString(TagNameOnly(ref)): ``busybox`` → ``busybox:latest``."""
    if "@" in ref or ":" in ref.rsplit("/", 1)[-1]:
        return ref
    return f"{ref}:latest"


def _pull(client: Client, ref: str) -> None:
    image, _, tag = tagged_name(ref).rpartition(":") if "@" not in ref else (ref, "", "")
    r = client._call("POST", "/images/create", query={"fromImage": image, "tag": tag or None}, stream=True)
    with r:
        for msg in r.iter_json():
            if isinstance(msg, dict) and msg.get("error"):
                raise DockyardError(msg["error"])


def create_container(ctx: Context, opts: Options, *, attach: bool) -> str:
    """Create the container the flags describe (pulling a missing image the docker way); its id."""
    body, image = build_create_body(opts, attach=attach)
    client = ctx.client
    try:
        reply = client.container_create(body, name=opts.name or None, platform=opts.platform or None)
    except NotFound as exc:
        if "No such image" not in str(exc) or opts.pull == "never":
            raise
        ctx.warn(f"Unable to find image '{tagged_name(image)}' locally")
        _pull(client, image)
        reply = client.container_create(body, name=opts.name or None, platform=opts.platform or None)
    for warning in reply.get("Warnings") or ():
        ctx.warn(f"WARNING: {warning}")
    return str(reply["Id"])


def _start(ctx: Context, cid: str) -> None:
    """Start, mapping a failure to docker's 125/126/127.

    With ``--rm`` the container is the daemon's to remove when its start fails (moby does);
    the CLI does not remove it itself.
    """
    try:
        ctx.client.container_start(cid)
    except DockyardError as exc:
        raise StatusError(start_failure_status(str(exc)),
                          f"dockyard: {describe(exc)}\n\nRun 'dockyard run --help' for more information") from exc


def _resize(client: Client, cid: str) -> None:
    from dockyard.cli.stdio import terminal_size

    size = terminal_size()
    if size is not None:
        try:
            client.container_resize(cid, *size)
        except (DockyardError, OSError):
            pass


def _install_signal_handlers(ctx: Context, cid: str, *, tty: bool, sig_proxy: bool) -> None:
    import signal

    client = ctx.client
    if tty and sys.stdout.isatty():
        signal.signal(signal.SIGWINCH, lambda *_: _resize(client, cid))
    if tty or not sig_proxy:
        return

    def forward(signum: int, _frame: Any) -> None:
        try:
            client.container_kill(cid, signal.Signals(signum).name)
        except (DockyardError, OSError):
            pass

    for name in _PROXIED:
        signal.signal(getattr(signal, name), forward)


def attach_and_wait(ctx: Context, cid: str, *, tty: bool, stdin: bool, condition: str,
                    start: Any = None, proxy: bool = True, detach_keys: str | None = None) -> int:
    """Attach, register the wait, run ``start()`` (if any), stream, and return the exit status.

    ``detach_keys`` goes to the daemon, which watches stdin for the sequence (as moby does).
    """
    client = ctx.client
    sock = client.container_attach(cid, stdin=stdin, stdout=True, stderr=True, stream=True,
                                   detach_keys=detach_keys)
    try:
        waiting = client.container_wait_response(cid, condition)
        if start is not None:
            start()
        if tty:
            _resize(client, cid)
        _install_signal_handlers(ctx, cid, tty=tty, sig_proxy=proxy)
        from dockyard.cli.stdio import stream_attached

        stream_attached(sock, tty=tty, stdin=stdin)
    finally:
        sock.close()
    with waiting:
        # the first JSON line is the answer: the daemon ends the chunked body a little
        # later, and the exit status need not wait for that
        result = next(waiting.iter_json(), None) or {}
    error = (result.get("Error") or {}).get("Message") if isinstance(result.get("Error"), dict) else None
    if error:
        raise StatusError(125, error)
    return int(result.get("StatusCode", 0))


def _check_tty(opts: Options, detach: bool) -> None:
    """docker's CheckTty: ``-it`` needs a terminal on our stdin (``-t`` alone does not)."""
    if opts.tty and opts.interactive and not detach and not (sys.stdin is not None and sys.stdin.isatty()):
        raise StatusError(1, "the input device is not a TTY")


def _run(ctx: Context, opts: Options) -> int:
    detach = bool(opts.detach)
    _check_tty(opts, detach)
    cid = create_container(ctx, opts, attach=not detach)
    if detach:
        _start(ctx, cid)
        ctx.print(cid)
        return 0
    condition = "removed" if opts.rm else "next-exit"
    return attach_and_wait(ctx, cid, tty=bool(opts.tty), stdin=bool(opts.interactive), condition=condition,
                           start=lambda: _start(ctx, cid), proxy=bool(opts.sig_proxy),
                           detach_keys=opts.detach_keys or None)


def _create(ctx: Context, opts: Options) -> int:
    ctx.print(create_container(ctx, opts, attach=False))
    return 0


def _run_flags(fs: FlagSet) -> None:
    add_create_flags(fs)
    fs.add("detach", "d", bool, help="Run container in background and print container ID")
    fs.add("sig-proxy", None, bool, default=True, help="Proxy received signals to the process")
    fs.add("detach-keys", None, str, help="Override the key sequence for detaching a container")


RUN = Command("run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image",
              run=_run, flags=_run_flags, args=MIN1, interspersed=False, family="container", add_help=False,
              program_errors=True)
CREATE = Command("create", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", run=_create,
                 flags=add_create_flags, args=MIN1, interspersed=False, family="container", add_help=False,
                 program_errors=True)
