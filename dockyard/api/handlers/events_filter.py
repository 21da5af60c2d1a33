"""Docker's event filters and the ``since``/``until`` arguments of ``GET /events``.

Matching is moby's ``events.Filter.Include`` (daemon/events/filter.go): every key present
must match, each against *every* event whatever its type::

    type, scope          exact
    event                exact; prefix when a value is health_status, exec_create or exec_start
    container, daemon, volume, network, node, service, secret, config
                         Actor.ID or Attributes["name"] equal to, or starting with, a value
    plugin               Actor.ID or name exact
    image                ID or name exact, also with the tag stripped ("busybox" matches
                         "busybox:latest"); for container events the name is Attributes["image"]
    label                every ``k`` / ``k=v`` holds in Attributes

Unknown keys are ignored, as moby (it does not validate event filters).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from dockyard.errors import InvalidArgument

__all__ = ["event_matcher", "parse_time_ns"]

_FUZZY_EVENTS = frozenset({"health_status", "exec_create", "exec_start"})
_BY_NAME = ("container", "daemon", "volume", "network", "node", "service", "secret", "config")


def parse_time_ns(value: str | None) -> int:
    """``since``/``until`` as sent (``"<sec>[.<nanos>]"``), exact to the nanosecond; 0 = unset.

    Other forms docker's GetTimestamp knows (durations, RFC 3339) are accepted too, for
    clients that pass the user's text through.
    """
    if not value:
        return 0
    whole, _, frac = value.partition(".")
    if whole.lstrip("-").isdigit() and (not frac or frac.isdigit()):
        nanos = int((frac + "000000000")[:9]) if frac else 0
        secs = int(whole)
        return secs * 1_000_000_000 + (nanos if secs >= 0 else -nanos)
    from dockyard.cli.units import parse_timestamp
    try:
        return int(parse_timestamp(value, time.time()) * 1e9)
    except Exception as exc:
        raise InvalidArgument(f"invalid time value: {value}") from exc


def _strip_tag(name: str) -> str:
    from dockyard import reference
    try:
        ref = reference.try_parse(name)
    except Exception:
        return name
    return ref.familiar_repository() if ref is not None else name


def event_matcher(filters: dict[str, list[str]]) -> Callable[[dict[str, Any]], bool]:
    f = {k: set(v) for k, v in filters.items() if v}
    fuzzy_event = bool(f.get("event", set()) & _FUZZY_EVENTS)

    def exact(key: str, source: str) -> bool:
        return key not in f or source in f[key]

    def fuzzy(key: str, source: str) -> bool:
        return key not in f or source in f[key] or any(source.startswith(v) for v in f[key])

    def match(msg: dict[str, Any]) -> bool:
        actor = msg.get("Actor") or {}
        actor_id = actor.get("ID") or ""
        attrs = actor.get("Attributes") or {}
        name = attrs.get("name", "")
        action = msg.get("Action", "")
        if not (fuzzy if fuzzy_event else exact)("event", action):
            return False
        if not exact("type", msg.get("Type", "")) or not exact("scope", msg.get("scope", "")):
            return False
        for key in _BY_NAME:
            if key in f and not (fuzzy(key, actor_id) or fuzzy(key, name)):
                return False
        if "plugin" in f and not (exact("plugin", actor_id) or exact("plugin", name)):
            return False
        if "image" in f:
            image = attrs.get("name" if msg.get("Type") == "image" else "image", "")
            if not any(exact("image", s) for s in (actor_id, image, _strip_tag(actor_id),
                                                    _strip_tag(image)) if s):
                return False
        for want in f.get("label", ()):
            k, sep, v = want.partition("=")
            if k not in attrs or (sep and attrs[k] != v):
                return False
        return True

    return match
