"""This daemon's own filter rules: isolation between its networks, ``--internal``, and
intra-bridge ACCEPT (the FORWARD policy may be DROP with br_netfilter).

netavark accepts everything *from* a network's subnet, so without these rules a container
on network A could reach one on network B. Docker's answer is two isolation chains; ours,
named after the daemon instance so parallel daemons never touch each other's::

    FORWARD        -j DY-<inst>                      (inserted first, before netavark's)
    DY-<inst>      -i B -o B -j ACCEPT               every active bridge B
                   -i I ! -o I -j DROP               internal bridge I: no way out ...
                   -o I ! -i I -j DROP               ... and no way in
                   -i B ! -o B -j DY-<inst>-ISO
                   -o B -m conntrack --ctstate DNAT -j ACCEPT   (published ports)
    DY-<inst>-ISO  -o B -j DROP                      every active bridge B

``sync`` rewrites both chains from the set of bridges that have endpoints; with none
left, the chains and the jump are removed.
"""

from __future__ import annotations

import subprocess
from typing import Iterable

__all__ = ["Firewall"]


class Firewall:
    """The chains for one address family: ``"4"`` (iptables) or ``"6"`` (ip6tables, for the
    bridges of networks with IPv6: the rules name interfaces, not addresses)."""

    def __init__(self, instance: str, family: str = "4") -> None:
        self.chain = f"DY-{instance}"
        self.iso = f"DY-{instance}-ISO"
        self.tool = "iptables" if family == "4" else "ip6tables"

    def _ipt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.tool, "-w", "10", *args], capture_output=True, text=True,
                              timeout=60)

    def _exists(self, chain: str) -> bool:
        return self._ipt("-S", chain).returncode == 0

    def sync(self, bridges: Iterable[tuple[str, bool]]) -> None:
        """``bridges``: (name, internal) for every bridge with an endpoint up."""
        active = sorted(set(bridges))
        if not active:
            self.clear()
            return
        rules: list[list[str]] = []
        for br, internal in active:
            rules.append(["-A", self.chain, "-i", br, "-o", br, "-j", "ACCEPT"])
            if internal:
                rules.append(["-A", self.chain, "-i", br, "!", "-o", br, "-j", "DROP"])
                rules.append(["-A", self.chain, "-o", br, "!", "-i", br, "-j", "DROP"])
        for br, _ in active:
            rules.append(["-A", self.chain, "-i", br, "!", "-o", br, "-j", self.iso])
            rules.append(["-A", self.iso, "-o", br, "-j", "DROP"])
        for br, internal in active:
            if not internal:
                # published ports from outside: netavark only accepts replies toward the
                # subnet, which a FORWARD policy of DROP would stop
                rules.append(["-A", self.chain, "-o", br, "-m", "conntrack", "--ctstate",
                              "DNAT", "-j", "ACCEPT"])
        if self._ipt("-C", "FORWARD", "-j", self.chain).returncode != 0:
            rules.append(["-I", "FORWARD", "1", "-j", self.chain])
        # one atomic batch: declaring the chains (re)creates them empty, --noflush keeps
        # everything else in the table
        text = "*filter\n" + f":{self.chain} - [0:0]\n:{self.iso} - [0:0]\n"
        text += "".join(" ".join(r) + "\n" for r in rules) + "COMMIT\n"
        r = subprocess.run([f"{self.tool}-restore", "-w", "10", "--noflush"], input=text,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            for chain in (self.chain, self.iso):
                if not self._exists(chain):
                    self._ipt("-N", chain)
                self._ipt("-F", chain)
            for rule in rules:
                self._ipt(*rule)

    def clear(self) -> None:
        while self._ipt("-D", "FORWARD", "-j", self.chain).returncode == 0:
            pass
        for chain in (self.chain, self.iso):
            if self._exists(chain):
                self._ipt("-F", chain)
        for chain in (self.chain, self.iso):
            if self._exists(chain):
                self._ipt("-X", chain)
