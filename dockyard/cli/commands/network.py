"""``dockyard network create|ls|inspect|rm|prune|connect|disconnect``, as docker's ``network``."""

from __future__ import annotations

from dockyard.cli.command import MIN1, NOARGS, Command, Context, run_each
from dockyard.cli.errors import StatusError
from dockyard.cli.filters import check_filter, parse_filters
from dockyard.cli.formatter import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["CREATE", "LS", "INSPECT", "RM", "PRUNE", "CONNECT", "DISCONNECT", "ipam_config"]

LS_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
LS_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4",
              "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"}


def _create_flags(fs: FlagSet) -> None:
    a = fs.add
    a("attachable", None, bool, help="Enable manual container attachment")
    a("aux-address", None, dict, help="Auxiliary IPv4 or IPv6 addresses used by Network driver")
    a("config-from", None, str, help="The network from which to copy the configuration")
    a("config-only", None, bool, help="Create a configuration only network")
    a("driver", "d", str, default="bridge", help="Driver to manage the Network")
    a("gateway", None, "strings", help="IPv4 or IPv6 Gateway for the master subnet")
    a("ingress", None, bool, help="Create swarm routing-mesh network")
    a("internal", None, bool, help="Restrict external access to the network")
    a("ip-range", None, "strings", help="Allocate container ip from a sub-range")
    a("ipam-driver", None, str, default="default", help="IP Address Management Driver")
    a("ipam-opt", None, dict, help="Set IPAM driver specific options")
    a("ipv4", None, bool, default=True, help="Enable or disable IPv4 address assignment")
    a("ipv6", None, bool, help="Enable or disable IPv6 address assignment")
    a("label", None, list, help="Set metadata on a network")
    a("opt", "o", dict, help="Set driver specific options")
    a("scope", None, str, help="Control the network's scope")
    a("subnet", None, "strings", help="Subnet in CIDR format that represents a network segment")


def ipam_config(subnets: list[str], ranges: list[str], gateways: list[str],
                aux: dict[str, str]) -> list[dict[str, Any]]:
    """docker's consolidateIpam: each ``--ip-range``/``--gateway``/``--aux-address`` joins the
    ``--subnet`` that contains it (a lone one with no subnet is an error, as docker says)."""
    import ipaddress

    if len(subnets) < len(ranges) or len(subnets) < len(gateways):
        raise StatusError(1, "every ip-range or gateway must have a corresponding subnet")
    configs = [{"Subnet": s, "AuxiliaryAddresses": {}} for s in subnets]
    nets = [ipaddress.ip_network(s, strict=False) for s in subnets]

    def owner(addr: str, what: str) -> dict[str, Any]:
        ip = ipaddress.ip_network(addr, strict=False) if "/" in addr else ipaddress.ip_address(addr)
        for cfg, net in zip(configs, nets):
            inside = (ip.subnet_of(net) if isinstance(ip, type(net)) else False) if "/" in addr else (
                ip.version == net.version and ip in net)
            if inside:
                return cfg
        raise StatusError(1, f"no matching subnet for {what} {addr}")

    for r in ranges:
        cfg = owner(r, "range")
        if cfg.get("IPRange"):
            raise StatusError(1, f"cannot configure multiple ranges ({r}, {cfg['IPRange']}) on the same subnet "
                                 f"({cfg['Subnet']})")
        cfg["IPRange"] = r
    for g in gateways:
        cfg = owner(g, "gateway")
        if cfg.get("Gateway"):
            raise StatusError(1, f"cannot configure multiple gateways ({g}, {cfg['Gateway']}) for the same subnet "
                                 f"({cfg['Subnet']})")
        cfg["Gateway"] = g
    for key, addr in aux.items():
        owner(addr, "aux-address")["AuxiliaryAddresses"][key] = addr
    return configs


def _labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        out[k] = v
    return out


def _create(ctx: Context, opts: Options) -> int:
    body: dict[str, Any] = {
        "Name": opts.args[0], "Driver": opts.driver, "Options": dict(opts.opt),
        "IPAM": {"Driver": opts.ipam_driver, "Config": ipam_config(opts.subnet, opts.ip_range, opts.gateway,
                                                                    dict(opts.aux_address)),
                 "Options": dict(opts.ipam_opt)},
        "Internal": bool(opts.internal), "Attachable": bool(opts.attachable), "Ingress": bool(opts.ingress),
        "ConfigOnly": bool(opts.config_only), "Labels": _labels(opts.label), "CheckDuplicate": True,
    }
    if opts.is_set("ipv6"):
        body["EnableIPv6"] = bool(opts.ipv6)
    if opts.is_set("ipv4"):
        body["EnableIPv4"] = bool(opts.ipv4)
    if opts.scope:
        body["Scope"] = opts.scope
    if opts.config_from:
        body["ConfigFrom"] = {"Network": opts.config_from}
    ctx.print(str(ctx.client.network_create(body).get("Id", "")))
    return 0


CREATE = Command("create", "[OPTIONS] NETWORK", "Create a network", run=_create, flags=_create_flags,
                 args=("exact", 1))


def _ls_flags(fs: FlagSet) -> None:
    fs.add("filter", "f", list, type_name="filter", convert=check_filter, help='Provide filter values (e.g. "driver=bridge")')
    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("no-trunc", None, bool, help="Do not truncate the output")
    fs.add("quiet", "q", bool, help="Only display network IDs")


def _created(text: str) -> str:
    """The API's RFC 3339 ``Created`` as Go's ``time.Time.String()`` (nanoseconds kept)."""
    from dockyard.cli.formatter import go_time
    from dockyard.cli.units import parse_rfc3339

    if not text:
        return "0001-01-01 00:00:00 +0000 UTC"
    base = go_time(parse_rfc3339(text))
    frac = text.partition(".")[2].rstrip("Z").split("+")[0].split("-")[0].rstrip("0")
    if frac:
        date, clock, rest = base.split(" ", 2)
        return f"{date} {clock}.{frac} {rest}"
    return base


def _ls(ctx: Context, opts: Options) -> int:
    from dockyard.cli.formatter import Row, write_formatted

    nets = sorted(ctx.client.network_list(parse_filters(opts.filter)), key=lambda n: n.get("Name", ""))
    trunc = not opts.no_trunc
    rows = []
    for n in nets:
        labels = n.get("Labels") or {}
        ident = str(n.get("Id", ""))
        rows.append(Row({
            "CreatedAt": _created(str(n.get("Created") or "")), "Driver": n.get("Driver", ""),
            "ID": ident[:12] if trunc else ident, "IPv4": str(bool(n.get("EnableIPv4"))).lower(),
            "IPv6": str(bool(n.get("EnableIPv6"))).lower(), "Internal": str(bool(n.get("Internal"))).lower(),
            "Labels": ",".join(f"{k}={labels[k]}" for k in sorted(labels)), "Name": n.get("Name", ""),
            "Scope": n.get("Scope", ""),
        }, labels, go_type="*network.networkContext"))
    if opts.quiet:
        ctx.out.write("".join(r["ID"] + "\n" for r in rows))
        return 0
    fmt = opts.format or LS_TABLE
    write_formatted(ctx.out, rows, LS_TABLE if fmt == "table" else fmt, LS_HEADERS)
    return 0


LS = Command("ls", "[OPTIONS]", "List networks", run=_ls, flags=_ls_flags, args=NOARGS, aliases=("list",))


def _inspect_flags(fs: FlagSet) -> None:
    from dockyard.cli.commands.inspect import FORMAT_HELP as INSPECT_HELP

    fs.add("format", "f", str, help=INSPECT_HELP)
    fs.add("verbose", "v", bool, help="Verbose output for diagnostics")


def _inspect(ctx: Context, opts: Options) -> int:
    from dockyard.cli.commands.volume import inspect_each

    def fetch(ref: str) -> dict[str, Any]:
        return ctx.client.network_inspect(ref, verbose=bool(opts.verbose))

    return inspect_each(ctx, opts.args, fetch, opts.format, ("Options", "Labels", "Containers"))


INSPECT = Command("inspect", "[OPTIONS] NETWORK [NETWORK...]", "Display detailed information on one or more networks",
                  run=_inspect, flags=_inspect_flags, args=MIN1)


def _rm_flags(fs: FlagSet) -> None:
    fs.add("force", "f", bool, help="Do not error if the network does not exist")


def _rm(ctx: Context, opts: Options) -> int:
    if run_each(ctx, opts.args, ctx.client.network_remove, missing_ok=bool(opts.force)):
        raise StatusError(1, "exit status 1")  # docker's StatusError with no status text
    return 0


RM = Command("rm", "NETWORK [NETWORK...]", "Remove one or more networks", run=_rm, flags=_rm_flags, args=MIN1,
             aliases=("remove",))


def _prune_flags(fs: FlagSet) -> None:
    fs.add("filter", None, list, type_name="filter", convert=check_filter, help='Provide filter values (e.g. "until=<timestamp>")')
    fs.add("force", "f", bool, help="Do not prompt for confirmation")


def _prune(ctx: Context, opts: Options) -> int:
    from dockyard.cli.commands.systemops import confirm, report_prune

    if not opts.force and not confirm(ctx, "WARNING! This will remove all custom networks not used by at least one "
                                           "container."):
        return 0
    report = ctx.client.network_prune(parse_filters(opts.filter))
    report_prune(ctx, "Deleted Networks", list(report.get("NetworksDeleted") or []))
    return 0


PRUNE = Command("prune", "[OPTIONS]", "Remove all unused networks", run=_prune, flags=_prune_flags, args=NOARGS)


def _connect_flags(fs: FlagSet) -> None:
    fs.add("alias", None, "strings", help="Add network-scoped alias for the container")
    fs.add("driver-opt", None, "strings", help="driver options for the network")
    fs.add("gw-priority", None, int, help="Highest gw-priority provides the default gateway. Accepts positive and "
                                          "negative values.")
    fs.add("ip", None, str, help="IPv4 address (e.g., \"172.30.100.104\")")
    fs.add("ip6", None, str, help="IPv6 address (e.g., \"2001:db8::33\")")
    fs.add("link", None, list, help="Add link to another container")
    fs.add("link-local-ip", None, "strings", help="Add a link-local address for the container")


def _connect(ctx: Context, opts: Options) -> int:
    endpoint: dict[str, Any] = {"Aliases": list(opts.alias) or None, "Links": list(opts.link) or None}
    if opts.ip or opts.ip6 or opts.link_local_ip:
        endpoint["IPAMConfig"] = {"IPv4Address": opts.ip, "IPv6Address": opts.ip6,
                                  "LinkLocalIPs": list(opts.link_local_ip) or None}
    if opts.driver_opt:
        endpoint["DriverOpts"] = dict(o.partition("=")[::2] for o in opts.driver_opt)
    if opts.is_set("gw-priority"):
        endpoint["GwPriority"] = opts.gw_priority
    ctx.client.network_connect(opts.args[0], opts.args[1], endpoint)
    return 0


CONNECT = Command("connect", "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network", run=_connect,
                  flags=_connect_flags, args=("exact", 2))


def _disconnect_flags(fs: FlagSet) -> None:
    fs.add("force", "f", bool, help="Force the container to disconnect from a network")


def _disconnect(ctx: Context, opts: Options) -> int:
    ctx.client.network_disconnect(opts.args[0], opts.args[1], force=bool(opts.force))
    return 0


DISCONNECT = Command("disconnect", "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network",
                     run=_disconnect, flags=_disconnect_flags, args=("exact", 2))
