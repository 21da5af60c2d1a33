"""``Authorizer``: turns a request's credentials into an ``Identity`` and decides.

Modes (``--auth``)
    none    nobody authenticates; what anonymous may do comes from the flags
            (pull always, push/delete with ``--allow-anonymous-push``) and the ACL.
    basic   ``Authorization: Basic`` checked against the htpasswd file on every
            request; a request without credentials is anonymous.
    token   Docker's bearer-token flow: a request without a valid token gets
            ``401`` + ``WWW-Authenticate: Bearer realm=…,service=…,scope=…``; the
            client fetches a token from the realm (``/token`` on this server,
            see ``endpoint``) with its basic credentials and retries with
            ``Authorization: Bearer <token>``. Basic credentials are accepted
            directly as well, which keeps curl-style use simple.

Decision, for a request needing ``Access(repository, name, actions)``:

    allowed by policy (and by the token's grant, for a bearer token)  → go on
    anonymous, or a token lacking a scope the user could get           → 401 + challenge
    authenticated but the policy says no                               → 403 DENIED
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from dockyard.errors import Unauthorized

from ..errors import RegistryError
from .acl import AccessPolicy
from .htpasswd import Htpasswd
from .scope import CATALOG, Access
from .token import Claims, TokenSigner

__all__ = ["AuthMode", "Identity", "Authorizer"]

AuthMode = Literal["none", "basic", "token"]
BASIC_REALM = "dockyard-registry"


@dataclass(frozen=True)
class Identity:
    """Who is asking: ``user`` is None for anonymous; ``token`` is set for bearer auth."""

    user: str | None
    token: Claims | None = None


ANONYMOUS = Identity(None)


class Authorizer:
    def __init__(
        self,
        mode: AuthMode,
        policy: AccessPolicy,
        *,
        htpasswd: Htpasswd | None = None,
        signer: TokenSigner | None = None,
        realm: str | None = None,
    ) -> None:
        if mode in ("basic", "token") and htpasswd is None:
            raise ValueError(f"auth mode {mode} needs an htpasswd file")
        if mode == "token" and signer is None:
            raise ValueError("token auth needs a signer")
        self.mode = mode
        self.policy = policy
        self.htpasswd = htpasswd
        self.signer = signer
        self.realm = realm

    # -- credentials ----------------------------------------------------------

    async def check_basic(self, header: str) -> str:
        """The user named by a ``Basic`` header, or ``UNAUTHORIZED``."""
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode()
        except (IndexError, binascii.Error, UnicodeDecodeError) as exc:
            raise RegistryError("UNAUTHORIZED", "malformed basic credentials") from exc
        user, sep, password = decoded.partition(":")
        if not sep or self.htpasswd is None:
            raise RegistryError("UNAUTHORIZED", "invalid username or password")
        if not await asyncio.to_thread(self.htpasswd.verify, user, password):
            raise RegistryError("UNAUTHORIZED", "invalid username or password")
        return user

    async def identify(self, request: web.Request, needed: Access | None) -> Identity:
        header = request.headers.get("Authorization", "")
        scheme = header.split(" ", 1)[0].lower()
        if self.mode == "none" or not header:
            return ANONYMOUS
        if scheme == "basic":
            try:
                return Identity(await self.check_basic(header))
            except RegistryError as exc:
                exc.headers.update(self.challenge(request, needed))
                raise
        if scheme == "bearer" and self.mode == "token":
            assert self.signer is not None
            try:
                claims = self.signer.verify(header.split(" ", 1)[1].strip() if " " in header else "")
            except Unauthorized as exc:
                raise RegistryError(
                    "UNAUTHORIZED", str(exc), headers=self.challenge(request, needed, "invalid_token")
                ) from exc
            return Identity(claims.user, claims)
        raise RegistryError("UNAUTHORIZED", "unsupported authorization scheme", headers=self.challenge(request, needed))

    # -- decisions ------------------------------------------------------------

    def allows(self, identity: Identity, access: Access) -> bool:
        """Whether ``identity`` may take ``access`` (policy, and token grant if any)."""
        if access.type == "registry":
            ok = self.policy.may_pull_somewhere(identity.user)
        else:
            ok = access.actions <= self.policy.allowed(identity.user, access.name)
        if ok and identity.token is not None:
            ok = any(grant.covers(access) for grant in identity.token.access)
        return ok

    def grant(self, user: str | None, requested: list[Access]) -> list[Access]:
        """What a token for ``user`` may carry: each requested scope cut down to the policy."""
        out: list[Access] = []
        for want in requested:
            if want.type == "registry" and want.name == "catalog":
                if self.policy.may_pull_somewhere(user):
                    out.append(CATALOG)
                continue
            if want.type != "repository":
                continue
            allowed = self.policy.allowed(user, want.name)
            actions = allowed if "*" in want.actions else want.actions & allowed
            if actions:
                out.append(Access("repository", want.name, frozenset(actions)))
        return out

    async def authorize(self, request: web.Request, needed: Access | None) -> Identity:
        """Identify the caller and check ``needed``; ``None`` means "just authenticated" (/v2/)."""
        if self.mode == "token" and not request.headers.get("Authorization"):
            raise self._unauthorized(request, needed)
        identity = await self.identify(request, needed)
        if needed is None:
            if self.mode == "basic" and identity.user is None and not self.policy.may_act_somewhere(None):
                raise self._unauthorized(request, None)
            return identity
        if self.allows(identity, needed):
            return identity
        if self.mode == "none":
            raise RegistryError("DENIED", self._denied_message(needed, anonymous=True), detail=_detail(needed))
        if identity.user is None:
            raise self._unauthorized(request, needed)
        if identity.token is not None and self.allows(Identity(identity.user), needed):
            # The user may do this, the token just was not asked for it: tell
            # the client which scope to fetch a new token for.
            raise self._unauthorized(request, needed, "insufficient_scope")
        raise RegistryError("DENIED", self._denied_message(needed, anonymous=False), detail=_detail(needed))

    @staticmethod
    def _denied_message(needed: Access, anonymous: bool) -> str:
        actions = ",".join(sorted(needed.actions))
        if anonymous and "push" in needed.actions:
            return f"anonymous {actions} to {needed.name} is disabled (see --allow-anonymous-push)"
        return f"requested access to the resource is denied ({needed.scope})"

    # -- challenges -----------------------------------------------------------

    def _unauthorized(self, request: web.Request, needed: Access | None, error: str | None = None) -> RegistryError:
        return RegistryError(
            "UNAUTHORIZED",
            "authentication required",
            detail=_detail(needed),
            headers=self.challenge(request, needed, error),
        )

    def challenge(self, request: web.Request, needed: Access | None, error: str | None = None) -> dict[str, str]:
        if self.mode == "basic":
            return {"WWW-Authenticate": f'Basic realm="{BASIC_REALM}"'}
        if self.mode != "token":
            return {}
        assert self.signer is not None
        realm = self.realm or f"{request.scheme}://{request.host}/token"
        parts = [f'realm="{realm}"', f'service="{self.signer.service}"']
        if needed is not None:
            actions = set(needed.actions)
            if "push" in actions:
                actions.add("pull")  # what Docker clients ask for when they push
            parts.append(f'scope="{Access(needed.type, needed.name, frozenset(actions)).scope}"')
        if error:
            parts.append(f'error="{error}"')
        return {"WWW-Authenticate": "Bearer " + ",".join(parts)}


def _detail(needed: Access | None) -> list[dict[str, str]] | None:
    if needed is None:
        return None
    return [{"Type": needed.type, "Name": needed.name, "Action": a} for a in sorted(needed.actions)]
