"""The resolution index of a large export, in bounded memory.

An NDJSON export can hold hundreds of thousands of ImagingStudy resources; the imaging rules look
some of them up (a selection's study, a series' endpoint). SpillIndex keeps the packed resources in
memory like PackedIndex until `spill_after` entries, then moves them into an SQLite file in the
temporary directory and keeps adding there, so memory stays flat however large the export is.
Lookups go through an index on the file, and the decoded resources through PackedIndex's cache.

Forked NDJSON workers each open their own read-only connection (an SQLite connection must not
cross a fork). The file is removed when the index is closed or collected, and at exit.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import tempfile
import weakref

from harness.imaging.context import PackedIndex

SPILL_AFTER = 20_000  # entries (about 30 MB packed) before the index moves to disk

_SCHEMA = """
CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE urls (url TEXT PRIMARY KEY, blob INTEGER NOT NULL);
CREATE TABLE keys (rt TEXT NOT NULL, rid TEXT NOT NULL, blob INTEGER NOT NULL, PRIMARY KEY (rt, rid));
CREATE TABLE studies (uid TEXT PRIMARY KEY, blob INTEGER NOT NULL);
"""


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class SpillIndex(PackedIndex):
    def __init__(self, name: str, spill_after: int | None = None):
        super().__init__(name)
        self.spill_after = SPILL_AFTER if spill_after is None else spill_after
        self.path: str | None = None
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._count = 0

    # --- writing (in the process that builds the index) ------------------------------------------
    def _keep(self, stored, url, key, uids) -> None:
        self._count += 1
        if self.path is None:
            super()._keep(stored, url, key, uids)
            if self._count > self.spill_after:
                self._spill()
            return
        db = self._conn()
        if not db.in_transaction:
            db.execute("BEGIN")
        blob = db.execute("INSERT INTO blobs (data) VALUES (?)", (stored,)).lastrowid
        if url is not None:
            db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (url, blob))
        if key is not None:
            db.execute("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)", (key[0], key[1], blob))
        for uid in uids:
            db.execute("INSERT OR IGNORE INTO studies VALUES (?, ?)", (uid, blob))

    def _spill(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="imaging-harness-index-", suffix=".sqlite")
        os.close(fd)
        weakref.finalize(self, _remove, self.path)
        atexit.register(_remove, self.path)
        db = self._conn()
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        db.execute("BEGIN")
        ids: dict[int, int] = {}  # id(stored bytes) -> blob row: one row however many names it has

        def row(stored) -> int:
            if id(stored) not in ids:
                ids[id(stored)] = db.execute("INSERT INTO blobs (data) VALUES (?)", (stored,)).lastrowid
            return ids[id(stored)]
        db.executemany("INSERT INTO urls VALUES (?, ?)", ((u, row(s)) for u, s in self._by_url.items()))
        db.executemany("INSERT INTO keys VALUES (?, ?, ?)", ((k[0], k[1], row(s)) for k, s in self._by_key.items()))
        db.executemany("INSERT INTO studies VALUES (?, ?)", ((u, row(s)) for u, s in self._studies.items()))
        self._by_url, self._by_key, self._studies = {}, {}, {}

    def flush(self) -> None:
        """Commit what was added, so forked workers (their own connections) see it."""
        if self._db is not None and self._pid == os.getpid() and self._db.in_transaction:
            self._db.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():  # a forked worker opens its own
            self._pid = os.getpid()
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        return self._db

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None
        if self.path is not None:
            _remove(self.path)

    def __len__(self) -> int:
        return self._count

    # --- reading ---------------------------------------------------------------------------------
    def _one(self, sql: str, args: tuple):
        self.flush()
        row = self._conn().execute(sql, args).fetchone()
        return row[0] if row is not None else None

    def _url(self, url: str):
        if self.path is None:
            return super()._url(url)
        return self._one("SELECT data FROM blobs JOIN urls ON blobs.id = urls.blob WHERE url = ?", (url,))

    def _key(self, key: tuple[str, str]):
        if self.path is None:
            return super()._key(key)
        return self._one("SELECT data FROM blobs JOIN keys ON blobs.id = keys.blob WHERE rt = ? AND rid = ?", key)

    def _study(self, uid: str):
        if self.path is None:
            return super()._study(uid)
        return self._one("SELECT data FROM blobs JOIN studies ON blobs.id = studies.blob WHERE uid = ?", (uid,))
