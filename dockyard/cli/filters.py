"""``--filter key=value`` flags → the API's filter map (docker's opts.FilterOpt).

Repeated keys accumulate (``-f status=exited -f status=created`` matches either), which is
how the daemon reads them too.
"""

from __future__ import annotations

from dockyard.errors import InvalidArgument

__all__ = ["check_filter", "parse_filters"]

_BAD = "bad format of filter (expected name=value)"


def check_filter(item: str) -> str:
    """A ``--filter`` flag's ``convert`` hook: docker rejects ``-f foo`` while parsing flags (exit 125)."""
    if "=" not in item or not item.partition("=")[0].strip():
        raise ValueError(_BAD)
    return item


def parse_filters(items: list[str]) -> dict[str, list[str]]:
    """``["status=exited", "label=a=b"]`` → ``{"status": ["exited"], "label": ["a=b"]}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise InvalidArgument(_BAD)
        values = out.setdefault(key, [])
        value = value.strip()
        if value not in values:
            values.append(value)
    return out
