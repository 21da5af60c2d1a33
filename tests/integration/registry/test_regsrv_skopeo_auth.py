"""skopeo against the authenticated registry: the bearer-token flow and basic auth."""

from __future__ import annotations

from pathlib import Path

import pytest

from regsrv_helpers import SKOPEO, make_image, read_oci_layout, skopeo, write_oci_layout

pytestmark = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")


@pytest.fixture
def layout(tmp_path: Path):  # type: ignore[no-untyped-def]
    image = make_image([{"a": b"auth layer" * 1000}, {"b": b"second"}], label="auth")
    write_oci_layout(tmp_path / "src", {"v1": image})
    return image, f"oci:{tmp_path / 'src'}:v1"


def test_token_flow_with_credentials(start_server, htpasswd_file: Path, acl_file: Path, layout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image, src = layout
    srv = start_server("--htpasswd", str(htpasswd_file), "--acl", str(acl_file))
    dest = f"docker://{srv.host}/team/app:v1"

    ok = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:alicepw", src, dest, env_home=tmp_path)
    assert ok.returncode == 0

    wrong = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:wrong", src,
                   f"docker://{srv.host}/team/other:v1", check=False, env_home=tmp_path)
    assert wrong.returncode != 0
    assert "invalid username" in wrong.stderr or "unauthorized" in wrong.stderr

    denied = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "bob:bobpw", src,
                    f"docker://{srv.host}/team/bob-was-here:v1", check=False, env_home=tmp_path)
    assert denied.returncode != 0 and "denied" in denied.stderr

    # bob may pull what alice pushed; anonymous may not
    skopeo("copy", "--src-tls-verify=false", "--src-creds", "bob:bobpw", dest, f"oci:{tmp_path / 'dst'}:v1",
           env_home=tmp_path)
    assert read_oci_layout(tmp_path / "dst", "v1")[0] == image.manifest
    anon = skopeo("inspect", "--tls-verify=false", dest, check=False, env_home=tmp_path)
    assert anon.returncode != 0 and "unauthorized" in anon.stderr.lower()

    # carol can push only under carol/
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "carol:carolpw", src,
           f"docker://{srv.host}/carol/app:v1", env_home=tmp_path)
    bad = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "carol:carolpw", src,
                 f"docker://{srv.host}/team/carol:v1", check=False, env_home=tmp_path)
    assert bad.returncode != 0

    # deleting asks for a `*` token: bob's carries pull only and is refused; alice's works
    no = skopeo("delete", "--tls-verify=false", "--creds", "bob:bobpw", dest, check=False, env_home=tmp_path)
    assert no.returncode != 0 and "denied" in no.stderr
    skopeo("delete", "--tls-verify=false", "--creds", "alice:alicepw", dest, env_home=tmp_path)
    gone = skopeo("inspect", "--tls-verify=false", "--creds", "alice:alicepw", dest, check=False, env_home=tmp_path)
    assert gone.returncode != 0 and "manifest unknown" in gone.stderr


def test_basic_auth_mode(start_server, htpasswd_file: Path, layout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image, src = layout
    srv = start_server("--htpasswd", str(htpasswd_file), "--auth", "basic")
    dest = f"docker://{srv.host}/b/app:v1"
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:alicepw", src, dest, env_home=tmp_path)
    bad = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:nope", src, dest, check=False,
                 env_home=tmp_path)
    assert bad.returncode != 0
    raw = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", "bob:bobpw", dest, env_home=tmp_path).stdout
    assert raw.encode() == image.manifest
