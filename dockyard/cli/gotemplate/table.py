"""docker's ``--format`` directives and table output (cli/command/formatter), with Go's tabwriter.

How docker turns ``--format`` into output:

1. :func:`parse_format`: ``table ...`` means a table (the rest is the row template), ``json`` means
   ``{{json .}}``; the rest is trimmed of spaces and the two-character sequences ``\\t`` and
   ``\\n`` become a tab and a newline (so a shell-quoted ``'{{.ID}}\\t{{.Names}}'`` works).
2. Each row is the template's output plus ``"\\n"``.
3. A table first renders a header by running the same template over a header context
   (``{"ID": "CONTAINER ID", "Names": "NAMES", ...}``) with :data:`HEADER_FUNCS`, then aligns
   header and rows with ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)``: each tab-terminated
   cell padded to its column's widest cell plus 3 spaces, and at least 10.
"""

from __future__ import annotations

from dockyard.cli.gotemplate.funcs import HEADER_FUNCS
from dockyard.cli.gotemplate.nodes import TemplateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from dockyard.cli.gotemplate import Template

__all__ = ["HeaderContext", "header_name", "parse_format", "render_rows", "render_table", "tabwrite"]


def parse_format(fmt: str) -> tuple[bool, str]:
    """(is a table, the row template) for a ``--format`` value, as docker's preFormat reads it."""
    is_table = fmt.startswith("table")
    text = fmt
    if is_table:
        text = text[len("table") :]
    elif fmt == "json":
        text = "{{json .}}"
    text = text.strip(" ")
    return is_table, text.replace("\\t", "\t").replace("\\n", "\n")


def header_name(field: str) -> str:
    """A column header from a field name, docker style: ``RunningFor`` -> ``RUNNING FOR``."""
    words: list[str] = []
    cur = ""
    for i, ch in enumerate(field):
        prev = field[i - 1] if i else ""
        nxt = field[i + 1] if i + 1 < len(field) else ""
        boundary = ch.isupper() and cur and (prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower()))
        if boundary or ch in "_-":
            words.append(cur)
            cur = "" if ch in "_-" else ch
        else:
            cur += ch
    words.append(cur)
    return " ".join(w for w in words if w).upper()


class HeaderContext(dict):  # type: ignore[type-arg]
    """The data a table header renders from: the given headers, and for any other field the
    name :func:`header_name` makes of it."""

    def __missing__(self, key: str) -> str:
        return header_name(key)


def _padding(textw: int, cellw: int, tabwidth: int, padchar: str) -> str:
    if padchar == "\t":
        if tabwidth == 0:
            return ""
        cellw = (cellw + tabwidth - 1) // tabwidth * tabwidth
        return "\t" * ((cellw - textw + tabwidth - 1) // tabwidth)
    return padchar * (cellw - textw)


def tabwrite(text: str, minwidth: int = 10, tabwidth: int = 1, padding: int = 3, padchar: str = " ") -> str:
    """Go's ``text/tabwriter`` (flags 0): align tab-terminated cells into columns.

    Columns are blocks of consecutive lines that have a cell in that column; a cell is as wide as
    the block's widest cell plus ``padding``, at least ``minwidth``. The text after a line's last
    tab is not part of a column. ``tabwidth`` matters only for a tab ``padchar``.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write_lines(widths: list[int], line0: int, line1: int) -> None:
        for i in range(line0, line1):
            cells = lines[i]
            for j, cell in enumerate(cells):
                out.append(cell)
                if j < len(widths):  # the text after the last tab is never in a column
                    out.append(_padding(len(cell), widths[j], tabwidth, padchar))
            if i + 1 < len(lines):
                out.append("\n")

    def fmt(widths: list[int], line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(widths, line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt([*widths, width], line0, this)
            line0 = this
        write_lines(widths, line0, line1)

    fmt([], 0, len(lines))
    return "".join(out)


def _template(template: str | Template) -> Template:
    from dockyard.cli.gotemplate import Template

    return template if not isinstance(template, str) else Template(template)


def _prefixed(exc: TemplateError) -> TemplateError:
    return TemplateError(f"template parsing error: {exc}", exc.partial)


def render_rows(rows: Iterable[Any], template: str | Template, *, missingkey: str = "default") -> str:
    """Each row through the template, one per line (docker's non-table ``--format``).

    Errors carry docker's prefix: ``template parsing error: template: :1:2: ...``.
    """
    try:
        tmpl = _template(template)
        return "".join(tmpl.execute(row, missingkey=missingkey) + "\n" for row in rows)
    except TemplateError as exc:
        raise _prefixed(exc) from exc


def render_table(
    rows: Iterable[Any],
    template: str | Template,
    headers: Mapping[str, str] | None = None,
    *,
    missingkey: str = "default",
) -> str:
    """A docker table: the header line, then the rows, aligned by :func:`tabwrite`.

    ``headers`` maps field names to column titles (``{"ID": "CONTAINER ID"}``); other fields
    get :func:`header_name`. A header that fails to render keeps what it had written, as in
    docker (which ignores that error); a row that fails raises.
    """
    try:
        tmpl = _template(template)
        body = "".join(tmpl.execute(row, missingkey=missingkey) + "\n" for row in rows)
    except TemplateError as exc:
        raise _prefixed(exc) from exc
    try:
        header = tmpl.execute(HeaderContext(headers or {}), funcs=HEADER_FUNCS)
    except TemplateError as exc:
        header = exc.partial
    return tabwrite(header + "\n" + body)
