"""``ServerConfig``: everything ``registry serve`` is told on its command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServerConfig", "DEFAULT_MAX_MANIFEST_SIZE"]

#: The spec asks registries to accept manifests of at least 4 MB.
DEFAULT_MAX_MANIFEST_SIZE = 4 << 20


@dataclass(frozen=True)
class ServerConfig:
    """Registry server settings; see ``cli`` for the flag of each field."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 5000
    auth: str = "none"  # none | basic | token
    htpasswd: Path | None = None
    acl: Path | None = None
    token_realm: str | None = None
    token_service: str = "dockyard-registry"
    token_key: Path | None = None
    token_ttl: int = 900
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_anonymous_pull: bool = False
    allow_anonymous_push: bool = False
    read_only: bool = False
    delete_enabled: bool = True
    max_manifest_size: int = DEFAULT_MAX_MANIFEST_SIZE
    access_log: bool = False

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None
