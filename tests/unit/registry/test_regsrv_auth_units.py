"""Scopes, tokens, ACL policy and htpasswd of the registry server."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest

from dockyard.errors import InvalidArgument, Unauthorized
from dockyard.registry.server.auth import (
    ACTIONS,
    Access,
    AccessPolicy,
    Authorizer,
    Htpasswd,
    TokenSigner,
    load_or_create_key,
    parse_acl,
    parse_scopes,
)


def test_parse_scopes() -> None:
    got = parse_scopes(["repository:a/b:pull,push registry:catalog:*", "repository(plugin):c:pull"])
    assert got == [
        Access("repository", "a/b", frozenset({"pull", "push"})),
        Access("registry", "catalog", frozenset({"*"})),
        Access("repository", "c", frozenset({"pull"})),
    ]
    assert got[0].scope == "repository:a/b:pull,push"
    with pytest.raises(InvalidArgument):
        parse_scopes(["nonsense"])


def test_token_roundtrip_and_tamper() -> None:
    signer = TokenSigner(b"k" * 32, "svc", ttl=60)
    token, expires_in, issued = signer.issue("alice", [Access("repository", "a", frozenset({"pull"}))], now=1000)
    assert expires_in == 60
    claims = signer.verify(token, now=1010)
    assert claims.user == "alice" and claims.access[0].covers(Access("repository", "a", frozenset({"pull"})))
    assert not claims.access[0].covers(Access("repository", "a", frozenset({"push"})))
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(token, now=1000 + 60 + 31)
    head, body, sig = token.split(".")
    forged = f"{head}.{body[:-2]}xx.{sig}"
    with pytest.raises(Unauthorized):
        signer.verify(forged, now=1010)
    with pytest.raises(Unauthorized, match="another service"):
        TokenSigner(b"k" * 32, "other").verify(token, now=1010)
    with pytest.raises(Unauthorized):
        TokenSigner(b"z" * 32, "svc").verify(token, now=1010)


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k" / "token.key")
    assert len(key) == 32
    assert (tmp_path / "k" / "token.key").stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(tmp_path / "k" / "token.key") == key


ACL = """
# user pattern actions
alice   *           *
bob     team/*      pull,push
*       public/*    pull
anonymous open/*    pull
"""


def test_acl_policy() -> None:
    policy = AccessPolicy(parse_acl(ACL))
    assert policy.allowed("alice", "x/y") == ACTIONS
    assert policy.allowed("bob", "team/app") == {"pull", "push"}
    assert policy.allowed("bob", "other") == frozenset()
    assert policy.allowed("carol", "public/p") == {"pull"}
    assert policy.allowed(None, "public/p") == frozenset()
    assert policy.allowed(None, "open/x") == {"pull"}
    assert policy.allowed("carol", "open/x") == frozenset()
    assert AccessPolicy(None).allowed("anyone", "x") == ACTIONS
    assert AccessPolicy(None, frozenset({"pull"})).allowed(None, "x") == {"pull"}
    with pytest.raises(InvalidArgument, match="acl:2"):
        parse_acl("\nalice * fly")
    with pytest.raises(InvalidArgument):
        parse_acl("alice *")


def test_grant_cuts_requests_down_to_policy() -> None:
    policy = AccessPolicy(parse_acl(ACL))
    auth = Authorizer("none", policy)
    got = auth.grant("bob", parse_scopes(["repository:team/app:pull,push,delete", "repository:x:pull",
                                          "repository:team/b:*", "registry:catalog:*"]))
    assert got == [
        Access("repository", "team/app", frozenset({"pull", "push"})),
        Access("repository", "team/b", frozenset({"pull", "push"})),
        Access("registry", "catalog", frozenset({"*"})),
    ]


def test_htpasswd_bcrypt_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"# comment\nalice:{hashed}\nbob:$2y${hashed[4:]}\n")
    ht = Htpasswd(path)
    assert ht.users == ["alice", "bob"]
    assert ht.verify("alice", "s3cret") and ht.verify("alice", "s3cret")  # second from the cache
    assert ht.verify("bob", "s3cret")  # Apache's $2y$ prefix
    assert not ht.verify("alice", "wrong") and not ht.verify("nobody", "s3cret")
    import os
    path.write_text(f"carol:{hashed}\n")
    os.utime(path, (1, 1))
    assert not ht.verify("alice", "s3cret") and ht.verify("carol", "s3cret")
    path.write_text("dave:{SHA}abc\n")
    with pytest.raises(InvalidArgument, match="bcrypt"):
        Htpasswd(path)
