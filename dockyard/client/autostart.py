"""Which daemon the CLI talks to, and starting one when nobody answers there.

Host resolution, first match wins (docker's order, with dockyard's own variable first)::

    -H/--host flag  >  DOCKYARD_HOST  >  DOCKER_HOST  >  unix://$DOCKYARD_EXEC_ROOT/dockyard.sock

The last default mirrors :func:`dockyard.daemon.config.default_host` (exec root
``/run/dockyard``); it is restated here rather than imported because that module pulls in
``dataclasses`` (~7 ms), which every CLI start would pay.

Why auto-start: dockyard is daemon-backed like docker, but there is no service manager to
rely on, so the first ``dockyard run`` on a machine (or on a private ``DOCKYARD_DATA_ROOT``
in the tests) starts ``dockyardd`` itself: detached into its own session, stdio to
``<exec root>/dockyardd.log``, the same environment (so the same data and exec roots), then
waits for ``/_ping``. Two CLIs racing to start one are safe: the daemon's pidfile lock lets
only one of them serve, and both wait for the same socket.
"""

from __future__ import annotations

import os
import sys
import time

from dockyard.client.transport import DaemonUnreachable, Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

__all__ = ["DEFAULT_EXEC_ROOT", "resolve_host", "ensure_daemon", "spawn_daemon"]

DEFAULT_EXEC_ROOT = "/run/dockyard"
START_TIMEOUT = 10.0


def resolve_host(flag_hosts: list[str] | None = None) -> str:
    """The daemon address the CLI uses (see the module docstring for the order)."""
    if flag_hosts:
        return flag_hosts[-1]
    for var in ("DOCKYARD_HOST", "DOCKER_HOST"):
        value = os.environ.get(var)
        if value:
            return value
    root = os.environ.get("DOCKYARD_EXEC_ROOT") or DEFAULT_EXEC_ROOT
    return f"unix://{root}/dockyard.sock"


def _ping(host: str, timeout: float) -> bool:
    t = Transport(host, timeout=timeout)
    try:
        return t.request("GET", "/_ping").ok
    except (OSError, ValueError):
        return False
    finally:
        t.close()


def _daemon_argv() -> list[str]:
    """``dockyardd`` next to our interpreter (the venv's), else on PATH, else ``python -m``."""
    here = os.path.join(os.path.dirname(sys.executable), "dockyardd")
    if os.access(here, os.X_OK):
        return [here]
    import shutil

    found = shutil.which("dockyardd")
    if found:
        return [found]
    return [sys.executable, "-m", "dockyard.daemon.main"]


def spawn_daemon(host: str) -> subprocess.Popen[bytes]:
    """Start ``dockyardd`` listening on ``host`` (a unix socket), detached from us."""
    import subprocess  # ~8 ms: paid only when a daemon must be started

    exec_root = os.environ.get("DOCKYARD_EXEC_ROOT") or DEFAULT_EXEC_ROOT
    os.makedirs(exec_root, exist_ok=True)
    log = open(os.path.join(exec_root, "dockyardd.log"), "ab")
    try:
        proc = subprocess.Popen(
            [*_daemon_argv(), "-H", host], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True, env=dict(os.environ))
    finally:
        log.close()
    return proc


def ensure_daemon(host: str, timeout: float = START_TIMEOUT) -> None:
    """Return once ``host`` answers ``/_ping``; start a daemon first when it is a silent unix socket.

    Raises :class:`DaemonUnreachable` for a TCP host that does not answer (we cannot start a
    remote daemon) or when the started daemon does not answer within ``timeout`` seconds.
    """
    if _ping(host, 2.0):
        return
    family = "unix" if host.startswith(("unix://", "/")) else "tcp"
    if family != "unix":
        raise DaemonUnreachable(host)
    path = host[len("unix://"):] if host.startswith("unix://") else host
    proc = spawn_daemon(f"unix://{path}")
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if os.path.exists(path) and _ping(host, 1.0):
            return
        if proc.poll() is not None:
            # It lost the race to another starter (which we keep waiting for), or it cannot run
            # at all (not root, bad roots): give the other one a moment, not the whole timeout.
            deadline = min(deadline, time.monotonic() + 2.0)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
    log = os.path.join(os.environ.get("DOCKYARD_EXEC_ROOT") or DEFAULT_EXEC_ROOT, "dockyardd.log")
    if proc.poll() is not None:
        raise DaemonUnreachable(host, f"dockyardd exited with status {proc.returncode}; see {log}")
    raise DaemonUnreachable(host, f"dockyardd did not answer within {timeout:g}s; see {log}")
