"""docker cp (both directions), export and diff, with the real docker CLI and the SDK,
on running and stopped containers; hostile paths and archives stay inside the container;
kill -9 of the daemon during a cp into a container leaves the container usable."""

from __future__ import annotations

import base64
import io
import json
import os
import random
import socket
import tarfile
import threading
import time
from pathlib import Path

import docker as docker_sdk
import pytest

from engine_helpers import Daemon, _unix_request, docker


@pytest.fixture
def running(daemon: Daemon, name: str):
    docker(daemon, "run", "-d", "--name", name, "busybox", "sh", "-c",
           "echo hi > /hello; mkdir -p /d/e; echo x > /d/e/f; ln -s /etc /lnk; rm /bin/vi; "
           "touch /ready; sleep 300", check=True)
    for _ in range(100):
        if docker(daemon, "exec", name, "test", "-e", "/ready").returncode == 0:
            break
        time.sleep(0.1)
    try:
        yield name
    finally:
        docker(daemon, "rm", "-f", name)


@pytest.fixture
def stopped(daemon: Daemon, name: str):
    cname = name + "-s"
    docker(daemon, "run", "--name", cname, "busybox", "sh", "-c",
           "echo stopped > /hello; mkdir /d; ln -s /etc /lnk", check=True)
    try:
        yield cname
    finally:
        docker(daemon, "rm", "-f", cname)


def _tar(entries: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """(name, data for a file / None for a dir, symlink target)."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        for n, data, link in entries:
            ti = tarfile.TarInfo(n)
            ti.mtime = int(time.time())
            if link is not None:
                ti.type, ti.linkname = tarfile.SYMTYPE, link
                t.addfile(ti)
            elif data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o644
                t.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


def _mounts_under(root: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(root + "/")]


# -- docker cp with the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("which", ["running", "stopped"])
def test_cli_cp_both_directions(daemon: Daemon, request: pytest.FixtureRequest, tmp_path: Path,
                                which: str) -> None:
    ctr = request.getfixturevalue(which)
    want = b"hi\n" if which == "running" else b"stopped\n"
    r = docker(daemon, "cp", f"{ctr}:/hello", str(tmp_path / "out.txt"), check=True)
    assert (tmp_path / "out.txt").read_bytes() == want, r.stderr
    # a directory keeps its name; the symlink travels as a symlink
    docker(daemon, "cp", f"{ctr}:/d", str(tmp_path / "d"), check=True)
    assert (tmp_path / "d").is_dir()
    docker(daemon, "cp", f"{ctr}:/lnk", str(tmp_path / "lnk"), check=True)
    assert os.readlink(tmp_path / "lnk") == "/etc"
    # into the container: a file, then a directory tree
    (tmp_path / "up.txt").write_text("uploaded\n")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "a").write_text("A")
    docker(daemon, "cp", str(tmp_path / "up.txt"), f"{ctr}:/d/", check=True)
    docker(daemon, "cp", str(tmp_path / "tree"), f"{ctr}:/", check=True)
    back = docker(daemon, "cp", f"{ctr}:/d/up.txt", "-", check=True).stdout
    assert "uploaded" in back
    # to a new name (the CLI renames the tar's top entry), from stdin, and following a link
    docker(daemon, "cp", str(tmp_path / "tree"), f"{ctr}:/renamed", check=True)
    docker(daemon, "cp", "-", f"{ctr}:/d", input=_tar([("stdin.txt", b"from stdin", None)]),
           check=True)
    assert "from stdin" in docker(daemon, "cp", f"{ctr}:/d/stdin.txt", "-", check=True).stdout
    docker(daemon, "cp", "-L", f"{ctr}:/lnk", str(tmp_path / "followed"), check=True)
    assert (tmp_path / "followed" / "passwd").is_file()
    docker(daemon, "cp", f"{ctr}:/renamed/sub/a", str(tmp_path / "renamed-a"), check=True)
    assert (tmp_path / "renamed-a").read_text() == "A"
    got = tmp_path / "tree-back"
    docker(daemon, "cp", f"{ctr}:/tree/sub/a", str(got), check=True)
    assert got.read_text() == "A"
    if which == "running":
        out = docker(daemon, "exec", ctr, "cat", "/d/up.txt", "/tree/sub/a", check=True).stdout
        assert out == "uploaded\nA"
    else:
        # no mount is left behind for the stopped container, and it still starts
        assert not [m for m in _mounts_under(daemon.root) if "rootfs-ops" in m]
        docker(daemon, "start", "-a", ctr, check=True)


def test_cli_cp_errors(daemon: Daemon, running: str, tmp_path: Path) -> None:
    r = docker(daemon, "cp", f"{running}:/nope", str(tmp_path / "x"))
    assert r.returncode != 0
    assert f"Could not find the file /nope in container {running}" in r.stderr
    (tmp_path / "f").write_text("f")
    r = docker(daemon, "cp", str(tmp_path / "f"), f"{running}:/missing/dir/f")
    assert r.returncode != 0
    r = docker(daemon, "cp", str(tmp_path / "f"), "nosuchcontainer-xyz:/tmp/f")
    assert r.returncode != 0 and "No such container" in r.stderr
    ro = running + "-ro"
    docker(daemon, "create", "--read-only", "--name", ro, "busybox", "true", check=True)
    try:
        r = docker(daemon, "cp", str(tmp_path / "f"), f"{ro}:/tmp/")
        assert r.returncode != 0 and "container rootfs is marked read-only" in r.stderr
        # reading from it is fine
        assert docker(daemon, "cp", f"{ro}:/etc/passwd", "-").returncode == 0
    finally:
        docker(daemon, "rm", "-f", ro)


# -- the SDK: put_archive / get_archive, stat header ---------------------------------------


def test_sdk_put_get_archive_and_stat(daemon: Daemon, client, running: str) -> None:
    c = client.containers.get(running)
    assert c.put_archive("/tmp", _tar([("sdk", None, None), ("sdk/file.txt", b"sdkdata", None),
                                       ("sdk/link", None, "../../etc/passwd"),
                                       (".wh.literal", b"not a whiteout", None)]))
    strm, st = c.get_archive("/tmp/sdk")
    assert st["name"] == "sdk" and st["mode"] & (1 << 31) and st["linkTarget"] == ""
    names = tarfile.open(fileobj=io.BytesIO(b"".join(strm))).getnames()
    assert names == ["sdk", "sdk/file.txt", "sdk/link"]
    _, st = c.get_archive("/tmp/sdk/link")
    assert st["mode"] & (1 << 27) and st["linkTarget"] == "/etc/passwd"
    strm, st = c.get_archive("/tmp/sdk/file.txt")
    assert st["size"] == 7 and st["mode"] == 0o644
    t = tarfile.open(fileobj=io.BytesIO(b"".join(strm)))
    assert t.getnames() == ["file.txt"] and t.extractfile("file.txt").read() == b"sdkdata"
    assert c.exec_run(["cat", "/tmp/.wh.literal"]).output == b"not a whiteout"
    # a path ending in /. archives the directory's content as ./
    strm, st = c.get_archive("/tmp/sdk/.")
    assert st["name"] == "."
    assert "./file.txt" in tarfile.open(fileobj=io.BytesIO(b"".join(strm))).getnames()
    # HEAD: stat only, base64 JSON with Go's FileMode
    status, _ = _unix_request(daemon.sock, "HEAD", f"/containers/{running}/archive?path=/lnk")
    assert status == 200
    with pytest.raises(docker_sdk.errors.NotFound) as exc:
        c.get_archive("/no/such")
    assert "Could not find the file /no/such in container" in str(exc.value)
    with pytest.raises(docker_sdk.errors.APIError) as exc2:
        c.put_archive("/hello", _tar([("x", b"x", None)]))
    assert exc2.value.status_code == 400 and "extraction point is not a directory" in str(exc2.value)
    with pytest.raises(docker_sdk.errors.NotFound):
        c.put_archive("/not/there", _tar([("x", b"x", None)]))


def test_stat_header_is_base64_json(daemon: Daemon, running: str) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.connect(daemon.sock)
    s.sendall(f"HEAD /v1.43/containers/{running}/archive?path=/hello HTTP/1.0\r\n\r\n".encode())
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    s.close()
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    value = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
             if ln.lower().startswith("x-docker-container-path-stat:")][0]
    st = json.loads(base64.b64decode(value))
    assert st["name"] == "hello" and st["size"] == 3 and st["mode"] == 0o644
    assert st["mtime"].endswith("Z") and st["linkTarget"] == ""


def test_copy_uid_gid_and_no_overwrite(daemon: Daemon, client, name: str) -> None:
    c = client.containers.run("busybox", ["sleep", "300"], detach=True, name=name, user="nobody")
    try:
        data = _tar([("owned", b"o", None)])
        r = client.api._result(client.api._put(  # copyUIDGID is not in docker-py's put_archive
            client.api._url("/containers/{0}/archive", c.id),
            params={"path": "/tmp", "copyUIDGID": "1"}, data=data))
        assert r is not None
        out = c.exec_run(["stat", "-c", "%u:%g", "/tmp/owned"]).output.strip()
        assert out == b"65534:65534"
        c.exec_run(["mkdir", "/tmp/adir"])
        resp = client.api._put(client.api._url("/containers/{0}/archive", c.id),
                               params={"path": "/tmp", "noOverwriteDirNonDir": "1"},
                               data=_tar([("adir", b"file now", None)]))
        assert resp.status_code == 400 and "cannot overwrite directory" in resp.text
    finally:
        c.remove(force=True)


# -- hostile paths and archives -------------------------------------------------------------


def test_paths_resolve_inside_the_container(daemon: Daemon, client, name: str,
                                            tmp_path: Path) -> None:
    host_dir = tmp_path / "hostdir"
    host_dir.mkdir()
    (host_dir / "secret").write_text("host secret")
    c = client.containers.run("busybox", ["sh", "-c", f"ln -s {host_dir} /esc; "
                                          f"ln -s ../../../../../{host_dir}/secret /esc2; "
                                          "touch /ready; sleep 300"],
                              detach=True, name=name)
    try:
        for _ in range(100):
            if c.exec_run(["test", "-e", "/ready"]).exit_code == 0:
                break
            time.sleep(0.1)
        # reading through the symlinks never reaches the host's files
        with pytest.raises(docker_sdk.errors.NotFound):
            c.get_archive("/esc/secret")
        with pytest.raises(docker_sdk.errors.NotFound):
            c.get_archive("/esc2/")
        # writing through them neither
        with pytest.raises(docker_sdk.errors.NotFound):
            c.put_archive("/esc", _tar([("planted", b"x", None)]))
        # an archive that climbs out, or plants a symlink and writes through it
        with pytest.raises(docker_sdk.errors.APIError) as exc:
            c.put_archive("/tmp", _tar([("../../../../../" + str(host_dir) + "/planted", b"x", None)]))
        assert exc.value.status_code == 400
        assert c.put_archive("/tmp", _tar([("l", None, str(host_dir)), ("l/planted", b"in", None)]))
        assert sorted(os.listdir(host_dir)) == ["secret"]
        # the write landed inside the container, at the link's target as the container sees it
        assert c.exec_run(["cat", f"{host_dir}/planted"]).output == b"in"
    finally:
        c.remove(force=True)


# -- export and diff ----------------------------------------------------------------------------


def test_export_cli_and_sdk(daemon: Daemon, client, running: str, stopped: str,
                            tmp_path: Path) -> None:
    out = tmp_path / "exp.tar"
    docker(daemon, "export", "-o", str(out), stopped, check=True)
    with tarfile.open(out) as t:
        names = set(t.getnames())
        assert {"bin/busybox", "hello", "etc/passwd", "d"} <= names
        assert t.extractfile("hello").read() == b"stopped\n"
        assert t.getmember("lnk").issym()
    data = b"".join(client.containers.get(running).export())
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        names = set(t.getnames())
        assert "d/e/f" in names and "bin/vi" not in names
        assert not [n for n in names if ".wh." in n]
    assert not [m for m in _mounts_under(daemon.root) if "rootfs-ops" in m]


def test_diff_cli_and_sdk(daemon: Daemon, client, running: str, stopped: str) -> None:
    lines = docker(daemon, "diff", running, check=True).stdout.splitlines()
    assert "C /bin" in lines and "D /bin/vi" in lines
    assert {"A /d", "A /d/e", "A /d/e/f", "A /hello", "A /lnk"} <= set(lines)
    changes = client.containers.get(stopped).diff()
    kinds = {c["Path"]: c["Kind"] for c in changes}
    assert kinds["/hello"] == 1 and kinds["/d"] == 1 and kinds["/lnk"] == 1
    fresh = client.containers.create("busybox", ["true"])
    try:
        assert fresh.diff() is None  # Docker answers null for no changes
    finally:
        fresh.remove(force=True)


# -- kill -9 during a cp into a container ----------------------------------------------------------



def _big_upload(n: int = 40) -> bytes:
    rnd = random.Random(7)
    return _tar([("big", None, None)] +
                [(f"big/f{i}", rnd.randbytes(512 * 1024), None) for i in range(n)])


def test_kill9_during_cp_put(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "create", "--name", "cps", "busybox", "sh", "-c", "cat /etc/passwd >/dev/null; echo ok",
           check=True)
    docker(d, "run", "-d", "--name", "cpr", "busybox", "sleep", "300", check=True)
    payload = _big_upload()
    for delay in (0.05, 0.4, 1.0):
        threads = []
        for ctr in ("cps", "cpr"):
            c = docker_sdk.APIClient(base_url=d.host, version="1.43", timeout=30)

            def put_sdk(ctr: str = ctr, c=c) -> None:
                try:
                    c.put_archive(ctr, "/tmp", payload)
                except Exception:
                    pass
            t = threading.Thread(target=put_sdk)
            t.start()
            threads.append(t)
        time.sleep(delay)
        d.kill9()
        for t in threads:
            t.join(40)
        d.start()
        # the stopped container still runs, the running one is still up and usable
        r = docker(d, "start", "-a", "cps")
        assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
        assert docker(d, "exec", "cpr", "true").returncode == 0
        assert not [m for m in _mounts_under(d.root) if "rootfs-ops" in m]
        ops = os.path.join(d.exec_root, "rootfs-ops")
        assert not os.path.isdir(ops) or os.listdir(ops) == []
    # and cp still works afterwards
    d.api("GET", "/containers/cps/json")
    c = docker_sdk.APIClient(base_url=d.host, version="1.43", timeout=30)
    assert c.put_archive("cps", "/tmp", _tar([("after", b"after", None)]))
    strm, _ = c.get_archive("cps", "/tmp/after")
    assert tarfile.open(fileobj=io.BytesIO(b"".join(strm))).extractfile("after").read() == b"after"
