"""Who may do what: the access policy, from flags and an optional ACL file.

ACL file format (``--acl FILE``), one rule per line, ``#`` starts a comment::

    # user        repository pattern   actions
    alice         *                    pull,push,delete
    bob           team/*               pull,push
    *             public/*             pull        # any authenticated user
    anonymous     public/*             pull        # requests without credentials

* ``user`` is an htpasswd user name, ``*`` (every authenticated user) or
  ``anonymous`` (no credentials).
* The pattern is a shell glob over the whole repository name (``fnmatch``:
  ``*`` also matches ``/``).
* Actions are ``pull``, ``push``, ``delete`` or ``*`` for all three. Push
  implies nothing else: give ``pull,push`` to a user who should also pull.
* Rules add up: a user's actions on a repository are the union of every
  matching rule. Nothing is allowed that no rule grants.

Without an ACL file every authenticated user may pull, push and delete
everywhere. Whatever the file says, anonymous requests may also pull when no
htpasswd file is configured or ``--allow-anonymous-pull`` is given, and pull,
push and delete when ``--allow-anonymous-push`` is given.

The catalog (``/v2/_catalog``) is open to anyone who may pull somewhere, and
lists only the repositories the caller may pull.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import InvalidArgument

from .scope import ACTIONS

__all__ = ["Rule", "AccessPolicy", "ANONYMOUS"]

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Rule:
    user: str
    pattern: str
    actions: frozenset[str]

    def applies(self, user: str | None, repository: str) -> bool:
        if user is None:
            if self.user != ANONYMOUS:
                return False
        elif self.user not in ("*", user):
            return False
        return fnmatch.fnmatchcase(repository, self.pattern)


def _parse_actions(text: str, where: str) -> frozenset[str]:
    actions = {a.strip() for a in text.split(",") if a.strip()}
    if "*" in actions:
        return ACTIONS
    unknown = actions - ACTIONS
    if unknown or not actions:
        raise InvalidArgument(f"{where}: unknown action(s) {', '.join(sorted(unknown)) or '(none)'}")
    return frozenset(actions)


def parse_acl(text: str, source: str = "acl") -> list[Rule]:
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 3:
            raise InvalidArgument(f"{source}:{number}: expected 'user pattern actions'")
        user, pattern, actions = fields
        rules.append(Rule(user, pattern, _parse_actions(actions, f"{source}:{number}")))
    return rules


class AccessPolicy:
    """Answers "which actions may this user take on this repository"."""

    def __init__(self, rules: list[Rule] | None, anonymous: frozenset[str] = frozenset()) -> None:
        self.rules = rules
        self.anonymous = anonymous

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], anonymous: frozenset[str] = frozenset()) -> AccessPolicy:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise InvalidArgument(f"cannot read ACL file {path}: {exc.strerror}") from exc
        return cls(parse_acl(text, str(path)), anonymous)

    def allowed(self, user: str | None, repository: str) -> frozenset[str]:
        granted: set[str] = set(self.anonymous) if user is None else set()
        if self.rules is None:
            if user is not None:
                return ACTIONS
        else:
            for rule in self.rules:
                if rule.applies(user, repository):
                    granted |= rule.actions
        return frozenset(granted)

    def may_pull_somewhere(self, user: str | None) -> bool:
        """Whether ``user`` has any read access at all (gates /v2/ and the catalog)."""
        if user is None:
            if "pull" in self.anonymous:
                return True
            return any(r.user == ANONYMOUS and "pull" in r.actions for r in self.rules or [])
        if self.rules is None:
            return True
        return any(r.user in ("*", user) and "pull" in r.actions for r in self.rules)

    def may_act_somewhere(self, user: str | None) -> bool:
        if user is not None:
            return True
        return bool(self.anonymous) or any(r.user == ANONYMOUS for r in self.rules or [])
