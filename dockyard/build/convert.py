"""Node → typed instruction: flag declarations, argument checks and Docker's error texts.

One function per keyword, each ``(node, flags) -> Instruction``; :func:`convert_node`
dispatches and turns a failure into ``DockerfileParseError`` at the node's line. BuildKit's
order is kept (argument count, then flags) so the same mistake gives the same message.
"""

from __future__ import annotations

import re

from dockyard.build.errors import DockerfileParseError
from dockyard.build.flags import BFlags, FlagError, format_duration, parse_duration
from dockyard.build.instructions import (
    AddInstruction, ArgInstruction, CmdInstruction, CopyInstruction, EntrypointInstruction,
    EnvInstruction, ExposeInstruction, FromInstruction, HealthcheckInstruction, Instruction,
    LabelInstruction, MaintainerInstruction, OnbuildInstruction, RunInstruction,
    ShellInstruction, StopsignalInstruction, UserInstruction, VolumeInstruction,
    WorkdirInstruction)
from dockyard.build.line_parsers import Heredoc, must_parse_heredoc
from dockyard.build.parser import Node
from dockyard.build.shell_words import go_quote

__all__ = ["convert_node"]

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")
_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)
_MIN_HEALTH_DURATION = 10**6  # 1ms, Docker's container.MinimumDuration


class _Reason(Exception):
    """A Docker error text; :func:`convert_node` adds the location."""


def _at_least_one(cmd: str) -> _Reason:
    return _Reason(f"{cmd} requires at least one argument")


def _exactly_one(args: list[str], cmd: str) -> str:
    if len(args) != 1:
        raise _Reason(f"{cmd} requires exactly one argument")
    return args[0]


def _shell_dependent(node: Node) -> tuple[list[str], bool]:
    """BuildKit's handleJSONArgs: exec form as is, shell form as one joined string."""
    if not node.args:
        return [], not node.json
    if node.json:
        return list(node.args), False
    return [" ".join(node.args)], True


def _from(node: Node, fl: BFlags) -> FromInstruction:
    args = node.args
    stage = ""
    if len(args) == 3 and args[1].lower() == "as":
        stage = args[2].lower()
        if not _STAGE_NAME.match(stage):
            raise _Reason(f"invalid name for build stage: {go_quote(args[2])}, name can't start "
                          "with a number or contain symbols")
    elif len(args) != 1:
        raise _Reason("FROM requires either one or three arguments")
    platform = fl.add_string("platform")
    fl.parse()
    return FromInstruction(base=args[0], stage_name=stage,
                           platform=str(platform.value) or None)


def _run(node: Node, fl: BFlags) -> RunInstruction:
    mount = fl.add_strings("mount")
    network = fl.add_string("network")
    security = fl.add_string("security")
    fl.parse()
    if network.value and network.value not in ("default", "none", "host"):
        raise _Reason(f"unsupported network mode {go_quote(str(network.value))}")
    if security.value and security.value not in ("insecure", "sandbox"):
        raise _Reason(f"unsupported security mode {go_quote(str(security.value))}")
    cmd, prepend = _shell_dependent(node)
    return RunInstruction(cmd=cmd, prepend_shell=prepend, heredocs=list(node.heredocs),
                          mounts=list(mount.values), network=str(network.value) or None,
                          security=str(security.value) or None)


def _cmd(node: Node, fl: BFlags) -> CmdInstruction:
    fl.parse()
    cmd, prepend = _shell_dependent(node)
    return CmdInstruction(cmd=cmd, prepend_shell=prepend)


def _entrypoint(node: Node, fl: BFlags) -> EntrypointInstruction:
    fl.parse()
    cmd, prepend = _shell_dependent(node)
    return EntrypointInstruction(cmd=cmd, prepend_shell=prepend)


def _pairs(node: Node, cmd: str) -> list[tuple[str, str]]:
    args = node.args
    if not args:
        raise _at_least_one(cmd)
    if len(args) % 2:
        raise _Reason(f"Bad input to {cmd}, too many arguments")
    pairs: list[tuple[str, str]] = []
    for k, v in zip(args[::2], args[1::2]):
        if not k:
            raise _Reason(f"{cmd} names can not be blank")
        pairs.append((k, v))
    return pairs


def _env(node: Node, fl: BFlags) -> EnvInstruction:
    pairs = _pairs(node, "ENV")
    fl.parse()
    return EnvInstruction(pairs=pairs)


def _label(node: Node, fl: BFlags) -> LabelInstruction:
    pairs = _pairs(node, "LABEL")
    fl.parse()
    return LabelInstruction(pairs=pairs)


def _expose(node: Node, fl: BFlags) -> ExposeInstruction:
    if not node.args:
        raise _at_least_one("EXPOSE")
    fl.parse()
    return ExposeInstruction(ports=sorted(node.args))


def _sources_and_dest(node: Node, cmd: str) -> tuple[list[str], str, list[Heredoc]]:
    if len(node.args) < 2:
        raise _Reason(f"{cmd} requires at least two arguments, but only one was provided. "
                      "Destination could not be determined.")
    *srcs, dest = node.args
    if not node.json and must_parse_heredoc(dest) is not None:
        raise _Reason(f"{cmd} cannot accept a heredoc as a destination")
    bodies = {h.name: h for h in node.heredocs}
    sources: list[str] = []
    inline: list[Heredoc] = []
    for src in srcs:
        doc = None if node.json else must_parse_heredoc(src)
        if doc is None:
            sources.append(src)
            continue
        body = bodies.get(doc.name, Heredoc(doc.name))
        content = Heredoc(doc.name, body.content, chomp=doc.chomp).chomped()
        inline.append(Heredoc(doc.name, content, expand=doc.expand, chomp=doc.chomp,
                              fd=doc.fd))
    return sources, dest, inline


def _add(node: Node, fl: BFlags) -> AddInstruction:
    chown, chmod = fl.add_string("chown"), fl.add_string("chmod")
    link, keep_git = fl.add_bool("link"), fl.add_bool("keep-git-dir")
    checksum, exclude = fl.add_string("checksum"), fl.add_strings("exclude")
    sources, dest, inline = _sources_and_dest(node, "ADD")
    fl.parse()
    return AddInstruction(sources=sources, dest=dest, chown=str(chown.value) or None,
                          chmod=str(chmod.value) or None, link=bool(link.value),
                          checksum=str(checksum.value) or None, keep_git_dir=bool(keep_git.value),
                          exclude=list(exclude.values), heredocs=inline)


def _copy(node: Node, fl: BFlags) -> CopyInstruction:
    chown, from_, chmod = fl.add_string("chown"), fl.add_string("from"), fl.add_string("chmod")
    link, parents = fl.add_bool("link"), fl.add_bool("parents")
    exclude = fl.add_strings("exclude")
    sources, dest, inline = _sources_and_dest(node, "COPY")
    fl.parse()
    return CopyInstruction(sources=sources, dest=dest, from_=str(from_.value) or None,
                           chown=str(chown.value) or None, chmod=str(chmod.value) or None,
                           link=bool(link.value), parents=bool(parents.value),
                           exclude=list(exclude.values), heredocs=inline)


def _volume(node: Node, fl: BFlags) -> VolumeInstruction:
    if not node.args:
        raise _at_least_one("VOLUME")
    fl.parse()
    paths = []
    for v in node.args:
        v = v.strip()
        if not v:
            raise _Reason("VOLUME specified can not be an empty string")
        paths.append(v)
    return VolumeInstruction(paths=paths, json=node.json)


def _user(node: Node, fl: BFlags) -> UserInstruction:
    user = _exactly_one(node.args, "USER")
    fl.parse()
    return UserInstruction(user=user)


def _workdir(node: Node, fl: BFlags) -> WorkdirInstruction:
    path = _exactly_one(node.args, "WORKDIR")
    fl.parse()
    return WorkdirInstruction(path=path)


def _arg(node: Node, fl: BFlags) -> ArgInstruction:
    if not node.args:
        raise _at_least_one("ARG")
    fl.parse()
    pairs: list[tuple[str, str | None]] = []
    for word in node.args:
        key, eq, value = word.partition("=")
        if eq and not key:
            raise _Reason("ARG names can not be blank")
        pairs.append((key, value if eq else None))
    return ArgInstruction(pairs=pairs)


def _onbuild(node: Node, fl: BFlags) -> OnbuildInstruction:
    if not node.args or node.sub is None:
        raise _at_least_one("ONBUILD")
    fl.parse()
    trigger = node.args[0].strip().upper()
    if trigger == "ONBUILD":
        raise _Reason("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise _Reason(f"{trigger} isn't allowed as an ONBUILD trigger")
    expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
    for doc in node.heredocs:
        expression += "\n" + doc.content + doc.name
    return OnbuildInstruction(expression=expression, trigger=trigger)


def _stopsignal(node: Node, fl: BFlags) -> StopsignalInstruction:
    signal = _exactly_one(node.args, "STOPSIGNAL")
    fl.parse()
    return StopsignalInstruction(signal=signal)


def _interval(flag_name: str, text: str) -> int:
    if not text:
        return 0
    ns = parse_duration(text)
    if ns == 0:
        return 0
    if ns < _MIN_HEALTH_DURATION:
        raise _Reason(f"Interval \"{flag_name}\" cannot be less than "
                      f"{format_duration(_MIN_HEALTH_DURATION)}")
    return ns


def _healthcheck(node: Node, fl: BFlags) -> HealthcheckInstruction:
    if not node.args:
        raise _at_least_one("HEALTHCHECK")
    typ, args = node.args[0].upper(), node.args[1:]
    if typ == "NONE":
        if args:
            raise _Reason("HEALTHCHECK NONE takes no arguments")
        return HealthcheckInstruction(test=["NONE"])
    names = ("interval", "timeout", "start-period", "start-interval")
    durations = {n: fl.add_string(n) for n in names}
    retries_flag = fl.add_string("retries")
    fl.parse()
    if typ != "CMD":
        raise _Reason(f"Unknown type \"{typ}\" in HEALTHCHECK (try CMD)")
    cmd = args if node.json else ([" ".join(args)] if args else [])
    if not cmd:
        raise _Reason("Missing command after HEALTHCHECK CMD")
    test = ["CMD" if node.json else "CMD-SHELL", *cmd]
    values = {n: _interval(n, str(f.value)) for n, f in durations.items()}
    retries = 0
    if retries_flag.value:
        text = str(retries_flag.value)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise _Reason(f"strconv.ParseInt: parsing \"{text}\": invalid syntax")
        retries = int(text)
        if retries < 0:
            raise _Reason(f"--retries cannot be negative ({retries})")
    return HealthcheckInstruction(test=test, interval=values["interval"],
                                  timeout=values["timeout"], start_period=values["start-period"],
                                  start_interval=values["start-interval"], retries=retries)


def _shell(node: Node, fl: BFlags) -> ShellInstruction:
    fl.parse()
    if not node.args:
        raise _at_least_one("SHELL")
    if not node.json:
        raise _Reason("SHELL requires the arguments to be in JSON form")
    return ShellInstruction(shell=list(node.args))


def _maintainer(node: Node, fl: BFlags) -> MaintainerInstruction:
    maintainer = _exactly_one(node.args, "MAINTAINER")
    fl.parse()
    return MaintainerInstruction(maintainer=maintainer)


_CONVERTERS = {
    "from": _from, "run": _run, "cmd": _cmd, "entrypoint": _entrypoint, "env": _env,
    "label": _label, "expose": _expose, "add": _add, "copy": _copy, "volume": _volume,
    "user": _user, "workdir": _workdir, "arg": _arg, "onbuild": _onbuild,
    "stopsignal": _stopsignal, "healthcheck": _healthcheck, "shell": _shell,
    "maintainer": _maintainer,
}


def convert_node(node: Node) -> Instruction:
    """The typed instruction for ``node``; raises DockerfileParseError at its line."""
    fn = _CONVERTERS.get(node.instruction)
    try:
        if fn is None:
            raise _Reason(f"unknown instruction: {(node.keyword or node.instruction).upper()}")
        inst = fn(node, BFlags(node.flags))
    except (_Reason, FlagError) as exc:
        raise DockerfileParseError.at(str(exc), node.file, node.start_line,
                                      node.end_line) from None
    inst.original = node.original
    inst.start_line, inst.end_line = node.start_line, node.end_line
    return inst
