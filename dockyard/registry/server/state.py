"""The registry's parts wired together: the one place that builds them from a config.

``Registry`` holds the storage driver, the three stores and the authorizer;
every request handler gets it through a ``Context`` along with the repository
name, the URL parameters and who is asking.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from dockyard.errors import InvalidArgument

from . import layout
from .auth import AccessPolicy, Authorizer, Htpasswd, Identity, TokenSigner, load_or_create_key
from .blobs import BlobStore
from .config import ServerConfig
from .manifests import ManifestStore
from .storage import LocalDriver, PathNotFound, StorageDriver
from .uploads import UploadStore

__all__ = ["Registry", "Context", "open_registry", "open_storage"]


@dataclass
class Registry:
    config: ServerConfig
    driver: StorageDriver
    blobs: BlobStore
    uploads: UploadStore
    manifests: ManifestStore
    authorizer: Authorizer
    _upload_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def upload_lock(self, uuid: str) -> asyncio.Lock:
        """The lock serialising requests that write upload ``uuid``."""
        lock = self._upload_locks.get(uuid)
        if lock is None:
            lock = asyncio.Lock()
            self._upload_locks[uuid] = lock
        return lock


@dataclass(frozen=True)
class Context:
    registry: Registry
    name: str
    params: dict[str, str]
    identity: Identity


def open_storage(driver: StorageDriver, *, stamp: bool = True) -> StorageDriver:
    """Check the layout version of a storage root; a new root is stamped (if ``stamp``)."""
    try:
        version = driver.get_content(layout.VERSION_PATH).decode().strip()
    except PathNotFound:
        if stamp:
            driver.put_content(layout.VERSION_PATH, layout.LAYOUT_VERSION.encode())
        return driver
    if version != layout.LAYOUT_VERSION:
        raise InvalidArgument(f"registry root has layout version {version}, this server knows {layout.LAYOUT_VERSION}")
    return driver


def _policy(config: ServerConfig) -> AccessPolicy:
    anonymous: set[str] = set()
    if config.htpasswd is None or config.allow_anonymous_pull:
        anonymous.add("pull")
    if config.allow_anonymous_push:
        anonymous |= {"pull", "push", "delete"}
    if config.acl is not None:
        return AccessPolicy.from_file(config.acl, frozenset(anonymous))
    return AccessPolicy(None, frozenset(anonymous))


def open_registry(config: ServerConfig, driver: StorageDriver | None = None) -> Registry:
    driver = open_storage(driver or LocalDriver(config.root))
    blobs = BlobStore(driver)
    htpasswd = Htpasswd(config.htpasswd) if config.htpasswd is not None else None
    signer = None
    if config.auth == "token":
        key_path = config.token_key or (config.root / "token.key")
        signer = TokenSigner(load_or_create_key(key_path), config.token_service, config.token_ttl)
    if config.auth in ("basic", "token") and htpasswd is None:
        raise InvalidArgument(f"--auth {config.auth} needs --htpasswd FILE")
    authorizer = Authorizer(
        config.auth,  # type: ignore[arg-type]
        _policy(config),
        htpasswd=htpasswd,
        signer=signer,
        realm=config.token_realm,
    )
    return Registry(
        config=config,
        driver=driver,
        blobs=blobs,
        uploads=UploadStore(driver, blobs),
        manifests=ManifestStore(driver, blobs),
        authorizer=authorizer,
    )
