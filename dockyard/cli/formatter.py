"""The rows ``ps`` and ``images`` print, as docker's formatter contexts build them.

Each row is a dict whose keys are docker's template fields (``.ID``, ``.Names``,
``.RunningFor``), inserted in alphabetical order so ``{{json .}}`` prints them as docker's
JSON of its context does. Values are already the display strings docker computes (quoted,
truncated command; ``Up 3 seconds``; ``1.98MB``), because templates see those, not the raw
API fields.

:func:`write_formatted` is the shared last step: ``table ...`` formats get a header and
tabwriter alignment, others one line per row (``json`` meaning ``{{json .}}``).
"""

from __future__ import annotations

import time

from dockyard.cli.units import human_duration, human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

__all__ = ["FORMAT_HELP", "Row", "container_row", "image_rows", "write_formatted", "truncate_id", "ellipsis", "go_time",
           "CONTAINER_HEADERS", "IMAGE_HEADERS"]

FORMAT_HELP = """Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"""
"""docker's help text for the --format flag of list commands."""

def _label_header(name: str) -> str:
    """docker's header for a ``{{.Label "com.example.tier"}}`` column: ``tier``."""
    return name.split(".")[-1].replace("-", " ").replace("_", " ")


CONTAINER_HEADERS: dict[str, Any] = {"Label": _label_header, "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
                     "CreatedAt": "CREATED AT", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES",
                     "Size": "SIZE", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
                     "LocalVolumes": "LOCAL VOLUMES", "State": "STATE", "Platform": "PLATFORM"}
IMAGE_HEADERS = {"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
                 "CreatedAt": "CREATED AT", "Size": "SIZE", "Digest": "DIGEST", "Containers": "CONTAINERS",
                 "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "VirtualSize": "VIRTUAL SIZE"}


class Row(dict):  # type: ignore[type-arg]
    """A formatter context: docker marshals these with json.Marshal, which escapes ``<>&``
    (``"\\u003cnone\\u003e"``), unlike ``{{json .Field}}`` of a plain value.

    ``labels`` backs docker's ``{{.Label "key"}}`` method; it is not a key of the dict, so
    ``{{json .}}`` does not show it. ``go_type`` names docker's Go type: a field it does not
    have is then Go's ``can't evaluate field X in type T``; ``go_fields`` are fields the type
    has that the row may leave out (they are "no value", not an error).
    """

    def __init__(self, fields: Mapping[str, Any], labels: Mapping[str, str] | None = None,
                 go_type: str = "", go_fields: Iterable[str] = ()) -> None:
        super().__init__(fields)
        self.labels = dict(labels or {})
        self.go_type = go_type  # e.g. "*container.statsContext": an unknown field is then Go's error
        self.go_fields = frozenset(go_fields)

    def __missing__(self, key: str) -> Any:
        if key == "Label":
            return lambda name: self.labels.get(name, "")
        raise KeyError(key)


def _json_func(value: Any) -> str:
    from dockyard.cli.gotemplate import go_json

    return go_json(value, escape_html=isinstance(value, Row))


def truncate_id(ident: str) -> str:
    """docker's stringid.TruncateID: drop the ``sha256:`` algorithm, keep 12 hex digits."""
    return ident.split(":", 1)[-1][:12]


def ellipsis(text: str, width: int) -> str:
    """docker's formatter.Ellipsis: cut to ``width`` characters, the last one ``…``."""
    if len(text) <= width:
        return text
    return text[: width - 1] + "…" if width > 1 else text[:width]


def _go_quote(text: str) -> str:
    from dockyard.cli.units import go_quote

    return go_quote(text)


def go_time(ts: float) -> str:
    """Go's ``time.Time.String()`` of a unix time in the local zone: ``2026-12-01 08:24:47 +0000 UTC``."""
    lt = time.localtime(ts)
    return time.strftime("%Y-%m-%d %H:%M:%S %z ", lt) + (lt.tm_zone or "UTC")


def _ago(created: float, now: float) -> str:
    return human_duration(now - created) + " ago"


def _form_group(key: str, first: int, last: int) -> str:
    ip, _, kind = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{ip}:{group}->{group}"
    return f"{group}/{kind}"


def _ports(ports: list[dict[str, Any]] | None) -> str:
    """docker's DisplayablePorts: ``0.0.0.0:8080->80/tcp, 443/tcp``, consecutive ports grouped
    (``8000-8002/tcp``), published ports whose host port matches grouped per IP, the others last."""
    ordered = sorted(ports or (), key=lambda p: (p.get("PrivatePort", 0), p.get("IP", ""), p.get("PublicPort", 0),
                                                  p.get("Type", "")))
    groups: dict[str, list[int]] = {}
    result: list[str] = []
    mappings: list[str] = []
    for p in ordered:
        current = int(p.get("PrivatePort", 0))
        key = p.get("Type", "tcp")
        ip = p.get("IP") or ""
        if ip:
            public = int(p.get("PublicPort", 0))
            if public != current:
                host = f"[{ip}]" if ":" in ip else ip
                mappings.append(f"{host}:{public}->{current}/{p.get('Type', 'tcp')}")
                continue
            key = f"{ip}/{key}"
        group = groups.get(key)
        if group is None:
            groups[key] = [current, current]
            continue
        if current == group[1] + 1:
            group[1] = current
            continue
        result.append(_form_group(key, *group))
        groups[key] = [current, current]
    result += [_form_group(key, *g) for key, g in groups.items()]
    return ", ".join(result + mappings)


def container_row(c: Mapping[str, Any], *, trunc: bool, now: float | None = None) -> dict[str, Any]:
    """The fields ``ps`` templates see, from one ``GET /containers/json`` item."""
    now = time.time() if now is None else now
    names = [n.lstrip("/") for n in c.get("Names") or ()]
    if trunc:
        names = [n for n in names if "/" not in n]  # links (other/alias) are hidden unless --no-trunc
    image = c.get("Image") or ""
    command = c.get("Command") or ""
    cid = c.get("Id") or ""
    if trunc:
        if image.startswith("sha256:") or image == c.get("ImageID"):
            image = truncate_id(image)
        image = image.split("@", 1)[0] if "@" in image and not image.startswith("sha256:") else image
        command = ellipsis(command, 20)
        cid = truncate_id(cid)
    labels = c.get("Labels") or {}
    mounts = c.get("Mounts") or []
    mount_names = []
    for m in mounts:
        name = m.get("Name") or m.get("Source") or ""
        mount_names.append(ellipsis(name, 15) if trunc else name)
    size = ""
    if "SizeRw" in c or "SizeRootFs" in c:
        size = human_size(c.get("SizeRw") or 0)
        if (c.get("SizeRootFs") or 0) > 0:
            size += f" (virtual {human_size(c['SizeRootFs'])})"
    else:
        size = "0B"
    networks = sorted(((c.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    created = float(c.get("Created") or 0)
    return Row({
        "Command": _go_quote(command),
        "CreatedAt": go_time(created),
        "ID": cid,
        "Image": image,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        "LocalVolumes": str(sum(1 for m in mounts if m.get("Driver") == "local")),
        "Mounts": ",".join(mount_names),
        "Names": ",".join(names),
        "Networks": ",".join(networks),
        "Platform": None,
        "Ports": _ports(c.get("Ports")),
        "RunningFor": _ago(created, now),
        "Size": size,
        "State": c.get("State") or "",
        "Status": c.get("Status") or "",
    }, labels, go_type="*formatter.ContainerContext")


def _count(value: Any) -> str:
    return "N/A" if value is None or value == -1 else str(value)


def _size(value: Any) -> str:
    return "N/A" if value is None or value == -1 else human_size(value)


def image_rows(img: Mapping[str, Any], *, trunc: bool, now: float | None = None) -> list[dict[str, Any]]:
    """The rows ``images`` prints for one ``GET /images/json`` item: one per repository:tag."""
    now = time.time() if now is None else now
    image_id = img.get("Id") or ""
    created = float(img.get("Created") or 0)
    base = {
        "Containers": _count(img.get("Containers")),
        "CreatedAt": go_time(created),
        "CreatedSince": _ago(created, now),
        "ID": truncate_id(image_id) if trunc else image_id,
        "SharedSize": _size(img.get("SharedSize")),
        "Size": human_size(img.get("Size") or 0),
        "UniqueSize": "N/A",
        "VirtualSize": human_size(img.get("VirtualSize", img.get("Size")) or 0, 4),
    }
    digests: dict[str, str] = {}
    for d in img.get("RepoDigests") or ():
        if d != "<none>@<none>":
            repo, _, digest = d.partition("@")
            digests.setdefault(repo, digest)
    pairs: list[tuple[str, str]] = []
    for t in img.get("RepoTags") or ():
        if t == "<none>:<none>":
            continue
        repo, _, tag = t.rpartition(":")
        pairs.append((repo, tag))
    tagged_repos = {r for r, _ in pairs}
    for repo in digests:
        if repo not in tagged_repos:
            pairs.append((repo, "<none>"))
    if not pairs:
        pairs.append(("<none>", "<none>"))
    rows = []
    for repo, tag in pairs:
        row = dict(base)
        row["Digest"] = digests.get(repo, "<none>")
        row["Repository"] = repo
        row["Tag"] = tag
        rows.append(Row({k: row[k] for k in sorted(row)}, img.get("Labels"),
                        go_type="*formatter.imageContext"))
    return rows


def write_formatted(out: Any, rows: Iterable[Mapping[str, Any]], fmt: str, headers: Mapping[str, str]) -> None:
    """Render ``rows`` with a ``--format`` value (``table ...``, ``json`` or a template).

    Errors are docker's: status 1 and the Go error behind ``template parsing error: ``
    (a parse error as an execution error; ``ps`` checks its format first, see ps.py).
    """
    from dockyard.cli.errors import StatusError
    from dockyard.cli.gotemplate import Template, TemplateError, parse_format, render_rows, render_table

    rows = list(rows)
    if fmt.strip() == "json":  # the directive is json.Marshal per row, which escapes <>& (unlike {{json .}})
        from dockyard.cli.gotemplate import go_json

        out.write("".join(go_json(row, escape_html=True) + "\n" for row in rows))
        return
    is_table, text = parse_format(fmt)
    try:
        tmpl = Template(text, funcs={"json": _json_func})
    except TemplateError as exc:
        raise StatusError(1, f"template parsing error: {exc}") from exc
    try:
        out.write(render_table(rows, tmpl, headers) if is_table else render_rows(rows, tmpl))
    except TemplateError as exc:
        raise StatusError(1, str(exc)) from exc
