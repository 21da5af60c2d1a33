"""Differential tests against a real Docker 20.10: archives, registry, builds go both ways."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from docker_peer import RealDocker, busybox_rootfs_tar
from engine_helpers import Daemon, docker

_REGISTRY = str(Path(__file__).resolve().parents[1] / "registry")
if _REGISTRY not in sys.path:
    sys.path.insert(0, _REGISTRY)

from regsrv_helpers import ServerProcess  # noqa: E402


def _tag(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}:1"


def test_real_docker_save_loads_and_runs_in_dockyard(real_docker: RealDocker, daemon: Daemon,
                                                     tmp_path: Path) -> None:
    tag = _tag("fromdocker")
    r = real_docker("run", "--network", "none", "--name", tag.split(":")[0], "busybox",
                    "sh", "-c", "mkdir -p /srv && echo made-by-docker > /srv/file")
    assert r.returncode == 0, r.stderr
    assert real_docker("commit", "-c", "CMD [\"cat\", \"/srv/file\"]", tag.split(":")[0], tag
                       ).returncode == 0
    real_docker("rm", "-f", tag.split(":")[0])
    archive = tmp_path / "docker.tar"
    archive.write_bytes(real_docker.raw("save", tag))
    r = docker(daemon, "load", "-i", str(archive), check=True)
    assert f"Loaded image: {tag}" in r.stdout
    r = docker(daemon, "run", "--rm", tag, check=True)
    assert r.stdout == "made-by-docker\n"
    # the same image: Docker's ID is dockyard's ID
    peer_id = real_docker("image", "inspect", "-f", "{{.Id}}", tag).stdout.strip()
    ours = docker(daemon, "image", "inspect", "-f", "{{.Id}}", tag, check=True).stdout.strip()
    assert peer_id == ours
    docker(daemon, "rmi", tag)
    real_docker("rmi", tag)


def test_dockyard_save_loads_and_runs_in_docker(real_docker: RealDocker, daemon: Daemon,
                                                tmp_path: Path) -> None:
    tag = _tag("fromdockyard")
    cname = tag.split(":")[0]
    docker(daemon, "run", "--network", "none", "--name", cname, "busybox", "sh", "-c",
           "echo made-by-dockyard > /made", check=True)
    docker(daemon, "commit", "-c", 'CMD ["cat", "/made"]', cname, tag, check=True)
    docker(daemon, "rm", "-f", cname)
    archive = tmp_path / "dockyard.tar"
    r = docker(daemon, "save", "-o", str(archive), tag, check=True)
    r = real_docker("load", "-i", str(archive))
    assert r.returncode == 0 and f"Loaded image: {tag}" in r.stdout, r.stderr
    r = real_docker("run", "--rm", "--network", "none", tag)
    assert r.returncode == 0 and r.stdout == "made-by-dockyard\n", r.stderr
    real_docker("rmi", tag)
    docker(daemon, "rmi", tag)


def test_real_docker_pushes_to_and_pulls_from_the_dockyard_registry(
        real_docker: RealDocker, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "registry", ["--allow-anonymous-push"]).start()
    try:
        host = server.url.split("://", 1)[1]
        ref = f"{host}/peer/busybox:1"
        assert real_docker("tag", "busybox:latest", ref).returncode == 0
        r = real_docker("push", ref)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "digest: sha256:" in r.stdout
        pushed_id = real_docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip()
        real_docker("rmi", ref)
        r = real_docker("pull", ref)
        assert r.returncode == 0, r.stdout + r.stderr
        assert real_docker("image", "inspect", "-f", "{{.Id}}", ref).stdout.strip() == pushed_id
        r = real_docker("run", "--rm", "--network", "none", ref, "echo", "pulled")
        assert r.stdout == "pulled\n", r.stderr
        real_docker("rmi", ref)
    finally:
        server.stop()


DOCKERFILE = """\
FROM peerbase:1
ARG GREETING=hello
ENV APP_HOME=/app PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR $APP_HOME
LABEL org.example.name="diff test" version=1
EXPOSE 8080/tcp 53/udp
RUN mkdir -p data && echo "$GREETING from $APP_HOME" > data/greeting && ln -s data/greeting link
COPY files/ ./copied/
COPY single.txt /etc/single.txt
VOLUME /app/data
USER nobody
STOPSIGNAL SIGINT
ENTRYPOINT ["sh", "-c"]
CMD ["cat /app/data/greeting"]
"""


def _tree(tar_bytes: bytes) -> dict[str, tuple]:
    """path -> (type, mode, uid, gid, content digest or link): what a build made, not when."""
    skip = {".dockerenv", "dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf",
            "etc/mtab"}
    out: dict[str, tuple] = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for m in tar:
            name = m.name[2:] if m.name.startswith("./") else m.name
            name = name.strip("/")
            if not name or name in skip or name.split("/", 1)[0] in ("dev", "proc", "sys"):
                continue
            data = tar.extractfile(m).read() if m.isfile() else b""
            out[name] = (m.type, m.mode & 0o7777, m.uid, m.gid,
                         hashlib.sha256(data).hexdigest() if m.isfile() else m.linkname)
    return out


def test_same_dockerfile_same_image(real_docker: RealDocker, daemon: Daemon,
                                    tmp_path: Path) -> None:
    base = busybox_rootfs_tar()
    assert real_docker("import", "-", "peerbase:1", input=base).returncode == 0
    docker(daemon, "import", "-", "peerbase:1", input=base, check=True)
    ctx = tmp_path / "ctx"
    (ctx / "files" / "sub").mkdir(parents=True)
    (ctx / "files" / "a.txt").write_text("A\n")
    (ctx / "files" / "sub" / "b.txt").write_text("B\n")
    (ctx / "single.txt").write_text("single\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    tag = _tag("diffbuild")
    r = real_docker("build", "--network", "none", "--build-arg", "GREETING=hi", "-t", tag,
                    str(ctx), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    env = dict(daemon.env, DOCKER_BUILDKIT="0")
    import subprocess
    from engine_helpers import DOCKER_CLI
    r2 = subprocess.run([DOCKER_CLI, "build", "--network", "none", "--build-arg", "GREETING=hi",
                         "-t", tag, str(ctx)], env=env, capture_output=True, text=True,
                        timeout=300)
    assert r2.returncode == 0, r2.stdout + r2.stderr
    try:
        theirs = json.loads(real_docker("image", "inspect", tag).stdout)[0]
        ours = json.loads(docker(daemon, "image", "inspect", tag, check=True).stdout)[0]
        for key in ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
                    "Volumes", "StopSignal"):
            assert ours["Config"].get(key) == theirs["Config"].get(key), key
        assert len(ours["RootFS"]["Layers"]) == len(theirs["RootFS"]["Layers"])
        # the file trees the two builds made are the same
        trees = []
        for run, raw in ((real_docker, real_docker.raw), (None, None)):
            if run is not None:
                cid = run("create", "--network", "none", tag).stdout.strip()
                data = raw("export", cid)
                run("rm", "-f", cid)
            else:
                cid = docker(daemon, "create", tag, check=True).stdout.strip()
                data = subprocess.run([DOCKER_CLI, "export", cid], env=daemon.env,
                                      capture_output=True, check=True).stdout
                docker(daemon, "rm", "-f", cid)
            trees.append(_tree(data))
        theirs_tree, ours_tree = trees
        assert sorted(ours_tree) == sorted(theirs_tree)
        for path in theirs_tree:
            t, o = theirs_tree[path], ours_tree[path]
            assert o == t, path
        r = docker(daemon, "run", "--rm", "--network", "none", tag, check=True)
        assert r.stdout == "hi from /app\n"
    finally:
        real_docker("rmi", "-f", tag, "peerbase:1")
        docker(daemon, "rmi", "-f", tag, "peerbase:1")
