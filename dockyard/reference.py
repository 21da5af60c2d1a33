"""Image references: ``[domain/]path[:tag][@digest]`` as Docker's distribution/reference parses them.

Docker stores references fully qualified (``docker.io/library/busybox:latest``) and shows
them *familiar* (``busybox:latest``); both forms are needed, so a Reference keeps the parts
and renders either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.errors import InvalidArgument

__all__ = ["Reference", "parse", "DEFAULT_DOMAIN", "try_parse"]

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DOMAIN_RE = re.compile(
    r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$"
    r"|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$"
)
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """Fully qualified repository name: ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    def familiar_repository(self) -> str:
        """Docker's short form: ``busybox``, ``user/app``, ``localhost:5000/app``."""
        if self.domain == DEFAULT_DOMAIN:
            path = self.path
            if path.startswith(_OFFICIAL_PREFIX) and "/" not in path[len(_OFFICIAL_PREFIX):]:
                path = path[len(_OFFICIAL_PREFIX):]
            return path
        return self.repository

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out

    def familiar(self) -> str:
        out = self.familiar_repository()
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_default_tag(self) -> Reference:
        """``busybox`` means ``busybox:latest``; a digest reference stays as it is."""
        if self.tag or self.digest:
            return self
        return Reference(self.domain, self.path, "latest", None)


def parse(ref: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise ``ref``; add ``:latest`` when it has neither tag nor digest."""
    original = ref
    if not ref or ref != ref.strip():
        raise InvalidArgument(f"invalid reference format: {original!r}")
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise InvalidArgument("invalid reference format")
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1:]
        if not _TAG_RE.match(tag):
            raise InvalidArgument("invalid reference format")
    if "/" in ref:
        first, rest = ref.split("/", 1)
        if "." in first or ":" in first or first == "localhost" or first != first.lower():
            domain, path = first, rest
        else:
            domain, path = DEFAULT_DOMAIN, ref
    else:
        domain, path = DEFAULT_DOMAIN, ref
    if domain == _LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain != DEFAULT_DOMAIN and not _DOMAIN_RE.match(domain):
        raise InvalidArgument("invalid reference format")
    if any(c.isupper() for c in path):
        raise InvalidArgument("invalid reference format: repository name must be lowercase")
    if not _PATH_RE.match(path) or len(path) > 255:
        raise InvalidArgument("invalid reference format")
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = _OFFICIAL_PREFIX + path
    out = Reference(domain, path, tag, digest)
    return out.with_default_tag() if default_tag else out


def try_parse(ref: str) -> Reference | None:
    try:
        return parse(ref)
    except InvalidArgument:
        return None
