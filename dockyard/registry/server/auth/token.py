"""Bearer tokens: compact JWTs signed with HMAC-SHA256 by the registry itself.

Why HMAC and not the RS256 certificates distribution's token auth uses: the
token endpoint and the registry are the same process, so a shared secret is
enough and needs no PKI. Clients treat the token as opaque.

Claims (JWT names)::

    iss     "dockyard-registry"          who signed it
    sub     user name, "" for anonymous
    aud     the service name (--token-service); a token for another service is refused
    iat nbf exp                          seconds since the epoch; exp = iat + --token-ttl
    jti     random id
    access  [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}]

The key is 32 random bytes kept in ``--token-key FILE`` (created 0600 on
first start), so tokens stay valid across a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import InvalidArgument, Unauthorized

from .scope import Access

__all__ = ["Claims", "TokenSigner", "load_or_create_key", "ISSUER"]

ISSUER = "dockyard-registry"
_LEEWAY = 30


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    subject: str
    access: tuple[Access, ...]
    expires: int

    @property
    def user(self) -> str | None:
        return self.subject or None


class TokenSigner:
    """Issues and verifies tokens for one service."""

    def __init__(self, key: bytes, service: str, ttl: int = 900) -> None:
        if len(key) < 16:
            raise InvalidArgument("token key must be at least 16 bytes")
        self._key = key
        self.service = service
        self.ttl = ttl

    def _sign(self, signing_input: bytes) -> str:
        return _b64(hmac.new(self._key, signing_input, hashlib.sha256).digest())

    def issue(self, subject: str, access: list[Access], now: float | None = None) -> tuple[str, int, int]:
        """Return ``(token, expires_in, issued_at)`` for ``subject`` with ``access``."""
        issued = int(now if now is not None else time.time())
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": self.service,
            "iat": issued,
            "nbf": issued - _LEEWAY,
            "exp": issued + self.ttl,
            "jti": secrets.token_hex(8),
            "access": [a.to_json() for a in access],
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
        return f"{signing_input.decode()}.{self._sign(signing_input)}", self.ttl, issued

    def verify(self, token: str, now: float | None = None) -> Claims:
        """The token's claims, or ``Unauthorized`` if it is forged, expired or foreign."""
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        signing_input = f"{parts[0]}.{parts[1]}".encode()
        if not hmac.compare_digest(self._sign(signing_input), parts[2]):
            raise Unauthorized("invalid token signature")
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            access = tuple(Access.from_json(a) for a in claims.get("access", []))
            expires = int(claims["exp"])
            not_before = int(claims.get("nbf", 0))
        except (ValueError, KeyError, TypeError, InvalidArgument) as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") != "HS256":
            raise Unauthorized("unsupported token algorithm")
        if claims.get("aud") != self.service or claims.get("iss") != ISSUER:
            raise Unauthorized("token issued for another service")
        current = now if now is not None else time.time()
        if current > expires + _LEEWAY:
            raise Unauthorized("token expired")
        if current < not_before - _LEEWAY:
            raise Unauthorized("token not valid yet")
        return Claims(str(claims.get("sub", "")), access, expires)


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """Read the signing key at ``path``, creating a random one (mode 0600) if absent."""
    target = Path(path)
    try:
        return bytes.fromhex(target.read_text().strip())
    except FileNotFoundError:
        pass
    except ValueError as exc:
        raise InvalidArgument(f"token key file {target} must hold hex") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_key(target)  # another process created it first
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
        handle.flush()
        os.fsync(handle.fileno())
    return key
