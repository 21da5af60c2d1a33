"""``system df`` and the prune verbs: ``system prune``, ``container prune`` (``volume prune``
and ``network prune`` live with their families).

``df``'s figures are docker's (cli/command/formatter/disk_usage.go): image size is the
daemon's ``LayersSize``; reclaimable space is what no running (or paused) container needs;
percentages are integer divisions, as Go computes them.
"""

from __future__ import annotations

import sys

from dockyard.cli.command import NOARGS, Command, Context
from dockyard.cli.errors import StatusError, describe
from dockyard.cli.filters import check_filter, parse_filters
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["DF", "SYSTEM_PRUNE", "CONTAINER_PRUNE", "confirm", "report_prune"]

DF_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
              "Reclaimable": "RECLAIMABLE"}
DF_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"


def confirm(ctx: Context, warning: str) -> bool:
    """docker's PromptForConfirmation (``y``/``yes`` go ahead; anything else, EOF included, does not)."""
    ctx.out.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    ctx.out.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer.strip().lower() in ("y", "yes")


def _hsize(n: float) -> str:
    from dockyard.cli.units import human_size

    return human_size(n, 4)


def _reclaim(reclaimable: int, total: int) -> str:
    if total > 0:
        return f"{_hsize(reclaimable)} ({reclaimable * 100 // total}%)"
    return _hsize(reclaimable)


def df_rows(du: dict[str, Any]) -> list[dict[str, Any]]:
    from dockyard.cli.formatter import Row

    images = du.get("Images") or []
    total = int(du.get("LayersSize") or 0)
    used = sum(int(i.get("Size") or 0) - int(i.get("SharedSize") or 0) for i in images
               if i.get("Containers") and i.get("Size", 0) != -1 and i.get("SharedSize", 0) != -1)
    ctrs = du.get("Containers") or []
    active = [c for c in ctrs if c.get("State") in ("running", "paused")]
    csize = sum(int(c.get("SizeRw") or 0) for c in ctrs)
    creclaim = csize - sum(int(c.get("SizeRw") or 0) for c in active)
    vols = du.get("Volumes") or []
    vsize = sum(int((v.get("UsageData") or {}).get("Size", -1)) for v in vols
                if int((v.get("UsageData") or {}).get("Size", -1)) != -1)
    vreclaim = sum(int((v.get("UsageData") or {}).get("Size", -1)) for v in vols
                   if int((v.get("UsageData") or {}).get("RefCount", 0)) == 0
                   and int((v.get("UsageData") or {}).get("Size", -1)) != -1)
    caches = du.get("BuildCache") or []
    bsize = sum(int(b.get("Size") or 0) for b in caches if not b.get("Shared"))
    breclaim = sum(int(b.get("Size") or 0) for b in caches if not b.get("InUse") and not b.get("Shared"))

    def row(kind: str, count: int, act: int, size: int, reclaim: str) -> dict[str, Any]:
        go_type = {"Images": "Images", "Containers": "Containers", "Local Volumes": "Volumes",
                   "Build Cache": "Builder"}[kind]
        return Row({"Active": str(act), "Reclaimable": reclaim, "Size": _hsize(size), "TotalCount": str(count),
                    "Type": kind}, go_type=f"*formatter.diskUsage{go_type}Context")

    return [
        row("Images", len(images), sum(1 for i in images if i.get("Containers")), total, _reclaim(total - used, total)),
        row("Containers", len(ctrs), len(active), csize, _reclaim(creclaim, csize)),
        row("Local Volumes", len(vols), sum(1 for v in vols if int((v.get("UsageData") or {}).get("RefCount", 0)) > 0),
            vsize, _reclaim(vreclaim, vsize)),
        row("Build Cache", len(caches), sum(1 for b in caches if b.get("InUse")), bsize, _reclaim(breclaim, bsize)),
    ]


def _table(rows: list[dict[str, Any]], fmt: str, headers: dict[str, Any]) -> str:
    import io

    from dockyard.cli.formatter import write_formatted

    buf = io.StringIO()
    write_formatted(buf, rows, fmt, headers)
    return buf.getvalue()


def _verbose(du: dict[str, Any]) -> str:
    import time

    from dockyard.cli.formatter import CONTAINER_HEADERS, IMAGE_HEADERS, Row, container_row, image_rows
    from dockyard.cli.units import human_size

    now = time.time()
    irows = []
    for img in du.get("Images") or []:
        for r in image_rows(img, trunc=True, now=now):
            shared = int(img.get("SharedSize", -1))
            r["SharedSize"] = "N/A" if shared == -1 else _hsize(shared)
            r["UniqueSize"] = "N/A" if shared == -1 else _hsize(int(img.get("Size") or 0) - shared)
            irows.append(r)
    crows = []
    for c in du.get("Containers") or []:
        c = {k: v for k, v in c.items() if k != "SizeRootFs"}
        crows.append(container_row(c, trunc=True, now=now))
    vrows = [Row({"Links": str((v.get("UsageData") or {}).get("RefCount", 0)), "Name": v.get("Name", ""),
                  "Size": human_size((v.get("UsageData") or {}).get("Size", 0))}) for v in du.get("Volumes") or []]
    caches = du.get("BuildCache") or []
    brows = [Row({"ID": str(b.get("ID", ""))[:12], "CacheType": b.get("Type", ""), "Size": human_size(b.get("Size") or 0),
                  "CreatedSince": "", "LastUsedSince": "", "UsageCount": str(b.get("UsageCount", 0)),
                  "Shared": str(bool(b.get("Shared"))).lower()}) for b in caches]
    bsize = sum(int(b.get("Size") or 0) for b in caches)
    parts = [
        "Images space usage:\n\n",
        _table(irows, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}"
                      "\t{{.UniqueSize}}\t{{.Containers}}", IMAGE_HEADERS),
        "\nContainers space usage:\n\n",
        _table(crows, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}"
                      "\t{{.Status}}\t{{.Names}}", CONTAINER_HEADERS),
        "\nLocal Volumes space usage:\n\n",
        _table(vrows, "table {{.Name}}\t{{.Links}}\t{{.Size}}", {"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}),
        f"\nBuild cache usage: {_hsize(bsize)}\n\n",
        _table(brows, "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}"
                      "\t{{.Shared}}", {"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE",
                                        "CreatedSince": "CREATED", "LastUsedSince": "LAST USED",
                                        "UsageCount": "USAGE", "Shared": "SHARED"}),
    ]
    return "".join(parts)


def _df_flags(fs: FlagSet) -> None:
    fs.add("format", None, str, help="Format output using a custom template:\n'table':            Print output in "
           "table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the "
           "given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using "
           "the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about "
           "formatting output with templates")
    fs.add("verbose", "v", bool, help="Show detailed information on space usage")


def _df(ctx: Context, opts: Options) -> int:
    du = ctx.client.system_df()
    if opts.verbose and not opts.format:
        ctx.out.write(_verbose(du))
        return 0
    fmt = opts.format or DF_TABLE
    if fmt == "table":
        fmt = DF_TABLE
    ctx.out.write(_table(df_rows(du), fmt, DF_HEADERS))
    return 0


DF = Command("df", "[OPTIONS]", "Show docker disk usage", run=_df, flags=_df_flags, args=NOARGS)


# --- prune ----------------------------------------------------------------------------------------

def report_prune(ctx: Context, title: str, items: list[str]) -> None:
    if items:
        ctx.print(f"{title}:\n" + "".join(f"{i}\n" for i in items))


def _image_lines(deleted: list[dict[str, Any]]) -> list[str]:
    lines = []
    for item in deleted or ():
        if item.get("Untagged"):
            lines.append(f"untagged: {item['Untagged']}")
        if item.get("Deleted"):
            lines.append(f"deleted: {item['Deleted']}")
    return lines


def _prune_flags(fs: FlagSet) -> None:
    fs.add("filter", None, list, type_name="filter", convert=check_filter,
           help='Provide filter values (e.g. "until=<timestamp>")')
    fs.add("force", "f", bool, help="Do not prompt for confirmation")


def _container_prune(ctx: Context, opts: Options) -> int:
    from dockyard.cli.units import human_size

    filters = parse_filters(opts.filter)
    if not opts.force and not confirm(ctx, "WARNING! This will remove all stopped containers."):
        return 0
    report = ctx.client.container_prune(filters)
    report_prune(ctx, "Deleted Containers", list(report.get("ContainersDeleted") or []))
    ctx.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0, 4)}")
    return 0


CONTAINER_PRUNE = Command("prune", "[OPTIONS]", "Remove all stopped containers", run=_container_prune,
                          flags=_prune_flags, args=NOARGS)


def _system_prune_flags(fs: FlagSet) -> None:
    fs.add("all", "a", bool, help="Remove all unused images not just dangling ones")
    fs.add("filter", None, list, type_name="filter", convert=check_filter,
           help='Provide filter values (e.g. "label=<key>=<value>")')
    fs.add("force", "f", bool, help="Do not prompt for confirmation")
    fs.add("volumes", None, bool, help="Prune anonymous volumes")


def _system_prune(ctx: Context, opts: Options) -> int:
    from dockyard.cli.units import human_size

    filters = parse_filters(opts.filter)
    lines = ["WARNING! This will remove:", "  - all stopped containers",
             "  - all networks not used by at least one container"]
    if opts.volumes:
        lines.append("  - all anonymous volumes not used by at least one container")
    lines.append("  - all images without at least one container associated to them" if opts.all
                 else "  - all dangling images")
    lines.append("  - all build cache" if opts.all else "  - unused build cache")
    if not opts.force and not confirm(ctx, "\n".join(lines) + "\n"):
        return 0
    client = ctx.client
    reclaimed = 0
    errors = []

    def step(call: Any) -> dict[str, Any]:
        try:
            return call() or {}
        except DockyardError as exc:
            errors.append(describe(exc))
            return {}

    r = step(lambda: client.container_prune(filters))
    reclaimed += int(r.get("SpaceReclaimed") or 0)
    report_prune(ctx, "Deleted Containers", list(r.get("ContainersDeleted") or []))
    r = step(lambda: client.network_prune(filters))
    report_prune(ctx, "Deleted Networks", list(r.get("NetworksDeleted") or []))
    if opts.volumes:
        r = step(lambda: client.volume_prune(filters))
        reclaimed += int(r.get("SpaceReclaimed") or 0)
        report_prune(ctx, "Deleted Volumes", list(r.get("VolumesDeleted") or []))
    ifilters = dict(filters)
    ifilters["dangling"] = ["false" if opts.all else "true"]
    r = step(lambda: client.image_prune(ifilters))
    reclaimed += int(r.get("SpaceReclaimed") or 0)
    report_prune(ctx, "Deleted Images", _image_lines(r.get("ImagesDeleted") or []))
    r = step(lambda: client.build_prune(all=bool(opts.all), filters=filters))
    reclaimed += int(r.get("SpaceReclaimed") or 0)
    report_prune(ctx, "Deleted build cache objects", list(r.get("CachesDeleted") or []))
    ctx.print(f"Total reclaimed space: {human_size(reclaimed, 4)}")
    if errors:
        raise StatusError(1, "\n".join(errors))
    return 0


SYSTEM_PRUNE = Command("prune", "[OPTIONS]", "Remove unused data", run=_system_prune, flags=_system_prune_flags,
                       args=NOARGS)
