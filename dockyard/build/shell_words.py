"""Shell-word processing: how Docker expands ``$VAR`` in Dockerfile instruction arguments.

This is a port of BuildKit's ``frontend/dockerfile/shell`` lexer, not a POSIX shell: it
knows variables, quotes and the escape character, and nothing else (no globbing, no
command substitution, no arithmetic). Vocabulary:

``word``
    one argument as written, e.g. ``"$HOME/a b"``.
``expand_word``
    the word with variables replaced and quotes/escapes removed, as one string
    (ENV/LABEL values, WORKDIR, USER, ...): ``"$HOME/a b"`` → ``/root/a b``.
``expand_words``
    the same, then split into fields on unquoted whitespace, dropping empty fields
    (``EXPOSE $PORTS``, ``COPY $SRC /dst``): ``a "b c" $EMPTY`` → ``["a", "b c"]``.

Supported forms: ``$var``, ``${var}``, ``${var:-word}``, ``${var-word}``, ``${var:+word}``,
``${var+word}``, ``${var:?message}``, ``${var?message}``, ``${var#pattern}``,
``${var##pattern}``, ``${var%pattern}``, ``${var%%pattern}``, ``${var/pattern/repl}``,
``${var//pattern/repl}``. Inside single quotes nothing is special; inside double quotes
only ``$`` and the escape character (before ``"``, ``$`` or itself) are. An unquoted escape
character makes the next character literal; the escape character is ``\\`` unless the
Dockerfile says ``# escape=```.

Errors raise :class:`~dockyard.build.errors.ExpansionError` with BuildKit's text, e.g.
``failed to process "${X:?need X}": X: need X``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dockyard.build.errors import ExpansionError

__all__ = ["Lex", "expand_word", "expand_words", "go_quote", "is_space"]

_EOF = ""
_SPECIAL_PARAMS = set("@*#?-$!0")
# Go's unicode.IsSpace: ASCII whitespace, NEL, NBSP and the Unicode Z-space separators.
_GO_SPACES = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}


def is_space(ch: str) -> bool:
    """``unicode.IsSpace`` as Go defines it (Python's ``str.isspace`` differs slightly)."""
    return ch in _GO_SPACES


def go_quote(s: str) -> str:
    """Go's ``%q`` for the strings that appear in error messages."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class _Failure(Exception):
    """Internal: carries a reason up to :meth:`Lex._run`, which adds the word."""


@dataclass
class _Words:
    """Field splitting as the lexer goes: unquoted expansions split, quoted text does not."""

    word: str = ""
    words: list[str] = field(default_factory=list)
    in_word: bool = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.word += ch
        self.in_word = True

    def add_string(self, s: str) -> None:
        for ch in s:
            self.add_char(ch)

    def add_raw_string(self, s: str) -> None:
        self.word += s
        self.in_word = True

    def get(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


class _ShellWord:
    def __init__(self, lex: Lex, text: str, env: Mapping[str, str]) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = lex.escape
        self.raw_quotes = lex.raw_quotes
        self.raw_escapes = lex.raw_escapes
        self.skip_unset = lex.skip_unset_env
        self.skip_quotes = lex.skip_process_quotes

    # -- scanner -------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        ch = self.peek()
        if ch != _EOF:
            self.pos += 1
        return ch

    def lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            return self.env[name], True
        return "", False

    # -- words ---------------------------------------------------------------------------
    def process_until(self, stops: str = "", raw_escapes: bool | None = None
                      ) -> tuple[str, list[str], str]:
        """Read up to (and consume) one of ``stops``; ``stops == ""`` reads to the end.

        Returns (result, fields, the stop character met).
        """
        saved = self.raw_escapes
        if raw_escapes is not None:
            self.raw_escapes = raw_escapes
        try:
            return self._process_until(stops)
        finally:
            self.raw_escapes = saved

    def _process_until(self, stops: str) -> tuple[str, list[str], str]:
        result: list[str] = []
        words = _Words()
        while self.peek() != _EOF:
            ch = self.peek()
            if stops and ch in stops:
                self.next()
                return "".join(result), words.get(), ch
            if ch == "$":
                tmp = self.process_dollar()
                result.append(tmp)
                words.add_string(tmp)
            elif ch in "'\"" and not self.skip_quotes:
                tmp = self.single_quote() if ch == "'" else self.double_quote()
                result.append(tmp)
                words.add_raw_string(tmp)
            else:
                ch = self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        result.append(ch)
                    ch = self.next()
                    if ch == _EOF:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stops:
            raise _Failure(f"unexpected end of statement while looking for matching {stops[-1]}")
        return "".join(result), words.get(), _EOF

    def single_quote(self) -> str:
        # Everything up to the next ' is literal; a ' cannot be escaped inside.
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            ch = self.next()
            if ch == _EOF:
                raise _Failure("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> str:
        # Literal except $ and the escape character before ", $ or itself.
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)
        while True:
            nxt = self.peek()
            if nxt == _EOF:
                raise _Failure("unexpected end of statement while looking for matching double-quote")
            if nxt == '"':
                ch = self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if nxt == "$":
                out.append(self.process_dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                after = self.peek()
                if after == _EOF:
                    continue  # an escape at the very end is dropped
                if after in ('"', "$", self.escape):
                    if self.raw_escapes:
                        out.append(ch)
                    ch = self.next()
            out.append(ch)

    # -- variables -----------------------------------------------------------------------
    def process_name(self) -> str:
        name: list[str] = []
        while self.peek() != _EOF:
            ch = self.peek()
            if not name and ch.isdigit():
                while self.peek() != _EOF and self.peek().isdigit():
                    name.append(self.next())
                return "".join(name)
            if not name and ch in _SPECIAL_PARAMS:
                return self.next()
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                break
            name.append(self.next())
        return "".join(name)

    def process_dollar(self) -> str:
        self.next()  # the $
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            value, found = self.lookup(name)
            if not found and self.skip_unset:
                return "$" + name
            return value

        self.next()  # the {
        if self.peek() == _EOF:
            raise _Failure("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _Failure("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        if ch == _EOF:
            raise _Failure("syntax error: missing '}'")
        if ch == "}":
            value, found = self.lookup(name)
            if not found and self.skip_unset:
                return "${" + name + "}"
            return value
        if ch == "/":
            return self._substitute(name)
        mod = ch
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            mod += ch
        elif ch not in "+-?#%":
            raise _Failure(f"unsupported modifier ({mod}) in substitution")
        trims = ch in "#%"
        if null_is_unset and trims:
            raise _Failure(f"unsupported modifier ({mod}) in substitution")
        word = self._word_until_brace(raw_escapes=trims)
        value, found = self.lookup(name)
        if self.skip_unset and not found:
            return "${" + name + mod + word + "}"
        empty = not found or (null_is_unset and value == "")
        if ch == "-":
            return word if empty else value
        if ch == "+":
            return "" if empty else word
        if ch == "?":
            if not found:
                raise _Failure(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _Failure(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in "#%":
            greedy = word.startswith(ch)
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise _Failure(f"unsupported modifier ({mod}) in substitution")

    def _word_until_brace(self, raw_escapes: bool) -> str:
        try:
            word, _, _ = self.process_until("}", raw_escapes=raw_escapes)
        except _Failure:
            if self.peek() == _EOF:
                raise _Failure("syntax error: missing '}'") from None
            raise
        return word

    def _substitute(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        try:
            pattern, _, stop = self.process_until("/}", raw_escapes=True)
        except _Failure:
            raise _Failure("syntax error: missing '}'") from None
        replacement = ""
        if stop == "/":
            replacement = self._word_until_brace(raw_escapes=False)
        value, found = self.lookup(name)
        if self.skip_unset and not found:
            sep = "//" if replace_all else "/"
            return "${" + name + sep + pattern + "/" + replacement + "}"
        regex = _pattern_regex(pattern, greedy=True, anchored=False)
        return regex.sub(lambda _m: replacement, value, count=0 if replace_all else 1)


def _pattern_regex(pattern: str, greedy: bool, anchored: bool = True) -> re.Pattern[str]:
    """A shell pattern (``*``, ``?``, ``\\`` escapes) as a regular expression."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            nxt = pattern[i] if i < len(pattern) else ""
            if nxt in ("}", "/"):
                continue  # the escape protected ${}'s own syntax, not part of the pattern
            if nxt not in ("*", "?", "\\"):
                raise _Failure(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{nxt}'")
            out.append("\\" + nxt)
            i += 1
            continue
        out.append(re.escape(tok))
    try:
        return re.compile("".join(out))
    except re.error as exc:  # pragma: no cover - every token is escaped above
        raise _Failure(f"invalid pattern ({pattern}) in substitution: {exc}") from None


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    m = _pattern_regex(pattern, greedy).search(value)
    return value[m.end():] if m else value


def _reverse_pattern(pattern: str) -> str:
    # Reverse, keeping each escape in front of the character it escapes.
    toks: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            toks.append(pattern[i:i + 2])
            i += 2
        else:
            toks.append(pattern[i])
            i += 1
    return "".join(reversed(toks))


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # Regular expressions anchor at the start, so trim a prefix of the reversed value.
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


@dataclass(frozen=True)
class Lex:
    """A configured lexer. ``raw_quotes``/``raw_escapes`` keep quotes/escapes in the
    output (the parser uses that to find heredoc words); ``skip_unset_env`` leaves
    ``$UNSET`` as written instead of expanding it to the empty string."""

    escape: str = "\\"
    raw_quotes: bool = False
    raw_escapes: bool = False
    skip_unset_env: bool = False
    skip_process_quotes: bool = False

    def process_word(self, word: str, env: Mapping[str, str]) -> str:
        return self._run(word, env)[0]

    def process_words(self, word: str, env: Mapping[str, str]) -> list[str]:
        return self._run(word, env)[1]

    def _run(self, word: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
        sw = _ShellWord(self, word, env)
        try:
            result, words, _ = sw.process_until("")
        except _Failure as exc:
            raise ExpansionError(f"failed to process {go_quote(word)}: {exc}") from None
        return result, words


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand ``word`` into one string (quotes and escapes removed, no field splitting)."""
    return Lex(escape).process_word(word, env)


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand ``word`` and split it into fields on unquoted whitespace."""
    return Lex(escape).process_words(word, env)
