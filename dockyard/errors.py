"""The closed set of error kinds every part of dockyard raises.

Why a closed set: clients (the docker CLI, docker-py, compose) match on the HTTP
status *and* on the message text ("No such container: x"), so each failure must
land in exactly one kind, and exactly one place maps kinds to status codes
(``dockyard.api.errors``) and to CLI exit codes (``dockyard.cli.errors``).

Hierarchy::

    DockyardError                 500  anything unexpected inside the engine
    ├── InvalidArgument           400  bad flag value, malformed request or Dockerfile
    │   └── BuildError            400  a Dockerfile/context problem, with file and line
    ├── Unauthorized              401  missing or wrong credentials
    ├── Forbidden                 403  authenticated but not allowed
    ├── NotFound                  404  "No such container: x", "No such image: x"
    ├── NotModified               304  start of a running container, stop of a stopped one
    ├── Conflict                  409  name in use, image in use, container running
    ├── Unavailable               503  a feature this engine does not offer (swarm)
    ├── NotImplementedKind        501  an endpoint known but not implemented
    └── SystemError               500  the kernel, runc or conmon failed

Raise with context and chain with ``from``::

    raise NotFound(f"No such container: {ref}") from exc
"""

from __future__ import annotations

__all__ = [
    "DockyardError",
    "InvalidArgument",
    "BuildError",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "NotModified",
    "Conflict",
    "Unavailable",
    "NotImplementedKind",
    "SystemError",
]


class DockyardError(Exception):
    """Base of every error dockyard raises on purpose; its text is shown to the user."""

    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgument(DockyardError):
    status = 400


class BuildError(InvalidArgument):
    """A Dockerfile or build-context error; ``file``/``line`` name where it happened."""

    def __init__(self, message: str, file: str = "Dockerfile", line: int = 0) -> None:
        where = f"{file}:{line}: " if line else ""
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line
        self.reason = message


class Unauthorized(DockyardError):
    status = 401


class Forbidden(DockyardError):
    status = 403


class NotFound(DockyardError):
    status = 404


class NotModified(DockyardError):
    status = 304


class Conflict(DockyardError):
    status = 409


class Unavailable(DockyardError):
    status = 503


class NotImplementedKind(DockyardError):
    status = 501


class SystemError(DockyardError):  # noqa: A001 - the kind is named after moby's errdefs.System
    status = 500
