"""Docker's wire shapes for networks and endpoints, and the facts read back from them.

A network record is Docker's ``GET /networks/{id}`` shape plus a private ``_dy`` part::

    {"Name": "n1", "Id": "<64 hex>", "Created": "...", "Scope": "local", "Driver": "bridge",
     "EnableIPv6": false, "IPAM": {"Driver": "default", "Options": {},
                                   "Config": [{"Subnet": "172.18.0.0/16",
                                               "Gateway": "172.18.0.1"}]},
     "Internal": false, "Attachable": false, "Ingress": false,
     "ConfigFrom": {"Network": ""}, "ConfigOnly": false, "Options": {}, "Labels": {},
     "_dy": {"bridge": "dyab12cd-3f2a1b", "builtin": false, "dns": true, "mtu": 1400}}
"""

from __future__ import annotations

import secrets
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from dockyard.oci.image import rfc3339

__all__ = ["BUILTIN", "docker_mac", "endpoint_settings", "new_network", "public",
           "subnet_of", "gateway_of", "range_of", "bridge_of"]

BUILTIN = ("bridge", "host", "none")


def new_network(name: str, driver: str, *, subnet: str | None = None,
                gateway: str | None = None, ip_range: str | None = None,
                internal: bool = False, attachable: bool = False,
                options: dict[str, str] | None = None, labels: dict[str, str] | None = None,
                bridge: str = "", builtin: bool = False, mtu: int = 1500,
                net_id: str | None = None) -> dict[str, Any]:
    config: list[dict[str, str]] = []
    if subnet:
        cfg = {"Subnet": subnet, "Gateway": gateway or ""}
        if ip_range:
            cfg["IPRange"] = ip_range
        config.append(cfg)
    return {
        "Name": name, "Id": net_id or secrets.token_hex(32), "Created": rfc3339(),
        "Scope": "local", "Driver": driver, "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None if builtin else {}, "Config": config},
        "Internal": internal, "Attachable": attachable, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
        "Options": dict(options or {}), "Labels": dict(labels or {}),
        "_dy": {"bridge": bridge, "builtin": builtin, "dns": driver == "bridge" and not builtin,
                "mtu": mtu},
    }


def public(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def _cfg(rec: dict[str, Any]) -> dict[str, str]:
    configs = [c for c in (rec.get("IPAM") or {}).get("Config") or []
               if ":" not in (c.get("Subnet") or "")]
    return configs[0] if configs else {}


def subnet_of(rec: dict[str, Any]) -> IPv4Network | None:
    s = _cfg(rec).get("Subnet")
    return IPv4Network(s) if s else None


def gateway_of(rec: dict[str, Any]) -> IPv4Address:
    g = _cfg(rec).get("Gateway")
    if g:
        return IPv4Address(g)
    subnet = subnet_of(rec)
    assert subnet is not None
    return subnet.network_address + 1


def subnet6_of(rec: dict[str, Any]) -> tuple[IPv6Network, IPv6Address] | None:
    """The network's IPv6 subnet and gateway (the second IPAM config), if it has one."""
    for cfg in (rec.get("IPAM") or {}).get("Config") or []:
        s = cfg.get("Subnet") or ""
        if ":" in s:
            net = IPv6Network(s)
            gw = cfg.get("Gateway")
            return net, IPv6Address(gw) if gw else net.network_address + 1
    return None


def range_of(rec: dict[str, Any]) -> IPv4Network | None:
    r = _cfg(rec).get("IPRange")
    return IPv4Network(r) if r else None


def bridge_of(rec: dict[str, Any]) -> str:
    return str(rec["_dy"]["bridge"])


def docker_mac(ip: str) -> str:
    """Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address."""
    return "02:42:" + ":".join(f"{b:02x}" for b in IPv4Address(ip).packed)


def endpoint_settings(rec: dict[str, Any], epcfg: dict[str, Any] | None,
                      aliases: list[str] | None) -> dict[str, Any]:
    """A container's ``NetworkSettings.Networks.<name>`` entry before it has an address."""
    epcfg = epcfg or {}
    ipam = epcfg.get("IPAMConfig") or None
    return {
        "IPAMConfig": ipam, "Links": epcfg.get("Links") or None,
        "Aliases": aliases or None, "NetworkID": rec["Id"], "EndpointID": "",
        "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
        "MacAddress": epcfg.get("MacAddress") or "", "DriverOpts": epcfg.get("DriverOpts"),
    }
