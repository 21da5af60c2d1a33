"""``dockyardd``: serve the Docker Engine API on a unix socket (and optionally TCP with TLS).

Stopping the daemon (SIGTERM/SIGINT) leaves containers running: conmon supervises them and
the next daemon re-adopts them. Only one daemon may own a data root: the pidfile in the
exec root is locked while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import os
import signal
import ssl
import sys
from typing import TextIO

from dockyard.daemon.config import DaemonConfig

__all__ = ["main", "build_router", "run"]

log = logging.getLogger("dockyard.daemon")


def build_router(engine: object) -> object:
    from dockyard.api.handlers import containers, images, system
    from dockyard.api.router import Router

    router = Router()
    system.register(router, engine)  # type: ignore[arg-type]
    containers.register(router, engine)  # type: ignore[arg-type]
    images.register(router, engine)  # type: ignore[arg-type]
    for name in ("exec", "volumes", "networks", "build", "distribution", "archive", "transfer",
                 "stats", "prune", "unsupported"):
        try:
            module = __import__(f"dockyard.api.handlers.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"dockyard.api.handlers.{name}":
                raise
            continue
        module.register(router, engine)
    return router


def _tls_context(cfg: DaemonConfig) -> ssl.SSLContext:
    if not (cfg.tls_cert and cfg.tls_key):
        raise SystemExit("dockyardd: a TCP listener needs --tlscert and --tlskey "
                         "(or --insecure-tcp)")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    if cfg.tls_verify or cfg.tls_ca:
        if not cfg.tls_ca:
            raise SystemExit("dockyardd: --tlsverify needs --tlscacert")
        ctx.load_verify_locations(cfg.tls_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _lock_pidfile(path: str) -> TextIO:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        other = f.read().strip()
        raise SystemExit(f"dockyardd: another daemon (pid {other}) is running with "
                         f"{os.path.dirname(path)}")
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f


async def run(cfg: DaemonConfig, ready: asyncio.Event | None = None) -> None:
    from dockyard.api.server import Server
    from dockyard.daemon.engine import Engine

    pidfile = _lock_pidfile(cfg.pidfile)
    engine = Engine(cfg)
    await engine.start()
    server = Server(build_router(engine))  # type: ignore[arg-type]
    for host in cfg.hosts:
        if host.startswith("unix://"):
            await server.serve_unix(host[len("unix://"):], group=cfg.group)
        elif host.startswith("tcp://"):
            hostport = host[len("tcp://"):]
            h, _, p = hostport.rpartition(":")
            if cfg.insecure_tcp and not cfg.tls_cert:
                print("WARNING: API is accessible on tcp://%s without encryption or "
                      "authentication: anyone who can reach it is root on this host." % hostport,
                      file=sys.stderr)
                ctx = None
            else:
                ctx = _tls_context(cfg)
            await server.serve_tcp(h or "127.0.0.1", int(p or 2376), ctx)
        else:
            raise SystemExit(f"dockyardd: unsupported host {host!r}")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("dockyardd listening on %s (data root %s)", ", ".join(cfg.hosts), cfg.data_root)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await server.close(timeout=2.0)
        await engine.close()
        try:
            os.unlink(cfg.pidfile)
        except FileNotFoundError:
            pass
        pidfile.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dockyardd", description=__doc__.splitlines()[0])
    p.add_argument("--data-root", help="root of persistent state (default /var/lib/dockyard)")
    p.add_argument("--exec-root", help="root of runtime state (default /run/dockyard)")
    p.add_argument("-H", "--host", action="append", default=[],
                   help="unix:///path or tcp://host:port to listen on (repeatable)")
    p.add_argument("--tlsverify", action="store_true")
    p.add_argument("--tlscacert")
    p.add_argument("--tlscert")
    p.add_argument("--tlskey")
    p.add_argument("--insecure-tcp", action="store_true",
                   help="allow a TCP listener without TLS (prints a warning)")
    p.add_argument("-D", "--debug", action="store_true")
    p.add_argument("--log-file")
    p.add_argument("--group", default="dockyard")
    p.add_argument("--insecure-registry", action="append", default=[], metavar="HOST|CIDR",
                   help="registry reachable over http or unverified https (repeatable)")
    p.add_argument("--allow-docker-hub", action="store_true",
                   help="let pull/push/login of names without a registry reach Docker Hub")
    args = p.parse_args(argv)
    cfg = DaemonConfig(
        **{k: v for k, v in {"data_root": args.data_root, "exec_root": args.exec_root}.items()
           if v},
        hosts=args.host, tls_verify=args.tlsverify, tls_ca=args.tlscacert,
        tls_cert=args.tlscert, tls_key=args.tlskey, insecure_tcp=args.insecure_tcp,
        debug=args.debug, log_file=args.log_file, group=args.group,
        insecure_registries=args.insecure_registry,
        **({"allow_docker_hub": True} if args.allow_docker_hub else {}))
    logging.basicConfig(
        level=logging.DEBUG if cfg.debug else logging.INFO,
        filename=cfg.log_file,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.geteuid() != 0:
        print("dockyardd: must run as root", file=sys.stderr)
        return 1
    try:
        asyncio.run(run(cfg))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
