"""The lexer: template text -> tokens, with Go text/template's rules and error texts.

Why eager (a list) rather than Go's goroutine-fed stream: templates are one line on a command
line; a list keeps the parser's look-ahead trivial. A lexing error becomes an ``error`` token at
the place it happened, so the parser reports it when it gets there, as Go's does.

Token kinds: ``text``, ``left`` (``{{``), ``right`` (``}}``), ``space``, ``ident`` (a function
name), ``field`` (``.Name``), ``var`` (``$x``, ``$``), ``dot``, ``string``, ``rawstring``,
``char`` (``'a'``), ``number``, ``bool``, ``nil``, ``keyword`` (if, else, end, range, with,
break, continue, define, template, block), ``pipe``, ``lparen``, ``rparen``, ``declare``
(``:=``), ``assign`` (``=``), ``punct`` (another printable character, such as the comma of
``range $i, $v :=``), ``eof`` and ``error``.

Trim markers: ``{{- `` removes the white space before the action, `` -}}`` the white space
after it; the space next to the dash is required (``{{-3}}`` is the number -3).
"""

from __future__ import annotations

__all__ = ["KEYWORDS", "Token", "lex"]

SPACES = " \t\r\n"
KEYWORDS = frozenset({"break", "continue", "define", "else", "end", "if", "range", "template", "with", "block"})
_TERMINATORS = SPACES + ".,|:)("


class Token:
    """One lexeme: its kind, its text (the message for ``error``), its offset and line."""

    __slots__ = ("kind", "line", "pos", "val")

    def __init__(self, kind: str, val: str, pos: int, line: int) -> None:
        self.kind = kind
        self.val = val
        self.pos = pos
        self.line = line

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.val!r}, {self.pos})"

    def __str__(self) -> str:
        """How Go's parser names a token in ``unexpected X in Y`` errors."""
        if self.kind == "eof":
            return "EOF"
        if self.kind == "error":
            return self.val
        if self.kind in ("keyword", "dot", "nil"):  # Go numbers these among its keywords
            return f"<{self.val}>"
        from dockyard.cli.units import go_quote

        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _go_rune(ch: str) -> str:
    """Go's ``%#U``: ``U+0023 '#'``."""
    code = ord(ch)
    text = f"U+{code:04X}"
    return f"{text} '{ch}'" if ch.isprintable() else text


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.paren_depth = 0

    def line_at(self, pos: int) -> int:
        return 1 + self.text.count("\n", 0, pos)

    def emit(self, kind: str, val: str, pos: int) -> None:
        self.tokens.append(Token(kind, val, pos, self.line_at(pos)))

    def fail(self, msg: str, pos: int) -> None:
        self.emit("error", msg, pos)

    def at_right_delim(self, p: int) -> tuple[bool, bool]:
        """(at ``}}``, with a trim marker ``" -"`` before it)."""
        t = self.text
        if p + 1 < len(t) and t[p] in SPACES and t[p + 1] == "-" and t.startswith("}}", p + 2):
            return True, True
        return t.startswith("}}", p), False

    def run(self) -> list[Token]:
        t = self.text
        pos = 0
        trim_next = False
        while True:
            start = t.find("{{", pos)
            end = len(t) if start < 0 else start
            if trim_next:
                while pos < end and t[pos] in SPACES:
                    pos += 1
            chunk_end = end
            left_trim = start >= 0 and t[start + 2 : start + 3] == "-" and t[start + 3 : start + 4] in tuple(SPACES)
            if left_trim:
                while chunk_end > pos and t[chunk_end - 1] in SPACES:
                    chunk_end -= 1
            if chunk_end > pos:
                self.emit("text", t[pos:chunk_end], pos)
            if start < 0:
                self.emit("eof", "", len(t))
                return self.tokens
            p = start + 2 + (2 if left_trim else 0)
            if t.startswith("/*", p):
                close = t.find("*/", p + 2)
                if close < 0:
                    self.fail("unclosed comment", start)
                    return self.tokens
                p = close + 2
                at, trim = self.at_right_delim(p)
                if not at:
                    self.fail("comment ends before closing delimiter", start)
                    return self.tokens
                pos = p + (4 if trim else 2)
                trim_next = trim
                continue
            self.emit("left", "{{", start)
            result = self.inside_action(p)
            if result is None:
                return self.tokens
            pos, trim_next = result

    def inside_action(self, p: int) -> tuple[int, bool] | None:
        """Lex one action from ``p``; return where the text resumes and whether to trim it."""
        t = self.text
        n = len(t)
        while True:
            at, trim = self.at_right_delim(p)
            if at:
                if self.paren_depth:
                    self.fail("unclosed left paren", p)
                    return None
                if trim:
                    self.emit("right", "}}", p + 2)
                    return p + 4, True
                self.emit("right", "}}", p)
                return p + 2, False
            if p >= n:
                self.fail("unclosed action", p)
                return None
            c = t[p]
            if c in SPACES:
                q = p
                while q < n and t[q] in SPACES:
                    q += 1
                # Leave the last space to a trim-marked delimiter (" -}}").
                if t.startswith("-}}", q) and q - p >= 1:
                    if q - p > 1:
                        self.emit("space", t[p : q - 1], p)
                    p = q - 1
                    continue
                self.emit("space", t[p:q], p)
                p = q
            elif c == "=":
                self.emit("assign", "=", p)
                p += 1
            elif c == ":":
                if t[p + 1 : p + 2] != "=":
                    self.fail("expected :=", p)
                    return None
                self.emit("declare", ":=", p)
                p += 2
            elif c == "|":
                self.emit("pipe", "|", p)
                p += 1
            elif c == '"':
                q = p + 1
                while True:
                    if q >= n or t[q] == "\n":
                        self.fail("unterminated quoted string", p)
                        return None
                    if t[q] == "\\" and q + 1 < n and t[q + 1] != "\n":
                        q += 2
                        continue
                    if t[q] == '"':
                        break
                    q += 1
                self.emit("string", t[p : q + 1], p)
                p = q + 1
            elif c == "`":
                q = t.find("`", p + 1)
                if q < 0:
                    self.fail("unterminated raw quoted string", p)
                    return None
                self.emit("rawstring", t[p : q + 1], p)
                p = q + 1
            elif c == "'":
                q = p + 1
                while True:
                    if q >= n or t[q] == "\n":
                        self.fail("unterminated character constant", p)
                        return None
                    if t[q] == "\\" and q + 1 < n and t[q + 1] != "\n":
                        q += 2
                        continue
                    if t[q] == "'":
                        break
                    q += 1
                self.emit("char", t[p : q + 1], p)
                p = q + 1
            elif c == "$":
                q = p + 1
                while q < n and (t[q].isalnum() or t[q] == "_"):
                    q += 1
                self.emit("var", t[p:q], p)
                p = q
                if not self.terminated(p):
                    return None
            elif c == "." and not t[p + 1 : p + 2].isdigit():
                q = p + 1
                while q < n and (t[q].isalnum() or t[q] == "_"):
                    q += 1
                self.emit("field" if q > p + 1 else "dot", t[p:q], p)
                p = q
                if not self.terminated(p):
                    return None
            elif c in "+-." or c.isdigit() and c.isascii():
                q = self.scan_number(p)
                if q < 0:
                    return None
                p = q
            elif c.isalpha() or c == "_":
                q = p
                while q < n and (t[q].isalnum() or t[q] == "_"):
                    q += 1
                word = t[p:q]
                if word in KEYWORDS:
                    kind = "keyword"
                elif word in ("true", "false"):
                    kind = "bool"
                elif word == "nil":
                    kind = "nil"
                else:
                    kind = "ident"
                self.emit(kind, word, p)
                p = q
                if not self.terminated(p):
                    return None
            elif c == "(":
                self.paren_depth += 1
                self.emit("lparen", "(", p)
                p += 1
            elif c == ")":
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    self.fail("unexpected right paren", p)
                    return None
                self.emit("rparen", ")", p)
                p += 1
            elif c.isascii() and c.isprintable():
                self.emit("punct", c, p)
                p += 1
            else:
                self.fail(f"unrecognized character in action: {_go_rune(c)}", p)
                return None

    def terminated(self, p: int) -> bool:
        """Go's atTerminator check after a word; emits ``bad character`` when it fails."""
        t = self.text
        if p >= len(t) or t[p] in _TERMINATORS or t.startswith("}}", p):
            return True
        self.fail(f"bad character {_go_rune(t[p])}", p)
        return False

    def scan_number(self, p: int) -> int:
        t = self.text
        n = len(t)
        q = p
        if q < n and t[q] in "+-":
            q += 1
        digits = "0123456789_"
        if t.startswith("0", q) and q + 1 < n and t[q + 1] in "xXoObB":
            digits = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}[t[q + 1].lower()]
            q += 2
        while q < n and t[q] in digits:
            q += 1
        if q < n and t[q] == ".":
            q += 1
            while q < n and t[q] in digits:
                q += 1
        if digits == "0123456789_" and q < n and t[q] in "eE":
            q += 1
            if q < n and t[q] in "+-":
                q += 1
            while q < n and t[q] in "0123456789_":
                q += 1
        if len(digits) == 23 and q < n and t[q] in "pP":
            q += 1
            if q < n and t[q] in "+-":
                q += 1
            while q < n and t[q] in "0123456789_":
                q += 1
        if q < n and t[q] == "i":
            q += 1
        if q < n and (t[q].isalnum() or t[q] == "_"):
            from dockyard.cli.units import go_quote

            self.fail(f"bad number syntax: {go_quote(t[p : q + 1])}", p)
            return -1
        self.emit("number", t[p:q], p)
        return q


def lex(text: str) -> list[Token]:
    """Tokens of ``text``, ending with ``eof`` or an ``error`` token."""
    return _Lexer(text).run()
