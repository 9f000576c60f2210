"""The cache: one SQLite file of blobs in the cache folder. Safe to delete at any time.

Four kinds of entry, all keyed by hashes of what produced them, so an entry is either
right or never looked up:
  note    one note's extraction result, keyed by its path, bytes, tool version and rule digest
  state   the finished result of the last run over the same inputs and rules (for incremental runs),
          marshalled (pipeline.py); every other kind is pickled
  card    a finished card's explanations, by the card's content (the state keeps only its head)
  fields  a card's rendered fields, by its content and the export options

Every entry is stored with a digest of its key and blob, checked whenever it is read: an
entry whose bytes changed (a damaged disk, an edit) is a miss like a missing one. Anything
unreadable (a truncated file, another format, a corrupt database) is treated as a miss too:
the cache can only cost speed, never correctness. A database that another process keeps
locked is waited for BUSY_TIMEOUT seconds at most, once: then the run goes on without the
cache, and `problem` says why (the command line prints it). Entries unused for PRUNE_DAYS
are dropped.

Writes go to a background thread with its own connection, so storing a cold run's
hundred megabytes overlaps with the work still to do (SQLite releases the GIL while it
writes). Until a write lands, reads of this Cache see it from memory; `flush()` waits
for the writes, and runs at exit, and before another Cache is opened in this process.
"""
from __future__ import annotations

import atexit
import hashlib
import pickle
import queue
import sqlite3
import threading
import time
import weakref
from pathlib import Path

SCHEMA = 3  # 3: each row has a digest; 2: a rowid table with the blob last (1 kept whole rows in the key's B-tree)
PRUNE_DAYS = 30
BUSY_TIMEOUT = 2.0  # seconds to wait for a database another process has locked, before going on without it
_CHUNK = 500  # keys per SELECT … IN (…): below every SQLite build's variable limit


_open_caches: "weakref.WeakSet[Cache]" = weakref.WeakSet()


def flush_all() -> None:
    """Wait for every Cache's pending writes in this process."""
    for c in list(_open_caches):
        c.flush()


atexit.register(flush_all)


def _digest(key: str, data: bytes) -> bytes:
    """What a row's `digest` holds: its blob bound to its key (an entry copied under another key is wrong too)."""
    h = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16)
    h.update(b"\0")
    h.update(data)
    return h.digest()


def _is_locked(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class Cache:
    def __init__(self, folder: Path):
        flush_all()  # another Cache here may still be writing what this one is about to read
        self.path = folder / "cache.sqlite"
        self.db: sqlite3.Connection | None = None
        self._pending: dict[str, bytes] = {}  # written but not yet landed
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue | None = None
        self._writer: threading.Thread | None = None
        self.problem: str | None = None  # why the cache was not (fully) used, said once by the caller
        self._writes_off = False
        for attempt in range(2):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.db = self._open()
                return
            except (sqlite3.Error, OSError) as exc:
                self.db = None
                if _is_locked(exc):  # another process holds it: not corrupt, never deleted
                    self._give_up(f"{self.path} is locked by another process")
                    return
                if attempt == 0:  # corrupt or from another version: start afresh
                    try:
                        self.path.unlink()
                    except FileNotFoundError:
                        pass
                    except OSError as exc2:
                        self._give_up(f"cannot use {self.path} ({exc2.strerror or exc2})")
                        return
                else:
                    self._give_up(f"cannot use {self.path} ({getattr(exc, 'strerror', None) or exc})")

    def _give_up(self, why: str) -> None:
        """Go on without the cache (only slower), and keep the first reason to tell the user."""
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None
        self._writes_off = True
        if self.problem is None:
            self.problem = why

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                db.execute("DROP TABLE IF EXISTS blobs")
                # Rows are appended in rowid order and found through the key's index; `data` comes
                # last, so reading `kind` or `used` never walks a blob's overflow pages.
                db.execute("CREATE TABLE blobs (key TEXT PRIMARY KEY, kind TEXT NOT NULL, used INTEGER NOT NULL,"
                           " digest BLOB NOT NULL, data BLOB NOT NULL)")
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
        if self._pending:
            with self._lock:
                out = {k: self._pending[k] for k in keys if k in self._pending}
            keys = [k for k in keys if k not in out]
        today = _today()
        stale: list[tuple[int, str]] = []
        try:
            for i in range(0, len(keys), _CHUNK):
                part = keys[i:i + _CHUNK]
                q = f"SELECT key, digest, data, used FROM blobs WHERE key IN ({','.join('?' * len(part))})"
                for key, digest, data, used in self.db.execute(q, part):
                    if digest != _digest(key, data):
                        continue  # changed since it was stored: a miss
                    out[key] = data
                    if used < today:
                        stale.append((today, key))
        except sqlite3.Error as exc:
            if _is_locked(exc):
                self._give_up(f"{self.path} is locked by another process")
            return out
        if stale and not self._writes_off:  # mark as used, so pruning keeps what is still read
            try:
                with self.db:
                    self.db.execute("BEGIN")
                    self.db.executemany("UPDATE blobs SET used = ? WHERE key = ?", stale)
            except sqlite3.Error as exc:
                if _is_locked(exc):
                    self._writes_off = True  # reads still work; every write would wait BUSY_TIMEOUT
        return out

    def put_many(self, kind: str, items: list[tuple[str, bytes]]) -> None:
        """Store blobs; they land in the background (see the module's docstring)."""
        if self.db is None or not items or self._writes_off:
            return
        with self._lock:
            self._pending.update(items)
        self._send(("put", kind, items))

    def _send(self, job: tuple) -> None:
        if self._writer is None:
            self._queue = queue.SimpleQueue()
            self._writer = threading.Thread(target=self._write_jobs, args=(self._queue,),
                                            name="cards-cache-writer", daemon=True)
            self._writer.start()
            _open_caches.add(self)
        self._queue.put(job)

    def _write_jobs(self, jobs: queue.SimpleQueue) -> None:
        try:
            db: sqlite3.Connection | None = self._open()
        except sqlite3.Error as exc:
            db = None
            self._cannot_write(exc)
        while True:
            job = jobs.get()
            if job is None:
                break
            try:
                if db is not None and not self._writes_off:
                    self._write(db, job)
            except sqlite3.Error as exc:
                self._cannot_write(exc)  # a cache that cannot be written only costs speed
            finally:
                if job[0] == "put":
                    with self._lock:
                        for k, v in job[2]:
                            if self._pending.get(k) is v:
                                del self._pending[k]
        if db is not None:
            db.close()

    def _cannot_write(self, exc: Exception) -> None:
        if _is_locked(exc):
            self._writes_off = True  # each further write would wait BUSY_TIMEOUT for nothing
            why = f"{self.path} is locked by another process; this run's results were not stored"
        else:
            why = f"cannot write {self.path} ({exc}); this run's results were not stored"
        if self.problem is None:
            self.problem = why

    @staticmethod
    def _write(db: sqlite3.Connection, job: tuple) -> None:
        today = _today()
        if job[0] == "put":
            rows = [(k, job[1], _digest(k, v), v, today) for k, v in job[2]]  # hashed here, in the background
        with db:
            db.execute("BEGIN")
            if job[0] == "put":
                db.executemany("INSERT OR REPLACE INTO blobs (key, kind, digest, data, used) VALUES (?, ?, ?, ?, ?)",
                               rows)
                return
            row = db.execute("SELECT data FROM blobs WHERE key = 'meta:pruned'").fetchone()  # prune
            if row and row[0].isdigit() and int(row[0]) >= today:
                return
            db.execute("DELETE FROM blobs WHERE used < ?", (today - PRUNE_DAYS,))
            mark = str(today).encode()
            db.execute("INSERT OR REPLACE INTO blobs (key, kind, digest, data, used)"
                       " VALUES ('meta:pruned', 'meta', ?, ?, ?)", (_digest("meta:pruned", mark), mark, today))

    def flush(self) -> None:
        """Wait until every write so far has landed."""
        writer, q = self._writer, self._queue
        if writer is None or q is None:
            return
        self._writer = self._queue = None
        q.put(None)
        writer.join()

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

    def prune(self) -> None:
        """Drop entries unused for PRUNE_DAYS (at most once a day), in the background."""
        if self.db is not None:
            self._send(("prune",))


def _today() -> int:
    return int(time.time() // 86400)
