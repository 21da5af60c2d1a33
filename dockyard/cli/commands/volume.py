"""``dockyard volume create|ls|inspect|rm|prune``, as docker's ``volume`` commands."""

from __future__ import annotations

from dockyard.cli.command import MIN1, NOARGS, Command, Context, run_each
from dockyard.cli.errors import describe
from dockyard.cli.filters import check_filter, parse_filters
from dockyard.cli.formatter import FORMAT_HELP
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["CREATE", "LS", "INSPECT", "RM", "PRUNE", "inspect_each"]

LS_TABLE = "table {{.Driver}}\t{{.Name}}"
LS_HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
              "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Group": "GROUP", "Availability": "AVAILABILITY",
              "Status": "STATUS"}


_CLUSTER_FLAGS = ("availability", "group", "limit-bytes", "required-bytes", "scope", "secret", "sharing",
                  "topology-preferred", "topology-required", "type")


def _create_flags(fs: FlagSet) -> None:
    from dockyard.cli.units import parse_bytes

    a = fs.add
    a("availability", None, str, default="active", help='Cluster Volume availability ("active", "pause", "drain")')
    a("driver", "d", str, default="local", help="Specify volume driver name")
    a("group", None, str, help="Cluster Volume group (cluster volumes)")
    a("label", None, list, help="Set metadata for a volume")
    a("limit-bytes", None, str, convert=parse_bytes, type_name="bytes", help="Minimum size of the Cluster Volume in bytes")
    a("name", None, str, hidden=True, help="Specify volume name")
    a("opt", "o", dict, help="Set driver specific options")
    a("required-bytes", None, str, convert=parse_bytes, type_name="bytes",
      help="Maximum size of the Cluster Volume in bytes")
    a("scope", None, str, default="single", help='Cluster Volume access scope ("single", "multi")')
    a("secret", None, dict, help="Cluster Volume secrets")
    a("sharing", None, str, default="none", help='Cluster Volume access sharing ("none", "readonly", "onewriter", "all")')
    a("topology-preferred", None, list, help="A topology that the Cluster Volume would be preferred in")
    a("topology-required", None, list, help="A topology that the Cluster Volume must be accessible from")
    a("type", None, str, default="block", help='Cluster Volume access type ("mount", "block")')


def _labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        out[k] = v
    return out


def _create(ctx: Context, opts: Options) -> int:
    from dockyard.cli.errors import StatusError

    name = opts.args[0] if opts.args else ""
    if any(opts.is_set(f) for f in _CLUSTER_FLAGS):  # swarm cluster volumes: dockyard has no swarm
        raise StatusError(1, "Error response from daemon: cluster volumes require a swarm manager, "
                             "which dockyard does not provide")
    if opts.name and name:
        raise StatusError(1, "conflicting options: cannot specify a volume-name through both --name and as a "
                             "positional arg")
    body = {"Name": name or opts.name, "Driver": opts.driver, "DriverOpts": dict(opts.opt),
            "Labels": _labels(opts.label)}
    ctx.print(str(ctx.client.volume_create(body).get("Name", "")))
    return 0


CREATE = Command("create", "[OPTIONS] [VOLUME]", "Create a volume", run=_create, flags=_create_flags,
                 args=("max", 1))


def _ls_flags(fs: FlagSet) -> None:
    fs.add("cluster", None, bool, help="Display only cluster volumes, and use cluster volume list formatting")
    fs.add("filter", "f", list, type_name="filter", convert=check_filter, help="Provide filter values (e.g. \"dangling=true\")")
    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("quiet", "q", bool, help="Only display volume names")


def _ls(ctx: Context, opts: Options) -> int:
    from dockyard.cli.formatter import Row, write_formatted

    reply = ctx.client.volume_list(parse_filters(opts.filter))
    vols = sorted(reply.get("Volumes") or [], key=lambda v: v.get("Name", ""))
    if opts.quiet:
        ctx.out.write("".join(v["Name"] + "\n" for v in vols))
    else:
        rows = []
        for v in vols:
            labels = v.get("Labels") or {}
            usage = v.get("UsageData") or {}
            rows.append(Row({
                "Availability": "N/A", "Driver": v.get("Driver", ""), "Group": "N/A",
                "Labels": ",".join(f"{k}={labels[k]}" for k in sorted(labels)),
                "Links": "N/A" if not usage else str(usage.get("RefCount", 0)),
                "Mountpoint": v.get("Mountpoint", ""), "Name": v.get("Name", ""), "Scope": v.get("Scope", ""),
                "Size": "N/A", "Status": "N/A",
            }, labels, go_type="*formatter.volumeContext"))
        fmt = opts.format or LS_TABLE
        write_formatted(ctx.out, rows, LS_TABLE if fmt == "table" else fmt, LS_HEADERS)
    for warning in reply.get("Warnings") or ():
        ctx.warn(warning)
    return 0


LS = Command("ls", "[OPTIONS]", "List volumes", run=_ls, flags=_ls_flags, args=NOARGS, aliases=("list",))


def _inspect_flags(fs: FlagSet) -> None:
    from dockyard.cli.commands.inspect import FORMAT_HELP as INSPECT_HELP

    fs.add("format", "f", str, help=INSPECT_HELP)


def inspect_each(ctx: Context, refs: list[str], fetch: Any, fmt: str, sorted_maps: tuple[str, ...],
                 *, volume_struct: bool = False) -> int:
    """docker's inspect of volumes/networks: every object found, then each daemon error.

    docker decodes into its structs and encodes again, which sorts map keys (``Options``,
    ``Labels``) but keeps struct order: ``sorted_maps`` names the maps to sort.
    """
    from dockyard.cli.commands.inspect import _finish

    results: list[tuple[Any, str | None]] = []
    for ref in refs:
        try:
            obj = fetch(ref)
        except DockyardError as exc:
            results.append((None, describe(exc)))
            continue
        for key in sorted_maps:
            if isinstance(obj.get(key), dict):
                obj[key] = dict(sorted(obj[key].items()))
        results.append((obj, None))
    return _finish(ctx, results, fmt, volume_struct=volume_struct)


def _inspect(ctx: Context, opts: Options) -> int:
    return inspect_each(ctx, opts.args, ctx.client.volume_inspect, opts.format, ("Labels", "Options", "Status"),
                        volume_struct=True)


INSPECT = Command("inspect", "[OPTIONS] VOLUME [VOLUME...]", "Display detailed information on one or more volumes",
                  run=_inspect, flags=_inspect_flags, args=MIN1)


def _rm_flags(fs: FlagSet) -> None:
    fs.add("force", "f", bool, help="Force the removal of one or more volumes")


def _rm(ctx: Context, opts: Options) -> int:
    return run_each(ctx, opts.args,
                    lambda name: ctx.client.volume_remove(name, force=bool(opts.force)))


RM = Command("rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", run=_rm, flags=_rm_flags,
             args=MIN1, aliases=("remove",))


def _prune_flags(fs: FlagSet) -> None:
    fs.add("all", "a", bool, help="Remove all unused volumes, not just anonymous ones")
    fs.add("filter", None, list, type_name="filter", convert=check_filter, help='Provide filter values (e.g. "label=<label>")')
    fs.add("force", "f", bool, help="Do not prompt for confirmation")


def _prune(ctx: Context, opts: Options) -> int:
    from dockyard.cli.commands.systemops import confirm, report_prune
    from dockyard.cli.units import human_size

    filters = parse_filters(opts.filter)
    if opts.all:
        filters["all"] = ["true"]
        warning = "WARNING! This will remove all local volumes not used by at least one container."
    else:
        warning = "WARNING! This will remove anonymous local volumes not used by at least one container."
    if not opts.force and not confirm(ctx, warning):
        return 0
    report = ctx.client.volume_prune(filters)
    report_prune(ctx, "Deleted Volumes", list(report.get("VolumesDeleted") or []))
    ctx.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0, 4)}")
    return 0


PRUNE = Command("prune", "[OPTIONS]", "Remove unused local volumes", run=_prune, flags=_prune_flags, args=NOARGS)
