"""The token endpoint (``GET /token``), served by the registry process itself.

Request, as Docker clients send it after a ``Bearer`` challenge::

    GET /token?service=dockyard-registry&scope=repository:team/app:pull,push
    Authorization: Basic <user:password>          (absent for anonymous)

Response (both names, because clients differ in which they read)::

    {"token": "<jwt>", "access_token": "<jwt>", "expires_in": 900, "issued_at": "…Z"}

Wrong credentials get ``401 UNAUTHORIZED``. Right credentials always get a
token, carrying only the scopes the ACL grants (possibly none): the registry
then refuses what is missing, the way Docker Hub does. ``POST`` with an OAuth2
``grant_type=password`` form is accepted too (``docker login`` may use it).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from aiohttp import web

from dockyard.errors import InvalidArgument

from ..errors import RegistryError
from .authorizer import BASIC_REALM, Authorizer
from .scope import parse_scopes

__all__ = ["token_handler"]


def _error(exc: RegistryError) -> web.Response:
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Basic realm="{BASIC_REALM}"'
    return web.Response(status=exc.status, body=exc.body(), content_type="application/json", headers=headers)


async def token_handler(request: web.Request, authorizer: Authorizer) -> web.Response:
    if authorizer.mode != "token" or authorizer.signer is None:
        raise RegistryError("NOT_FOUND", "token auth is not enabled")
    signer = authorizer.signer
    scopes = list(request.query.getall("scope", []))
    user: str | None = None
    try:
        if request.method == "POST":
            form = await request.post()
            grant = form.get("grant_type")
            if grant != "password":
                body = json.dumps({"error": "unsupported_grant_type"}).encode()
                return web.Response(status=400, body=body, content_type="application/json")
            scopes += [str(s) for s in form.getall("scope", [])]
            assert authorizer.htpasswd is not None
            username, password = str(form.get("username", "")), str(form.get("password", ""))
            if not await asyncio.to_thread(authorizer.htpasswd.verify, username, password):
                raise RegistryError("UNAUTHORIZED", "invalid username or password")
            user = username
        elif request.headers.get("Authorization", "").lower().startswith("basic "):
            user = await authorizer.check_basic(request.headers["Authorization"])
        requested = parse_scopes(scopes)
    except RegistryError as exc:
        return _error(exc)
    except InvalidArgument as exc:
        return _error(RegistryError("UNSUPPORTED", str(exc), status=400))

    token, expires_in, issued = signer.issue(user or "", authorizer.grant(user, requested))
    issued_at = datetime.fromtimestamp(issued, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = {"token": token, "access_token": token, "expires_in": expires_in, "issued_at": issued_at}
    return web.json_response(answer, headers={"Cache-Control": "no-store"})

