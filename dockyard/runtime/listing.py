"""``GET /containers/json``: Docker's filters, ordering and limits over container records."""

from __future__ import annotations

import re
from typing import Callable

from dockyard.errors import InvalidArgument
from dockyard.runtime.manager import Container

__all__ = ["select", "ACCEPTED"]

ACCEPTED = {"status", "name", "label", "ancestor", "id", "exited", "before", "since",
            "network", "volume", "health", "isolation", "is-task", "publish", "expose"}
_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}


def _labels_match(labels: dict[str, str], wanted: list[str]) -> bool:
    for w in wanted:
        k, sep, v = w.partition("=")
        if k not in labels:
            return False
        if sep and labels[k] != v:
            return False
    return True


def select(containers: list[Container], *, all_: bool, limit: int, filters: dict[str, list[str]],
           resolve_image: Callable[[str], str | None],
           find: Callable[[str], Container]) -> list[Container]:
    for key in filters:
        if key not in ACCEPTED:
            raise InvalidArgument(f"Invalid filter '{key}'")
    for s in filters.get("status", []):
        if s not in _STATUSES:
            raise InvalidArgument(f"Invalid filter 'status={s}'")
    ordered = sorted(containers, key=lambda c: c.rec["_dy"].get("created_ts", 0), reverse=True)
    before_ts = since_ts = None
    if filters.get("before"):
        before_ts = find(filters["before"][0]).rec["_dy"].get("created_ts", 0)
    if filters.get("since"):
        since_ts = find(filters["since"][0]).rec["_dy"].get("created_ts", 0)
    ancestors: set[str] = set()
    for a in filters.get("ancestor", []):
        image_id = resolve_image(a)
        if image_id:
            ancestors.add(image_id)
    show_all = all_ or bool(filters.get("status")) or bool(filters.get("exited")) or limit > 0
    out: list[Container] = []
    for c in ordered:
        st = c.state
        rec = c.rec
        if not show_all and not c.running:
            continue
        if filters.get("status") and st["Status"] not in filters["status"]:
            continue
        # Docker matches the regex against "/name": "^/web$" is its exact-match idiom.
        if filters.get("name") and not any(re.search(n, rec["Name"]) for n in filters["name"]):
            continue
        if filters.get("id") and not any(c.id.startswith(i) for i in filters["id"]):
            continue
        if filters.get("label") and not _labels_match(rec["Config"].get("Labels") or {},
                                                      filters["label"]):
            continue
        if filters.get("ancestor") and rec["Image"] not in ancestors:
            continue
        if filters.get("exited"):
            if st["Status"] != "exited" or str(st.get("ExitCode")) not in filters["exited"]:
                continue
        if before_ts is not None and rec["_dy"].get("created_ts", 0) >= before_ts:
            continue
        if since_ts is not None and rec["_dy"].get("created_ts", 0) <= since_ts:
            continue
        if filters.get("network"):
            nets = (rec.get("NetworkSettings") or {}).get("Networks") or {}
            ids = {n.get("NetworkID") for n in nets.values()}
            if not any(f in nets or f in ids for f in filters["network"]):
                continue
        if filters.get("volume"):
            mounts = rec.get("Mounts") or []
            if not any(f in (m.get("Name"), m.get("Destination"), m.get("Source"))
                       for f in filters["volume"] for m in mounts):
                continue
        if filters.get("health"):
            health = (st.get("Health") or {}).get("Status") or "none"
            if health not in filters["health"]:
                continue
        if filters.get("publish") or filters.get("expose"):
            ports = (rec.get("NetworkSettings") or {}).get("Ports") or {}
            exposed = set((rec["Config"].get("ExposedPorts") or {}).keys())
            want_pub = filters.get("publish", [])
            want_exp = filters.get("expose", [])
            published = {b.get("HostPort") + "/" + k.split("/")[1] if "/" in k else
                         b.get("HostPort") for k, v in ports.items() for b in (v or [])}
            if want_pub and not any(_port_match(p, published) for p in want_pub):
                continue
            if want_exp and not any(_port_match(p, exposed) for p in want_exp):
                continue
        out.append(c)
        if limit > 0 and len(out) >= limit:
            break
    return out


def _port_match(wanted: str, have: set[str]) -> bool:
    if "/" not in wanted:
        wanted += "/tcp"
    return wanted in have
