"""Errors raised while parsing, typing and expanding a Dockerfile.

Hierarchy (all are ``InvalidArgument``, so the API answers 400)::

    InvalidArgument
    ├── BuildError                 (dockyard.errors) "Dockerfile:3: ..."
    │   └── DockerfileParseError   a node tree or instruction problem, with file and line
    └── ExpansionError             a shell-word expansion problem (no line: the caller
                                   adds it when it knows one, see ``DockerfileParseError.at``)

The message texts after the location are Docker's (BuildKit's) own, because clients and
users match on them: ``unknown instruction: FORM``, ``ENV names can not be blank``, ...
"""

from __future__ import annotations

from dockyard.errors import BuildError, InvalidArgument

__all__ = ["DockerfileParseError", "ExpansionError"]


class DockerfileParseError(BuildError):
    """A Dockerfile that cannot be parsed or typed; ``str()`` is ``file:line: reason``."""

    def __init__(self, message: str, file: str = "Dockerfile", line: int = 0,
                 end_line: int = 0) -> None:
        super().__init__(message, file=file, line=line)
        self.end_line = end_line or line

    @classmethod
    def at(cls, reason: str, file: str, start: int, end: int = 0) -> DockerfileParseError:
        return cls(reason, file=file, line=start, end_line=end)


class ExpansionError(InvalidArgument):
    """``${VAR:?message}``, an unterminated quote or a bad substitution in a word."""
