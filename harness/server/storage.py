"""SQLite storage: current resources, every version, the search index tables, paging snapshots.

One connection guarded by a re-entrant lock; `atomic()` nests (BEGIN, then SAVEPOINTs), so a
transaction Bundle is all-or-nothing over the same write methods single interactions use.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import orjson

from harness.server.dates import instant as format_instant
from harness.server.indexing import index_rows
from harness.server.limits import SQL_TOO_BIG
from harness.server.outcome import FhirError

SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (rtype TEXT, rid TEXT, vid INTEGER, last_updated TEXT,
    deleted INTEGER, body BLOB, PRIMARY KEY (rtype, rid));
CREATE TABLE IF NOT EXISTS history (rtype TEXT, rid TEXT, vid INTEGER, last_updated TEXT,
    deleted INTEGER, method TEXT, body BLOB, PRIMARY KEY (rtype, rid, vid));
CREATE TABLE IF NOT EXISTS idx_token (rtype TEXT, rid TEXT, param TEXT, system TEXT, code TEXT);
CREATE TABLE IF NOT EXISTS idx_string (rtype TEXT, rid TEXT, param TEXT, raw TEXT, norm TEXT);
CREATE TABLE IF NOT EXISTS idx_reference (rtype TEXT, rid TEXT, param TEXT, ref_type TEXT, ref_id TEXT,
    url TEXT, local INTEGER, id_system TEXT, id_value TEXT);
CREATE TABLE IF NOT EXISTS idx_date (rtype TEXT, rid TEXT, param TEXT, low REAL, high REAL, raw TEXT);
CREATE TABLE IF NOT EXISTS idx_uri (rtype TEXT, rid TEXT, param TEXT, value TEXT);
CREATE TABLE IF NOT EXISTS idx_number (rtype TEXT, rid TEXT, param TEXT, value REAL);
CREATE TABLE IF NOT EXISTS idx_quantity (rtype TEXT, rid TEXT, param TEXT, value REAL, system TEXT,
    code TEXT, unit TEXT);
CREATE TABLE IF NOT EXISTS idx_present (rtype TEXT, rid TEXT, param TEXT);
CREATE TABLE IF NOT EXISTS snapshot (sid TEXT PRIMARY KEY, payload BLOB);
CREATE INDEX IF NOT EXISTS ix_token ON idx_token (param, code, rtype);
DROP INDEX IF EXISTS ix_token_r;
CREATE INDEX IF NOT EXISTS ix_token_rid ON idx_token (rtype, rid, param);
CREATE INDEX IF NOT EXISTS ix_string ON idx_string (param, norm);
DROP INDEX IF EXISTS ix_string_r;
CREATE INDEX IF NOT EXISTS ix_string_rid ON idx_string (rtype, rid, param);
CREATE INDEX IF NOT EXISTS ix_ref ON idx_reference (param, ref_id);
DROP INDEX IF EXISTS ix_ref_r;
CREATE INDEX IF NOT EXISTS ix_ref_rid ON idx_reference (rtype, rid, param);
DROP INDEX IF EXISTS ix_date_r;
CREATE INDEX IF NOT EXISTS ix_date_rid ON idx_date (rtype, rid, param);
CREATE INDEX IF NOT EXISTS ix_date ON idx_date (param, rtype, low);
CREATE INDEX IF NOT EXISTS ix_uri ON idx_uri (param, value);
CREATE INDEX IF NOT EXISTS ix_number ON idx_number (param, rtype, value);
CREATE INDEX IF NOT EXISTS ix_quantity ON idx_quantity (param, rtype, value);
CREATE INDEX IF NOT EXISTS ix_present ON idx_present (param, rtype);
CREATE INDEX IF NOT EXISTS ix_ref_id ON idx_reference (param, id_value);
DROP INDEX IF EXISTS ix_uri_r;
CREATE INDEX IF NOT EXISTS ix_uri_rid ON idx_uri (rtype, rid, param);
DROP INDEX IF EXISTS ix_number_r;
CREATE INDEX IF NOT EXISTS ix_number_rid ON idx_number (rtype, rid, param);
DROP INDEX IF EXISTS ix_quantity_r;
CREATE INDEX IF NOT EXISTS ix_quantity_rid ON idx_quantity (rtype, rid, param);
CREATE INDEX IF NOT EXISTS ix_present_rid ON idx_present (rtype, rid, param);
DROP INDEX IF EXISTS ix_present_r;
"""

INDEX_VERSION = 2  # bump when indexing changes: a database file written before is reindexed on open
MAX_SNAPSHOTS = 1000  # paging snapshots kept (older next links answer 404)
INDEX_TABLES = {"token": 5, "string": 5, "reference": 9, "date": 6, "uri": 4, "number": 4, "quantity": 7, "present": 3}


class Storage:
    def __init__(self, version: str, path: str | None = None):
        self.version = version
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._depth = 0
        self._last_ms = 0
        if self.conn.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:
            self.reindex()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.lock:
            name = f"sp{self._depth}"
            self.conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                self.conn.execute("ROLLBACK" if self._depth == 0 else f"ROLLBACK TO {name}")
                if self._depth:
                    self.conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            self.conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    def _instant(self) -> str:
        """A strictly increasing lastUpdated, so sorting by it is stable."""
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return format_instant(ms)

    # ------------------------------------------------------------ reads

    def current(self, rtype: str, rid: str) -> tuple[int, bool, dict | None] | None:
        """(vid, deleted, body) of the current version, or None if never created."""
        with self.lock:
            row = self.conn.execute("SELECT vid, deleted, body FROM resource WHERE rtype=? AND rid=?",
                                    (rtype, rid)).fetchone()
        if row is None:
            return None
        return row[0], bool(row[1]), orjson.loads(row[2]) if row[2] else None

    def get_version(self, rtype: str, rid: str, vid: int) -> tuple[bool, dict | None] | None:
        with self.lock:
            row = self.conn.execute("SELECT deleted, body FROM history WHERE rtype=? AND rid=? AND vid=?",
                                    (rtype, rid, vid)).fetchone()
        if row is None:
            return None
        return bool(row[0]), orjson.loads(row[1]) if row[1] else None

    def history(self, rtype: str, rid: str) -> list[tuple[int, str, bool, str, dict | None]]:
        with self.lock:
            rows = self.conn.execute("SELECT vid, last_updated, deleted, method, body FROM history "
                                     "WHERE rtype=? AND rid=? ORDER BY vid DESC", (rtype, rid)).fetchall()
        return [(v, lu, bool(d), m, orjson.loads(b) if b else None) for v, lu, d, m, b in rows]

    def many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """Current, not deleted bodies for (type, id) keys."""
        out = {}
        with self.lock:
            for rtype, rid in keys:
                row = self.conn.execute("SELECT body FROM resource WHERE rtype=? AND rid=? AND deleted=0",
                                        (rtype, rid)).fetchone()
                if row:
                    out[(rtype, rid)] = orjson.loads(row[0])
        return out

    def query(self, sql: str, args: list) -> list[tuple]:
        """Rows of a search's SQL; a statement past SQLite's limits is the client's too-costly search."""
        try:
            with self.lock:
                return self.conn.execute(sql, args).fetchall()
        except (sqlite3.OperationalError, sqlite3.DataError) as e:
            if not any(s.lower() in str(e).lower() for s in SQL_TOO_BIG):
                raise
            raise FhirError(400, f"the search is too large for this server's database ({e})",
                            code="too-costly") from None

    # ------------------------------------------------------------ writes

    def put(self, resource: dict, method: str) -> tuple[int, str]:
        """Store a new version of the resource (its id set); returns (vid, lastUpdated)."""
        rtype, rid = resource["resourceType"], resource["id"]
        with self.atomic():
            cur = self.current(rtype, rid)
            vid = (cur[0] + 1) if cur else 1
            instant = self._instant()
            meta = dict(resource.get("meta") or {})
            meta["versionId"] = str(vid)
            meta["lastUpdated"] = instant
            resource["meta"] = meta
            body = orjson.dumps(resource)
            self.conn.execute("INSERT OR REPLACE INTO resource VALUES (?,?,?,?,0,?)",
                              (rtype, rid, vid, instant, body))
            self.conn.execute("INSERT INTO history VALUES (?,?,?,?,0,?,?)",
                              (rtype, rid, vid, instant, method, body))
            self._unindex(rtype, rid)
            self._index(rtype, rid, resource)
        return vid, instant

    def delete(self, rtype: str, rid: str) -> int | None:
        """Mark deleted (a new version without body); None when there was nothing to delete."""
        with self.atomic():
            cur = self.current(rtype, rid)
            if cur is None or cur[1]:
                return None
            vid, instant = cur[0] + 1, self._instant()
            self.conn.execute("UPDATE resource SET vid=?, last_updated=?, deleted=1, body=NULL "
                              "WHERE rtype=? AND rid=?", (vid, instant, rtype, rid))
            self.conn.execute("INSERT INTO history VALUES (?,?,?,?,1,'DELETE',NULL)",
                              (rtype, rid, vid, instant))
            self._unindex(rtype, rid)
        return vid

    def reindex(self) -> None:
        """Rebuild every index row from the stored current versions (the index is derived data)."""
        with self.atomic():
            for kind in INDEX_TABLES:
                self.conn.execute(f"DELETE FROM idx_{kind}")
            for rtype, rid, body in self.conn.execute(
                    "SELECT rtype, rid, body FROM resource WHERE deleted=0").fetchall():
                self._index(rtype, rid, orjson.loads(body))
            self.conn.execute(f"PRAGMA user_version={INDEX_VERSION}")

    def _index(self, rtype: str, rid: str, resource: dict) -> None:
        for kind, rows in index_rows(self.version, resource).items():
            if rows:
                marks = ",".join("?" * INDEX_TABLES[kind])
                self.conn.executemany(f"INSERT INTO idx_{kind} VALUES ({marks})", [(rtype, rid, *r) for r in rows])

    def _unindex(self, rtype: str, rid: str) -> None:
        for kind in INDEX_TABLES:
            self.conn.execute(f"DELETE FROM idx_{kind} WHERE rtype=? AND rid=?", (rtype, rid))

    # ------------------------------------------------------------ paging snapshots

    def save_snapshot(self, payload: dict) -> str:
        sid = uuid.uuid4().hex
        with self.atomic():
            self.conn.execute("INSERT INTO snapshot VALUES (?,?)", (sid, orjson.dumps(payload)))
            self.conn.execute("DELETE FROM snapshot WHERE rowid <= (SELECT MAX(rowid) FROM snapshot) - ?",
                              (MAX_SNAPSHOTS,))
        return sid

    def snapshot(self, sid: str) -> dict | None:
        with self.lock:
            row = self.conn.execute("SELECT payload FROM snapshot WHERE sid=?", (sid,)).fetchone()
        return orjson.loads(row[0]) if row else None
