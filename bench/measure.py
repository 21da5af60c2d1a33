"""How bench_run.py measures: timed ``run --rm`` rows, the raw-API breakdown, client start-up,
the bare-runc floor, and the memory each running container keeps resident.

An engine is reached through a :class:`Client` (a command line plus its environment); results
are plain values that bench_run.py's report prints.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hostprocs import (BenchError, Mem, Section, api, busybox_tar, descendants, mem_of,
                       processes, remove_cgroup_tree, run, runc_delete_all, say)

__all__ = [
    "Timing", "MemResult", "Results", "Client", "pct", "time_runs", "timed", "diagnose",
    "remove_all", "measure_containers", "breakdown", "client_startup", "runc_floor",
]

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


@dataclass
class Timing:
    label: str
    samples: list[float] = field(default_factory=list)
    note: str = ""
    judged: bool = False   # a dockyard row, held against the target ratio


@dataclass
class MemResult:
    label: str
    idle: Mem | None = None
    idle_after: Mem | None = None
    per_container: Mem | None = None
    monitors: str = ""


@dataclass
class Results:
    timings: list[Timing] = field(default_factory=list)
    memory: list[MemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Client:
    """A command line that talks to one engine: ``argv + ["run", ...]``."""
    label: str
    argv: list[str]
    env: dict[str, str] | None = None
    image: str = "busybox"
    run_flags: list[str] = field(default_factory=list)
    judged: bool = False

    def cmd(self, *args: str) -> list[str]:
        return [*self.argv, *args]


def time_runs(client: Client, runs: int, timeout: float) -> Timing:
    """Warm up once, then time ``runs`` × ``run --rm --network none busybox true``."""
    cmd = client.cmd("run", "--rm", "--network", "none", *client.run_flags, client.image, "true")
    result = Timing(client.label, judged=client.judged)
    for i in range(runs + 1):  # run 0 warms up: caches, lazy imports, first mount
        start = time.perf_counter()
        try:
            run(cmd, timeout=timeout, env=client.env)
        except BenchError as exc:
            raise BenchError(f"run {i}/{runs} (0 = warm-up, {len(result.samples)} timed ok): "
                             f"{exc}") from None
        if i:
            result.samples.append(time.perf_counter() - start)
    return result


def diagnose(client: Client, timeout: float) -> str:
    """What the engine says about its containers after a failed run (for the report)."""
    try:
        out = run(client.cmd("ps", "-a", "--no-trunc", "--format",
                             "{{.ID}} {{.Status}} {{.Command}}"), timeout=min(timeout, 20),
                  env=client.env, check=False)
        return (out.stdout.strip() or out.stderr.strip() or "(no containers)").replace(
            "\n", "\n      ")
    except BenchError as exc:
        return f"(ps failed too: {exc})"


def container_ids(client: Client, timeout: float) -> list[str]:
    out = run(client.cmd("ps", "-aq", "--no-trunc"), timeout=timeout, env=client.env).stdout
    return out.split()


def remove_all(client: Client, timeout: float) -> None:
    try:
        ids = container_ids(client, timeout)
        if ids:
            run(client.cmd("rm", "-f", *ids), timeout=timeout + 5 * len(ids), env=client.env)
    except BenchError as exc:
        say(f"  warning: could not remove {client.label}'s containers: {exc}")


def measure_containers(client: Client, n: int, timeout: float, daemon_pids: Callable[[], list[int]],
                       workdir: Path) -> tuple[Mem, str]:
    """Start ``n`` sleeping containers; return (memory per container, what the monitors are).

    Per-container cost = new processes that are not the containers' own (found by their
    command lines naming a container id, or descending from the daemon) + the daemon's growth.
    """
    before_daemon = mem_of(daemon_pids())
    before = processes()
    ids = []
    for _ in range(n):
        out = run(client.cmd("run", "-d", "--network", "none", *client.run_flags, client.image,
                             "sleep", "300"), timeout=timeout, env=client.env).stdout
        ids.append(out.strip().splitlines()[-1])
    time.sleep(2.0)  # let monitors settle (conmon and shims fault in their pages lazily)
    table = processes()
    inits = set()
    for cid in ids:
        out = run(client.cmd("inspect", "-f", "{{.State.Pid}}", cid), timeout=timeout,
                  env=client.env).stdout.strip()
        if not out.isdigit() or int(out) <= 0:
            raise BenchError(f"container {cid[:12]} is not running (State.Pid={out!r})")
        inits.add(int(out))
        inits.update(descendants(int(out), table))
    core = daemon_pids()
    daemon = set(core)
    for pid in core:
        daemon.update(descendants(pid, table))
    extra = [p for p in table.values()
             if p.pid not in before and p.pid not in inits and p.pid not in daemon
             and (any(cid in p.args for cid in ids) or str(workdir) in p.args)]
    extra += [table[pid] for pid in daemon if pid not in before and pid not in inits
              and pid not in core and pid in table]
    monitors = mem_of([p.pid for p in extra])
    growth = mem_of(core) - before_daemon
    names: dict[str, int] = {}
    for p in extra:
        names[p.comm] = names.get(p.comm, 0) + 1
    what = ", ".join(f"{k} x{v}" for k, v in sorted(names.items())) or "no per-container process"
    per = Mem((monitors.rss_kib + max(growth.rss_kib, 0)) // n,
              (monitors.pss_kib + max(growth.pss_kib, 0)) // n)
    detail = (f"{what}; monitors {monitors.show(n)} each, daemon growth "
              f"{growth.rss_kib / 1024 / n:+.2f} MiB RSS each")
    return per, detail


def breakdown(sock: str, args: argparse.Namespace) -> None:
    try:
        say(f"  API breakdown (ms): {api_breakdown(sock, max(3, min(args.runs, 10)), args.timeout)}")
    except BenchError as exc:
        say(f"  API breakdown failed: {exc}")


def api_breakdown(sock: str, runs: int, timeout: float) -> str:
    """Where the time of one run goes, as the raw API calls (no CLI, no attach)."""
    phases: dict[str, list[float]] = {"create": [], "start": [], "wait": [], "delete": []}
    body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
    for _ in range(runs):
        t0 = time.perf_counter()
        status, reply = api(sock, "POST", "/containers/create", body, timeout)
        if status != 201:
            raise BenchError(f"create: {status} {reply}")
        cid = reply["Id"]
        t1 = time.perf_counter()
        status, reply = api(sock, "POST", f"/containers/{cid}/start", None, timeout)
        t2 = time.perf_counter()
        if status not in (204, 304):
            raise BenchError(f"start: {status} {reply}")
        status, reply = api(sock, "POST", f"/containers/{cid}/wait", None, timeout)
        t3 = time.perf_counter()
        api(sock, "DELETE", f"/containers/{cid}?force=1", None, timeout)
        t4 = time.perf_counter()
        for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            phases[k].append(v)
    total = sum(statistics.median(v) for v in phases.values())
    return "  ".join(f"{k} {statistics.median(v) * 1000:.0f}" for k, v in phases.items()) + \
        f"  (sum {total * 1000:.0f} ms, medians of {runs})"


def client_startup(what: str, client: Client, timeout: float) -> str:
    """A client's fixed cost: ``version`` is one round trip, nothing else."""
    t = []
    try:
        for _ in range(5):
            t0 = time.perf_counter()
            run(client.cmd("version"), timeout=timeout, env=client.env)
            t.append(time.perf_counter() - t0)
    except BenchError as exc:
        return f"client start-up: `{what} version` failed: {exc}"
    return (f"client start-up: `{what} version` (one API round trip) against dockyardd: "
            f"median {statistics.median(t) * 1000:.0f} ms")


def timed(client: Client, args: argparse.Namespace, res: Results,
          more: Callable[[], str] | None = None) -> None:
    try:
        t = time_runs(client, args.runs, args.timeout)
    except BenchError as exc:
        say(f"  {client.label}: FAILED: {exc}")
        say(f"    containers now: {diagnose(client, args.timeout)}")
        if more is not None:
            try:
                say(f"    {more()}")
            except (OSError, ValueError, BenchError) as more_exc:
                say(f"    (no runtime state: {more_exc})")
        res.timings.append(Timing(client.label, note=f"failed: {str(exc).splitlines()[0]}",
                                  judged=client.judged))
        return
    say(f"  {client.label}: median {statistics.median(t.samples) * 1000:.0f} ms")
    res.timings.append(t)


RUNC_CGROUP_PARENT = "dockyard-bench-runc"


def runc_floor(label: str, root: Path, spec: dict[str, object] | None, args: argparse.Namespace,
               sec: Section) -> Timing:
    """Time bare ``runc run`` of the busybox rootfs: no engine, no monitor (the floor).

    ``spec`` None means ``runc spec``'s defaults (no seccomp); otherwise an engine's
    config.json, pointed at our rootfs, with its bind mounts of engine files left out.
    """
    runc = shutil.which("runc")
    if runc is None:
        raise BenchError("runc is not installed")
    bundle, state = root / "bundle", root / "state"
    (bundle / "rootfs").mkdir(parents=True)
    with tarfile.open(busybox_tar(root)) as tar:
        tar.extractall(bundle / "rootfs")
    if spec is None:
        run([runc, "spec", "--bundle", str(bundle)], timeout=30)
        spec = json.loads((bundle / "config.json").read_text())
    else:
        spec = dict(spec)
        spec["root"] = {"path": "rootfs", "readonly": False}
        spec["mounts"] = [m for m in spec.get("mounts", [])  # type: ignore[union-attr]
                          if not str(m.get("source", "")).startswith("/tmp/")]
        spec.pop("hooks", None)
    spec["process"].update(terminal=False, args=["true"])  # type: ignore[union-attr]
    linux = spec["linux"]
    linux["cgroupsPath"] = f"/{RUNC_CGROUP_PARENT}/{root.name}"  # type: ignore[index]
    linux["namespaces"] = [n for n in linux.get("namespaces", [])  # type: ignore[union-attr]
                           if "path" not in n]
    (bundle / "config.json").write_text(json.dumps(spec))
    sec.defer("cgroups", lambda: remove_cgroup_tree(RUNC_CGROUP_PARENT))
    sec.defer("leftover runc containers", lambda: runc_delete_all(state))
    cmd = [runc, "--root", str(state), "run", "--bundle", str(bundle), "bench"]
    t = Timing(label)
    try:
        for i in range(args.runs + 1):
            t0 = time.perf_counter()
            run(cmd, timeout=args.timeout)
            if i:
                t.samples.append(time.perf_counter() - t0)
    except BenchError as exc:
        t.note = f"failed: {str(exc).splitlines()[0]}"
        say(f"  {label}: FAILED: {exc}")
    else:
        say(f"  {label}: median {statistics.median(t.samples) * 1000:.0f} ms")
    return t
