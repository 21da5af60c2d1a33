"""Showing the daemon's jsonmessage streams (pull, push, load, import, build), as docker's
``jsonmessage.DisplayJSONMessagesStream`` does.

Two displays, picked by whether our stdout is a terminal:

* plain (no terminal): one line per message — ``<id>: <status>`` or the raw ``stream``
  text; messages that only carry a progress bar are skipped, exactly as docker skips them,
  so a piped ``pull`` prints ``latest: Pulling from x``, ``<id>: Pull complete``,
  ``Digest: ...``, ``Status: ...``;
* bars (a terminal): one live line per layer id with a rich progress bar. ``rich`` costs
  ~130 ms to import, so it is imported only here and only then — ``dockyard run`` and a
  piped ``pull`` never load it.

An ``error`` message ends the display: :class:`JSONMessageError` carries its text (the CLI
prints it as docker does, without the "Error response from daemon" prefix, and exits 1).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TextIO

__all__ = ["JSONMessageError", "display", "display_plain"]


class JSONMessageError(Exception):
    """An ``{"error": ...}`` message in a stream; ``code`` is its ``errorDetail.code`` (if any)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _check_error(msg: dict[str, Any]) -> None:
    detail = msg.get("errorDetail") or {}
    if msg.get("error") or detail:
        text = detail.get("message") or msg.get("error") or ""
        raise JSONMessageError(str(text), int(detail.get("code") or 0))


def _line(msg: dict[str, Any]) -> str | None:
    """docker's JSONMessage.Display for a non-terminal; None for a message it would skip."""
    if msg.get("progressDetail") and msg.get("progress"):
        return None
    if msg.get("progressDetail", {}).get("total") and not msg.get("stream"):
        return None
    head = f"{msg['id']}: " if msg.get("id") else ""
    if msg.get("from"):
        head += f"(from {msg['from']}) "
    if msg.get("stream"):
        return head + str(msg["stream"])
    return head + str(msg.get("status", "")) + "\n"


def display_plain(out: TextIO, messages: Iterable[Any], aux: Callable[[Any], None] | None = None) -> None:
    """Print ``messages`` one line each (see the module docstring); raise on an error message."""
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        _check_error(msg)
        if "aux" in msg:
            if aux is not None:
                aux(msg["aux"])
            continue
        text = _line(msg)
        if text is not None:
            out.write(text)
            out.flush()


def display(out: TextIO, messages: Iterable[Any], *, tty: bool | None = None,
            aux: Callable[[Any], None] | None = None) -> None:
    """Bars on a terminal (``tty=None``: decide from ``out``), plain lines otherwise."""
    if tty is None:
        try:
            tty = out.isatty()
        except (AttributeError, ValueError):
            tty = False
    if not tty:
        display_plain(out, messages, aux)
        return
    _display_bars(out, messages, aux)


_DONE = ("Pull complete", "Already exists", "Download complete", "Pushed", "Layer already exists",
         "Mounted from", "Verifying Checksum")


def _display_bars(out: TextIO, messages: Iterable[Any], aux: Callable[[Any], None] | None) -> None:
    """One live row per layer: ``<id>: <status> <bar> <current>/<total>`` (docker's terminal display)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from dockyard.cli.units import human_size

    console = Console(file=out, highlight=False)
    tasks: dict[str, Any] = {}
    columns = (TextColumn("{task.fields[layer]}: {task.description:<18}"), BarColumn(bar_width=40),
               TextColumn("{task.fields[size]}"))
    with Progress(*columns, console=console, transient=False) as bars:
        for msg in messages:
            if not isinstance(msg, dict):
                continue
            _check_error(msg)
            if "aux" in msg:
                if aux is not None:
                    aux(msg["aux"])
                continue
            if msg.get("stream"):
                bars.console.print(str(msg["stream"]), end="", markup=False, soft_wrap=True)
                continue
            layer = str(msg.get("id") or "")
            status = str(msg.get("status", ""))
            if not layer or status.startswith("Pulling from") or layer not in tasks and not _layer_status(status):
                bars.console.print((f"{layer}: " if layer else "") + status, markup=False, soft_wrap=True)
                continue
            detail = msg.get("progressDetail") or {}
            task = tasks.get(layer)
            if task is None:
                task = tasks[layer] = bars.add_task(status, layer=layer, total=None, size="")
            total, current = detail.get("total"), detail.get("current")
            if total:
                bars.update(task, description=status, total=total, completed=current or 0,
                            size=f"{human_size(current or 0)}/{human_size(total)}")
            elif status.startswith(_DONE):
                bars.update(task, description=status, total=1, completed=1, size="")
            else:
                bars.update(task, description=status)


def _layer_status(status: str) -> bool:
    """Whether a status with an id is a layer's (a bar), not a tag's summary line."""
    return status.startswith(_DONE) or status in ("Pulling fs layer", "Waiting", "Downloading", "Extracting",
                                                  "Preparing", "Pushing", "Retrying") or \
        status.startswith(("Downloading", "Extracting", "Pushing", "Retrying"))
