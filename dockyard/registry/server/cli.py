"""Command lines: ``registry serve`` (``main``) and ``registry garbage-collect`` (``gc_main``).

``argv`` excludes the leading ``registry serve`` / ``registry garbage-collect``
words; ``dockyard``'s CLI forwards the rest. On start the server prints one
line, ``dockyard registry listening on http://HOST:PORT``, after it is
accepting connections — so ``--listen 127.0.0.1:0`` plus reading that line is
a race-free way to get a free port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dockyard.errors import DockyardError, InvalidArgument

from .config import DEFAULT_MAX_MANIFEST_SIZE, ServerConfig

__all__ = ["main", "gc_main", "parse_serve_args", "serve"]

#: Threads for disk writes, hashing and bcrypt: many concurrent uploads each
#: hand one buffer at a time to this pool.
WORKER_THREADS = 16


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockyard registry serve", description="Run an OCI distribution registry.")
    p.add_argument("--listen", type=_listen, default=("127.0.0.1", 5000), metavar="HOST:PORT",
                   help="address to listen on (port 0 picks a free one; default 127.0.0.1:5000)")
    p.add_argument("--root", type=Path, required=True, help="storage directory")
    p.add_argument("--htpasswd", type=Path, help="htpasswd file with bcrypt entries (enables auth)")
    p.add_argument("--auth", choices=("none", "basic", "token"),
                   help="auth mode (default: token with --htpasswd, none without)")
    p.add_argument("--acl", type=Path, help="ACL file: 'user repo-glob actions' per line (see auth/acl.py)")
    p.add_argument("--token-realm", help="realm URL in Bearer challenges (default: <scheme>://<Host>/token)")
    p.add_argument("--token-service", default="dockyard-registry", help="service name tokens are issued for")
    p.add_argument("--token-key", type=Path, help="HMAC key file (default: ROOT/token.key, created if absent)")
    p.add_argument("--token-ttl", type=int, default=900, help="token lifetime in seconds (default 900)")
    p.add_argument("--tls-cert", type=Path, help="PEM certificate chain (enables HTTPS)")
    p.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    p.add_argument("--allow-anonymous-pull", action="store_true",
                   help="let requests without credentials pull even with --htpasswd")
    p.add_argument("--allow-anonymous-push", action="store_true",
                   help="let requests without credentials push and delete")
    p.add_argument("--read-only", action="store_true", help="refuse every write (for garbage collection)")
    p.add_argument("--disable-delete", action="store_true", help="refuse manifest and blob deletion")
    p.add_argument("--max-manifest-size", type=int, default=DEFAULT_MAX_MANIFEST_SIZE, metavar="BYTES")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return p


def parse_serve_args(argv: list[str]) -> ServerConfig:
    args = _serve_parser().parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise InvalidArgument("--tls-cert and --tls-key go together")
    auth = args.auth or ("token" if args.htpasswd else "none")
    if auth != "none" and args.htpasswd is None:
        raise InvalidArgument(f"--auth {auth} needs --htpasswd FILE")
    if args.token_ttl <= 0:
        raise InvalidArgument("--token-ttl must be positive")
    host, port = args.listen
    return ServerConfig(
        root=args.root,
        host=host,
        port=port,
        auth=auth,
        htpasswd=args.htpasswd,
        acl=args.acl,
        token_realm=args.token_realm,
        token_service=args.token_service,
        token_key=args.token_key,
        token_ttl=args.token_ttl,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        allow_anonymous_pull=args.allow_anonymous_pull,
        allow_anonymous_push=args.allow_anonymous_push,
        read_only=args.read_only,
        delete_enabled=not args.disable_delete,
        max_manifest_size=args.max_manifest_size,
        access_log=args.access_log,
    )


def _ssl_context(config: ServerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
    except (OSError, ssl.SSLError) as exc:
        raise InvalidArgument(f"cannot load TLS certificate/key: {exc}") from exc
    return context


async def serve(config: ServerConfig, ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
    """Run the registry until ``stop`` is set (or SIGTERM/SIGINT)."""
    from aiohttp import web  # lazy: ~400 ms, paid only by `registry serve`

    from .app import create_app
    from .state import open_registry

    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="registry"))
    registry = await asyncio.to_thread(open_registry, config)
    ssl_context = _ssl_context(config)
    app = create_app(registry)
    access_log = logging.getLogger("aiohttp.access") if config.access_log else None
    runner = web.AppRunner(app, access_log=access_log, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context, backlog=1024)
    await site.start()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # not the main thread (tests running serve() in a thread)
    host, port = runner.addresses[0][:2]
    scheme = "https" if ssl_context else "http"
    print(f"dockyard registry listening on {scheme}://{host}:{port}", flush=True)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    """``dockyard registry serve …``: run the registry server; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = parse_serve_args(argv)
        asyncio.run(serve(config))
    except SystemExit as exc:  # argparse: --help or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    except DockyardError as exc:
        print(f"dockyard registry: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dockyard registry: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _gc_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockyard registry garbage-collect",
        description="Delete blobs no manifest references (run with the server stopped or --read-only).",
    )
    p.add_argument("--root", type=Path, required=True, help="storage directory")
    p.add_argument("--dry-run", action="store_true", help="report what would be deleted")
    p.add_argument("--delete-untagged", action="store_true",
                   help="also delete manifests no tag reaches (through indexes and referrers)")
    p.add_argument("--upload-max-age", type=float, default=7 * 24 * 3600, metavar="SECONDS",
                   help="remove upload sessions older than this (default 7 days)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def gc_main(argv: list[str]) -> int:
    """``dockyard registry garbage-collect …``: one mark-and-sweep; returns the exit code."""
    try:
        args = _gc_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    from .gc import collect
    from .state import open_storage
    from .storage import LocalDriver

    if not args.root.is_dir():
        print(f"dockyard registry: no such directory: {args.root}", file=sys.stderr)
        return 2
    try:
        driver = open_storage(LocalDriver(args.root), stamp=False)
        report = collect(
            driver, dry_run=args.dry_run, delete_untagged=args.delete_untagged, upload_max_age=args.upload_max_age
        )
    except DockyardError as exc:
        print(f"dockyard registry: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        for digest in report.deleted:
            print(f"{'would delete' if args.dry_run else 'deleted'} blob {digest}")
        print(report.summary())
    return 0
