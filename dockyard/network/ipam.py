"""IPAM: which subnets a network may use, and which address each endpoint gets.

Vocabulary:

- **pool**: a range the engine carves subnets from when the user names none
  (Docker's defaults: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s; here also 10.90.0.0/16
  in /24s so that many daemons on one host do not run dry).
- **claim**: a subnet some dockyard daemon on this host owns. Several daemons may run on
  one host (the tests run them in parallel), and a network's bridge (with its route) only
  exists while an endpoint is up, so host routes alone cannot tell a daemon which subnets
  another one already uses. Each daemon therefore writes its claims to
  ``/run/dockyard-ipam/<instance>.json`` under a host-wide lock; a claim file whose
  ``exec_root`` is gone is stale and ignored.
- **lease**: one address of a subnet given to one endpoint (persisted by the store).
- **IPv6**: a network with ``EnableIPv6`` has a second, IPv6 subnet, always given by the
  user (Docker 20.10 has no default IPv6 pool either); it must not overlap the host's IPv6
  routes or our other networks' (claims stay IPv4: a ULA /64 picked at random does not
  meet another daemon's). Addresses go out in order from ``::2``.

Worked example::

    taken = host_subnets() + claims.others() + [n.subnet for n in my_networks]
    subnet = pick_subnet(taken)                      # 172.17.0.0/16 on a quiet host
    check_overlap(IPv4Network("172.17.5.0/24"), taken)   # Forbidden: Pool overlaps ...
    free_address(subnet, gateway, None, used={...})  # 172.17.0.2
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import subprocess
from contextlib import contextmanager
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Iterable, Iterator

from dockyard.errors import Forbidden, InvalidArgument, Unavailable

__all__ = ["Claims", "check_overlap", "free_address", "free_address6", "host_subnets",
           "host_subnets6", "parse_subnet", "parse_subnet6", "pick_subnet", "POOLS"]

#: (base, prefix of the subnets carved from it), in the order tried
POOLS: list[tuple[str, int]] = [("172.17.0.0/16", 16), ("172.18.0.0/15", 16),
                                ("172.20.0.0/14", 16), ("172.24.0.0/13", 16),
                                ("192.168.0.0/16", 20), ("10.90.0.0/16", 24)]

CLAIMS_DIR = "/run/dockyard-ipam"
OVERLAP = "Pool overlaps with other one on this address space"


def _network(value: str) -> IPv4Network | IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise InvalidArgument(f"invalid subnet {value}: {exc}") from exc


def parse_subnet(value: str) -> IPv4Network:
    net = _network(value)
    if not isinstance(net, IPv4Network):
        raise InvalidArgument(f"not an IPv4 subnet: {value}")
    return net


def parse_subnet6(value: str) -> IPv6Network:
    net = _network(value)
    if not isinstance(net, IPv6Network):
        raise InvalidArgument(f"not an IPv6 subnet: {value}")
    if net.prefixlen > 126:
        raise InvalidArgument(f"IPv6 subnet {value} is too small")
    return net


def host_subnets6(exclude_devs: Iterable[str] = ()) -> list[IPv6Network]:
    """Every IPv6 prefix the host routes (default, link-local and multicast excepted)."""
    skip = set(exclude_devs)
    nets: list[IPv6Network] = []
    for r in _ip_json("-6", "route", "show", "table", "all"):
        dst = str(r.get("dst") or "")
        if not dst or dst == "default" or r.get("dev") in skip:
            continue
        try:
            net = IPv6Network(dst if "/" in dst else dst + "/128", strict=False)
        except ValueError:
            continue
        if not (net.is_link_local or net.is_multicast or net.is_loopback):
            nets.append(net)
    return nets


def free_address6(subnet: IPv6Network, gateway: IPv6Address,
                  used: set[IPv6Address]) -> IPv6Address:
    """The first free address after the gateway's end of the subnet (sequential, as
    Docker's default IPAM hands them out)."""
    addr = subnet.network_address + 1
    last = subnet.broadcast_address
    while addr < last:
        if addr != gateway and addr not in used:
            return addr
        addr += 1
    raise Unavailable(f"no available IPv6 addresses on this network's address pools: {subnet}")


def _ip_json(*args: str) -> list[dict[str, object]]:
    try:
        out = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, timeout=10,
                             check=True).stdout
        return json.loads(out or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


def host_subnets(exclude_devs: Iterable[str] = ()) -> list[IPv4Network]:
    """Every IPv4 prefix the host routes or holds an address in (default route excepted)."""
    skip = set(exclude_devs)
    nets: list[IPv4Network] = []
    for r in _ip_json("-4", "route", "show", "table", "all"):
        dst = str(r.get("dst") or "")
        if not dst or dst == "default" or r.get("type") in ("local", "broadcast", "multicast"):
            continue
        if r.get("dev") in skip:
            continue
        try:
            nets.append(IPv4Network(dst if "/" in dst else dst + "/32", strict=False))
        except ValueError:
            continue
    for link in _ip_json("-4", "addr"):
        if link.get("ifname") in skip:
            continue
        for a in link.get("addr_info") or []:  # type: ignore[union-attr]
            try:
                net = IPv4Network(f"{a['local']}/{a['prefixlen']}", strict=False)
            except (KeyError, ValueError):
                continue
            if not net.is_loopback:
                nets.append(net)
    return nets


def check_overlap(subnet: IPv4Network | IPv6Network,
                  taken: Iterable[IPv4Network | IPv6Network]) -> None:
    for other in taken:
        if subnet.version == other.version and subnet.overlaps(other):  # type: ignore[arg-type]
            raise Forbidden(OVERLAP)


def pick_subnet(taken: Iterable[IPv4Network]) -> IPv4Network:
    used = list(taken)
    for base, prefix in POOLS:
        for cand in IPv4Network(base).subnets(new_prefix=prefix):
            if not any(cand.overlaps(t) for t in used):
                return cand
    raise Unavailable("could not find an available, non-overlapping IPv4 address pool among "
                      "the defaults to assign to the network")


def free_address(subnet: IPv4Network, gateway: IPv4Address, ip_range: IPv4Network | None,
                 used: set[IPv4Address]) -> IPv4Address:
    scope = ip_range or subnet
    for addr in scope.hosts():
        if addr != gateway and addr not in used and addr in subnet:
            return addr
    raise Unavailable(f"no available IPv4 addresses on this network's address pools: "
                      f"{subnet}")


class Claims:
    """This daemon's subnets in the host-wide claim registry (see the module docstring)."""

    def __init__(self, instance: str, exec_root: str, directory: str = CLAIMS_DIR) -> None:
        self.dir = directory
        self.instance = instance
        self.exec_root = exec_root
        self.path = os.path.join(directory, f"{instance}.json")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The host-wide lock: hold it from reading others' claims to writing ours."""
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        with open(os.path.join(self.dir, ".lock"), "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def others(self) -> list[IPv4Network]:
        nets: list[IPv4Network] = []
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return nets
        for name in names:
            if not name.endswith(".json") or name == os.path.basename(self.path):
                continue
            p = os.path.join(self.dir, name)
            try:
                with open(p) as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            if not os.path.isdir(str(data.get("exec_root") or "")):
                try:
                    os.unlink(p)  # its daemon's roots are gone: a stale claim
                except OSError:
                    pass
                continue
            for s in data.get("subnets") or []:
                try:
                    nets.append(IPv4Network(s))
                except ValueError:
                    pass
        return nets

    def write(self, subnets: Iterable[str]) -> None:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        subs = sorted(set(subnets))
        if not subs:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"exec_root": self.exec_root, "subnets": subs}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
