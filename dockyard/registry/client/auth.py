"""Who we are to a registry: credentials, ``WWW-Authenticate`` challenges and bearer tokens.

Three sources of credentials, in the order the Engine API and the CLI use them:

- the ``X-Registry-Auth`` header of an API request: base64url JSON
  ``{"username", "password", "serveraddress"}`` or ``{"identitytoken"}``
  (:func:`decode_registry_auth`; :func:`encode_registry_auth` is the CLI side);
- Docker's ``config.json`` (``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``):
  ``auths.<host>.auth`` is base64 ``user:password``, ``auths.<host>.identitytoken`` an
  OAuth refresh token; ``credHelpers.<host>`` or ``credsStore`` name a helper
  ``docker-credential-<name>``, run as ``get`` with the server address on stdin,
  answering ``{"ServerURL", "Username", "Secret"}`` (``Username == "<token>"`` means the
  secret is an identity token) — :func:`credentials_for`;
- nothing: anonymous (registries may still hand out anonymous pull tokens).

The token dance (distribution's token spec)::

    GET /v2/<name>/manifests/1            → 401  WWW-Authenticate: Bearer realm="https://r/token",
                                                   service="reg",scope="repository:<name>:pull"
    GET https://r/token?service=reg&scope=repository:<name>:pull    (Basic user:password)
                                          → {"token": "…"} (or "access_token")
    GET /v2/<name>/manifests/1            Authorization: Bearer …  → 200

With an identity token the token request is an OAuth2 ``POST`` (``grant_type=refresh_token``).
A ``Basic`` challenge just means: send ``user:password`` on every request.

Importing this module costs no more than ``json`` and ``base64``: the CLI uses it to
build ``X-Registry-Auth``; aiohttp is imported only by :func:`fetch_token`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.errors import InvalidArgument, Unauthorized

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "Credentials",
    "Challenge",
    "parse_challenges",
    "decode_registry_auth",
    "encode_registry_auth",
    "normalize_host",
    "config_path",
    "load_config",
    "credentials_for",
    "store_credentials",
    "remove_credentials",
    "save_config",
    "registry_auth_header",
    "fetch_token",
    "DOCKER_HUB_AUTH_KEY",
]

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_TOKEN_USERNAME = "<token>"


@dataclass(frozen=True)
class Credentials:
    """What we may present; an empty value (``Credentials()``) is anonymous."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)

    def basic(self) -> str | None:
        """The ``Authorization: Basic`` value, when there is a user name and password."""
        if not self.username and not self.password:
            return None
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: ``Bearer realm="…",service="…"``."""

    scheme: str                      # lower case: "bearer" or "basic"
    params: dict[str, str] = field(default_factory=dict)


_CHALLENGE_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a ``WWW-Authenticate`` value (one or more challenges, RFC 7235).

    >>> parse_challenges('Bearer realm="http://r/token",service="s",scope="a:b:pull,push"')
    [Challenge(scheme='bearer', params={'realm': 'http://r/token', 'service': 's', 'scope': 'a:b:pull,push'})]
    """
    out: list[Challenge] = []
    pos = 0
    text = header.strip()
    while pos < len(text):
        m = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*").match(text, pos)
        if not m:
            break
        scheme = m.group(1).lower()
        pos = m.end()
        params: dict[str, str] = {}
        while pos < len(text):
            p = _CHALLENGE_PARAM.match(text, pos)
            if not p:
                break
            # A bare word followed by a space (not "=") starts the next challenge.
            params[p.group(1).lower()] = (p.group(2) if p.group(2) is not None else p.group(3)
                                          ).replace('\\"', '"')
            pos = p.end()
        out.append(Challenge(scheme, params))
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return out


# -- X-Registry-Auth -------------------------------------------------------------------

def _b64decode(value: str) -> bytes:
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        return base64.b64decode(padded)  # some clients send standard base64


def decode_registry_auth(header: str | None) -> Credentials:
    """Decode ``X-Registry-Auth``; absent or ``{}`` is anonymous, junk is InvalidArgument."""
    if not header or not header.strip():
        return Credentials()
    try:
        doc = json.loads(_b64decode(header))
    except (ValueError, binascii.Error) as exc:
        raise InvalidArgument(f"invalid X-Registry-Auth header: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidArgument("invalid X-Registry-Auth header: not a JSON object")
    return credentials_from_doc(doc)


def credentials_from_doc(doc: dict[str, Any]) -> Credentials:
    """The fields of an AuthConfig (``/auth`` body, ``X-Registry-Auth``) as Credentials."""
    user = str(doc.get("username") or doc.get("Username") or "")
    password = str(doc.get("password") or doc.get("Password") or "")
    auth = doc.get("auth") or doc.get("Auth")
    if auth and not user:
        user, _, password = _b64decode(str(auth)).decode().partition(":")
    return Credentials(username=user, password=password,
                       identity_token=str(doc.get("identitytoken") or doc.get("IdentityToken") or ""),
                       registry_token=str(doc.get("registrytoken") or doc.get("RegistryToken") or ""))


def encode_registry_auth(creds: Credentials, server_address: str = "") -> str:
    """The ``X-Registry-Auth`` value the docker CLI sends (base64url of compact JSON)."""
    doc: dict[str, str] = {}
    if creds.username:
        doc["username"] = creds.username
    if creds.password:
        doc["password"] = creds.password
    if creds.identity_token:
        doc["identitytoken"] = creds.identity_token
    if creds.registry_token:
        doc["registrytoken"] = creds.registry_token
    if server_address:
        doc["serveraddress"] = server_address
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


# -- config.json and credential helpers ------------------------------------------------

def normalize_host(address: str) -> str:
    """``https://127.0.0.1:5000/v2/`` → ``127.0.0.1:5000``; Docker Hub's aliases → ``docker.io``."""
    host = address.strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/", 1)[0]
    if host in ("index.docker.io", "registry-1.docker.io", "docker.io", ""):
        return "docker.io"
    return host


def config_path(config_dir: str | None = None) -> str:
    base = config_dir or os.environ.get("DOCKER_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def load_config(path: str | None = None) -> dict[str, Any]:
    """The parsed config.json (``{}`` when absent); a broken file is InvalidArgument."""
    path = path or config_path()
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise InvalidArgument(f"{path}: invalid JSON: {exc}") from exc
    return doc if isinstance(doc, dict) else {}


def _helper_get(helper: str, server: str) -> Credentials:
    """Ask ``docker-credential-<helper> get``; "credentials not found" is anonymous."""
    import subprocess  # lazy: only configs with helpers pay for it

    try:
        proc = subprocess.run([f"docker-credential-{helper}", "get"], input=server.encode(),
                              capture_output=True, timeout=30)
    except FileNotFoundError as exc:
        raise InvalidArgument(f"credential helper docker-credential-{helper} not found "
                              "in PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unauthorized(f"credential helper docker-credential-{helper} timed out") from exc
    if proc.returncode != 0:
        text = (proc.stdout or proc.stderr).decode(errors="replace").strip()
        if "credentials not found" in text.lower():
            return Credentials()
        raise Unauthorized(f"error getting credentials - docker-credential-{helper}: {text}")
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise Unauthorized(f"credential helper docker-credential-{helper}: bad answer") from exc
    user, secret = str(doc.get("Username", "")), str(doc.get("Secret", ""))
    if user == _TOKEN_USERNAME:
        return Credentials(identity_token=secret)
    return Credentials(username=user, password=secret)


def _auth_keys(host: str) -> list[str]:
    if host == "docker.io":
        return [DOCKER_HUB_AUTH_KEY, "index.docker.io", "docker.io", "registry-1.docker.io"]
    return [host, f"https://{host}", f"http://{host}", f"https://{host}/v1/",
            f"https://{host}/v2/", f"http://{host}/v2/"]


def credentials_for(registry: str, config: dict[str, Any] | None = None) -> Credentials:
    """Credentials for ``registry`` (a host or URL) from config.json, as the docker CLI finds them."""
    host = normalize_host(registry)
    cfg = load_config() if config is None else config
    server = DOCKER_HUB_AUTH_KEY if host == "docker.io" else host
    helpers = cfg.get("credHelpers") or {}
    for key in _auth_keys(host):
        if key in helpers:
            return _helper_get(str(helpers[key]), server)
    if cfg.get("credsStore"):
        return _helper_get(str(cfg["credsStore"]), server)
    auths = cfg.get("auths") or {}
    for key, entry in auths.items():
        if normalize_host(key) == host and isinstance(entry, dict):
            return credentials_from_doc(entry)
    return Credentials()


def store_credentials(registry: str, creds: Credentials, path: str | None = None) -> None:
    """Record a login in config.json (``auths``), crash-safely; helpers are the CLI's business."""
    path = path or config_path()
    cfg = load_config(path)
    host = normalize_host(registry)
    key = DOCKER_HUB_AUTH_KEY if host == "docker.io" else host
    entry: dict[str, str] = {}
    if creds.username or creds.password:
        entry["auth"] = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    if creds.identity_token:
        entry["identitytoken"] = creds.identity_token
    cfg.setdefault("auths", {})[key] = entry
    save_config(path, cfg)


def remove_credentials(registry: str, path: str | None = None) -> bool:
    """Drop ``registry``'s ``auths`` entries from config.json; whether there was one."""
    path = path or config_path()
    cfg = load_config(path)
    host = normalize_host(registry)
    auths = cfg.get("auths") or {}
    keys = [k for k in auths if normalize_host(k) == host]
    for key in keys:
        del auths[key]
    if keys:
        save_config(path, cfg)
    return bool(keys)


def save_config(path: str, cfg: dict[str, Any]) -> None:
    """Write config.json crash-safely (temp file, fsync, rename), readable by its owner only."""
    import tempfile

    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config.json.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent="\t")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def registry_auth_header(registry: str, config: dict[str, Any] | None = None) -> str:
    """The ``X-Registry-Auth`` value for ``registry`` from config.json (what ``dockyard pull`` sends)."""
    creds = credentials_for(registry, config)
    host = normalize_host(registry)
    return encode_registry_auth(creds, DOCKER_HUB_AUTH_KEY if host == "docker.io" else host)


# -- tokens ------------------------------------------------------------------------------

async def fetch_token(session: aiohttp.ClientSession, challenge: Challenge, scopes: list[str],
                      creds: Credentials, *, ssl: Any = None) -> str:
    """Get a bearer token for ``scopes`` from the challenge's realm.

    Wrong credentials → Unauthorized("unauthorized: incorrect username or password"),
    the text Docker shows for a failed ``docker login``.
    """
    import aiohttp

    if creds.registry_token:
        return creds.registry_token
    realm = challenge.params.get("realm")
    if not realm:
        raise Unauthorized("unauthorized: bearer challenge without a realm")
    service = challenge.params.get("service", "")
    try:
        if creds.identity_token:
            form = [("grant_type", "refresh_token"), ("refresh_token", creds.identity_token),
                    ("client_id", "dockyard"), ("service", service)]
            form += [("scope", " ".join(scopes))] if scopes else []
            resp_cm = session.post(realm, data=form, ssl=ssl)
        else:
            query = [("service", service)] if service else []
            query += [("scope", s) for s in scopes]
            if not creds.anonymous:
                query += [("account", creds.username)]
            headers = {}
            basic = creds.basic()
            if basic:
                headers["Authorization"] = basic
            resp_cm = session.get(realm, params=query, headers=headers, ssl=ssl)
        async with resp_cm as resp:
            body = await resp.read()
            if resp.status in (401, 403):
                raise Unauthorized("unauthorized: incorrect username or password")
            if resp.status >= 400:
                raise Unauthorized(f"unauthorized: token server {realm} answered {resp.status}: "
                                   f"{body[:200].decode(errors='replace')}")
    except aiohttp.ClientError as exc:
        raise Unauthorized(f"unauthorized: cannot reach token server {realm}: {exc}") from exc
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise Unauthorized(f"unauthorized: token server {realm} sent invalid JSON") from exc
    token = doc.get("token") or doc.get("access_token")
    if not token:
        raise Unauthorized(f"unauthorized: token server {realm} sent no token")
    return str(token)
