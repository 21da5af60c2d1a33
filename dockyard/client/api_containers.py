"""Container endpoints beyond the lifecycle: exec, archive (cp/export/diff/commit), pause,
top, rename, update, stats, prune.

A mixin of :class:`~dockyard.client.api.Client`: it relies only on ``_call``, ``_json`` and
``transport``, so the methods read as the swagger's list of routes.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, BinaryIO

    from dockyard.client.transport import ClientResponse, HijackedSocket, Transport

__all__ = ["ContainerOpsMixin", "wire_filters"]


def wire_filters(filters: dict[str, list[str]] | None) -> dict[str, dict[str, bool]] | None:
    """Docker's wire form of filters: ``{"status": {"exited": true}}``."""
    if not filters:
        return None
    return {k: {v: True for v in vs} for k, vs in filters.items()}


class ContainerOpsMixin:
    if TYPE_CHECKING:
        transport: Transport

        def _call(self, method: str, path: str, *, not_modified_ok: bool = False, **kw: Any) -> ClientResponse: ...
        def _json(self, method: str, path: str, **kw: Any) -> Any: ...

    # -- exec ------------------------------------------------------------------------------

    def exec_create(self, ref: str, config: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", f"/containers/{ref}/exec", json=config)

    def exec_start(self, exec_id: str, *, detach: bool = False, tty: bool = False) -> None:
        self._call("POST", f"/exec/{exec_id}/start", json={"Detach": detach, "Tty": tty})

    def exec_attach(self, exec_id: str, *, tty: bool = False) -> HijackedSocket:
        """``POST /exec/{id}/start`` upgraded to the process's raw stdio."""
        return self.transport.hijack("POST", f"/exec/{exec_id}/start", json={"Detach": False, "Tty": tty})

    def exec_resize(self, exec_id: str, height: int, width: int) -> None:
        self._call("POST", f"/exec/{exec_id}/resize", query={"h": height, "w": width})

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        return self._json("GET", f"/exec/{exec_id}/json")

    # -- archive ---------------------------------------------------------------------------

    def archive_stat(self, ref: str, path: str) -> dict[str, Any]:
        """``HEAD /containers/{id}/archive``: the ``X-Docker-Container-Path-Stat`` header, decoded."""
        import base64
        import json

        r = self.transport.request("HEAD", f"/containers/{ref}/archive", query={"path": path})
        if not r.ok:  # a HEAD reply has no body to carry the message: say what docker's client says
            from dockyard.client.api import error_for

            if r.status == 404:
                probe = self.transport.request("GET", f"/containers/{ref}/json")
                text = (f"Could not find the file {path} in container {ref}" if probe.ok
                        else f"No such container: {ref}")
            else:
                text = f"HTTP status {r.status}"
            raise error_for(r.status, json.dumps({"message": text}).encode())
        raw = r.headers.get("X-Docker-Container-Path-Stat") or ""
        return json.loads(base64.b64decode(raw)) if raw else {}

    def archive_get(self, ref: str, path: str) -> tuple[ClientResponse, dict[str, Any]]:
        """The open tar reply for ``path`` and its path stat."""
        import base64
        import json

        r = self._call("GET", f"/containers/{ref}/archive", query={"path": path}, stream=True)
        raw = r.headers.get("X-Docker-Container-Path-Stat") or ""
        return r, (json.loads(base64.b64decode(raw)) if raw else {})

    def archive_put(self, ref: str, path: str, tar: bytes | BinaryIO | Iterable[bytes], *,
                    no_overwrite_dir_non_dir: bool = True, copy_uid_gid: bool = False) -> None:
        query = {"path": path, "noOverwriteDirNonDir": no_overwrite_dir_non_dir or None,
                 "copyUIDGID": copy_uid_gid or None}
        self._call("PUT", f"/containers/{ref}/archive", query=query, body=tar,
                   headers={"Content-Type": "application/x-tar"})

    def container_export(self, ref: str) -> ClientResponse:
        return self._call("GET", f"/containers/{ref}/export", stream=True)

    def container_changes(self, ref: str) -> list[dict[str, Any]]:
        return self._json("GET", f"/containers/{ref}/changes") or []

    def container_commit(self, ref: str, *, repo: str | None = None, tag: str | None = None,
                         comment: str | None = None, author: str | None = None, pause: bool = True,
                         changes: list[str] | None = None, config: dict[str, Any] | None = None) -> dict[str, Any]:
        query = {"container": ref, "repo": repo or None, "tag": tag or None, "comment": comment or None,
                 "author": author or None, "pause": pause, "changes": changes or None}
        return self._json("POST", "/commit", query=query, json=config or {})

    # -- operations ------------------------------------------------------------------------

    def container_pause(self, ref: str) -> None:
        self._call("POST", f"/containers/{ref}/pause")

    def container_unpause(self, ref: str) -> None:
        self._call("POST", f"/containers/{ref}/unpause")

    def container_top(self, ref: str, ps_args: str | None = None) -> dict[str, Any]:
        return self._json("GET", f"/containers/{ref}/top", query={"ps_args": ps_args or None})

    def container_rename(self, ref: str, new_name: str) -> None:
        self._call("POST", f"/containers/{ref}/rename", query={"name": new_name})

    def container_update(self, ref: str, resources: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", f"/containers/{ref}/update", json=resources) or {}

    def container_stats(self, ref: str, *, stream: bool = True, one_shot: bool = False) -> Iterator[dict[str, Any]]:
        """``GET /containers/{id}/stats``: one sample at a time (one in all with ``stream=False``)."""
        query = {"stream": stream, "one-shot": one_shot or None}
        r = self._call("GET", f"/containers/{ref}/stats", query=query, stream=True)
        with r:
            yield from r.iter_json()

    def container_prune(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("POST", "/containers/prune", query={"filters": wire_filters(filters)}) or {}
