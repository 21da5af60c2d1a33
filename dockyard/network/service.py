"""Networking: the container manager's hooks and the endpoint logic over netavark.

Vocabulary (Docker's): a **network** (bridge, host, none, or user-defined bridge) has
**endpoints**; an endpoint is one container's interface on it, with a **lease** (its
address). A container's networks are its ``NetworkSettings.Networks`` (set at create, or
by connect/disconnect); endpoints exist only while it runs.

Lifecycle of one container on the default bridge::

    create  → on_create: NetworkSettings.Networks = {"bridge": {NetworkID, ...}}
    start   → on_start: netns <exec_root>/netns/<id>; reserve host ports; per network:
              lease (row "allocated") → netavark setup → row "up"; firewall sync;
              returns {"netns", "hosts_ip", "nameservers"} for the OCI spec and /etc files
    (daemon restart: rows and netns survive; reconcile() re-holds the ports)
    exit    → on_stop: netavark teardown per endpoint, leases released, ports freed,
              netns removed, firewall sync
    rm      → on_remove: the same, in case it was not done

All changes run under one lock, so leases are handed out one at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import subprocess
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any

from dockyard.errors import Conflict, Forbidden, InvalidArgument, NotFound
from dockyard.errors import SystemError as DySystemError
from dockyard.network import etc, ipam, ipvlan, netns, parent, ports
from dockyard.network.catalog import Catalog
from dockyard.network.firewall import Firewall
from dockyard.network.model import (bridge_of, docker_mac, endpoint_settings, gateway_of,
                                    public, range_of, subnet6_of, subnet_of)
from dockyard.network.netavark import Netavark
from dockyard.network.store import Endpoint, NetworkStore

if TYPE_CHECKING:
    from dockyard.runtime.manager import Container, ContainerManager, EnginePaths
    from dockyard.store.metadata import Metadata

__all__ = ["NetworkService"]

log = logging.getLogger("dockyard.network")

_TOP_FIELDS = ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress")


class NetworkService:
    def __init__(self, *, meta: Metadata, containers: ContainerManager,
                 paths: EnginePaths) -> None:
        self.store = NetworkStore(meta)
        self.mgr = containers
        self.instance = hashlib.sha256(paths.exec_root.encode()).hexdigest()[:6]
        self.netns_dir = os.path.join(paths.exec_root, "netns")
        self.netavark = Netavark(os.path.join(paths.exec_root, "netavark"))
        self.catalog = Catalog(self.store, ipam.Claims(self.instance, paths.exec_root),
                               self.instance)
        self.firewall = Firewall(self.instance)
        self.firewall6 = Firewall(self.instance, "6")
        self.lock = asyncio.Lock()
        self.reservations: dict[str, ports.Reservation] = {}
        self._fw_state: list[tuple[str, bool]] | None = None
        self._fw6_state: list[tuple[str, bool]] | None = None
        self._warned = False

    def register(self, mgr: ContainerManager) -> None:
        mgr.create_hooks.append(self.on_create)
        mgr.start_hooks.append(self.on_start)
        mgr.stop_hooks.append(self.on_stop)
        mgr.remove_hooks.append(self.on_remove)

    # -- loading ------------------------------------------------------------------------
    async def load(self) -> None:
        """Before the containers load: networks (builtins made on first run), claims."""
        self.catalog.load({ep.network for ep in self.store.endpoints()})

    async def reconcile(self) -> None:
        """After the containers load: endpoints of containers that no longer run go; the
        running ones hold their host ports again."""
        async with self.lock:
            for ep in self.store.endpoints():
                c = self.mgr.containers.get(ep.container)
                if c is None or not c.running:
                    await self._detach(ep)
                elif ep.options.get("port_mappings") and c.id not in self.reservations:
                    bound = [ports.Binding(m["container_port"], m["protocol"], m["host_ip"],
                                           m["host_port"]) for m in ep.options["port_mappings"]]
                    self.reservations[c.id] = ports.rebind(bound)
            for name in os.listdir(self.netns_dir) if os.path.isdir(self.netns_dir) else []:
                c = self.mgr.containers.get(name)
                if c is None or not c.running:
                    await asyncio.to_thread(netns.remove, os.path.join(self.netns_dir, name))
            await asyncio.to_thread(self._sweep_bridges)
            await self._sync_firewall()

    def _sweep_bridges(self) -> None:
        """Our bridges without endpoints are leftovers of a crash: delete them."""
        busy = {bridge_of(r) for ep in self.store.endpoints()
                for r in [self.nets.get(ep.network)] if r is not None}
        for br in self.catalog.own_bridges():
            if not br.startswith(f"dy{self.instance}-"):
                continue  # a name the user chose may be someone else's bridge
            if br not in busy and os.path.isdir(f"/sys/class/net/{br}/brif") and not \
                    os.listdir(f"/sys/class/net/{br}/brif"):
                subprocess.run(["ip", "link", "del", br], capture_output=True, timeout=30)

    async def close(self) -> None:
        for res in self.reservations.values():
            res.close()
        self.reservations.clear()

    # -- lookups ------------------------------------------------------------------------
    @property
    def nets(self) -> dict[str, dict[str, Any]]:
        return self.catalog.nets

    def get(self, ref: str) -> dict[str, Any]:
        return self.catalog.get(ref)

    # -- create hook ----------------------------------------------------------------------
    def _mode_network(self, mode: str) -> dict[str, Any] | None:
        """The network a NetworkMode names; None for host/none/container:<x>."""
        if mode in ("host", "none") or mode.startswith("container:"):
            return None
        if mode in ("default", "bridge"):
            return self.get("bridge")
        rec = self.get(mode)
        return None if rec["Driver"] in ("host", "null") else rec

    def _check_epcfg(self, rec: dict[str, Any], epcfg: dict[str, Any]) -> None:
        ip = (epcfg.get("IPAMConfig") or {}).get("IPv4Address")
        if rec["_dy"].get("builtin"):
            if ip:
                raise InvalidArgument("user specified IP address is supported on user defined "
                                      "networks only")
            if epcfg.get("Aliases"):
                raise InvalidArgument("network-scoped alias is supported only for containers "
                                      "in user defined networks")
        if ip and not rec["_dy"].get("user_subnet", True):
            raise InvalidArgument("user specified IP address is supported only when "
                                  "connecting to networks with user configured subnets")
        if ip:
            subnet = subnet_of(rec)
            try:
                addr = IPv4Address(ip)
            except ValueError:
                raise InvalidArgument(f"invalid IPv4 address: {ip}") from None
            rng = range_of(rec) or subnet
            if subnet is None or addr not in subnet or rng is None or addr not in rng:
                raise InvalidArgument(f"no configured subnet or ip-range contain the IP "
                                      f"address {ip}")

    def _aliases(self, c: Container, rec: dict[str, Any], epcfg: dict[str, Any]) -> list[str]:
        if rec["_dy"].get("builtin"):
            return []
        out = [a for a in epcfg.get("Aliases") or [] if a]
        if c.id[:12] not in out:
            out.append(c.id[:12])
        return out

    @staticmethod
    def _want_mac(c: Container, rec: dict[str, Any], epcfg: dict[str, Any]) -> None:
        """A requested MAC outlives stops (the settings' MacAddress is cleared at stop)."""
        macs = c.rec["_dy"].setdefault("net_macs", {})
        if epcfg.get("MacAddress"):
            macs[rec["Id"]] = epcfg["MacAddress"]
        else:
            macs.pop(rec["Id"], None)

    def on_create(self, c: Container, body: dict[str, Any]) -> None:
        hc = c.rec["HostConfig"]
        mode = hc.get("NetworkMode") or "default"
        try:
            rec = self._mode_network(mode)
        except NotFound as exc:
            # Not a 404: the docker CLI takes a 404 from create for a missing image and
            # would go and pull it.
            raise InvalidArgument(str(exc)) from None
        if mode not in ("host", "none") and not mode.startswith("container:") and rec is None:
            # a host/null network named by its id or name: the mode of that name
            hc["NetworkMode"] = "host" if self.get(mode)["Driver"] == "host" else "none"
            return
        if rec is None:
            return
        ports.validate(hc, c.rec["Config"].get("ExposedPorts"))
        configs = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
        epcfg = dict(configs.get(mode) or configs.get(rec["Name"]) or configs.get(rec["Id"])
                     or {})
        if c.rec["Config"].get("MacAddress") and not epcfg.get("MacAddress"):
            epcfg["MacAddress"] = c.rec["Config"]["MacAddress"]  # --mac-address, API < 1.44
        self._check_epcfg(rec, epcfg)
        self._want_mac(c, rec, epcfg)
        c.rec["NetworkSettings"]["Networks"] = {
            rec["Name"]: endpoint_settings(rec, epcfg, self._aliases(c, rec, epcfg))}

    # -- start / stop hooks ---------------------------------------------------------------
    def _netns_path(self, c: Container) -> str:
        return os.path.join(self.netns_dir, c.id)

    async def on_start(self, c: Container) -> dict[str, Any] | None:
        hc = c.rec["HostConfig"]
        mode = hc.get("NetworkMode") or "default"
        if mode in ("host", "none"):
            return None
        if mode.startswith("container:"):
            other = self.mgr.get(mode.split(":", 1)[1])
            key = (other.rec.get("NetworkSettings") or {}).get("SandboxKey")
            if not other.running:
                raise Conflict(f"cannot join network of a non running container: {other.id}")
            return {"netns": key} if key else None
        if not self.netavark.available():
            if not self._warned:
                log.warning("netavark not found (%s): containers get an unconnected network "
                            "namespace", self.netavark.binary)
                self._warned = True
            return None
        nets = dict(c.rec["NetworkSettings"].get("Networks") or {})
        exposed = c.rec["Config"].get("ExposedPorts")
        async with self.lock:
            recs = []
            for name, es in nets.items():
                try:
                    recs.append((self.get(es.get("NetworkID") or name), es))
                except NotFound:
                    raise NotFound(f"network {name} not found") from None
            path = await asyncio.to_thread(netns.create, self._netns_path(c))
            done: list[Endpoint] = []
            res: ports.Reservation | None = None
            try:
                bindings = (ports.parse_bindings(hc, exposed)
                            if recs and recs[0][0]["Driver"] == "bridge" else [])
                res = await asyncio.to_thread(ports.reserve, bindings)
                for i, (rec, es) in enumerate(recs):
                    # ports are published on the first network only, and only on a
                    # bridge: a macvlan/ipvlan container is reached at its own address
                    bridged = rec["Driver"] == "bridge"
                    mappings = res.netavark_mappings() if i == 0 and bridged else []
                    done.append(await self._attach(c, rec, es, path, f"eth{i}", mappings))
                await self._sync_firewall()
            except BaseException:
                for ep in reversed(done):
                    await self._detach(ep)
                if res is not None:
                    res.close()
                await asyncio.to_thread(netns.remove, path)
                self._clear_settings(c)
                await self._sync_firewall()
                raise
            self.reservations[c.id] = res
        ns = c.rec["NetworkSettings"]
        ns.update({"SandboxKey": path, "SandboxID": hashlib.sha256(path.encode()).hexdigest(),
                   "Ports": res.settings(exposed)})
        out: dict[str, Any] = {"netns": path}
        if done:
            out["hosts_ip"] = done[0].ip
        gws = [ep.gateway for (rec, _), ep in zip(recs, done) if rec["_dy"].get("dns")]
        if gws:
            out["nameservers"] = gws
        out["extra_hosts"] = self._extra_hosts(c)
        return out

    def _extra_hosts(self, c: Container) -> list[str]:
        """ExtraHosts with ``host-gateway`` made this daemon's bridge gateway, plus the
        legacy ``--link name:alias`` entries (default bridge only, as Docker)."""
        hc = c.rec["HostConfig"]
        gw = str(gateway_of(self.get("bridge")))
        out = []
        for entry in hc.get("ExtraHosts") or []:
            host, sep, addr = entry.partition(":")
            out.append(f"{host}:{gw}" if sep and addr == "host-gateway" else entry)
        if "bridge" in (c.rec["NetworkSettings"].get("Networks") or {}):
            for link in hc.get("Links") or []:
                target, _, alias = link.partition(":")
                try:
                    other = self.mgr.get(target.lstrip("/"))
                except Exception:
                    continue
                ip = (other.rec.get("NetworkSettings") or {}).get("IPAddress")
                if ip and other.running:
                    alias = alias.rsplit("/", 1)[-1] or other.name
                    names = " ".join(dict.fromkeys([alias, other.id[:12], other.name]))
                    out.append(f"{names}:{ip}")
        return out

    async def on_stop(self, c: Container) -> None:
        async with self.lock:
            eps = sorted((ep for ep in self.store.endpoints() if ep.container == c.id),
                         key=lambda e: e.ifname, reverse=True)
            for ep in eps:
                await self._detach(ep)
            res = self.reservations.pop(c.id, None)
            if res is not None:
                res.close()
            path = self._netns_path(c)
            if os.path.lexists(path):
                await asyncio.to_thread(netns.remove, path)
            if eps:
                await self._sync_firewall()
        self._clear_settings(c)

    async def on_remove(self, c: Container) -> None:
        await self.on_stop(c)

    def _clear_settings(self, c: Container) -> None:
        ns = c.rec.get("NetworkSettings") or {}
        for f in _TOP_FIELDS:
            ns[f] = 0 if f == "IPPrefixLen" else ""
        ns.update({"SandboxKey": "", "SandboxID": "", "Ports": {}, "Bridge": ""})
        for es in (ns.get("Networks") or {}).values():
            if es.get("NetworkID"):
                for f in _TOP_FIELDS:
                    es[f] = 0 if f == "IPPrefixLen" else ""
                es.update({"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPv6Gateway": ""})

    # -- endpoints ------------------------------------------------------------------------
    def _netinfo(self, rec: dict[str, Any]) -> dict[str, Any]:
        # netavark names its iptables chains after a hash of the network's *name*, so the
        # name given to it is the network's id: every daemon on the host has a "bridge".
        subnet = subnet_of(rec)
        if rec["Driver"] == "macvlan":
            return {
                "name": rec["Id"], "id": rec["Id"], "driver": "macvlan",
                "network_interface": rec["_dy"]["parent"],
                "subnets": [{"subnet": str(subnet), "gateway": str(gateway_of(rec))}],
                "ipv6_enabled": False, "internal": False, "dns_enabled": False,
                "options": {"mode": rec["_dy"]["mode"],
                            "mtu": str(rec["_dy"].get("mtu") or 1500)},
                "ipam_options": {"driver": "host-local"},
            }
        subnets = [{"subnet": str(subnet), "gateway": str(gateway_of(rec))}]
        six = subnet6_of(rec)
        if six is not None:
            subnets.append({"subnet": str(six[0]), "gateway": str(six[1])})
        return {
            "name": rec["Id"], "id": rec["Id"], "driver": "bridge",
            "network_interface": bridge_of(rec),
            "subnets": subnets,
            "ipv6_enabled": six is not None, "internal": bool(rec.get("Internal")),
            "dns_enabled": bool(rec["_dy"].get("dns")),
            "options": {"mtu": str(rec["_dy"].get("mtu") or 1500)},
            "ipam_options": {"driver": "host-local"},
        }

    async def _attach(self, c: Container, rec: dict[str, Any], es: dict[str, Any], path: str,
                      ifname: str, mappings: list[dict[str, Any]]) -> Endpoint:
        subnet = subnet_of(rec)
        assert subnet is not None
        gw = gateway_of(rec)
        used = {IPv4Address(ep.ip) for ep in self.store.endpoints() if ep.network == rec["Id"]}
        static = (es.get("IPAMConfig") or {}).get("IPv4Address")
        if static:
            ip = IPv4Address(static)
            if ip in used or ip == gw:
                raise Forbidden("Address already in use")
        else:
            ip = ipam.free_address(subnet, gw, range_of(rec), used)
        mac = (c.rec["_dy"].get("net_macs") or {}).get(rec["Id"]) or docker_mac(str(ip))
        aliases = list(es.get("Aliases") or [])
        ip6, six = None, subnet6_of(rec)
        if six is not None:
            used6 = {IPv6Address(ep.ip6) for ep in self.store.endpoints()
                     if ep.network == rec["Id"] and ep.ip6}
            static6 = (es.get("IPAMConfig") or {}).get("IPv6Address")
            if static6:
                ip6 = IPv6Address(static6)
                if ip6 in used6 or ip6 == six[1] or ip6 not in six[0]:
                    raise Forbidden("Address already in use" if ip6 in six[0] else
                                    f"no matching subnet for IPv6 address {ip6}")
            else:
                ip6 = ipam.free_address6(six[0], six[1], used6)
        if rec["Driver"] == "ipvlan":
            return await self._attach_ipvlan(c, rec, es, path, ifname, ip, subnet.prefixlen,
                                             gw, aliases)
        options = {
            "container_id": c.id, "container_name": c.name, "port_mappings": mappings,
            "networks": {rec["Id"]: {"interface_name": ifname,
                                       "static_ips": [str(ip)] + ([str(ip6)] if ip6 else []),
                                       "static_mac": mac, "aliases": aliases}},
            "network_info": {rec["Id"]: self._netinfo(rec)},
        }
        dns = c.rec["HostConfig"].get("Dns")
        if dns and rec["_dy"].get("dns"):
            options["dns_servers"] = list(dns)
        ep = Endpoint(container=c.id, network=rec["Id"], ifname=ifname, ip=str(ip),
                      prefix=subnet.prefixlen, gateway=str(gw), mac=mac,
                      endpoint_id=secrets.token_hex(32), aliases=aliases, netns=path,
                      options=options)
        if ip6 is not None and six is not None:
            ep.ip6, ep.prefix6, ep.gateway6 = str(ip6), six[0].prefixlen, str(six[1])
        self.store.put_endpoint(ep)
        for attempt in (1, 2):
            try:
                out = await self.netavark.setup(path, options)
                break
            except BaseException as exc:
                # undo the half-done setup; once more, because other engines' iptables
                # calls on this host can make one fail
                try:
                    await self.netavark.teardown(path, options)
                except Exception:
                    pass
                if attempt == 2 or not isinstance(exc, DySystemError):
                    self.store.delete_endpoint(ep)
                    raise
                log.info("%s; retrying", exc)
                await asyncio.sleep(0.3)
        iface = ((out.get(rec["Id"]) or {}).get("interfaces") or {}).get(ifname) or {}
        ep.mac = iface.get("mac_address") or mac
        return self._endpoint_up(c, rec, es, ep)

    async def _attach_ipvlan(self, c: Container, rec: dict[str, Any], es: dict[str, Any],
                             path: str, ifname: str, ip: IPv4Address, prefix: int,
                             gw: IPv4Address, aliases: list[str]) -> Endpoint:
        """ipvlan through iproute2 (``dockyard.network.ipvlan``); no MAC of its own."""
        ep = Endpoint(container=c.id, network=rec["Id"], ifname=ifname, ip=str(ip),
                      prefix=prefix, gateway=str(gw), mac="",
                      endpoint_id=secrets.token_hex(32), aliases=aliases, netns=path,
                      options={"driver": "ipvlan"})
        self.store.put_endpoint(ep)
        try:
            await ipvlan.setup(path, rec["_dy"]["parent"], rec["_dy"]["mode"], ifname, str(ip),
                               prefix, str(gw))
        except BaseException:
            self.store.delete_endpoint(ep)
            raise
        return self._endpoint_up(c, rec, es, ep)

    def _endpoint_up(self, c: Container, rec: dict[str, Any], es: dict[str, Any],
                     ep: Endpoint) -> Endpoint:
        ep.state = "up"
        self.store.put_endpoint(ep)
        es.update({"NetworkID": rec["Id"], "EndpointID": ep.endpoint_id, "Gateway": ep.gateway,
                   "IPAddress": ep.ip, "IPPrefixLen": ep.prefix, "MacAddress": ep.mac,
                   "GlobalIPv6Address": ep.ip6, "GlobalIPv6PrefixLen": ep.prefix6,
                   "IPv6Gateway": ep.gateway6})
        self.mgr.events.emit("network", "connect", rec["Id"],
                             {"container": c.id, "name": rec["Name"], "type": rec["Driver"]})
        if rec["Name"] == "bridge" and rec["_dy"].get("builtin"):
            c.rec["NetworkSettings"].update(
                {"EndpointID": ep.endpoint_id, "Gateway": ep.gateway, "IPAddress": ep.ip,
                 "IPPrefixLen": ep.prefix, "MacAddress": ep.mac, "Bridge": bridge_of(rec)})
        return ep

    async def _detach(self, ep: Endpoint) -> None:
        """Tear one endpoint down (even if its namespace is gone) and release its lease."""
        if ep.options.get("driver") == "ipvlan":
            # nothing on the host side: the link lives (and dies) in the namespace
            if netns.is_mounted(ep.netns):
                try:
                    await ipvlan.teardown(ep.netns, ep.ifname)
                except Exception as exc:
                    log.warning("teardown of %s on %s: %s", ep.container[:12],
                                ep.network[:12], exc)
            self._endpoint_gone(ep)
            return
        temp = False
        if not netns.is_mounted(ep.netns):
            # netavark enters the namespace first: give it an empty one so the host side
            # (bridge, iptables, aardvark entry) is still cleaned.
            await asyncio.to_thread(netns.create, ep.netns)
            temp = True
        try:
            await self.netavark.teardown(ep.netns, ep.options)
        except Exception as exc:
            log.warning("teardown of %s on %s: %s", ep.container[:12], ep.network[:12], exc)
        finally:
            if temp:
                await asyncio.to_thread(netns.remove, ep.netns)
        self._endpoint_gone(ep)

    def _endpoint_gone(self, ep: Endpoint) -> None:
        self.store.delete_endpoint(ep)
        rec = self.nets.get(ep.network)
        if rec is not None:
            self.mgr.events.emit("network", "disconnect", rec["Id"],
                                 {"container": ep.container, "name": rec["Name"],
                                  "type": rec["Driver"]})

    async def _sync_firewall(self) -> None:
        # the DY chains are for bridges: macvlan/ipvlan traffic never crosses FORWARD
        active = sorted({(bridge_of(r), bool(r.get("Internal")))
                         for ep in self.store.endpoints() for r in [self.nets.get(ep.network)]
                         if r is not None and r["Driver"] == "bridge"})
        if active != self._fw_state:
            await asyncio.to_thread(self.firewall.sync, active)
            self._fw_state = active
        # the same rules for IPv6, over the bridges of networks that have it (with none:
        # the chains go, also a crashed daemon's at the first sync)
        active6 = sorted({(bridge_of(r), bool(r.get("Internal")))
                          for ep in self.store.endpoints() for r in [self.nets.get(ep.network)]
                          if r is not None and r["Driver"] == "bridge" and r.get("EnableIPv6")})
        if active6 != self._fw6_state:
            await asyncio.to_thread(self.firewall6.sync, active6)
            self._fw6_state = active6

    # -- connect / disconnect ----------------------------------------------------------------
    async def connect(self, ref: str, body: dict[str, Any]) -> None:
        rec = self.get(ref)
        c = self.mgr.get(str(body.get("Container") or ""))
        epcfg = body.get("EndpointConfig") or {}
        mode = c.rec["HostConfig"].get("NetworkMode") or "default"
        if mode == "host" or rec["Driver"] == "host":
            raise Forbidden("container cannot be disconnected from host network or connected "
                            "to host network")
        if mode == "none" or rec["Driver"] == "null" or mode.startswith("container:"):
            raise Forbidden("container cannot be connected to multiple networks with one of "
                            "the networks in private (none) mode")
        nets = c.rec["NetworkSettings"].setdefault("Networks", {})
        if rec["Name"] in nets:
            raise Forbidden(f"endpoint with name {c.name} already exists in network "
                            f"{rec['Name']}")
        self._check_epcfg(rec, epcfg)
        self._want_mac(c, rec, epcfg)
        es = endpoint_settings(rec, epcfg, self._aliases(c, rec, epcfg))
        if c.running:
            async with self.lock:
                path = self._netns_path(c)
                used = {ep.ifname for ep in self.store.endpoints() if ep.container == c.id}
                ifname = next(f"eth{i}" for i in range(64) if f"eth{i}" not in used)
                await self._attach(c, rec, es, path, ifname, [])
                await self._sync_firewall()
            if rec["_dy"].get("dns"):
                etc.add_nameserver(c.rec.get("ResolvConfPath") or "", str(gateway_of(rec)))
        nets[rec["Name"]] = es
        self.mgr._save(c)

    async def disconnect(self, ref: str, body: dict[str, Any]) -> None:
        rec = self.get(ref)
        c = self.mgr.get(str(body.get("Container") or ""))
        if rec["Driver"] == "host":
            raise Forbidden("container cannot be disconnected from host network or connected "
                            "to host network")
        nets = c.rec["NetworkSettings"].setdefault("Networks", {})
        if rec["Name"] not in nets:
            raise Forbidden(f"container {c.id} is not connected to network {rec['Name']}")
        async with self.lock:
            for ep in self.store.endpoints():
                if ep.container == c.id and ep.network == rec["Id"]:
                    await self._detach(ep)
            await self._sync_firewall()
        del nets[rec["Name"]]
        if c.running and rec["_dy"].get("dns"):
            etc.drop_nameserver(c.rec.get("ResolvConfPath") or "", str(gateway_of(rec)))
        if rec["Name"] == "bridge":
            for f in _TOP_FIELDS:
                c.rec["NetworkSettings"][f] = 0 if f == "IPPrefixLen" else ""
        self.mgr._save(c)

    # -- networks: create / inspect / list / remove / prune -----------------------------------
    async def create(self, body: dict[str, Any]) -> dict[str, str]:
        async with self.lock:
            rec = self.catalog.create(body)
        self.mgr.events.emit("network", "create", rec["Id"],
                             {"name": rec["Name"], "type": rec["Driver"]})
        return {"Id": rec["Id"], "Warning": ""}

    def inspect(self, ref: str) -> dict[str, Any]:
        rec = self.get(ref)
        out = public(rec)
        containers: dict[str, Any] = {}
        for ep in self.store.endpoints():
            c = self.mgr.containers.get(ep.container)
            if ep.network == rec["Id"] and c is not None:
                containers[c.id] = {"Name": c.name, "EndpointID": ep.endpoint_id,
                                    "MacAddress": ep.mac, "IPv4Address": f"{ep.ip}/{ep.prefix}",
                                    "IPv6Address": f"{ep.ip6}/{ep.prefix6}" if ep.ip6 else ""}
        if rec["Driver"] in ("host", "null"):
            mode = "host" if rec["Driver"] == "host" else "none"
            for c in self.mgr.containers.values():
                if c.running and c.rec["HostConfig"].get("NetworkMode") == mode:
                    containers[c.id] = {"Name": c.name, "EndpointID": "", "MacAddress": "",
                                        "IPv4Address": "", "IPv6Address": ""}
        out["Containers"] = containers
        return out

    def list(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        known = {"name", "id", "label", "driver", "type", "dangling", "scope"}
        for k in filters:
            if k not in known:
                raise InvalidArgument(f"Invalid filter '{k}'")
        busy = {ep.network for ep in self.store.endpoints()}
        out = []
        for rec in self.nets.values():
            if not self.catalog.match(rec, filters, busy):
                continue
            item = public(rec)
            item["Containers"] = {}
            out.append(item)
        return out

    async def remove(self, ref: str) -> None:
        rec = self.get(ref)
        if rec["_dy"].get("builtin"):
            raise Forbidden(f"{rec['Name']} is a pre-defined network and cannot be removed")
        async with self.lock:
            if any(ep.network == rec["Id"] for ep in self.store.endpoints()):
                raise Forbidden(f"error while removing network: network {rec['Name']} id "
                                f"{rec['Id']} has active endpoints")
            self.catalog.delete(rec)
            await asyncio.to_thread(parent.remove_dummy, rec)
        self.mgr.events.emit("network", "destroy", rec["Id"],
                             {"name": rec["Name"], "type": rec["Driver"]})

    async def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        from dockyard.oci.image import parse_rfc3339
        until = None
        if filters.get("until"):
            from dockyard.cli.units import parse_timestamp
            import time
            until = parse_timestamp(filters["until"][0], time.time())
        busy = {ep.network for ep in self.store.endpoints()}
        label_f = {k: v for k, v in filters.items() if k in ("label", "label!")}
        deleted = []
        for rec in list(self.nets.values()):
            if rec["_dy"].get("builtin") or rec["Id"] in busy:
                continue
            if not self.catalog.match(rec, label_f, busy):
                continue
            if until is not None and parse_rfc3339(rec["Created"]) >= until:
                continue
            try:
                await self.remove(rec["Id"])
            except Forbidden:
                continue
            deleted.append(rec["Name"])
        self.mgr.events.emit("network", "prune", "", {})
        return {"NetworksDeleted": deleted}
