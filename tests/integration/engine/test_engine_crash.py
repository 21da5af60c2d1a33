"""kill -9 of the daemon in the middle of imports and creates leaves a consistent store."""

from __future__ import annotations

import io
import os
import random
import tarfile
import threading
import time
from pathlib import Path


from engine_helpers import Daemon, docker



def _big_tar(path: Path, seed: int) -> Path:
    rnd = random.Random(seed)
    with tarfile.open(path, "w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        ti = tarfile.TarInfo("bin/sh")
        ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(ti)
        for i in range(40):
            data = rnd.randbytes(256 * 1024)
            ti = tarfile.TarInfo(f"data/f{i}")
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    return path


def test_kill9_during_imports_and_creates(own_daemon: Daemon, tmp_path: Path) -> None:
    d = own_daemon
    tars = [_big_tar(tmp_path / f"t{i}.tar", i) for i in range(3)]
    for round_ in range(3):
        threads = []
        for i, tar in enumerate(tars):
            t = threading.Thread(target=docker, args=(d, "import", str(tar), f"crash{round_}-{i}:1"),
                                 kwargs={"timeout": 60})
            t.start()
            threads.append(t)
        for i in range(3):
            t = threading.Thread(target=docker, args=(d, "create", "--name", f"c{round_}-{i}",
                                                      "busybox", "true"), kwargs={"timeout": 60})
            t.start()
            threads.append(t)
        time.sleep(0.15 + 0.25 * round_)
        d.kill9()
        for t in threads:
            t.join(70)
        d.start()
        # every image the store shows is whole: it inspects and runs
        listed = docker(d, "images", "--format", "{{.Repository}}:{{.Tag}}", check=True).stdout.split()
        for ref in listed:
            r = docker(d, "run", "--rm", ref, "sh", "-c", "test -x /bin/busybox")
            assert r.returncode == 0, (ref, r.stderr)
        for c in d.api("GET", "/containers/json?all=1"):
            assert docker(d, "inspect", c["Id"]).returncode == 0
            assert docker(d, "rm", "-f", c["Id"]).returncode == 0
        # nothing half-done is left on disk
        snaps = os.listdir(os.path.join(d.data_root, "snapshots"))
        assert not [s for s in snaps if s.startswith("tmp-")]
        ingest = os.path.join(d.data_root, "content", "ingest")
        assert not os.path.isdir(ingest) or os.listdir(ingest) == []
        containers_dir = os.path.join(d.data_root, "containers")
        assert os.listdir(containers_dir) == []
    # the store still takes new work
    r = docker(d, "import", str(tars[0]), "after-crash:1", check=True)
    assert r.stdout.startswith("sha256:")
    docker(d, "run", "--rm", "after-crash:1", "sh", "-c", "ls /data | wc -l", check=True)
