"""dockyard's registry server: an OCI distribution (v1.1) registry.

Layout of the package::

    cli.py          main(argv) = `registry serve`, gc_main(argv) = `registry garbage-collect`
    config.py       ServerConfig
    state.py        Registry: the one place the parts are wired together
    app.py          aiohttp app, dispatcher, error middleware
    router.py       /v2/ route table → handlers and needed access
    handlers/       base, blobs, uploads, manifests, listing (tags, catalog), referrers
    blobs.py uploads.py manifests.py   the stores, over a storage driver
    layout.py       the on-disk tree (drawn there)
    storage/        StorageDriver protocol; local (folder) and memory drivers
    auth/           htpasswd, ACL policy, scopes, HMAC tokens, authorizer, /token endpoint
    gc.py           mark-and-sweep garbage collection
    digests.py names.py mediatypes.py manifest.py errors.py

Importing this package is cheap: aiohttp is loaded only when a server starts.
"""

from __future__ import annotations

__all__ = ["main", "gc_main"]


def main(argv: list[str]) -> int:
    """Run ``registry serve`` with ``argv`` (the words after ``registry serve``)."""
    from .cli import main as _main

    return _main(argv)


def gc_main(argv: list[str]) -> int:
    """Run ``registry garbage-collect`` with ``argv``."""
    from .cli import gc_main as _gc_main

    return _gc_main(argv)
