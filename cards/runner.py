"""Running `process_note` over many files: a process pool for big runs, in input order.

Workers return each note's packed result already pickled: the bytes go to the cache
as they are and are unpickled once, in the main process, while the pool works on.
The cache key of a note is its bytes (SHA-256), its path, the tool version and the
digest of the rule files, so a rule edit or an upgrade never serves a stale result.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from . import __version__
from .extract import Settings
from .pipeline import pack, process_note

PARALLEL_MIN_FILES = 64  # below this a pool costs more than it saves
CACHE_FORMAT = "4"


def _cache_key(path: str, data: bytes, rules_digest: str) -> str:
    h = hashlib.sha256()
    for part in (CACHE_FORMAT, __version__, rules_digest, path):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    h.update(data)
    return h.hexdigest()[:32]


def _work(args: tuple[str, str, str, Settings]) -> bytes:
    return pickle.dumps(pack(process_note(*args)), protocol=pickle.HIGHEST_PROTOCOL)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def note_keys(files: list[tuple[str, str, str]], rules_digest: str) -> list[str | None]:
    """The cache key of every file (None where it cannot be read: it is then processed, and reported)."""
    keys: list[str | None] = []
    for path, _rel, _root in files:
        try:
            with open(path, "rb") as fh:
                keys.append(_cache_key(path, fh.read(), rules_digest))
        except OSError:
            keys.append(None)
    return keys


def combined_key(keys: list[str | None], extra: str) -> str | None:
    """One key for a whole run: every note's key (in order) and what else shapes the result."""
    if any(k is None for k in keys):
        return None
    h = hashlib.sha256(f"run\0{CACHE_FORMAT}\0{__version__}\0{extra}\0".encode("utf-8", "surrogatepass"))
    for k in keys:
        h.update(k.encode() + b"\n")
    return h.hexdigest()


def run_notes(files: list[tuple[str, str, str]], settings: Settings, jobs: int | None = None,
              progress=None) -> Iterator[bytes]:
    """Each file's packed, pickled result, in input order; `progress(n)` is called as notes finish."""
    jobs = jobs or default_jobs()
    args = [(path, rel, root, settings) for path, rel, root in files]
    if jobs > 1 and len(args) >= PARALLEL_MIN_FILES:
        chunk = max(1, min(32, len(args) // (jobs * 8) or 1))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for blob in pool.map(_work, args, chunksize=chunk):
                if progress:
                    progress(1)
                yield blob
    else:
        for a in args:
            blob = _work(a)
            if progress:
                progress(1)
            yield blob
