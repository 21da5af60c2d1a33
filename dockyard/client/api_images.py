"""Image endpoints beyond list/inspect/tag: save/load, history, build, pull/push, auth.

A mixin of :class:`~dockyard.client.api.Client`. Streaming endpoints (load, build, pull,
push) yield the daemon's jsonmessage objects as they arrive; the caller decides how to show
them (see :mod:`dockyard.cli.progress`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, BinaryIO

    from dockyard.client.transport import ClientResponse

__all__ = ["ImageOpsMixin"]


def _auth_headers(auth: str | None) -> dict[str, str] | None:
    return {"X-Registry-Auth": auth} if auth else None


class ImageOpsMixin:
    if TYPE_CHECKING:
        def _call(self, method: str, path: str, *, not_modified_ok: bool = False, **kw: Any) -> ClientResponse: ...
        def _json(self, method: str, path: str, **kw: Any) -> Any: ...

    def image_history(self, ref: str) -> list[dict[str, Any]]:
        return self._json("GET", f"/images/{ref}/history") or []

    def image_save(self, names: list[str]) -> ClientResponse:
        """The open tar reply of ``docker save`` (``/images/get?names=...``)."""
        return self._call("GET", "/images/get", query={"names": names}, stream=True)

    def image_load(self, tar: bytes | BinaryIO | Iterable[bytes], *, quiet: bool = False) -> Iterator[dict[str, Any]]:
        r = self._call("POST", "/images/load", query={"quiet": quiet or None}, body=tar, stream=True,
                       headers={"Content-Type": "application/x-tar"})
        with r:
            yield from r.iter_json()

    def image_build(self, context: bytes | BinaryIO | Iterable[bytes], query: dict[str, Any],
                    auth_configs: str | None = None) -> Iterator[dict[str, Any]]:
        """``POST /build`` with the context tar; the classic builder's jsonmessage stream."""
        headers = {"Content-Type": "application/x-tar"}
        if auth_configs:
            headers["X-Registry-Config"] = auth_configs
        r = self._call("POST", "/build", query=query, body=context, stream=True, headers=headers)
        with r:
            yield from r.iter_json()

    def image_pull(self, image: str, tag: str | None = None, *, platform: str | None = None,
                   auth: str | None = None) -> Iterator[dict[str, Any]]:
        query = {"fromImage": image, "tag": tag or None, "platform": platform or None}
        r = self._call("POST", "/images/create", query=query, stream=True, headers=_auth_headers(auth))
        with r:
            yield from r.iter_json()

    def image_push(self, name: str, tag: str | None = None, *, auth: str | None = None) -> Iterator[dict[str, Any]]:
        r = self._call("POST", f"/images/{name}/push", query={"tag": tag or None}, stream=True,
                       headers=_auth_headers(auth) or {"X-Registry-Auth": "e30="})
        with r:
            yield from r.iter_json()

    def auth(self, config: dict[str, Any]) -> dict[str, Any]:
        """``POST /auth``: check credentials against a registry (``{"Status": "Login Succeeded"}``)."""
        return self._json("POST", "/auth", json=config) or {}
