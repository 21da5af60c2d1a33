"""Registry wire errors: the OCI distribution error codes and their HTTP statuses.

Why a module of its own: the distribution spec fixes a closed set of error
*codes* (``BLOB_UNKNOWN``, ``DENIED``...) that clients match on, and each code
has one HTTP status. This table is the only place the registry server maps a
code to a status, just as ``dockyard.api.errors`` is for the Engine API.

Hierarchy::

    dockyard.errors.DockyardError
    └── RegistryError        code + status from CODES, JSON body {"errors": [...]}

Handlers raise ``RegistryError("BLOB_UNKNOWN", detail={"digest": d})``; the
error middleware renders it. Storage raises the generic kinds from
``dockyard.errors`` (``NotFound``...), which the stores translate into codes
because only they know whether a missing path means an unknown blob, manifest
or upload.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from dockyard.errors import DockyardError

__all__ = ["CODES", "RegistryError"]

#: code → (HTTP status, default message). Codes are the spec's, plus the
#: upload range error which distribution reports as BLOB_UPLOAD_INVALID + 416.
CODES: dict[str, tuple[int, str]] = {
    "BLOB_UNKNOWN": (404, "blob unknown to registry"),
    "BLOB_UPLOAD_INVALID": (400, "blob upload invalid"),
    "BLOB_UPLOAD_UNKNOWN": (404, "blob upload unknown to registry"),
    "DIGEST_INVALID": (400, "provided digest did not match uploaded content"),
    "MANIFEST_BLOB_UNKNOWN": (400, "manifest references a manifest or blob unknown to registry"),
    "MANIFEST_INVALID": (400, "manifest invalid"),
    "MANIFEST_UNKNOWN": (404, "manifest unknown to registry"),
    "NAME_INVALID": (400, "invalid repository name"),
    "NAME_UNKNOWN": (404, "repository name not known to registry"),
    "SIZE_INVALID": (400, "provided length did not match content length"),
    "UNAUTHORIZED": (401, "authentication required"),
    "DENIED": (403, "requested access to the resource is denied"),
    "UNSUPPORTED": (405, "the operation is unsupported"),
    "TOOMANYREQUESTS": (429, "too many requests"),
    # Not in the spec's table, but what a registry must say for an unknown
    # route or an internal failure; the body keeps the same shape.
    "NOT_FOUND": (404, "no such endpoint"),
    "UNKNOWN": (500, "unknown error"),
}


class RegistryError(DockyardError):
    """An error with an OCI distribution error code; ``status`` comes from ``CODES``.

    ``status`` may be overridden where the spec pairs a code with another status
    (416 for an out-of-order chunk, 413 for an oversized manifest). ``headers``
    are added to the response (``WWW-Authenticate``, ``Range``).
    """

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        detail: Any = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        default_status, default_message = CODES[code]
        super().__init__(message or default_message)
        self.code = code
        self.detail = detail
        self.status = status or default_status
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> bytes:
        """The spec's JSON error document for this error."""
        entry: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            entry["detail"] = self.detail
        return json.dumps({"errors": [entry]}).encode()
