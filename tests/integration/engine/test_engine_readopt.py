"""The daemon is not a single point of failure: kill -9 it while containers run."""

from __future__ import annotations

import json
import os
import time


from engine_helpers import Daemon, docker



def test_kill9_keeps_containers_and_readopts(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "run", "-d", "--name", "ticker", "--stop-timeout", "1", "busybox", "sh", "-c",
           "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.1; done", check=True)
    docker(d, "run", "-d", "--name", "quitter", "busybox", "sh", "-c", "sleep 1; exit 9",
           check=True)
    pid = json.loads(docker(d, "inspect", "ticker", check=True).stdout)[0]["State"]["Pid"]
    time.sleep(0.3)
    d.kill9()
    # the containers do not notice: the process lives and its log keeps growing
    os.kill(pid, 0)
    log_path = os.path.join(d.data_root, "containers")
    sizes = []
    for _ in range(2):
        total = 0
        for cid in os.listdir(log_path):
            total += os.path.getsize(os.path.join(log_path, cid, f"{cid}-json.log")) \
                if os.path.exists(os.path.join(log_path, cid, f"{cid}-json.log")) else 0
            total += os.path.getsize(os.path.join(log_path, cid, "ctr.log")) \
                if os.path.exists(os.path.join(log_path, cid, "ctr.log")) else 0
        sizes.append(total)
        time.sleep(1.2)   # meanwhile "quitter" ends with 9
    assert sizes[1] > sizes[0]
    d.start()
    st = json.loads(docker(d, "inspect", "ticker", check=True).stdout)[0]["State"]
    assert st["Running"] and st["Pid"] == pid
    st = json.loads(docker(d, "inspect", "quitter", check=True).stdout)[0]["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 9
    # logs written while no daemon ran are there
    logs = docker(d, "logs", "ticker", check=True).stdout.splitlines()
    assert len(logs) > 15 and logs[0] == "tick 0"
    nums = [int(x.split()[1]) for x in logs]
    assert nums == list(range(len(nums)))
    # the re-adopted container can be stopped, and its exit is recorded
    docker(d, "stop", "ticker", check=True)
    st = json.loads(docker(d, "inspect", "ticker", check=True).stdout)[0]["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137
    docker(d, "rm", "-f", "ticker", "quitter", check=True)
    assert not os.path.exists(f"/proc/{pid}")


def test_restart_of_daemon_keeps_records(own_daemon: Daemon) -> None:
    d = own_daemon
    docker(d, "create", "--name", "keeper", "busybox", "true", check=True)
    d.terminate()
    d.start()
    r = docker(d, "ps", "-a", "--format", "{{.Names}} {{.Status}}", check=True)
    assert "keeper Created" in r.stdout
    docker(d, "rm", "keeper", check=True)
