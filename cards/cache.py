"""The cache: one SQLite file of pickled blobs in the cache folder. Safe to delete at any time.

Four kinds of entry, all keyed by hashes of what produced them, so an entry is either
right or never looked up:
  note    one note's extraction result, keyed by its path, bytes, tool version and rule digest
  state   the finished result of the last run over the same inputs and rules (for incremental runs)
  card    a finished card's explanations, by the card's content (the state keeps only its head)
  fields  a card's rendered fields, by its content and the export options

Anything unreadable (a truncated file, another format, a locked or corrupt database) is
treated as a miss: the cache can only cost speed, never correctness. Entries unused for
PRUNE_DAYS are dropped.
"""
from __future__ import annotations

import pickle
import sqlite3
import time
from pathlib import Path

SCHEMA = 1
PRUNE_DAYS = 30
_CHUNK = 500  # keys per SELECT … IN (…): below every SQLite build's variable limit


class Cache:
    def __init__(self, folder: Path):
        self.path = folder / "cache.sqlite"
        self.db: sqlite3.Connection | None = None
        for attempt in range(2):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.db = self._open()
                return
            except (sqlite3.Error, OSError):
                self.db = None
                if attempt == 0:  # corrupt or from another version: start afresh
                    try:
                        self.path.unlink()
                    except OSError:
                        return

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                db.execute("DROP TABLE IF EXISTS blobs")
                db.execute("CREATE TABLE blobs (key TEXT PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL,"
                           " used INTEGER NOT NULL) WITHOUT ROWID")
                db.execute(f"PRAGMA user_version={SCHEMA}")
            db.execute("SELECT count(*) FROM blobs WHERE key = ''").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    # -- raw blobs ----------------------------------------------------------------

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        """The stored blobs of those keys that have one."""
        out: dict[str, bytes] = {}
        if self.db is None or not keys:
            return out
        today = _today()
        stale: list[tuple[int, str]] = []
        try:
            for i in range(0, len(keys), _CHUNK):
                part = keys[i:i + _CHUNK]
                q = f"SELECT key, data, used FROM blobs WHERE key IN ({','.join('?' * len(part))})"
                for key, data, used in self.db.execute(q, part):
                    out[key] = data
                    if used < today:
                        stale.append((today, key))
            if stale:  # mark as used, so pruning keeps what is still read
                with self.db:
                    self.db.execute("BEGIN")
                    self.db.executemany("UPDATE blobs SET used = ? WHERE key = ?", stale)
        except sqlite3.Error:
            pass
        return out

    def put_many(self, kind: str, items: list[tuple[str, bytes]]) -> None:
        if self.db is None or not items:
            return
        try:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO blobs (key, kind, data, used) VALUES (?, ?, ?, ?)",
                                    [(k, kind, v, _today()) for k, v in items])
        except sqlite3.Error:
            pass  # a cache that cannot be written only costs speed

    # -- pickled objects ----------------------------------------------------------

    def get_objects(self, keys: list[str]) -> dict[str, object]:
        """The unpickled entries of those keys; an unreadable one is left out, like a missing one."""
        out: dict[str, object] = {}
        for key, blob in self.get_many(keys).items():
            try:
                out[key] = pickle.loads(blob)
            except Exception:
                pass
        return out

    def get(self, key: str):
        return self.get_objects([key]).get(key)

    def put(self, kind: str, key: str, obj) -> None:
        self.put_many(kind, [(key, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))])

    def prune(self) -> None:
        """Drop entries unused for PRUNE_DAYS (at most once a day)."""
        if self.db is None:
            return
        try:
            row = self.db.execute("SELECT data FROM blobs WHERE key = 'meta:pruned'").fetchone()
            if row and int(row[0]) >= _today():
                return
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM blobs WHERE used < ?", (_today() - PRUNE_DAYS,))
                self.db.execute("INSERT OR REPLACE INTO blobs VALUES ('meta:pruned', 'meta', ?, ?)",
                                (str(_today()).encode(), _today()))
        except (sqlite3.Error, ValueError):
            pass


def _today() -> int:
    return int(time.time() // 86400)
