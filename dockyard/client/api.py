"""A small typed Engine API client: one method per endpoint the CLI (and the tests) use.

Why a layer over :class:`~dockyard.client.transport.Transport`: callers should deal in
resources (``client.container_create(config, name=...)``), not paths and query strings, and
every non-2xx reply should surface as one of the closed set of kinds in
:mod:`dockyard.errors` — ``NotFound("No such container: x")`` raised in the daemon is
``NotFound`` here, with the daemon's text verbatim (docker users match on it).

The status → kind mapping lives in exactly one place, :func:`error_for`, which delegates to
:func:`dockyard.api.errors.error_from_response` (the module that also maps kinds to statuses
on the server side, so the two directions cannot drift apart). ``304 Not Modified`` (start a
running container, stop a stopped one) is success for the docker CLI, and here too.

Usage::

    c = Client("unix:///run/dockyard/dockyard.sock")
    cid = c.container_create({"Image": "busybox", "Cmd": ["true"]}, name="x")["Id"]
    c.container_start(cid)
    c.container_wait(cid)["StatusCode"]   # 0
"""

from __future__ import annotations

from dockyard.client.api_containers import ContainerOpsMixin
from dockyard.client.api_images import ImageOpsMixin
from dockyard.client.api_resources import ResourcesMixin
from dockyard.client.transport import ClientResponse, DaemonUnreachable, HijackedSocket, Transport
from dockyard.errors import DockyardError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, BinaryIO

__all__ = ["API_VERSION", "Client", "DaemonUnreachable", "error_for"]

API_VERSION = "1.43"
"""The API version the client speaks (the daemon's maximum; docker CLI 28 downgrades to it)."""


def error_for(status: int, body: bytes) -> DockyardError:
    """The ``dockyard.errors`` kind for a non-2xx reply, carrying the daemon's ``message``."""
    from dockyard.api.errors import error_from_response

    return error_from_response(status, body)


def _check(r: ClientResponse, *, not_modified_ok: bool = False) -> ClientResponse:
    if r.ok or (not_modified_ok and r.status == 304):
        return r
    raise error_for(r.status, r.read())


def _filters(filters: dict[str, list[str]] | None) -> dict[str, dict[str, bool]] | None:
    """Docker's wire form of filters: ``{"status": {"exited": true}}``."""
    if not filters:
        return None
    return {k: {v: True for v in vs} for k, vs in filters.items()}


class Client(ContainerOpsMixin, ImageOpsMixin, ResourcesMixin):
    """Calls to one daemon; ``host`` as in ``DOCKER_HOST`` (``unix:///path``, ``tcp://h:p``).

    The core resources are here; the rest come from the mixins, one module per family:
    :mod:`~dockyard.client.api_containers` (exec, archive, pause/top/update/stats, prune),
    :mod:`~dockyard.client.api_images` (save/load, history, build, pull/push, auth),
    :mod:`~dockyard.client.api_resources` (volumes, networks, events, df).
    """

    def __init__(self, host: str, *, timeout: float | None = None, version: str = API_VERSION) -> None:
        self.host = host
        self.version = version
        self.transport = Transport(host, timeout=timeout, base_path=f"/v{version}")

    def close(self) -> None:
        self.transport.close()

    def _call(self, method: str, path: str, *, not_modified_ok: bool = False, **kw: Any) -> ClientResponse:
        return _check(self.transport.request(method, path, **kw), not_modified_ok=not_modified_ok)

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, path, **kw).json()

    # -- system ----------------------------------------------------------------------------

    def ping(self, timeout: float | None = None) -> bool:
        """True when the daemon answers ``/_ping`` (unversioned, as docker probes it)."""
        t = Transport(self.host, timeout=timeout)
        try:
            return t.request("GET", "/_ping").ok
        finally:
            t.close()

    def version_info(self) -> dict[str, Any]:
        return self._json("GET", "/version")

    def info(self) -> dict[str, Any]:
        return self._json("GET", "/info")

    # -- containers ------------------------------------------------------------------------

    def container_create(self, config: dict[str, Any], name: str | None = None,
                         platform: str | None = None) -> dict[str, Any]:
        return self._json("POST", "/containers/create", query={"name": name or None, "platform": platform},
                          json=config)

    def container_start(self, ref: str) -> None:
        self._call("POST", f"/containers/{ref}/start", not_modified_ok=True)

    def container_stop(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._call("POST", f"/containers/{ref}/stop", query={"t": timeout, "signal": signal or None},
                   not_modified_ok=True)

    def container_restart(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self._call("POST", f"/containers/{ref}/restart", query={"t": timeout, "signal": signal or None})

    def container_kill(self, ref: str, signal: str | None = None) -> None:
        self._call("POST", f"/containers/{ref}/kill", query={"signal": signal or None})

    def container_wait_response(self, ref: str, condition: str | None = None) -> ClientResponse:
        """Start a wait and return the open reply (docker registers it *before* starting)."""
        return self._call("POST", f"/containers/{ref}/wait", query={"condition": condition}, stream=True)

    def container_wait(self, ref: str, condition: str | None = None) -> dict[str, Any]:
        with self.container_wait_response(ref, condition) as r:
            return r.json() or {}

    def container_remove(self, ref: str, *, force: bool = False, volumes: bool = False) -> None:
        self._call("DELETE", f"/containers/{ref}", query={"force": force or None, "v": volumes or None})

    def container_list(self, *, all: bool = False, limit: int | None = None, size: bool = False,
                       filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        query = {"all": all or None, "limit": limit, "size": size or None, "filters": _filters(filters)}
        return self._json("GET", "/containers/json", query=query) or []

    def container_inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]:
        return self._json("GET", f"/containers/{ref}/json", query={"size": size or None})

    def container_logs(self, ref: str, *, stdout: bool = True, stderr: bool = True, follow: bool = False,
                       timestamps: bool = False, tail: str | None = None, since: str | None = None,
                       until: str | None = None) -> ClientResponse:
        """The open logs reply: raw for a tty container, else 8-byte-framed (see stdio.demux)."""
        query = {"stdout": stdout, "stderr": stderr, "follow": follow or None, "timestamps": timestamps or None,
                 "tail": tail, "since": since or None, "until": until or None}
        return self._call("GET", f"/containers/{ref}/logs", query=query, stream=True)

    def container_attach(self, ref: str, *, stdin: bool = False, stdout: bool = True, stderr: bool = True,
                         stream: bool = True, logs: bool = False, detach_keys: str | None = None) -> HijackedSocket:
        query = {"stream": stream, "stdin": stdin, "stdout": stdout, "stderr": stderr, "logs": logs or None,
                 "detachKeys": detach_keys or None}
        return self.transport.hijack("POST", f"/containers/{ref}/attach", query=query)

    def container_resize(self, ref: str, height: int, width: int) -> None:
        self._call("POST", f"/containers/{ref}/resize", query={"h": height, "w": width})

    # -- images ----------------------------------------------------------------------------

    def image_list(self, *, all: bool = False, filters: dict[str, list[str]] | None = None,
                   digests: bool = False) -> list[dict[str, Any]]:
        query = {"all": all or None, "filters": _filters(filters), "digests": digests or None}
        return self._json("GET", "/images/json", query=query) or []

    def image_inspect(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/images/{ref}/json")

    def image_remove(self, ref: str, *, force: bool = False, noprune: bool = False) -> list[dict[str, str]]:
        return self._json("DELETE", f"/images/{ref}", query={"force": force or None,
                                                            "noprune": noprune or None}) or []

    def image_tag(self, ref: str, repo: str, tag: str | None = None) -> None:
        self._call("POST", f"/images/{ref}/tag", query={"repo": repo, "tag": tag or None})

    def image_import(self, source: bytes | BinaryIO | Iterable[bytes], *, repo: str | None = None,
                     tag: str | None = None, changes: list[str] | None = None,
                     message: str | None = None) -> Iterator[dict[str, Any]]:
        """``POST /images/create?fromSrc=-``: the JSON progress messages (the last names the image)."""
        query = {"fromSrc": "-", "repo": repo or None, "tag": tag or None, "changes": changes or None,
                 "message": message or None}
        r = self._call("POST", "/images/create", query=query, body=source, stream=True,
                       headers={"Content-Type": "application/x-tar"})
        with r:
            yield from r.iter_json()

    def image_bootstrap(self, name: str = "busybox", tag: str | None = None) -> dict[str, Any]:
        """dockyard's own ``/dockyard/images/bootstrap``: build a base image with no registry."""
        return self._json("POST", "/dockyard/images/bootstrap", query={"name": name, "tag": tag})

    def image_prune(self, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return self._json("POST", "/images/prune", query={"filters": _filters(filters)}) or {}
