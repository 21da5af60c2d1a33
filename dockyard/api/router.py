"""Route table: ``(method, path pattern, API version range) → handler``.

Patterns use gorilla/mux's syntax, as moby's routes do::

    /containers/{id}/json          {id} is one path segment
    /images/{name:.*}/json         {name:REGEX}; ".*" spans slashes (image names)

Resolution of ``POST /v1.41/containers/abc/start``:

1. the ``/vX.YY`` prefix is split off (unversioned paths get
   :data:`~dockyard.api.http.MAX_API_VERSION`);
2. routes for the method are tried **most specific first**: compared segment by
   segment, a literal beats ``{param}`` which beats a greedy ``{param:.*}``; ties
   keep registration order. So ``GET /images/json`` is the list route and
   ``GET /images/docker.io/library/busybox:latest/json`` the inspect route;
3. no route matches → ``NotFound("page not found")`` — also for a known path
   with the wrong method, as moby answers (its mux's NotFound and
   MethodNotAllowed handlers are the same "page not found" 404);
4. the request version is checked against the server's range: too old/new →
   ``InvalidArgument`` (400) with moby's text;
5. per-route ``min_version``/``max_version``: a route outside its range is
   treated as absent at that version (so the same path may be registered twice
   for two version ranges); if no route is left → 404 "page not found", what a
   daemon of that API version would have said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from dockyard.api.http import MAX_API_VERSION, MIN_API_VERSION, Handler, compare_versions
from dockyard.errors import InvalidArgument, NotFound

__all__ = ["Route", "Resolved", "Router", "split_version"]

_VERSION_PREFIX = re.compile(r"^/v([0-9.]+)(/.*)$")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")

_LITERAL, _SEGMENT, _GREEDY, _END = 0, 1, 2, 3


def split_version(path: str) -> tuple[str | None, str]:
    """``"/v1.41/containers/json"`` → ``("1.41", "/containers/json")``; unversioned → ``(None, path)``."""
    m = _VERSION_PREFIX.match(path)
    if m is None:
        return None, path
    return m.group(1), m.group(2)


def _compile(pattern: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    regex = []
    pos = 0
    for m in _PARAM.finditer(pattern):
        regex.append(re.escape(pattern[pos : m.start()]))
        name, expr = m.group(1), m.group(2)
        regex.append(f"(?P<{name}>{expr if expr is not None else '[^/]+'})")
        pos = m.end()
    regex.append(re.escape(pattern[pos:]))
    ranks = []
    for segment in pattern.strip("/").split("/"):
        params = list(_PARAM.finditer(segment))
        if not params:
            ranks.append(_LITERAL)
        elif any(p.group(2) is not None and re.fullmatch(p.group(2), "a/b") for p in params):
            ranks.append(_GREEDY)
        else:
            ranks.append(_SEGMENT)
    # The sentinel makes a longer pattern sort before its own prefix: only greedy
    # params let both match one path, and then the longer one is the specific one
    # (``/images/{name:.*}/json`` before ``/images/{name:.*}``).
    ranks.append(_END)
    return re.compile("".join(regex)), tuple(ranks)


@dataclass
class Route:
    """One registration; ``rank`` orders routes (smaller is more specific)."""

    method: str
    pattern: str
    handler: Handler
    min_version: str | None = None
    max_version: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False)
    rank: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex, self.rank = _compile(self.pattern)

    def allows(self, version: str) -> bool:
        """True when the route exists at API ``version``."""
        if self.min_version is not None and compare_versions(version, self.min_version) < 0:
            return False
        if self.max_version is not None and compare_versions(version, self.max_version) > 0:
            return False
        return True


@dataclass
class Resolved:
    """The outcome of :meth:`Router.resolve`: which handler, with what params, at what version."""

    route: Route
    params: dict[str, str]
    path: str
    version: str


class Router:
    """Routes, looked up most-specific-first; see the module docstring for the rules."""

    def __init__(self, min_api_version: str = MIN_API_VERSION, max_api_version: str = MAX_API_VERSION) -> None:
        self.min_api_version = min_api_version
        self.max_api_version = max_api_version
        self._routes: dict[str, list[Route]] = {}

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        min_version: str | None = None,
        max_version: str | None = None,
    ) -> Route:
        """Register ``handler`` for ``method`` + ``pattern`` within an API version range."""
        route = Route(method.upper(), pattern, handler, min_version, max_version)
        routes = self._routes.setdefault(route.method, [])
        routes.append(route)
        routes.sort(key=lambda r: r.rank)  # stable: ties keep registration order
        return route

    def get(self, pattern: str, handler: Handler, *, min_version: str | None = None,
            max_version: str | None = None) -> Route:
        """Shorthand for ``add("GET", ...)``."""
        return self.add("GET", pattern, handler, min_version=min_version, max_version=max_version)

    def post(self, pattern: str, handler: Handler, *, min_version: str | None = None,
             max_version: str | None = None) -> Route:
        """Shorthand for ``add("POST", ...)``."""
        return self.add("POST", pattern, handler, min_version=min_version, max_version=max_version)

    def routes(self) -> list[Route]:
        """Every registered route, per method in lookup order."""
        return [r for routes in self._routes.values() for r in routes]

    def resolve(self, method: str, raw_path: str) -> Resolved:
        """Find the handler for a request path as sent (percent-encoded, maybe versioned)."""
        prefix, rest = split_version(raw_path)
        path = unquote(rest, errors="replace")
        version = prefix if prefix is not None else self.max_api_version
        matches: list[tuple[Route, dict[str, str]]] = []
        for route in self._routes.get(method.upper(), ()):
            m = route.regex.fullmatch(path)
            if m is not None:
                matches.append((route, m.groupdict()))
        if not matches:
            raise NotFound("page not found")
        if prefix is not None:
            self.check_version(version)
        for route, params in matches:
            if route.allows(version):
                return Resolved(route, params, path, version)
        raise NotFound("page not found")

    def check_version(self, version: str) -> None:
        """Reject versions outside the server's range with moby's exact wording."""
        if compare_versions(version, self.min_api_version) < 0:
            raise InvalidArgument(
                f"client version {version} is too old. Minimum supported API version is "
                f"{self.min_api_version}, please upgrade your client to a newer version"
            )
        if compare_versions(version, self.max_api_version) > 0:
            raise InvalidArgument(
                f"client version {version} is too new. Maximum supported API version is {self.max_api_version}"
            )
