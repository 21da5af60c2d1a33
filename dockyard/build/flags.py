"""Instruction flags (``--from=stage``, ``--link``, ``--mount=...``) and Go durations.

Each typed instruction declares the flags it accepts, then parses the raw ``--name=value``
words the parser split off::

    fl = BFlags(["--from=build", "--link"])
    from_ = fl.add_string("from")
    link = fl.add_bool("link")
    fl.parse()            # FlagError("unknown flag: chown") for an undeclared one
    from_.value, link.value   # ('build', True)

Texts are BuildKit's ``BFlags`` ones. ``parse_duration`` is Go's ``time.ParseDuration``
(HEALTHCHECK ``--interval=1m30s``), returning nanoseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = ["BFlags", "Flag", "FlagError", "parse_duration", "format_duration"]


class FlagError(Exception):
    """A reason without a location; the typing step adds file and line."""


@dataclass
class Flag:
    name: str
    kind: str                     # "string", "bool" or "strings"
    default: str | bool = ""
    value: str | bool = ""
    values: list[str] = field(default_factory=list)
    used: bool = False


class BFlags:
    """The flags of one instruction: declare with ``add_*``, then :meth:`parse`."""

    def __init__(self, raw: list[str]) -> None:
        self.raw = list(raw)
        self.flags: dict[str, Flag] = {}

    def _add(self, name: str, kind: str, default: str | bool) -> Flag:
        flag = Flag(name, kind, default, default)
        self.flags[name] = flag
        return flag

    def add_string(self, name: str, default: str = "") -> Flag:
        return self._add(name, "string", default)

    def add_bool(self, name: str, default: bool = False) -> Flag:
        return self._add(name, "bool", default)

    def add_strings(self, name: str) -> Flag:
        return self._add(name, "strings", "")

    def parse(self) -> None:
        for arg in self.raw:
            if not arg.startswith("--"):
                raise FlagError(f"arg should start with -- : {arg}")
            if arg == "--":
                return
            name, eq, value = arg[2:].partition("=")
            flag = self.flags.get(name)
            if flag is None:
                raise FlagError(f"unknown flag: {name}")
            if flag.used and flag.kind != "strings":
                raise FlagError(f"duplicate flag specified: {name}")
            flag.used = True
            if flag.kind == "bool":
                if eq and value == "":
                    raise FlagError(f"missing a value on flag: {name}")
                if value.lower() in ("true", ""):
                    flag.value = True
                elif value.lower() == "false":
                    flag.value = False
                else:
                    raise FlagError(f"expecting boolean value for flag {name}, not: {value}")
            elif not eq:
                raise FlagError(f"missing a value on flag: {name}")
            elif flag.kind == "string":
                flag.value = value
            else:
                flag.values.append(value)


_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
          "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration`` in nanoseconds: ``"1m30s"`` → 90_000_000_000."""
    quoted = '"' + text + '"'
    s = text
    negative = False
    if s[:1] in ("-", "+"):
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise FlagError(f"time: invalid duration {quoted}")
    total = Fraction(0)
    while s:
        m = _PART.match(s)
        assert m is not None  # the pattern matches the empty string
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if not whole and not frac:
            raise FlagError(f"time: invalid duration {quoted}")
        if not unit:
            raise FlagError(f"time: missing unit in duration {quoted}")
        if unit not in _UNITS:
            raise FlagError(f'time: unknown unit "{unit}" in duration {quoted}')
        number = Fraction(int(whole or "0"))
        if frac:
            number += Fraction(int(frac), 10 ** len(frac))
        total += number * _UNITS[unit]
        s = s[m.end():]
    ns = int(total)
    if ns > 2**63 - 1:
        raise FlagError(f"time: invalid duration {quoted}")
    return -ns if negative else ns


def format_duration(ns: int) -> str:
    """Enough of Go's ``Duration.String`` for error messages (``1ms``, ``30s``, ``1m30s``)."""
    if ns == 0:
        return "0s"
    if ns < 10**3:
        return f"{ns}ns"
    if ns < 10**6:
        return f"{Fraction(ns, 10**3).__float__():g}\u00b5s"
    if ns < 10**9:
        return f"{Fraction(ns, 10**6).__float__():g}ms"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = f"{Fraction(rest, 10**9).__float__():g}s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{minutes}m{seconds}"
    return seconds
