"""The `registry serve` command line: usage errors and start-up failures are messages, not tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from regsrv_helpers import REPO_ROOT, ServerProcess


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockyard.registry.server", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=60)


def test_usage_errors(tmp_path: Path) -> None:
    proc = _serve("--listen", "nonsense", "--root", str(tmp_path))
    assert proc.returncode == 2 and "HOST:PORT" in proc.stderr
    proc = _serve("--root", str(tmp_path), "--tls-cert", "x.pem")
    assert proc.returncode == 2 and "--tls-key" in proc.stderr and "Traceback" not in proc.stderr
    proc = _serve("--root", str(tmp_path), "--htpasswd", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "htpasswd" in proc.stderr and "Traceback" not in proc.stderr
    proc = _serve("--root", str(tmp_path), "--auth", "token")
    assert proc.returncode == 2 and "--htpasswd" in proc.stderr
    bad_acl = tmp_path / "acl"
    bad_acl.write_text("alice * fly\n")
    proc = _serve("--root", str(tmp_path), "--acl", str(bad_acl))
    assert proc.returncode == 2 and "acl:1" in proc.stderr


def test_port_in_use(server: ServerProcess, tmp_path: Path) -> None:
    proc = _serve("--listen", f"127.0.0.1:{server.port}", "--root", str(tmp_path / "r"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "address" in proc.stderr.lower()


def test_entry_functions_return_codes(tmp_path: Path) -> None:
    from dockyard.registry.server import gc_main, main

    assert main(["--bogus-flag"]) == 2
    assert gc_main([]) == 2
    assert gc_main(["--root", str(tmp_path)]) == 0
    assert list(tmp_path.iterdir()) == []  # collecting an empty directory writes nothing
