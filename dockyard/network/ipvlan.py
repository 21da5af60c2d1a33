"""The ipvlan driver, with iproute2 (netavark 1.4 has no ipvlan driver).

One endpoint, set up::

    ip link add link <parent> name dyiv<8 hex> type ipvlan mode l2|l3     (on the host)
    ip link set dev dyiv<8 hex> netns <netns path>
    nsenter --net=<netns path> ip -batch -:
        link set dev dyiv<8 hex> name eth0
        addr add 10.233.1.2/24 dev eth0
        link set dev eth0 up
        route add default via 10.233.1.1 dev eth0        (l2; l3: route add default dev eth0)

and torn down by deleting ``eth0`` inside the namespace (a link also goes when its
namespace does). ipvlan children share the parent's MAC address, so the endpoint has no
MAC of its own (Docker shows ``""`` too). A half-done setup is undone before the error
is raised: the temporary link is deleted wherever it is.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess

from dockyard.errors import SystemError as DySystemError

__all__ = ["setup", "teardown"]


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=30)


def _setup(netns: str, parent: str, mode: str, ifname: str, ip: str, prefix: int,
           gateway: str) -> None:
    tmp = f"dyiv{secrets.token_hex(4)}"
    r = _run(["ip", "link", "add", "link", parent, "name", tmp, "type", "ipvlan", "mode", mode])
    if r.returncode != 0:
        raise DySystemError(f"ipvlan setup failed: cannot add a link on {parent}: "
                            f"{r.stderr.strip()}")
    r = _run(["ip", "link", "set", "dev", tmp, "netns", netns])
    if r.returncode != 0:
        _run(["ip", "link", "del", tmp])
        raise DySystemError(f"ipvlan setup failed: cannot move {tmp} into {netns}: "
                            f"{r.stderr.strip()}")
    cmds = [f"link set dev {tmp} name {ifname}", f"addr add {ip}/{prefix} dev {ifname}",
            f"link set dev {ifname} up"]
    # l2: via the gateway, like any LAN host; l3 has no neighbours: out of the link (Docker's)
    cmds.append(f"route add default via {gateway} dev {ifname}" if mode == "l2"
                else f"route add default dev {ifname}")
    r = _run(["nsenter", f"--net={netns}", "ip", "-batch", "-"], "\n".join(cmds) + "\n")
    if r.returncode != 0:
        for name in (tmp, ifname):
            _run(["nsenter", f"--net={netns}", "ip", "link", "del", name])
        raise DySystemError(f"ipvlan setup failed in {netns}: {r.stderr.strip()}")


def _teardown(netns: str, ifname: str) -> None:
    r = _run(["nsenter", f"--net={netns}", "ip", "link", "del", ifname])
    if r.returncode != 0 and "Cannot find device" not in r.stderr:
        raise DySystemError(f"ipvlan teardown of {ifname} in {netns} failed: "
                            f"{r.stderr.strip()}")


async def setup(netns: str, parent: str, mode: str, ifname: str, ip: str, prefix: int,
                gateway: str) -> None:
    await asyncio.to_thread(_setup, netns, parent, mode, ifname, ip, prefix, gateway)


async def teardown(netns: str, ifname: str) -> None:
    await asyncio.to_thread(_teardown, netns, ifname)
