"""Output never depends on parallelism or cache state; the cache never serves a stale result."""
from __future__ import annotations

import json
import os
import pickle
import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from cards.cache import flush_all
from cards.models import card_to_json
from cards.pipeline import build
from cards.rules import load_rules
from cards import runner
from cards.runner import PARALLEL_MIN_FILES

REPO = Path(__file__).resolve().parents[1]


def vault(tmp_path: Path) -> Path:
    v = tmp_path / "vault"
    for n in range(PARALLEL_MIN_FILES + 10):  # enough notes for the process pool to be used
        d = v / f"part{n % 3}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"n{n:03d}.md").write_text(
            f"---\ntags: [t{n % 4}]\n---\n## Optimization\n- Adam : 적응형 학습률 옵티마이저 {n % 5}\n- Term{n} : 정의 {n}\n"
            f"Pooling\n- feature map 크기를 줄임 {n % 2}\n- 꿀팁 : 잡담 {n}\n", encoding="utf-8")
    return v


def dump(res) -> str:
    return json.dumps([card_to_json(c) for c in res.cards], ensure_ascii=False) + json.dumps(
        [(r.term, r.reason, r.source.path, r.source.line) for r in res.rejections], ensure_ascii=False) + json.dumps(
        [(w.path, w.line, w.message) for w in res.warnings], ensure_ascii=False) + json.dumps(
        [res.merged, res.n_cards, res.n_rejections, res.notes_read, sorted(Counter(c.deck for c in res.cards).items())])


@pytest.fixture
def calls(monkeypatch):
    """How many notes were extracted in this process (run with jobs=1 so no pool is used)."""
    seen: list[str] = []
    real = runner.process_note

    def counting(path, *args):
        seen.append(path)
        return real(path, *args)
    monkeypatch.setattr(runner, "process_note", counting)
    return seen


def test_cold_warm_single_and_pool_give_identical_output(tmp_path, calls):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    single = dump(build([v], rs, jobs=1, cache_dir=None))
    pool = dump(build([v], rs, jobs=2, cache_dir=None))
    cold = dump(build([v], rs, jobs=2, cache_dir=cache))
    calls.clear()
    warm = dump(build([v], rs, jobs=1, cache_dir=cache))
    assert single == pool == cold == warm
    assert calls == []  # nothing was extracted again
    assert (cache / "cache.sqlite").is_file()


def test_one_changed_note_is_the_only_one_extracted_again(tmp_path, calls):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    build([v], rs, jobs=1, cache_dir=cache)
    note = next(v.rglob("n005.md"))
    note.write_text(note.read_text(encoding="utf-8") + "- Adam : 다른 설명\n", encoding="utf-8")
    calls.clear()
    res = build([v], rs, jobs=1, cache_dir=cache)
    assert calls == [str(note)]
    adam = next(c for c in res.cards if c.term == "Adam")
    assert "다른 설명" in adam.definition
    assert dump(res) == dump(build([v], rs, jobs=1, cache_dir=None))


def test_the_run_state_is_kept_so_only_what_a_change_touches_is_merged_again(tmp_path, monkeypatch):
    """The run state keeps the finished groups (written with marshal, which refuses a tuple subclass: one in
    a group would silently cost every run a full merge). A warm run finishes no concept again; after one
    note changes, only the concepts that note's cards belong to are."""
    from cards.groups import Finisher
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    build([v], rs, jobs=1, cache_dir=cache)
    finished: list[str] = []
    real = Finisher.finish

    def counting(self, term, *args, **kwargs):
        finished.append(term)
        return real(self, term, *args, **kwargs)
    monkeypatch.setattr(Finisher, "finish", counting)
    build([v], rs, jobs=1, cache_dir=cache)
    assert finished == []
    note = next(v.rglob("n005.md"))
    note.write_text(note.read_text(encoding="utf-8") + "- Zebra : 새 카드\n", encoding="utf-8")
    res = build([v], rs, jobs=1, cache_dir=cache)
    assert {"Zebra", "Term5", "Adam"} <= set(finished) and "Term6" not in finished
    assert len(finished) < len(res.groups) / 4
    assert dump(res) == dump(build([v], rs, jobs=1, cache_dir=None))


def test_cache_is_never_stale(tmp_path):
    v, cache = vault(tmp_path), tmp_path / "cache"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "opt.yaml").write_text("match: {terms: [adam]}\n", encoding="utf-8")
    first = build([v], load_rules(rules), cache_dir=cache)
    assert {c.deck for c in first.cards if c.term == "Adam"} == {"Study Notes::Opt"}
    (rules / "opt.yaml").write_text("match: {terms: [adam]}\ndeck: Optimizers\n", encoding="utf-8")
    second = build([v], load_rules(rules), cache_dir=cache)  # a rule edit is seen
    assert {c.deck for c in second.cards if c.term == "Adam"} == {"Study Notes::Optimizers"}
    note = next(v.rglob("n000.md"))
    note.write_text(note.read_text(encoding="utf-8") + "- Lion : 새 옵티마이저\n", encoding="utf-8")
    third = build([v], load_rules(rules), cache_dir=cache)  # a note edit is seen
    assert "Lion" in {c.term for c in third.cards}
    assert dump(third) == dump(build([v], load_rules(rules), cache_dir=None))


def _text(note: Path) -> str:
    return note.read_bytes().decode("utf-8", "replace")  # an earlier edit may have left it broken


# Edits that move cards between merged groups: a new explanation of a shared term, an alias
# that joins two concepts, a term removed from the one note that had it, notes added,
# deleted and renamed, front matter tags changed (they shape topics and tags).
EDITS = [
    lambda n, i: n.write_text(_text(n) + f"- Adam : 설명 {i}\n", encoding="utf-8"),
    lambda n, i: n.write_text(_text(n) + f"- Term{i} (Pooling) : 합치기 {i}\n",
                              encoding="utf-8"),
    lambda n, i: n.write_text(_text(n).replace("- Adam", "- Nadam"), encoding="utf-8"),
    lambda n, i: n.write_text(_text(n).replace("tags: [", "tags: [optimization, "),
                              encoding="utf-8"),
    lambda n, i: n.write_text(f"## Regularization\n- Dropout : 뉴런 끄기 {i}\n- Adam = 아담\n", encoding="utf-8"),
    lambda n, i: n.unlink(),
    lambda n, i: n.rename(n.with_name(f"renamed{i}.md")),
    lambda n, i: (n.parent / f"new{i}.md").write_text(f"Pooling\n- 새 설명 {i}\n- Term{i + 1} : 또 {i}\n",
                                                      encoding="utf-8"),
    lambda n, i: n.write_bytes(b"\xff\xfe\x00broken"),
    # one acronym, two senses: the group splits in two (dedupe.split_homonyms), and must split the same way
    # when a later run re-merges only part of it
    lambda n, i: n.write_text(_text(n) + f"- SSD (Solid State Disk) : 플래시 저장 장치 {i}\n",
                              encoding="utf-8"),
    lambda n, i: n.write_text(_text(n) + f"- SSD (Single Shot Detector) : 한 번에 찾는 "
                              f"검출기 {i}\n- SSD : 설명 {i}\n", encoding="utf-8"),
    # one card's contradicting alias between two concepts (dedupe.split_bridges), made and unmade
    lambda n, i: n.write_text(_text(n) + f"- Accuracy : 전체 중 맞춘 비율 {i}\n- Precision : "
                              f"양성 예측 중 맞은 비율 {i}\n", encoding="utf-8"),
    lambda n, i: n.write_text(_text(n) + f"- 정확도 (Precision) : 정답과 값들의 거리 {i}\n",
                              encoding="utf-8"),
]


@pytest.mark.parametrize("seed,rules", [(0, "repo"), (1, "repo"), (2, "repo"), (3, "none"), (4, "none")])
def test_incremental_runs_equal_runs_from_scratch(tmp_path, seed, rules):
    """With the repository's rule files, and with none (every card placed by the defaults)."""
    v, cache = vault(tmp_path), tmp_path / "cache"
    rs = load_rules(REPO / "rules") if rules == "repo" else load_rules(None)
    rng = random.Random(seed)
    build([v], rs, jobs=1, cache_dir=cache)
    for i in range(12):
        notes = sorted(v.rglob("*.md"))
        for _ in range(rng.randint(1, 3)):
            rng.choice(EDITS)(rng.choice(notes), i)
            notes = sorted(v.rglob("*.md"))
        assert dump(build([v], rs, jobs=1, cache_dir=cache)) == dump(build([v], rs, jobs=1, cache_dir=None)), i


def test_a_split_group_is_merged_again_as_a_whole_when_a_note_goes(tmp_path):
    """The two senses of `SSD` are two concepts that claim the same keys; deleting the note of the first
    renames the other (it now keeps the term `SSD`), which a run that re-merged only the part of the
    deleted note would miss."""
    v, cache, rs = tmp_path / "vault", tmp_path / "cache", load_rules(None)
    v.mkdir()
    (v / "a.md").write_text("- SSD (Single Shot Detector) : 한 번에 박스를 찾는 검출기\n", encoding="utf-8")
    (v / "b.md").write_text("- SSD (Solid State Disk) : 플래시 메모리 저장 장치\n", encoding="utf-8")
    (v / "c.md").write_text("- SSD (Solid State Disk) : 하드디스크보다 빠른 저장 장치\n", encoding="utf-8")
    assert {c.term for c in build([v], rs, jobs=1, cache_dir=cache).cards} == {"SSD", "Solid State Disk"}
    (v / "a.md").unlink()
    again = build([v], rs, jobs=1, cache_dir=cache)
    assert [c.term for c in again.cards] == ["SSD"]
    assert dump(again) == dump(build([v], rs, jobs=1, cache_dir=None))


def test_corrupt_cache_is_ignored(tmp_path):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    expected = dump(build([v], rs, cache_dir=cache))
    flush_all()  # the cache writes in the background
    db = sqlite3.connect(cache / "cache.sqlite")
    db.execute("UPDATE blobs SET data = X'00ff'")  # every entry unreadable
    db.commit()
    db.close()
    assert dump(build([v], rs, cache_dir=cache)) == expected
    flush_all()  # as when the run's process has ended
    for p in cache.iterdir():
        p.write_bytes(b"not a database")
    assert dump(build([v], rs, cache_dir=cache)) == expected
    assert dump(build([v], rs, cache_dir=cache)) == expected  # and the cache works again


def test_cache_writes_land_in_the_background_and_are_read_back_at_once(tmp_path):
    from cards.cache import Cache
    first = Cache(tmp_path)
    first.put_many("note", [(f"k{i}", bytes([i % 256]) * 1000) for i in range(2000)])
    first.put_many("state", [("s", pickle.dumps({"x": 1}))])
    assert first.get_many(["k7", "k1999", "absent"]) == {"k7": b"\x07" * 1000, "k1999": bytes([1999 % 256]) * 1000}
    assert first.get_objects(["s"]) == {"s": {"x": 1}}  # landed or not, this Cache reads its own writes
    second = Cache(tmp_path)  # opening another waits for the first one's writes
    assert len(second.get_many([f"k{i}" for i in range(2000)])) == 2000
    first.put_many("note", [("late", b"1")])
    first.flush()
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    assert db.execute("SELECT count(*) FROM blobs WHERE kind = 'note'").fetchone()[0] == 2001
    db.close()


def test_an_unwritable_cache_costs_only_speed(tmp_path):
    from cards.cache import Cache
    c = Cache(tmp_path)
    (tmp_path / "cache.sqlite").unlink()
    (tmp_path / "cache.sqlite").mkdir()  # the writer cannot open it: writes are dropped, nothing raises
    c.put_many("note", [("k", b"v")])
    c.flush()
    assert c.get_many(["k"]) == {}  # the write was dropped, not kept pending for ever


def test_a_cache_from_an_older_schema_is_replaced(tmp_path):
    from cards.cache import SCHEMA, Cache
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    db.execute("CREATE TABLE blobs (key TEXT PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL,"
               " used INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("INSERT INTO blobs VALUES ('old', 'note', X'00', 1)")
    db.execute(f"PRAGMA user_version={SCHEMA - 1}")
    db.commit()
    db.close()
    c = Cache(tmp_path)
    assert c.get_many(["old"]) == {}  # entries of another schema are never read
    c.put_many("note", [("new", b"v")])
    c.prune()
    c.flush()
    assert Cache(tmp_path).get_many(["new", "old"]) == {"new": b"v"}


def test_forked_map_gives_the_plain_list(monkeypatch):
    monkeypatch.setattr(runner, "FORKED_MIN_ITEMS", 1)
    offset = 7  # a closure: the workers inherit it, nothing is sent to them
    items = list(range(1000))
    assert runner.forked_map(lambda x: (x, x * x + offset), items, jobs=2, weight=lambda x: 1 + x % 5) == \
        [(x, x * x + offset) for x in items]
    assert runner.forked_map(lambda x: x, [], jobs=2) == []


def test_forked_map_shares_the_work_between_this_process_and_a_worker_and_leaves_no_files(monkeypatch, tmp_path):
    import tempfile
    monkeypatch.setattr(runner, "FORKED_MIN_ITEMS", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pids = runner.forked_map(lambda x: os.getpid(), list(range(2000)), jobs=2)
    assert len(pids) == 2000
    assert os.getpid() in pids and len(set(pids)) == 2  # the last chunks here, the first in the worker
    assert list(tmp_path.iterdir()) == []  # the workers' result files are gone


@pytest.mark.parametrize("weights,n", [([1] * 10, 4), ([100] + [1] * 9, 4), ([5], 8), ([0, 0, 0], 2), ([3, 1, 4, 1, 5], 2)])
def test_even_chunks_cover_every_item_once_in_order(weights, n):
    chunks = runner.even_chunks(weights, n)
    assert 1 <= len(chunks) <= n
    assert [i for a, b in chunks for i in range(a, b)] == list(range(len(weights)))


def test_finishing_in_forked_processes_gives_the_same_cards(tmp_path, monkeypatch):
    v, rs = vault(tmp_path), load_rules(REPO / "rules")
    one = dump(build([v], rs, jobs=1, cache_dir=None))
    monkeypatch.setattr(runner, "FORKED_MIN_ITEMS", 2)
    assert dump(build([v], rs, jobs=2, cache_dir=None)) == one


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Change a file's text without changing its size or mtime (only ctime moves)."""
    assert len(old.encode()) == len(new.encode())
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_unchanged_files_keep_their_key_without_being_read(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "RACY_NS", 0)
    files = []
    for i in range(3):
        (tmp_path / f"n{i}.md").write_text(f"- Term{i} : definition {i}\n", encoding="utf-8")
        files.append((str(tmp_path / f"n{i}.md"), f"n{i}.md", str(tmp_path)))
    keys, stats, read = runner.note_keys(files, "rules")
    assert read == 3 and len(stats) == 3
    again, _, read = runner.note_keys(files, "rules", stats)
    assert (again, read) == (keys, 0)
    _same_size_edit(tmp_path / "n1.md", "definition", "DEFINITION")  # only ctime tells
    edited, _, read = runner.note_keys(files, "rules", stats)
    assert read == 1 and edited[0] == keys[0] and edited[2] == keys[2] and edited[1] != keys[1]
    assert runner.note_keys(files, "other rules", None)[0] != keys  # the key still covers the rules


def test_files_changed_just_before_a_run_are_read_again_next_time(tmp_path):
    p = tmp_path / "n.md"
    p.write_text("- A : b\n", encoding="utf-8")
    _, stats, _ = runner.note_keys([(str(p), "n.md", str(tmp_path))], "rules")
    assert stats == {}  # changed within RACY_NS of the run: a same-tick change could go unseen


def test_a_same_size_edit_is_never_served_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "RACY_NS", 0)
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    build([v], rs, jobs=1, cache_dir=cache)
    note = sorted(v.rglob("*.md"))[0]
    text = note.read_text(encoding="utf-8")
    word = next(w for w in text.split() if w.isascii() and w.isalpha() and len(w) > 3)
    _same_size_edit(note, word, word[::-1] if word[::-1] != word else word.upper())
    assert dump(build([v], rs, jobs=1, cache_dir=cache)) == dump(build([v], rs, jobs=1, cache_dir=None))


def test_cache_keys_change_with_the_package_source(tmp_path):
    """A build with other extraction code but the same version number must not reuse cached results."""
    import shutil
    import subprocess
    import sys
    pkg = tmp_path / "cards"
    shutil.copytree(REPO / "cards", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    probe = [sys.executable, "-c", "import cards, cards.runner as r; print(cards.build_id(), r.cache_key('n.md', b'x', ''))"]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    keys = [subprocess.run(probe, capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout.split()]
    for edited in ("pipeline.py", "extract/lines.py"):  # a module, and one inside a sub-package
        assert (pkg / edited).is_file()
        with open(pkg / edited, "a", encoding="utf-8") as fh:
            fh.write("\n# a local edit\n")
        keys.append(subprocess.run(probe, capture_output=True, text=True, env=env, cwd=tmp_path,
                                   check=True).stdout.split())
    assert len({k[0].split("+")[0] for k in keys}) == 1  # the same version number
    assert len({k[0] for k in keys}) == len({k[1] for k in keys}) == 3  # each edit: another build, other keys


def test_a_note_read_from_another_folder_is_not_served_from_the_cache(tmp_path):
    """A note's result holds its path inside the folder it was found in (folder tags, subject folders):
    exporting a sub-folder, then its parent, must not reuse the first run's result for it."""
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    part = build([v / "part1"], rs, jobs=1, cache_dir=cache)
    assert {n.rel for n in part.notes} and all("/" not in n.rel for n in part.notes)
    whole = build([v], rs, jobs=1, cache_dir=cache)
    assert {n.rel for n in whole.notes if n.path.startswith(str(v / "part1"))} == \
        {f"part1/{n.rel}" for n in part.notes}
    assert all("folder::part1" in c.tags for c in whole.cards if c.source.path.startswith(str(v / "part1")))
    assert dump(whole) == dump(build([v], rs, jobs=1, cache_dir=None))


# -- a note that changes while a run reads it -------------------------------------------------

def _edit_after_hashing(monkeypatch, note: Path, new: bytes) -> None:
    """Make the next run's notes change right after their cache keys were made (as an editor saving
    a note in the middle of an export would)."""
    real = runner.note_keys

    def note_keys(*args, **kwargs):
        out = real(*args, **kwargs)
        note.write_bytes(new)
        monkeypatch.setattr(runner, "note_keys", real)
        return out
    monkeypatch.setattr(runner, "note_keys", note_keys)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_note_edited_during_a_run_is_never_cached_under_its_old_content(tmp_path, monkeypatch, jobs):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    note = v / "part0" / "n000.md"
    original = note.read_bytes()
    _edit_after_hashing(monkeypatch, note, original + "- Racecard : 경주 중에 끼어든 카드\n".encode())
    build([v], rs, jobs=jobs, cache_dir=cache)
    note.write_bytes(original)  # the original bytes again, after the run
    again = build([v], rs, jobs=jobs, cache_dir=cache)
    assert "Racecard" not in {c.term for c in again.cards}
    assert dump(again) == dump(build([v], rs, jobs=1, cache_dir=None))


def test_a_note_read_late_is_checked_against_the_key_its_signature_gave(tmp_path, monkeypatch):
    """A note whose key comes from its unchanged stat signature, but whose result is no longer cached,
    is read when a changed note touches its concepts: if it changed meanwhile, what was parsed must
    not be stored under the old key, nor the run recorded as made from the old content."""
    monkeypatch.setattr(runner, "RACY_NS", 0)
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    build([v], rs, jobs=1, cache_dir=cache)
    flush_all()
    db = sqlite3.connect(cache / "cache.sqlite")
    db.execute("DELETE FROM blobs WHERE kind = 'note'")  # the run state stays: keys come from signatures
    db.commit()
    db.close()
    note = v / "part0" / "n000.md"
    original = note.read_bytes()
    (v / "new.md").write_text("- Adam : 새 노트가 Adam을 다시 설명\n", encoding="utf-8")  # every Adam group is redone
    _edit_after_hashing(monkeypatch, note, original + "- Racecard : 경주 중에 끼어든 카드\n".encode())
    build([v], rs, jobs=1, cache_dir=cache)
    note.write_bytes(original)
    flush_all()
    db = sqlite3.connect(cache / "cache.sqlite")
    db.execute("DELETE FROM blobs WHERE kind = 'state'")  # the next run takes every note's result from the cache
    db.commit()
    db.close()
    assert dump(build([v], rs, jobs=1, cache_dir=cache)) == dump(build([v], rs, jobs=1, cache_dir=None))


# -- the cache's own integrity ----------------------------------------------------------------

def test_changed_bytes_inside_cache_entries_are_misses(tmp_path):
    """Entries that still unpickle but whose bytes changed (a damaged disk, an edit) never reach a deck."""
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    expected = dump(build([v], rs, jobs=1, cache_dir=None))
    build([v], rs, jobs=1, cache_dir=cache)
    flush_all()
    db = sqlite3.connect(cache / "cache.sqlite")
    old, new = "옵티마이저".encode(), "옵티마이져".encode()  # as long: every pickle and marshal stays readable
    assert len(old) == len(new)
    rows = db.execute("SELECT key, data FROM blobs").fetchall()
    changed = [(data.replace(old, new), key) for key, data in rows if old in data]
    assert changed
    db.executemany("UPDATE blobs SET data = ? WHERE key = ?", changed)
    db.commit()
    db.close()
    assert dump(build([v], rs, jobs=1, cache_dir=cache)) == expected


class _CountingConnection(sqlite3.Connection):
    """Counts the statements that found the database locked (each waits the busy timeout)."""
    locked = 0

    def execute(self, *args):
        try:
            return super().execute(*args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                type(self).locked += 1
            raise


def test_a_cache_locked_by_another_process_is_given_up_at_once_and_said_once(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cards import cache as cache_mod
    from cards.cli import main
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    build([v], rs, jobs=1, cache_dir=cache).cache.db.close()  # as when that run's process has ended
    flush_all()
    holder = sqlite3.connect(cache / "cache.sqlite", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE blobs SET used = used")  # as a long write in another process would
    real_connect = sqlite3.connect
    _CountingConnection.locked = 0
    monkeypatch.setattr(cache_mod.sqlite3, "connect",  # a short wait per statement: only the count matters
                        lambda path, timeout=5.0, **kw: real_connect(path, timeout=0.05, factory=_CountingConnection,
                                                                     **kw))
    try:
        res = build([v], rs, jobs=1, cache_dir=cache)
        assert dump(res) == dump(build([v], rs, jobs=1, cache_dir=None))
        flush_all()
        assert _CountingConnection.locked <= 2  # the reader once, the writer at most once: then no cache
        assert "locked by another process" in res.cache.problem
        r = CliRunner().invoke(main, ["extract", str(v), "--jobs", "1"], env={"CARDS_CACHE_DIR": str(cache)})
        assert r.exit_code == 0 and r.stderr.count("ran without the cache") == 1, r.stderr
        assert "locked by another process" in r.stderr
    finally:
        holder.close()
    assert (cache / "cache.sqlite").stat().st_size > 0  # a locked cache is never deleted


def test_a_cache_folder_that_cannot_be_used_is_said_once(tmp_path):
    from click.testing import CliRunner

    from cards.cli import main
    v = vault(tmp_path)
    (tmp_path / "not-a-folder").write_text("a file where the cache folder should be", encoding="utf-8")
    r = CliRunner().invoke(main, ["extract", str(v), "--jobs", "1"],
                           env={"CARDS_CACHE_DIR": str(tmp_path / "not-a-folder")})
    assert r.exit_code == 0 and r.stderr.count("ran without the cache: cannot use") == 1, r.stderr
    assert r.stdout == CliRunner().invoke(main, ["extract", str(v), "--jobs", "1", "--no-cache"]).stdout
