"""The whole flow: paths → notes → candidates → cards → merged cards with topics, decks, tags and GUIDs.

Each note is processed on its own (process.py), in a pool for big runs (runner.py), and
cached by content; `build` puts the per-note results back together in a deterministic order:
cards are merged into groups and finished (groups.py), and the cards no rule file claims are
placed with their notes (topics.py). The records passed along are described in records.py.

Re-runs are incremental. A run's finished result is kept as *groups* in the run state
(state.py): the cards (by note key and index) that merged into one concept, the keys they
claim, and the finished card. The next run over the same inputs and rules re-merges only the
groups a changed, added or removed note touches; every other group is reused as it was.
Groups are always ordered by their first card's position, so the result is identical to a
run from scratch.
"""
from __future__ import annotations

import pickle
from pathlib import Path

from . import runner
from .cache import Cache
from .groups import Finisher, card_of, rejection_of
from .models import Card, Rejection
from .notes import Warning_, read_capped, walk
from .process import NoteResult, pack, rejections_in
from .records import (CARD_BODY, GROUP_CARD, GROUP_CLAIMS, GROUP_IDENT, GROUP_MEMBERS, GROUP_REJECTION, GROUP_WARNINGS,
                      META_DATE, META_N_CARDS, META_N_REJECTIONS, META_OK, META_PATH, META_REL, META_ROOT, META_TAGS,
                      META_TITLE, META_TITLE_EVIDENCE, META_WARNINGS, NoteFacts, PackedNote, head_of, is_head,
                      with_body)
from .rules import RuleSet
from .state import STATE_RESAVE_READS, dump_state, load_state, state_key
from .topics import Placer, title_evidence


class Result:
    """A finished run. Cards and rejections are built from their packed form when first asked for,
    so a re-export that finds its package up to date never builds them."""

    def __init__(self, groups: list[tuple], notes: list[NoteResult], warnings: list[Warning_], merged: int,
                 n_rejections: int, rejections_of, run_key: str | None = None, bodies_of=None):
        self.groups = groups
        self.notes = notes
        self.warnings = warnings
        self.merged = merged
        self.n_rejections = n_rejections
        self.run_key = run_key  # identifies the inputs when they could all be hashed (see build)
        self._rejections_of = rejections_of  # () -> per-note rejection tuples, in note order
        self._bodies_of = bodies_of  # groups -> their whole cards (see `full_cards`)
        self._cards: list[Card] | None = None
        self._rejections: list[Rejection] | None = None
        self.cache = None  # the run's Cache, if any: the export keeps rendered fields in it

    @property
    def cards(self) -> list[Card]:
        if self._cards is None:
            self._cards = [card_of(c) for c in self.full_cards([g for g in self.groups if g[GROUP_CARD] is not None])]
        return self._cards

    def full_cards(self, groups: list[tuple]) -> list[tuple]:
        """The cards of these groups with all their explanations.

        A group reused from an earlier run holds only its card's head (explanations
        replaced by their note paths); the rest is in the cache, by content."""
        if not any(is_head(g[GROUP_CARD]) for g in groups):
            return [g[GROUP_CARD] for g in groups]
        return self._bodies_of(groups)

    @property
    def rejections(self) -> list[Rejection]:
        if self._rejections is None:
            packed = [*self._rejections_of(), *(g[GROUP_REJECTION] for g in self.groups
                                                if g[GROUP_REJECTION] is not None)]
            self._rejections = [rejection_of(t) for t in packed]
        return self._rejections

    @property
    def n_cards(self) -> int:
        return sum(1 for g in self.groups if g[GROUP_CARD] is not None)

    @property
    def notes_read(self) -> int:
        return sum(1 for n in self.notes if n.ok)


def meta_of(p: PackedNote, rules: RuleSet) -> tuple:
    """A note's meta (records.META_*): what the run state keeps of it."""
    return (p.path, p.rel, p.root, p.title, p.date, p.tags, p.ok, p.warnings, len(p.cards), p.n_rejections,
            title_evidence(p.title, rules))


def note_facts(keys: list[str], metas: dict[str, tuple]) -> dict[str, NoteFacts]:
    """note path → what topics look at besides the cards."""
    return {m[META_PATH]: NoteFacts(m[META_TAGS], m[META_REL], m[META_TITLE], m[META_TITLE_EVIDENCE])
            for m in (metas[k] for k in keys)}


def _assemble(keys: list[str], metas: dict[str, tuple], fetch, rules: RuleSet, root: str,
              prev_groups: list[tuple], known: set[str], jobs: int | None = 1
              ) -> tuple[list[tuple], list[NoteResult], list[Warning_], int, int]:
    """Groups for the notes `keys` (in order), re-merging only what notes outside `known` touch.

    `prev_groups` were made from exactly the notes in `known`; `fetch(keys)` returns packed
    notes by key (from memory, the cache, or by processing the notes)."""
    pos = {k: i for i, k in enumerate(keys)}
    fin = Finisher(rules, root, note_facts(keys, metas))
    added = [k for k in keys if k not in known]
    removed = known - pos.keys()
    dirty: set[int] = set()
    if removed:
        dirty.update(gi for gi, g in enumerate(prev_groups) if any(key in removed for key, _ in g[GROUP_MEMBERS]))
    new_notes = fetch(added)
    by_key: dict[str, list[int]] = {}  # claimed key → the groups that claim it
    if prev_groups and (added or removed):
        for gi, g in enumerate(prev_groups):
            for c in g[GROUP_CLAIMS]:
                by_key.setdefault(c, []).append(gi)
    for k in added:
        for term, aliases, _ in new_notes[k].cards:
            for x in fin.aliases.claims(term, aliases):
                dirty.update(by_key.get(x, ()))
    # The parts of a group split apart (dedupe.concepts) all claim the group's keys: re-merged together.
    for gi in list(dirty):
        for c in prev_groups[gi][GROUP_CLAIMS]:
            dirty.update(by_key[c])
    members = [(pos[key], ci, key) for gi in dirty for key, ci in prev_groups[gi][GROUP_MEMBERS] if key not in removed]
    members += [(pos[k], ci, k) for k in added for ci in range(len(new_notes[k].cards))]
    members.sort()
    notes = fetch(sorted({k for _, _, k in members} - new_notes.keys()))
    notes.update(new_notes)
    fresh = fin.groups([(k, ci, notes[k].cards[ci]) for _, ci, k in members], jobs)
    groups = [g for gi, g in enumerate(prev_groups) if gi not in dirty] + fresh

    def by_first_card(g: tuple) -> tuple[int, int]:
        key, index = g[GROUP_MEMBERS][0]
        return pos[key], index
    groups.sort(key=by_first_card)
    results, warnings, n_cards, n_rej = [], [], 0, 0
    for k in keys:
        m = metas[k]
        results.append(NoteResult(m[META_PATH], m[META_REL], m[META_ROOT], m[META_TITLE], m[META_DATE], m[META_TAGS],
                                  ok=m[META_OK]))
        warnings += [Warning_(*w) for w in m[META_WARNINGS]]
        n_cards += m[META_N_CARDS]
        n_rej += m[META_N_REJECTIONS]
    n_rej += sum(1 for g in groups if g[GROUP_REJECTION] is not None)
    warnings += [Warning_(*w) for g in groups for w in g[GROUP_WARNINGS]]
    return groups, results, warnings, n_cards - len(groups), n_rej


def place(groups: list[tuple], keys: list[str], metas: dict[str, tuple], rules: RuleSet, root: str) -> list[tuple]:
    """The groups with the cards no rule file claims placed by the defaults (see topics.py)."""
    return Placer(rules, root).place(groups, note_facts(keys, metas))


def finish(results: list[NoteResult], rules: RuleSet, root: str) -> Result:
    """Merge, assign topics, tags and GUIDs. Deterministic for the same inputs."""
    packed = {f"~{i}": pack(r) for i, r in enumerate(results)}
    keys = list(packed)
    metas = {k: meta_of(p, rules) for k, p in packed.items()}
    groups, notes, warnings, merged, n_rej = _assemble(keys, metas, lambda ks: {k: packed[k] for k in ks},
                                                       rules, root, [], set())
    return Result(place(groups, keys, metas, rules, root), notes, warnings, merged, n_rej,
                  lambda: [r for k in keys for r in rejections_in(packed[k])])


def collect(paths: list[Path]) -> tuple[list[tuple[str, str, str]], list[Warning_]]:
    files, warns = walk(paths)
    return [(str(p), rel, root) for p, rel, root in files], warns


def build(paths: list[Path], rules: RuleSet, root: str | None = None, jobs: int | None = None,
          cache_dir: Path | None = None, progress=None,
          collected: tuple[list[tuple[str, str, str]], list[Warning_]] | None = None) -> Result:
    """Run the whole pipeline over files and folders.

    With a cache folder, each note's result is cached by content, and the finished result
    is kept so the next run over the same paths and rules redoes only what changed.
    """
    files, warns = collected if collected is not None else collect(paths)
    root = root or rules.glob.root
    cache = Cache(cache_dir) if cache_dir is not None else None
    skey = state_key(paths, rules, root) if cache is not None else ""
    prev = load_state(cache.get_many([skey]).get(skey) if cache is not None else None)
    made: list[Result] = []
    read_now: dict[str, tuple] = {}  # what note_keys read and hashed, by path: parsed as it is, never read again
    changed_during_run = False  # a note's bytes were not those its key was made from: keep no state
    if cache is not None:
        known_stats = prev.get("stats")
        hashed, stats, n_read = runner.note_keys(files, rules.digest,
                                                 known_stats if isinstance(known_stats, dict) else None, read_now)
    else:
        hashed, stats, n_read = [None] * len(files), {}, len(files)
    keys = [k or f"~{i}" for i, k in enumerate(hashed)]
    file_of = dict(zip(keys, files))
    known_metas: dict[str, tuple] = prev["metas"]
    loaded: dict[str, PackedNote] = {}
    settings = rules.settings()

    def fetch(want: list[str], report: bool = False) -> dict[str, PackedNote]:
        """Packed notes: already loaded, else cached, else processed now."""
        nonlocal changed_during_run
        out = {k: loaded[k] for k in want if k in loaded}
        missing = [k for k in want if k not in out]
        if cache is not None and missing:
            for k, t in cache.get_objects([k for k in missing if not k.startswith("~")]).items():
                if isinstance(t, PackedNote):
                    out[k] = t
                    path, _, _ = file_of[k]
                    read_now.pop(path, None)
            if progress and report:
                progress(len(out))
        todo = [k for k in missing if k not in out]
        reads, store_as = [], []
        for k in todo:
            path, _, _ = file_of[k]
            got = read_now.pop(path, None)
            store_as.append(k)
            if got is None and not k.startswith("~"):
                # the key came from the file's signature: read it now and make sure it still is what the key says
                try:
                    got = read_capped(path)
                except OSError:
                    got = None  # process_note reports it
                else:
                    data, _ = got
                    true = runner.cache_key(runner.note_key_material(*file_of[k]), data, rules.digest)
                    if true != k:
                        changed_during_run = True
                        store_as[-1] = true
                        if made:  # asked for after the result was made: it no longer names its inputs
                            made[0].run_key = None
            reads.append(got)
        store = []
        for k, key, blob in zip(todo, store_as, runner.run_notes([file_of[k] for k in todo], settings, jobs=jobs,
                                                                progress=progress if report else None, reads=reads)):
            out[k] = t = pickle.loads(blob)
            if t.ok and not k.startswith("~"):  # an unreadable note is not stored: it is retried
                store.append((key, blob))
            if len(store) >= 256 and cache is not None:  # written in the background while the pool works on
                cache.put_many("note", store)
                store = []
        if cache is not None:
            cache.put_many("note", store)
        loaded.update(out)
        return out

    known = set(known_metas)
    if progress:
        progress(sum(1 for k in keys if k in known))
    metas = {k: known_metas[k] for k in keys if k in known}
    for k, t in fetch([k for k in keys if k not in known], report=True).items():
        metas[k] = meta_of(t, rules)
    read_now.clear()  # read (touched) but unchanged: their results are known
    groups, notes, warnings, merged, n_rej = _assemble(keys, metas, fetch, rules, root, prev["groups"], known, jobs)
    if keys != prev["keys"]:  # else every group is the previous run's, placed for exactly these notes and rules
        groups = place(groups, keys, metas, rules, root)
    cacheable = cache is not None and all(hashed) and not changed_during_run
    if cacheable and (keys != prev["keys"] or n_read >= STATE_RESAVE_READS):
        cache.put_many("card", [("c:" + g[GROUP_IDENT], pickle.dumps(g[GROUP_CARD][CARD_BODY],
                                                                      protocol=pickle.HIGHEST_PROTOCOL))
                                for g in groups if g[GROUP_CARD] is not None and not is_head(g[GROUP_CARD])])
        state = dump_state(metas, [head_of(g) for g in groups], keys, stats)
        if state is not None:
            cache.put_many("state", [(skey, state)])
        cache.prune()
    run_key = runner.combined_key(hashed, f"{rules.digest}\0{root}") if cacheable else None

    def rejections_of() -> list[tuple]:
        notes_ = fetch(keys)
        return [r for k in keys for r in rejections_in(notes_[k])]

    def bodies_of(gs: list[tuple]) -> list[tuple]:
        heads = [g for g in gs if is_head(g[GROUP_CARD])]
        got = cache.get_objects(["c:" + g[GROUP_IDENT] for g in heads]) if cache is not None else {}
        fin = None
        out = []
        for g in gs:
            card = g[GROUP_CARD]
            if is_head(card):
                expl = got.get("c:" + g[GROUP_IDENT])
                if not isinstance(expl, list):  # missing or unreadable: merge the group again from its notes
                    fin = fin or Finisher(rules, root, note_facts(list(metas), metas))
                    notes_ = fetch(sorted({k for k, _ in g[GROUP_MEMBERS]}))
                    again = fin.groups([(k, ci, notes_[k].cards[ci]) for k, ci in g[GROUP_MEMBERS]])[0]
                    expl = again[GROUP_CARD][CARD_BODY]
                card = with_body(card, expl)
            out.append(card)
        return out

    res = Result(groups, notes, warns + warnings, merged, n_rej, rejections_of, run_key, bodies_of)
    res.cache = cache
    made.append(res)
    return res
