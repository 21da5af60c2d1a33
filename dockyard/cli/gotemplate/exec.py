"""The executor: walks a parsed template over data, with Go text/template's semantics.

Data are the API's JSON as Python values (see :mod:`.gofmt` for the Go type each stands for).
``.Name`` on a dict is a key lookup; on any other object it is an attribute, and a callable
attribute or dict value is called like a Go method, with the action's arguments
(``{{.Label "com.x"}}``). The ``missingkey`` option is Go's:

``default``  a missing key yields no value: ``<no value>`` when printed, false in ``if``;
             fields of a null or missing value are missing too.
``zero``     a missing key of a string-valued dict yields ``""``; otherwise as ``default``.
``error``    a missing key fails with ``map has no entry for key "Foo"``, and a field of null
             with ``nil pointer evaluating interface {}.Foo``. This is what ``docker inspect``
             shows for a field its types do not have (it retries the raw JSON with this option).
             A string-valued dict (``Labels``, a Go ``map[string]string`` in docker's typed
             structs) keeps ``default`` behaviour, as it does in docker.

Errors read like Go's: ``template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"``.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.funcs import FuncError, GoFunc, is_string_map, truth
from dockyard.cli.gotemplate.gofmt import MISSING, go_type_name, sort_keys, sprint_value
from dockyard.cli.gotemplate.nodes import (
    ActionNode,
    BoolNode,
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
    from collections.abc import Mapping
    from typing import Any, NoReturn

__all__ = ["MISSINGKEY_MODES", "execute"]

MISSINGKEY_MODES = ("default", "zero", "error")
_NO_FINAL: Any = object()  # "no value piped in", distinct from a piped missing value
_ABSENT: Any = object()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _State:
    def __init__(self, text: str, name: str, funcs: Mapping[str, GoFunc], missingkey: str) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.missingkey = missingkey
        self.out: list[str] = []
        self.vars: list[list[Any]] = []
        self.node: Node | None = None

    # errors and variables

    def at(self, node: Node) -> None:
        self.node = node

    def fail(self, msg: str) -> NoReturn:
        node = self.node
        if node is None:
            raise TemplateError(f"template: {self.name}: {msg}", "".join(self.out))
        before = self.text[: node.pos]
        nl = before.rfind("\n")
        line = before.count("\n") + 1
        col = node.pos if nl < 0 else node.pos - nl - 1
        raise TemplateError(
            f'template: {self.name}:{line}:{col}: executing "{self.name}" at <{node}>: {msg}', "".join(self.out)
        )

    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_top_var(self, n: int, value: Any) -> None:
        self.vars[-n][1] = value

    def set_var(self, name: str, value: Any) -> None:
        for var in reversed(self.vars):
            if var[0] == name:
                var[1] = value
                return
        self.fail(f"undefined variable: {name}")

    def var_value(self, name: str) -> Any:
        for var in reversed(self.vars):
            if var[0] == name:
                return var[1]
        self.fail(f"undefined variable: {name}")

    # walking

    def walk(self, dot: Any, node: Node) -> None:
        self.at(node)
        if isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.at(node)
                self.out.append("<no value>" if value is None or value is MISSING else sprint_value(value))
        elif isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, (IfNode, WithNode)):
            mark = self.mark()
            value = self.eval_pipeline(dot, node.pipe)
            if truth(value):
                self.walk(value if isinstance(node, WithNode) else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
            self.pop(mark)
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            self.fail(f"unknown node: {node}")

    def walk_range(self, dot: Any, node: RangeNode) -> None:
        mark = self.mark()
        value = self.eval_pipeline(dot, node.pipe)
        decl = node.pipe.decl
        self.at(node)
        if value is None or value is MISSING:
            items: list[tuple[Any, Any]] = []
        elif isinstance(value, dict):
            items = [(k, value[k]) for k in sort_keys(value)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            if len(decl) > 1:
                self.fail(f"can't use {value} to iterate over more than one variable")
            items = [(i, i) for i in range(value)]
        else:
            self.fail(f"range can't iterate over {sprint_value(value)}")
        ran = False
        for index, elem in items:
            ran = True
            if decl:
                if node.pipe.is_assign:
                    self.set_var(decl[0].ident[0], index if len(decl) > 1 else elem)
                else:
                    self.set_top_var(1, elem)
            if len(decl) > 1:
                if node.pipe.is_assign:
                    self.set_var(decl[1].ident[0], elem)
                else:
                    self.set_top_var(2, index)
            inner = self.mark()
            try:
                self.walk(elem, node.list)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                self.pop(inner)
        if not ran and node.else_list is not None:
            self.walk(dot, node.else_list)
        self.pop(mark)

    # evaluation

    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.at(pipe)
        value: Any = _NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.push(var.ident[0], value)
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not _NO_FINAL:
            self.fail(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.at(first)
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            self.fail("nil is not a command")
        if isinstance(first, NumberNode):
            return first.value
        if isinstance(first, StringNode):
            return first.text
        self.fail(f"can't evaluate command {first}")

    def eval_field_node(self, dot: Any, field: FieldNode, args: list[Node] | None, final: Any) -> Any:
        self.at(field)
        return self.eval_field_chain(dot, dot, field, field.ident, args, final)

    def eval_chain_node(self, dot: Any, chain: ChainNode, args: list[Node] | None, final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, NilNode):
            self.fail(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, "any", chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final)

    def eval_variable_node(self, dot: Any, var: VariableNode, args: list[Node] | None, final: Any) -> Any:
        self.at(var)
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(
        self, dot: Any, receiver: Any, node: Node, idents: list[str], args: list[Node] | None, final: Any
    ) -> Any:
        for name in idents[:-1]:
            receiver = self.eval_field(dot, name, node, None, _NO_FINAL, receiver)
        return self.eval_field(dot, idents[-1], node, args, final, receiver)

    def eval_field(self, dot: Any, name: str, node: Node, args: list[Node] | None, final: Any, receiver: Any) -> Any:
        has_args = (args is not None and len(args) > 1) or final is not _NO_FINAL
        if receiver is MISSING or receiver is None:
            if self.missingkey == "error":
                if receiver is MISSING:
                    self.fail(f'nil data; no entry for key "{name}"')
                self.fail(f"nil pointer evaluating interface {{}}.{name}")
            return MISSING
        if isinstance(receiver, dict):
            try:
                value = receiver[name]
            except KeyError:
                value = _ABSENT
            if value is not _ABSENT and callable(value):
                return self.call_method(dot, value, name, node, args, final)
            if has_args:
                self.fail(f"{name} is not a method but has arguments")
            if value is not _ABSENT:
                return value
            if name in getattr(receiver, "go_fields", ()):
                return MISSING  # a field of docker's Go type that this JSON left out
            struct = getattr(receiver, "go_type", None)  # a docker formatter context: a Go struct
            if struct:
                self.fail(f"can't evaluate field {name} in type {struct}")
            if getattr(receiver, "go_strict", False):  # docker inspect's retry over the raw JSON
                self.fail(f'map has no entry for key "{name}"')
            string_map = is_string_map(receiver)
            if self.missingkey == "error" and not string_map:
                self.fail(f'map has no entry for key "{name}"')
            if self.missingkey == "zero" and string_map:
                return ""
            return MISSING
        if isinstance(receiver, (str, int, float, list, tuple)):
            self.fail(f"can't evaluate field {name} in type {go_type_name(receiver)}")
        attr = getattr(receiver, name, _ABSENT) if not name.startswith("_") else _ABSENT
        if attr is _ABSENT:
            self.fail(f"can't evaluate field {name} in type {type(receiver).__name__}")
        if callable(attr):
            return self.call_method(dot, attr, name, node, args, final)
        if has_args:
            self.fail(f"{name} has arguments but cannot be invoked as function")
        return attr

    def call_method(self, dot: Any, fn: Any, name: str, node: Node, args: list[Node] | None, final: Any) -> Any:
        argv = [self.eval_arg(dot, "any", a) for a in (args or [])[1:]]
        if final is not _NO_FINAL:
            argv.append(None if final is MISSING else final)
        self.at(node)
        try:
            return fn(*argv)
        except TemplateError:
            raise
        except Exception as exc:  # noqa: BLE001 - Go turns a method's error or panic into this text
            self.fail(f"error calling {name}: {exc}")

    def eval_function(self, dot: Any, ident: IdentifierNode, cmd: Node, args: list[Node] | None, final: Any) -> Any:
        self.at(ident)
        fn = self.funcs.get(ident.name)
        if fn is None:
            self.fail(f'"{ident.name}" is not a defined function')
        return self.eval_call(dot, fn, cmd, ident.name, args, final)

    def eval_call(self, dot: Any, fn: GoFunc, node: Node, name: str, args: list[Node] | None, final: Any) -> Any:
        rest = list(args[1:]) if args else []
        num_in = len(rest) + (0 if final is _NO_FINAL else 1)
        fixed = len(fn.params)
        if fn.variadic is not None:
            if num_in < fixed:
                self.fail(f"wrong number of args for {name}: want at least {fixed} got {num_in}")
        elif num_in != fixed:
            self.fail(f"wrong number of args for {name}: want {fixed} got {num_in}")
        if fn.lazy:
            value: Any = MISSING
            for arg in rest:
                value = self.eval_arg(dot, "any", arg)
                if truth(value) == (name == "or"):
                    return value
            if final is not _NO_FINAL:
                value = final
            return value
        kinds = [fn.params[i] if i < fixed else fn.variadic for i in range(num_in)]
        argv = [self.eval_arg(dot, kinds[i] or "any", a) for i, a in enumerate(rest)]
        if final is not _NO_FINAL:
            argv.append(self.validate(final, kinds[-1] or "any"))
        self.at(node)
        try:
            return fn.impl(*argv)
        except TemplateError:
            raise
        except FuncError as exc:
            self.fail(f"error calling {name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - Go recovers a function's panic into this text
            self.fail(f"error calling {name}: {exc}")

    def validate(self, value: Any, kind: str) -> Any:
        """Go's validateType: does a computed value fit a parameter of this kind?"""
        if kind == "any":
            return None if value is MISSING else value
        if value is MISSING:
            if kind == "strings":
                return []
            self.fail(f"invalid value; expected {_GO_KIND[kind]}")
        if kind == "string" and isinstance(value, str):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "strings" and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        got = "interface {}" if value is None else go_type_name(value)
        if kind == "strings" and got == "[]string":
            got = "[]interface {}"
        self.fail(f"wrong type for value; expected {_GO_KIND[kind]}; got {got}")

    def eval_arg(self, dot: Any, kind: str, node: Node) -> Any:
        self.at(node)
        if isinstance(node, DotNode):
            return self.validate(dot, kind)
        if isinstance(node, NilNode):
            if kind in ("any", "strings"):
                return None if kind == "any" else []
            self.fail(f"cannot assign nil to {_GO_KIND[kind]}")
        if isinstance(node, FieldNode):
            return self.validate(self.eval_field_node(dot, node, [node], _NO_FINAL), kind)
        if isinstance(node, VariableNode):
            return self.validate(self.eval_variable_node(dot, node, None, _NO_FINAL), kind)
        if isinstance(node, PipeNode):
            return self.validate(self.eval_pipeline(dot, node), kind)
        if isinstance(node, IdentifierNode):
            return self.validate(self.eval_function(dot, node, node, None, _NO_FINAL), kind)
        if isinstance(node, ChainNode):
            return self.validate(self.eval_chain_node(dot, node, None, _NO_FINAL), kind)
        if kind == "any":
            if isinstance(node, BoolNode):
                return node.value
            if isinstance(node, NumberNode):
                return node.value
            if isinstance(node, StringNode):
                return node.text
        elif kind == "string":
            if isinstance(node, StringNode):
                return node.text
            self.fail(f"expected string; found {node}")
        elif kind == "int":
            if isinstance(node, NumberNode) and node.is_int:
                return node.int_value
            self.fail(f"expected integer; found {node}")
        self.fail(f"can't handle {node} for arg of type {_GO_KIND[kind]}")


_GO_KIND = {"any": "interface {}", "string": "string", "int": "int", "strings": "[]string"}


def execute(
    tree: ListNode, text: str, data: Any, funcs: Mapping[str, GoFunc], missingkey: str = "default", name: str = ""
) -> str:
    """Run ``tree`` (parsed from ``text``) over ``data``; raise TemplateError with Go's message."""
    state = _State(text, name, funcs, missingkey)
    state.push("$", data)
    try:
        state.walk(data, tree)
    except RecursionError:
        raise TemplateError(f"template: {name}: exceeded maximum template depth", "".join(state.out)) from None
    return "".join(state.out)
