"""Dockerfile text → a tree of nodes with line numbers (step one of parse → type → execute).

The rules are BuildKit's (``frontend/dockerfile/parser``), line by line:

1. *Parser directives* (``# syntax=``, ``# escape=``, ``# check=``, case-insensitive names,
   spaces allowed around ``=``) are read only while every line so far was a directive;
   the first other line — a plain comment, a blank line, an instruction — ends them.
   Each may appear once; ``escape`` must be ``\\`` or a backtick.
2. A line whose first non-blank character is ``#`` is a comment. Comments before an
   instruction are kept on its node (``comments``); an empty ``#`` forgets them.
3. The escape character as the last non-blank character continues the logical line on
   the next one (``\\\\`` at the end, an escaped escape, does not). Continuation lines
   keep their leading whitespace; comment lines inside a continuation are dropped, and
   empty ones are dropped with a warning (``Empty continuation line found in: ...``).
4. The logical line is ``KEYWORD [--flag[=value]]... arguments``; the keyword is
   case-insensitive, flags are split off (quotes removed) and the arguments are split by
   the keyword's rule (:mod:`dockyard.build.line_parsers`).
5. ADD, COPY and RUN in shell form (and ONBUILD wrapping them) may name heredocs
   (``<<EOF``, ``<<-EOF``, ``<<'EOF'``, ``3<<EOF``); their bodies follow the line, each up
   to its terminator line, in the order the heredocs were named.

Unknown keywords parse (with no arguments): rejecting them is the typing step's job, so
that its error can say ``Dockerfile:3: unknown instruction: FORM``.

Example::

    df = parse("FROM busybox\\nRUN echo hi \\\\\\n  there\\n")
    df.nodes[1].instruction, df.nodes[1].args, df.nodes[1].end_line
    # ('run', ['echo hi   there'], 3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dockyard.build.errors import DockerfileParseError
from dockyard.build.line_parsers import (Heredoc, LineError, heredocs_from_line,
                                         split_args, split_command)
from dockyard.build.shell_words import is_space

__all__ = ["Node", "Dockerfile", "ParseWarning", "parse", "DIRECTIVES"]

DIRECTIVES = ("syntax", "escape", "check")
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$", re.ASCII)
_HEREDOC_KEYWORDS = {"add", "copy", "run"}
_EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/"


@dataclass
class Node:
    """One instruction as written. ``instruction`` is the lower-case keyword, ``original``
    the logical line (continuations joined, comments removed), ``args`` its split
    arguments, ``json`` True for the exec (JSON array) form. ONBUILD's nested instruction
    is ``sub``; heredocs are attached to the outermost node."""

    instruction: str
    original: str
    start_line: int = 0
    end_line: int = 0
    flags: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    json: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    sub: Node | None = None
    keyword: str = ""           # the keyword as typed, e.g. "Run"
    file: str = "Dockerfile"

    def can_contain_heredoc(self) -> bool:
        node = self.sub if self.instruction == "onbuild" and self.sub else self
        return node.instruction in _HEREDOC_KEYWORDS and not node.json

    def to_dict(self) -> dict[str, Any]:
        """The golden-file shape; ``heredocs``/``comments``/``sub`` only when present."""
        out: dict[str, Any] = {
            "instruction": self.instruction, "original": self.original,
            "start_line": self.start_line, "end_line": self.end_line,
            "flags": list(self.flags), "args": list(self.args), "json": self.json,
        }
        if self.heredocs:
            out["heredocs"] = [h.to_dict() for h in self.heredocs]
        if self.comments:
            out["comments"] = list(self.comments)
        if self.sub is not None:
            out["sub"] = self.sub.to_dict()
        return out


@dataclass
class ParseWarning:
    """A problem that does not stop the build (BuildKit prints these as warnings)."""

    message: str
    line: int = 0
    url: str = ""


@dataclass
class Dockerfile:
    """A parsed Dockerfile: its directives, the escape character in effect and the nodes."""

    file: str = "Dockerfile"
    escape: str = "\\"
    directives: dict[str, str] = field(default_factory=dict)
    warnings: list[ParseWarning] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)

    @property
    def children(self) -> list[Node]:
        return self.nodes

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "escape": self.escape, "directives": dict(self.directives),
                "warnings": [w.message for w in self.warnings],
                "nodes": [n.to_dict() for n in self.nodes]}


class _Directives:
    """Reads parser directives while they last and owns the escape character."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[str, str] = {}
        self.done = False
        self.set_escape("\\", 0)

    def set_escape(self, token: str, line: int) -> None:
        if token not in ("`", "\\"):
            raise DockerfileParseError(
                f"invalid escape token '{token}' does not match ` or \\", self.file, line)
        self.escape = token
        e = re.escape(token)
        # The escape as last non-blank character continues the line, unless it is
        # itself escaped ("\\\\" at the end); the second branch is an escape on its own.
        self.continuation = re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")

    def feed(self, token: str, line: int) -> bool:
        """Offer a line; True when it was consumed as a directive."""
        if self.done:
            return False
        m = _DIRECTIVE.match(token)
        if not m or m.group(1).lower() not in DIRECTIVES:
            self.done = True
            return False
        name, value = m.group(1).lower(), m.group(2)
        if name in self.values:
            raise DockerfileParseError(
                f"only one {name} parser directive can be used", self.file, line)
        self.values[name] = value
        if name == "escape":
            self.set_escape(value, line)
        return True

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """(line without its continuation mark, True when the logical line ends here)."""
        m = self.continuation.search(line)
        if m is None:
            return line, True
        return line[:m.start()] + (m.group(1) or ""), False


def _split_lines(text: str) -> list[str]:
    """BuildKit's scanLines: split after each ``\\n`` (only that: ``str.splitlines`` would
    also split on ``\\r``, ``\\f``...), keeping the endings, which heredoc bodies keep."""
    if not text:
        return []
    lines = [ln + "\n" for ln in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if lines[-1] == "":
        lines.pop()
    return lines


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _lstrip(s: str) -> str:
    i = 0
    while i < len(s) and is_space(s[i]):
        i += 1
    return s[i:]


def _strip(s: str) -> str:
    s = _lstrip(s)
    j = len(s)
    while j and is_space(s[j - 1]):
        j -= 1
    return s[:j]


def _is_comment(raw: str) -> bool:
    return _lstrip(raw).startswith("#")


def _node_from_line(line: str, escape: str, file: str) -> Node:
    keyword, flags, rest = split_command(line)
    kw = keyword.lower()
    node = Node(instruction=kw, original=line, flags=flags, keyword=keyword, file=file)
    if kw == "onbuild":
        if rest:
            node.sub = _node_from_line(rest, escape, file)
            node.args = [node.sub.keyword.upper(), *node.sub.args]
        return node
    node.args, node.json = split_args(kw, rest, escape)
    return node


def _set_lines(node: Node, start: int, end: int) -> None:
    node.start_line, node.end_line = start, end
    if node.sub is not None:
        _set_lines(node.sub, start, end)


def parse(text: str, file: str = "Dockerfile") -> Dockerfile:
    """Parse a whole Dockerfile; raises DockerfileParseError (``file:line: reason``)."""
    lines = _split_lines(text)
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    d = _Directives(file)
    df = Dockerfile(file=file)
    comments: list[str] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        token = _lstrip(_trim_newline(raw))
        if token.startswith("#"):
            # As BuildKit: the text after the line's first character, trimmed (so an
            # indented "  # x" is kept as "# x"); an empty comment forgets the others.
            comment = _strip(raw[1:])
            if d.feed(token, i):
                continue  # a directive is not a comment
            comments = comments + [comment] if comment else []
            continue
        d.feed(token, i)
        start = i
        line, end_of_line = d.trim_continuation(token)
        if end_of_line and line == "":
            continue
        empty_continuation = False
        while not end_of_line and i < len(lines):
            raw = _trim_newline(lines[i])
            i += 1
            d.feed(raw, i)
            if _is_comment(raw):
                continue
            if _lstrip(raw) == "":
                empty_continuation = True
                continue
            more, end_of_line = d.trim_continuation(raw)
            line += more
        if empty_continuation:
            df.warnings.append(ParseWarning(f"Empty continuation line found in: {line}",
                                            line=i, url=_EMPTY_CONTINUATION_URL))
        try:
            node = _node_from_line(line, d.escape, file)
            heredocs = heredocs_from_line(line) if (
                node.can_contain_heredoc() and "<<" in line) else []
        except LineError as exc:
            raise DockerfileParseError.at(str(exc), file, start, i) from None
        for doc in heredocs:
            terminated = False
            while i < len(lines):
                raw = lines[i]
                i += 1
                candidate = _trim_newline(raw)
                if doc.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == doc.name:
                    terminated = True
                    break
                doc.content += raw  # verbatim, line ending included
            if not terminated:
                raise DockerfileParseError.at("unterminated heredoc", file, start, i)
            node.heredocs.append(doc)
        _set_lines(node, start, i)
        node.comments = comments
        comments = []
        df.nodes.append(node)
    df.escape = d.escape
    df.directives = d.values
    if not df.nodes:
        raise DockerfileParseError("file with no instructions", file, max(len(lines), 1))
    return df
