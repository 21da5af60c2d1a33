"""Authentication and authorization for the registry server.

* ``htpasswd`` — bcrypt credentials file.
* ``acl``      — the access policy (who may pull/push/delete which repositories).
* ``scope``    — ``repository:name:actions`` scopes.
* ``token``    — HMAC-signed JWT bearer tokens.
* ``authorizer`` — per-request decision and ``WWW-Authenticate`` challenges.
* ``endpoint`` — the ``/token`` endpoint of the bearer flow.
"""

from __future__ import annotations

from .acl import AccessPolicy, Rule, parse_acl
from .authorizer import AuthMode, Authorizer, Identity
from .htpasswd import Htpasswd
from .scope import ACTIONS, CATALOG, Access, parse_scopes
from .token import Claims, TokenSigner, load_or_create_key

__all__ = [
    "ACTIONS",
    "CATALOG",
    "Access",
    "AccessPolicy",
    "AuthMode",
    "Authorizer",
    "Claims",
    "Htpasswd",
    "Identity",
    "Rule",
    "TokenSigner",
    "load_or_create_key",
    "parse_acl",
    "parse_scopes",
]
