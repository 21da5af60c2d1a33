"""Docker's event filters (type, container, image, event, label, ...) and time arguments."""

from __future__ import annotations

import time
from typing import Any, Callable

from dockyard.errors import InvalidArgument

__all__ = ["event_matcher", "parse_time_ns"]


def parse_time_ns(value: str | None) -> int:
    """``since``/``until``: unix seconds (with fraction) as the API receives them."""
    if not value:
        return 0
    try:
        return int(float(value) * 1e9)
    except ValueError:
        pass
    from dockyard.cli.units import parse_timestamp
    try:
        return int(parse_timestamp(value, time.time()) * 1e9)
    except Exception as exc:
        raise InvalidArgument(f"invalid time value: {value}") from exc


def event_matcher(filters: dict[str, list[str]]) -> Callable[[dict[str, Any]], bool]:
    def match(msg: dict[str, Any]) -> bool:
        attrs = msg.get("Actor", {}).get("Attributes", {}) or {}
        actor = msg.get("Actor", {}).get("ID", "")
        for key, values in filters.items():
            if not values:
                continue
            if key == "type":
                if msg.get("Type") not in values:
                    return False
            elif key == "event":
                action = msg.get("Action", "")
                if action not in values and action.split(":")[0] not in values:
                    return False
            elif key in ("container", "image", "volume", "network", "plugin", "node",
                         "service", "secret", "config", "daemon"):
                type_ = {"container": "container", "image": "image", "volume": "volume",
                         "network": "network"}.get(key, key)
                if msg.get("Type") != type_:
                    if key != "image" or msg.get("Type") != "container":
                        return False
                    if attrs.get("image") not in values:
                        return False
                    continue
                if not any(actor == v or actor.startswith(v) or attrs.get("name") == v
                           for v in values):
                    return False
            elif key == "label":
                ok = False
                for v in values:
                    k, sep, val = v.partition("=")
                    if k in attrs and (not sep or attrs[k] == val):
                        ok = True
                if not ok:
                    return False
            elif key == "scope":
                if msg.get("scope") not in values:
                    return False
            else:
                raise InvalidArgument(f"Invalid filter '{key}'")
        return True

    return match
