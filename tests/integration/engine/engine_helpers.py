"""A real ``dockyardd`` on private roots under /tmp, for the integration tests.

Each test session (each xdist worker) gets its own data root, exec root and socket, so
sessions never share state. ``stop()`` removes every container first (their conmon and
runc state, overlay mounts and cgroups go with them), then ends the daemon by pid, then
unmounts anything left under the roots before deleting them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Iterator
from typing import Any

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
DOCKER_CLI = shutil.which("docker") or "/usr/local/bin/docker"


def _unix_request(sock_path: str, method: str, path: str, body: Any = None,
                  timeout: float = 30.0) -> tuple[int, bytes]:
    """A tiny HTTP/1.0 client, independent of the code under test."""
    data = b"" if body is None else json.dumps(body).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        head = (f"{method} {path} HTTP/1.0\r\nHost: d\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode()
        s.sendall(head + data)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, rest


class Daemon:
    def __init__(self, root: str | None = None) -> None:
        self.root = root or tempfile.mkdtemp(prefix="dy-t-")
        self.data_root = os.path.join(self.root, "data")
        self.exec_root = os.path.join(self.root, "run")
        self.sock = os.path.join(self.exec_root, "dockyard.sock")
        self.host = f"unix://{self.sock}"
        self.log_path = os.path.join(self.root, "dockyardd.log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DOCKYARD_DATA_ROOT=self.data_root, DOCKYARD_EXEC_ROOT=self.exec_root,
                   DOCKYARD_HOST=self.host, DOCKER_HOST=self.host)
        env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def start(self, timeout: float = 20.0) -> "Daemon":
        os.makedirs(self.root, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "dockyardd"), "-D", "--data-root", self.data_root,
             "--exec-root", self.exec_root, "-H", self.host],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockyardd exited early:\n{self.log()}")
            try:
                if _unix_request(self.sock, "GET", "/_ping", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"dockyardd did not answer in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Any:
        status, data = _unix_request(self.sock, method, path, body, timeout)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {data[:500]!r}")
        return json.loads(data) if data.strip() else None

    def bootstrap_busybox(self) -> None:
        self.api("POST", "/dockyard/images/bootstrap?name=busybox")

    def kill9(self) -> None:
        """SIGKILL the daemon (its containers keep running under conmon)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def terminate(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def remove_all_containers(self) -> None:
        try:
            ctrs = self.api("GET", "/containers/json?all=1")
        except Exception:
            return
        for c in ctrs:
            try:
                self.api("DELETE", f"/containers/{c['Id']}?force=1&v=1", timeout=60)
            except Exception:
                pass

    def stop(self) -> None:
        # Containers are removed through the daemon, so their network endpoints, volumes and
        # mounts are torn down by the code under test; a daemon a test killed is started
        # again first (it re-adopts what still runs).
        if (self.proc is None or self.proc.poll() is not None) and os.path.isdir(self.data_root):
            try:
                self.proc = None
                self.start()
            except RuntimeError:
                self.proc = None
        if self.proc is not None and self.proc.poll() is None:
            self.remove_all_containers()
        self.terminate()
        self._kill_leftover_monitors()
        self._unmount_all()
        self._sweep_network()
        shutil.rmtree(self.root, ignore_errors=True)

    def _sweep_network(self) -> None:
        """Last resort for what a daemon killed mid-way may leave: this daemon's bridges
        (named dy<instance>-*), its firewall chains and its subnet claim. Only its own."""
        import hashlib
        inst = hashlib.sha256(self.exec_root.encode()).hexdigest()[:6]
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        for line in links.splitlines():
            name = line.split(":", 2)[1].strip().split("@")[0]
            if name.startswith(f"dy{inst}-"):
                subprocess.run(["ip", "link", "del", name], capture_output=True)
        chain = f"DY-{inst}"
        for tool in ("iptables", "ip6tables"):
            while subprocess.run([tool, "-w", "10", "-D", "FORWARD", "-j", chain],
                                 capture_output=True).returncode == 0:
                pass
            for c in (chain, f"{chain}-ISO"):
                subprocess.run([tool, "-w", "10", "-F", c], capture_output=True)
            for c in (chain, f"{chain}-ISO"):
                subprocess.run([tool, "-w", "10", "-X", c], capture_output=True)
        try:
            os.unlink(f"/run/dockyard-ipam/{inst}.json")
        except OSError:
            pass

    def _kill_leftover_monitors(self) -> None:
        """conmon processes of containers still under our roots (only ours, by pid file)."""
        cdir = os.path.join(self.data_root, "containers")
        if not os.path.isdir(cdir):
            return
        for cid in os.listdir(cdir):
            d = os.path.join(cdir, cid)
            subprocess.run(["runc", "--root", os.path.join(self.exec_root, "runc"),
                            "delete", "--force", cid], capture_output=True)
            pidfile = os.path.join(d, "conmon.pid")
            try:
                pid = int(Path(pidfile).read_text().strip())
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def _unmount_all(self) -> None:
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for mp in sorted((p for p in points if p.startswith(self.root + "/")),
                         key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True)


@contextlib.contextmanager
def started_daemon(*, busybox: bool = True) -> Iterator[Daemon]:
    """A daemon of its own (with busybox unless told otherwise), stopped afterwards;
    skips the test without root."""
    import pytest

    if os.geteuid() != 0:
        pytest.skip("the engine needs root")
    d = Daemon().start()
    try:
        if busybox:
            d.bootstrap_busybox()
        yield d
    finally:
        d.stop()


def docker(d: Daemon, *args: str, input: bytes | None = None, timeout: float = 60,
           check: bool = False) -> subprocess.CompletedProcess[str]:
    """The real docker CLI against the daemon."""
    if input is not None:
        raw = subprocess.run([DOCKER_CLI, *args], env=d.env, input=input, capture_output=True,
                             timeout=timeout)
        r = subprocess.CompletedProcess(raw.args, raw.returncode,
                                        raw.stdout.decode(errors="replace"),
                                        raw.stderr.decode(errors="replace"))
    else:
        r = subprocess.run([DOCKER_CLI, *args], env=d.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def dockyard(d: Daemon, *args: str, input: str | None = None, timeout: float = 60,
             check: bool = False) -> subprocess.CompletedProcess[str]:
    """The dockyard CLI against the daemon."""
    r = subprocess.run([str(VENV_BIN / "dockyard"), *args], env=d.env, input=input,
                       capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"dockyard {' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r
