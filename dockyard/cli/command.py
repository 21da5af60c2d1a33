"""The shape of one CLI command, and the context every command runs in.

A command is declared once, as data, in its module under ``dockyard/cli/commands``::

    STOP = Command("stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
                   flags=_flags, args=MIN1, run=_stop, family="container")

``main`` finds it by name, imports only that module, and calls :meth:`Command.invoke`:
parse the flags (docker's pflag grammar, see :mod:`dockyard.cli.flags`), print ``--help``,
check the positional count with cobra's texts, then call ``run(ctx, opts)``. A command
returns its exit status (``None`` is 0) or raises; :mod:`dockyard.cli.errors` turns raised
errors into text and status.

:class:`Context` holds what commands share: the program name, the output streams and the
daemon :class:`~dockyard.client.api.Client`, made on first use — ``dockyard --help`` and
flag errors never touch the daemon, and a command that needs it starts it when none runs.
"""

from __future__ import annotations

import sys

from dockyard.cli.errors import StatusError
from dockyard.cli.flags import FlagError, FlagSet, HelpRequested

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TextIO

    from dockyard.cli.flags import Options
    from dockyard.client.api import Client

__all__ = ["PROG", "Command", "Context", "EXACT1", "MIN1", "NOARGS", "ArgSpec"]

PROG = "dockyard"

ArgSpec = tuple  # ("exact", n) | ("min", n) | ("max", n) | ("range", lo, hi) | ()
NOARGS: ArgSpec = ("exact", 0)
EXACT1: ArgSpec = ("exact", 1)
MIN1: ArgSpec = ("min", 1)


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"


class Context:
    """Per-invocation state: streams, the daemon address, and the client (lazily connected)."""

    def __init__(self, hosts: list[str] | None = None, *, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.hosts = hosts or []
        self.out: TextIO = out or sys.stdout
        self.err: TextIO = err or sys.stderr
        self._client: Client | None = None

    @property
    def host(self) -> str:
        from dockyard.client.autostart import resolve_host

        return resolve_host(self.hosts)

    @property
    def client(self) -> Client:
        """The daemon client; the first use makes sure a daemon answers (starting one if need be)."""
        if self._client is None:
            from dockyard.client.api import Client
            from dockyard.client.autostart import ensure_daemon

            host = self.host
            ensure_daemon(host)
            self._client = Client(host)
        return self._client

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(text + "\n")


class Command:
    """One command: its use line, one-line description, flags, positional rule and handler.

    ``family`` names the management command it belongs to (``container``, ``image``) and
    ``family_name`` its name there (``ps`` is ``container ls``): its help lists those among the
    aliases, as docker's does.
    """

    __slots__ = ("name", "usage", "short", "flags", "args", "run", "interspersed", "aliases",
                 "family", "family_name", "add_help", "program_errors")

    def __init__(
        self,
        name: str,
        usage: str,
        short: str,
        *,
        run: Callable[[Context, Options], int | None],
        flags: Callable[[FlagSet], None] | None = None,
        args: ArgSpec = (),
        interspersed: bool = True,
        aliases: Sequence[str] = (),
        family: str = "",
        family_name: str = "",
        add_help: bool = True,
        program_errors: bool = False,
    ) -> None:
        self.name = name
        self.usage = usage
        self.short = short
        self.flags = flags
        self.args = args
        self.run = run
        self.interspersed = interspersed
        self.aliases = tuple(aliases)
        self.family = family
        self.family_name = family_name or name  # its name under the family: ps is "container ls"
        self.add_help = add_help
        self.program_errors = program_errors  # run/create: "dockyard: Error..." + trailer, exit 125

    def flagset(self) -> FlagSet:
        fs = FlagSet(self.name, interspersed=self.interspersed, add_help=self.add_help)
        if not self.add_help:  # the command uses -h itself (run -h is --hostname)
            fs.add("help", None, bool, help="Print usage", hidden=True)
        if self.flags is not None:
            self.flags(fs)
        return fs

    def help_text(self, path: str, fs: FlagSet | None = None) -> str:
        fs = fs or self.flagset()
        aliases = []
        if self.family:
            aliases.append(f"docker {self.family} {self.family_name}")
            aliases += [f"docker {self.family} {a}" for a in self.aliases]
            aliases.append(f"docker {self.name}")
        text = fs.usage_text(f"docker {path}", self.usage, self.short, aliases=aliases if len(aliases) > 1 else ())
        return text.replace("docker ", f"{PROG} ").lstrip("\n")

    def _check_args(self, path: str, n: int) -> None:
        spec = self.args
        if not spec:
            return
        kind, count = spec[0], spec[1]
        message = ""
        trailer = "See"
        if kind == "exact" and n != count:
            if count == 0:
                message = f"'{PROG} {path}' accepts no arguments"  # docker 28's cli.NoArgs
            else:
                message = f"'{PROG} {path}' requires {count} {_plural(count)}"
            trailer = "Run"
        elif kind == "min" and n < count:
            message = f"'{PROG} {path}' requires at least {count} {_plural(count)}"
        elif kind == "max" and n > count:
            message = f"'{PROG} {path}' requires at most {count} {_plural(count)}"
        elif kind == "range" and not (count <= n <= spec[2]):
            message = f"'{PROG} {path}' requires at least {count} and at most {spec[2]} arguments"
        if message:
            raise StatusError(1, f"{PROG}: {message}\n\nUsage:  {PROG} {path} {self.usage}\n\n"
                                 f"{trailer} '{PROG} {path} --help' for more information")

    def invoke(self, ctx: Context, path: str, argv: Sequence[str]) -> int:
        """Parse ``argv`` for the command at ``path`` (``"run"``, ``"image ls"``) and run it."""
        fs = self.flagset()
        try:
            opts = fs.parse(argv)
        except HelpRequested:
            ctx.out.write(self.help_text(path, fs))
            return 0
        except FlagError as exc:
            raise StatusError(125, f"{exc}\n\nUsage:  {PROG} {path} {self.usage}\n\n"
                                   f"Run '{PROG} {path} --help' for more information") from exc
        if opts.get("help"):
            ctx.out.write(self.help_text(path, fs))
            return 0
        for warning in opts.warnings:
            ctx.warn(warning)
        self._check_args(path, len(opts.args))
        return self.run(ctx, opts) or 0


def die(status: int, message: str = "") -> StatusError:
    """``raise die(1, "text")``: a short spelling for commands."""
    return StatusError(status, message)


def run_each(ctx: Context, refs: Sequence[str], action: Callable[[str], Any], *, echo: bool = True,
             missing_ok: bool = False) -> int:
    """Docker's pattern for ``stop a b c``: act on each, print each success, report each failure
    on stderr, and exit 1 if any failed. ``missing_ok``: an object that is not there is no
    failure and is not printed (``rm -f``)."""
    from dockyard.cli.errors import describe
    from dockyard.errors import DockyardError, NotFound

    failed = False
    for ref in refs:
        try:
            result = action(ref)
        except NotFound as exc:
            if not missing_ok:
                ctx.warn(describe(exc))
                failed = True
            continue
        except DockyardError as exc:
            ctx.warn(describe(exc))
            failed = True
            continue
        if echo:
            ctx.print(result if isinstance(result, str) else ref)
    return 1 if failed else 0
