"""Private engines for the benches: a dockyardd and a Docker 20.10 dockerd, each with its own
roots and socket under the bench's work directory, each undone through a :class:`Section`.

    sec = Section("docker")
    d = start_dockerd(work / "docker", sec, docker_cli="/usr/local/bin/docker",
                      cgroup_parent="dockyard-bench-net-docker", network=bridge_args(...))
    ...                      # d.sock, d.cli("run", ...), d.pids()
    sec.close()              # containers' shims, dockerd (by pid), mounts, cgroups, /run dirs

Every bench starts its engines here, so they all run the same daemons with the same arguments
(``NO_NETWORK`` unless a bench asks for a bridge). bench_run.py passes ``busybox=False``: it
measures the daemon's idle memory first, then gets the image itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hostprocs import (CGROUP_ROOT, BenchError, Section, api, busybox_tar, kill_matching,
                       processes, remove_cgroup_tree, remove_empty_dirs, run, runc_delete_all,
                       say, spawn_daemon, stop_daemon, unmount_under, wait_ping)

__all__ = ["Engine", "start_dockyardd", "start_dockerd", "NO_NETWORK", "bridge_args",
           "BUSYBOX_APPLETS"]

#: dockerd without any network of its own: no bridge, no iptables rule, ip_forward left alone.
NO_NETWORK = ["--bridge=none", "--iptables=false", "--ip-masq=false", "--ip6tables=false",
              "--userland-proxy=false",
              "--ip-forward=false"]  # else dockerd sets net.ipv4.ip_forward=1

#: What Docker's imported busybox links (dockyard's bootstrapped busybox links every applet).
BUSYBOX_APPLETS = ("sh", "true", "sleep", "mkdir", "echo", "httpd", "cat")


def bridge_args(bip: str, pool: str) -> list[str]:
    """docker0 at ``bip`` and user networks from ``pool``, with no iptables rule at all:
    docker-proxy (the userland proxy) forwards published ports instead of DNAT."""
    return [f"--bip={bip}", f"--default-address-pool=base={pool},size=24", "--iptables=false",
            "--ip-masq=false", "--ip6tables=false", "--ip-forward=false",
            "--userland-proxy=true", f"--userland-proxy-path={shutil.which('docker-proxy')}"]


@dataclass
class Engine:
    label: str
    sock: str
    proc: subprocess.Popen[bytes]
    docker_cli: str
    exe: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": f"unix://{self.sock}"}

    def cli(self, *args: str) -> list[str]:
        """The docker CLI pointed at this engine (the same client for both engines)."""
        return [self.docker_cli, "-H", f"unix://{self.sock}", *args]

    def pids(self) -> list[int]:
        """The daemon plus its helpers that name our exec root (containerd, shims)."""
        table = processes()
        return [self.proc.pid] + [p.pid for p in table.values()
                                  if p.pid != self.proc.pid and str(self.exe) in p.args
                                  and p.comm.startswith("containerd")]


def start_dockyardd(root: Path, sec: Section, dockyardd: str, docker_cli: str,
                    env: dict[str, str] | None = None, busybox: bool = True) -> Engine:
    """dockyardd with private data root, exec root, socket and log under ``root``.

    ``env`` is the daemon's environment (default: ours). With ``busybox`` it bootstraps the
    busybox image (there is no internet). Containers the caller starts must be removed by the
    caller (``sec.defer`` after this returns runs before dockyardd stops).
    """
    data, exe = root / "data", root / "exec"
    exe.mkdir(parents=True)
    sock = str(exe / "dockyard.sock")
    log = root / "dockyardd.log"
    daemon = spawn_daemon([dockyardd, "--data-root", str(data), "--exec-root", str(exe),
                           "-H", f"unix://{sock}", "--log-file", str(log)],
                          root / "stdout.log", env)
    # Undone in reverse: containers removed, daemon stopped, then whatever it left behind.
    sec.defer("leftover mounts", lambda: unmount_under(root))
    sec.defer("leftover runc containers", lambda: runc_delete_all(exe / "runc"))
    sec.defer("leftover conmon", lambda: kill_matching(("conmon",), str(root)))
    sec.defer("stop dockyardd", lambda: stop_daemon(daemon, "dockyardd", 15))
    wait_ping(sock, daemon, "dockyardd", log, 30)
    if busybox:
        status, reply = api(sock, "POST", "/dockyard/images/bootstrap?name=busybox", timeout=120)
        if status != 200:
            raise BenchError(f"bootstrap busybox: HTTP {status}: {reply}")
    return Engine("dockyardd", sock, daemon, docker_cli, exe)


def start_dockerd(root: Path, sec: Section, docker_cli: str, cgroup_parent: str,
                  network: list[str] | None = None, busybox: bool = True) -> Engine:
    """Docker 20.10 with private roots, pidfile, socket, config file and cgroup parent.

    ``network`` defaults to :data:`NO_NETWORK`. Containers the caller starts must be
    removed by the caller (``sec.defer`` after this returns runs before dockerd stops).
    """
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise BenchError("dockerd is not installed (apt-get install docker.io)")
    data, exe = root / "data", root / "exec"
    exe.mkdir(parents=True)
    sock = str(root / "docker.sock")
    log = root / "dockerd.log"
    key = Path("/etc/docker/key.json")
    had_key = key.exists()
    if any(CGROUP_ROOT.glob(f"*/{cgroup_parent}")):
        raise BenchError(f"cgroup {cgroup_parent} already exists (another bench running?)")
    config = root / "daemon.json"
    config.write_text("{}\n")
    # Paths dockerd and the containerd shims use whatever their roots: /run/docker/plugins,
    # /run/containerd/s (shim sockets). Removed afterwards if we created them and they are empty.
    fixed = [Path("/run/docker/plugins"), Path("/run/docker"), Path("/run/containerd/s"),
             Path("/run/containerd")]
    ours = [d for d in fixed if not d.exists()]
    daemon = spawn_daemon([dockerd, "--config-file", str(config), "--data-root", str(data),
                           "--exec-root", str(exe), "--pidfile", str(root / "dockerd.pid"),
                           "-H", f"unix://{sock}", *(NO_NETWORK if network is None else network),
                           "--cgroup-parent", f"/{cgroup_parent}", "--log-level", "warn"], log)
    sec.defer("fixed /run dirs", lambda: remove_empty_dirs(ours))
    sec.defer("cgroups", lambda: remove_cgroup_tree(cgroup_parent))
    sec.defer("key.json", lambda: None if had_key or not key.exists() else key.unlink())
    sec.defer("leftover mounts", lambda: unmount_under(root))
    sec.defer("leftover containerd/shims", lambda: kill_matching(
        ("containerd", "containerd-shim", "containerd-shim-runc-v2"), str(exe)))
    sec.defer("stop dockerd", lambda: stop_daemon(daemon, "dockerd", 30))
    wait_ping(sock, daemon, "dockerd", log, 60)
    eng = Engine("Docker 20.10", sock, daemon, docker_cli, exe)
    if busybox:
        run(eng.cli("import", str(busybox_tar(root, BUSYBOX_APPLETS)), "busybox:latest"),
            timeout=120)
    return eng


def engine_arguments(p: argparse.ArgumentParser, engines: str = "dockyard,docker",
                     engines_help: str | None = None) -> None:
    """The options every engine bench takes: which engines, which binaries, keep the work dir."""
    p.add_argument("--engines", default=engines, help=engines_help)
    p.add_argument("--docker", default="/usr/local/bin/docker", help="the docker CLI")
    p.add_argument("--dockyardd", default=str(Path(sys.executable).parent / "dockyardd"))
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")


def is_root(script: str) -> bool:
    """Benches start container engines: say so and refuse without root."""
    if os.geteuid() == 0:
        return True
    say(f"{script} must run as root (it starts container engines)")
    return False
