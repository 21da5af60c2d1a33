"""Docker's filters for ``volume ls`` and ``volume prune`` (moby's ``volume/service/convert``).

``ls``:    ``dangling=true|false`` (unused by any container), ``name=<regexp>`` (any value
           matches), ``driver=<name>``, ``label=<key>[=<value>]`` (every value must match).
``prune``: ``label=...``, ``label!=...`` (excluded when every value matches), ``all=true|false`` (also
           named volumes; without it only anonymous ones, as Docker 23+).
"""

from __future__ import annotations

import re
from typing import Iterable

from dockyard.errors import InvalidArgument

__all__ = ["LIST_FILTERS", "PRUNE_FILTERS", "validate", "bool_filter", "match_name",
           "match_labels"]

LIST_FILTERS = frozenset({"dangling", "name", "driver", "label"})
PRUNE_FILTERS = frozenset({"label", "label!", "all"})


def validate(filters: dict[str, list[str]], accepted: Iterable[str]) -> None:
    allowed = set(accepted)
    for key in filters:
        if key not in allowed:
            raise InvalidArgument(f"invalid filter '{key}'")


def bool_filter(filters: dict[str, list[str]], key: str, default: bool = False) -> bool:
    values = filters.get(key)
    if not values:
        return default
    out: set[bool] = set()
    for v in values:
        low = v.strip().lower()
        if low in ("true", "1"):
            out.add(True)
        elif low in ("false", "0"):
            out.add(False)
        else:
            raise InvalidArgument(f"invalid filter '{key}={v}'")
    if len(out) > 1:
        raise InvalidArgument(f"invalid filter '{key}={','.join(values)}'")
    return out.pop()


def match_name(patterns: list[str], name: str) -> bool:
    for p in patterns:
        if p == name:
            return True
        try:
            if re.search(p, name):
                return True
        except re.error:
            continue
    return False


def _kv_match(want: str, labels: dict[str, str]) -> bool:
    key, sep, value = want.partition("=")
    if key not in labels:
        return False
    return not sep or labels[key] == value


def match_labels(wanted: list[str], labels: dict[str, str] | None) -> bool:
    """Every ``key`` / ``key=value`` in ``wanted`` holds (moby's ``MatchKVList``)."""
    labels = labels or {}
    return all(_kv_match(w, labels) for w in wanted)

