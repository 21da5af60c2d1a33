"""Persistent network state: networks and endpoints (the address leases), in SQLite.

Layout inside the metadata database (``dockyard.store.metadata``, schema version 2)::

    networks   id PK, name UNIQUE, created, record      record = Docker's network shape
                                                        (Name, Id, Driver, IPAM, Internal,
                                                        Options, Labels...) plus "_dy":
                                                        {"bridge", "builtin", "dns"}
    kv         scope="network.endpoint", key="<container id>/<network id>"
               value = Endpoint (below): the lease and how it was set up

An endpoint row is written *before* netavark sets the interface up ("allocated") and
marked "up" after, so a daemon killed in between finds it on load and tears it down:
no lease is lost (the row survives a restart) and none is duplicated (the address is
taken while the row exists). The netavark input is stored with it, because a teardown
must be given the same input as its setup.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from dockyard.store.metadata import Metadata

__all__ = ["Endpoint", "NetworkStore"]

_SCOPE = "network.endpoint"


@dataclass
class Endpoint:
    container: str
    network: str
    ifname: str
    ip: str
    prefix: int
    gateway: str
    mac: str
    endpoint_id: str
    aliases: list[str] = field(default_factory=list)
    netns: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    state: str = "allocated"          # allocated → up
    ip6: str = ""                     # on a network with EnableIPv6
    prefix6: int = 0
    gateway6: str = ""

    @property
    def key(self) -> str:
        return f"{self.container}/{self.network}"


class NetworkStore:
    def __init__(self, meta: Metadata) -> None:
        self.meta = meta

    # -- networks -------------------------------------------------------------------------
    def networks(self) -> list[dict[str, Any]]:
        rows = self.meta.query("SELECT record FROM networks ORDER BY created")
        return [json.loads(r["record"]) for r in rows]

    def put_network(self, rec: dict[str, Any]) -> None:
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO networks(id, name, created, record) "
                       "VALUES(?,?,?,?)", (rec["Id"], rec["Name"], time.time(), json.dumps(rec)))

    def delete_network(self, net_id: str) -> None:
        with self.meta.tx() as db:
            db.execute("DELETE FROM networks WHERE id=?", (net_id,))

    # -- endpoints (leases) -----------------------------------------------------------------
    def endpoints(self) -> list[Endpoint]:
        rows = self.meta.query("SELECT value FROM kv WHERE scope=?", (_SCOPE,))
        return [Endpoint(**json.loads(r["value"])) for r in rows]

    def put_endpoint(self, ep: Endpoint) -> None:
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO kv(scope, key, value) VALUES(?,?,?)",
                       (_SCOPE, ep.key, json.dumps(asdict(ep))))

    def delete_endpoint(self, ep: Endpoint) -> None:
        with self.meta.tx() as db:
            db.execute("DELETE FROM kv WHERE scope=? AND key=?", (_SCOPE, ep.key))
