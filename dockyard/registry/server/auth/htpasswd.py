"""Apache-style htpasswd files with bcrypt entries (``htpasswd -B``).

Format: one ``user:hash`` per line, ``#`` comments and blank lines ignored.
Only bcrypt hashes (``$2a$``, ``$2b$``, ``$2y$``) are accepted: the older
MD5/SHA1/crypt schemes are weak and distribution refuses them too.

Why a cache: bcrypt is slow on purpose (tens of milliseconds per check) and
basic auth sends the password with *every* request, so successful checks are
remembered by a keyed hash of (user, password) — never the password itself.
The file is re-read when its modification time changes, so adding a user needs
no restart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

import bcrypt

from dockyard.errors import InvalidArgument

__all__ = ["Htpasswd"]

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_CACHE_LIMIT = 4096


def _parse(path: Path) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidArgument(f"cannot read htpasswd file {path}: {exc.strerror}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user:
            raise InvalidArgument(f"{path}:{number}: expected user:hash")
        if not hashed.startswith(_BCRYPT_PREFIXES):
            raise InvalidArgument(f"{path}:{number}: user {user!r} has no bcrypt hash (use htpasswd -B)")
        entries[user] = hashed.encode()
    return entries


class Htpasswd:
    """Credentials from an htpasswd file; ``verify`` is blocking (bcrypt)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache_key = secrets.token_bytes(32)
        self._ok: set[bytes] = set()
        self._mtime = 0.0
        self._entries: dict[str, bytes] = {}
        self._reload(force=True)

    def _reload(self, force: bool = False) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            if force:
                raise InvalidArgument(f"cannot read htpasswd file {self.path}: {exc.strerror}") from exc
            return
        if not force and mtime == self._mtime:
            return
        entries = _parse(self.path)
        with self._lock:
            self._entries = entries
            self._mtime = mtime
            self._ok.clear()

    @property
    def users(self) -> list[str]:
        return sorted(self._entries)

    def verify(self, user: str, password: str) -> bool:
        self._reload()
        key = hmac.new(self._cache_key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if key in self._ok:
                return True
            hashed = self._entries.get(user)
        if hashed is None:
            return False
        try:
            ok = bcrypt.checkpw(password.encode(), hashed)
        except ValueError:
            return False
        if ok:
            with self._lock:
                if len(self._ok) >= _CACHE_LIMIT:
                    self._ok.clear()
                self._ok.add(key)
        return ok
