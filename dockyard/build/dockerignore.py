"""``.dockerignore``: Docker's pattern rules (moby ``patternmatcher`` + ``ignorefile``).

Reading (``ignorefile.ReadAll``): a line starting with ``#`` is a comment, blank lines are
skipped, each pattern is trimmed and cleaned (``filepath.Clean``), a leading ``/`` is
dropped, and ``!`` in front makes it an *exception* (re-include).

Matching (``MatchesOrParentMatches``): patterns are tried in order and the last one that
matches the path — or one of its parent directories — decides: excluded unless it was an
exception. ``*`` and ``?`` never match ``/``; ``**`` matches any number of directories,
zero included (``**/x`` matches ``x`` and ``a/b/x``); ``\\`` escapes the next character;
``[a-z]`` classes are Go's.

Example::

    m = Matcher.parse("*.log\\n!keep.log\\nbuild/**\\n")
    m.excluded("a.log"), m.excluded("keep.log"), m.excluded("build/x/y")
    # (True, False, True)
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

__all__ = ["Pattern", "Matcher", "read_patterns"]

_REGEX_SPECIAL = set(".$+(){}^|")


def read_patterns(text: str) -> list[str]:
    """The patterns of a ``.dockerignore`` file, as ``ignorefile.ReadAll`` returns them."""
    out: list[str] = []
    for i, line in enumerate(text.split("\n")):
        if i == 0 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip()
        if line:
            line = posixpath.normpath(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
        out.append(("!" + line) if invert else line)
    return out


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in _REGEX_SPECIAL:
            out.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append("\\\\")
        elif ch == "[":
            # Go's classes: [^...] negates (Python wants [^...] too); keep the rest verbatim.
            j = pattern.find("]", i)
            if j < 0:
                out.append("\\[")
                continue
            body = pattern[i:j].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body + "]")
            i = j + 1
        else:
            out.append(re.escape(ch))
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


@dataclass
class Pattern:
    """One cleaned pattern; ``exclusion`` is True for a ``!`` exception."""

    text: str
    exclusion: bool = False
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = _compile(self.text)

    def match(self, path: str) -> bool:
        return self.regex.match(path) is not None


@dataclass
class Matcher:
    patterns: list[Pattern] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        return cls.from_list(read_patterns(text))

    @classmethod
    def from_list(cls, patterns: list[str]) -> Matcher:
        out = []
        for p in patterns:
            excl = p.startswith("!")
            body = p[1:] if excl else p
            if body:
                out.append(Pattern(body, excl))
        return cls(out)

    @property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """``MatchesOrParentMatches``: is ``path`` (relative, ``/``-separated) excluded?"""
        path = posixpath.normpath(path)
        parent = posixpath.dirname(path)
        parents = parent.split("/") if parent else []
        matched = False
        for p in self.patterns:
            if p.exclusion != matched:
                continue
            hit = p.match(path)
            if not hit and parents:
                for i in range(len(parents)):
                    if p.match("/".join(parents[: i + 1])):
                        hit = True
                        break
            if hit:
                matched = not p.exclusion
        return matched
