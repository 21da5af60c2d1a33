"""A real Docker 20.10 engine as a peer for differential tests, when one can be had.

``RealDocker.start()`` runs ``dockerd`` (Debian's docker.io; installed here with apt-get when
missing and apt works, else the tests skip) on private roots under /tmp with no networking
of its own — ``--bridge=none --iptables=false --ip-masq=false --ip-forward=false`` — so it
creates no bridge, rule or subnet (these machines allow only ranges the project allocates)
and leaves sysctls alone. Containers run with ``--network none``; builds with
``--network none``. ``stop()`` removes its containers, ends dockerd by pid and unmounts
what it left under its roots. Its busybox is imported from the same host binary dockyard
bootstraps from, so both engines run the same program.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

DOCKER_CLI = shutil.which("docker") or "/usr/local/bin/docker"


def ensure_dockerd() -> str | None:
    """dockerd's path, installing docker.io if needed; None when it cannot be had."""
    found = shutil.which("dockerd")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # policy-rc.d keeps the package from starting its own service during install
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = not policy.exists()
    if made_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                            "docker.io"], env=env, capture_output=True, timeout=600)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                            "docker.io"], env=env, capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        if made_policy:
            policy.unlink(missing_ok=True)
    return shutil.which("dockerd")


def busybox_rootfs_tar() -> bytes:
    """bin/busybox with links for the applets the tests use: the same program dockyard runs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        for applet in ("sh", "true", "cat", "ls", "echo", "sleep", "find", "sort", "stat", "wc",
                       "mkdir", "touch", "env", "id"):
            ti = tarfile.TarInfo(f"bin/{applet}")
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(ti)
        for d in ("etc", "tmp", "root"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755 if d != "tmp" else 0o1777
            tar.addfile(ti)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
        ti = tarfile.TarInfo("etc/passwd")
        ti.size = len(passwd)
        tar.addfile(ti, io.BytesIO(passwd))
    return buf.getvalue()


class RealDocker:
    def __init__(self, dockerd: str) -> None:
        self.dockerd = dockerd
        self.root = tempfile.mkdtemp(prefix="dy-peer-")
        self.sock = os.path.join(self.root, "docker.sock")
        self.host = f"unix://{self.sock}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.config_dir = os.path.join(self.root, "cli")
        os.makedirs(self.config_dir)

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, DOCKER_HOST=self.host, DOCKER_CONFIG=self.config_dir,
                    DOCKER_BUILDKIT="0")

    def start(self) -> "RealDocker":
        log = open(os.path.join(self.root, "dockerd.log"), "ab")
        self.proc = subprocess.Popen(
            [self.dockerd, "--data-root", f"{self.root}/data", "--exec-root", f"{self.root}/exec",
             "--pidfile", f"{self.root}/dockerd.pid", "-H", self.host,
             "--config-file", self._config(), "--bridge=none", "--iptables=false",
             "--ip-masq=false", "--ip-forward=false", "--cgroup-parent", "dockyard-peer",
             "--containerd-namespace", f"dypeer{os.getpid()}", "--storage-driver", "overlay2"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited:\n" + self.log())
            if self("version", timeout=10).returncode == 0:
                break
            time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("dockerd did not answer:\n" + self.log())
        r = self("import", "-", "busybox:latest", input=busybox_rootfs_tar())
        if r.returncode != 0:
            self.stop()
            raise RuntimeError(f"docker import failed: {r.stderr}")
        return self

    def _config(self) -> str:
        path = os.path.join(self.root, "daemon.json")
        Path(path).write_text("{}\n")
        return path

    def log(self) -> str:
        try:
            return Path(self.root, "dockerd.log").read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def __call__(self, *args: str, input: bytes | None = None, timeout: float = 120,
                 ) -> subprocess.CompletedProcess[str]:
        raw = subprocess.run([DOCKER_CLI, *args], env=self.env, input=input,
                             stdin=None if input is not None else subprocess.DEVNULL,
                             capture_output=True, timeout=timeout)
        return subprocess.CompletedProcess(raw.args, raw.returncode,
                                           raw.stdout.decode(errors="replace"),
                                           raw.stderr.decode(errors="replace"))

    def raw(self, *args: str, timeout: float = 120) -> bytes:
        r = subprocess.run([DOCKER_CLI, *args], env=self.env, capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise AssertionError(r.stderr.decode(errors="replace"))
        return r.stdout

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            ids = self("ps", "-aq").stdout.split()
            if ids:
                self("rm", "-f", *ids)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for mp in sorted((p for p in points if p.startswith(self.root + "/")), key=len,
                         reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True)
        for ctl in ("cpu", "cpuacct", "memory", "pids", "blkio", "devices", "freezer", "cpuset",
                    "systemd"):
            _rmdir_tree(f"/sys/fs/cgroup/{ctl}/dockyard-peer")
        shutil.rmtree(self.root, ignore_errors=True)


def _rmdir_tree(path: str) -> None:
    """cgroup dirs go with rmdir, children first (rmtree cannot unlink their files)."""
    if not os.path.isdir(path):
        return
    for dirpath, dirnames, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass
