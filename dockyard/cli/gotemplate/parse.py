"""The parser: tokens -> the node tree of :mod:`.nodes`, as Go's ``text/template/parse`` builds it.

Why mirror Go's parser step by step: its quirks are visible to users (``{{else if}}`` shares the
``{{end}}``; variables declared inside ``{{if}}`` are scoped to it; an undefined ``$x`` or
function is a parse error; ``.A.B`` is one field node positioned at ``.B``), and so are its error
texts (``template: :1: unexpected "}" in operand``).

Grammar (the subset docker users write)::

    list     := (text | action)*
    action   := {{pipeline}} | {{if p}} list ({{else if p}} list)* ({{else}} list)? {{end}}
              | {{range [$i,] [$v] := p}} list ({{else}} list)? {{end}} | {{with p}} ... {{end}}
              | {{break}} | {{continue}}
    pipeline := [$x := | $x = ] command (| command)*
    command  := operand (space operand)*
    operand  := term (.Field)*
    term     := .Field | . | $var | "str" | `raw` | 'c' | number | true | false | nil
              | ident (a function) | ( pipeline )
"""

from __future__ import annotations

from dockyard.cli.gotemplate.lex import Token, lex
from dockyard.cli.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateError,
    TextNode,
    VariableNode,
    WithNode,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container
    from typing import NoReturn

__all__ = ["TemplateError", "number", "parse", "unquote"]


# --- literals ----------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", "'": "'", '"': '"'}  # fmt: skip


def unquote(text: str) -> str:
    """Go's ``strconv.Unquote`` for ``"..."``, ```...``` and ``'c'`` literals; ValueError if bad."""
    if text[0] == "`":
        return text[1:-1].replace("\r", "")
    quote, body = text[0], text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            if ch == quote:
                raise ValueError("invalid syntax")
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if esc in _SIMPLE_ESCAPES:
            if (esc == "'" and quote == '"') or (esc == '"' and quote == "'"):
                raise ValueError("invalid syntax")
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[esc]
            digits = body[i + 2 : i + 2 + size]
            if len(digits) != size or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("invalid syntax")
            code = int(digits, 16)
            if esc == "x":
                out.append(bytes([code]).decode("latin-1") if code < 0x80 else chr(0xFFFD))
            else:
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise ValueError("invalid syntax")
                out.append(chr(code))
            i += 2 + size
        elif esc and esc in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or any(c not in "01234567" for c in digits) or int(digits, 8) > 255:
                raise ValueError("invalid syntax")
            code = int(digits, 8)
            out.append(chr(code) if code < 0x80 else chr(0xFFFD))
            i += 4
        else:
            raise ValueError("invalid syntax")
    result = "".join(out)
    if quote == "'" and len(result) != 1:
        raise ValueError("invalid syntax")
    return result


def _parse_int(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    if not body or "." in body:
        return None
    try:
        if len(body) > 1 and body[0] == "0" and body[1] in "01234567_":
            value = int(body.replace("_", ""), 8)
        else:
            value = int(body, 0)
    except ValueError:
        return None
    return -value if text[0] == "-" else value


def number(text: str) -> tuple[int | float, int | None]:
    """(untyped constant value, int value or None) of a number/char literal.

    Raises ValueError with Go's message (``illegal number syntax: "1x"``, ``integer overflow``).
    """
    from dockyard.cli.units import go_quote

    if text[0] == "'":
        try:
            code = ord(unquote(text))
        except (ValueError, TypeError):
            raise ValueError(f"malformed character constant: {text}") from None
        return code, code
    as_int = _parse_int(text)
    if as_int is not None:
        if not -(1 << 63) <= as_int < 1 << 64:
            raise ValueError(f"integer overflow: {go_quote(text)}")
        return as_int, as_int
    body = text.replace("_", "")
    digits = body.lstrip("+-")
    try:
        if digits.lower() in ("inf", "infinity", "nan") or not digits.isascii() or any(c.isspace() for c in body):
            raise ValueError
        value = float.fromhex(body) if digits[:2].lower() == "0x" else float(body)
    except ValueError:
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    if not any(c in text for c in ".eEpP"):
        raise ValueError(f"integer overflow: {go_quote(text)}")
    int_value = int(value) if value == int(value) and abs(value) < 1 << 63 else None
    return value, int_value


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, name: str, funcs: Container[str]) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.tokens = lex(text)
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0

    # token stream

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind == "error":
            self.fail(tok.val, tok)
        self.i += 1
        return tok

    def backup(self, n: int = 1) -> None:
        self.i -= n

    def peek(self) -> Token:
        tok = self.next()
        self.backup()
        return tok

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    def fail(self, msg: str, tok: Token | None = None) -> NoReturn:
        line = (tok or self.tokens[min(self.i, len(self.tokens) - 1)]).line
        raise TemplateError(f"template: {self.name}:{line}: {msg}")

    def unexpected(self, tok: Token, context: str) -> NoReturn:
        self.fail(f"unexpected {tok} in {context}", tok)

    def expect(self, kind: str, context: str) -> Token:
        tok = self.next_non_space()
        if tok.kind != kind:
            self.unexpected(tok, context)
        return tok

    # structure

    def parse(self) -> ListNode:
        root = ListNode(0)
        while self.peek().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, (_End, _Else)):
                self.fail(f"unexpected {node}", self.tokens[self.i - 1])
            root.nodes.append(node)
        return root

    def item_list(self) -> tuple[ListNode, Node]:
        body = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, (_End, _Else)):
                return body, node
            body.nodes.append(node)
        self.fail("unexpected EOF")

    def text_or_action(self) -> Node:
        tok = self.next_non_space()
        if tok.kind == "text":
            return TextNode(tok.pos, tok.val)
        if tok.kind == "left":
            return self.action()
        self.unexpected(tok, "input")

    def action(self) -> Node:
        tok = self.next_non_space()
        if tok.kind == "keyword":
            word = tok.val
            if word == "if":
                return self.control(IfNode, "if")
            if word == "range":
                return self.control(RangeNode, "range")
            if word == "with":
                return self.control(WithNode, "with")
            if word == "end":
                self.expect("right", "end")
                return _End(tok.pos)
            if word == "else":
                nxt = self.peek_non_space()
                if nxt.kind == "keyword" and nxt.val in ("if", "with"):
                    return _Else(tok.pos, chained=nxt.val)
                self.expect("right", "else")
                return _Else(tok.pos)
            if word in ("break", "continue"):
                if self.range_depth == 0:
                    self.fail(f"{{{{{word}}}}} outside {{{{range}}}}", tok)
                self.expect("right", f"{{{{{word}}}}}")
                return BreakNode(tok.pos) if word == "break" else ContinueNode(tok.pos)
            self.fail(f"{{{{{word}}}}} is not supported by docker --format templates", tok)
        self.backup()
        pos = self.peek().pos
        return ActionNode(pos, self.pipeline("command", "right"))

    def control(self, cls: type[BranchNode], context: str) -> BranchNode:
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, "right")
            if context == "range":
                self.range_depth += 1
            body, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list = None
            if isinstance(nxt, _Else):
                if nxt.chained and nxt.chained == context and context in ("if", "with"):
                    self.next_non_space()  # the "if"/"with" of "else if"/"else with"
                    else_list = ListNode(nxt.pos)
                    else_list.nodes.append(self.control(cls, context))
                elif nxt.chained:
                    self.fail(f"unexpected <{nxt.chained}> in else", self.peek_non_space())
                else:
                    else_list, end = self.item_list()
                    if not isinstance(end, _End):
                        self.fail(f"expected end; found {end}")
            return cls(pipe.pos, pipe, body, else_list)
        finally:
            del self.vars[mark:]

    def pipeline(self, context: str, end: str) -> PipeNode:
        tok = self.peek_non_space()
        pipe = PipeNode(tok.pos)
        while True:
            tok = self.peek_non_space()
            if tok.kind != "var":
                break
            self.next_non_space()
            after = self.peek_non_space()
            if after.kind in ("assign", "declare"):
                self.next_non_space()
                pipe.is_assign = after.kind == "assign"
                pipe.decl.append(VariableNode(tok.pos, [tok.val]))
                self.vars.append(tok.val)
                break
            if after.kind == "punct" and after.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(tok.pos, [tok.val]))
                self.vars.append(tok.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().kind in ("var", "right", "rparen"):
                        continue
                    self.fail("range can only initialize variables", after)
                self.fail(f"too many declarations in {context}", after)
            self.backup_to(tok)
            break
        while True:
            tok = self.next_non_space()
            if tok.kind == end:
                self.check_pipeline(pipe, context, tok)
                return pipe
            if tok.kind in ("bool", "char", "dot", "field", "ident", "number", "nil", "rawstring", "string",
                            "var", "lparen"):  # fmt: skip
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(tok, context)

    def backup_to(self, tok: Token) -> None:
        while self.tokens[self.i] is not tok:
            self.i -= 1

    def check_pipeline(self, pipe: PipeNode, context: str, tok: Token) -> None:
        if not pipe.cmds:
            self.fail(f"missing value for {context}", tok)
        for i, cmd in enumerate(pipe.cmds[1:], start=2):
            first = cmd.args[0]
            if isinstance(first, (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.fail(f"non executable command in pipeline stage {i}", tok)

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.kind == "space":
                continue
            if tok.kind in ("right", "rparen"):
                self.backup()
            elif tok.kind != "pipe":
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.fail("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().kind == "field":
            chain = ChainNode(self.peek().pos, node)
            while self.peek().kind == "field":
                chain.fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, VariableNode):
                return VariableNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                from dockyard.cli.units import go_quote

                self.fail(f"unexpected . after term {go_quote(str(node))}")
            return chain
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        kind = tok.kind
        if kind == "ident":
            if tok.val not in self.funcs:
                self.fail(f'function "{tok.val}" not defined', tok)
            return IdentifierNode(tok.pos, tok.val)
        if kind == "dot":
            return DotNode(tok.pos)
        if kind == "nil":
            return NilNode(tok.pos)
        if kind == "var":
            if tok.val not in self.vars:
                self.fail(f'undefined variable "{tok.val}"', tok)
            return VariableNode(tok.pos, [tok.val])
        if kind == "field":
            return FieldNode(tok.pos, [tok.val[1:]])
        if kind == "bool":
            return BoolNode(tok.pos, tok.val == "true")
        if kind in ("number", "char"):
            try:
                value, int_value = number(tok.val)
            except ValueError as exc:
                self.fail(str(exc), tok)
            return NumberNode(tok.pos, tok.val, value, int_value)
        if kind == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        if kind in ("string", "rawstring"):
            try:
                return StringNode(tok.pos, tok.val, unquote(tok.val))
            except ValueError:
                self.fail("invalid syntax", tok)
        self.backup()
        return None


class _End(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class _Else(Node):
    __slots__ = ("chained",)

    def __init__(self, pos: int, chained: str = "") -> None:
        super().__init__(pos)
        self.chained = chained

    def __str__(self) -> str:
        return "{{else}}"


def parse(text: str, funcs: Container[str], name: str = "") -> ListNode:
    """The tree of ``text``; ``funcs`` are the function names it may call. Raises TemplateError."""
    return _Parser(text, name, funcs).parse()
