"""``--volumes-from`` (and ``:ro``), tmpfs mounts (memory-backed, size-limited, empty after
a restart), read-only mounts, and ``--read-only`` with tmpfs for the writable paths."""

from __future__ import annotations

import os

from engine_helpers import Daemon, docker
from vol_helpers import Made, inspect, made, run, volume_names  # noqa: F401


def _mounts(d: Daemon, c: str) -> dict[str, dict]:
    return {m["Destination"]: m for m in inspect(d, c)["Mounts"]}


def test_volumes_from_shares_volumes_and_binds(daemon: Daemon, made: Made, name: str) -> None:
    host = made.tmpdir()
    v = made.volume(f"{name}-v")
    src, rw, ro = (made.container(f"{name}-{x}") for x in ("src", "rw", "ro"))
    docker(daemon, "create", "--name", src, "-v", f"{v}:/named", "-v", "/anon",
           "-v", f"{host}:/host", "busybox", "true", check=True)
    run(daemon, "--name", rw, "--volumes-from", src, "busybox", "sh", "-c",
        "echo n > /named/n; echo a > /anon/a; echo h > /host/h")
    assert open(os.path.join(host, "h")).read() == "h\n"
    r = run(daemon, "--name", ro, "--volumes-from", f"{src}:ro", "busybox", "sh", "-c",
            "cat /named/n /anon/a /host/h; for d in named anon host; do "
            "touch /$d/x 2>/dev/null && echo wrote-$d; done; echo end")
    assert r.stdout == "n\na\nh\nend\n"
    s, m_rw, m_ro = (_mounts(daemon, x) for x in (src, rw, ro))
    assert set(m_rw) == set(m_ro) == {"/named", "/anon", "/host"}
    for dest in s:
        assert m_rw[dest]["Source"] == m_ro[dest]["Source"] == s[dest]["Source"]
        assert m_rw[dest]["RW"] is True and m_ro[dest]["RW"] is False
    assert m_ro["/anon"]["Name"] == s["/anon"]["Name"]
    # the anonymous volume is shared: rm -v of a borrower keeps it while others use it
    docker(daemon, "rm", "-v", ro, rw, check=True)
    assert s["/anon"]["Name"] in volume_names(daemon)
    docker(daemon, "rm", "-v", src, check=True)
    assert s["/anon"]["Name"] not in volume_names(daemon)


def test_volumes_from_errors(daemon: Daemon, made: Made, name: str) -> None:
    # --pull=never: on a 404 the CLI would otherwise try to pull the image (as with Docker)
    r = run(daemon, "--pull=never", "--name", made.container(name), "--volumes-from",
            f"{name}-nope", "busybox", "true", check=False)
    assert r.returncode != 0 and f"No such container: {name}-nope" in r.stderr
    src = made.container(f"{name}-src")
    docker(daemon, "create", "--name", src, "-v", "/anon", "busybox", "true", check=True)
    r = run(daemon, "--rm", "--volumes-from", f"{src}:rshared", "busybox", "true",
            check=False)
    assert r.returncode != 0 and "invalid mode: rshared" in r.stderr


def test_tmpfs_is_memory_backed_limited_and_empty_after_restart(daemon: Daemon, made: Made,
                                                                name: str) -> None:
    c = made.container(name)
    script = ("grep ' /t ' /proc/mounts; echo files: $(ls -A /t); echo data > /t/keep; "
              "dd if=/dev/zero of=/t/big bs=1k count=2048 2>&1 | grep -o 'No space left'; "
              "rm /t/big")
    r = run(daemon, "--name", c, "--tmpfs", "/t:size=1m,mode=1777", "busybox", "sh", "-c",
            script)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("tmpfs /t tmpfs rw,nosuid,nodev,noexec")
    assert "size=1024k" in lines[0]
    assert lines[1:] == ["files:", "No space left"]
    out = docker(daemon, "start", "-a", c, check=True, timeout=60).stdout.splitlines()
    assert out[1] == "files:"    # the file written by the first run is gone
    assert inspect(daemon, c)["Mounts"] == []   # --tmpfs is HostConfig.Tmpfs, not a mount
    # --mount type=tmpfs, and `docker restart` of a running container
    d = made.container(f"{name}-d")
    run(daemon, "-d", "--name", d, "--mount", "type=tmpfs,dst=/m,tmpfs-size=512k", "busybox",
        "sh", "-c", "ls -A /m > /dev/stderr; date > /m/stamp; sleep 300")
    docker(daemon, "exec", d, "test", "-f", "/m/stamp", check=True)
    docker(daemon, "restart", "-t", "0", d, check=True, timeout=60)
    r = docker(daemon, "exec", d, "sh", "-c", "grep ' /m ' /proc/mounts; cat /m/stamp")
    assert "size=512k" in r.stdout
    assert docker(daemon, "logs", d, check=True).stderr == ""   # empty at each start


def test_read_only_mounts_reject_writes(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-v")
    r = run(daemon, "--rm", "-v", f"{v}:/v:ro", "--mount", "type=tmpfs,dst=/t,readonly",
            "busybox", "sh", "-c",
            "for p in /v /t; do touch $p/x 2>&1 | grep -q 'Read-only' && echo ro-$p; done")
    assert r.stdout == "ro-/v\nro-/t\n"
    assert os.listdir(inspect(daemon, v, "volume")["Mountpoint"]) == []


def test_read_only_rootfs_with_tmpfs(daemon: Daemon, made: Made, name: str) -> None:
    v = made.volume(f"{name}-v")
    r = run(daemon, "--rm", "--read-only", "--tmpfs", "/run", "--tmpfs", "/tmp",
            "-v", f"{v}:/data", "busybox", "sh", "-c",
            "touch /etc/x 2>&1 | grep -q Read-only && echo root-ro; "
            "echo a > /tmp/a && echo a > /run/a && echo b > /data/b && echo writable")
    assert r.stdout == "root-ro\nwritable\n"
    mp = inspect(daemon, v, "volume")["Mountpoint"]
    assert open(os.path.join(mp, "b")).read() == "b\n"
