"""The files Docker writes for each container: /etc/hostname, /etc/hosts, /etc/resolv.conf."""

from __future__ import annotations

import os
import re

__all__ = ["write_hostname", "write_hosts", "write_resolv_conf"]

_LOCALHOST = """127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
"""


def _write(path: str, content: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_hostname(path: str, hostname: str) -> None:
    _write(path, hostname + "\n")


def write_hosts(path: str, *, hostname: str, ip: str | None = None,
                extra: list[str] | None = None, aliases: list[str] | None = None,
                host_network: bool = False) -> None:
    if host_network:
        try:
            with open("/etc/hosts") as f:
                content = f.read()
        except OSError:
            content = _LOCALHOST
    else:
        content = _LOCALHOST
    for entry in extra or []:
        host, _, addr = entry.partition(":")
        if not addr:
            continue
        if addr == "host-gateway":
            addr = "172.17.0.1"
        content += f"{addr}\t{host}\n"
    if ip and not host_network:
        names = " ".join([hostname] + list(aliases or []))
        content += f"{ip}\t{names}\n"
    _write(path, content)


_NS_RE = re.compile(r"^\s*nameserver\s+(\S+)", re.M)


def write_resolv_conf(path: str, *, dns: list[str] | None = None,
                      search: list[str] | None = None, options: list[str] | None = None,
                      source: str = "/etc/resolv.conf") -> None:
    """Docker's rule: the host's resolv.conf minus loopback nameservers, unless overridden."""
    try:
        with open(source) as f:
            host = f.read()
    except OSError:
        host = ""
    if dns or search or options:
        lines = []
        servers = dns or [s for s in _NS_RE.findall(host) if not s.startswith("127.")]
        lines += [f"nameserver {s}" for s in servers]
        if search:
            lines.append("search " + " ".join(search))
        else:
            lines += [ln for ln in host.splitlines() if ln.startswith(("search", "domain"))]
        if options:
            lines.append("options " + " ".join(options))
        else:
            lines += [ln for ln in host.splitlines() if ln.startswith("options")]
        _write(path, "\n".join(lines) + "\n")
        return
    out = []
    for line in host.splitlines():
        m = _NS_RE.match(line)
        if m and (m.group(1).startswith("127.") or m.group(1) == "::1"):
            continue
        out.append(line)
    if not _NS_RE.search("\n".join(out)):
        out += ["nameserver 8.8.8.8", "nameserver 8.8.4.4"]
    _write(path, "\n".join(out) + "\n")
