"""The whole flow: paths → notes → candidates → cards → merged cards with topics, decks, tags and GUIDs.

`process_note` is a pure function of one file's bytes and the extraction settings, so
notes can be processed in parallel and cached by content hash; `build` puts the
per-note results back together in a deterministic order.

Re-runs are incremental. A run's finished result is kept as *groups*: the cards (by note
key and index) that merged into one concept, the keys they claim, and the finished card.
The next run over the same inputs and rules re-merges only the groups a changed, added or
removed note touches; every other group is reused as it was. Groups are always ordered by
their first card's position, so the result is identical to a run from scratch.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import pickle
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import genanki

from .dedupe import Aliases, explanations_of, group_cards, merge_group
from .extract import Settings, extract_text
from .models import Card, Rejection, Source, term_key, validate
from .notes import Note, Warning_, display, read_capped, read_note, walk
from .rules import NoteInfo, RuleSet, claim_on, folders_of, reason_of, with_title
from .topics import UNPLACED, Placer, starter_votes

LEGACY_GUID_NAMESPACE = "cards-term-v1"  # cards 0.1: one namespace for every export (see `legacy_guid`)
GUID_SCHEME = "cards-term-v2"
STATE_RESAVE_READS = 500  # notes read again (touched, not changed) that make saving the state worth it


@dataclass
class NoteResult:
    path: str
    rel: str
    root: str
    title: str = ""
    date: str = ""
    tags: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    ok: bool = True


def pack(r: NoteResult) -> tuple:
    """A NoteResult as plain tuples: pickles (to the cache, from pool workers) many times faster than models.

    The rejections are pickled on their own (with their count beside them): most runs
    only count them, so they are unpickled only when someone asks to see them."""
    return (r.path, r.rel, r.root, r.title, r.date, r.tags, r.ok,
            [(c.term, c.aliases, [(e.text, e.source.path, e.source.line, e.context, e.rule, e.note_title,
                                   e.note_date) for e in c.explanations]) for c in r.cards],
            (len(r.rejections), pickle.dumps(
                [(x.term, x.definition, x.reason, x.detail, x.rule, x.source.path, x.source.line)
                 for x in r.rejections], protocol=pickle.HIGHEST_PROTOCOL)),
            [(w.path, w.message, w.line, w.kind) for w in r.warnings])


def _rejections_in(p: tuple) -> list[tuple]:
    return pickle.loads(p[8][1])


def process_note(path: str, rel: str, root: str, settings: Settings, read: tuple | None = None) -> NoteResult:
    """Read and extract one note (`read`: its bytes and stat, already read). Never raises: a failure becomes
    a warning naming the file."""
    note, warns = read_note(Path(path), rel, root, read)
    if note is None:
        return NoteResult(path, rel, root, warnings=warns, ok=False)
    try:
        return process_text(note, settings)
    except Exception as exc:  # a bug must not cost the user the other notes
        return NoteResult(path, rel, root, warnings=note.warnings + [
            Warning_(path, f"internal error while extracting ({type(exc).__name__}: {exc}); note skipped",
                     kind="internal")], ok=False)


def process_text(note: Note, settings: Settings) -> NoteResult:
    res = NoteResult(note.path, note.rel, note.root, note.title, note.date,
                     tags=list(dict.fromkeys(note.tags + note.categories)), warnings=list(note.warnings))
    if not note.text.strip():
        res.warnings.append(Warning_(note.path, "empty note", kind="empty"))
        return res
    cands, rejs = extract_text(note.text, note.path, settings)
    res.rejections = rejs
    for r in rejs:
        if r.reason == "regex timeout":  # a rule file's problem: the user must see it, not only in --explain
            res.warnings.append(Warning_(note.path, f"{r.detail}; line skipped", r.source.line, kind="rules"))
    for c in cands:
        v = validate(c, note.title, note.date)
        if isinstance(v, Card):
            res.cards.append(v)
        else:
            res.rejections.append(v)
    return res


@lru_cache(maxsize=8192)
def anki_tag(text: str) -> str:
    """An Anki tag: no spaces (they separate tags), no quotes; `::` kept for hierarchy."""
    t = re.sub(r"\s+", "_", display(text).strip())
    t = t.replace('"', "").replace("'", "")
    t = re.sub(r":{3,}", "::", t).strip(":")
    return t


def guid_for_term(key: str, namespace: str) -> str:
    """The note GUID: from the normalised term within the root deck's namespace (`GlobalRules.guid_namespace`).

    Never from the definition, so an edited definition updates the same note; never the same
    for two roots, so two exports (two courses, two vaults) never update each other's notes
    in one Anki profile. The two parts are JSON-encoded so no pair of them can run together."""
    return genanki.guid_for(GUID_SCHEME, json.dumps([namespace, key], ensure_ascii=False))


def legacy_guid(key: str) -> str:
    """The GUID cards 0.1 gave a term, the same under every root. Notes a package's manifest
    lists under it keep it, so decks exported then keep updating in place (see export)."""
    return genanki.guid_for(LEGACY_GUID_NAMESPACE, key)


def deck_name(root: str, deck: str) -> str:
    parts = [p.strip() for p in (root + "::" + deck).split("::") if p.strip()]
    return "::".join(parts)




# -- finishing: merge, topics, tags, GUIDs --------------------------------------------------
#
# A note's packed result (see `pack`) is
#   (path, rel, root, title, date, tags, ok, cards, (n_rejections, pickled rejections), warnings).
# Its meta, kept in the run state so unchanged notes need not be loaded, is
#   (path, rel, root, title, date, tags, ok, warnings, n_cards, n_rejections, title evidence),
# the last what the note's title says about its topic (see `title_evidence`).
# A group is  (members, claims, card, rejection, ident, evidence, warnings):  members are (note key, card
# index) in order, `card` the finished card  (term, aliases, topic, deck, topic_reason, tags, guid,
# explanations) or None when a topic rule dropped it, then `rejection` says why; `ident` names the card's
# content; `evidence` is what places it: (rule topic, ()) when a rule file claims it, else ("", the starter
# topics it points to) and the card is placed by `topics.Placer` after every group is known; `warnings`
# (packed) are about finishing it (a rule file's term_regex that timed out).

def _meta(p: tuple, rules: RuleSet) -> tuple:
    return (*p[:7], p[9], len(p[7]), p[8][0], title_evidence(p[3], rules))


def title_evidence(title: str, rules: RuleSet) -> tuple:
    """What a note's title says about its topic, as a card's evidence: (rule topic, ()) or ("", starter topics)."""
    if not title:
        return ("", ())
    claim = claim_on(title, [], [[title]], rules, [])
    if claim is not None:
        return (claim[0].name, ())
    return ("", starter_votes(title, [], [[title]], []) if "starter" in rules.glob.defaults else ())


def _rejection(t: tuple) -> Rejection:
    term, definition, reason, detail, rule, path, line = t
    return Rejection(term=term, definition=definition, reason=reason, detail=detail, rule=rule,
                     source=Source(path, line))


def first_path(card: tuple) -> str:
    """The path of a packed card's first explanation, whether the card is whole or a head."""
    return card[7].split("\x00", 1)[0] if isinstance(card[7], str) else card[7][0][1]


def source_paths(card: tuple) -> list[str]:
    """The distinct note paths of a packed card's explanations, in order (whole card or head)."""
    if isinstance(card[7], str):
        return card[7].split("\x00")
    return list(dict.fromkeys(e[1] for e in card[7]))


def _head(group: tuple) -> tuple:
    """A group as the run state keeps it: the card without its explanations (they are cached by ident),
    only their note paths (NUL-separated), which the export's links are made from."""
    card = group[2]
    if card is None or isinstance(card[7], str):
        return group
    return (group[0], group[1], (*card[:7], "\x00".join(source_paths(card))), *group[3:])


def _card(t: tuple) -> Card:
    """A finished card from its packed form. It was validated when first made: no re-validation."""
    term, aliases, topic, deck, reason, tags, guid, expl = t
    return Card.model_construct(term=term, aliases=aliases, topic=topic, deck=deck, topic_reason=reason, tags=tags,
                                guid=guid, explanations=explanations_of(expl))


class _Finisher:
    """Turns merged cards into finished groups: topic, deck, tags, GUID, or a topic rule's rejection."""

    def __init__(self, rules: RuleSet, root: str, info_by_path: dict[str, tuple]):
        self.rules, self.root, self.info = rules, root, info_by_path
        self.aliases = Aliases(rules.alias_groups)
        self.fallback = rules.glob.fallback_topic
        self.namespace = rules.glob.guid_namespace(root)
        self.starters = "starter" in rules.glob.defaults
        self.stop = {id(t): {term_key(s) for s in t.rules.stop_terms} for t in rules.topics}

    def groups(self, items: list[tuple[str, int, tuple]], jobs: int | None = 1) -> list[tuple]:
        """items: (note key, card index, packed card) in order → groups in first-seen order.

        Which cards are one concept is decided here, in one pass; merging and finishing
        each concept is independent of the others, so a big run spreads it over `jobs`."""
        from .runner import forked_map
        claims = [self.aliases.claims(c[0], c[1]) for _, _, c in items]
        idx_groups = group_cards(claims)

        def one(idx: list[int]) -> tuple:
            term, names, expl = merge_group([items[i][2] for i in idx], self.aliases)
            warns: list[tuple] = []
            card, rejection, evidence = self.finish(term, names, expl, warns)
            ident = hashlib.blake2b(repr(card).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
            return card, rejection, ident, evidence, tuple(warns)

        done = forked_map(one, idx_groups, jobs, weight=lambda idx: 3 + len(idx))  # a group's cost: ~3 cards
        return [(tuple((items[i][0], items[i][1]) for i in idx),
                 tuple(dict.fromkeys(k for i in idx for k in claims[i])), *d) for idx, d in zip(idx_groups, done)]

    def finish(self, term: str, names: list[str], expl: list[tuple],
               warns: list[tuple] | None = None) -> tuple[tuple | None, tuple | None, tuple]:
        """The finished card (or the rejection a topic rule makes of it) and the evidence that places it;
        `warns` gets packed warnings about it."""
        infos = [NoteInfo(tags=i[0], path=i[1]) for i in (self.info.get(e[1]) for e in expl) if i is not None]
        contexts = [with_title(e[5], e[3]) for e in expl]  # a heading path starts at its note's title
        slow: list[tuple[str, str]] = []
        claim = claim_on(term, names, contexts, self.rules, infos, slow)
        if warns is not None:
            warns += [(expl[0][1], f"term_regex {pattern!r} of {path} gave up on the term {term!r} (regex timeout); "
                                   "the topic's other rules still apply", expl[0][2], "rules") for path, pattern in slow]
        topic = claim[0] if claim else None
        if topic is None:  # placed later, with its note (see topics.py); the topic tag is added then
            tname, deck, reason = self.fallback, deck_name(self.root, self.fallback), UNPLACED
            evidence = ("", starter_votes(term, names, contexts, infos) if self.starters else ())
        else:
            tname, deck, reason = topic.name, deck_name(self.root, topic.deck), reason_of(topic, claim[2])
            evidence = (topic.name, ())
        first = expl[0]
        if topic is not None:
            stop = self.stop[id(topic)]
            if term_key(term) in stop or any(term_key(a) in stop for a in names):
                return None, (term, "\n\n".join(e[0] for e in expl)[:300], "topic stop-term",
                              f"listed in {topic.path}", first[4], first[1], first[2]), evidence
            off = set(topic.rules.disable)
            if off:
                kept = [e for e in expl if e[4] not in off]
                if not kept:
                    return None, (term, "\n\n".join(e[0] for e in expl)[:300], "pattern off",
                                  f"{first[4]} is switched off in {topic.path}", first[4], first[1], first[2]), \
                        evidence
                expl = kept
        tags: list[str] = []
        for e in expl:
            i = self.info.get(e[1])
            if i is None:
                continue
            tags += [anki_tag(t) for t in i[0]]
            folders = folders_of(i[1])
            if folders:
                tags.append(anki_tag("folder::" + "::".join(folders)))
        if topic is not None:
            tags.append(anki_tag("topic::" + tname))
        tags = sorted({t for t in tags if t})
        return (term, names, tname, deck, reason, tags, guid_for_term(term_key(term), self.namespace), expl), None, \
            evidence


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
        self._rejections_of = rejections_of  # () -> per-note packed rejections, in note order
        self._bodies_of = bodies_of  # groups -> their full packed cards (see `full_cards`)
        self._cards: list[Card] | None = None
        self._rejections: list[Rejection] | None = None
        self.cache = None  # the run's Cache, if any: the export keeps rendered fields in it

    @property
    def cards(self) -> list[Card]:
        if self._cards is None:
            self._cards = [_card(c) for c in self.full_cards([g for g in self.groups if g[2] is not None])]
        return self._cards

    def full_cards(self, groups: list[tuple]) -> list[tuple]:
        """The packed cards of these groups with all their explanations.

        A group reused from an earlier run holds only its card's head (explanations
        replaced by the first one's path); the rest is in the cache, by content."""
        if all(not isinstance(g[2][7], str) for g in groups):
            return [g[2] for g in groups]
        return self._bodies_of(groups)

    @property
    def rejections(self) -> list[Rejection]:
        if self._rejections is None:
            packed = [*self._rejections_of(), *(g[3] for g in self.groups if g[3] is not None)]
            self._rejections = [_rejection(t) for t in packed]
        return self._rejections

    @property
    def n_cards(self) -> int:
        return sum(1 for g in self.groups if g[2] is not None)

    @property
    def notes_read(self) -> int:
        return sum(1 for n in self.notes if n.ok)


def _assemble(keys: list[str], metas: dict[str, tuple], fetch, rules: RuleSet, root: str,
              prev_groups: list[tuple], known: set[str], jobs: int | None = 1
              ) -> tuple[list[tuple], list[NoteResult], list[Warning_], int, int]:
    """Groups for the notes `keys` (in order), re-merging only what notes outside `known` touch.

    `prev_groups` were made from exactly the notes in `known`; `fetch(keys)` returns packed
    note results by key (from memory, the cache, or by processing the notes)."""
    pos = {k: i for i, k in enumerate(keys)}
    info_by_path = note_infos(keys, metas)
    fin = _Finisher(rules, root, info_by_path)
    added = [k for k in keys if k not in known]
    removed = known - pos.keys()
    dirty: set[int] = set()
    if removed:
        dirty.update(gi for gi, g in enumerate(prev_groups) if any(m[0] in removed for m in g[0]))
    new_notes = fetch(added)
    if added and prev_groups:
        owner = {c: gi for gi, g in enumerate(prev_groups) for c in g[1]}
        for k in added:
            for c in new_notes[k][7]:
                dirty.update(owner[x] for x in fin.aliases.claims(c[0], c[1]) if x in owner)
    members = [(pos[m[0]], m[1], m[0]) for gi in dirty for m in prev_groups[gi][0] if m[0] not in removed]
    members += [(pos[k], ci, k) for k in added for ci in range(len(new_notes[k][7]))]
    members.sort()
    notes = fetch(sorted({k for _, _, k in members} - new_notes.keys()))
    notes.update(new_notes)
    fresh = fin.groups([(k, ci, notes[k][7][ci]) for _, ci, k in members], jobs)
    groups = [g for gi, g in enumerate(prev_groups) if gi not in dirty] + fresh
    groups.sort(key=lambda g: (pos[g[0][0][0]], g[0][0][1]))
    results, warnings, n_cards, n_rej = [], [], 0, 0
    for k in keys:
        m = metas[k]
        results.append(NoteResult(m[0], m[1], m[2], m[3], m[4], m[5], ok=m[6]))
        warnings += [Warning_(*w) for w in m[7]]
        n_cards += m[8]
        n_rej += m[9]
    n_rej += sum(1 for g in groups if g[3] is not None)
    warnings += [Warning_(*w) for g in groups for w in g[6]]
    return groups, results, warnings, n_cards - len(groups), n_rej


def note_infos(keys: list[str], metas: dict[str, tuple]) -> dict[str, tuple[list[str], str, str, tuple]]:
    """note path → (tags, path inside its folder, title, title evidence): what topics look at besides the cards."""
    return {m[0]: (m[5], m[1], m[3], m[10]) for m in (metas[k] for k in keys)}


def place(groups: list[tuple], keys: list[str], metas: dict[str, tuple], rules: RuleSet, root: str) -> list[tuple]:
    """The groups with the cards no rule file claims placed by the defaults (see topics.py)."""
    return Placer(rules, root).place(groups, note_infos(keys, metas))


def finish(results: list[NoteResult], rules: RuleSet, root: str) -> Result:
    """Merge, assign topics, tags and GUIDs. Deterministic for the same inputs."""
    packed = {f"~{i}": pack(r) for i, r in enumerate(results)}
    keys = list(packed)
    metas = {k: _meta(p, rules) for k, p in packed.items()}
    groups, notes, warnings, merged, n_rej = _assemble(keys, metas, lambda ks: {k: packed[k] for k in ks},
                                                       rules, root, [], set())
    return Result(place(groups, keys, metas, rules, root), notes, warnings, merged, n_rej,
                  lambda: [r for k in keys for r in _rejections_in(packed[k])])


def collect(paths: list[Path]) -> tuple[list[tuple[str, str, str]], list[Warning_]]:
    files, warns = walk(paths)
    return [(str(p), rel, root) for p, rel, root in files], warns


def state_key(paths: list[Path], rules: RuleSet, root: str) -> str:
    from . import build_id
    from .runner import CACHE_FORMAT
    h = hashlib.sha256(f"state\0{CACHE_FORMAT}\0{build_id()}\0{sys.version}\0{marshal.version}\0{rules.digest}\0"
                       f"{root}\0".encode("utf-8", "surrogatepass"))  # the state is marshalled: one interpreter
    for p in paths:
        h.update(str(p).encode("utf-8", "surrogatepass") + b"\0")
    return "state:" + h.hexdigest()[:32]


def _load_state(blob: bytes | None):
    """The run state, marshalled (five times quicker to write than a pickle; plain tuples, lists and dicts
    only). Unreadable or missing: None."""
    try:
        return marshal.loads(blob) if blob else None
    except (ValueError, EOFError, TypeError):
        return None


def _valid_state(obj) -> bool:
    return (isinstance(obj, dict) and isinstance(obj.get("metas"), dict) and isinstance(obj.get("groups"), list)
            and isinstance(obj.get("keys"), list))


def build(paths: list[Path], rules: RuleSet, root: str | None = None, jobs: int | None = None,
          cache_dir: Path | None = None, progress=None,
          collected: tuple[list[tuple[str, str, str]], list[Warning_]] | None = None) -> Result:
    """Run the whole pipeline over files and folders.

    With a cache folder, each note's result is cached by content, and the finished result
    is kept so the next run over the same paths and rules redoes only what changed.
    """
    from . import runner
    from .cache import Cache
    files, warns = collected if collected is not None else collect(paths)
    root = root or rules.glob.root
    cache = Cache(cache_dir) if cache_dir is not None else None
    skey = state_key(paths, rules, root) if cache is not None else ""
    prev = _load_state(cache.get_many([skey]).get(skey)) if cache is not None else None
    if not _valid_state(prev):
        prev = {"metas": {}, "groups": [], "keys": []}
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
    loaded: dict[str, tuple] = {}
    settings = rules.settings()

    def fetch(want: list[str], report: bool = False) -> dict[str, tuple]:
        """Packed results of these notes: already loaded, else cached, else processed now."""
        nonlocal changed_during_run
        out = {k: loaded[k] for k in want if k in loaded}
        missing = [k for k in want if k not in out]
        if cache is not None and missing:
            for k, t in cache.get_objects([k for k in missing if not k.startswith("~")]).items():
                if isinstance(t, tuple) and len(t) == 10:
                    out[k] = t
                    read_now.pop(file_of[k][0], None)
            if progress and report:
                progress(len(out))
        todo = [k for k in missing if k not in out]
        reads, store_as = [], []
        for k in todo:
            path = file_of[k][0]
            got = read_now.pop(path, None)
            store_as.append(k)
            if got is None and not k.startswith("~"):
                # the key came from the file's signature: read it now and make sure it still is what the key says
                try:
                    got = read_capped(path)
                except OSError:
                    got = None  # process_note reports it
                else:
                    true = runner._cache_key(runner.note_key_material(*file_of[k]), got[0], rules.digest)
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
            if t[6] and not k.startswith("~"):  # t[6]: the note was read; an unreadable one is retried
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
        metas[k] = _meta(t, rules)
    read_now.clear()  # read (touched) but unchanged: their results are known
    groups, notes, warnings, merged, n_rej = _assemble(keys, metas, fetch, rules, root, prev["groups"], known, jobs)
    if keys != prev["keys"]:  # else every group is the previous run's, placed for exactly these notes and rules
        groups = place(groups, keys, metas, rules, root)
    cacheable = cache is not None and all(hashed) and not changed_during_run
    if cacheable and (keys != prev["keys"] or n_read >= STATE_RESAVE_READS):
        cache.put_many("card", [("c:" + g[4], pickle.dumps(g[2][7], protocol=pickle.HIGHEST_PROTOCOL))
                                for g in groups if g[2] is not None and not isinstance(g[2][7], str)])
        try:
            state = marshal.dumps({"metas": metas, "groups": [_head(g) for g in groups], "keys": keys, "stats": stats})
        except ValueError:  # a value marshal cannot write: no state, the next run merges from scratch
            state = None
        if state is not None:
            cache.put_many("state", [(skey, state)])
        cache.prune()
    run_key = runner.combined_key(hashed, f"{rules.digest}\0{root}") if cacheable else None

    def rejections_of() -> list[tuple]:
        notes_ = fetch(keys)
        return [r for k in keys for r in _rejections_in(notes_[k])]

    def bodies_of(gs: list[tuple]) -> list[tuple]:
        heads = [g for g in gs if isinstance(g[2][7], str)]
        got = cache.get_objects(["c:" + g[4] for g in heads]) if cache is not None else {}
        fin = None
        out = []
        for g in gs:
            card = g[2]
            if isinstance(card[7], str):
                expl = got.get("c:" + g[4])
                if not isinstance(expl, list):  # missing or unreadable: merge the group again from its notes
                    fin = fin or _Finisher(rules, root, note_infos(list(metas), metas))
                    notes_ = fetch(sorted({k for k, _ in g[0]}))
                    expl = fin.groups([(k, ci, notes_[k][7][ci]) for k, ci in g[0]])[0][2][7]
                card = (*card[:7], expl)
            out.append(card)
        return out

    res = Result(groups, notes, warns + warnings, merged, n_rej, rejections_of, run_key, bodies_of)
    res.cache = cache
    made.append(res)
    return res
