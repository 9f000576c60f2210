"""Running `process_note` over many files: a process pool for the cold run, a content-hash cache for re-runs.

The cache key is the file's bytes (SHA-256), its path, the tool version and the digest
of the rule files, so a rule edit or an upgrade never serves a stale result. The cache
is a folder of small pickles: safe to delete at any time. Results come back in input
order whatever the parallelism, so output is deterministic.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import __version__
from .extract import Settings
from .pipeline import NoteResult, pack, process_note, unpack

PARALLEL_MIN_FILES = 64  # below this a pool costs more than it saves
CACHE_FORMAT = "2"


def _cache_key(path: str, data: bytes, rules_digest: str) -> str:
    h = hashlib.sha256()
    for part in (CACHE_FORMAT, __version__, rules_digest, path):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    h.update(data)
    return h.hexdigest()


def _cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.pkl"


def load(cache_dir: Path, key: str, size: int = 10) -> tuple | None:
    """A cached tuple of `size` parts, or None (missing, truncated, another format: recompute)."""
    try:
        with open(_cache_file(cache_dir, key), "rb") as fh:
            obj = pickle.load(fh)
        return obj if isinstance(obj, tuple) and len(obj) == size else None
    except Exception:
        return None


def store(cache_dir: Path, key: str, result: tuple) -> None:
    target = _cache_file(cache_dir, key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a cache that cannot be written only costs speed


def _work(args: tuple[str, str, str, Settings]) -> tuple:
    return pack(process_note(*args))


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


def run_notes(files: list[tuple[str, str, str]], settings: Settings, keys: list[str | None] | None = None,
              jobs: int | None = None, cache_dir: Path | None = None, progress=None) -> list[NoteResult]:
    """process_note over files, in input order; `progress(n)` is called as notes finish.

    `keys` (from note_keys) enable the per-note cache in `cache_dir`."""
    results: list[tuple | None] = [None] * len(files)
    keys = keys if keys is not None and cache_dir is not None else [None] * len(files)
    todo: list[int] = []
    for i in range(len(files)):
        if keys[i] is not None:
            hit = load(cache_dir, keys[i])
            if hit is not None:
                results[i] = hit
                if progress:
                    progress(1)
                continue
        todo.append(i)

    jobs = jobs or default_jobs()
    args = [(files[i][0], files[i][1], files[i][2], settings) for i in todo]
    if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES:
        chunk = max(1, min(64, len(todo) // (jobs * 8) or 1))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for i, res in zip(todo, pool.map(_work, args, chunksize=chunk)):
                results[i] = res
                if progress:
                    progress(1)
    else:
        for i, a in zip(todo, args):
            results[i] = _work(a)
            if progress:
                progress(1)
    if cache_dir is not None:
        for i in todo:
            r = results[i]
            if keys[i] is not None and r is not None and r[6]:  # r[6]: the note was read
                store(cache_dir, keys[i], r)
    return [unpack(r) for r in results if r is not None]
