"""``dockyard pull|push|login|logout`` against dockyard's registry server, docker's CLI as the oracle.

Without a terminal both CLIs print docker's plain jsonmessage lines (``<tag>: Pulling from
x``, ``<id>: Pull complete``, ``Digest:``, ``Status:``, then the name); with one, ours draws
rich bars (checked through a pty). Each test gets a private DOCKER_CONFIG for both CLIs.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from engine_fixtures import Docker, daemon, dk  # noqa: F401 - fixtures
from engine_helpers import VENV_BIN, Daemon
from regsrv_helpers import ServerProcess

pytestmark = pytest.mark.timeout(300)


class Dockyard:
    def __init__(self, d: Daemon, config_dir: str) -> None:
        self.d = d
        self.config_dir = config_dir

    def __call__(self, *args: str, input: str | None = None, timeout: float = 120,
                 check: bool = False) -> subprocess.CompletedProcess[str]:
        env = dict(self.d.env, DOCKER_CONFIG=self.config_dir)
        r = subprocess.run([str(VENV_BIN / "dockyard"), *args], env=env, input=input, capture_output=True,
                           text=True, timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError(f"dockyard {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r


@pytest.fixture
def dy(daemon: Daemon, dk: Docker) -> Iterator[Dockyard]:  # noqa: F811
    yield Dockyard(daemon, dk.config_dir)  # the same config dir as docker's: logins are shared


@pytest.fixture
def cleanup(dk: Docker) -> Iterator[list[str]]:  # noqa: F811
    refs: list[str] = []
    yield refs
    for ref in refs:
        dk("rmi", "-f", ref)


def test_push_then_pull_plain_lines_match_docker(server: ServerProcess, dk: Docker, dy: Dockyard,  # noqa: F811
                                                 cleanup: list[str], repo: str) -> None:
    ref = f"{server.host}/{repo}:1"
    dk("tag", "busybox", ref, check=True)
    cleanup.append(ref)
    ours = dy("push", ref, check=True)
    lines = ours.stdout.splitlines()
    assert lines[0] == f"The push refers to repository [{server.host}/{repo}]"
    assert any(ln.endswith(": Pushed") for ln in lines), lines
    assert lines[-1].startswith("1: digest: sha256:") and " size: " in lines[-1]
    again, ref_again = dy("push", ref, check=True), dk("push", ref, check=True)
    assert again.stdout == ref_again.stdout
    dk("rmi", ref, check=True)
    pulled = dy("pull", ref, check=True)
    lines = pulled.stdout.splitlines()
    assert lines[0] == f"1: Pulling from {repo}"
    assert lines[-3].startswith("Digest: sha256:")
    assert lines[-2] == f"Status: Downloaded newer image for {ref}"
    assert lines[-1] == ref
    assert dy("pull", ref, check=True).stdout == dk("pull", ref, check=True).stdout  # "Image is up to date"


def test_default_tag_quiet_and_all_tags(server: ServerProcess, dk: Docker, dy: Dockyard,  # noqa: F811
                                        cleanup: list[str], repo: str) -> None:
    name = f"{server.host}/{repo}"
    for tag in ("latest", "2"):
        dk("tag", "busybox", f"{name}:{tag}", check=True)
        cleanup.append(f"{name}:{tag}")
    ours = dy("push", name, check=True)
    assert ours.stdout.startswith("Using default tag: latest\n")
    assert dy("push", "-q", f"{name}:2", check=True).stdout == f"{name}:2\n"
    assert dy("pull", "-q", name, check=True).stdout == dk("pull", "-q", name, check=True).stdout == f"{name}:latest\n"
    ours, ref = dy("pull", "-a", name, check=True), dk("pull", "-a", name, check=True)
    assert ours.stdout == ref.stdout
    bad, ref = dy("pull", "-a", f"{name}:2"), dk("pull", "-a", f"{name}:2")
    assert bad.returncode == ref.returncode == 1


def test_pull_push_errors_match_docker(server: ServerProcess, dk: Docker, dy: Dockyard,  # noqa: F811
                                       repo: str) -> None:
    for args in (("pull", f"{server.host}/{repo}-missing:1"), ("push", f"{server.host}/{repo}-nolocal:1"),
                 ("pull", "Bad_Name"), ("push", "UPPER/case")):
        ours, ref = dy(*args), dk(*args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (ref.returncode, ref.stdout, ref.stderr), args


@pytest.fixture
def auth_registry(start_server: Callable[..., ServerProcess], htpasswd_file: Path, acl_file: Path) -> ServerProcess:
    return start_server("--htpasswd", str(htpasswd_file), "--acl", str(acl_file))


def test_login_push_pull_logout(auth_registry: ServerProcess, dk: Docker, dy: Dockyard,  # noqa: F811
                                cleanup: list[str]) -> None:
    host = auth_registry.host
    ref = f"{host}/team/busybox:1"
    dk("tag", "busybox", ref, check=True)
    cleanup.append(ref)
    denied = dy("push", ref)
    assert denied.returncode == 1 and "unauthorized: authentication required" in denied.stdout + denied.stderr
    bad = dy("login", host, "-u", "alice", "-p", "wrong")
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[-1] == "Error response from daemon: unauthorized: incorrect username or password"
    assert not Path(dy.config_dir, "config.json").exists()
    r = dy("login", host, "-u", "alice", "--password-stdin", input="alicepw\n", check=True)
    assert r.stdout == "Login Succeeded\n"
    assert "--password via the CLI is insecure" not in r.stderr
    cfg = json.loads(Path(dy.config_dir, "config.json").read_text())
    assert base64.b64decode(cfg["auths"][host]["auth"]) == b"alice:alicepw"
    assert os.stat(Path(dy.config_dir, "config.json")).st_mode & 0o777 == 0o600
    assert "1: digest: sha256:" in dy("push", ref, check=True).stdout
    dk("rmi", ref, check=True)
    assert f"Status: Downloaded newer image for {ref}" in dy("pull", ref, check=True).stdout
    assert dy("logout", host, check=True).stdout == f"Removing login credentials for {host}\n"
    assert host not in json.loads(Path(dy.config_dir, "config.json").read_text()).get("auths", {})
    assert dy("logout", host, check=True).stdout == dk("logout", host, check=True).stdout


def test_login_with_p_warns_and_docker_reads_it(auth_registry: ServerProcess, dk: Docker,  # noqa: F811
                                                 dy: Dockyard, cleanup: list[str]) -> None:
    host = auth_registry.host
    r = dy("login", host, "-u", "bob", "-p", "bobpw", check=True)
    assert r.stderr.startswith("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    assert r.stdout == "Login Succeeded\n"
    ref = f"{host}/team/busybox:bob"
    dk("tag", "busybox", ref, check=True)
    cleanup.append(ref)
    push = dk("push", ref)  # docker uses the credentials we stored: bob may only pull
    assert push.returncode == 1 and "denied" in (push.stdout + push.stderr).lower()
    ours, ref_r = dy("login", host, "--password-stdin", input=""), dk("login", host, "--password-stdin")
    assert ours.returncode == ref_r.returncode == 1
    ours, ref_r = dy("login", host), dk("login", host)  # no flags: the stored credentials are tried
    assert (ours.returncode, ours.stdout, ours.stderr) == (ref_r.returncode, ref_r.stdout, ref_r.stderr) == \
        (0, "Login Succeeded\n", ref_r.stderr)
    dy("logout", host, check=True)
    ours, ref_r = dy("login", host), dk("login", host)  # nothing stored, no terminal
    assert (ours.returncode, ours.stderr) == (ref_r.returncode, ref_r.stderr) and ours.returncode == 1


def test_pull_bars_on_a_terminal(server: ServerProcess, dk: Docker, dy: Dockyard,  # noqa: F811
                                 cleanup: list[str], repo: str) -> None:
    ref = f"{server.host}/{repo}:tty"
    dk("tag", "busybox", ref, check=True)
    cleanup.append(ref)
    dk("push", ref, check=True)
    dk("rmi", ref, check=True)
    master, slave = pty.openpty()
    env = dict(dy.d.env, DOCKER_CONFIG=dy.config_dir, COLUMNS="100")
    proc = subprocess.Popen([str(VENV_BIN / "dockyard"), "pull", ref], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            elif proc.poll() is not None:
                break
        assert proc.wait(10) == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert f"Status: Downloaded newer image for {ref}" in text
    assert "\x1b[" in text  # drawn with escape sequences, not plain lines
    assert text.rstrip().endswith(ref)


def test_global_config_flag_chooses_the_config_dir(auth_registry: ServerProcess, dy: Dockyard,  # noqa: F811
                                                   tmp_path: Path) -> None:
    other = tmp_path / "other-config"
    r = dy("--config", str(other), "login", auth_registry.host, "-u", "alice", "--password-stdin",
           input="alicepw", check=True)
    assert r.stdout == "Login Succeeded\n"
    assert auth_registry.host in json.loads((other / "config.json").read_text())["auths"]
    assert not Path(dy.config_dir, "config.json").exists()


def test_login_texts_match_docker(auth_registry: ServerProcess, dk: Docker, dy: Dockyard) -> None:  # noqa: F811
    host = auth_registry.host
    theirs = dk("login", host, "-u", "alice", "-p", "alicepw")
    dk("logout", host, check=True)
    ours = dy("login", host, "-u", "alice", "-p", "alicepw")
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout) == (0, "Login Succeeded\n")
    assert ours.stderr == theirs.stderr
