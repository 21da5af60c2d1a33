"""Go ``text/template`` as docker's ``--format`` uses it, and docker's table output.

Why our own: ``docker ps --format``, ``docker inspect -f`` and friends take Go templates, and
users' scripts depend on Go's exact output (``map[a:b]``, ``[x y]``, ``<no value>``, compact
JSON) and error texts. The pieces, in the order a template meets them::

    lex.py     text -> tokens (trim markers ``{{-``/``-}}``, comments, literals)
    nodes.py   the node tree (Go's shapes and String() forms, used in error texts)
    parse.py   tokens -> node tree; parse errors (``template: :1: function "foo" not defined``)
    exec.py    tree x data -> text; execution errors (``template: :1:2: executing "" at <.Foo>: ...``)
    funcs.py   Go's builtins (eq, index, len, printf...) and docker's (json, join, split, upper,
               lower, title, pad, truncate), with Go's argument checks
    gofmt.py   Go's %v / Printf / encoding/json renderings of Python values
    table.py   docker's ``table``/``json`` directives, header row and tabwriter alignment

Supported: fields and chains (``.State.Status``, ``$v.Name``, ``(index .X 0).Name``), pipelines,
variables (``$x := ...``, ``$x = ...``), ``if``/``else if``/``else``, ``range`` (lists, maps in
sorted key order, ints; ``$i, $v :=``; ``break``/``continue``; ``else``), ``with``, literals,
comments and trim markers. Not supported: ``define``/``template``/``block`` (docker's
``--format`` has no use for named templates).

Example::

    Template("{{range $k, $v := .Labels}}{{$k}}={{$v}} {{end}}").execute({"Labels": {"b": "2", "a": "1"}})
    # 'a=1 b=2 '
    is_table, text = parse_format("table {{.ID}}\\t{{.Names}}")
    render_table(rows, text, {"ID": "CONTAINER ID"})
"""

from __future__ import annotations

from dockyard.cli.gotemplate.exec import MISSINGKEY_MODES, execute
from dockyard.cli.gotemplate.funcs import BUILTINS, DOCKER_FUNCS, HEADER_FUNCS, FuncError, GoFunc
from dockyard.cli.gotemplate.gofmt import MISSING, go_json, sprint, sprint_value, sprintf
from dockyard.cli.gotemplate.nodes import ListNode, TemplateError
from dockyard.cli.gotemplate.parse import parse
from dockyard.cli.gotemplate.table import HeaderContext, header_name, parse_format, render_rows, render_table, tabwrite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = [
    "BUILTINS",
    "DOCKER_FUNCS",
    "HEADER_FUNCS",
    "MISSING",
    "FuncError",
    "GoFunc",
    "HeaderContext",
    "Template",
    "TemplateError",
    "go_json",
    "header_name",
    "parse_format",
    "render",
    "render_rows",
    "render_table",
    "sprint",
    "sprint_value",
    "sprintf",
    "tabwrite",
]


def _as_func(name: str, fn: GoFunc | Callable[..., Any]) -> GoFunc:
    return fn if isinstance(fn, GoFunc) else GoFunc(name, (), fn, variadic="any")


class Template:
    """A parsed template, ready to run over any number of rows.

    ``funcs`` adds or replaces functions (a plain callable takes any arguments); ``missingkey``
    is Go's option (see :mod:`.exec`); ``name`` appears in error texts (docker's is ``""``).
    """

    def __init__(
        self,
        text: str,
        *,
        funcs: Mapping[str, GoFunc | Callable[..., Any]] | None = None,
        missingkey: str = "default",
        name: str = "",
    ) -> None:
        if missingkey not in MISSINGKEY_MODES:
            raise ValueError(f"unrecognized option missingkey={missingkey}")
        self.text = text
        self.name = name
        self.missingkey = missingkey
        self.funcs: dict[str, GoFunc] = {**BUILTINS, **DOCKER_FUNCS}
        for key, fn in (funcs or {}).items():
            self.funcs[key] = _as_func(key, fn)
        self.tree: ListNode = parse(text, self.funcs, name)

    def execute(
        self,
        data: Any,
        *,
        funcs: Mapping[str, GoFunc | Callable[..., Any]] | None = None,
        missingkey: str | None = None,
    ) -> str:
        """The template's output for ``data``; ``funcs`` swaps implementations for this run only
        (docker renders table headers with :data:`HEADER_FUNCS`). Raises :class:`TemplateError`."""
        table = self.funcs
        if funcs:
            table = {**table, **{k: _as_func(k, f) for k, f in funcs.items()}}
        return execute(self.tree, self.text, data, table, missingkey or self.missingkey, self.name)


def render(text: str, data: Any, *, missingkey: str = "default") -> str:
    """Parse and run ``text`` over ``data`` once."""
    return Template(text, missingkey=missingkey).execute(data)
