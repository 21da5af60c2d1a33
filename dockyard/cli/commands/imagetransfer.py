"""Moving images and container filesystems around: ``save``, ``load``, ``history``,
``commit``, ``export``, ``diff``.

Tar output (``save``, ``export``) goes to ``-o FILE`` — written to a temporary file beside
it and renamed into place, so a failed save never leaves half a file under the name — or
to stdout, which docker refuses when it is a terminal.
"""

from __future__ import annotations

import os
import sys

from dockyard.cli.command import EXACT1, MIN1, Command, Context
from dockyard.cli.errors import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["SAVE", "LOAD", "HISTORY", "COMMIT", "EXPORT", "DIFF", "write_tar_output"]

_TERMINAL = "cowardly refusing to save to a terminal. Use the -o flag or redirect"


def write_tar_output(chunks: Iterable[bytes], path: str) -> None:
    """``path`` ("" = stdout): docker's CopyToFile (temp file + rename) or a refusal on a terminal."""
    if not path:
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".docker_temp_", dir=directory)
    except OSError as exc:
        raise StatusError(1, f"failed to save output: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _output_flags(fs: FlagSet) -> None:
    fs.add("output", "o", str, help="Write to a file, instead of STDOUT")


def _check_output(opts: Options) -> None:
    if not opts.output and sys.stdout.isatty():
        raise StatusError(1, _TERMINAL)


# --- save / load ----------------------------------------------------------------------------------

def _save_flags(fs: FlagSet) -> None:
    _output_flags(fs)
    fs.add("platform", None, str, help="Save only the given platform variant")


def _save(ctx: Context, opts: Options) -> int:
    _check_output(opts)
    with ctx.client.image_save(list(opts.args)) as r:
        write_tar_output(r.iter_chunks(), opts.output)
    return 0


SAVE = Command("save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)",
               run=_save, flags=_save_flags, args=MIN1, family="image")


def _load_flags(fs: FlagSet) -> None:
    fs.add("input", "i", str, help="Read from tar archive file, instead of STDIN")
    fs.add("quiet", "q", bool, help="Suppress the load output")
    fs.add("platform", None, str, help="Load only the given platform variant")


def _load(ctx: Context, opts: Options) -> int:
    from dockyard.cli.progress import JSONMessageError, display_plain

    if opts.input:
        try:
            source: Any = open(opts.input, "rb")
        except OSError as exc:
            raise StatusError(1, f"open {opts.input}: {(exc.strerror or str(exc)).lower()}") from exc
    else:
        if sys.stdin is None or sys.stdin.isatty():
            raise StatusError(1, "requested load from stdin, but stdin is empty")
        source = sys.stdin.buffer
    try:
        display_plain(ctx.out, ctx.client.image_load(source, quiet=bool(opts.quiet)))
    except JSONMessageError as exc:
        raise StatusError(1, exc.message) from exc
    finally:
        if opts.input:
            source.close()
    return 0


LOAD = Command("load", "[OPTIONS]", "Load an image from a tar archive or STDIN", run=_load, flags=_load_flags,
               args=("exact", 0), family="image")


# --- history --------------------------------------------------------------------------------------

HISTORY_HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
                   "Size": "SIZE", "Comment": "COMMENT"}


def _history_flags(fs: FlagSet) -> None:
    from dockyard.cli.formatter import FORMAT_HELP

    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("human", "H", bool, default=True, help="Print sizes and dates in human readable format")
    fs.add("no-trunc", None, bool, help="Don't truncate output")
    fs.add("quiet", "q", bool, help="Only show image IDs")
    fs.add("platform", None, str, help="Show history for the given platform")


def history_row(h: dict[str, Any], *, human: bool, trunc: bool, now: float) -> dict[str, Any]:
    """docker's historyContext fields for one ``GET /images/{name}/history`` item."""
    import time

    from dockyard.cli.formatter import Row, ellipsis, truncate_id
    from dockyard.cli.units import human_duration, human_size

    created = int(h.get("Created") or 0)
    created_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(created))
    offset = time.localtime(created).tm_gmtoff
    created_at += "Z" if offset == 0 else f"{'+' if offset > 0 else '-'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    ident = str(h.get("Id") or "")
    if trunc and ident != "<missing>":
        ident = truncate_id(ident)
    created_by = str(h.get("CreatedBy") or "").replace("\t", " ")
    if trunc:
        created_by = ellipsis(created_by, 45)
    size = int(h.get("Size") or 0)
    return Row({"Comment": str(h.get("Comment") or ""), "CreatedAt": created_at, "CreatedBy": created_by,
                "CreatedSince": (human_duration(now - created) + " ago") if human else created_at,
                "ID": ident, "Size": human_size(size) if human else str(size)}, go_type="*image.historyContext")


def _history(ctx: Context, opts: Options) -> int:
    import time

    from dockyard.cli.formatter import write_formatted

    items = ctx.client.image_history(opts.args[0])
    now = time.time()
    rows = [history_row(h, human=bool(opts.human), trunc=not opts.no_trunc, now=now) for h in items]
    if opts.quiet:
        ctx.out.write("".join(r["ID"] + "\n" for r in rows))
        return 0
    fmt = opts.format
    if not fmt or fmt == "table":
        when = "CreatedSince" if opts.human else "CreatedAt"
        fmt = f"table {{{{.ID}}}}\t{{{{.{when}}}}}\t{{{{.CreatedBy}}}}\t{{{{.Size}}}}\t{{{{.Comment}}}}"
    write_formatted(ctx.out, rows, fmt, HISTORY_HEADERS)
    return 0


HISTORY = Command("history", "[OPTIONS] IMAGE", "Show the history of an image", run=_history, flags=_history_flags,
                  args=EXACT1, family="image")


# --- commit ---------------------------------------------------------------------------------------

def _commit_flags(fs: FlagSet) -> None:
    fs.add("author", "a", str, help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    fs.add("change", "c", list, help="Apply Dockerfile instruction to the created image")
    fs.add("message", "m", str, help="Commit message")
    fs.add("pause", "p", bool, default=True, help="Pause container during commit")


def _commit(ctx: Context, opts: Options) -> int:
    from dockyard.cli.commands.images import split_reference

    repo = tag = None
    if len(opts.args) > 1:
        repo, tag = split_reference(opts.args[1])
    reply = ctx.client.container_commit(opts.args[0], repo=repo, tag=tag or None, comment=opts.message or None,
                                        author=opts.author or None, pause=bool(opts.pause),
                                        changes=list(opts.change) or None)
    ctx.print(str(reply.get("Id", "")))
    return 0


COMMIT = Command("commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes",
                 run=_commit, flags=_commit_flags, args=("range", 1, 2), family="container")


# --- export / diff --------------------------------------------------------------------------------

def _export(ctx: Context, opts: Options) -> int:
    _check_output(opts)
    with ctx.client.container_export(opts.args[0]) as r:
        write_tar_output(r.iter_chunks(), opts.output)
    return 0


EXPORT = Command("export", "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive", run=_export,
                 flags=_output_flags, args=EXACT1, family="container")

_KINDS = {0: "C", 1: "A", 2: "D"}


def _diff(ctx: Context, opts: Options) -> int:
    changes = ctx.client.container_changes(opts.args[0])
    ctx.out.write("".join(f"{_KINDS.get(int(c.get('Kind', 0)), '?')} {c.get('Path', '')}\n" for c in changes))
    return 0


DIFF = Command("diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem",
               run=_diff, args=EXACT1, family="container")
