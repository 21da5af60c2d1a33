"""The networks a daemon knows: the builtins (bridge, host, none) and user-defined bridges.

The catalog owns the network records (persisted through ``NetworkStore``) and the
host-wide subnet claims; it validates ``POST /networks/create`` bodies, allocates their
subnets and answers lookups and filters. It knows nothing of containers: endpoints are
the service's (``dockyard.network.service``).

Naming: a daemon *instance* is the first 6 hex digits of sha256(exec root). Its default
bridge is ``dy<instance>-0`` and a user network's ``dy<instance>-<first 6 of its id>``
(unless ``com.docker.network.bridge.name`` says otherwise), so daemons sharing a host
never share a bridge.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from dockyard.errors import Conflict, Forbidden, InvalidArgument, NotFound, Unavailable
from dockyard.network import ipam, parent
from dockyard.network.model import bridge_of, new_network, subnet6_of, subnet_of
from dockyard.network.store import NetworkStore

__all__ = ["Catalog", "host_mtu"]

_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_BRIDGE_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,15}$")


def host_mtu() -> int:
    """The MTU of the host's default-route device (1400 on these machines)."""
    for r in ipam._ip_json("-4", "route", "show", "default"):
        try:
            with open(f"/sys/class/net/{r.get('dev')}/mtu") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            continue
    return 1500


class Catalog:
    def __init__(self, store: NetworkStore, claims: ipam.Claims, instance: str) -> None:
        self.store = store
        self.claims = claims
        self.instance = instance
        self.nets: dict[str, dict[str, Any]] = {}

    # -- loading ------------------------------------------------------------------------
    def load(self, busy: set[str]) -> None:
        """Read the records; make the builtins on first run. The default bridge's subnet
        is picked again if it now clashes with the host and no endpoint uses it."""
        for rec in self.store.networks():
            self.nets[rec["Id"]] = rec
        have = {r["Name"] for r in self.nets.values()}
        for name, driver in (("none", "null"), ("host", "host")):
            if name not in have:
                self.save(new_network(name, driver, builtin=True))
        bridge = self.by_name("bridge")
        with self.claims.locked():
            if bridge is None or bridge["Id"] not in busy and self._clashes(bridge):
                self._make_default_bridge(bridge)
            self.write_claims()

    def _clashes(self, rec: dict[str, Any]) -> bool:
        subnet = subnet_of(rec)
        taken = ipam.host_subnets(exclude_devs=self.own_bridges()) + self.claims.others()
        return subnet is None or any(subnet.overlaps(t) for t in taken)

    def _make_default_bridge(self, old: dict[str, Any] | None) -> None:
        mtu = host_mtu()
        subnet = ipam.pick_subnet(self.taken(exclude=old["Id"] if old else None))
        br = f"dy{self.instance}-0"
        opts = {"com.docker.network.bridge.default_bridge": "true",
                "com.docker.network.bridge.enable_icc": "true",
                "com.docker.network.bridge.enable_ip_masquerade": "true",
                "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                "com.docker.network.bridge.name": br,
                "com.docker.network.driver.mtu": str(mtu)}
        rec = new_network("bridge", "bridge", subnet=str(subnet),
                          gateway=str(subnet.network_address + 1), options=opts, bridge=br,
                          builtin=True, mtu=mtu, net_id=old["Id"] if old else None)
        if old:
            rec["Created"] = old["Created"]
        self.save(rec)

    # -- lookups ------------------------------------------------------------------------
    def by_name(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.nets.values() if r["Name"] == name), None)

    def get(self, ref: str) -> dict[str, Any]:
        """By full id, exact name, or unique id prefix (Docker's order)."""
        if ref in self.nets:
            return self.nets[ref]
        rec = self.by_name(ref)
        if rec is not None:
            return rec
        matches = [r for r in self.nets.values() if ref and r["Id"].startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidArgument(f"network {ref} is ambiguous ({len(matches)} matches found "
                                  f"based on ID prefix)")
        raise NotFound(f"network {ref} not found")

    def save(self, rec: dict[str, Any]) -> None:
        self.store.put_network(rec)
        self.nets[rec["Id"]] = rec

    def delete(self, rec: dict[str, Any]) -> None:
        self.store.delete_network(rec["Id"])
        self.nets.pop(rec["Id"], None)
        with self.claims.locked():
            self.write_claims()

    def own_bridges(self) -> list[str]:
        return [bridge_of(r) for r in self.nets.values()
                if r["Driver"] == "bridge" and r["_dy"].get("bridge")]

    def taken(self, exclude: str | None = None, host: bool = True) -> list[IPv4Network]:
        """Subnets a new network must not overlap: the host's (unless ``host`` is false:
        a macvlan/ipvlan subnet *is* its parent's LAN), other daemons', ours."""
        taken = ipam.host_subnets(exclude_devs=self.own_bridges()) if host else []
        taken += self.claims.others()
        taken += [s for r in self.nets.values() if r["Id"] != exclude
                  for s in [subnet_of(r)] if s is not None]
        return taken

    def taken6(self) -> list[IPv6Network]:
        """IPv6 subnets a new network must not overlap: the host's routes and ours."""
        taken: list[IPv6Network] = ipam.host_subnets6(exclude_devs=self.own_bridges())
        taken += [s6[0] for r in self.nets.values() for s6 in [subnet6_of(r)] if s6]
        return taken

    def write_claims(self) -> None:
        self.claims.write(str(s) for r in self.nets.values() for s in [subnet_of(r)] if s)

    # -- create -------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Validate a ``POST /networks/create`` body, allocate its subnet, save it."""
        name = str(body.get("Name") or "")
        if not name or not _NAME_RE.match(name):
            raise InvalidArgument(f"invalid network name {name!r}: must match "
                                  f"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
        if self.by_name(name) is not None:
            raise Conflict(f"network with name {name} already exists")
        driver = body.get("Driver") or "bridge"
        if driver in ("host", "null"):
            raise Forbidden(f'only one instance of "{driver}" network is allowed')
        if driver != "bridge" and driver not in parent.DRIVERS:
            raise NotFound(f'plugin "{driver}" not found')
        configs = (body.get("IPAM") or {}).get("Config") or []
        v6 = [c for c in configs if ":" in str(c.get("Subnet") or "")]
        v4 = [c for c in configs if c not in v6]
        if len(v4) > 1 or len(v6) > 1:
            raise InvalidArgument("only one IPv4 and one IPv6 subnet per network are supported")
        if v6 and not body.get("EnableIPv6"):
            raise InvalidArgument("an IPv6 subnet needs --ipv6 (EnableIPv6)")
        if body.get("EnableIPv6") and not v6:
            raise Unavailable("could not find an available, non-overlapping IPv6 address pool "
                              "among the defaults to assign to the network")
        if v6 and driver != "bridge":
            raise InvalidArgument(f"IPv6 is not supported by the {driver} driver here")
        cfg = v4[0] if v4 else {}
        options = {str(k): str(v) for k, v in (body.get("Options") or {}).items()}
        net_id = secrets.token_hex(32)
        if driver in parent.DRIVERS:
            return self._create_lowlink(name, driver, body, cfg, options, net_id)
        br = options.get("com.docker.network.bridge.name") or f"dy{self.instance}-{net_id[:6]}"
        if not _BRIDGE_RE.match(br):
            raise InvalidArgument(f"invalid bridge name: {br}")
        if br in self.own_bridges():
            raise Conflict(f"bridge name {br} is already used by another network")
        mtu = _mtu(options.get("com.docker.network.driver.mtu"))
        with self.claims.locked():
            subnet, gw, rng = _ipam_config(cfg, self.taken())
            six = _ipam_config6(v6[0], self.taken6()) if v6 else None
            rec = new_network(name, "bridge", subnet=str(subnet), gateway=str(gw),
                              ip_range=str(rng) if rng else None,
                              internal=bool(body.get("Internal")),
                              attachable=bool(body.get("Attachable")), options=options,
                              labels=body.get("Labels") or {}, bridge=br, mtu=mtu,
                              net_id=net_id)
            rec["_dy"]["user_subnet"] = bool(cfg.get("Subnet"))
            if six is not None:
                rec["EnableIPv6"] = True
                rec["IPAM"]["Config"].append({"Subnet": str(six[0]), "Gateway": str(six[1])})
            self.save(rec)
            self.write_claims()
        return rec

    def _create_lowlink(self, name: str, driver: str, body: dict[str, Any],
                        cfg: dict[str, Any], options: dict[str, str], net_id: str
                        ) -> dict[str, Any]:
        """A macvlan or ipvlan network (``dockyard.network.parent``): no bridge, no DNS."""
        if body.get("Internal"):
            raise InvalidArgument(f"--internal is not supported by the {driver} driver here")
        link, mode = parent.validate(driver, options)
        if link is not None:
            parent.probe(driver, link, mode)
        with self.claims.locked():
            # a picked subnet still avoids the host's routes; a given one is the parent's LAN
            subnet, gw, rng = _ipam_config(cfg, self.taken(host=not cfg.get("Subnet")))
            dummy = link is None
            if dummy:
                link = parent.make_dummy(net_id)
                try:
                    parent.probe(driver, link, mode)
                except BaseException:
                    parent.delete_link(link)
                    raise
            assert link is not None
            rec = new_network(name, driver, subnet=str(subnet), gateway=str(gw),
                              ip_range=str(rng) if rng else None,
                              attachable=bool(body.get("Attachable")), options=options,
                              labels=body.get("Labels") or {}, mtu=parent.link_mtu(link),
                              net_id=net_id)
            rec["_dy"].update({"user_subnet": bool(cfg.get("Subnet")), "parent": link,
                               "mode": mode, "dummy": dummy})
            self.save(rec)
            self.write_claims()
        return rec

    # -- filters --------------------------------------------------------------------------
    @staticmethod
    def match(rec: dict[str, Any], f: dict[str, list[str]], busy: set[str]) -> bool:
        """Docker's network filters: name and id are regular expressions (unanchored),
        driver exact, label ``k`` or ``k=v``, type custom|builtin, dangling."""
        def rx(values: list[str], text: str) -> bool:
            try:
                return any(re.search(v, text) for v in values)
            except re.error as exc:
                raise InvalidArgument(f"invalid filter: {exc}") from None
        if f.get("name") and not rx(f["name"], rec["Name"]):
            return False
        if f.get("id") and not rx(f["id"], rec["Id"]):
            return False
        if f.get("driver") and rec["Driver"] not in f["driver"]:
            return False
        if f.get("scope") and "local" not in f["scope"]:
            return False
        builtin = bool(rec["_dy"].get("builtin"))
        if f.get("type"):
            for t in f["type"]:
                if t not in ("custom", "builtin"):
                    raise InvalidArgument(f"invalid filter: 'type'='{t}'")
            if ("builtin" if builtin else "custom") not in f["type"]:
                return False
        if f.get("dangling"):
            want = f["dangling"][0].lower() in ("1", "true")
            if (not builtin and rec["Id"] not in busy) != want:
                return False
        labels = rec.get("Labels") or {}
        for lab in f.get("label") or []:
            k, sep, v = lab.partition("=")
            if k not in labels or (sep and labels[k] != v):
                return False
        for lab in f.get("label!") or []:
            k, sep, v = lab.partition("=")
            if k in labels and (not sep or labels[k] == v):
                return False
        return True


def _mtu(value: str | None) -> int:
    if not value:
        return host_mtu()
    try:
        mtu = int(value)
    except ValueError:
        raise InvalidArgument(f"invalid MTU: {value}") from None
    if not 68 <= mtu <= 65535:
        raise InvalidArgument(f"invalid MTU: {mtu}")
    return mtu


def _ipam_config6(cfg: dict[str, Any], taken: list[IPv6Network]
                  ) -> tuple[IPv6Network, IPv6Address]:
    """The IPv6 subnet (always given: there is no default IPv6 pool) and its gateway."""
    subnet = ipam.parse_subnet6(str(cfg["Subnet"]))
    ipam.check_overlap(subnet, taken)
    if cfg.get("IPRange"):
        raise InvalidArgument("an IPv6 ip-range is not supported here")
    return subnet, IPv6Address(_gateway(cfg, subnet))


def _gateway(cfg: dict[str, Any], subnet: IPv4Network | IPv6Network) -> IPv4Address | IPv6Address:
    """The config's gateway (it must be in the subnet), or the subnet's first address."""
    if not cfg.get("Gateway"):
        return subnet.network_address + 1
    try:
        gw = ipaddress.ip_address(cfg["Gateway"])
    except ValueError:
        raise InvalidArgument(f"invalid gateway {cfg['Gateway']}") from None
    if gw.version != subnet.version or gw not in subnet:
        raise InvalidArgument(f"no matching subnet for gateway {gw}")
    return gw


def _ipam_config(cfg: dict[str, Any], taken: list[IPv4Network]
                 ) -> tuple[IPv4Network, IPv4Address, IPv4Network | None]:
    """Subnet (given and checked, or picked), gateway and ip-range of one IPAM config."""
    if cfg.get("Subnet"):
        subnet = ipam.parse_subnet(cfg["Subnet"])
        ipam.check_overlap(subnet, taken)
    else:
        if cfg.get("Gateway") or cfg.get("IPRange"):
            raise InvalidArgument("a gateway or ip-range needs a subnet")
        subnet = ipam.pick_subnet(taken)
    gw = IPv4Address(_gateway(cfg, subnet))
    rng = None
    if cfg.get("IPRange"):
        rng = ipam.parse_subnet(cfg["IPRange"])
        if not rng.subnet_of(subnet):
            raise InvalidArgument(f"no matching subnet for range {rng}")
    return subnet, gw, rng
