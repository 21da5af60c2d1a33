"""Go's value printing for templates: ``fmt`` (``%v``, ``printf``, ``print``) and ``encoding/json``.

Why: ``docker inspect -f '{{.Config.Env}}'`` prints ``[A=1 B=2]``, ``{{.Config.Labels}}`` prints
``map[a:1 b:2]``, ``{{json .Config}}`` prints compact JSON; scripts parse these, so the text
must be Go's. Python values stand for Go's as the API's JSON decodes them:

==============  =========================  ==============================================
Python          Go                          ``%v``
==============  =========================  ==============================================
``str``         string                      as is
``bool``        bool                        ``true`` / ``false``
``int``         int                         decimal
``float``       float64                     shortest, ``1e+06`` past six digits
``None``        nil                         ``<nil>`` (``<no value>`` as a whole action)
``list``        []interface {}              ``[a b]``
``dict``        map[string]interface {}     ``map[k:v k2:v2]``, keys sorted
==============  =========================  ==============================================

JSON follows docker's ``json`` template function: Go's encoder with HTML escaping *off*
(``<`` stays ``<``), U+2028/U+2029 escaped, compact. Go sorts map keys; a dict whose values are
all strings (a ``map[string]string`` such as ``Labels``) is sorted, other dicts keep their
order because they stand for Go structs, whose fields print in declaration order.
"""

from __future__ import annotations

from dockyard.cli.units import go_format_float, go_quote, go_quote_rune, is_nan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["MISSING", "go_json", "go_type_name", "sort_keys", "sprint", "sprint_value", "sprintf", "sprintln"]


class _Missing:
    """Go's invalid ``reflect.Value``: what a missing map key yields; prints ``<no value>``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def go_type_name(value: Any) -> str:
    """The Go type a Python value stands for, as Go's errors and ``%T`` name it."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "[]string" if value and all(isinstance(v, str) for v in value) else "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return type(value).__name__


def sort_keys(keys: Any) -> list[Any]:
    """Map keys in Go's order (fmt and range sort them): numbers numerically, strings bytewise."""

    def key(k: Any) -> tuple[int, Any]:
        if isinstance(k, bool):
            return (0, int(k))
        if isinstance(k, (int, float)):
            return (1, k)
        if isinstance(k, str):
            return (2, k)
        return (3, str(k))

    return sorted(keys, key=key)


# --- fmt ---------------------------------------------------------------------------------------


class _Spec:
    __slots__ = ("minus", "plus", "prec", "sharp", "space", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.prec: int | None = None


_PLAIN = _Spec()


def _pad(text: str, spec: _Spec, numeric: bool = False) -> str:
    width = spec.width
    if width is None or len(text) >= width:
        return text
    fill = width - len(text)
    if spec.minus:
        return text + " " * fill
    if spec.zero:
        sign = text[0] if numeric and text[:1] in "+- " else ""
        return sign + "0" * fill + text[len(sign) :]
    return " " * fill + text


def _bad(verb: str, value: Any) -> str:
    if value is None or value is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type_name(value)}={_fmt(value, 'v', _PLAIN)})"


def _sign(text: str, negative: bool, spec: _Spec) -> str:
    if negative:
        return "-" + text
    if spec.plus:
        return "+" + text
    if spec.space:
        return " " + text
    return text


def _fmt_int(value: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return _pad(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", spec)
    if verb == "q":
        return _pad(go_quote_rune(chr(value)) if 0 <= value <= 0x10FFFF else "'\\ufffd'", spec)
    if verb == "U":
        text = f"U+{value:04X}"
        if spec.sharp and 0 <= value <= 0x10FFFF and chr(value).isprintable():
            text += f" '{chr(value)}'"
        return _pad(text, spec)
    bases = {"v": "d", "d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}
    if verb not in bases:
        return _bad(verb, value)
    digits = format(abs(value), bases[verb])
    if spec.prec is not None:
        digits = "" if spec.prec == 0 and value == 0 else digits.rjust(spec.prec, "0")
    prefix = ""
    if verb == "O":
        prefix = "0o"
    elif spec.sharp:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
        if verb == "o" and digits.startswith("0"):
            prefix = ""
    text = _sign(prefix + digits, value < 0, spec)
    if spec.zero and spec.prec is None and not spec.minus and spec.width:
        return _pad(text, spec, numeric=True)
    saved, spec.zero = spec.zero, False
    try:
        return _pad(text, spec)
    finally:
        spec.zero = saved


def _fmt_float(value: float, verb: str, spec: _Spec) -> str:
    if verb not in "vgGeEfF":
        return _bad(verb, value)
    if is_nan(value) or value in (float("inf"), float("-inf")):
        text = "NaN" if is_nan(value) else ("+Inf" if value > 0 else "-Inf")
        if text == "NaN" and (spec.plus or spec.space):
            text = ("+" if spec.plus else " ") + text
        elif text == "+Inf" and spec.space and not spec.plus:
            text = " Inf"
        saved, spec.zero = spec.zero, False  # Go never zero-pads Inf/NaN
        try:
            return _pad(text, spec)
        finally:
            spec.zero = saved
    neg = value < 0 or (value == 0 and str(value).startswith("-"))
    mag = abs(value)
    if verb in "vgG":
        text = go_format_float(mag) if spec.prec is None else f"{mag:.{spec.prec or 1}g}"
        if verb == "G":
            text = text.upper()
    elif verb in "eE":
        text = f"{mag:.{6 if spec.prec is None else spec.prec}e}"
        if verb == "E":
            text = text.upper()
    else:
        text = f"{mag:.{6 if spec.prec is None else spec.prec}f}"
    return _pad(_sign(text, neg, spec), spec, numeric=True)


def _fmt_str(value: str, verb: str, spec: _Spec) -> str:
    if verb in "vs":
        text = value if spec.prec is None else value[: spec.prec]
        if verb == "v" and spec.sharp:
            text = go_quote(value)
        return _pad(text, spec)
    if verb == "q":
        text = value if spec.prec is None else value[: spec.prec]
        if spec.sharp and "`" not in text and all(c.isprintable() or c == "\t" for c in text):
            return _pad("`" + text + "`", spec)
        return _pad(go_quote(text), spec)
    if verb in "xX":
        data = value.encode("utf-8", "surrogatepass")
        sep = " " if spec.space else ""
        pre = ("0x" if verb == "x" else "0X") if spec.sharp else ""
        text = sep.join(pre + format(b, "02x" if verb == "x" else "02X") for b in data)
        return _pad(text, spec)
    return _bad(verb, value)


def _fmt(value: Any, verb: str, spec: _Spec) -> str:
    """One operand of a Printf verb; lists and maps apply the verb to each element as Go does."""
    if value is None or value is MISSING:
        return _pad("<nil>", spec) if verb == "v" else _bad(verb, None)
    if isinstance(value, bool):
        return _pad("true" if value else "false", spec) if verb in "vt" else _bad(verb, value)
    if isinstance(value, int):
        return _fmt_int(value, verb, spec)
    if isinstance(value, float):
        return _fmt_float(value, verb, spec)
    if isinstance(value, str):
        return _fmt_str(value, verb, spec)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_fmt(v, verb, spec) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_fmt(k, verb, spec)}:{_fmt(value[k], verb, spec)}" for k in sort_keys(value))
        return "map[" + " ".join(items) + "]"
    if verb in "vs":
        return _pad(str(value), spec)
    return _bad(verb, value)


def sprint_value(value: Any) -> str:
    """``%v`` of one value, e.g. ``[a b]``, ``map[a:1]``, ``1.5``, ``<nil>``."""
    return _fmt(value, "v", _PLAIN)


def sprint(args: Sequence[Any]) -> str:
    """``fmt.Sprint``: operands joined, with a space only between two non-strings."""
    out: list[str] = []
    prev_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(sprint_value(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    """``fmt.Sprintln``: operands joined by spaces, then a newline."""
    return " ".join(sprint_value(a) for a in args) + "\n"


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """``fmt.Sprintf`` for the verbs templates use (``%s %d %v %q %x %f %e %g %t %c %%``...),
    with flags, width and precision (``*`` too), and Go's ``%!d(string=x)``,
    ``%!s(MISSING)`` and ``%!(EXTRA ...)`` markers."""
    out: list[str] = []
    argi = 0
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        spec = _Spec()
        while i < n and fmt[i] in "#0+- ":
            flag = fmt[i]
            if flag == "#":
                spec.sharp = True
            elif flag == "0":
                spec.zero = not spec.minus
            elif flag == "+":
                spec.plus = True
            elif flag == "-":
                spec.minus, spec.zero = True, False
            else:
                spec.space = True
            i += 1
        if i < n and fmt[i] == "*":
            i += 1
            if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                spec.width = args[argi]
                if spec.width < 0:
                    spec.minus, spec.zero, spec.width = True, False, -spec.width
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                spec.width = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                    spec.prec = max(args[argi], 0)
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                spec.prec = int(fmt[start:i]) if i > start else 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        if verb == "T":
            out.append(_pad(go_type_name(arg), spec))
        else:
            out.append(_fmt(arg, verb, spec))
    if argi < len(args):
        extra = ", ".join(
            "<nil>" if a is None or a is MISSING else f"{go_type_name(a)}={sprint_value(a)}" for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


# --- encoding/json -----------------------------------------------------------------------------

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}  # fmt: skip
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _json_string(text: str, escape_html: bool) -> str:
    out = ['"']
    for ch in text:
        esc = _JSON_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif escape_html and ch in _HTML_ESCAPES:
            out.append(_HTML_ESCAPES[ch])
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")  # an undecodable byte: Go writes the replacement character
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json(value: Any, escape_html: bool, out: list[str]) -> None:
    if value is None or value is MISSING:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if is_nan(value) or value in (float("inf"), float("-inf")):
            raise ValueError(f"json: unsupported value: {go_format_float(value)}")
        out.append(go_format_float(value, "json"))
    elif isinstance(value, str):
        out.append(_json_string(value, escape_html))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _json(item, escape_html, out)
        out.append("]")
    elif isinstance(value, dict):
        keys = list(value)
        if not getattr(value, "go_type", "") and all(isinstance(v, str) for v in value.values()):
            keys = sort_keys(keys)  # a map[string]string; a dict with a go_type is a struct
        out.append("{")
        for i, k in enumerate(keys):
            if i:
                out.append(",")
            out.append(_json_string(k if isinstance(k, str) else sprint_value(k), escape_html))
            out.append(":")
            _json(value[k], escape_html, out)
        out.append("}")
    else:
        out.append(_json_string(str(value), escape_html))


def go_json(value: Any, escape_html: bool = False) -> str:
    """Compact JSON as Go's encoder writes it; ``escape_html`` is json.Marshal's default
    (``<`` -> ``\\u003c``), off in docker's ``json`` template function. ValueError for NaN/Inf."""
    out: list[str] = []
    _json(value, escape_html, out)
    return "".join(out)
