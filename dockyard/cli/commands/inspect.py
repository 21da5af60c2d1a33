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


#: the top-level fields of docker's inspect types (API 1.40 to 1.56): docker runs the
#: template over its typed struct first, so these print as zero values when the JSON
#: leaves them out; any other missing field fails, as docker's retry over the raw JSON
#: with ``missingkey=error`` does (``map has no entry for key "Foo"``).
_CONTAINER_FIELDS = frozenset("""AppArmorProfile Args Config Created Driver ExecIDs GraphDriver HostConfig
    HostnamePath HostsPath Id Image ImageManifestDescriptor LogPath MountLabel Mounts Name
    NetworkSettings Node Path Platform ProcessLabel ResolvConfPath RestartCount SizeRootFs SizeRw State
    Storage""".split())
_IMAGE_FIELDS = frozenset("""Architecture Author Comment Config Container ContainerConfig Created
    Descriptor DockerVersion GraphDriver Id Identity Manifests Metadata Os OsVersion Parent RepoDigests
    RepoTags RootFS Size Variant VirtualSize""".split())
_NETWORK_FIELDS = frozenset("""Attachable ConfigFrom ConfigOnly Containers Created Driver EnableIPv4
    EnableIPv6 IPAM Id Ingress Internal Labels Name Options Peers Scope Services Status""".split())
#: docker's volume inspect has no raw retry: a field volume.Volume lacks is a Go error
VOLUME_FIELDS = frozenset("""ClusterVolume CreatedAt Driver Labels Mountpoint Name Options Scope Status
    UsageData""".split())


class _Inspected(dict):  # type: ignore[type-arg]
    """An inspected object's JSON as the template's root (see the field sets above)."""

    go_strict = True

    def __init__(self, fields: dict[str, Any], go_fields: frozenset[str]) -> None:
        super().__init__(fields)
        self.go_fields = go_fields


def _root(obj: Any, volume_struct: bool) -> Any:
    if not isinstance(obj, dict):
        return obj
    if volume_struct:  # ``volume inspect``: docker's volume.Volume, no raw retry
        from dockyard.cli.formatter import Row

        return Row(obj, go_type="volume.Volume", go_fields=VOLUME_FIELDS)
    if "Mountpoint" in obj:  # ``inspect <volume>``: the raw retry, over any field
        return _Inspected(obj, VOLUME_FIELDS)
    if "IPAM" in obj:
        return _Inspected(obj, _NETWORK_FIELDS)
    if "RootFS" in obj:
        return _Inspected(obj, _IMAGE_FIELDS)
    if "State" in obj:
        return _Inspected(obj, _CONTAINER_FIELDS)
    return obj


def _finish(ctx: Context, results: list[tuple[Any, str | None]], fmt: str, *,
            volume_struct: bool = False) -> int:
    """docker's inspect output: the objects (a JSON array, or one line each through ``fmt``),
    then every error in reference order (not found, or a template that failed on that
    object), status 1 if there was any. A template that does not parse is status 64; when
    no object rendered, the output is one empty line (docker's Flush)."""
    objects = [obj for obj, err in results if err is None]
    errors = [err for _, err in results if err is not None]
    if not fmt:
        ctx.print(dump_json(objects))
    elif fmt == "json":  # the daemon's JSON as one compact array, keys as they came
        ctx.print(json.dumps(objects, separators=(",", ":"), ensure_ascii=False))
    else:
        from dockyard.cli.gotemplate import TemplateError, Template

        try:
            tmpl = Template(fmt)  # as given: no "table", no \t or \n replacing
        except TemplateError as exc:
            raise StatusError(64, f"template parsing error: {exc}") from exc
        lines: list[str] = []
        errors = []
        for obj, err in results:
            if err is not None:
                errors.append(err)
                continue
            try:
                lines.append(tmpl.execute(_root(obj, volume_struct)))
            except TemplateError as exc:
                errors.append(f"template parsing error: {exc}")
        ctx.print("\n".join(lines))
    if errors:
        raise StatusError(1, "\n".join(e if e.startswith(("Error", "template parsing error"))
                                       else f"Error: {e}" for e in errors))
    return 0


def _collect(ctx: Context, refs: list[str], fetchers: list[tuple[str, Callable[[str], Any]]],
             missing_text: Callable[[str], str]) -> list[tuple[Any, str | None]]:
    results: list[tuple[Any, str | None]] = []  # (object, None) or (None, error), in order
    for ref in refs:
        for _kind, fetch in fetchers:
            try:
                results.append((fetch(ref), None))
                break
            except NotFound:
                continue
            except DockyardError as exc:
                results.append((None, describe(exc)))
                break
        else:
            results.append((None, missing_text(ref)))
    return results


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
    return _finish(ctx, _collect(ctx, opts.args, fetchers, lambda ref: f"No such {noun}: {ref}"),
                   opts.format)


def _container_inspect(ctx: Context, opts: Options) -> int:
    client = ctx.client
    results = _collect(ctx, opts.args, [("container", lambda r: client.container_inspect(r, size=bool(opts.size)))],
                       lambda ref: f"No such container: {ref}")
    return _finish(ctx, results, opts.format)


def _image_inspect(ctx: Context, opts: Options) -> int:
    results = _collect(ctx, opts.args, [("image", ctx.client.image_inspect)],
                       lambda ref: f"No such image: {ref}")
    return _finish(ctx, results, opts.format)


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
