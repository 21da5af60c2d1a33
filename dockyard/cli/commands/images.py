"""Image verbs: ``images``/``image ls``, ``rmi``/``image rm``, ``tag``, ``import``,
``image bootstrap``, ``image prune``."""

from __future__ import annotations

import re
import sys

from dockyard.cli.command import MIN1, Command, Context, EXACT1, run_each
from dockyard.cli.errors import StatusError
from dockyard.cli.filters import check_filter, parse_filters
from dockyard.cli.formatter import FORMAT_HELP
from dockyard.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.flags import FlagSet, Options

__all__ = ["IMAGES", "RMI", "TAG", "IMPORT", "BOOTSTRAP", "PRUNE", "split_reference"]

DEFAULT_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
DIGESTS_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"


def split_reference(ref: str) -> tuple[str, str]:
    """``repo[:tag]`` → ``(repo, tag)``; a ``:`` before the last ``/`` is a registry port."""
    if "@" in ref:
        raise InvalidArgument("refusing to create a tag with a digest reference")
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, ""
    return name, tag


# --- images ---------------------------------------------------------------------------------------

def _images_flags(fs: FlagSet) -> None:
    fs.add("all", "a", bool, help="Show all images (default hides intermediate images)")
    fs.add("digests", None, bool, help="Show digests")
    fs.add("filter", "f", list, type_name="filter", convert=check_filter, help="Filter output based on conditions provided")
    fs.add("format", None, str, help=FORMAT_HELP)
    fs.add("no-trunc", None, bool, help="Don't truncate output")
    fs.add("quiet", "q", bool, help="Only show image IDs")
    fs.add("tree", None, bool, hidden=True, help="List multi-platform images as a tree (EXPERIMENTAL)")


def _images(ctx: Context, opts: Options) -> int:
    from dockyard.cli.formatter import IMAGE_HEADERS, image_rows, write_formatted

    filters = parse_filters(opts.filter)
    if opts.args:
        filters.setdefault("reference", []).append(opts.args[0])
    images = ctx.client.image_list(all=bool(opts.all), filters=filters, digests=bool(opts.digests))
    rows = [row for img in images for row in image_rows(img, trunc=not opts.no_trunc)]
    if opts.quiet:  # one ID per row, repeated for each tag, as docker prints them
        ctx.out.write("".join(row["ID"] + "\n" for row in rows))
        return 0
    fmt = opts.format
    if not fmt or fmt == "table":
        fmt = DIGESTS_TABLE if opts.digests else DEFAULT_TABLE
    write_formatted(ctx.out, rows, fmt, IMAGE_HEADERS)
    return 0


IMAGES = Command("images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", run=_images, flags=_images_flags,
                 args=("max", 1), aliases=("list",), family="image", family_name="ls")


# --- rmi ------------------------------------------------------------------------------------------

def _rmi_flags(fs: FlagSet) -> None:
    fs.add("force", "f", bool, help="Force removal of the image")
    fs.add("no-prune", None, bool, help="Do not delete untagged parents")


def _rmi(ctx: Context, opts: Options) -> int:
    def remove(ref: str) -> None:
        for item in ctx.client.image_remove(ref, force=bool(opts.force), noprune=bool(opts.no_prune)):
            for action, ident in item.items():
                ctx.print(f"{action}: {ident}")

    return run_each(ctx, opts.args, remove, echo=False)


RMI = Command("rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", run=_rmi, flags=_rmi_flags,
              args=MIN1, aliases=("remove",), family="image", family_name="rm")


# --- tag ------------------------------------------------------------------------------------------

def _reference_error(ref: str, exc: InvalidArgument) -> StatusError:
    """The docker client's own check of a name, before any request: its wording."""
    from dockyard.cli.units import go_quote

    detail = str(exc)
    if detail.endswith("repository name must be lowercase"):
        name = ref.split("@", 1)[0]
        colon = name.rfind(":")
        if colon > name.rfind("/"):
            name = name[:colon]  # the tag
        i = name.find("/")
        first = name[:i]
        if i == -1 or (not any(c in first for c in ".:") and first != "localhost"
                       and first == first.lower()):
            remote = name if i != -1 else "library/" + name  # no registry host in the name
        else:
            remote = name[i + 1:]
        detail = f"invalid reference format: repository name ({remote}) must be lowercase"
    elif detail.startswith("invalid reference format"):
        detail = "invalid reference format"
    return StatusError(1, f"Error parsing reference: {go_quote(ref)} is not a valid repository/tag: {detail}")


def _tag(ctx: Context, opts: Options) -> int:
    from dockyard import reference

    source, target = opts.args
    for ref in (source, target):
        if ref is source and re.fullmatch(r"(sha256:)?[0-9a-f]{64}", ref):
            continue  # an image ID (ParseAnyReference takes those)
        try:
            reference.parse(ref)
        except InvalidArgument as exc:
            raise _reference_error(ref, exc) from None
    repo, tag = split_reference(target)
    ctx.client.image_tag(source, repo, tag or "latest")
    return 0


TAG = Command("tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
              run=_tag, args=("exact", 2), family="image")


# --- import ---------------------------------------------------------------------------------------

def _import_flags(fs: FlagSet) -> None:
    fs.add("change", "c", list, help="Apply Dockerfile instruction to the created image")
    fs.add("message", "m", str, help="Set commit message for imported image")
    fs.add("platform", None, str, help="Set platform if server is multi-platform capable")


def _report_progress(ctx: Context, messages: object) -> None:
    """docker's jsonmessage display, reduced to what import and pull send: status lines and errors."""
    for msg in messages:  # type: ignore[attr-defined]
        if not isinstance(msg, dict):
            continue
        if msg.get("error") or msg.get("errorDetail"):
            text = msg.get("error") or (msg.get("errorDetail") or {}).get("message", "")
            raise StatusError(1, str(text))
        status = msg.get("status")
        if status:
            ctx.print(f"{msg['id']}: {status}" if msg.get("id") else str(status))


def _import(ctx: Context, opts: Options) -> int:
    source = opts.args[0]
    repo = tag = None
    if len(opts.args) > 1:
        repo, tag = split_reference(opts.args[1])
    if source == "-":
        body = sys.stdin.buffer
        _report_progress(ctx, ctx.client.image_import(body, repo=repo, tag=tag or None, changes=opts.change,
                                                      message=opts.message or None))
        return 0
    if "://" in source:
        raise StatusError(1, "importing from a URL is not supported (no network); pipe the tarball instead: "
                             "dockyard import - < rootfs.tar")
    try:
        f = open(source, "rb")
    except OSError as exc:
        raise StatusError(1, f"open {source}: {(exc.strerror or str(exc)).lower()}") from exc
    with f:
        _report_progress(ctx, ctx.client.image_import(f, repo=repo, tag=tag or None, changes=opts.change,
                                                      message=opts.message or None))
    return 0


IMPORT = Command("import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
                 "Import the contents from a tarball to create a filesystem image", run=_import,
                 flags=_import_flags, args=("range", 1, 2), family="image")


# --- bootstrap (dockyard's own) -------------------------------------------------------------------

def _bootstrap_flags(fs: FlagSet) -> None:
    fs.add("tag", "t", str, help="Name and tag of the image (default: NAME:latest)")


def _bootstrap(ctx: Context, opts: Options) -> int:
    result = ctx.client.image_bootstrap(opts.args[0], tag=opts.tag or None)
    ctx.print(str(result.get("Id", "")))
    return 0


BOOTSTRAP = Command("bootstrap", "[OPTIONS] NAME", "Build a base image (busybox) from the host, without a registry",
                    run=_bootstrap, flags=_bootstrap_flags, args=EXACT1)


# --- prune ----------------------------------------------------------------------------------------

def _prune_flags(fs: FlagSet) -> None:
    fs.add("all", "a", bool, help="Remove all unused images, not just dangling ones")
    fs.add("filter", None, list, type_name="filter", convert=check_filter, help='Provide filter values (e.g. "until=<timestamp>")')
    fs.add("force", "f", bool, help="Do not prompt for confirmation")


def _confirm(ctx: Context, warning: str) -> bool:
    ctx.out.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    ctx.out.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    return answer.strip().lower() in ("y", "yes")


def _prune(ctx: Context, opts: Options) -> int:
    from dockyard.cli.units import human_size

    filters = parse_filters(opts.filter)
    if opts.all:
        filters["dangling"] = ["false"]
        warning = "WARNING! This will remove all images without at least one container associated to them."
    else:
        warning = "WARNING! This will remove all dangling images."
    if not opts.force and not _confirm(ctx, warning):
        return 0
    report = ctx.client.image_prune(filters)
    deleted = report.get("ImagesDeleted") or []
    if deleted:
        lines = ["Deleted Images:"]
        for item in deleted:
            if item.get("Untagged"):
                lines.append(f"untagged: {item['Untagged']}")
            if item.get("Deleted"):
                lines.append(f"deleted: {item['Deleted']}")
        ctx.print("\n".join(lines) + "\n")
    ctx.print(f"Total reclaimed space: {human_size(report.get('SpaceReclaimed') or 0, 4)}")
    return 0


PRUNE = Command("prune", "[OPTIONS]", "Remove unused images", run=_prune, flags=_prune_flags, args=("exact", 0))
