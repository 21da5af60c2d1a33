"""One registry, one operation: the HTTP session, http-or-https, auth, retries and resumable downloads.

Vocabulary:

- *endpoint*: ``scheme://host`` a registry answers on. Secure registries get ``https``
  with certificate checks only. *Insecure* ones — loopback (127.0.0.0/8, ::1,
  ``localhost``) as Docker treats them, plus what the daemon's ``--insecure-registry``
  lists (host, host:port or CIDR) — are tried on ``https`` without verification, then
  on plain ``http`` (Docker's order).
- *scopes*: what the operation needs, ``repository:<name>:pull[,push]``; a bearer
  token is fetched once for all of them (a push that mounts from another repository
  adds that repository's ``pull`` scope and fetches a new token).
- *retry*: idempotent requests (GET/HEAD) are retried on connection failures and 5xx/429
  with back-off; a blob download cut short resumes with ``Range: bytes=<have>-``
  (and skips what it already has if the registry ignores the range and sends 200).

Example::

    async with Transport("127.0.0.1:5000", creds, scopes=["repository:x:pull"]) as t:
        body, media_type = await t.get_manifest("x", "1", ACCEPT)
        await t.download("x", digest, "/tmp/layer", on_progress=print)
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from dockyard.errors import (DockyardError, Forbidden, InvalidArgument, NotFound, Unauthorized,
                             Unavailable)
from dockyard.registry.client.auth import Challenge, Credentials, fetch_token, parse_challenges

__all__ = ["Transport", "is_insecure", "registry_error", "BodyFactory", "VerificationError"]

log = logging.getLogger("dockyard.registry.client")

#: A callable giving a fresh body each time (so a request can be re-sent after a 401).
BodyFactory = Callable[[], "bytes | AsyncIterable[bytes]"]
ProgressFn = Callable[[int], None]
#: Takes the next chunks of a blob (``stream_blob``); awaited before more are read.
SinkFn = Callable[[list[bytes]], Awaitable[None]]

_BODILESS = {401: "unauthorized: authentication required",
             403: "denied: requested access to the resource is denied"}
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ATTEMPTS = 5
_CHUNK = 1 << 20


class VerificationError(InvalidArgument):
    """A blob or manifest whose bytes do not hash to the digest it was asked for."""


def is_insecure(host: str, insecure_registries: Sequence[str] = ()) -> bool:
    """Docker's rule: loopback and ``--insecure-registry`` entries may use http."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]", 1)[0]
    if host.count(":") > 1 and not host.startswith("["):
        name = host  # a bare IPv6 address
    if name == "localhost" or name.endswith(".localhost"):
        return True
    addr = None
    try:
        addr = ipaddress.ip_address(name)
    except ValueError:
        pass
    if addr is not None and addr.is_loopback:
        return True
    for entry in insecure_registries:
        entry = entry.strip()
        for prefix in ("http://", "https://"):
            entry = entry.removeprefix(prefix)
        entry = entry.rstrip("/")
        if entry in (host, name):
            return True
        if addr is not None and "/" in entry:
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def registry_error(status: int, body: bytes, what: str = "") -> DockyardError:
    """A registry's error reply as a kind, with Docker's text ``<code>: <message>``."""
    text = ""
    try:
        doc = json.loads(body) if body.strip() else None
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"]:
        parts = []
        for err in doc["errors"]:
            if isinstance(err, dict):
                code = str(err.get("code", "unknown")).lower().replace("_", " ")
                parts.append(f"{code}: {err.get('message', '')}".rstrip(": "))
        text = ", ".join(parts)
    if not text and not body.strip() and status in _BODILESS:
        text = _BODILESS[status]  # HEAD replies have no body: Docker's words for the status
    if not text:
        # No structured error: say what was attempted (the registry's codes say it otherwise).
        text = body[:300].decode(errors="replace").strip() or f"HTTP status {status}"
        if what:
            text = f"{what}: {text}"
    if status == 401:
        return Unauthorized(text)
    if status == 403:
        return Forbidden(text)
    if status == 404:
        return NotFound(text)
    if status == 400:
        return InvalidArgument(text)
    return DockyardError(text)


class Transport:
    """HTTP to one registry on behalf of one operation (see the module docstring)."""

    def __init__(self, host: str, creds: Credentials | None = None, *, scopes: Sequence[str] = (),
                 insecure_registries: Sequence[str] = (), connections: int = 16) -> None:
        self.host = host
        self.creds = creds or Credentials()
        self.scopes = list(scopes)
        self.insecure = is_insecure(host, list(insecure_registries))
        self.base = ""
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._challenge: Challenge | None = None
        self._authorization: str | None = None
        self._auth_lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------
    async def __aenter__(self) -> Transport:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, ssl=self._ssl),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=300),
                auto_decompress=False, trust_env=False)
        return self._session

    @property
    def _ssl(self) -> Any:
        return False if self.insecure else None  # False: no certificate verification

    async def open(self) -> None:
        """Find the endpoint (``/v2/`` ping) and learn the auth challenge."""
        schemes = ["https", "http"] if self.insecure else ["https"]
        last: Exception | None = None
        for scheme in schemes:
            url = f"{scheme}://{self.host}/v2/"
            try:
                async with self.session.get(url, allow_redirects=False) as resp:
                    await resp.read()
                    if resp.status == 401:
                        self._challenge = self._pick_challenge(resp)
                    elif resp.status >= 500 or resp.status == 404:
                        raise registry_error(resp.status, b"", f"{url} is not a registry")
                    self.base = f"{scheme}://{self.host}"
                    return
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                last = exc
                log.debug("ping %s failed: %s", url, exc)
        raise Unavailable(f'Get "{schemes[-1]}://{self.host}/v2/": {last}')

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- auth ---------------------------------------------------------------------------
    @property
    def challenge(self) -> Challenge | None:
        """What ``/v2/`` asked for (None: the registry lets anyone in)."""
        return self._challenge

    @staticmethod
    def _pick_challenge(resp: aiohttp.ClientResponse) -> Challenge | None:
        found: list[Challenge] = []
        for value in resp.headers.getall("WWW-Authenticate", []):
            found += parse_challenges(value)
        for scheme in ("bearer", "basic"):
            for ch in found:
                if ch.scheme == scheme:
                    return ch
        return None

    async def authorize(self, *, force: bool = False) -> None:
        """Compute the ``Authorization`` header for the scopes (a token fetch for Bearer)."""
        async with self._auth_lock:
            if self._authorization is not None and not force:
                return
            ch = self._challenge
            if ch is None:
                self._authorization = ""
            elif ch.scheme == "basic":
                basic = self.creds.basic()
                if basic is None:
                    raise Unauthorized("unauthorized: authentication required")
                self._authorization = basic
            else:
                token = await fetch_token(self.session, ch, self.scopes, self.creds, ssl=self._ssl)
                self._authorization = f"Bearer {token}"

    async def add_scopes(self, scopes: list[str]) -> None:
        """Widen the token (cross-repository mount needs pull on the source)."""
        new = [s for s in scopes if s not in self.scopes]
        if not new:
            return
        self.scopes += new
        if self._challenge is not None and self._challenge.scheme == "bearer":
            await self.authorize(force=True)

    # -- requests -----------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if "://" in path else self.base + path

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      body: BodyFactory | None = None, params: Any = None,
                      retry: bool | None = None) -> aiohttp.ClientResponse:
        """Send with auth; retry idempotent requests. The caller reads and releases the reply."""
        if not self.base:
            await self.open()
        await self.authorize()
        retry = method in ("GET", "HEAD") if retry is None else retry
        attempts = _ATTEMPTS if retry else 1
        reauthed = False
        attempt = 0
        while True:
            attempt += 1
            hdrs = dict(headers or {})
            if self._authorization:
                hdrs["Authorization"] = self._authorization
            try:
                resp = await self.session.request(method, self.url(path), headers=hdrs,
                                                  data=body() if body else None, params=params)
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as exc:
                if attempt >= attempts:
                    raise Unavailable(f"{method} {self.url(path)}: {exc or type(exc).__name__}") from exc
                await asyncio.sleep(min(0.25 * 2 ** attempt, 4))
                continue
            if resp.status == 401 and not reauthed:
                # Expired token, or the registry wants auth only for this (push) request.
                challenge = self._pick_challenge(resp)
                if challenge is not None:
                    resp.release()
                    self._challenge = challenge
                    reauthed = True
                    await self.authorize(force=True)
                    attempt -= 1
                    continue
            if resp.status in _RETRY_STATUSES and attempt < attempts:
                resp.release()
                await asyncio.sleep(min(0.25 * 2 ** attempt, 4))
                continue
            return resp

    async def check(self, resp: aiohttp.ClientResponse, ok: tuple[int, ...], what: str = "") -> bytes:
        """Read the reply; raise the registry's error unless its status is in ``ok``."""
        async with resp:
            data = await resp.read()
            if resp.status not in ok:
                raise registry_error(resp.status, data, what)
            return data

    # -- manifests ------------------------------------------------------------------------
    async def get_manifest(self, repo: str, ref: str, accept: list[str]) -> tuple[bytes, str]:
        """``(bytes, media type)`` of a manifest by tag or digest (digest verified)."""
        resp = await self.request("GET", f"/v2/{repo}/manifests/{ref}",
                                  headers={"Accept": ", ".join(accept)})
        media = resp.headers.get("Content-Type", "").split(";", 1)[0].strip()
        claimed = resp.headers.get("Docker-Content-Digest", "")
        data = await self.check(resp, (200,))
        if ":" in ref:
            verify_bytes(data, ref, "manifest")
        elif claimed.startswith("sha256:"):
            verify_bytes(data, claimed, "manifest")  # a tag has no digest but its reply's
        if not media or media in ("application/json", "text/plain"):
            try:
                media = str(json.loads(data).get("mediaType") or "")
            except (ValueError, AttributeError):
                media = ""
        return data, media

    async def list_tags(self, repo: str) -> list[str]:
        """Every tag of ``repo``, following the registry's ``Link`` pagination."""
        tags: list[str] = []
        path: str | None = f"/v2/{repo}/tags/list"
        while path:
            resp = await self.request("GET", path)
            link = resp.headers.get("Link", "")
            doc = json.loads(await self.check(resp, (200,)) or b"{}")
            tags += [str(x) for x in doc.get("tags") or []]
            path = None
            if 'rel="next"' in link:
                path = link.split(";", 1)[0].strip().strip("<>")
        return tags

    async def blob_exists(self, repo: str, digest: str) -> bool:
        resp = await self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        async with resp:
            if resp.status == 200:
                return True
            if resp.status == 404:
                return False
            raise registry_error(resp.status, b"", f"HEAD blob {digest}")

    async def fetch_small(self, repo: str, digest: str, limit: int = 8 << 20) -> bytes:
        """A small blob (a config) in memory, verified."""
        resp = await self.request("GET", f"/v2/{repo}/blobs/{digest}")
        data = await self.check(resp, (200,))
        if len(data) > limit:
            raise InvalidArgument(f"blob {digest} is larger than {limit} bytes")
        verify_bytes(data, digest, "blob")
        return data

    async def download(self, repo: str, digest: str, dest: str, *,
                       on_progress: ProgressFn | None = None) -> int:
        """Stream a blob into the file ``dest``, resuming cut downloads; verify the digest.

        ``dest`` holds exactly the verified blob when this returns (its size is returned);
        on a digest mismatch it is removed and VerificationError raised.
        """
        alg = digest.split(":", 1)[0]
        hasher = hashlib.new(alg)
        with open(dest, "wb") as f:
            have = await self.stream_blob(
                repo, digest, lambda chunks: asyncio.to_thread(_write, f, hasher, chunks),
                on_progress=on_progress)
            await asyncio.to_thread(f.flush)
        actual = f"{alg}:{hasher.hexdigest()}"
        if actual != digest:
            os.unlink(dest)
            raise VerificationError(f"filesystem layer verification failed for digest {digest}")
        return have

    async def stream_blob(self, repo: str, digest: str, sink: SinkFn, *,
                          on_progress: ProgressFn | None = None) -> int:
        """Hand a blob's bytes, in order and about 1 MiB at a time, to ``sink``; resume cut downloads.

        Every byte reaches ``sink`` exactly once: a resumed request asks for ``Range:
        bytes=<have>-``, and when the registry ignores it (200, the whole blob again) the
        first ``have`` bytes of the new reply are skipped. Nothing here checks the digest:
        the caller hashes what ``sink`` got (the blob is untrusted until it does). Returns
        the byte count.
        """
        have = 0
        failures = 0
        while True:
            headers = {"Range": f"bytes={have}-"} if have else {}
            resp = await self.request("GET", f"/v2/{repo}/blobs/{digest}", headers=headers)
            pending: list[bytes] = []
            size = 0
            skip = 0
            try:
                if resp.status == 200 and have:
                    skip = have  # the registry ignored Range: drop what we already have
                elif resp.status not in (200, 206):
                    raise registry_error(resp.status, await resp.read(), f"GET blob {digest}")
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    if skip:
                        cut = min(skip, len(chunk))
                        skip -= cut
                        chunk = chunk[cut:]
                        if not chunk:
                            continue
                    pending.append(chunk)
                    size += len(chunk)
                    if size >= _CHUNK:
                        await sink(pending)
                        have += size
                        pending, size = [], 0
                        if on_progress:
                            on_progress(have)
                if pending:
                    await sink(pending)
                    have += size
                    if on_progress:
                        on_progress(have)
                return have
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError,
                    asyncio.TimeoutError) as exc:
                if pending:  # keep what did arrive: the retry asks for the rest
                    await sink(pending)
                    have += size
                failures += 1
                if failures >= _ATTEMPTS:
                    raise Unavailable(f"download of {digest} failed: {exc}") from exc
                log.info("download of %s cut at %d bytes (%s): resuming", digest, have, exc)
                await asyncio.sleep(min(0.25 * 2 ** failures, 4))
            finally:
                resp.release()


def _write(f: Any, hasher: Any, chunks: list[bytes]) -> None:
    for c in chunks:
        f.write(c)
        hasher.update(c)


def verify_bytes(data: bytes, digest: str, what: str) -> None:
    alg = digest.split(":", 1)[0]
    try:
        actual = f"{alg}:{hashlib.new(alg, data).hexdigest()}"
    except ValueError as exc:
        raise InvalidArgument(f"unsupported digest algorithm: {digest}") from exc
    if actual != digest:
        raise VerificationError(f"{what} verification failed for digest {digest}")
