"""Helpers for the networking tests: what a daemon's networking left on the host.

A daemon's bridges are named ``dy<instance>-...`` and its filter chains ``DY-<instance>``,
where ``instance`` is the first 6 hex digits of sha256(exec root) (dockyard.network).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import urllib.request

from engine_helpers import Daemon, docker


def instance(d: Daemon) -> str:
    return hashlib.sha256(os.path.abspath(d.exec_root).encode()).hexdigest()[:6]


def links() -> str:
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout


def rules(tool: str = "iptables") -> str:
    """The filter and nat rules (``tool`` "ip6tables" for IPv6)."""
    out = ""
    for table in ("filter", "nat"):
        out += subprocess.run([tool, "-w", "-t", table, "-S"], capture_output=True,
                              text=True).stdout
    return out


def running_ids(d: Daemon) -> list[str]:
    return [c["Id"] for c in d.api("GET", "/containers/json")]


def leftovers(d: Daemon, subnets: list[str], bridges: list[str],
              baseline: str = "") -> list[str]:
    """What is left of networks that should be gone (their subnets and bridge names), and,
    when nothing runs on the daemon any more, of its networking at all. Rule lines already
    in ``baseline`` (another daemon's, from before) do not count."""
    found = []
    old = set(baseline.splitlines())
    ln = links()
    rl = "\n".join(x for x in rules().splitlines() if x not in old)
    for br in bridges:
        if f" {br}:" in ln or f" {br}@" in ln:
            found.append(f"link {br}")
        if br in rl:
            found.append(f"rule for {br}")
    for s in subnets:
        if s in rl:
            found.append(f"rule for {s}: " + "; ".join(x for x in rl.splitlines() if s in x))
    if not running_ids(d):
        inst = instance(d)
        if f"dy{inst}-" in ln:
            found.append(f"a dy{inst}-* link")
        if f"DY-{inst}" in rl:
            found.append(f"chain DY-{inst}")
        nsdir = os.path.join(d.exec_root, "netns")
        if os.path.isdir(nsdir) and os.listdir(nsdir):
            found.append(f"netns files {os.listdir(nsdir)}")
    if found:
        warnings = [x for x in d.log().splitlines() if "teardown of" in x or "ERROR" in x]
        found.append("daemon log: " + "\n".join(warnings[-20:]))
    return found


def net_inspect(d: Daemon, name: str) -> dict:
    r = docker(d, "network", "inspect", name, check=True)
    return json.loads(r.stdout)[0]


def ctr_inspect(d: Daemon, name: str) -> dict:
    r = docker(d, "inspect", name, check=True)
    return json.loads(r.stdout)[0]


def http_get(url: str, timeout: float = 10.0) -> str:
    """GET from the host, retrying while the server in the container comes up."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"GET {url} failed: {last}")


HTTPD = "mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www"
