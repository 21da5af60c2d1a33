"""Auth over HTTP: anonymous rules, basic auth, the bearer-token flow, the ACL, TLS."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from regsrv_helpers import make_image, push_image, sha256

ALICE = ("alice", "alicepw")
BOB = ("bob", "bobpw")
CAROL = ("carol", "carolpw")


def test_no_htpasswd_allows_anonymous_pull_but_not_push(start_server) -> None:  # type: ignore[no-untyped-def]
    srv = start_server()
    assert requests.get(f"{srv.url}/v2/").status_code == 200
    r = requests.post(f"{srv.url}/v2/r/blobs/uploads/")
    assert r.status_code == 403
    err = r.json()["errors"][0]
    assert err["code"] == "DENIED" and "--allow-anonymous-push" in err["message"]
    assert requests.get(f"{srv.url}/v2/r/tags/list").json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_basic_auth(start_server, htpasswd_file: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file), "--auth", "basic")
    r = requests.get(f"{srv.url}/v2/")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="dockyard-registry"'
    assert r.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert requests.get(f"{srv.url}/v2/", auth=("alice", "wrong")).status_code == 401
    assert requests.get(f"{srv.url}/v2/", auth=("nobody", "x")).status_code == 401
    assert requests.get(f"{srv.url}/v2/", auth=ALICE).status_code == 200
    with requests.Session() as http:
        http.auth = ALICE
        push_image(srv.url, "team/app", "v1", make_image(label="basic"), http)
        assert http.get(f"{srv.url}/v2/team/app/tags/list").json()["tags"] == ["v1"]
    r = requests.get(f"{srv.url}/v2/team/app/tags/list")
    assert r.status_code == 401


def test_basic_auth_with_acl_denies(start_server, htpasswd_file: Path, acl_file: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file), "--auth", "basic", "--acl", str(acl_file))
    with requests.Session() as http:
        http.auth = ALICE
        push_image(srv.url, "team/app", "v1", make_image(label="acl"), http)
        push_image(srv.url, "public/app", "v1", make_image(label="pub"), http)
    # bob may pull but not push
    assert requests.get(f"{srv.url}/v2/team/app/manifests/v1", auth=BOB).status_code == 200
    r = requests.post(f"{srv.url}/v2/team/app/blobs/uploads/", auth=BOB)
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "DENIED"
    # carol may push only under carol/
    assert requests.post(f"{srv.url}/v2/carol/x/blobs/uploads/", auth=CAROL).status_code == 202
    assert requests.get(f"{srv.url}/v2/team/app/tags/list", auth=CAROL).status_code == 403
    # anonymous may pull public/ only
    assert requests.get(f"{srv.url}/v2/public/app/tags/list").status_code == 200
    assert requests.get(f"{srv.url}/v2/team/app/tags/list").status_code == 401
    # the catalog lists what the caller may pull
    assert requests.get(f"{srv.url}/v2/_catalog", auth=CAROL).json()["repositories"] == []
    assert requests.get(f"{srv.url}/v2/_catalog", auth=BOB).json()["repositories"] == ["public/app", "team/app"]
    assert requests.get(f"{srv.url}/v2/_catalog").json()["repositories"] == ["public/app"]


def _challenge(response: requests.Response) -> dict[str, str]:
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("Bearer ")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _token(challenge: dict[str, str], auth: tuple[str, str] | None, scope: str | None = None) -> requests.Response:
    params = {"service": challenge["service"]}
    if scope or "scope" in challenge:
        params["scope"] = scope or challenge["scope"]
    return requests.get(challenge["realm"], params=params, auth=auth)


def test_token_flow(start_server, htpasswd_file: Path, acl_file: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file), "--acl", str(acl_file), "--token-service", "reg.test")
    r = requests.get(f"{srv.url}/v2/")
    assert r.status_code == 401
    ch = _challenge(r)
    assert ch == {"realm": f"{srv.url}/token", "service": "reg.test"}
    assert _token(ch, ("alice", "nope")).status_code == 401
    r = _token(ch, ALICE)
    assert r.status_code == 200
    body = r.json()
    assert body["token"] == body["access_token"] and body["expires_in"] == 900 and body["issued_at"].endswith("Z")
    assert requests.get(f"{srv.url}/v2/", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200

    # pushing: the challenge names the scope, the token grants it, the push succeeds
    r = requests.post(f"{srv.url}/v2/team/app/blobs/uploads/")
    ch = _challenge(r)
    assert ch["scope"] == "repository:team/app:pull,push"
    token = _token(ch, ALICE).json()["token"]
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        push_image(srv.url, "team/app", "v1", make_image(label="token"), http)
        # a token for one repository does not open another: 401 with a fresh challenge
        r = http.get(f"{srv.url}/v2/team/other/tags/list")
        assert r.status_code == 401
        assert _challenge(r)["error"] == "insufficient_scope"

    # bob's token carries pull only; his push is denied
    bob_token = _token(ch, BOB).json()["token"]
    r = requests.post(f"{srv.url}/v2/team/app/blobs/uploads/", headers={"Authorization": f"Bearer {bob_token}"})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "DENIED"
    r = requests.get(f"{srv.url}/v2/team/app/tags/list", headers={"Authorization": f"Bearer {bob_token}"})
    assert r.status_code == 200

    # forged or foreign tokens are refused
    r = requests.get(f"{srv.url}/v2/team/app/tags/list", headers={"Authorization": f"Bearer {bob_token[:-3]}abc"})
    assert r.status_code == 401 and _challenge(r)["error"] == "invalid_token"

    # anonymous tokens carry only what anonymous may do
    anon = _token(ch, None, "repository:public/x:pull,push repository:team/app:pull").json()["token"]
    r = requests.get(f"{srv.url}/v2/team/app/tags/list", headers={"Authorization": f"Bearer {anon}"})
    assert r.status_code == 401

    # catalog with a registry:catalog:* token
    cat = _token(ch, BOB, "registry:catalog:*").json()["token"]
    r = requests.get(f"{srv.url}/v2/_catalog", headers={"Authorization": f"Bearer {cat}"})
    assert r.status_code == 200 and r.json()["repositories"] == ["team/app"]


def test_token_survives_restart(start_server, htpasswd_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file))
    ch = _challenge(requests.get(f"{srv.url}/v2/"))
    token = _token(ch, ALICE, "repository:r:pull,push").json()["token"]
    assert (srv.root / "token.key").stat().st_mode & 0o777 == 0o600
    srv.stop()
    again = start_server("--htpasswd", str(htpasswd_file), root=srv.root)
    r = requests.post(f"{again.url}/v2/r/blobs/uploads/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202


def test_oauth_password_grant(start_server, htpasswd_file: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file))
    form = {"grant_type": "password", "username": "alice", "password": "alicepw", "service": "dockyard-registry",
            "scope": "repository:r:pull"}
    r = requests.post(f"{srv.url}/token", data=form)
    assert r.status_code == 200 and r.json()["access_token"]
    r = requests.post(f"{srv.url}/token", data={**form, "password": "bad"})
    assert r.status_code == 401


def test_anonymous_push_flag_with_token_auth(start_server, htpasswd_file: Path) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--htpasswd", str(htpasswd_file), "--allow-anonymous-push")
    ch = _challenge(requests.post(f"{srv.url}/v2/r/blobs/uploads/"))
    token = _token(ch, None).json()["token"]
    r = requests.post(f"{srv.url}/v2/r/blobs/uploads/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202


def test_tls(start_server, tls_pair: tuple[Path, Path]) -> None:  # type: ignore[no-untyped-def]
    cert, key = tls_pair
    srv = start_server("--allow-anonymous-push", "--tls-cert", str(cert), "--tls-key", str(key))
    assert srv.url.startswith("https://")
    r = requests.get(f"{srv.url}/v2/", verify=str(cert))
    assert r.status_code == 200
    data = b"over tls"
    r = requests.post(f"{srv.url}/v2/r/blobs/uploads/", params={"digest": sha256(data)}, data=data, verify=str(cert))
    assert r.status_code == 201
    assert requests.get(f"{srv.url}/v2/r/blobs/{sha256(data)}", verify=str(cert)).content == data
    # plain HTTP to the TLS port fails
    try:
        plain = requests.get(srv.url.replace("https://", "http://") + "/v2/", timeout=5)
        assert plain.status_code >= 400
    except requests.RequestException:
        pass
