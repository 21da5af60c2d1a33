"""macvlan and ipvlan networks: their options, their parent link, and Docker's dummy parent.

A macvlan/ipvlan network puts each container straight on its **parent**'s segment (the
subnet is the parent's LAN): no bridge, no NAT, no port publishing, no embedded DNS.
Options, as Docker's drivers take them::

    -d macvlan -o parent=IFACE [-o macvlan_mode=bridge|private|vepa|passthru]
    -d ipvlan  -o parent=IFACE [-o ipvlan_mode=l2|l3]

Without ``parent`` Docker makes a dummy link ``dm-<network id[:12]>`` (an isolated
segment) and deletes it with the network; so does this module (``make_dummy`` /
``remove_dummy``), when the kernel has dummy links (CONFIG_DUMMY). Docker's
``parent=eth0.10`` (a VLAN sub-interface made on demand) is not supported.

The record's private part holds what the drivers need::

    "_dy": {"bridge": "", "parent": "eth1", "mode": "bridge", "dummy": false, ...}
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from typing import Any

from dockyard.errors import InvalidArgument
from dockyard.errors import SystemError as DySystemError

__all__ = ["DRIVERS", "MODES", "delete_link", "dummy_name", "link_exists", "link_mtu",
           "make_dummy", "probe", "remove_dummy", "validate"]

DRIVERS = ("macvlan", "ipvlan")
#: per driver: the mode option's name, its accepted values, the default first
MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "macvlan": ("macvlan_mode", ("bridge", "private", "vepa", "passthru")),
    "ipvlan": ("ipvlan_mode", ("l2", "l3")),
}
_IFNAME_RE = re.compile(r"^[a-zA-Z0-9_.@-]{1,15}$")


def link_exists(name: str) -> bool:
    return bool(_IFNAME_RE.match(name)) and os.path.isdir(f"/sys/class/net/{name}")


def link_mtu(name: str) -> int:
    try:
        with open(f"/sys/class/net/{name}/mtu") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 1500


def dummy_name(net_id: str) -> str:
    return f"dm-{net_id[:12]}"


def validate(driver: str, options: dict[str, str]) -> tuple[str | None, str]:
    """(parent or None when a dummy is wanted, mode) of a create body's options."""
    key, modes = MODES[driver]
    mode = options.get(key) or modes[0]
    if mode not in modes:
        raise InvalidArgument(f"requested {driver} mode '{mode}' is not valid, "
                              f"'{modes[0]}' mode is the {driver} driver default")
    parent = options.get("parent") or None
    if parent is not None and not link_exists(parent):
        raise InvalidArgument(f"-o parent interface was not found on the host: {parent}")
    return parent, mode


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


def probe(driver: str, parent: str, mode: str) -> None:
    """Refuse a driver this kernel lacks (ipvlan needs CONFIG_IPVLAN) at create time,
    rather than at the first container start."""
    tmp = f"dyp{secrets.token_hex(4)}"
    r = _ip("link", "add", "link", parent, "name", tmp, "type", driver, "mode", mode)
    if r.returncode != 0:
        msg = r.stderr.strip()
        if "Unknown device type" in msg:
            raise InvalidArgument(f"the {driver} driver is not supported by this host's kernel "
                                  f"(CONFIG_{driver.upper()} is not set)")
        raise InvalidArgument(f"cannot make a {driver} link on {parent}: {msg}")
    _ip("link", "del", tmp)


def make_dummy(net_id: str) -> str:
    name = dummy_name(net_id)
    r = _ip("link", "add", name, "type", "dummy")
    if r.returncode != 0:
        if "Unknown device type" in r.stderr:
            raise InvalidArgument("no -o parent=IFACE given, and this host's kernel cannot make "
                                  "a dummy parent (CONFIG_DUMMY is not set): name a parent "
                                  "interface")
        raise DySystemError(f"cannot make dummy parent {name}: {r.stderr.strip()}")
    r = _ip("link", "set", name, "up")
    if r.returncode != 0:
        _ip("link", "del", name)
        raise DySystemError(f"cannot bring dummy parent {name} up: {r.stderr.strip()}")
    return name


def delete_link(name: str) -> None:
    _ip("link", "del", name)


def remove_dummy(rec: dict[str, Any]) -> None:
    """Delete the network's dummy parent, if it made one."""
    if rec["_dy"].get("dummy") and link_exists(rec["_dy"].get("parent") or ""):
        delete_link(rec["_dy"]["parent"])
