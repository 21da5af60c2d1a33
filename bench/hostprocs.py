"""Host-side helpers of bench_run.py: client commands with hard timeouts, the process table,
memory from smaps_rollup, a tiny Engine API client on a unix socket, and the cleanup of what
an engine may leave behind (processes by pid, mounts, cgroups, runc state).

Every bench's main() runs inside :func:`work_dir` (a fresh /tmp directory; SIGTERM and SIGHUP
unwind like Ctrl-C) and runs its engines through :func:`run_sections` (each engine fails on its
own and is always cleaned up through its :class:`Section`).

Nothing here knows an engine; bench_run.py says what to start and measure.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

__all__ = [
    "BenchError", "say", "run", "alive", "cmdline", "stop_pid", "Proc", "processes",
    "descendants", "Mem", "mem_of", "api", "wait_ping", "tail", "remove_cgroup_tree",
    "unmount_under", "busybox_tar", "Section", "spawn_daemon", "stop_daemon", "kill_matching",
    "runc_delete_all", "CGROUP_ROOT", "UnixHTTP", "free_port", "hijack", "remove_empty_dirs",
    "NetState", "net_state", "net_changes", "routes_overlap", "cpu_seconds", "WorkDir",
    "work_dir", "run_sections", "run_in_work_dir",
]

CGROUP_ROOT = Path("/sys/fs/cgroup")


class BenchError(Exception):
    """One engine section cannot go on; the message says why."""


def say(msg: str = "") -> None:
    print(msg, flush=True)


def run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a client command; on timeout it is killed with SIGKILL (subprocess does so).

    Why SIGKILL and a new session: the docker CLI proxies SIGINT/SIGTERM to the container,
    so a hung client is killed outright, and Ctrl-C reaches only this script, which then
    removes the containers itself.
    """
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env, start_new_session=True, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"timed out after {timeout:.0f}s (killed): {' '.join(cmd)}") from None
    except OSError as exc:
        raise BenchError(f"cannot run {cmd[0]}: {exc}") from None
    if check and proc.returncode != 0:
        raise BenchError(f"exit {proc.returncode}: {' '.join(cmd)}\n    "
                         + (proc.stderr.strip() or proc.stdout.strip())[-800:])
    return proc


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def stop_pid(pid: int, what: str, grace: float = 15.0, expect: str = "") -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; ``expect`` guards against pid reuse."""
    if not alive(pid) or (expect and expect not in cmdline(pid)):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            say(f"  {what} (pid {pid}) ignored SIGTERM for {grace:.0f}s: SIGKILL")
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    comm: str
    args: str


def processes() -> dict[int, Proc]:
    out: dict[int, Proc] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out[int(name)] = Proc(int(name), ppid, comm, cmdline(int(name)))
    return out


def descendants(root: int, table: dict[int, Proc]) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [p.pid for p in table.values() if p.ppid == pid]
        found.extend(kids)
        todo.extend(kids)
    return found


@dataclass
class Mem:
    rss_kib: int = 0
    pss_kib: int = 0

    def __add__(self, other: Mem) -> Mem:
        return Mem(self.rss_kib + other.rss_kib, self.pss_kib + other.pss_kib)

    def __sub__(self, other: Mem) -> Mem:
        return Mem(self.rss_kib - other.rss_kib, self.pss_kib - other.pss_kib)

    def show(self, per: int = 1) -> str:
        return f"RSS {self.rss_kib / 1024 / per:6.2f} MiB  PSS {self.pss_kib / 1024 / per:6.2f} MiB"


def mem_of(pids: list[int]) -> Mem:
    total = Mem()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key == "Rss":
                        total.rss_kib += int(rest.split()[0])
                    elif key == "Pss":
                        total.pss_kib += int(rest.split()[0])
        except OSError:
            continue
    return total


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api(sock: str, method: str, url: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    """One Engine API request on a unix socket; returns (status, decoded JSON or text)."""
    conn = UnixHTTP(sock, timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, url, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read().decode(errors="replace")
    except OSError as exc:
        raise BenchError(f"{method} {url} on {sock}: {exc}") from None
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw) if raw.strip() else None
    except ValueError:
        return resp.status, raw


def wait_ping(sock: str, proc: subprocess.Popen[bytes], what: str, log: Path,
              timeout: float) -> None:
    """Wait until a daemon answers ``GET /_ping``; fail early (with its log) if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited with {proc.returncode} at start:\n{tail(log)}")
        if os.path.exists(sock):
            try:
                if api(sock, "GET", "/_ping", timeout=5)[0] == 200:
                    return
            except BenchError:
                pass
        time.sleep(0.05)
    raise BenchError(f"{what} did not answer /_ping within {timeout:.0f}s:\n{tail(log)}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join("    " + l for l in path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "    (no log)"


def cgroup_dirs(name: str) -> list[Path]:
    return [p / name for p in CGROUP_ROOT.iterdir() if (p / name).is_dir()]


def remove_cgroup_tree(name: str) -> None:
    """rmdir an (empty) cgroup parent this script named, children first, in every hierarchy."""
    for top in cgroup_dirs(name):
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda t: -t[0].count("/")):
            try:
                os.rmdir(dirpath)
            except OSError as exc:
                say(f"  warning: cannot remove cgroup {dirpath}: {exc}")


def unmount_under(root: Path) -> None:
    """Unmount whatever an engine left mounted under our private directory (deepest first)."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    points = [p.encode().decode("unicode_escape") for p in points]
    for p in sorted((p for p in points if p.startswith(str(root) + "/")), key=len, reverse=True):
        say(f"  unmounting leftover {p}")
        if subprocess.run(["umount", p], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", p], capture_output=True)


def busybox_tar(dest: Path, applets: tuple[str, ...] = ("sh", "true", "sleep")) -> Path:
    """A rootfs tarball of the host's static busybox: bin/busybox and links for ``applets``."""
    src = next((p for p in ("/bin/busybox", "/usr/bin/busybox") if os.path.isfile(p)), None)
    if src is None:
        raise BenchError("no /bin/busybox on this host (apt-get install busybox-static)")
    tar_path = dest / "busybox-rootfs.tar"
    with tarfile.open(tar_path, "w") as tar:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        tar.add(src, arcname="bin/busybox")
        for applet in applets:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, "busybox", 0o777
            tar.addfile(info)
    return tar_path


class Section:
    """Cleanup callbacks run in reverse order; each failure is reported, none stops the rest."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._undo: list[tuple[str, Callable[[], None]]] = []

    def defer(self, what: str, fn: Callable[[], None]) -> None:
        self._undo.append((what, fn))

    def close(self) -> None:
        while self._undo:
            what, fn = self._undo.pop()
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - cleanup must go on
                say(f"  warning: {self.name} cleanup ({what}) failed: {exc!r}")


@dataclass
class WorkDir:
    """What :func:`work_dir` gives the bench: its directory, and whether it was interrupted."""
    path: Path
    interrupted: bool = False


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool) -> Iterator[WorkDir]:
    """A fresh ``/tmp/<prefix>*`` for one bench run, removed at the end, also on Ctrl-C, SIGTERM
    or SIGHUP (with ``keep`` it stays, and its path is said).

    Why SIGTERM and SIGHUP become KeyboardInterrupt: a bench stopped by ``kill`` or by a closed
    terminal must unwind as on Ctrl-C, through every Section's cleanup, instead of dying with
    its daemons, mounts and cgroups left behind. The interrupt ends the ``with`` block and is
    said here, not raised again: the caller sees ``interrupted`` and returns 130, after any
    check of the host it makes last.
    """
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    wd = WorkDir(Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp")))
    try:
        yield wd
    except KeyboardInterrupt:
        say("\ninterrupted: everything started was stopped")
        wd.interrupted = True
    finally:
        if not keep:
            shutil.rmtree(wd.path, ignore_errors=True)
        else:
            say(f"kept {wd.path}")


T = TypeVar("T")


def run_sections(engines: str, sections: Mapping[str, Callable[..., T]], *args: Any,
                 failed: Callable[[str, str], None] | None = None) -> dict[str, T]:
    """Run each section named in ``engines`` (comma-separated, as ``--engines`` gives them) as
    ``sections[name](*args, Section(name))`` and close its Section whatever happens; returns
    what the sections that did not fail returned, by name.

    Why each section fails on its own: an engine that cannot run here (no dockerd, a cgroup
    taken) or a bug in one section must cost neither the other engines' rows nor anyone's
    cleanup. A failure is said, and given to ``failed(name, why)`` (``why``: "failed: <first
    line>" or "failed unexpectedly: <repr>"); KeyboardInterrupt goes on, after the close, to
    :func:`work_dir`.
    """
    results: dict[str, T] = {}
    for name in (e.strip() for e in engines.split(",") if e.strip()):
        if name not in sections:
            say(f"unknown engine {name!r}")
            continue
        say(f"\n== {name}")
        sec = Section(name)
        try:
            results[name] = sections[name](*args, sec)
        except BenchError as exc:
            say(f"  {name} FAILED: {exc}")
            if failed is not None:
                failed(name, f"failed: {(str(exc).splitlines() or [''])[0]}")
        except Exception as exc:  # noqa: BLE001 - a bug here must not stop other engines
            traceback.print_exc()
            say(f"  {name} FAILED unexpectedly: {exc!r}")
            if failed is not None:
                failed(name, f"failed unexpectedly: {exc!r}")
        finally:
            sec.close()
    return results


def spawn_daemon(argv: list[str], log: Path,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a daemon in its own session (Ctrl-C reaches only us), output to ``log``."""
    with open(log, "wb") as out:
        try:
            return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise BenchError(f"cannot start {argv[0]}: {exc}") from None


def stop_daemon(proc: subprocess.Popen[bytes], what: str, grace: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            say(f"  {what} (pid {proc.pid}) ignored SIGTERM for {grace:.0f}s: SIGKILL")
            proc.kill()
            proc.wait(10)


def kill_matching(comms: tuple[str, ...], marker: str, settle: float = 10.0) -> None:
    """Stop processes an engine left behind: by pid, only ones naming our private directory.

    Monitors get ``settle`` seconds to finish on their own first (Podman's conmon runs
    ``podman container cleanup`` after its container was removed).
    """
    def left() -> list[Proc]:
        return [p for p in processes().values() if p.comm in comms and marker in p.args
                and alive(p.pid)]

    deadline = time.monotonic() + settle
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in left():
        say(f"  stopping leftover {p.comm} pid {p.pid}")
        stop_pid(p.pid, p.comm, 5, expect=marker)


def runc_delete_all(runc_root: Path) -> None:
    """``runc delete -f`` what a killed monitor left in our private runc root."""
    if not runc_root.is_dir():
        return
    out = subprocess.run(["runc", "--root", str(runc_root), "list", "-q"], capture_output=True,
                         text=True, timeout=30)
    for cid in out.stdout.split():
        say(f"  runc delete -f leftover {cid[:12]}")
        subprocess.run(["runc", "--root", str(runc_root), "delete", "-f", cid],
                       capture_output=True, timeout=30)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of ``pids`` (exited ones count 0), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / _TICK


# -- added for bench_ops (exec), bench_net and bench_registry_client ---------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the engine binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hijack(sock: str, url: str, body: Any, timeout: float) -> bytes:
    """``POST url`` with ``Upgrade: tcp`` as the docker CLI sends it (exec start, attach), and
    read the raw stream until the engine closes it; returns the stream (headers cut off).

    Both engines answer 101 (or 200) and close the connection when the process ends.
    """
    data = json.dumps(body).encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(f"POST {url} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                  f"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {len(data)}\r\n\r\n"
                  .encode() + data)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise BenchError(f"POST {url} on {sock}: {exc}") from None
    finally:
        s.close()
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if not (status.startswith(b"HTTP/1.1 101") or status.startswith(b"HTTP/1.1 200")):
        raise BenchError(f"POST {url}: {status.decode(errors='replace')} {rest[:300]!r}")
    return rest


def remove_empty_dirs(dirs: list[Path]) -> None:
    """rmdir what we created, children listed first - unless another Docker now uses them."""
    if not dirs:
        return
    others = sorted({p.comm for p in processes().values()
                     if p.comm in ("dockerd", "containerd", "containerd-shim")})
    if others:
        say(f"  leaving {', '.join(map(str, dirs))}: another {'/'.join(others)} runs now")
        return
    for d in dirs:
        try:
            d.rmdir()
        except FileNotFoundError:
            pass
        except OSError as exc:
            say(f"  warning: cannot remove {d}: {exc}")


@dataclass(frozen=True)
class NetState:
    """The host's network objects a bench may leave behind: link names and iptables rules."""
    links: frozenset[str]
    filter_rules: frozenset[str]
    nat_rules: frozenset[str]


def _lines(cmd: list[str]) -> frozenset[str]:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(l for l in out.splitlines() if l and not l.startswith("#"))


def net_state() -> NetState:
    links = frozenset(l.split(":", 2)[1].strip().split("@")[0]
                      for l in _lines(["ip", "-o", "link"]))
    return NetState(links, _lines(["iptables", "-S"]), _lines(["iptables", "-t", "nat", "-S"]))


def net_changes(before: NetState, after: NetState) -> list[str]:
    """What differs, one line per object: ``+ link br-1234``, ``- nat -A ...``."""
    out = []
    for what, a, b in (("link", before.links, after.links),
                       ("filter", before.filter_rules, after.filter_rules),
                       ("nat", before.nat_rules, after.nat_rules)):
        out += [f"+ {what} {x}" for x in sorted(b - a)] + [f"- {what} {x}" for x in sorted(a - b)]
    return out


def routes_overlap(*subnets: str) -> list[str]:
    """The host routes (``ip -j route``) that overlap any of ``subnets``."""
    import ipaddress
    try:
        routes = json.loads(subprocess.run(["ip", "-j", "route"], capture_output=True, text=True,
                                           timeout=30).stdout or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"ip -j route: {exc}") from None
    nets = [ipaddress.ip_network(s, strict=False) for s in subnets]
    hits = []
    for r in routes:
        if r.get("dst", "default") == "default":
            continue
        dst = ipaddress.ip_network(r["dst"], strict=False)
        if any(dst.overlaps(n) for n in nets):
            hits.append(f"{r['dst']} dev {r.get('dev', '?')}")
    return hits


def run_in_work_dir(prefix: str, args: Any, sections: Mapping[str, Callable[..., T]],
                    intro: Callable[[Path], str]) -> tuple[dict[str, T], WorkDir]:
    """The body of an engine bench's main(): a :func:`work_dir`, the line saying what runs,
    and :func:`run_sections` over ``args.engines`` (each section gets ``args`` and the work
    dir); returns what the sections gave and the work dir (``interrupted``: return 130)."""
    results: dict[str, T] = {}
    with work_dir(prefix, args.keep) as wd:
        say(intro(wd.path))
        results = run_sections(args.engines, sections, args, wd.path)
    return results, wd
