"""`dockyard registry serve` runs the registry server from the dockyard CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CLI = str(Path(sys.executable).parent / "dockyard")


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_registry_serve_answers_v2(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([CLI, "registry", "serve", "--listen", f"127.0.0.1:{port}",
                             "--root", str(tmp_path / "root"), "--allow-anonymous-push"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as r:
                    assert r.status == 200
                    assert r.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
                    break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode())
                time.sleep(0.1)
        else:
            raise AssertionError("registry never answered")
    finally:
        proc.terminate()
        proc.wait(20)


def test_registry_without_verb_prints_usage() -> None:
    r = subprocess.run([CLI, "registry", "bogus"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "serve" in r.stdout
