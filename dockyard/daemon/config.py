"""Daemon settings: flags first, then environment, then defaults.

The environment variables let the CLI start a daemon on the same private roots it talks
to (tests use a data root under /tmp): ``DOCKYARD_DATA_ROOT``, ``DOCKYARD_EXEC_ROOT``,
``DOCKYARD_HOST``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["DaemonConfig", "default_host"]

DEFAULT_DATA_ROOT = "/var/lib/dockyard"
DEFAULT_EXEC_ROOT = "/run/dockyard"


def default_host(exec_root: str | None = None) -> str:
    env = os.environ.get("DOCKYARD_HOST")
    if env:
        return env
    root = exec_root or os.environ.get("DOCKYARD_EXEC_ROOT") or DEFAULT_EXEC_ROOT
    return f"unix://{root}/dockyard.sock"


@dataclass
class DaemonConfig:
    data_root: str = field(default_factory=lambda: os.environ.get("DOCKYARD_DATA_ROOT")
                           or DEFAULT_DATA_ROOT)
    exec_root: str = field(default_factory=lambda: os.environ.get("DOCKYARD_EXEC_ROOT")
                           or DEFAULT_EXEC_ROOT)
    hosts: list[str] = field(default_factory=list)
    tls_verify: bool = False
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_tcp: bool = False
    debug: bool = False
    log_file: str | None = None
    group: str = "dockyard"
    #: registries (host, host:port or CIDR) that may be reached over plain http or
    #: unverified https, beyond loopback which always may (as Docker's --insecure-registry)
    insecure_registries: list[str] = field(default_factory=list)
    #: whether names without a registry (``busybox``) may reach Docker Hub; off unless asked
    #: for (flag or ``DOCKYARD_ALLOW_DOCKER_HUB=1``): these machines have no internet, and
    #: ``run`` of an unknown image must not make the daemon reach out
    allow_docker_hub: bool = field(
        default_factory=lambda: os.environ.get("DOCKYARD_ALLOW_DOCKER_HUB") == "1")

    def __post_init__(self) -> None:
        self.data_root = os.path.abspath(self.data_root)
        self.exec_root = os.path.abspath(self.exec_root)
        if not self.hosts:
            self.hosts = [default_host(self.exec_root)]

    @property
    def pidfile(self) -> str:
        return os.path.join(self.exec_root, "dockyardd.pid")
