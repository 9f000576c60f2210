"""Running `process_note` over many files: a process pool for big runs, in input order.

Workers return each note's packed result already pickled: the bytes go to the cache
as they are and are unpickled once, in the main process, while the pool works on.
The cache key of a note is its bytes (SHA-256), its path, the tool version and the
digest of the rule files, so a rule edit or an upgrade never serves a stale result.
"""
from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import build_id
from .cache import flush_all
from .extract import Settings
from .notes import read_capped
from .process import pack, process_note

PARALLEL_MIN_FILES = 64  # below this a pool costs more than it saves
FORKED_MIN_ITEMS = 4000  # finishing fewer items than this is quicker in one process
CACHE_FORMAT = "5"  # 5: a note's result is a records.PackedNote


def cache_key(path: str, data: bytes, rules_digest: str) -> str:
    h = hashlib.sha256()
    for part in (CACHE_FORMAT, build_id(), rules_digest, path):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    h.update(data)
    return h.hexdigest()[:32]


def _work(args: tuple) -> bytes:
    """(path, rel, root, settings, read): `read` is what `read_capped` gave the main process (those bytes
    were hashed for the cache key, so they are the ones parsed), or None to read the file here."""
    return pickle.dumps(pack(process_note(*args)), protocol=pickle.HIGHEST_PROTOCOL)


def _worker_start(parent: int) -> None:
    """In each worker: the default signal handling (not the command's), and an exit as soon as the process
    that started it is gone (killed with -9, say): a worker blocked on its task queue would wait for ever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)
    threading.Thread(target=watch, name="cards-parent-watch", daemon=True).start()


def temp_prefix(kind: str) -> str:
    """The prefix of a temporary file or folder of this process (`cards-KIND-PID-`): one left behind by a
    process that was killed is removed by the next run (`clean_stale_temp`)."""
    return f"cards-{kind}-{os.getpid()}-"


_OURS = re.compile(r"^cards-[a-z]+-(\d+)-")


def clean_stale_temp(folder: str | None = None) -> None:
    """Remove the temporary files and folders of cards processes that no longer run."""
    folder = folder or tempfile.gettempdir()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _OURS.match(name)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, OSError):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


RACY_NS = 2_000_000_000  # a file changed this close to a run may change again within one mtime tick


def note_key_material(path: str, rel: str, root: str) -> str:
    """What besides its bytes a note's cache key covers: where it is, and the folder it was found in."""
    return f"{path}\0{rel}\0{root}"


def note_keys(files: list[tuple[str, str, str]], rules_digest: str,
              known: dict[str, tuple] | None = None, keep: dict[str, tuple] | None = None
              ) -> tuple[list[str | None], dict[str, tuple], int]:
    """The cache key of every file (None where it cannot be read: it is then processed, and reported).

    A key hashes the bytes `read_capped` gives (at most MAX_NOTE_BYTES + 1, from a regular file
    only); with `keep`, those bytes are kept by path, so that they, and not the file read again
    later (it may have changed meanwhile), are what gets parsed and stored under the key.
    `known` maps a path to (stat signature, key) from an earlier run: a file whose size,
    mtime, ctime and inode are all unchanged keeps its key without being read, as git does.
    Returns the keys, the signatures to keep for the next run, and how many files were read.
    A file changed less than RACY_NS before this run started is not kept: on a file system
    with coarse timestamps, a second change within the same tick could go unseen."""
    start = time.time_ns()
    keys: list[str | None] = []
    stats: dict[str, tuple] = {}
    read = 0
    for path, rel, root in files:
        try:
            st = os.stat(path)
            sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            old = known.get(path) if known else None  # (signature, key) from the last run
            old_sig, old_key = old if isinstance(old, tuple) and len(old) == 2 else (None, None)
            if old_sig == sig:
                key = old_key
            else:
                data, st = read_capped(path)  # the signature of what was read, not of what stat saw
                sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                # the folder it was found in too: the result holds its path relative to that folder
                key = cache_key(note_key_material(path, rel, root), data, rules_digest)
                if keep is not None:
                    keep[path] = (data, st)
                read += 1
        except OSError:
            keys.append(None)
            continue
        keys.append(key)
        if max(st.st_mtime_ns, st.st_ctime_ns) < start - RACY_NS:
            stats[path] = (sig, key)
    return keys, stats, read


def combined_key(keys: list[str | None], extra: str) -> str | None:
    """One key for a whole run: every note's key (in order) and what else shapes the result."""
    if any(k is None for k in keys):
        return None
    h = hashlib.sha256(f"run\0{CACHE_FORMAT}\0{build_id()}\0{extra}\0".encode("utf-8", "surrogatepass"))
    for k in keys:
        h.update(k.encode() + b"\n")
    return h.hexdigest()


def run_notes(files: list[tuple[str, str, str]], settings: Settings, jobs: int | None = None,
              progress=None, reads: list | None = None) -> Iterator[bytes]:
    """Each file's packed, pickled result, in input order; `progress(n)` is called as notes finish.
    `reads[i]`, when given and not None, is what `read_capped` gave for files[i]: it is parsed as it is."""
    jobs = jobs or default_jobs()
    reads = reads or [None] * len(files)
    args = [(path, rel, root, settings, r) for (path, rel, root), r in zip(files, reads)]
    if jobs > 1 and len(args) >= PARALLEL_MIN_FILES:
        chunk = max(1, min(32, len(args) // (jobs * 8) or 1))
        with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start, initargs=(os.getpid(),)) as pool:
            try:
                for blob in pool.map(_work, args, chunksize=chunk):
                    if progress:
                        progress(1)
                    yield blob
            except BaseException:  # interrupted: do not wait for the notes not yet started
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    else:
        for a in args:
            blob = _work(a)
            if progress:
                progress(1)
            yield blob


# -- work over data the main process already holds ---------------------------------------
#
# After the notes are read, the main process holds everything the next step needs (every
# card of the vault). Sending it to a pool would cost more than the work; forked processes
# inherit it instead, and send back only their results.

_forked_task: tuple[Callable, Sequence, str] | None = None  # (fn, items, folder for results)


def _forked_chunk(bounds: tuple[int, int]) -> str:
    """Runs in a worker: the chunk's results go to a file, not back through the pool's pipe (reading
    a pipe needs the main process's GIL, which is busy with chunks of its own)."""
    fn, items, folder = _forked_task  # type: ignore[misc]
    path = os.path.join(folder, f"{bounds[0]}.pickle")
    with open(path, "wb") as fh:
        pickle.dump([fn(x) for x in items[bounds[0]:bounds[1]]], fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _load_chunk(path: str) -> list:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def even_chunks(weights: list[int], n: int) -> list[tuple[int, int]]:
    """range(len(weights)) as at most n consecutive (start, end) chunks of about equal total weight."""
    total = sum(weights) or 1
    bounds, start, acc = [], 0, 0
    for i, w in enumerate(weights):
        acc += w
        if len(bounds) < n - 1 and acc * n >= total * (len(bounds) + 1) and i + 1 < len(weights):
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(weights) or not bounds:
        bounds.append((start, len(weights)))
    return bounds


def forked_map(fn: Callable, items: Sequence, jobs: int | None = None,
               weight: Callable[[object], int] | None = None) -> list:
    """`[fn(x) for x in items]`: the same list, split over forked processes when that pays (Linux).

    `fn` may be a closure over anything: the workers inherit it rather than receive it.
    Its results must pickle. `weight(x)` estimates an item's work, to even out the chunks.
    This process works too: `jobs - 1` workers take chunks from the front, and this process
    takes the chunks none has started, from the back (its results need no pickling).
    If the processes cannot be started, the work is done here."""
    global _forked_task
    jobs = jobs or default_jobs()
    if jobs < 2 or len(items) < FORKED_MIN_ITEMS or not sys.platform.startswith("linux"):
        return [fn(x) for x in items]
    bounds = even_chunks([weight(x) if weight else 1 for x in items], jobs * 12)
    flush_all()  # no cache-writer thread may be mid-write when the process forks
    try:
        folder = tempfile.mkdtemp(prefix=temp_prefix("fork"))
    except OSError:
        return [fn(x) for x in items]
    _forked_task = (fn, items, folder)
    # Objects that exist now are moved out of the collector's sight: a collection in a worker
    # would otherwise touch every one of them and copy the whole inherited heap page by page.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_start, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_forked_chunk, b) for b in bounds]
            mine: dict[int, list] = {}
            for i in range(len(bounds) - 1, -1, -1):
                if not futures[i].cancel():
                    break  # a worker has it, and every chunk before it
                lo, hi = bounds[i]
                mine[i] = [fn(x) for x in items[lo:hi]]
            out: list = []
            for i, fut in enumerate(futures):
                out += mine[i] if i in mine else _load_chunk(fut.result())
            return out
    except (OSError, BrokenProcessPool):
        return [fn(x) for x in items]
    finally:
        gc.unfreeze()
        _forked_task = None
        shutil.rmtree(folder, ignore_errors=True)
