"""How a failure becomes the CLI's stderr text and exit code — the one place that decides.

Docker's contract, which scripts depend on::

    125   the engine could not do it: daemon errors in run/create, bad flags, bad values
    126   the container command cannot be invoked (permission denied, is a directory)
    127   the container command was not found
    1     any other command failing (``stop``, ``rm``, ``inspect`` of a missing object...)
    N     ``run``/``start -a``: the container's own exit status

Texts follow docker's: errors the daemon sent are prefixed ``Error response from daemon:``;
``run`` and ``create`` put the program name in front (``dockyard: Error response from
daemon: No such image...``) and add ``Run 'dockyard run --help' for more information``.
"""

from __future__ import annotations

from dockyard.errors import DockyardError

__all__ = ["StatusError", "describe", "from_daemon", "start_failure_status"]


class StatusError(Exception):
    """Leave the CLI with ``status``, after printing ``message`` (unless empty) on stderr.

    Docker's ``cli.StatusError``: a command that already reported its failures (``rm a b``
    with one missing) raises it with no message, only the status.
    """

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def from_daemon(exc: BaseException) -> bool:
    """Whether ``exc`` is an error reply from the daemon (the client marks those)."""
    return getattr(exc, "http_status", None) is not None


def describe(exc: BaseException) -> str:
    """The line docker prints for ``exc``: daemon replies get their "Error response" prefix."""
    text = str(exc) if isinstance(exc, DockyardError) else (str(exc) or type(exc).__name__)
    if from_daemon(exc):
        return f"Error response from daemon: {text}"
    return text


def start_failure_status(message: str) -> int:
    """The exit status of a ``run`` whose container could not start, from the runtime's text.

    moby's runStartContainerErr: "not found" texts are 127, EACCES/EISDIR are 126, any other
    failure is the engine's 125.
    """
    if ("executable file not found" in message or "no such file or directory" in message
            or "system cannot find the file specified" in message):
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 125
