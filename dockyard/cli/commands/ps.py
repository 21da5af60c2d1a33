"""``dockyard ps`` (``container ls``): list containers with docker's columns, filters and formats."""

from __future__ import annotations

from dockyard.cli.command import NOARGS, Command, Context
from dockyard.cli.errors import StatusError
from dockyard.cli.filters import check_filter, parse_filters
from dockyard.cli.formatter import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.flags import FlagSet, Options

__all__ = ["PS", "DEFAULT_TABLE"]

DEFAULT_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"


def _flags(fs: FlagSet) -> None:
    fs.add("all", "a", bool, help="Show all containers (default shows just running)")
    fs.add("filter", "f", list, type_name="filter", convert=check_filter, help="Filter output based on conditions provided")
    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("last", "n", int, default=-1, help="Show n last created containers (includes all states)")
    fs.add("latest", "l", bool, help="Show the latest created container (includes all states)")
    fs.add("no-trunc", None, bool, help="Don't truncate output")
    fs.add("quiet", "q", bool, help="Only display container IDs")
    fs.add("size", "s", bool, help="Display total file sizes")


def _wants_size(fmt: str) -> bool:
    """docker asks the daemon for sizes only when the format shows them (they are costly)."""
    return ".Size" in fmt or fmt.strip() in ("{{json .}}", "table {{json .}}")


def _validate(fmt: str) -> None:
    """docker ps checks ``--format`` as given (``table`` included) over an empty
    ContainerContext before it asks the daemon anything: errors come with or without
    containers, and their columns count from the start of the flag's value."""
    from dockyard.cli.formatter import container_row
    from dockyard.cli.gotemplate import Template, TemplateError

    try:
        tmpl = Template(fmt)
    except TemplateError as exc:
        raise StatusError(1, f"failed to parse template: {exc}") from exc
    try:
        tmpl.execute(container_row({}, trunc=True))
    except TemplateError as exc:
        raise StatusError(1, f"failed to execute template: {exc}") from exc


def _ps(ctx: Context, opts: Options) -> int:
    from dockyard.cli.formatter import CONTAINER_HEADERS, container_row, write_formatted

    if opts.format:
        _validate(opts.format)
    limit = 1 if opts.latest else (opts.last if opts.last > 0 else None)
    fmt = opts.format
    if opts.quiet:
        fmt = "{{.ID}}"
    elif not fmt or fmt == "table":
        fmt = DEFAULT_TABLE + ("\t{{.Size}}" if opts.size else "")
    size = bool(opts.size) or (not opts.quiet and _wants_size(fmt))
    containers = ctx.client.container_list(all=bool(opts.all) or limit is not None, limit=limit, size=size,
                                           filters=parse_filters(opts.filter))
    rows = [container_row(c, trunc=not opts.no_trunc) for c in containers]
    write_formatted(ctx.out, rows, fmt, CONTAINER_HEADERS)
    return 0


PS = Command("ps", "[OPTIONS]", "List containers", run=_ps, flags=_flags, args=NOARGS, aliases=("list", "ps"),
             family="container", family_name="ls")
