"""``dockyard events``: the daemon's event stream, printed as docker prints it.

Without ``--format`` each event is docker's prettyPrintEvent line::

    2026-12-01T09:19:29.469258056Z container unpause 4982ff7a... (image=busybox, name=e1)

(the time in the local zone, nanoseconds always nine digits). ``--format`` templates see
docker's ``events.Message`` by its Go field names (``.Type``, ``.Action``, ``.Actor.ID``,
``.Actor.Attributes``, ``.Scope``, ``.Time``, ``.TimeNano``, deprecated ``.Status``/``.ID``/
``.From``); ``{{json .}}`` and ``json`` print the message with its wire keys.
``--since``/``--until`` take docker's forms (durations, RFC 3339, unix times); with
``--until`` the daemon ends the stream, else it runs until interrupted.
"""

from __future__ import annotations

from dockyard.cli.command import NOARGS, Command, Context
from dockyard.cli.errors import StatusError
from dockyard.cli.filters import check_filter, parse_filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["EVENTS", "pretty_event"]


def _flags(fs: FlagSet) -> None:
    fs.add("filter", "f", list, type_name="filter", convert=check_filter, help="Filter output based on conditions provided")
    fs.add("format", None, str, help="Format output using a custom template:\n'json':             Print in JSON "
           "format\n'TEMPLATE':         Print output using the given Go template.\nRefer to "
           "https://docs.docker.com/go/formatting/ for more information about formatting output with templates")
    fs.add("since", None, str, help="Show all events created since timestamp")
    fs.add("until", None, str, help="Stream events until this timestamp")


def _fixed_time(nanos: int) -> str:
    """Go's RFC3339NanoFixed in the local zone."""
    import time

    secs, frac = divmod(nanos, 10**9)
    offset = time.localtime(secs).tm_gmtoff or 0
    lt = time.gmtime(secs + offset)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", lt) + f".{frac:09d}"
    if offset == 0:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    off = abs(offset) // 60
    return f"{text}{sign}{off // 60:02d}:{off % 60:02d}"


def pretty_event(ev: dict[str, Any]) -> str:
    nanos = int(ev.get("timeNano") or 0) or int(ev.get("time") or 0) * 10**9
    actor = ev.get("Actor") or {}
    line = f"{_fixed_time(nanos)} " if nanos else ""
    line += f"{ev.get('Type', '')} {ev.get('Action', '')} {actor.get('ID', '')}"
    attrs = actor.get("Attributes") or {}
    if attrs:
        line += " (" + ", ".join(f"{k}={attrs[k]}" for k in sorted(attrs)) + ")"
    return line


class _Message(dict):  # type: ignore[type-arg]
    """An event as templates see it: Go field names; ``raw`` is what ``{{json .}}`` prints."""

    def __init__(self, ev: dict[str, Any]) -> None:
        actor = ev.get("Actor") or {}
        super().__init__(Status=ev.get("status", ""), ID=ev.get("id", ""), From=ev.get("from", ""),
                         Type=ev.get("Type", ""), Action=ev.get("Action", ""),
                         Actor={"ID": actor.get("ID", ""), "Attributes": actor.get("Attributes") or {}},
                         Scope=ev.get("scope", ""), Time=ev.get("time", 0), TimeNano=ev.get("timeNano", 0))
        self.raw = ev


def _json(value: Any) -> str:
    from dockyard.cli.gotemplate import go_json

    return go_json(value.raw if isinstance(value, _Message) else value)


def _events(ctx: Context, opts: Options) -> int:
    from dockyard.cli.units import get_timestamp

    since = get_timestamp(opts.since) if opts.since else None
    until = get_timestamp(opts.until) if opts.until else None
    template = None
    fmt = opts.format
    if fmt:
        from dockyard.cli.gotemplate import Template, TemplateError

        text = "{{json .}}" if fmt.strip() == "json" else fmt
        try:
            template = Template(text, funcs={"json": _json})
        except TemplateError as exc:
            raise StatusError(1, str(exc)) from exc
    stream = ctx.client.events(since=since, until=until, filters=parse_filters(opts.filter))
    for ev in stream:
        if not isinstance(ev, dict):
            continue
        if template is None:
            ctx.print(pretty_event(ev))
        else:
            ctx.print(template.execute(_Message(ev)))
        ctx.out.flush()
    return 0


EVENTS = Command("events", "[OPTIONS]", "Get real time events from the server", run=_events, flags=_flags,
                 args=NOARGS, family="system")
