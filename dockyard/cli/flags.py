"""A declarative flag parser that behaves like the docker CLI's (spf13/pflag under cobra).

Why not argparse: docker's flag grammar differs in ways users and scripts rely on, and its
error texts are part of the contract. What this module reproduces:

* ``--name x`` and ``--name=x``; bool flags take no separate value (``--rm``, ``--rm=false``;
  ``--rm false`` leaves ``false`` as a positional).
* Shorthands: ``-it`` / ``-dit`` (bool combos), ``-p 80:80``, ``-p80:80`` and ``-e=X`` (pflag
  strips exactly one ``=`` after a shorthand, so ``-e==X`` gives ``=X``).
* ``--`` ends the flags; ``-`` alone is a positional.
* ``interspersed=False`` (run, create, exec): parsing stops at the first positional and the
  rest belongs to the container's command, even ``--rm``; ``interspersed=True`` (ps, rm,
  images): flags may follow positionals.
* Docker's hidden ``--help`` flag (its ``-h`` shorthand deprecated) on every flag set.
* Errors with pflag's exact text, raised as :class:`FlagError`; the CLI prints them with its
  "See 'docker run --help'." trailer and exits 125::

      unknown flag: --foo
      unknown shorthand flag: 'z' in -z
      flag needs an argument: --name
      flag needs an argument: 'e' in -e
      invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'
      bad flag syntax: ---x

A worked example::

    fs = FlagSet("run", interspersed=False)
    fs.add("env", "e", list, help="Set environment variables")
    fs.add("memory", "m", str, convert=parse_bytes, type_name="bytes", help="Memory limit")
    fs.add("rm", kind=bool, help="Automatically remove the container when it exits")
    opts = fs.parse(["-e", "A=1", "--rm", "-m", "1g", "busybox", "ls", "-l"])
    opts.env, opts.memory, opts.rm, opts.args   # ['A=1'], 1073741824, True, ['busybox', 'ls', '-l']
"""

from __future__ import annotations

from dockyard.cli.units import format_duration, go_format_float, go_quote, go_quote_rune, parse_duration
from dockyard.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing/dataclasses cost ~10 ms at start-up, more than the whole parse
    from collections.abc import Callable, Sequence
    from typing import Any

__all__ = ["KINDS", "Flag", "FlagError", "FlagSet", "HelpRequested", "Options"]


class FlagError(InvalidArgument):
    """A command line the flag set cannot parse; ``str(err)`` is pflag's message, verbatim."""


class HelpRequested(FlagError):
    """``--help`` on a flag set built with ``add_help=False`` (pflag's ErrHelp)."""


KINDS = ("bool", "string", "int", "float", "list", "strings", "map", "duration")
"""Value kinds. ``list`` is docker's repeated ``opts.ListOpts`` (``-e A -e B``, no comma
splitting); ``strings`` is pflag's comma-separated StringSlice; ``map`` is docker's MapOpts
(``--sysctl k=v``); ``duration`` is a Go duration stored in nanoseconds."""

_PY_KINDS: dict[Any, str] = {bool: "bool", str: "string", int: "int", float: "float", list: "list", dict: "map"}
_TYPE_NAMES = {"bool": "", "string": "string", "int": "int", "float": "float", "list": "list",
               "strings": "strings", "map": "map", "duration": "duration"}  # fmt: skip
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class Flag:
    """One declared flag; ``dest`` is the attribute it fills on :class:`Options`.

    A plain slotted class rather than a dataclass: importing ``dataclasses`` pulls in
    ``inspect`` and costs the CLI ~7 ms at every start.
    """

    __slots__ = (
        "convert",
        "default",
        "default_text",
        "deprecated",
        "dest",
        "help",
        "hidden",
        "kind",
        "name",
        "no_opt_default",
        "shorthand",
        "shorthand_deprecated",
        "type_name",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        shorthand: str | None,
        kind: str,
        default: Any,
        help: str = "",
        hidden: bool = False,
        deprecated: str | None = None,
        shorthand_deprecated: str | None = None,
        convert: Callable[[str], Any] | None = None,
        type_name: str | None = None,
        no_opt_default: str | None = None,
        default_text: str | None = None,
        dest: str = "",
    ) -> None:
        self.name = name
        self.shorthand = shorthand
        self.kind = kind
        self.default = default
        self.help = help
        self.hidden = hidden
        self.deprecated = deprecated
        self.shorthand_deprecated = shorthand_deprecated
        self.convert = convert
        self.type_name = type_name
        self.no_opt_default = no_opt_default
        self.default_text = default_text
        self.dest = dest or name.replace("-", "_")

    def __repr__(self) -> str:
        return f"Flag({self.display_name!r}, kind={self.kind!r}, default={self.default!r})"

    @property
    def display_name(self) -> str:
        """How pflag names the flag in ``invalid argument`` errors: ``-m, --memory`` or ``--rm``."""
        if self.shorthand and not self.shorthand_deprecated:
            return f"-{self.shorthand}, --{self.name}"
        return f"--{self.name}"

    def usage_parts(self) -> tuple[str, str]:
        """pflag's UnquoteUsage: the value placeholder (a back-quoted word in the help, else the
        type name; none for bools) and the help text with its back-quotes removed."""
        text = self.help
        start = text.find("`")
        if start != -1:
            end = text.find("`", start + 1)
            if end != -1:
                name = text[start + 1 : end]
                return name, text[:start] + name + text[end + 1 :]
        if self.type_name is not None:
            return self.type_name, text
        return _TYPE_NAMES[self.kind], text

    def default_string(self) -> str:
        """pflag's DefValue; ``""`` when it is the kind's zero value (so ``--help`` omits it)."""
        if self.default_text is not None:
            return self.default_text
        d = self.default
        if self.kind == "bool":
            return "true" if d else ""
        if self.kind == "string":
            return go_quote(d) if d else ""
        if self.kind == "int":
            return str(d) if d else ""
        if self.kind == "float":
            return go_format_float(float(d)) if d else ""
        if self.kind == "duration":
            return format_duration(d) if d else ""
        if self.kind == "list":
            return "[" + " ".join(str(v) for v in d) + "]" if d else ""
        if self.kind == "strings":
            return "[" + ",".join(str(v) for v in d) + "]" if d else ""
        if self.kind == "map":
            return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(d.items())) + "]"
        return ""


class Options:
    """The result of :meth:`FlagSet.parse`: each flag's value by python name (``opts.env_file``),
    the positionals in ``args``, which flags the user set (``changed``, by long name), pflag's
    deprecation notices to print on stderr (``warnings``), and where ``--`` was
    (``args_len_at_dash``: how many positionals came before it, or -1)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.args: list[str] = []
        self.changed: set[str] = set()
        self.warnings: list[str] = []
        self.args_len_at_dash = -1

    def __repr__(self) -> str:
        return f"Options(values={self.values!r}, args={self.args!r})"

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"no flag value {name!r}")

    def is_set(self, name: str) -> bool:
        """pflag's ``Changed``: the user gave the flag (long name, with or without dashes)."""
        return name.replace("_", "-") in self.changed or name in self.changed

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name.replace("-", "_"), default)


def _go_parse_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"strconv.ParseBool: parsing {go_quote(text)}: invalid syntax")


def _go_parse_int(text: str) -> int:
    """``strconv.ParseInt(text, 0, 64)``: base prefixes 0x/0o/0b, legacy 0-octal, ``_`` separators."""
    bad = ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not all(c.isalnum() or c == "_" for c in body):
        raise bad
    try:
        if len(body) > 1 and body[0] == "0" and body[1] not in "xXbBoO":
            if "_" in body and (body.endswith("_") or "__" in body):
                raise ValueError
            value = int(body.replace("_", ""), 8)
        else:
            value = int(body, 0)
    except ValueError:
        raise bad from None
    value = -value if text[0] == "-" else value
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def _go_parse_float(text: str) -> float:
    bad = ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or any(c.isspace() for c in body):
        raise bad
    try:
        if body[:2].lower() == "0x":
            value = float.fromhex(text.replace("_", ""))
        else:
            value = float(text)
    except ValueError:
        raise bad from None
    if value in (float("inf"), float("-inf")) and body.lower() not in ("inf", "infinity"):
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(text)}: value out of range")
    return value


def _split_csv(text: str) -> list[str]:
    """One CSV record, as pflag's StringSlice reads it: commas split, double quotes group."""
    if text == "":
        return []
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                cur.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cur.append(ch)
        elif ch == '"' and not cur:
            quoted = True
        elif ch == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    if quoted:
        raise ValueError(f'parse error on line 1, column {len(text) + 1}: extraneous or missing " in quoted-field')
    out.append("".join(cur))
    return out


class FlagSet:
    """The flags of one command, declared once and parsed per invocation.

    ``interspersed=False`` is docker's ``flags.SetInterspersed(false)`` (run, create, exec,
    the top-level ``docker`` flags): the first positional ends flag parsing.
    """

    def __init__(self, name: str = "", *, interspersed: bool = True, add_help: bool = True) -> None:
        self.name = name
        self.interspersed = interspersed
        self._flags: dict[str, Flag] = {}
        self._shorts: dict[str, Flag] = {}
        if add_help:
            self.add("help", "h", bool, help="Print usage", hidden=True, shorthand_deprecated="use --help")

    def add(
        self,
        long: str,
        short: str | None = None,
        kind: Any = bool,
        default: Any = None,
        help: str = "",
        *,
        hidden: bool = False,
        deprecated: str | None = None,
        shorthand_deprecated: str | None = None,
        convert: Callable[[str], Any] | None = None,
        type_name: str | None = None,
        no_opt_default: str | None = None,
        default_text: str | None = None,
        dest: str | None = None,
    ) -> Flag:
        """Declare ``--long`` (and ``-short``).

        ``kind``: ``bool``, ``str``, ``int``, ``float``, ``list``, ``dict`` or a name from
        :data:`KINDS`. ``convert`` turns the text into the stored value (each element for
        ``list``); a ``ValueError`` it raises becomes pflag's ``invalid argument`` error.
        ``type_name`` is the placeholder ``--help`` shows (docker's ``bytes``, ``decimal``...).
        ``default_text`` overrides the ``(default ...)`` shown. ``dest`` lets an alias flag
        (docker's hidden ``--net``) fill another flag's attribute. A ``deprecated`` flag is
        hidden from ``--help`` and noted in ``Options.warnings`` when used.
        """
        kind_name = _PY_KINDS.get(kind, kind)
        if kind_name not in KINDS:
            raise ValueError(f"unknown flag kind {kind!r}")
        if long in self._flags:
            raise ValueError(f"flag redefined: {long}")
        if short is not None and (len(short) != 1 or short in self._shorts):
            raise ValueError(f"bad or redefined shorthand {short!r} for --{long}")
        if default is None:
            default = {"bool": False, "string": "", "int": 0, "float": 0.0, "duration": 0}.get(kind_name)
            if kind_name in ("list", "strings"):
                default = []
            elif kind_name == "map":
                default = {}
        if kind_name == "bool" and no_opt_default is None:
            no_opt_default = "true"
        flag = Flag(
            name=long,
            shorthand=short,
            kind=kind_name,
            default=default,
            help=help,
            hidden=hidden or deprecated is not None,
            deprecated=deprecated,
            shorthand_deprecated=shorthand_deprecated,
            convert=convert,
            type_name=type_name,
            no_opt_default=no_opt_default,
            default_text=default_text,
            dest=(dest or long).replace("-", "_"),
        )
        self._flags[long] = flag
        if short is not None:
            self._shorts[short] = flag
        return flag

    def lookup(self, name: str) -> Flag | None:
        """The flag with long name ``name``, if declared."""
        return self._flags.get(name)

    def flags(self) -> list[Flag]:
        """All flags, sorted by long name as pflag lists them."""
        return [self._flags[k] for k in sorted(self._flags)]

    # --- parsing ----------------------------------------------------------------------------

    def parse(self, argv: Sequence[str]) -> Options:
        """Parse ``argv`` (without the command words) the way pflag does; raise :class:`FlagError`."""
        opts = Options()
        for flag in self._flags.values():
            if flag.dest not in opts.values:
                default = flag.default
                opts.values[flag.dest] = (
                    list(default)
                    if isinstance(default, list)
                    else (dict(default) if isinstance(default, dict) else default)
                )
        args = list(argv)
        while args:
            s = args.pop(0)
            if len(s) < 2 or s[0] != "-":
                if not self.interspersed:
                    opts.args.append(s)
                    opts.args.extend(args)
                    return opts
                opts.args.append(s)
                continue
            if s[1] == "-":
                if len(s) == 2:
                    opts.args_len_at_dash = len(opts.args)
                    opts.args.extend(args)
                    return opts
                args = self._parse_long(s, args, opts)
            else:
                shorts = s[1:]
                while shorts:
                    shorts, args = self._parse_short(shorts, args, opts)
        return opts

    def _parse_long(self, s: str, args: list[str], opts: Options) -> list[str]:
        name = s[2:]
        if not name or name[0] in "-=":
            raise FlagError(f"bad flag syntax: {s}")
        name, eq, value = name.partition("=")
        flag = self._flags.get(name)
        if flag is None:
            if name == "help":
                raise HelpRequested("pflag: help requested")
            raise FlagError(f"unknown flag: --{name}")
        if eq:
            pass
        elif flag.no_opt_default is not None:
            value = flag.no_opt_default
        elif args:
            value = args.pop(0)
        else:
            raise FlagError(f"flag needs an argument: {s}")
        self._set(flag, value, opts)
        return args

    def _parse_short(self, shorts: str, args: list[str], opts: Options) -> tuple[str, list[str]]:
        c, rest = shorts[0], shorts[1:]
        flag = self._shorts.get(c)
        if flag is None:
            if c == "h":
                raise HelpRequested("pflag: help requested")
            raise FlagError(f"unknown shorthand flag: {go_quote_rune(c)} in -{shorts}")
        if len(shorts) > 2 and shorts[1] == "=":
            value, rest = shorts[2:], ""  # '-f=arg': pflag drops exactly one '='
        elif flag.no_opt_default is not None:
            value = flag.no_opt_default  # '-f' in a combo like '-it'
        elif len(shorts) > 1:
            value, rest = shorts[1:], ""  # '-farg'
        elif args:
            value = args.pop(0)  # '-f arg'
        else:
            raise FlagError(f"flag needs an argument: {go_quote_rune(c)} in -{shorts}")
        if flag.shorthand_deprecated:
            opts.warnings.append(f"Flag shorthand -{flag.shorthand} has been deprecated, {flag.shorthand_deprecated}")
        self._set(flag, value, opts)
        return rest, args

    def _set(self, flag: Flag, text: str, opts: Options) -> None:
        try:
            value = self._convert(flag, text)
        except ValueError as exc:
            raise FlagError(f"invalid argument {go_quote(text)} for {go_quote(flag.display_name)} flag: {exc}") from exc
        dest = flag.dest
        if flag.kind in ("list", "strings"):
            items = value if flag.kind == "strings" else [value]
            current = opts.values[dest] if flag.name in opts.changed else []
            opts.values[dest] = current + items
        elif flag.kind == "map":
            current = opts.values[dest] if flag.name in opts.changed else {}
            key, val = value
            opts.values[dest] = {**current, key: val}
        else:
            opts.values[dest] = value
        opts.changed.add(flag.name)
        if flag.deprecated:
            opts.warnings.append(f"Flag --{flag.name} has been deprecated, {flag.deprecated}")

    @staticmethod
    def _convert(flag: Flag, text: str) -> Any:
        kind = flag.kind
        if kind == "bool":
            return flag.convert(text) if flag.convert else _go_parse_bool(text)
        if kind == "strings":
            items = _split_csv(text)
            return [flag.convert(i) for i in items] if flag.convert else items
        if kind == "map":
            converted = flag.convert(text) if flag.convert else text
            if isinstance(converted, tuple):
                return converted
            key, _, val = str(converted).partition("=")
            return key, val
        if flag.convert is not None:
            return flag.convert(text)
        if kind == "int":
            return _go_parse_int(text)
        if kind == "float":
            return _go_parse_float(text)
        if kind == "duration":
            return parse_duration(text)
        return text

    # --- help -------------------------------------------------------------------------------

    def flag_usages(self, width: int = 80) -> str:
        """pflag's FlagUsagesWrapped(width - 1): the aligned ``Options:`` block (``width=0``: no wrap)."""
        lines: list[tuple[str, str]] = []
        for flag in self.flags():
            if flag.hidden:
                continue
            if flag.shorthand and not flag.shorthand_deprecated:
                head = f"  -{flag.shorthand}, --{flag.name}"
            else:
                head = f"      --{flag.name}"
            varname, text = flag.usage_parts()
            if varname:
                head += " " + varname
            nod = flag.no_opt_default
            if nod is not None:
                if flag.kind == "string":
                    head += f'[="{nod}"]'
                elif flag.kind != "bool" or nod != "true":
                    head += f"[={nod}]"
            default = flag.default_string()
            if default:
                text += f" (default {default})"
            lines.append((head, text))
        if not lines:
            return ""
        maxlen = max(len(head) for head, _ in lines) + 1
        cols = width - 1 if width > 0 else 0
        out = []
        for head, text in lines:
            out.append(head + " " * (maxlen - len(head) + 1) + " " + _wrap(maxlen + 2, cols, text) + "\n")
        return "".join(out)

    def usage_text(
        self,
        cmd_name: str,
        usage: str,
        short_description: str,
        *,
        aliases: Sequence[str] = (),
        example: str = "",
        width: int = 80,
    ) -> str:
        """What ``docker <cmd> --help`` prints (docker's cobra usage template).

        ``cmd_name`` is the command path (``"ps"`` or ``"docker container ls"``), ``usage`` the
        rest of the use line (``"[OPTIONS]"``), ``aliases`` the full alias paths
        (``["docker container ls", "docker ps"]``), ``width`` the terminal width (80 when stdout
        is not a terminal).
        """
        path = cmd_name if cmd_name.startswith("docker") else f"docker {cmd_name}"
        text = f"\nUsage:  {path} {usage}".rstrip() + "\n\n" + short_description.strip()
        if aliases:
            text += "\n\nAliases:\n  " + ", ".join(aliases)
        if example:
            text += "\n\nExamples:\n" + example
        flags = self.flag_usages(width).rstrip()
        if flags:
            text += "\n\nOptions:\n" + flags
        return text + "\n"


def _wrap_n(i: int, slop: int, s: str) -> tuple[str, str]:
    if i + slop > len(s):
        return s, ""
    head = s[:i]
    w = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    if w <= 0:
        return s, ""
    nl = head.rfind("\n")
    if 0 < nl < w:
        return s[:nl], s[nl + 1 :]
    return s[:w], s[w + 1 :]


def _wrap(i: int, w: int, s: str) -> str:
    """pflag's wrap: fit ``s`` into columns ``i..w``; continuation lines are indented by ``i``."""
    if w == 0:
        return s.replace("\n", "\n" + " " * i)
    room = w - i
    r = ""
    if room < 24:
        i = 16
        room = w - i
        r += "\n" + " " * i
    if room < 24:
        return s.replace("\n", r)
    slop = 5
    room -= slop
    line, s = _wrap_n(room, slop, s)
    r += line.replace("\n", "\n" + " " * i)
    while s:
        line, s = _wrap_n(room, slop, s)
        r += "\n" + " " * i + line.replace("\n", "\n" + " " * i)
    return r
