"""Per-instruction argument splitting: the right-hand side of one logical line → args.

Each instruction keyword has one splitter (BuildKit's ``line_parsers.go`` dispatch table):

=================  ==========================================================================
splitter           instructions and what they produce
=================  ==========================================================================
``maybe_json``     RUN CMD ENTRYPOINT SHELL: a JSON string array (``json=True``), else
                   the whole rest of the line as one shell-form argument
``json_or_words``  ADD COPY VOLUME: a JSON string array, else whitespace-separated words
``whitespace``     FROM EXPOSE: whitespace-separated words (quotes are not special)
``string``         USER WORKDIR STOPSIGNAL MAINTAINER: the rest of the line, as one arg
``name_val``       ENV LABEL: ``k=v k2="v 2"`` → ``[k, v, k2, "v 2"]`` (values keep their
                   quotes; they are removed at expansion), or legacy ``ENV k v w``
``name_or_val``    ARG: quote-aware words, each ``name`` or ``name=default``
``healthcheck``    HEALTHCHECK: ``[TYPE, *maybe_json(rest)]``
``sub_command``    ONBUILD: the nested instruction, parsed like a line of its own
=================  ==========================================================================

Errors raise :class:`LineError` with Docker's reason; the parser adds file and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.build.errors import ExpansionError
from dockyard.build.shell_words import Lex, go_quote, is_space

__all__ = ["LineError", "Heredoc", "split_command", "extract_flags", "parse_words",
           "parse_json", "parse_heredoc", "must_parse_heredoc", "heredocs_from_line", "split_args",
           "NOT_STRING_ARRAY", "WHITESPACE"]

WHITESPACE = re.compile(r"[\t\v\f\r ]+")
NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_Splitter = Callable[[str, str], tuple[list[str], bool]]


class LineError(Exception):
    """A reason without a location; the parser turns it into a DockerfileParseError."""


@dataclass
class Heredoc:
    """One ``<<NAME`` body. ``content`` is verbatim, line endings included;
    ``expand`` is False when any part of the delimiter was quoted (``<<'EOF'``),
    ``chomp`` is True for ``<<-EOF`` (leading tabs are stripped where it is used),
    ``fd`` is the descriptor written before ``<<`` (``3<<EOF``), 0 when absent."""

    name: str
    content: str = ""
    expand: bool = True
    chomp: bool = False
    fd: int = 0

    def chomped(self) -> str:
        """The content with leading tabs removed from every line when ``chomp`` is set."""
        return _LEADING_TABS.sub("", self.content) if self.chomp else self.content

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "content": self.content, "expand": self.expand,
                "chomp": self.chomp, "fd": self.fd}


def split_command(line: str) -> tuple[str, list[str], str]:
    """``"COPY --from=a x y"`` → (``"COPY"``, ``["--from=a"]``, ``"x y"``)."""
    parts = WHITESPACE.split(line.strip(), maxsplit=1)
    keyword = parts[0]
    flags: list[str] = []
    rest = ""
    if len(parts) == 2:
        rest, flags = extract_flags(parts[1])
    return keyword, flags, rest.strip()


def extract_flags(line: str) -> tuple[str, list[str]]:
    """Leading ``--name[=value]`` words (quotes and ``\\`` removed); stops at ``--``."""
    words: list[str] = []
    word = ""
    phase = "spaces"
    quote = ""
    blank_ok = False
    pos = 0
    n = len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if is_space(ch):
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words
            phase = "word"
        if pos == n:  # end of input inside a word or quote
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == "word":
            if is_space(ch):
                phase = "spaces"
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        # phase == "quote"
        if ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word += ch
        pos += 1
    return "", words


def parse_words(rest: str, escape: str) -> list[str]:
    """Quote-aware words for ENV/LABEL/ARG; quotes and escapes are *kept* in the words."""
    words: list[str] = []
    word = ""
    phase = "spaces"
    quote = ""
    blank_ok = False
    pos = 0
    n = len(rest)
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if is_space(ch):
                pos += 1
                continue
            phase = "word"
        if pos == n:
            if blank_ok or word:
                words.append(word)
            break
        if phase == "word":
            if is_space(ch):
                phase = "spaces"
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue  # an escape at the very end is dropped
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        # phase == "quote"
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            word += ch
            pos += 1
            ch = rest[pos]
        word += ch
        pos += 1
    return words


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # NaN/Infinity are not JSON (Go's decoder rejects them)


def parse_json(rest: str) -> list[str] | None:
    """The JSON string array in ``rest``, or None when ``rest`` is not valid JSON.

    Raises LineError for a valid JSON array holding something other than strings.
    """
    rest = rest.lstrip()
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest, parse_constant=_reject_constant)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise LineError(NOT_STRING_ARRAY)
        # Go decodes lone surrogates to U+FFFD; keep strings encodable the same way.
        out.append("".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in item))
    return out


def parse_heredoc(word: str) -> Heredoc | None:
    """``<<EOF``, ``<<-EOF``, ``3<<'EOF'`` → a Heredoc (no content yet), else None."""
    m = _HEREDOC_WORD.match(word)
    if not m or not m.group(3):
        return None
    fd = int(m.group(1)) if m.group(1) else 0
    rest = m.group(3)
    cooked = Lex("\\", skip_unset_env=True).process_words(rest, {})
    if len(cooked) != 1:
        return None
    raw = Lex("\\", raw_quotes=True, skip_unset_env=True).process_words(rest, {})
    if len(raw) != 1:
        raise LineError(f"internal lexing of heredoc produced inconsistent results: {rest}")

    def quotes(s: str) -> int:
        return s.count("'") + s.count('"')

    return Heredoc(name=cooked[0], expand=quotes(cooked[0]) == quotes(raw[0]),
                   chomp=m.group(2) == "-", fd=fd)


def must_parse_heredoc(word: str) -> Heredoc | None:
    """:func:`parse_heredoc`, with a word that fails to lex meaning "not a heredoc"."""
    try:
        return parse_heredoc(word)
    except (ExpansionError, LineError):
        return None


def heredocs_from_line(line: str) -> list[Heredoc]:
    """Every heredoc word of a logical line, in order."""
    # As BuildKit: a lexing error (an unterminated quote) just means there are no heredocs.
    try:
        words = Lex("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True
                    ).process_words(line, {})
    except ExpansionError:
        words = []
    docs: list[Heredoc] = []
    for word in words:
        try:
            doc = parse_heredoc(word)
        except ExpansionError as exc:
            raise LineError(str(exc)) from None
        if doc is not None:
            docs.append(doc)
    return docs


# -- the dispatch table -------------------------------------------------------------------

def _maybe_json(rest: str, escape: str) -> tuple[list[str], bool]:
    if rest == "":
        return [], False
    parsed = parse_json(rest)
    if parsed is not None:
        return parsed, True
    return [rest], False


def _json_or_words(rest: str, escape: str) -> tuple[list[str], bool]:
    parsed = parse_json(rest)
    if parsed is not None:
        return parsed, True
    return _whitespace(rest, escape)


def _whitespace(rest: str, escape: str) -> tuple[list[str], bool]:
    if rest == "":
        return [], False
    return WHITESPACE.split(rest), False


def _string(rest: str, escape: str) -> tuple[list[str], bool]:
    return ([rest] if rest else []), False


def _name_val(key: str) -> _Splitter:
    def split(rest: str, escape: str) -> tuple[list[str], bool]:
        words = parse_words(rest, escape)
        if not words:
            return [], False
        if "=" not in words[0]:
            # Legacy ``ENV name value with spaces``: the value is the rest of the line.
            parts = WHITESPACE.split(rest, maxsplit=1)
            if len(parts) < 2:
                raise LineError(f"{key} must have two arguments")
            return [parts[0], parts[1]], False
        args: list[str] = []
        for word in words:
            if "=" not in word:
                raise LineError(f"Syntax error - can't find = in {go_quote(word)}. "
                                "Must be of the form: name=value")
            name, value = word.split("=", 1)
            args += [name, value]
        return args, False
    return split


def _name_or_val(rest: str, escape: str) -> tuple[list[str], bool]:
    return parse_words(rest, escape), False


def _healthcheck(rest: str, escape: str) -> tuple[list[str], bool]:
    sep = 0
    while sep < len(rest) and not is_space(rest[sep]):
        sep += 1
    if sep == 0:
        return [], False
    nxt = sep
    while nxt < len(rest) and is_space(rest[nxt]):
        nxt += 1
    cmd, is_json = _maybe_json(rest[nxt:], escape)
    return [rest[:sep], *cmd], is_json


def _ignore(rest: str, escape: str) -> tuple[list[str], bool]:
    return [], False


_DISPATCH: dict[str, _Splitter] = {
    "add": _json_or_words, "arg": _name_or_val, "cmd": _maybe_json, "copy": _json_or_words,
    "entrypoint": _maybe_json, "env": _name_val("ENV"), "expose": _whitespace,
    "from": _whitespace, "healthcheck": _healthcheck, "label": _name_val("LABEL"),
    "maintainer": _string, "run": _maybe_json, "shell": _maybe_json,
    "stopsignal": _string, "user": _string, "volume": _json_or_words, "workdir": _string,
}


def split_args(keyword: str, rest: str, escape: str) -> tuple[list[str], bool]:
    """Arguments of one instruction (``keyword`` lower-case, ONBUILD excluded) and
    whether they came from the JSON form. Unknown keywords get no arguments: the
    parser keeps them, the typing step rejects them with their line number."""
    return _DISPATCH.get(keyword, _ignore)(rest, escape)
