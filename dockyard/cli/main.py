"""``dockyard``: the docker-compatible CLI. Global flags, command dispatch, error → exit code.

Why a table of names rather than imports: start-up is paid by every ``dockyard run`` in a
script loop, so this module imports only the flag parser; the chosen command's module is
imported when it is known (``run`` never loads the image or template code). Each entry is
``name -> (module under dockyard.cli.commands, Command attribute)``.
"""

from __future__ import annotations

import sys

from dockyard.cli.flags import FlagError, FlagSet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from dockyard.cli.command import Command

__all__ = ["main", "COMMANDS", "MANAGEMENT"]

PROG = "dockyard"

_CONTAINER = {
    "run": ("run", "RUN"), "create": ("run", "CREATE"), "start": ("lifecycle", "START"),
    "stop": ("lifecycle", "STOP"), "kill": ("lifecycle", "KILL"), "restart": ("lifecycle", "RESTART"),
    "wait": ("lifecycle", "WAIT"), "rm": ("lifecycle", "RM"), "ps": ("ps", "PS"), "logs": ("logs", "LOGS"),
    "attach": ("lifecycle", "ATTACH"), "exec": ("exec", "EXEC"), "cp": ("cp", "CP"),
    "commit": ("imagetransfer", "COMMIT"), "export": ("imagetransfer", "EXPORT"),
    "diff": ("imagetransfer", "DIFF"), "pause": ("containerops", "PAUSE"),
    "unpause": ("containerops", "UNPAUSE"), "top": ("containerops", "TOP"), "port": ("containerops", "PORT"),
    "rename": ("containerops", "RENAME"), "update": ("containerops", "UPDATE"),
    "stats": ("stats", "STATS"),
}
_IMAGE = {
    "ls": ("images", "IMAGES"), "rm": ("images", "RMI"), "tag": ("images", "TAG"),
    "import": ("images", "IMPORT"), "bootstrap": ("images", "BOOTSTRAP"), "prune": ("images", "PRUNE"),
    "inspect": ("inspect", "IMAGE_INSPECT"), "save": ("imagetransfer", "SAVE"),
    "load": ("imagetransfer", "LOAD"), "history": ("imagetransfer", "HISTORY"), "pull": ("registry", "PULL"),
    "push": ("registry", "PUSH"), "build": ("build", "BUILD"),
}

COMMANDS: dict[str, tuple[str, str]] = {
    **_CONTAINER,
    "images": ("images", "IMAGES"), "rmi": ("images", "RMI"), "tag": ("images", "TAG"),
    "import": ("images", "IMPORT"), "inspect": ("inspect", "INSPECT"),
    "save": ("imagetransfer", "SAVE"), "load": ("imagetransfer", "LOAD"), "history": ("imagetransfer", "HISTORY"),
    "pull": ("registry", "PULL"), "push": ("registry", "PUSH"), "login": ("registry", "LOGIN"),
    "logout": ("registry", "LOGOUT"), "build": ("build", "BUILD"), "events": ("events", "EVENTS"),
    "version": ("system", "VERSION"), "info": ("system", "INFO"),
}
"""Top-level commands (docker's shortcuts for the container and image verbs)."""

MANAGEMENT: dict[str, dict[str, tuple[str, str]]] = {
    "container": {**{k: v for k, v in _CONTAINER.items()}, "ls": ("ps", "PS"), "list": ("ps", "PS"),
                  "remove": ("lifecycle", "RM"), "inspect": ("inspect", "CONTAINER_INSPECT"),
                  "prune": ("systemops", "CONTAINER_PRUNE")},
    "image": {**_IMAGE, "list": ("images", "IMAGES"), "remove": ("images", "RMI")},
    "system": {"info": ("system", "INFO"), "df": ("systemops", "DF"), "prune": ("systemops", "SYSTEM_PRUNE"),
               "events": ("events", "EVENTS")},
    "volume": {"create": ("volume", "CREATE"), "ls": ("volume", "LS"), "list": ("volume", "LS"),
               "inspect": ("volume", "INSPECT"), "rm": ("volume", "RM"), "remove": ("volume", "RM"),
               "prune": ("volume", "PRUNE")},
    "network": {"create": ("network", "CREATE"), "ls": ("network", "LS"), "list": ("network", "LS"),
                "inspect": ("network", "INSPECT"), "rm": ("network", "RM"), "remove": ("network", "RM"),
                "prune": ("network", "PRUNE"), "connect": ("network", "CONNECT"),
                "disconnect": ("network", "DISCONNECT")},
}
"""``dockyard <group> <verb>``."""

_GROUP_SHORT = {"container": "Manage containers", "image": "Manage images", "system": "Manage Docker",
                "volume": "Manage volumes", "network": "Manage networks"}


def _global_flags() -> FlagSet:
    fs = FlagSet(PROG, interspersed=False)
    fs.add("host", "H", list, help="Daemon socket to connect to")
    fs.add("debug", "D", bool, help="Enable debug mode")
    fs.add("log-level", "l", str, default="info", help='Set the logging level ("debug", "info", "warn", "error", "fatal")')
    fs.add("config", None, str, help="Location of client config files")
    fs.add("context", "c", str, help="Name of the context to use to connect to the daemon")
    fs.add("tls", None, bool, help="Use TLS; implied by --tlsverify")
    fs.add("tlsverify", None, bool, help="Use TLS and verify the remote")
    fs.add("tlscacert", None, str, help="Trust certs signed only by this CA")
    fs.add("tlscert", None, str, help="Path to TLS certificate file")
    fs.add("tlskey", None, str, help="Path to TLS key file")
    fs.add("version", "v", bool, help="Print version information and quit")
    return fs


def _usage(fs: FlagSet) -> str:
    lines = ["", f"Usage:  {PROG} [OPTIONS] COMMAND", "", "A self-sufficient runtime for containers", "",
             "Commands:"]
    for name in sorted(COMMANDS):
        lines.append(f"  {name}")
    lines += ["", "Management Commands:"]
    for name in sorted(MANAGEMENT):
        lines.append(f"  {name:<11} {_GROUP_SHORT[name]}")
    lines += ["", "Global Options:", fs.flag_usages().rstrip(), "",
              f"Run '{PROG} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"


def _group_usage(group: str) -> str:
    lines = ["", f"Usage:  {PROG} {group} COMMAND", "", _GROUP_SHORT[group], "", "Commands:"]
    lines += [f"  {verb}" for verb in sorted(MANAGEMENT[group])]
    lines += ["", f"Run '{PROG} {group} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"


def _load(entry: tuple[str, str]) -> Command:
    module = __import__(f"dockyard.cli.commands.{entry[0]}", fromlist=[entry[1]])
    return getattr(module, entry[1])


def _unknown(path: str, hint: str) -> int:
    sys.stderr.write(f"{PROG}: unknown command: {PROG} {path}\n\nRun '{hint} --help' for more information\n")
    return 1


def _dispatch(argv: Sequence[str]) -> int:
    from dockyard.cli.errors import StatusError

    gfs = _global_flags()
    try:
        gopts = gfs.parse(argv)
    except FlagError as exc:
        sys.stderr.write(f"{exc}\n\nUsage:  {PROG} [OPTIONS] COMMAND\n\nRun '{PROG} --help' for more information\n")
        return 125
    if gopts.version:
        from dockyard import __version__

        sys.stdout.write(f"Dockyard version {__version__}\n")
        return 0
    if gopts.config:  # docker's --config: where config.json (logins) lives, for this invocation
        import os

        os.environ["DOCKER_CONFIG"] = gopts.config
    args = gopts.args
    if not args or gopts.help:
        sys.stdout.write(_usage(gfs))
        return 0
    word, rest = args[0], args[1:]
    path = word
    if word in MANAGEMENT:
        table = MANAGEMENT[word]
        if not rest or rest[0] in ("--help", "-h"):
            sys.stdout.write(_group_usage(word))
            return 0
        if rest[0] not in table:
            return _unknown(f"{word} {rest[0]}", f"{PROG} {word}")
        path = f"{word} {rest[0]}"
        entry, rest = table[rest[0]], rest[1:]
    elif word == "registry":
        # `dockyard registry serve|garbage-collect`: the registry is its own server, not a
        # daemon request, so it runs here (aiohttp is imported only on this path)
        return _registry(rest)
    elif word in COMMANDS:
        entry = COMMANDS[word]
    elif word == "help":
        sys.stdout.write(_usage(gfs))
        return 0
    else:
        return _unknown(word, PROG)
    command = _load(entry)
    from dockyard.cli.command import Context

    ctx = Context(gopts.host)
    try:
        return command.invoke(ctx, path, rest)
    except StatusError as exc:
        if exc.message:
            sys.stderr.write(exc.message.rstrip("\n") + "\n")
        return exc.status
    except BrokenPipeError:
        raise  # our stdout went away (``| head``): main() ends quietly, as docker does
    except ConnectionError as exc:
        if command.program_errors:  # docker: "docker: Cannot connect to the Docker daemon..." exit 125
            sys.stderr.write(f"{PROG}: {exc}\n\nRun '{PROG} {path} --help' for more information\n")
            return 125
        sys.stderr.write(f"{exc}\n")
        return 1
    except Exception as exc:
        from dockyard.cli.errors import describe, from_daemon
        from dockyard.errors import DockyardError

        if not isinstance(exc, DockyardError):
            raise
        text = describe(exc)
        # docker's create reports what the daemon refused as any other command does
        if command.program_errors and not (command.name == "create" and from_daemon(exc)):
            sys.stderr.write(f"{PROG}: {text}\n\nRun '{PROG} {path} --help' for more information\n")
            return 125
        sys.stderr.write(text + "\n")
        return 1


def _registry(rest: list[str]) -> int:
    from dockyard.registry import server

    verbs = {"serve": server.main, "garbage-collect": server.gc_main}
    if not rest or rest[0] in ("-h", "--help") or rest[0] not in verbs:
        sys.stdout.write(f"Usage:  {PROG} registry COMMAND\n\nRun an OCI distribution "
                         "registry\n\nCommands:\n  serve            Serve a registry "
                         "(--listen, --root, --htpasswd, --tls-cert, --tls-key...)\n"
                         "  garbage-collect  Delete blobs no manifest references\n")
        return 0 if not rest or rest[0] in ("-h", "--help") else 1
    return int(verbs[rest[0]](rest[1:]) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """The console entry point; returns (and exits with) the exit status."""
    try:
        status = _dispatch(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        status = 130
    except BrokenPipeError:
        status = 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    if argv is None:
        sys.exit(status)
    return status


if __name__ == "__main__":
    main()
