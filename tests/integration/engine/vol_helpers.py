"""Helpers of the volume tests: an image with content and a VOLUME, and cleanup of what a
test made (containers, volumes, host folders), checked against leftover mounts."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from typing import Iterator

import pytest

from engine_helpers import Daemon, docker

BUSYBOX = shutil.which("busybox") or "/usr/bin/busybox"
VOLIMG = "dyvolimg:test"


def rootfs_tar(files: dict[str, str], *, owner: int = 1234, mode: int = 0o750) -> bytes:
    """A busybox root file system plus ``files`` (their directories owned by ``owner``)."""
    buf = io.BytesIO()
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(ti)
        tar.add(BUSYBOX, arcname="bin/busybox")
        for a in applets:
            if a != "busybox":
                ti = tarfile.TarInfo(f"bin/{a}")
                ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(ti)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        ti = tarfile.TarInfo("etc/passwd")
        ti.size = len(passwd)
        tar.addfile(ti, io.BytesIO(passwd))
        dirs: set[str] = set()
        for path in sorted(files):
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs and d not in ("bin", "etc", "tmp"):
                    dirs.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode, ti.uid, ti.gid = tarfile.DIRTYPE, mode, owner, owner
                    tar.addfile(ti)
            data = files[path].encode()
            ti = tarfile.TarInfo(path.strip("/"))
            ti.size, ti.uid, ti.gid, ti.mode = len(data), owner, owner, 0o644
            tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def import_image(d: Daemon, tag: str, files: dict[str, str], *changes: str) -> None:
    args = ["import"]
    for c in changes:
        args += ["--change", c]
    docker(d, *args, "-", tag, input=rootfs_tar(files), check=True)


@pytest.fixture(scope="module")
def volimg(daemon: Daemon) -> str:
    """An image with content in /data (a VOLUME) and in /cfg (not a volume)."""
    import_image(daemon, VOLIMG, {"/data/f": "from-image\n", "/data/sub/g": "deep\n",
                                  "/cfg/app.conf": "conf\n"},
                 "VOLUME /data", 'CMD ["sh"]')
    return VOLIMG


class Made:
    """What a test made; ``close`` removes it and checks no mount was left behind."""

    def __init__(self, d: Daemon) -> None:
        self.d = d
        self.containers: list[str] = []
        self.volumes: list[str] = []
        self.paths: list[str] = []

    def container(self, name: str) -> str:
        self.containers.append(name)
        return name

    def volume(self, name: str) -> str:
        self.volumes.append(name)
        return name

    def tmpdir(self) -> str:
        p = tempfile.mkdtemp(prefix="dy-vol-")
        self.paths.append(p)
        return p

    def path(self, p: str) -> str:
        self.paths.append(p)
        return p

    def close(self) -> None:
        for c in self.containers:
            docker(self.d, "rm", "-f", "-v", c, timeout=60)
        for v in self.volumes:
            docker(self.d, "volume", "rm", "-f", v, timeout=60)
        leftover = volume_mounts(self.d)
        for p in self.paths:
            shutil.rmtree(p, ignore_errors=True)
        assert not [p for p in self.paths if host_mounts_under(p)], "a host folder is mounted"
        assert leftover == [], f"volume mounts left behind: {leftover}"


@pytest.fixture
def made(daemon: Daemon) -> Iterator[Made]:
    m = Made(daemon)
    try:
        yield m
    finally:
        m.close()


def host_mounts_under(path: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4] for ln in f if ln.split()[4].startswith(path.rstrip("/") + "/")
                or ln.split()[4] == path]


def volume_mounts(d: Daemon) -> list[str]:
    """Mounts under the daemon's volumes directory (option volumes still mounted)."""
    return host_mounts_under(os.path.join(d.data_root, "volumes"))


def inspect(d: Daemon, what: str, *args: str) -> dict:
    return json.loads(docker(d, *args, "inspect", what, check=True).stdout)[0]


def volume_names(d: Daemon, *filters: str) -> list[str]:
    args = ["volume", "ls", "-q"]
    for f in filters:
        args += ["--filter", f]
    return docker(d, *args, check=True).stdout.split()


def run(d: Daemon, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``docker run`` with a hard timeout (the CLI proxies signals; never let it hang)."""
    return docker(d, "run", *args, timeout=60, check=check)
