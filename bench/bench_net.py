"""Benchmark: bridge networking, dockyard vs Docker 20.10.

    .venv/bin/python bench/bench_net.py [--runs 20] [--seconds 5] [--engines dockyard,docker]

Run by hand, as root; never by CI. The same docker CLI (``--docker``) drives both engines.

(a) **start on a user-defined bridge**: ``network create benchnet``, one warm-up, then --runs
    × ``run --rm --network benchnet busybox true``; the same with ``--network none`` as the
    floor, so the difference is what joining a bridge costs (veth, IPAM, DNS, firewall).
(b) **requests per second through a published port**: ``run -d -p 127.0.0.1:<port>:80 busybox
    sh -c 'mkdir /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www'``, then
    ``wrk -t2 -c16 -d<seconds>s http://127.0.0.1:<port>/`` (or, without wrk, 16 Python threads
    for the same time), and the same load straight to the container's address: the gap is
    the port forwarding (dockyard: netavark's DNAT; Docker: docker-proxy, as dockerd runs
    with --iptables=false). CPU of the engine's processes during the load is printed too
    (dockyardd and children; dockerd, containerd, shims, docker-proxy).

Docker's networks stay in ranges this project allocates: dockerd runs with ``--bip
10.231.0.1/24 --default-address-pool base=10.232.0.0/16,size=24 --iptables=false
--ip-masq=false --ip-forward=false --userland-proxy=true`` and benchnet gets ``--subnet
10.232.1.0/24``; if ``ip -j route`` shows either range taken, the next free 10.23x pair is
used and the script says so. dockyardd allocates its own subnets (its IPAM).

Cleanup, also on Ctrl-C or an error: containers, benchnet, the daemons (by pid), docker0
when this script created it (dockerd leaves it), mounts, cgroups, the work dir. At the end
``ip -o link``, ``iptables -S`` and ``iptables -t nat -S`` are compared with the start: what
differs is printed, and objects that are ours (docker0, Docker's br-*, the dockyardd
instance's dy<id>-* bridges and DY-<id> chains) are called leftovers. Other engines on the
machine may change the rest meanwhile.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from engines import (Engine, bridge_args, engine_arguments, is_root, start_dockerd,
                     start_dockyardd)
from hostprocs import (BenchError, Section, cpu_seconds, descendants, free_port, net_changes,
                       net_state, processes, routes_overlap, run, run_in_work_dir, say)
from measure import pct

DOCKER_CGROUP_PARENT = "dockyard-bench-net-docker"
NETWORK = "benchnet"
HTTPD = "mkdir /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www"
# (docker0 address, default address pool): the first pair whose ranges no route uses
RANGES = [("10.231.0.1/24", "10.232.0.0/16"), ("10.233.0.1/24", "10.234.0.0/16"),
          ("10.235.0.1/24", "10.236.0.0/16"), ("10.237.0.1/24", "10.238.0.0/16")]


@dataclass
class Load:
    tool: str
    rps: float
    requests: int
    errors: int
    latency: str
    engine_cpu_s: float


@dataclass
class Result:
    label: str
    bridge: list[float] = field(default_factory=list)
    none: list[float] = field(default_factory=list)
    published: Load | None = None
    direct: Load | None = None
    notes: list[str] = field(default_factory=list)


# -- measuring ---------------------------------------------------------------------------------


def time_runs(eng: Engine, network: str, runs: int, timeout: float) -> list[float]:
    cmd = eng.cli("run", "--rm", "--network", network, "busybox", "true")
    out = []
    for i in range(runs + 1):  # run 0 warms up
        t0 = time.perf_counter()
        try:
            run(cmd, timeout=timeout)
        except BenchError as exc:
            raise BenchError(f"run {i}/{runs} on {network}: {exc}") from None
        if i:
            out.append(time.perf_counter() - t0)
    return out


def get_once(host: str, port: int, timeout: float = 2.0) -> bytes:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise OSError(f"HTTP {resp.status}")
        return body
    finally:
        conn.close()


def wait_http(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            if get_once(host, port).strip() == b"hi":
                return
            last = "unexpected body"
        except (OSError, http.client.HTTPException) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise BenchError(f"httpd on {host}:{port} did not answer within {timeout:.0f}s: {last}")


def load_wrk(url: str, seconds: float) -> tuple[float, int, int, str]:
    proc = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds:.0f}s", "--timeout", "2s", url],
                          capture_output=True, text=True, timeout=seconds + 30,
                          start_new_session=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    out = proc.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    if rps is None or total is None:
        raise BenchError(f"cannot read wrk's output:\n{out}")
    latency = f"avg {lat.group(1)}, stdev {lat.group(2)}, max {lat.group(3)}" if lat else "?"
    return float(rps.group(1)), int(total.group(1)), errors, latency


def load_python(host: str, port: int, seconds: float) -> tuple[float, int, int, str]:
    """16 threads, one request per connection (busybox httpd closes after each), ``seconds``."""
    counts, errors, lat = [0] * 16, [0] * 16, [[] for _ in range(16)]  # type: ignore[var-annotated]
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                get_once(host, port)
                counts[i] += 1
                lat[i].append(time.perf_counter() - t0)
            except (OSError, http.client.HTTPException):
                errors[i] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 10)
    elapsed = time.perf_counter() - t0
    every = [x for xs in lat for x in xs]
    latency = (f"median {statistics.median(every) * 1000:.2f}ms, p90 {pct(every, 0.9) * 1000:.2f}ms"
               if every else "?")
    return sum(counts) / elapsed, sum(counts), sum(errors), latency


def load(host: str, port: int, seconds: float, pids: list[int]) -> Load:
    before = cpu_seconds(pids)
    if shutil.which("wrk"):
        rps, total, errors, latency = load_wrk(f"http://{host}:{port}/", seconds)
        tool = "wrk -t2 -c16"
    else:
        rps, total, errors, latency = load_python(host, port, seconds)
        tool = "python, 16 threads"
    return Load(tool, rps, total, errors, latency, cpu_seconds(pids) - before)


def route_dev(ip: str) -> str:
    out = subprocess.run(["ip", "-j", "route", "get", ip], capture_output=True, text=True,
                         timeout=30).stdout
    try:
        return str(json.loads(out)[0].get("dev", ""))
    except (ValueError, IndexError):
        return ""


def measure(eng: Engine, engine_pids: Callable[[], list[int]], args: argparse.Namespace,
            sec: Section, create_flags: list[str], bridge_prefix: str) -> Result:
    res = Result(eng.label)
    if "start" in args.parts:
        run(eng.cli("network", "create", *create_flags, NETWORK), timeout=args.timeout)
        sec.defer(f"network rm {NETWORK}", lambda: run(eng.cli("network", "rm", NETWORK),
                                                       timeout=args.timeout, check=False))
        res.bridge = time_runs(eng, NETWORK, args.runs, args.timeout)
        res.none = time_runs(eng, "none", args.runs, args.timeout)
        say(f"  {eng.label}: run --rm --network {NETWORK}: median "
            f"{statistics.median(res.bridge) * 1000:.0f} ms; --network none: median "
            f"{statistics.median(res.none) * 1000:.0f} ms")
    if "rps" in args.parts:
        port = free_port()
        cid = run(eng.cli("run", "-d", "-p", f"127.0.0.1:{port}:80", "busybox", "sh", "-c", HTTPD),
                  timeout=args.timeout).stdout.strip().splitlines()[-1]
        sec.defer("remove httpd", lambda: run(eng.cli("rm", "-f", cid), timeout=args.timeout,
                                              check=False))
        ip = run(eng.cli("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                         "{{end}}", cid), timeout=args.timeout).stdout.strip().split()[0]
        dev = route_dev(ip)
        if not dev.startswith(bridge_prefix):
            # another engine's bridge holds the same subnet: the load would not reach ours
            raise BenchError(f"the host routes {ip} via {dev!r}, not a {bridge_prefix}* bridge")
        wait_http("127.0.0.1", port, 20)
        res.published = load("127.0.0.1", port, args.seconds, engine_pids())
        say(f"  {eng.label}: 127.0.0.1:{port} -> {ip}:80: {res.published.rps:.0f} req/s "
            f"({res.published.tool}, {res.published.errors} errors, {res.published.latency}), "
            f"engine CPU {res.published.engine_cpu_s:.2f}s")
        wait_http(ip, 80, 10)
        res.direct = load(ip, 80, args.seconds, engine_pids())
        say(f"  {eng.label}: straight to {ip}:80: {res.direct.rps:.0f} req/s "
            f"({res.direct.errors} errors, {res.direct.latency}), engine CPU "
            f"{res.direct.engine_cpu_s:.2f}s")
    return res


# -- engine sections ---------------------------------------------------------------------------


def dockyard_instance(work: Path) -> str:
    """The instance id of the dockyardd this bench starts in ``work``, as its NetworkService
    derives it from the exec root: its bridges are dy<id>-*, its chains DY-<id>."""
    return hashlib.sha256(str(work / "dockyard" / "exec").encode()).hexdigest()[:6]


def section_dockyard(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    root = work / "dockyard"
    instance = dockyard_instance(work)
    sec.defer("dockyard leftovers", lambda: sweep_dockyard(instance))  # runs after the stop
    eng = start_dockyardd(root, sec, args.dockyardd, args.docker)
    say(f"  dockyardd pid {eng.proc.pid} (bridges dy{instance}-*) on {eng.sock}")
    pids = lambda: [eng.proc.pid] + descendants(eng.proc.pid, processes())  # noqa: E731
    res = measure(eng, pids, args, sec, [], f"dy{instance}-")
    res.notes.append(f"dockyard's instance id {instance}")
    return res


def sweep_dockyard(instance: str) -> None:
    """After dockyardd stopped: a dy<instance>-* bridge still there is a leftover (report it,
    delete it); its DY-<instance> chains are only reported (they say what dockyard forgot)."""
    for name in sorted(os.listdir("/sys/class/net")):
        if name.startswith(f"dy{instance}-"):
            say(f"  LEFTOVER: dockyard bridge {name}: ip link del")
            subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=30)


def pick_ranges() -> tuple[str, str, list[str]]:
    notes = []
    for bip, pool in RANGES:
        taken = routes_overlap(bip, pool)
        if not taken:
            return bip, pool, notes
        notes.append(f"{bip} / {pool} overlap host routes ({', '.join(taken)}): not used")
    raise BenchError("every 10.23x range is taken: " + "; ".join(notes))


def section_docker(args: argparse.Namespace, work: Path, sec: Section) -> Result:
    bip, pool, notes = pick_ranges()
    for n in notes:
        say(f"  {n}")
    if os.path.exists("/sys/class/net/docker0"):
        raise BenchError("docker0 exists already (another Docker?): --bip would reuse it")
    subnet = pool.replace(".0.0/16", ".1.0/24")
    # after dockerd stopped (deferred first, so it runs last): dockerd leaves docker0 behind
    sec.defer("docker0", lambda: remove_docker_links(pool))
    eng = start_dockerd(work / "docker", sec, args.docker, DOCKER_CGROUP_PARENT,
                        network=bridge_args(bip, pool))
    say(f"  dockerd pid {eng.proc.pid} on {eng.sock}: docker0 {bip}, pool {pool}, "
        f"{NETWORK} {subnet}")

    def pids() -> list[int]:
        table = processes()
        return eng.pids() + [p for p in descendants(eng.proc.pid, table)
                             if table[p].comm == "docker-proxy"]

    res = measure(eng, pids, args, sec, ["--subnet", subnet], "docker0")
    res.notes += notes + [f"Docker: docker0 {bip}, pool {pool}, {NETWORK} {subnet}"]
    return res


def remove_docker_links(pool: str) -> None:
    """docker0 (this section checked it did not exist), and any br-* left with an address in
    our pool (a failed ``network rm``)."""
    prefix = pool.split(".0.0/")[0] + "."
    for name in sorted(os.listdir("/sys/class/net")):
        if name != "docker0" and not name.startswith("br-"):
            continue
        addrs = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", name],
                               capture_output=True, text=True, timeout=30).stdout
        if name == "docker0" or f"inet {prefix}" in addrs:
            if name != "docker0":
                say(f"  LEFTOVER: Docker bridge {name}: ip link del")
            subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=30)


# -- report ------------------------------------------------------------------------------------


def report(results: dict[str, Result], args: argparse.Namespace) -> None:
    dy, dk = results.get("dockyard"), results.get("docker")
    say()
    say(f"{'':40s} {'dockyardd':>12s} {'Docker':>12s} {'ratio':>8s}")

    def row(what: str, a: float | None, b: float | None, fmt: str) -> None:
        show = lambda v: (fmt % v) if v is not None else "-"  # noqa: E731
        r = f"{a / b:.2f}x" if a is not None and b else "n/a"
        say(f"{what:40s} {show(a):>12s} {show(b):>12s} {r:>8s}")

    med = lambda xs: statistics.median(xs) * 1000 if xs else None  # noqa: E731
    p90 = lambda xs: pct(xs, 0.9) * 1000 if xs else None  # noqa: E731
    if "start" in args.parts:
        say(f"(a) run --rm busybox true, {args.runs} runs each (lower is better)")
        row(f"  --network {NETWORK} (ms, median)", med(dy.bridge) if dy else None,
            med(dk.bridge) if dk else None, "%.0f")
        row(f"  --network {NETWORK} (ms, p90)", p90(dy.bridge) if dy else None,
            p90(dk.bridge) if dk else None, "%.0f")
        row("  --network none (ms, median)", med(dy.none) if dy else None,
            med(dk.none) if dk else None, "%.0f")
        row("  cost of the bridge (ms, median diff)",
            med(dy.bridge) - med(dy.none) if dy and dy.bridge else None,
            med(dk.bridge) - med(dk.none) if dk and dk.bridge else None, "%.0f")
    if "rps" in args.parts:
        say(f"(b) busybox httpd, {args.seconds:.0f}s of load (requests/s: higher is better)")
        for what, get in (("published 127.0.0.1:<port> (req/s)", lambda r: r.published),
                          ("straight to the container (req/s)", lambda r: r.direct)):
            a = get(dy) if dy else None
            b = get(dk) if dk else None
            row(f"  {what}", a.rps if a else None, b.rps if b else None, "%.0f")
            row("    engine CPU during it (s)", a.engine_cpu_s if a else None,
                b.engine_cpu_s if b else None, "%.2f")
            for r, x in (("dockyard", a), ("Docker", b)):
                if x is not None:
                    say(f"    {r}: {x.requests} requests, {x.errors} errors, latency {x.latency}"
                        f" ({x.tool})")
    for r in results.values():
        for n in r.notes:
            say(f"note: {n}")
    say("(ratio = dockyard / Docker)")


def check_host(before: object, instance_hint: list[str]) -> None:
    after = net_state()
    changes = net_changes(before, after)  # type: ignore[arg-type]
    ours = [c for c in changes if c.startswith("+") and (
        "docker0" in c or " br-" in c or "DOCKER" in c or "10.23" in c
        or any(f"dy{i}" in c or f"DY-{i}" in c for i in instance_hint))]
    say()
    if not changes:
        say("host check: ip -o link, iptables -S, iptables -t nat -S are as before")
        return
    say(f"host check: {len(changes)} change(s) in ip -o link / iptables -S / -t nat -S since the "
        f"start; {len(ours)} of them ours")
    for c in changes:
        say(f"  {'LEFTOVER ' if c in ours else ''}{c}")
    if not ours:
        say("  (none names our objects: another engine on this machine made them)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=20, help="timed runs per row (default 20)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each load (default 5)")
    p.add_argument("--timeout", type=float, default=60, help="seconds allowed for one client call")
    p.add_argument("--parts", default="start,rps", help="comma-separated subset of start,rps")
    engine_arguments(p)
    args = p.parse_args(argv)
    if not is_root("bench_net.py"):
        return 2

    before = net_state()
    results, wd = run_in_work_dir(
        "dockyard-bench-net-", args, {"dockyard": section_dockyard, "docker": section_docker},
        lambda path: f"work dir {path}; {args.runs} runs per row, {args.seconds:.0f}s loads "
                     f"({'wrk' if shutil.which('wrk') else 'python threads: no wrk'}); "
                     f"{os.cpu_count()} CPUs")
    check_host(before, [dockyard_instance(wd.path)])
    if wd.interrupted:
        return 130
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
