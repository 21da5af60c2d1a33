"""Operations on running containers: ``pause``, ``unpause``, ``top``, ``port``, ``rename``,
``update``; ``stats`` lives in :mod:`dockyard.cli.commands.stats`."""

from __future__ import annotations

from dockyard.cli.command import MIN1, Command, Context, run_each
from dockyard.cli.errors import StatusError, describe
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["PAUSE", "UNPAUSE", "TOP", "PORT", "RENAME", "UPDATE", "port_lines"]


# --- pause / unpause ------------------------------------------------------------------------------

def _each(verb: str) -> Any:
    def run(ctx: Context, opts: Options) -> int:
        action = getattr(ctx.client, f"container_{verb}")

        def act(ref: str) -> None:
            action(ref)

        return run_each(ctx, opts.args, act)

    return run


PAUSE = Command("pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",
                run=_each("pause"), args=MIN1, family="container")
UNPAUSE = Command("unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers",
                  run=_each("unpause"), args=MIN1, family="container")


# --- top ------------------------------------------------------------------------------------------

def _top(ctx: Context, opts: Options) -> int:
    from dockyard.cli.gotemplate.table import tabwrite

    ps_args = " ".join(opts.args[1:])
    reply = ctx.client.container_top(opts.args[0], ps_args or None)
    lines = ["\t".join(reply.get("Titles") or [])]
    lines += ["\t".join(p) for p in reply.get("Processes") or []]
    ctx.out.write(tabwrite("".join(line + "\n" for line in lines), 20, 1, 3))
    return 0


TOP = Command("top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container", run=_top,
              args=MIN1, interspersed=False, family="container")


# --- port -----------------------------------------------------------------------------------------

def _host_port(binding: dict[str, Any]) -> str:
    ip = binding.get("HostIp") or "0.0.0.0"
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{binding.get('HostPort', '')}"


def _port_key(key: str) -> tuple[int, str]:
    port, _, proto = key.partition("/")
    return (int(port) if port.isdigit() else 0, proto)


def port_lines(ports: dict[str, Any], want: str | None = None) -> list[str]:
    """docker port's lines from ``NetworkSettings.Ports``; ``want`` is ``80`` or ``80/udp``."""
    if want is not None:
        port, _, proto = want.partition("/")
        key = f"{port}/{proto or 'tcp'}"
        return [_host_port(b) for b in ports.get(key) or ()]
    out = []
    for key in sorted(ports, key=_port_key):
        out += [f"{key} -> {_host_port(b)}" for b in ports[key] or ()]
    return out


def _port(ctx: Context, opts: Options) -> int:
    info = ctx.client.container_inspect(opts.args[0])
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    if len(opts.args) > 1:
        want = opts.args[1]
        port, _, proto = want.partition("/")
        if not port.isdigit():
            raise StatusError(1, f'Error: invalid port ({port}): strconv.ParseUint: parsing "{port}": invalid syntax')
        lines = port_lines(ports, want)
        if not lines:
            raise StatusError(1, f"Error: No public port '{want}' published for {opts.args[0]}")
    else:
        lines = port_lines(ports)
    ctx.out.write("".join(line + "\n" for line in lines))
    return 0


PORT = Command("port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings or a specific mapping for the container",
               run=_port, args=("range", 1, 2), family="container")


# --- rename ---------------------------------------------------------------------------------------

def _rename(ctx: Context, opts: Options) -> int:
    old, new = opts.args
    new = new.strip()
    if not new or new.startswith("/"):  # docker checks before asking the daemon
        raise StatusError(1, "Error: Neither old nor new names may be empty")
    try:
        ctx.client.container_rename(old, new)
    except DockyardError as exc:
        raise StatusError(1, f"{describe(exc)}\nError: failed to rename container named {old}") from exc
    return 0


RENAME = Command("rename", "CONTAINER NEW_NAME", "Rename a container", run=_rename, args=("exact", 2),
                 family="container")


# --- update ---------------------------------------------------------------------------------------

def _update_flags(fs: FlagSet) -> None:
    from dockyard.cli.units import parse_bytes, parse_cpus

    def bytes_or_minus_one(text: str) -> int:
        return -1 if text == "-1" else parse_bytes(text)

    a = fs.add
    a("blkio-weight", None, int, help="Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
      type_name="uint16")
    a("cpu-period", None, int, help="Limit CPU CFS (Completely Fair Scheduler) period")
    a("cpu-quota", None, int, help="Limit CPU CFS (Completely Fair Scheduler) quota")
    a("cpu-rt-period", None, int, help="Limit the CPU real-time period in microseconds")
    a("cpu-rt-runtime", None, int, help="Limit the CPU real-time runtime in microseconds")
    a("cpu-shares", "c", int, help="CPU shares (relative weight)")
    a("cpus", None, str, convert=parse_cpus, type_name="decimal", help="Number of CPUs")
    a("cpuset-cpus", None, str, help="CPUs in which to allow execution (0-3, 0,1)")
    a("cpuset-mems", None, str, help="MEMs in which to allow execution (0-3, 0,1)")
    a("kernel-memory", None, str, convert=parse_bytes, type_name="bytes", hidden=True,
      help="Kernel memory limit (deprecated)")
    a("memory", "m", str, convert=parse_bytes, type_name="bytes", help="Memory limit")
    a("memory-reservation", None, str, convert=parse_bytes, type_name="bytes", help="Memory soft limit")
    a("memory-swap", None, str, convert=bytes_or_minus_one, type_name="bytes",
      help="Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    a("pids-limit", None, int, help="Tune container pids limit (set -1 for unlimited)")
    a("restart", None, str, help="Restart policy to apply when a container exits")


_UPDATE_FIELDS = {"blkio-weight": "BlkioWeight", "cpu-period": "CpuPeriod", "cpu-quota": "CpuQuota",
                  "cpu-rt-period": "CpuRealtimePeriod", "cpu-rt-runtime": "CpuRealtimeRuntime",
                  "cpu-shares": "CpuShares", "cpus": "NanoCpus", "cpuset-cpus": "CpusetCpus",
                  "cpuset-mems": "CpusetMems", "kernel-memory": "KernelMemory", "memory": "Memory",
                  "memory-reservation": "MemoryReservation", "memory-swap": "MemorySwap",
                  "pids-limit": "PidsLimit"}


def update_body(opts: Options) -> dict[str, Any]:
    """The ``POST /containers/{id}/update`` body: only the flags given (an unset one is not a zero)."""
    body: dict[str, Any] = {}
    for flag, field in _UPDATE_FIELDS.items():
        if opts.is_set(flag):
            body[field] = opts.get(flag)
    if opts.is_set("restart"):  # docker's update leaves the policy's validation to the daemon
        policy, _, count = opts.restart.partition(":")
        try:
            retries = int(count) if count else 0
        except ValueError:
            raise StatusError(1, "invalid restart policy format: maximum retry count must be an integer") from None
        body["RestartPolicy"] = {"Name": policy, "MaximumRetryCount": retries}
    return body


def _update(ctx: Context, opts: Options) -> int:
    if not opts.changed - {"help"}:
        raise StatusError(1, "you must provide one or more flags when using this command")
    body = update_body(opts)
    errors = []
    for ref in opts.args:
        try:
            reply = ctx.client.container_update(ref, body)
        except DockyardError as exc:
            errors.append(describe(exc))
            continue
        for warning in reply.get("Warnings") or ():
            ctx.warn(warning)
        ctx.print(ref)
    if errors:
        raise StatusError(1, "\n".join(errors))
    return 0


UPDATE = Command("update", "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers",
                 run=_update, flags=_update_flags, args=MIN1, family="container")

