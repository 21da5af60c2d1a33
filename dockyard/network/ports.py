"""Published ports: HostConfig.PortBindings (+ PublishAllPorts) → reserved host ports.

Wire shapes (the docker CLI has already split ``-p`` specs and ranges)::

    Config.ExposedPorts      {"80/tcp": {}, "53/udp": {}}
    HostConfig.PortBindings  {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                              "81/tcp": [{"HostIp": "", "HostPort": "9000-9010"}],
                              "82/tcp": [{"HostIp": "", "HostPort": ""}]}   (random port)
    NetworkSettings.Ports    {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                              "443/tcp": null}                             (exposed only)

A binding is *reserved* by binding a socket on the host address and port (not listening:
connections are DNATed to the container before they could reach it). That makes a taken
port a clear error at start, keeps two containers (or two daemons) from publishing the
same port, and a random port (``HostPort`` "") is the one the kernel picks for port 0.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from dockyard.errors import InvalidArgument, SystemError as DySystemError

__all__ = ["Binding", "Reservation", "parse_bindings", "reserve", "validate"]


@dataclass
class Binding:
    container_port: int
    proto: str
    host_ip: str            # "" = every address
    host_port: int          # 0 = random
    host_port_end: int = 0  # a range HostPort "9000-9010": first free one is taken

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.proto}"


def _port(value: str, what: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise InvalidArgument(f"invalid {what}: {value}") from None
    if not 0 < n < 65536:
        raise InvalidArgument(f"invalid {what}: {value}")
    return n


def split_key(key: str) -> tuple[int, str]:
    port, _, proto = key.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp", "sctp"):
        raise InvalidArgument(f"invalid proto: {proto}")
    return _port(port, "containerPort"), proto


def parse_bindings(host_config: dict[str, Any], exposed: dict[str, Any] | None) -> list[Binding]:
    out: list[Binding] = []
    for key, binds in (host_config.get("PortBindings") or {}).items():
        cport, proto = split_key(key)
        for b in binds or [{}]:
            ip = (b or {}).get("HostIp") or ""
            if ip:
                try:
                    ipaddress.IPv4Address(ip)
                except ValueError:
                    if ip in ("::", "[::]"):
                        continue  # no IPv6 here: Docker skips v6 bindings without v6 too
                    raise InvalidArgument(f"invalid IP address: {ip}") from None
                if ip == "0.0.0.0":
                    ip = ""
            hp = str((b or {}).get("HostPort") or "").strip()
            start = end = 0
            if hp:
                lo, sep, hi = hp.partition("-")
                start = _port(lo, "hostPort")
                end = _port(hi, "hostPort") if sep else 0
                if end and end < start:
                    raise InvalidArgument(f"invalid hostPort: {hp}")
            out.append(Binding(cport, proto, ip, start, end))
    if host_config.get("PublishAllPorts"):
        bound = {b.key for b in out}
        for key in exposed or {}:
            cport, proto = split_key(key)
            if f"{cport}/{proto}" not in bound:
                out.append(Binding(cport, proto, "", 0))
    return out


def validate(host_config: dict[str, Any], exposed: dict[str, Any] | None) -> None:
    parse_bindings(host_config, exposed)


class Reservation:
    """The sockets holding a container's host ports, and what they resolved to."""

    def __init__(self) -> None:
        self.socks: list[socket.socket] = []
        self.bound: list[Binding] = []   # host_port filled in

    def close(self) -> None:
        for s in self.socks:
            s.close()
        self.socks = []

    def netavark_mappings(self) -> list[dict[str, Any]]:
        return [{"host_ip": b.host_ip, "container_port": b.container_port,
                 "host_port": b.host_port, "range": 1, "protocol": b.proto}
                for b in self.bound]

    def settings(self, exposed: dict[str, Any] | None) -> dict[str, Any]:
        ports: dict[str, Any] = {k: None for k in (exposed or {})}
        for b in self.bound:
            ports.setdefault(b.key, None)
            ports[b.key] = (ports[b.key] or []) + [
                {"HostIp": b.host_ip or "0.0.0.0", "HostPort": str(b.host_port)}]
        return ports


def _bind(ip: str, port: int, proto: str) -> socket.socket:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((ip or "0.0.0.0", port))
    except BaseException:
        s.close()
        raise
    return s


def reserve(bindings: list[Binding], *, keep: list[Binding] | None = None) -> Reservation:
    """Bind every host port now; a taken one raises Docker's "port is already allocated".

    ``keep`` re-reserves known ports (a re-adopted container) without failing on them.
    """
    res = Reservation()
    try:
        for b in bindings:
            if b.proto == "sctp":
                raise InvalidArgument("publishing sctp ports is not supported")
            ports = [b.host_port] if not b.host_port_end else list(
                range(b.host_port, b.host_port_end + 1))
            last: OSError | None = None
            for p in ports:
                try:
                    s = _bind(b.host_ip, p, b.proto)
                except OSError as exc:
                    last = exc
                    continue
                res.socks.append(s)
                res.bound.append(Binding(b.container_port, b.proto, b.host_ip,
                                         s.getsockname()[1]))
                break
            else:
                where = f"{b.host_ip or '0.0.0.0'}:{b.host_port}"
                if b.host_port_end:
                    where += f"-{b.host_port_end}"
                if last is not None and last.errno not in (98,):  # EADDRINUSE
                    raise DySystemError(f"driver failed programming external connectivity: "
                                        f"Error starting userland proxy: listen "
                                        f"{b.proto} {where}: {last.strerror}")
                raise DySystemError(
                    f"driver failed programming external connectivity on endpoint: "
                    f"Bind for {where} failed: port is already allocated")
    except BaseException:
        res.close()
        raise
    return res


def rebind(bound: list[Binding]) -> Reservation:
    """Best effort: hold again the ports a running container already had."""
    res = Reservation()
    for b in bound:
        try:
            res.socks.append(_bind(b.host_ip, b.host_port, b.proto))
        except OSError:
            pass
        res.bound.append(b)
    return res
