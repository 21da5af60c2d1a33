"""dockyard's registry client: pull, push and login against any OCI/Docker registry.

Layout of the package::

    auth.py         credentials (X-Registry-Auth, config.json, credential helpers),
                    WWW-Authenticate challenges, bearer tokens
    transport.py    one registry for one operation: aiohttp session, http/https choice,
                    retries, resumable downloads, digest verification
    progress.py     Docker's JSON progress messages
    pull.py         manifest → verified blobs → snapshots → image row
    push.py         local image → blobs (HEAD, mount, upload) → manifest

Importing this package (or ``auth``) is cheap: aiohttp is loaded by ``transport``, which
only ``pull``/``push`` import — so the CLI can build ``X-Registry-Auth`` without paying
for it.
"""

from __future__ import annotations

__all__: list[str] = []
