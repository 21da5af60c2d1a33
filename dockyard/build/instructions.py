"""Typed instructions (step two of parse → type → execute): one dataclass per keyword.

:func:`convert` turns a parser :class:`~dockyard.build.parser.Node` into one of these,
validating its flags and argument count with Docker's error texts, each prefixed with
the file and line (``Dockerfile:4: ENV names can not be blank``); the validation itself
lives in :mod:`dockyard.build.convert`, one small function per keyword. Values are kept as
written (``$VAR`` unexpanded, quotes in ENV/LABEL values kept): expansion happens when
the instruction is executed, against the environment of that moment.

``to_dict()`` gives the golden-file shape: ``{"instruction": "COPY", <fields>}``, without
the location fields every instruction carries (``original``, ``start_line``, ``end_line``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from dockyard.build.line_parsers import Heredoc

if TYPE_CHECKING:
    from dockyard.build.parser import Node

__all__ = [
    "Instruction", "FromInstruction", "RunInstruction", "CmdInstruction",
    "EntrypointInstruction", "EnvInstruction", "LabelInstruction", "ExposeInstruction",
    "AddInstruction", "CopyInstruction", "VolumeInstruction", "UserInstruction",
    "WorkdirInstruction", "ArgInstruction", "OnbuildInstruction", "StopsignalInstruction",
    "HealthcheckInstruction", "ShellInstruction", "MaintainerInstruction", "convert",
]

_LOCATION = ("original", "start_line", "end_line")


@dataclass(kw_only=True)
class Instruction:
    """Base: where the instruction came from."""

    name: ClassVar[str] = ""
    original: str = ""
    start_line: int = 0
    end_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"instruction": self.name}
        for f in dataclasses.fields(self):
            if f.name not in _LOCATION:
                out[f.name] = _plain(getattr(self, f.name))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, (Heredoc, Instruction)):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass
class FromInstruction(Instruction):
    """``FROM [--platform=<platform>] <image> [AS <name>]`` — starts a stage.
    ``stage_name`` is lower-cased; ``platform`` is None when not given."""

    name: ClassVar[str] = "FROM"
    base: str = ""
    stage_name: str = ""
    platform: str | None = None


@dataclass
class _CommandLine(Instruction):
    """A command in exec form (``["a", "b"]``) or shell form (``a b``, ``prepend_shell``)."""

    cmd: list[str] = field(default_factory=list)
    prepend_shell: bool = False


@dataclass
class RunInstruction(_CommandLine):
    """``RUN [--mount=...] [--network=default|none|host] [--security=insecure|sandbox]
    <command>`` or ``RUN [...] ["executable", "arg"...]``; heredocs (``RUN <<EOF``) keep
    their content as written, with ``chomp`` telling the executor to strip tabs."""

    name: ClassVar[str] = "RUN"
    heredocs: list[Heredoc] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    network: str | None = None
    security: str | None = None


@dataclass
class CmdInstruction(_CommandLine):
    """``CMD ["executable", "arg"...]``, ``CMD ["arg"...]`` (to ENTRYPOINT) or ``CMD command``."""

    name: ClassVar[str] = "CMD"


@dataclass
class EntrypointInstruction(_CommandLine):
    """``ENTRYPOINT ["executable", "arg"...]`` or ``ENTRYPOINT command`` (shell form)."""

    name: ClassVar[str] = "ENTRYPOINT"


@dataclass
class EnvInstruction(Instruction):
    """``ENV <key>=<value> [<key>=<value>...]`` or the legacy ``ENV <key> <value...>``."""

    name: ClassVar[str] = "ENV"
    pairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class LabelInstruction(Instruction):
    """``LABEL <key>=<value> [<key>=<value>...]`` (``LABEL <key> <value...>`` also parses)."""

    name: ClassVar[str] = "LABEL"
    pairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ExposeInstruction(Instruction):
    """``EXPOSE <port>[/<protocol>] [<port>[/<protocol>]...]``; ports sorted as Docker does."""

    name: ClassVar[str] = "EXPOSE"
    ports: list[str] = field(default_factory=list)


@dataclass
class AddInstruction(Instruction):
    """``ADD [--chown=<user>:<group>] [--chmod=<perms>] [--link] [--checksum=<hash>]
    [--keep-git-dir] [--exclude=<path>...] <src>... <dest>`` or ``ADD [...] ["<src>",...
    "<dest>"]``; a ``<<EOF`` source is an inline file (``heredocs``), not a path."""

    name: ClassVar[str] = "ADD"
    sources: list[str] = field(default_factory=list)
    dest: str = ""
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    checksum: str | None = None
    keep_git_dir: bool = False
    exclude: list[str] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass
class CopyInstruction(Instruction):
    """``COPY [--from=<stage|image|index>] [--chown=<user>:<group>] [--chmod=<perms>]
    [--link] [--parents] [--exclude=<path>...] <src>... <dest>`` or the JSON form;
    ``COPY <<EOF /path`` copies an inline file."""

    name: ClassVar[str] = "COPY"
    sources: list[str] = field(default_factory=list)
    dest: str = ""
    from_: str | None = None
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    parents: bool = False
    exclude: list[str] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass
class VolumeInstruction(Instruction):
    """``VOLUME <path> [<path>...]`` or ``VOLUME ["<path>", ...]``."""

    name: ClassVar[str] = "VOLUME"
    paths: list[str] = field(default_factory=list)
    json: bool = False


@dataclass
class UserInstruction(Instruction):
    """``USER <user>[:<group>]`` or ``USER <UID>[:<GID>]``."""

    name: ClassVar[str] = "USER"
    user: str = ""


@dataclass
class WorkdirInstruction(Instruction):
    """``WORKDIR <path>`` (relative paths are relative to the previous WORKDIR)."""

    name: ClassVar[str] = "WORKDIR"
    path: str = ""


@dataclass
class ArgInstruction(Instruction):
    """``ARG <name>[=<default value>] [<name>[=<default value>]...]``; a pair's value is
    None when no default is given. Before the first FROM it is a *meta* ARG."""

    name: ClassVar[str] = "ARG"
    pairs: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class OnbuildInstruction(Instruction):
    """``ONBUILD <INSTRUCTION>`` — stored as ``expression`` (the trigger's own text, with
    any heredoc bodies appended) and run by builds that use this image as their base."""

    name: ClassVar[str] = "ONBUILD"
    expression: str = ""
    trigger: str = ""


@dataclass
class StopsignalInstruction(Instruction):
    """``STOPSIGNAL <signal>`` (a name like ``SIGQUIT`` or a number)."""

    name: ClassVar[str] = "STOPSIGNAL"
    signal: str = ""


@dataclass
class HealthcheckInstruction(Instruction):
    """``HEALTHCHECK [--interval=<d>] [--timeout=<d>] [--start-period=<d>]
    [--start-interval=<d>] [--retries=<n>] CMD <command>`` or ``HEALTHCHECK NONE``.
    ``test`` is the image config's ``Healthcheck.Test`` (``["CMD-SHELL", "cmd"]``,
    ``["CMD", "exe", "arg"]`` or ``["NONE"]``); durations are nanoseconds, 0 = inherit."""

    name: ClassVar[str] = "HEALTHCHECK"
    test: list[str] = field(default_factory=list)
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


@dataclass
class ShellInstruction(Instruction):
    """``SHELL ["executable", "parameters"]`` — the shell for later shell-form commands."""

    name: ClassVar[str] = "SHELL"
    shell: list[str] = field(default_factory=list)


@dataclass
class MaintainerInstruction(Instruction):
    """``MAINTAINER <name>`` (deprecated; ``LABEL maintainer=<name>`` replaces it)."""

    name: ClassVar[str] = "MAINTAINER"
    maintainer: str = ""


def convert(node: Node) -> Instruction:
    """The typed instruction for ``node``; raises DockerfileParseError at its line."""
    # Imported here: the converters need these classes, so they cannot be imported above.
    from dockyard.build.convert import convert_node
    return convert_node(node)
