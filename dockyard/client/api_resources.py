"""Volumes, networks and system-wide endpoints (events, df).

A mixin of :class:`~dockyard.client.api.Client`; filters are given as ``{key: [values]}``
and sent in docker's wire form.
"""

from __future__ import annotations

from dockyard.client.api_containers import wire_filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from dockyard.client.transport import ClientResponse

__all__ = ["ResourcesMixin"]


class ResourcesMixin:
    if TYPE_CHECKING:
        def _call(self, method: str, path: str, *, not_modified_ok: bool = False, **kw: Any) -> ClientResponse: ...
        def _json(self, method: str, path: str, **kw: Any) -> Any: ...

    # -- volumes ---------------------------------------------------------------------------

    def volume_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/volumes/create", json=body)

    def volume_list(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("GET", "/volumes", query={"filters": wire_filters(filters)}) or {}

    def volume_inspect(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/volumes/{name}")

    def volume_remove(self, name: str, *, force: bool = False) -> None:
        self._call("DELETE", f"/volumes/{name}", query={"force": force or None})

    def volume_prune(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("POST", "/volumes/prune", query={"filters": wire_filters(filters)}) or {}

    # -- networks --------------------------------------------------------------------------

    def network_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/networks/create", json=body)

    def network_list(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        return self._json("GET", "/networks", query={"filters": wire_filters(filters)}) or []

    def network_inspect(self, ref: str, *, verbose: bool = False, scope: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/networks/{ref}", query={"verbose": verbose or None, "scope": scope or None})

    def network_remove(self, ref: str) -> None:
        self._call("DELETE", f"/networks/{ref}")

    def network_prune(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("POST", "/networks/prune", query={"filters": wire_filters(filters)}) or {}

    def network_connect(self, ref: str, container: str, endpoint: dict[str, Any] | None = None) -> None:
        self._call("POST", f"/networks/{ref}/connect", json={"Container": container, "EndpointConfig": endpoint or {}})

    def network_disconnect(self, ref: str, container: str, *, force: bool = False) -> None:
        self._call("POST", f"/networks/{ref}/disconnect", json={"Container": container, "Force": force})

    # -- system ----------------------------------------------------------------------------

    def events(self, *, since: str | None = None, until: str | None = None,
               filters: dict[str, list[str]] | None = None) -> Iterator[dict[str, Any]]:
        query = {"since": since or None, "until": until or None, "filters": wire_filters(filters)}
        r = self._call("GET", "/events", query=query, stream=True)
        with r:
            yield from r.iter_json()

    def system_df(self, types: list[str] | None = None) -> dict[str, Any]:
        return self._json("GET", "/system/df", query={"type": types or None}) or {}

    def build_prune(self, *, all: bool = False, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("POST", "/build/prune", query={"all": all or None, "filters": wire_filters(filters)}) or {}
