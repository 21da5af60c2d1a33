"""Images through the docker CLI: import (--change), tag, inspect, rmi, prune, hostile tarballs."""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

from engine_helpers import Daemon, docker


def _busybox_rootfs_tar(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(path, "w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        for applet in ("sh", "cat", "echo", "ls", "true"):
            ti = tarfile.TarInfo(f"bin/{applet}")
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(ti)
        for name, data in (extra or {}).items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    return path


def test_import_with_changes_and_run(daemon: Daemon, tmp_path: Path) -> None:
    tag = f"imported-{uuid.uuid4().hex[:8]}:v1"
    tar = _busybox_rootfs_tar(tmp_path / "rootfs.tar", {"etc/motd": b"welcome\n"})
    r = docker(daemon, "import", "--change", "ENV GREETING=hi", "--change", 'CMD ["cat", "/etc/motd"]',
               "--change", "WORKDIR /etc", str(tar), tag, check=True)
    assert r.stdout.strip().startswith("sha256:")
    try:
        cfg = json.loads(docker(daemon, "image", "inspect", tag, check=True).stdout)[0]["Config"]
        assert "GREETING=hi" in cfg["Env"] and cfg["Cmd"] == ["cat", "/etc/motd"]
        assert cfg["WorkingDir"] == "/etc"
        r = docker(daemon, "run", "--rm", tag, check=True)
        assert r.stdout == "welcome\n"
        r = docker(daemon, "run", "--rm", tag, "sh", "-c", "echo $GREETING; pwd", check=True)
        assert r.stdout == "hi\n/etc\n"
    finally:
        docker(daemon, "rmi", "-f", tag)


def test_import_from_stdin(daemon: Daemon, tmp_path: Path) -> None:
    tag = f"stdin-{uuid.uuid4().hex[:8]}:latest"
    tar = _busybox_rootfs_tar(tmp_path / "rootfs.tar")
    r = docker(daemon, "import", "-", tag, input=tar.read_bytes())
    assert r.returncode == 0, r.stderr
    docker(daemon, "rmi", tag, check=True)


def test_bootstrap_busybox_image(daemon: Daemon) -> None:
    img = json.loads(docker(daemon, "image", "inspect", "busybox", check=True).stdout)[0]
    assert img["Config"]["Cmd"] == ["sh"]
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in img["Config"]["Env"]
    assert img["RootFS"]["Type"] == "layers" and len(img["RootFS"]["Layers"]) == 1
    r = docker(daemon, "run", "--rm", "busybox", "sh", "-c",
               "grep -c . /etc/passwd; grep ^nobody: /etc/passwd; busybox --list | wc -l; "
               "for a in $(busybox --list | grep -v linuxrc); do which $a >/dev/null || echo missing $a; done", check=True)
    lines = r.stdout.split()
    assert int(lines[0]) >= 2 and lines[1].startswith("nobody:x:65534:65534")
    assert int(lines[2]) > 200 and "missing" not in r.stdout  # every applet is on PATH


def test_tag_rmi_and_in_use(daemon: Daemon, name: str) -> None:
    tag = f"mytag-{uuid.uuid4().hex[:8]}:1"
    docker(daemon, "tag", "busybox", tag, check=True)
    r = docker(daemon, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", check=True)
    ids = dict(line.split() for line in r.stdout.splitlines())
    assert ids[tag] == ids["busybox:latest"]
    r = docker(daemon, "rmi", tag, check=True)
    assert f"Untagged: {tag}" in r.stdout
    # an image a container uses cannot be removed by id without -f
    tag2 = f"inuse-{uuid.uuid4().hex[:8]}:1"
    tar = _busybox_rootfs_tar(Path(f"/tmp/{tag2.replace(':', '_')}.tar"))
    try:
        iid = docker(daemon, "import", str(tar), tag2, check=True).stdout.strip()
    finally:
        os.unlink(tar)
    docker(daemon, "create", "--name", name, tag2, "true", check=True)
    try:
        r = docker(daemon, "rmi", iid)
        assert r.returncode != 0
        assert "is being used by stopped container" in r.stderr or "must be forced" in r.stderr
        r = docker(daemon, "rmi", "-f", iid)
        assert r.returncode == 0, r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_rmi_unknown(daemon: Daemon) -> None:
    r = docker(daemon, "rmi", "no-such-image:zz")
    assert r.returncode != 0 and "No such image: no-such-image:zz" in r.stderr


def test_image_prune_dangling(daemon: Daemon, tmp_path: Path) -> None:
    tag = f"prune-{uuid.uuid4().hex[:8]}:1"
    tar = _busybox_rootfs_tar(tmp_path / "a.tar", {"a": b"1"})
    first = docker(daemon, "import", str(tar), tag, check=True).stdout.strip()
    tar2 = _busybox_rootfs_tar(tmp_path / "b.tar", {"a": b"2"})
    docker(daemon, "import", str(tar2), tag, check=True)  # the first becomes dangling
    r = docker(daemon, "images", "-q", "--filter", "dangling=true", "--no-trunc", check=True)
    assert first in r.stdout.split()
    r = docker(daemon, "image", "prune", "-f", check=True)
    assert first in r.stdout and "Total reclaimed space" in r.stdout
    assert docker(daemon, "image", "inspect", first).returncode != 0
    docker(daemon, "rmi", tag, check=True)


def test_hostile_tarball_writes_nothing_outside(daemon: Daemon, tmp_path: Path) -> None:
    victim = Path(f"/tmp/dy-victim-{uuid.uuid4().hex[:8]}")
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        ti = tarfile.TarInfo(f"../../../../../../..{victim}")
        ti.size = 4
        tar.addfile(ti, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/tmp"
        tar.addfile(link)
        via = tarfile.TarInfo(f"escape/{victim.name}-2")
        via.size = 4
        tar.addfile(via, io.BytesIO(b"evil"))
        hard = tarfile.TarInfo("hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "../../../../etc/passwd"
        tar.addfile(hard)
    tag = f"evil-{uuid.uuid4().hex[:8]}:1"
    r = docker(daemon, "import", str(tar_path), tag)
    assert not victim.exists()
    assert not Path(f"/tmp/{victim.name}-2").exists()
    if r.returncode == 0:
        docker(daemon, "rmi", "-f", tag)
    else:
        assert "escapes the root" in r.stderr


def test_not_a_tarball(daemon: Daemon, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(os.urandom(3000))
    tag = f"junk-{uuid.uuid4().hex[:8]}:1"
    r = docker(daemon, "import", str(junk), tag)
    assert r.returncode != 0
    assert docker(daemon, "image", "inspect", tag).returncode != 0
