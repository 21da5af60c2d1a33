"""``dockyard stats``: a live (or ``--no-stream`` one-shot) table of container resource use.

Docker's computation, which users compare against ``docker stats``:

* CPU % = (Δ container CPU / Δ system CPU) × online CPUs × 100, between ``precpu_stats``
  and ``cpu_stats`` of one sample;
* memory = usage minus the page cache that can be dropped (``total_inactive_file`` on
  cgroup v1, ``inactive_file`` on v2), shown against the limit;
* net I/O summed over the interfaces; block I/O summed over ``read``/``write`` entries.

Streaming: one reader thread per container keeps its latest sample; every second the
table is drawn again over the last one as docker 28 does it: cursor home (``ESC[H``), each
line followed by clear-to-end-of-line (``ESC[K``), then clear-below (``ESC[J``) — no
full-screen clear, so it does not flicker. With no
names, the running containers are shown (all with ``--all``) and the set follows the
daemon's list on each redraw.
"""

from __future__ import annotations

import time

from dockyard.cli.command import Command, Context
from dockyard.cli.errors import StatusError, describe
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["STATS", "stats_row"]

GO_TYPE = "*container.statsContext"
DEFAULT_FORMAT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
HEADERS = {"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
           "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O",
           "PIDs": "PIDS"}


def _flags(fs: FlagSet) -> None:
    from dockyard.cli.formatter import FORMAT_HELP

    fs.add("all", "a", bool, help="Show all containers (default shows just running)")
    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("no-stream", None, bool, help="Disable streaming stats and only pull the first result")
    fs.add("no-trunc", None, bool, help="Do not truncate output")


def _cpu_percent(s: dict[str, Any]) -> float:
    cpu = s.get("cpu_stats") or {}
    pre = s.get("precpu_stats") or {}
    cpu_delta = float((cpu.get("cpu_usage") or {}).get("total_usage") or 0) - float(
        (pre.get("cpu_usage") or {}).get("total_usage") or 0)
    system_delta = float(cpu.get("system_cpu_usage") or 0) - float(pre.get("system_cpu_usage") or 0)
    online = float(cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or ()))
    if system_delta > 0 and cpu_delta > 0:
        return cpu_delta / system_delta * online * 100.0
    return 0.0


def _memory(s: dict[str, Any]) -> tuple[float, float]:
    mem = s.get("memory_stats") or {}
    usage = float(mem.get("usage") or 0)
    stats = mem.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):
        if key in stats:
            if stats[key] < usage:
                usage -= float(stats[key])
            break
    return usage, float(mem.get("limit") or 0)


def _net(s: dict[str, Any]) -> tuple[float, float]:
    rx = tx = 0.0
    for iface in (s.get("networks") or {}).values():
        rx += float(iface.get("rx_bytes") or 0)
        tx += float(iface.get("tx_bytes") or 0)
    return rx, tx


def _blkio(s: dict[str, Any]) -> tuple[float, float]:
    read = write = 0.0
    for entry in (s.get("blkio_stats") or {}).get("io_service_bytes_recursive") or ():
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += float(entry.get("value") or 0)
        elif op == "write":
            write += float(entry.get("value") or 0)
    return read, write


def stats_row(ref: str, cid: str, name: str, s: dict[str, Any] | None, *, trunc: bool) -> dict[str, Any]:
    """docker's statsContext fields for one container (``--`` while no sample has come)."""
    from dockyard.cli.formatter import Row
    from dockyard.cli.units import bytes_size, human_size

    ident = cid[:12] if trunc else cid
    if not s:
        return Row({"BlockIO": "--", "CPUPerc": "--", "Container": ref, "ID": ident, "MemPerc": "--",
                    "MemUsage": "-- / --", "Name": name or "--", "NetIO": "--", "PIDs": "--"}, go_type=GO_TYPE)
    mem, limit = _memory(s)
    rx, tx = _net(s)
    read, write = _blkio(s)
    return Row({
        "BlockIO": f"{human_size(read)} / {human_size(write)}",
        "CPUPerc": f"{_cpu_percent(s):.2f}%",
        "Container": ref,
        "ID": ident,
        "MemPerc": f"{(mem / limit * 100.0) if limit else 0.0:.2f}%",
        "MemUsage": f"{bytes_size(mem)} / {bytes_size(limit)}",
        "Name": (s.get("name") or name or "--").lstrip("/"),
        "NetIO": f"{human_size(rx)} / {human_size(tx)}",
        "PIDs": str((s.get("pids_stats") or {}).get("current") or 0),
    }, go_type=GO_TYPE)


class _Watch:
    """One container's stream, read on a daemon thread; ``latest`` is its newest sample."""

    def __init__(self, ctx: Context, ref: str, cid: str, name: str) -> None:
        self.ref, self.cid, self.name = ref, cid, name
        self.latest: dict[str, Any] | None = None
        self.error: str | None = None
        self.done = False
        from dockyard.client.api import Client

        self._client = Client(ctx.client.host)  # a connection of its own: the stream holds it
        import threading

        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for sample in self._client.container_stats(self.cid, stream=True):
                self.latest = sample
        except (DockyardError, OSError) as exc:
            self.error = describe(exc)
        self.done = True


def _targets(ctx: Context, opts: Options) -> list[tuple[str, str, str]]:
    """``(ref, id, name)`` of what to show: the named containers, or the daemon's list."""
    if opts.args:
        out = []
        for ref in opts.args:
            info = ctx.client.container_inspect(ref)
            out.append((ref, str(info["Id"]), str(info.get("Name") or "").lstrip("/")))
        return out
    listed = ctx.client.container_list(all=bool(opts.all))
    return [(c["Id"][:12], c["Id"], (c.get("Names") or ["/"])[0].lstrip("/")) for c in listed]


def _render(ctx: Context, opts: Options, rows: list[dict[str, Any]]) -> str:
    import io

    from dockyard.cli.formatter import write_formatted

    fmt = opts.format or DEFAULT_FORMAT
    if fmt == "table":
        fmt = DEFAULT_FORMAT
    buf = io.StringIO()
    write_formatted(buf, rows, fmt, HEADERS)
    return buf.getvalue()


def _one_shot(ctx: Context, opts: Options) -> int:
    trunc = not opts.no_trunc
    rows = []
    errors = []
    for ref, cid, name in _targets_or_errors(ctx, opts, errors):
        try:
            sample = next(iter(ctx.client.container_stats(cid, stream=False)), None)
        except DockyardError as exc:
            errors.append(describe(exc))
            continue
        rows.append(stats_row(ref, cid, name, sample, trunc=trunc))
    if errors:
        raise StatusError(1, "\n".join(errors))
    ctx.out.write(_render(ctx, opts, rows))
    return 0


def _targets_or_errors(ctx: Context, opts: Options, errors: list[str]) -> list[tuple[str, str, str]]:
    if not opts.args:
        return _targets(ctx, opts)
    out = []
    for ref in opts.args:
        try:
            info = ctx.client.container_inspect(ref)
        except DockyardError as exc:
            errors.append(describe(exc))
            continue
        out.append((ref, str(info["Id"]), str(info.get("Name") or "").lstrip("/")))
    return out


def _stats(ctx: Context, opts: Options) -> int:
    if opts.no_stream:
        return _one_shot(ctx, opts)
    errors: list[str] = []
    targets = _targets_or_errors(ctx, opts, errors)
    if errors:
        raise StatusError(1, "\n".join(errors))
    watches = {cid: _Watch(ctx, ref, cid, name) for ref, cid, name in targets}
    trunc = not opts.no_trunc
    while True:
        time.sleep(1.0 if any(w.latest is not None for w in watches.values()) else 0.2)
        if not opts.args:  # follow the daemon's list: new containers appear, removed ones go
            current = {cid: (ref, name) for ref, cid, name in _targets(ctx, opts)}
            for cid, (ref, name) in current.items():
                if cid not in watches:
                    watches[cid] = _Watch(ctx, ref, cid, name)
            for cid in list(watches):
                if cid not in current:
                    del watches[cid]
        rows = [stats_row(w.ref, w.cid, w.name, w.latest, trunc=trunc) for w in watches.values()]
        text = _render(ctx, opts, rows)  # home, each line then clear-to-end-of-line, then clear below
        ctx.out.write("\033[H" + "".join(line + "\033[K\n" for line in text.rstrip("\n").split("\n")) + "\033[J")
        ctx.out.flush()
        if opts.args and all(w.done for w in watches.values()):
            return 0


STATS = Command("stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics",
                run=_stats, flags=_flags, family="container")
