"""The TCP listener: TLS with client certificates, or an explicit insecure flag with a warning."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from engine_helpers import DOCKER_CLI, VENV_BIN, Daemon


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki() -> Path:
    d = Path(tempfile.mkdtemp(prefix="dy-pki-"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem",
             "-out", "ca.pem", "-days", "2", "-subj", "/CN=dockyard-test-ca", cwd=d)
    for who, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                     ("client", "extendedKeyUsage=clientAuth")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{who}-key.pem",
                 "-out", f"{who}.csr", "-subj", f"/CN={who}", cwd=d)
        (d / f"{who}.ext").write_text(ext + "\n")
        _openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                 "-CAcreateserial", "-out", f"{who}.pem", "-days", "2", "-extfile", f"{who}.ext",
                 cwd=d)
    yield d
    subprocess.run(["rm", "-rf", str(d)])


def _start(d: Daemon, *extra: str) -> subprocess.Popen[bytes]:
    os.makedirs(d.root, exist_ok=True)
    log = open(d.log_path, "ab")
    return subprocess.Popen([str(VENV_BIN / "dockyardd"), "--data-root", d.data_root,
                             "--exec-root", d.exec_root, "-H", d.host, *extra],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=d.env,
                            start_new_session=True)


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError("daemon exited")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("port never opened")


def test_tls_with_client_certificates(pki: Path) -> None:
    d = Daemon()
    port = _free_port()
    proc = _start(d, "-H", f"tcp://127.0.0.1:{port}", "--tlsverify",
                  "--tlscacert", str(pki / "ca.pem"), "--tlscert", str(pki / "server.pem"),
                  "--tlskey", str(pki / "server-key.pem"))
    d.proc = proc
    try:
        _wait_port(port, proc)
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_TLS_VERIFY="1")
        certs = Path(tempfile.mkdtemp(prefix="dy-certs-"))
        for src, dst in (("ca.pem", "ca.pem"), ("client.pem", "cert.pem"),
                         ("client-key.pem", "key.pem")):
            (certs / dst).write_bytes((pki / src).read_bytes())
        env["DOCKER_CERT_PATH"] = str(certs)
        r = subprocess.run([DOCKER_CLI, "version", "--format", "{{.Server.Version}}"], env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        # without a client certificate the handshake is refused
        env.pop("DOCKER_TLS_VERIFY")
        env.pop("DOCKER_CERT_PATH")
        r = subprocess.run([DOCKER_CLI, "--tls", "--tlscacert", str(pki / "ca.pem"), "version",
                            "--format", "{{.Server.Version}}"], env=env, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode != 0
        subprocess.run(["rm", "-rf", str(certs)])
    finally:
        d.stop()


def test_tcp_without_tls_refuses_to_start() -> None:
    d = Daemon()
    proc = _start(d, "-H", f"tcp://127.0.0.1:{_free_port()}")
    try:
        assert proc.wait(20) != 0
        assert "--tlscert" in d.log()
    finally:
        d.proc = None
        d.stop()


def test_insecure_tcp_warns(pki: Path) -> None:
    d = Daemon()
    port = _free_port()
    proc = _start(d, "-H", f"tcp://127.0.0.1:{port}", "--insecure-tcp")
    d.proc = proc
    try:
        _wait_port(port, proc)
        assert "WARNING" in d.log() and "without encryption" in d.log()
        r = subprocess.run([DOCKER_CLI, "-H", f"tcp://127.0.0.1:{port}", "version", "--format",
                            "{{.Server.Os}}"], capture_output=True, text=True, timeout=30)
        assert r.stdout.strip() == "linux"
    finally:
        d.stop()
