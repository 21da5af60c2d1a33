"""``dockyard inspect`` (containers, then images, or ``--type``), ``container inspect``, ``image inspect``.

docker's output contract: without ``--format`` one JSON array of every object found,
indented by 4 spaces (``[]`` when none); with ``--format`` one line per object. Objects
not found are reported after the output as ``Error: No such object: x`` and make the exit
status 1, but do not stop the others.
"""

from __future__ import annotations

import json

from dockyard.cli.command import MIN1, Command, Context
from dockyard.cli.errors import StatusError, describe
from dockyard.errors import DockyardError, NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["INSPECT", "CONTAINER_INSPECT", "IMAGE_INSPECT", "dump_json"]


def dump_json(objects: list[Any]) -> str:
    """docker's inspect JSON: 4-space indent, non-ASCII and ``<>&`` kept (its encoder does not escape HTML)."""
    return json.dumps(objects, indent=4, ensure_ascii=False)


def _write(ctx: Context, objects: list[Any], fmt: str) -> None:
    if not fmt:
        ctx.print(dump_json(objects))
        return
    from dockyard.cli.gotemplate import TemplateError, Template, parse_format

    _, text = parse_format(fmt)
    try:
        tmpl = Template(text)
        for obj in objects:
            ctx.print(tmpl.execute(obj))
    except TemplateError as exc:
        raise StatusError(1, f"template parsing error: {exc}") from exc


def _collect(ctx: Context, refs: list[str], fetchers: list[tuple[str, Callable[[str], Any]]],
             missing_text: Callable[[str], str]) -> tuple[list[Any], list[str]]:
    objects: list[Any] = []
    errors: list[str] = []
    for ref in refs:
        for _kind, fetch in fetchers:
            try:
                objects.append(fetch(ref))
                break
            except NotFound:
                continue
            except DockyardError as exc:
                errors.append(describe(exc))
                break
        else:
            errors.append(missing_text(ref))
    return objects, errors


def _finish(ctx: Context, objects: list[Any], errors: list[str], fmt: str) -> int:
    _write(ctx, objects, fmt)
    if errors:
        raise StatusError(1, "\n".join(f"Error: {e}" if not e.startswith("Error") else e for e in errors))
    return 0


FORMAT_HELP = """Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"""


def _flags(fs: FlagSet) -> None:
    fs.add("format", "f", str, help=FORMAT_HELP)
    fs.add("size", "s", bool, help="Display total file sizes if the type is container")
    fs.add("type", None, str, help="Only inspect objects of the given type")


def _inspect(ctx: Context, opts: Options) -> int:
    client = ctx.client
    kinds = {
        "container": lambda ref: client.container_inspect(ref, size=bool(opts.size)),
        "image": client.image_inspect,
        "volume": client.volume_inspect,
        "network": client.network_inspect,
    }
    kind = opts.type
    if kind and kind not in kinds:
        raise StatusError(1, f'"{kind}" is not a valid value for --type')
    if kind in ("volume", "network"):  # docker shows these daemons' own not-found texts
        from dockyard.cli.commands.volume import inspect_each

        maps = ("Labels", "Options", "Status") if kind == "volume" else ("Options", "Labels", "Containers")
        return inspect_each(ctx, opts.args, kinds[kind], opts.format, maps)
    fetchers = [(kind, kinds[kind])] if kind else list(kinds.items())
    noun = {"container": "container", "image": "image", "volume": "volume", "network": "network"}.get(kind, "object")
    objects, errors = _collect(ctx, opts.args, fetchers, lambda ref: f"No such {noun}: {ref}")
    return _finish(ctx, objects, errors, opts.format)


def _container_inspect(ctx: Context, opts: Options) -> int:
    client = ctx.client
    objects, errors = _collect(ctx, opts.args, [("container", lambda r: client.container_inspect(r, size=bool(opts.size)))],
                               lambda ref: f"No such container: {ref}")
    return _finish(ctx, objects, errors, opts.format)


def _image_inspect(ctx: Context, opts: Options) -> int:
    objects, errors = _collect(ctx, opts.args, [("image", ctx.client.image_inspect)],
                               lambda ref: f"No such image: {ref}")
    return _finish(ctx, objects, errors, opts.format)


def _typed_flags(fs: FlagSet) -> None:
    fs.add("format", "f", str, help=FORMAT_HELP)


def _container_flags(fs: FlagSet) -> None:
    _typed_flags(fs)
    fs.add("size", "s", bool, help="Display total file sizes")


INSPECT = Command("inspect", "[OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on Docker objects",
                  run=_inspect, flags=_flags, args=MIN1)
CONTAINER_INSPECT = Command("inspect", "[OPTIONS] CONTAINER [CONTAINER...]",
                            "Display detailed information on one or more containers", run=_container_inspect,
                            flags=_container_flags, args=MIN1)
IMAGE_INSPECT = Command("inspect", "[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images",
                        run=_image_inspect, flags=_typed_flags, args=MIN1)
