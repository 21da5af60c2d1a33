"""Registry auth through dockyardd: docker login, bearer tokens, basic auth, the server's ACL.

Users (conftest's htpasswd + ACL): alice may do everything, bob may only pull, carol may
pull and push under ``carol/``; anonymous may pull ``public/*``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Callable

import pytest

from engine_fixtures import Docker, api, daemon, dk  # noqa: F401 - fixtures
from regsrv_helpers import ServerProcess

from dockyard.registry.client.auth import registry_auth_header

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def token_registry(start_server: Callable[..., ServerProcess], htpasswd_file: Path,
                   acl_file: Path) -> ServerProcess:
    return start_server("--htpasswd", str(htpasswd_file), "--acl", str(acl_file))


@pytest.fixture
def basic_registry(start_server: Callable[..., ServerProcess], htpasswd_file: Path) -> ServerProcess:
    return start_server("--htpasswd", str(htpasswd_file), "--auth", "basic")


def _login(dk: Docker, host: str, user: str, password: str) -> tuple[int, str]:
    r = dk("login", host, "-u", user, "-p", password)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("mode", ["token", "basic"])
def test_login_push_pull(dk: Docker, mode: str, token_registry: ServerProcess,
                         basic_registry: ServerProcess) -> None:
    reg = token_registry if mode == "token" else basic_registry
    ref = f"{reg.host}/team/busybox:1"
    dk("tag", "busybox", ref, check=True)
    r = dk("push", ref)
    assert r.returncode != 0
    assert "unauthorized: authentication required" in r.stdout + r.stderr
    rc, out = _login(dk, reg.host, "alice", "alicepw")
    assert rc == 0 and "Login Succeeded" in out, out
    saved = json.loads(Path(dk.config_dir, "config.json").read_text())["auths"][reg.host]["auth"]
    assert base64.b64decode(saved) == b"alice:alicepw"
    push = dk("push", ref, check=True).stdout
    assert "1: digest: sha256:" in push
    dk("rmi", ref, check=True)
    pulled = dk("pull", ref, check=True).stdout
    assert f"Status: Downloaded newer image for {ref}" in pulled
    dk("logout", reg.host, check=True)
    r = dk("pull", ref)
    assert r.returncode != 0
    assert "pull access denied" in r.stderr and "docker login" in r.stderr


@pytest.mark.parametrize("mode", ["token", "basic"])
def test_wrong_password_is_refused(dk: Docker, mode: str, token_registry: ServerProcess,
                                   basic_registry: ServerProcess) -> None:
    reg = token_registry if mode == "token" else basic_registry
    rc, out = _login(dk, reg.host, "alice", "not-her-password")
    assert rc != 0
    assert "unauthorized: incorrect username or password" in out
    assert not Path(dk.config_dir, "config.json").exists() or reg.host not in \
        Path(dk.config_dir, "config.json").read_text()
    status, body = api(dk.d, "POST", "/v1.43/auth", body={
        "username": "nobody", "password": "x", "serveraddress": reg.host})
    assert status == 401
    assert body["message"].startswith("unauthorized: ")
    status, body = api(dk.d, "POST", "/v1.43/auth", body={
        "username": "bob", "password": "bobpw", "serveraddress": f"http://{reg.host}/v2/"})
    assert (status, body) == (200, {"Status": "Login Succeeded", "IdentityToken": ""})


def test_no_push_without_permission(dk: Docker, token_registry: ServerProcess) -> None:
    reg = token_registry
    ref = f"{reg.host}/team/readonly:1"
    dk("tag", "busybox", ref, check=True)
    assert _login(dk, reg.host, "alice", "alicepw")[0] == 0
    dk("push", ref, check=True)
    other = f"{reg.host}/team/other:1"
    dk("tag", "busybox", other, check=True)
    out = dk("push", other, check=True).stdout  # the token is widened to pull the source
    assert "Mounted from team/readonly" in out, out
    assert _login(dk, reg.host, "bob", "bobpw")[0] == 0
    assert dk("pull", ref).returncode == 0  # bob may pull
    bobs = f"{reg.host}/team/bobs:1"
    dk("tag", "busybox", bobs, check=True)
    r = dk("push", bobs)
    assert r.returncode != 0
    assert "denied: requested access to the resource is denied" in r.stdout + r.stderr
    assert _login(dk, reg.host, "carol", "carolpw")[0] == 0
    r = dk("push", bobs)
    assert r.returncode != 0 and "denied" in r.stdout + r.stderr
    mine = f"{reg.host}/carol/app:1"
    dk("tag", "busybox", mine, check=True)
    assert "1: digest:" in dk("push", mine, check=True).stdout


def test_credential_helper_header_reaches_the_registry(dk: Docker, token_registry: ServerProcess,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """config.json's credHelpers, as ``dockyard pull`` reads them, give a working X-Registry-Auth."""
    reg = token_registry
    ref = f"{reg.host}/team/helper:1"
    dk("tag", "busybox", ref, check=True)
    assert _login(dk, reg.host, "alice", "alicepw")[0] == 0
    dk("push", ref, check=True)
    dk("rmi", ref, check=True)
    helper = tmp_path / "bin" / "docker-credential-dytest"
    helper.parent.mkdir()
    helper.write_text("#!/bin/sh\nread server\n"
                      f"[ \"$server\" = \"{reg.host}\" ] || {{ echo 'credentials not found'; exit 1; }}\n"
                      "echo '{\"ServerURL\":\"'$server'\",\"Username\":\"alice\",\"Secret\":\"alicepw\"}'\n")
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ['PATH']}")
    header = registry_auth_header(reg.host, {"credHelpers": {reg.host: "dytest"}})
    status, lines = api(dk.d, "POST", f"/v1.43/images/create?fromImage={reg.host}/team/helper&tag=1",
                        headers={"X-Registry-Auth": header}, stream=True)
    assert status == 200, lines
    assert lines[-1] == {"status": f"Status: Downloaded newer image for {ref}"}
    status, body = api(dk.d, "POST", f"/v1.43/images/create?fromImage={reg.host}/team/helper&tag=1",
                       headers={"X-Registry-Auth": registry_auth_header(reg.host, {})})
    assert status == 404
    assert "pull access denied" in body["message"]
