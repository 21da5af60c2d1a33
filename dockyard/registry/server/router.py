"""The route table: which handler serves which ``/v2/…`` path, and what access it needs.

Why not aiohttp's router: repository names contain slashes, so the name is
found by matching the *end* of the path (``…/manifests/<ref>``), and an
invalid name must still get the spec's ``NAME_INVALID`` body rather than a
bare 404. ``match`` is a pure function over (method, path) so it is tested
without a server.

Access per method: ``GET``/``HEAD`` need ``pull``, ``POST``/``PUT``/``PATCH``
need ``push``, ``DELETE`` needs ``delete``; the catalog needs
``registry:catalog:*`` and ``/v2/`` only an authenticated caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping

from aiohttp import web

from .auth import CATALOG, Access
from .errors import RegistryError
from .handlers import base, blobs, listing, manifests, referrers, uploads
from .state import Context

__all__ = ["Handler", "Endpoint", "Match", "ENDPOINTS", "WRITE_METHODS", "match"]

Handler = Callable[[web.Request, Context], Awaitable[web.StreamResponse]]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ACTIONS = {"GET": "pull", "HEAD": "pull", "POST": "push", "PUT": "push", "PATCH": "push", "DELETE": "delete"}


@dataclass(frozen=True)
class Endpoint:
    """One URL shape under ``/v2/`` (``pattern`` matches the part after it)."""

    id: str
    pattern: re.Pattern[str]
    methods: Mapping[str, Handler]
    kind: str = "repository"  # or "base", "catalog"


@dataclass(frozen=True)
class Match:
    endpoint: Endpoint
    handler: Handler
    name: str
    params: dict[str, str]

    def needed(self, method: str) -> Access | None:
        if self.endpoint.kind == "base":
            return None
        if self.endpoint.kind == "catalog":
            return CATALOG
        return Access("repository", self.name, frozenset({_ACTIONS[method]}))


def _e(id: str, pattern: str, kind: str = "repository", **methods: Handler) -> Endpoint:
    table = dict(methods)
    if "GET" in table and "HEAD" not in table:
        table["HEAD"] = table["GET"]
    return Endpoint(id, re.compile(pattern), table, kind)


# The spec's endpoint ids (end-1 …) in the order they are tried.
ENDPOINTS: tuple[Endpoint, ...] = (
    _e("end-1", r"^$", "base", GET=base.version_check),
    _e("catalog", r"^_catalog$", "catalog", GET=listing.catalog),
    _e("end-8", r"^(?P<name>.+)/tags/list$", GET=listing.list_tags),
    _e(
        "end-3",
        r"^(?P<name>.+)/manifests/(?P<reference>[^/]+)$",
        GET=manifests.get_manifest,
        PUT=manifests.put_manifest,
        DELETE=manifests.delete_manifest,
    ),
    _e("end-4", r"^(?P<name>.+)/blobs/uploads/?$", POST=uploads.start_upload),
    _e(
        "end-5",
        r"^(?P<name>.+)/blobs/uploads/(?P<uuid>[^/]+)$",
        GET=uploads.upload_status,
        PATCH=uploads.patch_upload,
        PUT=uploads.put_upload,
        DELETE=uploads.cancel_upload,
    ),
    _e("end-2", r"^(?P<name>.+)/blobs/(?P<digest>[^/]+)$", GET=blobs.get_blob, DELETE=blobs.delete_blob),
    _e("end-12", r"^(?P<name>.+)/referrers/(?P<digest>[^/]+)$", GET=referrers.list_referrers),
)


def match(method: str, tail: str) -> Match:
    """Find the endpoint for ``method`` and the path after ``/v2/``.

    Raises ``NOT_FOUND`` (404) for an unknown path and ``UNSUPPORTED`` (405)
    for a known path with a method it does not take.
    """
    for endpoint in ENDPOINTS:
        found = endpoint.pattern.fullmatch(tail)
        if found is None:
            continue
        handler = endpoint.methods.get(method)
        if handler is None:
            raise RegistryError(
                "UNSUPPORTED",
                f"{method} is not supported on this endpoint",
                headers={"Allow": ", ".join(sorted(endpoint.methods))},
            )
        params = {k: v for k, v in found.groupdict().items() if k != "name"}
        return Match(endpoint, handler, found.groupdict().get("name") or "", params)
    raise RegistryError("NOT_FOUND", f"no such endpoint: /v2/{tail}")
