"""``dockyard logs``: a container's output, demultiplexed back to our stdout and stderr.

``--since``/``--until`` accept docker's forms (``10m``, RFC 3339, unix time) and are sent
as the wire text docker sends (:func:`~dockyard.cli.units.get_timestamp`). Whether the
reply is framed is decided by the container's ``Tty`` (what docker does), with the reply's
content type as the tie-breaker.
"""

from __future__ import annotations

from dockyard.cli.command import EXACT1, Command, Context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.flags import FlagSet, Options

__all__ = ["LOGS"]


def _flags(fs: FlagSet) -> None:
    fs.add("details", None, bool, help="Show extra details provided to logs")
    fs.add("follow", "f", bool, help="Follow log output")
    fs.add("since", None, str, help='Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    fs.add("tail", "n", str, default="all", help="Number of lines to show from the end of the logs")
    fs.add("timestamps", "t", bool, help="Show timestamps")
    fs.add("until", None, str, help='Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')


def _logs(ctx: Context, opts: Options) -> int:
    from dockyard.cli.stdio import MULTIPLEXED, copy_output
    from dockyard.cli.units import get_timestamp

    client = ctx.client
    info = client.container_inspect(opts.args[0])
    tty = bool((info.get("Config") or {}).get("Tty"))
    since = get_timestamp(opts.since) if opts.since else None
    until = get_timestamp(opts.until) if opts.until else None
    r = client.container_logs(info["Id"], follow=bool(opts.follow), timestamps=bool(opts.timestamps),
                              tail=opts.tail or "all", since=since, until=until)
    multiplexed = not tty and r.headers.get("Content-Type", MULTIPLEXED).startswith(MULTIPLEXED)
    with r:
        copy_output(r.iter_chunks(), multiplexed)
    return 0


LOGS = Command("logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", run=_logs, flags=_flags,
               args=EXACT1, family="container")
