"""Access scopes as Docker's token protocol spells them.

A scope is ``type:name:action[,action…]``, e.g. ``repository:team/app:pull,push``
or ``registry:catalog:*``. The type may carry a class in parentheses
(``repository(plugin):x:pull``), which is ignored. A token request may carry
several ``scope`` parameters, each possibly holding several space-separated
scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from dockyard.errors import InvalidArgument

__all__ = ["ACTIONS", "Access", "parse_scopes", "CATALOG"]

#: The repository actions dockyard knows; ``*`` in a request means "all of them".
ACTIONS: frozenset[str] = frozenset({"pull", "push", "delete"})


@dataclass(frozen=True)
class Access:
    """One resource and the actions wanted on (or granted for) it."""

    type: str
    name: str
    actions: frozenset[str]

    @property
    def scope(self) -> str:
        order = ["pull", "push", "delete", "*"]
        actions = sorted(self.actions, key=lambda a: order.index(a) if a in order else len(order))
        return f"{self.type}:{self.name}:{','.join(actions)}"

    def covers(self, other: Access) -> bool:
        """True if this grant includes every action ``other`` needs."""
        if (self.type, self.name) != (other.type, other.name):
            return False
        return "*" in self.actions or other.actions <= self.actions

    def to_json(self) -> dict[str, object]:
        return {"type": self.type, "name": self.name, "actions": sorted(self.actions)}

    @classmethod
    def from_json(cls, value: object) -> Access:
        if not isinstance(value, dict):
            raise InvalidArgument("access entry must be an object")
        actions = value.get("actions") or []
        if not isinstance(actions, list):
            raise InvalidArgument("access actions must be a list")
        return cls(str(value.get("type", "")), str(value.get("name", "")), frozenset(str(a) for a in actions))


CATALOG = Access("registry", "catalog", frozenset({"*"}))


def _parse_one(text: str) -> Access:
    resource, sep, actions = text.rpartition(":")
    kind, sep2, name = resource.partition(":")
    if not sep or not sep2 or not kind or not name or not actions:
        raise InvalidArgument(f"invalid scope {text!r}")
    if "(" in kind:
        kind = kind.split("(", 1)[0]
    return Access(kind, name, frozenset(a for a in actions.split(",") if a))


def parse_scopes(values: Iterable[str]) -> list[Access]:
    """Parse ``scope`` parameters; raise ``InvalidArgument`` on a malformed one."""
    out: list[Access] = []
    for value in values:
        for item in value.split():
            out.append(_parse_one(item))
    return out
