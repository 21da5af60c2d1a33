"""SQLite metadata: what exists (images, tags, snapshots, containers), in one transactional file.

Why SQLite: every change of state is one transaction, so ``kill -9`` at any moment leaves
either the old or the new state (WAL mode keeps readers and the writer apart). File-system
objects (blobs, snapshot directories, container directories) are created *before* the row
that names them and deleted *after* it; opening the store drops objects no row names
(see each owner's ``repair``).

Schema (version 1)::

    meta        key TEXT PK, value TEXT                  schema_version, daemon facts
    images      id PK (sha256 of config), created, size, manifest (digest), parent, labels(json)
    tags        name PK (docker.io/library/busybox:latest or repo@sha256:..), image_id
    snapshots   chain_id PK, dir UNIQUE, parent, diff_id, size, blob, media_type
    containers  id PK, name UNIQUE, image_id, created, record (json: Docker's inspect shape)
    volumes     name PK, driver, created, record(json)            (added in version 2)
    networks    id PK, name UNIQUE, created, record(json)         (added in version 2)
    kv          scope, key, value (json)  PK(scope, key)           small per-feature state
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

__all__ = ["Metadata", "SCHEMA_VERSION"]

_MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE IF NOT EXISTS images (
        id TEXT PRIMARY KEY, created REAL NOT NULL, size INTEGER NOT NULL DEFAULT 0,
        manifest TEXT, parent TEXT, labels TEXT NOT NULL DEFAULT '{}');
    CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY, image_id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
    CREATE TABLE IF NOT EXISTS snapshots (
        chain_id TEXT PRIMARY KEY, dir TEXT UNIQUE NOT NULL, parent TEXT, diff_id TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0, blob TEXT, media_type TEXT);
    CREATE TABLE IF NOT EXISTS containers (
        id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, image_id TEXT, created REAL NOT NULL,
        record TEXT NOT NULL);
    """,
    # version 2
    """
    CREATE TABLE IF NOT EXISTS volumes (name TEXT PRIMARY KEY, driver TEXT NOT NULL,
        created REAL NOT NULL, record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,
        created REAL NOT NULL, record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS kv (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (scope, key));
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)


class Metadata:
    """A thread-safe handle on the metadata database (one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        with self.tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"metadata schema {current} is newer than this dockyard ({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                db.executescript_in_tx(_MIGRATIONS[version])
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)",
                       (str(SCHEMA_VERSION),))

    @contextmanager
    def tx(self) -> Iterator[_Tx]:
        """One write transaction; rolled back if the block raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    # small per-feature key/value state
    def kv_get(self, scope: str, key: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM kv WHERE scope=? AND key=?", (scope, key))
        return json.loads(row[0]) if row else default

    def kv_set(self, scope: str, key: str, value: Any) -> None:
        self.execute("INSERT OR REPLACE INTO kv(scope, key, value) VALUES(?,?,?)",
                     (scope, key, json.dumps(value)))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Tx:
    """The statements allowed inside ``Metadata.tx()``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, args)

    def executescript_in_tx(self, script: str) -> None:
        # executescript() would COMMIT first; run statement by statement inside the tx.
        for stmt in script.split(";"):
            if stmt.strip():
                self._db.execute(stmt)
