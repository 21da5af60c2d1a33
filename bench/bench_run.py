"""Benchmark: ``run --rm busybox true`` latency and memory per container, vs Docker and Podman.

    .venv/bin/python bench/bench_run.py [--runs 20] [--containers 5] [--install-peers]

Run by hand, as root; never by CI. Every engine gets a private state directory under a fresh
``/tmp/dockyard-bench-*`` directory and is stopped (by pid) with its containers removed at the
end, also on Ctrl-C, SIGTERM or an error. Each engine section fails on its own with a message.

Timing (one warm-up run first, not counted), all with ``--network none`` because dockyard has
only none/host networking so far:

  bare runc run                (the floor: runc spec's defaults, then dockyard's own spec)
  dockyard CLI  -> dockyardd   (skipped with a message while ``dockyard.cli.main`` is missing)
  docker CLI    -> dockyardd   (DOCKER_HOST=unix://<dockyard sock>)
  docker CLI    -> dockerd     (Docker 20.10 from Debian, started by hand: --bridge=none
                                --iptables=false --ip-masq=false, private roots)
  podman --runtime runc        (Podman 4.3, private --root/--runroot and CONTAINERS_CONF)

The same docker CLI (``--docker``, default /usr/local/bin/docker) drives dockyardd and dockerd,
so those two rows differ only in the engine. Target: dockyard <= 0.3x Docker's median.

Memory, from /proc/<pid>/smaps_rollup: the daemon's idle RSS/PSS (dockyardd; dockerd+containerd)
and what each of ``--containers`` ``run -d busybox sleep 300`` containers keeps resident: its
monitor (conmon, containerd-shim) plus the daemon's growth, excluding the container's own
process. Targets: dockyardd idle < 50 MiB, < 3 MiB per container.

Images: dockyard bootstraps busybox through ``POST /dockyard/images/bootstrap?name=busybox``;
Docker and Podman ``import`` a tarball of the host's /bin/busybox (bin/busybox, sh, true,
sleep), since there is no internet. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from engines import start_dockerd, start_dockyardd
from hostprocs import (BenchError, Mem, Section, api, busybox_tar, descendants, kill_matching,
                       mem_of, processes, remove_cgroup_tree, run, run_sections, say,
                       unmount_under, work_dir)
from measure import (Client, MemResult, Results, Timing, breakdown, client_startup,
                     measure_containers, pct, remove_all, runc_floor, timed)

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
DOCKER_REFERENCE_MS = 530.0   # ENVIRONMENT.md, for a ratio when Docker cannot run here
TARGET_RATIO = 0.3
TARGET_IDLE_MIB = 50.0
TARGET_PER_CONTAINER_MIB = 3.0
DOCKER_CGROUP_PARENT = "dockyard-bench-docker"
PODMAN_CGROUP_PARENT = "dockyard-bench-podman"


# -- engine sections ---------------------------------------------------------------------------


def per_container(res: Results, m: MemResult, client: Client, args: argparse.Namespace,
                  daemon_pids: Callable[[], list[int]], scope: Path) -> None:
    """Add memory row ``m`` to ``res`` and fill in what each running container costs.

    A failure there loses only the per-container figures: the row keeps the idle memory and the
    section its timings.
    """
    res.memory.append(m)
    try:
        m.per_container, m.monitors = measure_containers(client, args.containers, args.timeout,
                                                         daemon_pids, scope)
    except BenchError as exc:
        say(f"  memory per container failed: {exc}")


def section_dockyard(args: argparse.Namespace, work: Path, res: Results, sec: Section) -> None:
    root = work / "dockyard"
    data, exe = root / "data", root / "exec"
    # A bytecode cache in our directory: this environment sets PYTHONDONTWRITEBYTECODE=1, and
    # without .pyc files each CLI run recompiles dockyard (~45 ms) - a normal install has them.
    env = {**os.environ, "DOCKYARD_DATA_ROOT": str(data), "DOCKYARD_EXEC_ROOT": str(exe),
           "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    no_pyc = env.pop("PYTHONDONTWRITEBYTECODE", None)
    # As pip does at install time: the daemon's memory and the CLI's start-up then exclude
    # compiling (a cold cache costs dockyardd ~5 MiB RSS).
    python = VENV_BIN / "python"
    run([str(python if python.exists() else sys.executable), "-m", "compileall", "-q",
         str(REPO / "dockyard")], timeout=300, env=env)
    eng = start_dockyardd(root, sec, args.dockyardd, args.docker, env, busybox=False)
    daemon, sock = eng.proc, eng.sock
    say(f"  dockyardd pid {daemon.pid} on {sock}")
    daemon_pids = lambda: [daemon.pid] + descendants(daemon.pid, processes())  # noqa: E731
    idle = mem_of(daemon_pids())
    t0 = time.perf_counter()
    status, reply = api(sock, "POST", "/dockyard/images/bootstrap?name=busybox", timeout=120)
    if status != 200:
        raise BenchError(f"bootstrap busybox: HTTP {status}: {reply}")
    say(f"  bootstrapped busybox in {time.perf_counter() - t0:.2f}s: {reply}")

    docker = Client("docker CLI -> dockyardd", eng.cli(), eng.env, judged=True)
    sec.defer("remove containers", lambda: remove_all(docker, args.timeout))
    cli = Client("dockyard CLI -> dockyardd", [args.dockyard_cli],
                 {**env, "DOCKER_HOST": f"unix://{sock}", "DOCKYARD_HOST": f"unix://{sock}"},
                 judged=True)

    def runtime_state() -> str:
        exits = {n: (exe / "exits" / n).read_text().strip() for n in os.listdir(exe / "exits")}
        out = run(["runc", "--root", str(exe / "runc"), "list", "--format", "json"],
                  timeout=20, check=False).stdout
        states = {c["id"][:12]: c["status"] for c in json.loads(out or "[]") or []}
        return (f"exit files (conmon wrote, daemon has not consumed): "
                f"{ {k[:12]: v for k, v in exits.items()} }; runc says: {states}")

    missing = dockyard_cli_missing(args)
    if missing:
        say(f"  (a) dockyard CLI skipped: {missing}")
        res.timings.append(Timing(cli.label, note=f"skipped: {missing}", judged=True))
    else:
        timed(cli, args, res, runtime_state)
        if no_pyc:
            raw = Client("dockyard CLI, no .pyc", cli.argv,
                         {**cli.env, "PYTHONDONTWRITEBYTECODE": no_pyc}, judged=True)
            raw.env.pop("PYTHONPYCACHEPREFIX")
            timed(raw, args, res, runtime_state)
    timed(docker, args, res, runtime_state)
    for what, client in [("docker CLI", docker)] + ([] if missing else [("dockyard CLI", cli)]):
        res.notes.append(client_startup(what, client, args.timeout))
    breakdown(sock, args)
    per_container(res, MemResult("dockyardd", idle=idle, idle_after=mem_of(daemon_pids())),
                  docker, args, daemon_pids, work)
    # The floor under dockyard's own OCI spec (Docker's seccomp profile, masks, devices).
    spec = next(iter(sorted((data / "containers").glob("*/config.json"))), None)
    if spec is not None:
        res.timings.append(runc_floor("bare runc run (dockyard spec)", work / "runc-dyspec",
                                      json.loads(spec.read_text()), args, sec))


def dockyard_cli_missing(args: argparse.Namespace) -> str:
    if not os.path.exists(args.dockyard_cli):
        return f"{args.dockyard_cli} does not exist"
    python = VENV_BIN / "python"
    probe = subprocess.run([str(python if python.exists() else sys.executable), "-c",
                            "import importlib.util as u; import sys; "
                            "sys.exit(0 if u.find_spec('dockyard.cli.main') else 1)"],
                           capture_output=True, timeout=30)
    return "" if probe.returncode == 0 else "dockyard.cli.main is not written yet"


def section_runc(args: argparse.Namespace, work: Path, res: Results, sec: Section) -> None:
    res.timings.append(runc_floor("bare runc run (runc spec)", work / "runc", None, args, sec))


def section_docker(args: argparse.Namespace, work: Path, res: Results, sec: Section) -> None:
    if shutil.which("dockerd") is None:
        raise BenchError("dockerd is not installed (try --install-peers)")
    root = work / "docker"
    eng = start_dockerd(root, sec, args.docker, DOCKER_CGROUP_PARENT, busybox=False)
    daemon, sock = eng.proc, eng.sock

    def daemon_pids() -> list[int]:  # dockerd and the containerd it started
        table = processes()
        return [daemon.pid] + [p for p in descendants(daemon.pid, table)
                               if table[p].comm == "containerd"]

    say(f"  dockerd pid {daemon.pid} (containerd {daemon_pids()[1:]}) on {sock}")
    idle = mem_of(daemon_pids())
    docker = Client("docker CLI -> Docker 20.10", eng.cli(), eng.env)
    sec.defer("remove containers", lambda: remove_all(docker, args.timeout))
    run(docker.cmd("import", str(busybox_tar(root)), "busybox:latest"), timeout=120, env=docker.env)
    timed(docker, args, res)
    breakdown(sock, args)
    per_container(res, MemResult("dockerd + containerd", idle=idle,
                                 idle_after=mem_of(daemon_pids())), docker, args, daemon_pids, work)


def section_podman(args: argparse.Namespace, work: Path, res: Results, sec: Section) -> None:
    podman = shutil.which("podman")
    if podman is None:
        raise BenchError("podman is not installed (try --install-peers)")
    root = work / "podman"
    root.mkdir()
    (root / "networks").mkdir()
    conf = root / "containers.conf"
    # ENVIRONMENT.md: no default ulimits (the host's nofile hard limit is 20000), cgroupfs.
    conf.write_text('[containers]\ndefault_ulimits = []\n\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    f'runtime = "runc"\n\n[network]\nnetwork_config_dir = "{root / "networks"}"\n')
    storage = root / "storage.conf"
    storage.write_text(f'[storage]\ndriver = "overlay"\nrunroot = "{root / "run"}"\n'
                       f'graphroot = "{root / "root"}"\n')
    registries = root / "registries.conf"
    registries.write_text('unqualified-search-registries = []\nshort-name-mode = "disabled"\n')
    env = {**os.environ, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage),
           "CONTAINERS_REGISTRIES_CONF": str(registries)}
    client = Client("podman --runtime runc", [
        podman, "--root", str(root / "root"), "--runroot", str(root / "run"),
        "--tmpdir", str(root / "tmp"), "--runtime", "runc", "--cgroup-manager", "cgroupfs",
        "--storage-driver", "overlay"], env, image="localhost/busybox:latest",
        run_flags=["--cgroup-parent", f"/{PODMAN_CGROUP_PARENT}"])
    sec.defer("cgroups", lambda: remove_cgroup_tree(PODMAN_CGROUP_PARENT))
    sec.defer("leftover mounts", lambda: unmount_under(root))
    sec.defer("leftover conmon", lambda: kill_matching(("conmon",), str(root)))
    sec.defer("remove containers", lambda: remove_all(client, args.timeout))
    run(client.cmd("import", str(busybox_tar(root)), "localhost/busybox:latest"), timeout=120,
        env=env)
    timed(client, args, res)
    per_container(res, MemResult("podman (no daemon)", idle=Mem()), client, args, lambda: [], root)


# -- report ------------------------------------------------------------------------------------


def report(res: Results) -> None:
    say()
    say("run --rm --network none busybox true  (all engines with --network none: dockyard has only"
        " none/host networking)")
    docker = next((t for t in res.timings if "Docker 20.10" in t.label and t.samples), None)
    base = statistics.median(docker.samples) * 1000 if docker else DOCKER_REFERENCE_MS
    base_note = "Docker measured" if docker else f"Docker not run: ratio to the ~{base:.0f} ms " \
        "reference in ENVIRONMENT.md"
    say(f"{'client -> engine':30s} {'runs':>4s} {'median':>8s} {'p90':>8s} {'min':>8s} "
        f"{'vs Docker':>9s}")
    for t in res.timings:
        if not t.samples:
            say(f"{t.label:30s}  {t.note}")
            continue
        med = statistics.median(t.samples) * 1000
        ratio = med / base
        mark = "" if not t.judged else (
            "  ok" if ratio <= TARGET_RATIO else f"  OVER target {TARGET_RATIO}x")
        say(f"{t.label:30s} {len(t.samples):4d} {med:6.0f}ms {pct(t.samples, 0.9) * 1000:6.0f}ms "
            f"{min(t.samples) * 1000:6.0f}ms {ratio:8.2f}x{mark}")
    say(f"(ratio base: {base_note}; target dockyard <= {TARGET_RATIO}x)")
    if not res.memory:
        for n in res.notes:
            say(n)
        return
    say()
    say("memory (from /proc/<pid>/smaps_rollup; per container = monitor process(es) + daemon "
        "growth, the container's own process excluded)")
    for m in res.memory:
        if m.idle is not None and m.label.startswith("dockyardd"):
            mib = m.idle.rss_kib / 1024
            mark = "ok" if mib < TARGET_IDLE_MIB else f"OVER target {TARGET_IDLE_MIB:.0f} MiB"
            say(f"  {m.label:22s} idle at start   {m.idle.show()}  {mark}")
        elif m.idle is not None and m.idle.rss_kib:
            say(f"  {m.label:22s} idle at start   {m.idle.show()}")
        if m.idle_after is not None:
            say(f"  {m.label:22s} idle after runs {m.idle_after.show()}")
        if m.per_container is not None:
            mark = ""
            if m.label.startswith("dockyardd"):
                mark = "  ok" if m.per_container.rss_kib / 1024 < TARGET_PER_CONTAINER_MIB else \
                    f"  OVER target {TARGET_PER_CONTAINER_MIB:.0f} MiB (RSS)"
            say(f"  {m.label:22s} per container   {m.per_container.show()}{mark}")
            say(f"  {'':22s}   ({m.monitors})")
    for n in res.notes:
        say(n)


def install_peers(timeout: float) -> None:
    """``apt-get install -y docker.io podman`` (Debian), only where services cannot start.

    Why the policy-rc.d check: without it docker.io's maintainer scripts start dockerd with
    its defaults - a docker0 bridge and iptables rules in ranges we do not allocate.
    """
    if subprocess.run(["sh", "-c", "/usr/sbin/policy-rc.d; test $? -eq 101"],
                      capture_output=True).returncode != 0:
        say("not installing peers: /usr/sbin/policy-rc.d does not refuse service starts (exit "
            "101), so the packages would start dockerd with a bridge and iptables rules")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say("installing peers: apt-get install -y docker.io podman")
    try:
        proc = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "docker.io",
                               "podman"], env=env, timeout=timeout, capture_output=True, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        say(f"  apt-get failed: {exc}")
        return
    if proc.returncode != 0:
        say(f"  apt-get failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=20, help="timed runs per engine (default 20)")
    p.add_argument("--containers", type=int, default=5, help="sleeping containers for memory")
    p.add_argument("--timeout", type=float, default=60, help="seconds allowed for one client call")
    p.add_argument("--engines", default="runc,dockyard,docker,podman",
                   help="comma-separated subset of runc,dockyard,docker,podman (runc: the floor)")
    p.add_argument("--install-peers", action="store_true",
                   help="apt-get install -y docker.io podman first (Debian)")
    p.add_argument("--docker", default="/usr/local/bin/docker", help="the docker CLI")
    p.add_argument("--dockyardd", default=str(VENV_BIN / "dockyardd"))
    p.add_argument("--dockyard-cli", default=str(VENV_BIN / "dockyard"))
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        say("bench_run.py must run as root (it starts container engines)")
        return 2
    if args.install_peers:
        install_peers(900)

    res = Results()
    sections = {"runc": section_runc, "dockyard": section_dockyard, "docker": section_docker,
                "podman": section_podman}
    with work_dir("dockyard-bench-", args.keep) as wd:
        say(f"work dir {wd.path}; {args.runs} runs per engine (+1 warm-up), {args.containers} "
            f"containers for memory; {os.cpu_count()} CPUs")
        run_sections(args.engines, sections, args, wd.path, res,
                     failed=lambda name, why: res.notes.append(f"{name}: {why}"))
    if wd.interrupted:
        return 130
    report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
