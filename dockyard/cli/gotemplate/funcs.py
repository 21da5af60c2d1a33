"""Template functions: Go's builtins and docker's additions, with their Go signatures.

Why signatures: Go checks each argument against the function's parameter type before the call,
and its errors (``wrong number of args for join: want 2 got 1``, ``wrong type for value;
expected string; got int``) come from that check; :class:`GoFunc` declares the parameter kinds
so the executor can reproduce it. A function raises :class:`FuncError` (or ``ValueError``) to
fail with ``error calling <name>: <reason>``.

Parameter kinds: ``any``, ``string``, ``int``, ``strings`` (Go ``[]string``).
"""

from __future__ import annotations

from dockyard.cli.gotemplate.gofmt import MISSING, go_json, go_type_name, sprint, sprint_value, sprintf, sprintln

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["BUILTINS", "DOCKER_FUNCS", "HEADER_FUNCS", "FuncError", "GoFunc", "is_string_map", "truth"]


class FuncError(ValueError):
    """A template function's failure; becomes ``error calling <name>: <message>``."""


class GoFunc:
    """A callable template function: ``params`` are the fixed parameter kinds, ``variadic`` the
    kind of the ``...`` tail (None if there is none). ``lazy`` marks ``and``/``or``, whose
    arguments are evaluated only as far as needed."""

    __slots__ = ("impl", "lazy", "name", "params", "variadic")

    def __init__(
        self,
        name: str,
        params: tuple[str, ...],
        impl: Callable[..., Any],
        variadic: str | None = None,
        lazy: bool = False,
    ) -> None:
        self.name = name
        self.params = params
        self.impl = impl
        self.variadic = variadic
        self.lazy = lazy

    def __repr__(self) -> str:
        return f"GoFunc({self.name!r})"


def truth(value: Any) -> bool:
    """Go's ``if`` truth: false for false, 0, "", nil, missing and empty lists/maps."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) > 0
    return True


def is_string_map(value: dict[Any, Any]) -> bool:
    """A dict that stands for a Go ``map[string]string`` (``Labels``): all values are strings."""
    return all(isinstance(v, str) for v in value.values())


# --- comparisons -------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None or value is MISSING:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"  # Go refuses int vs float; docker users write `eq .State.ExitCode 0.0`
    if isinstance(value, str):
        return "string"
    return "other"


def _eq(arg1: Any, *rest: Any) -> bool:
    if not rest:
        raise FuncError("missing argument for comparison")
    k1 = _kind(arg1)
    for arg in rest:
        k2 = _kind(arg)
        if k1 != k2:
            if k1 != "nil" and k2 != "nil":
                raise FuncError("incompatible types for comparison")
            continue
        if k1 == "nil":
            return True
        if k1 == "other" and (isinstance(arg1, (list, tuple, dict)) or isinstance(arg, (list, tuple, dict))):
            raise FuncError(f"non-comparable type {sprint_value(arg)}: {go_type_name(arg)}")
        if arg1 == arg:
            return True
    return False


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _lt(a: Any, b: Any) -> bool:
    k1, k2 = _kind(a), _kind(b)
    if k1 in ("nil", "other") or k2 in ("nil", "other"):
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        raise FuncError("incompatible types for comparison")
    if k1 == "bool":
        raise FuncError("invalid type for comparison")
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


# --- collections -------------------------------------------------------------------------------


def _len(item: Any) -> int:
    if item is None or item is MISSING:
        raise FuncError("len of nil pointer")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))  # Go strings are bytes
    if isinstance(item, (list, tuple, dict)):
        return len(item)
    raise FuncError(f"len of type {go_type_name(item)}")


def _index_int(index: Any, size: int) -> int:
    if index is None or index is MISSING:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > size:
        raise FuncError(f"index out of range: {index}")
    return index


def _index(item: Any, *indexes: Any) -> Any:
    if item is None and len(indexes) == 1 and isinstance(indexes[0], str):
        return ""  # a null Labels is a nil map[string]string in docker's typed structs: zero value
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None or item is MISSING:
            raise FuncError("index of nil pointer")
        if isinstance(item, (list, tuple, str)):
            i = _index_int(index, len(item))
            if i == len(item):
                raise FuncError("reflect: slice index out of range")
            item = item[i] if not isinstance(item, str) else item.encode("utf-8", "surrogatepass")[i]
        elif isinstance(item, dict):
            if index is None or index is MISSING:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str) and all(isinstance(k, str) for k in item):
                raise FuncError(f"value has type {go_type_name(index)}; should be string")
            if index in item:
                item = item[index]
            else:
                item = "" if is_string_map(item) else None  # the element type's zero value
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) > 2:
            raise FuncError("cannot 3-index slice a string")
        data: Any = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, (list, tuple)):
        data = list(item)
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    size = len(data)
    bounds = [0, size]
    for i, index in enumerate(indexes):
        bounds_i = _index_int(index, size)
        if i < 2:
            bounds[i] = bounds_i
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    out = data[bounds[0] : bounds[1]]
    return out.decode("utf-8", "replace") if isinstance(out, bytes) else out


def _call(fn: Any, *args: Any) -> Any:
    if fn is None or fn is MISSING:
        raise FuncError("call of nil")
    if not callable(fn):
        raise FuncError(f"non-function of type {go_type_name(fn)}")
    return fn(*args)


# --- escapers ----------------------------------------------------------------------------------


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(args)


def _html(*args: Any) -> str:
    text = _eval_args(args)
    table = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\x00": "\ufffd"}
    return "".join(table.get(c, c) for c in text)


def _js(*args: Any) -> str:
    out = []
    for c in _eval_args(args):
        if c in "\\'\"":
            out.append("\\" + c)
        elif c in "<>&=" or c < " ":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus  # only this function needs it: keep it off start-up

    return quote_plus(_eval_args(args), safe="-_.~")


# --- docker's functions ------------------------------------------------------------------------


def _json(value: Any) -> str:
    try:
        return go_json(value)
    except ValueError:
        return ""  # docker ignores the encoder's error and prints nothing


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _is_separator(ch: str) -> bool:
    if ch <= "\x7f":
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


def _title(s: str) -> str:
    """Go's ``strings.Title``: upper-case the first letter of each word, leave the rest alone."""
    out = []
    prev = " "
    for ch in s:
        if _is_separator(prev):
            up = ch.upper()
            out.append(up if len(up) == 1 else ch)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)


def _pad(source: str, prefix: int, suffix: int) -> str:
    if source == "":
        return source
    return " " * prefix + source + " " * suffix


def _truncate(source: str, length: int) -> str:
    if len(source) < length:
        return source
    if length < 0:
        raise FuncError(f"runtime error: slice bounds out of range [:{length}]")
    return source[:length]


def _identity(v: str, *_: Any) -> str:
    return v


def _table(*funcs: GoFunc) -> dict[str, GoFunc]:
    return {f.name: f for f in funcs}


BUILTINS: dict[str, GoFunc] = _table(
    GoFunc("and", ("any",), lambda *a: a[-1], variadic="any", lazy=True),
    GoFunc("or", ("any",), lambda *a: a[-1], variadic="any", lazy=True),
    GoFunc("not", ("any",), lambda a: not truth(a)),
    GoFunc("len", ("any",), _len),
    GoFunc("index", ("any",), _index, variadic="any"),
    GoFunc("slice", ("any",), _slice, variadic="any"),
    GoFunc("call", ("any",), _call, variadic="any"),
    GoFunc("print", (), lambda *a: sprint(a), variadic="any"),
    GoFunc("printf", ("string",), lambda f, *a: sprintf(f, a), variadic="any"),
    GoFunc("println", (), lambda *a: sprintln(a), variadic="any"),
    GoFunc("html", (), _html, variadic="any"),
    GoFunc("js", (), _js, variadic="any"),
    GoFunc("urlquery", (), _urlquery, variadic="any"),
    GoFunc("eq", ("any",), _eq, variadic="any"),
    GoFunc("ne", ("any", "any"), _ne),
    GoFunc("lt", ("any", "any"), _lt),
    GoFunc("le", ("any", "any"), _le),
    GoFunc("gt", ("any", "any"), _gt),
    GoFunc("ge", ("any", "any"), _ge),
)
"""Go text/template's predefined functions."""

DOCKER_FUNCS: dict[str, GoFunc] = _table(
    GoFunc("json", ("any",), _json),
    GoFunc("split", ("string", "string"), _split),
    GoFunc("join", ("strings", "string"), lambda elems, sep: sep.join(elems)),
    GoFunc("title", ("string",), _title),
    GoFunc("lower", ("string",), lambda s: s.lower()),
    GoFunc("upper", ("string",), lambda s: s.upper()),
    GoFunc("pad", ("string", "int", "int"), _pad),
    GoFunc("truncate", ("string", "int"), _truncate),
)
"""docker's ``templates.basicFunctions``, available to every ``--format``."""

HEADER_FUNCS: dict[str, GoFunc] = _table(
    GoFunc("json", ("string",), _identity),
    GoFunc("split", ("string", "string"), _identity),
    GoFunc("join", ("string", "string"), _identity),
    GoFunc("title", ("string",), _identity),
    GoFunc("lower", ("string",), _identity),
    GoFunc("upper", ("string",), _identity),
    GoFunc("truncate", ("string", "int"), _identity),
)
"""docker's ``HeaderFunctions``: a table header shows the column name untouched by the
functions the rows use (``pad`` is kept, so header and cells stay aligned)."""
