"""The whole flow: paths → notes → candidates → cards → merged cards with topics, decks, tags and GUIDs.

`process_note` is a pure function of one file's bytes and the extraction settings, so
notes can be processed in parallel and cached by content hash; `build` puts the
per-note results back together in a deterministic order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import genanki

from .dedupe import merge_cards
from .extract import Settings, extract_text
from .models import Card, Explanation, Rejection, Source, term_key, validate
from .notes import Note, Warning_, read_note, walk
from .rules import NoteInfo, RuleSet, assign_topic

GUID_NAMESPACE = "cards-term-v1"


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
    """A NoteResult as plain tuples: pickles (to the cache, from pool workers) many times faster than models."""
    return (r.path, r.rel, r.root, r.title, r.date, r.tags, r.ok,
            [(c.term, c.aliases, [(e.text, e.source.path, e.source.line, e.context, e.rule, e.note_title,
                                   e.note_date) for e in c.explanations]) for c in r.cards],
            [(x.term, x.definition, x.reason, x.detail, x.rule, x.source.path, x.source.line) for x in r.rejections],
            [(w.path, w.message, w.line, w.kind) for w in r.warnings])


def unpack(t: tuple) -> NoteResult:
    """The inverse of pack. The cards were validated when first made, so they are rebuilt without re-validating."""
    path, rel, root, title, date, tags, ok, cards, rejections, warnings = t
    sources: dict[tuple[str, int], Source] = {}

    def src(p: str, line: int) -> Source:
        key = (p, line)
        if key not in sources:
            sources[key] = Source(p, line)
        return sources[key]

    out_cards = [Card.model_construct(
        term=term, aliases=aliases, topic="", deck="", topic_reason="", tags=[], guid="",
        explanations=[Explanation(text=tx, source=src(sp, sl), context=ctx, rule=rule, note_title=nt, note_date=nd)
                      for tx, sp, sl, ctx, rule, nt, nd in expl])
        for term, aliases, expl in cards]
    out_rej = [Rejection(term=a, definition=b, reason=c, detail=d, rule=e, source=src(f, g))
               for a, b, c, d, e, f, g in rejections]
    out_warn = [Warning_(p, m, line, kind) for p, m, line, kind in warnings]
    return NoteResult(path, rel, root, title, date, tags, out_cards, out_rej, out_warn, ok)


@dataclass
class Result:
    cards: list[Card]
    rejections: list[Rejection]
    warnings: list[Warning_]
    notes: list[NoteResult]
    merged: int = 0
    run_key: str | None = None  # identifies the inputs when they were all cached by content (see build)

    @property
    def notes_read(self) -> int:
        return sum(1 for n in self.notes if n.ok)


def process_note(path: str, rel: str, root: str, settings: Settings) -> NoteResult:
    """Read and extract one note. Never raises: a failure becomes a warning naming the file."""
    note, warns = read_note(Path(path), rel, root)
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
    t = re.sub(r"\s+", "_", text.strip())
    t = t.replace('"', "").replace("'", "")
    t = re.sub(r":{3,}", "::", t).strip(":")
    return t


def guid_for_term(key: str) -> str:
    """The note GUID: from the normalised term only, so edits to a definition update the same note."""
    return genanki.guid_for(GUID_NAMESPACE, key)


def deck_name(root: str, deck: str) -> str:
    parts = [p.strip() for p in (root + "::" + deck).split("::") if p.strip()]
    return "::".join(parts)


def finish(results: list[NoteResult], rules: RuleSet, root: str) -> Result:
    """Merge, assign topics, tags and GUIDs. Deterministic for the same inputs."""
    all_cards: list[Card] = []
    info_by_path: dict[str, NoteResult] = {}
    warnings: list[Warning_] = []
    rejections: list[Rejection] = []
    for r in results:
        info_by_path[r.path] = r
        all_cards.extend(r.cards)
        rejections.extend(r.rejections)
        warnings.extend(r.warnings)
    merged, n_merged = merge_cards(all_cards, rules.alias_groups)
    fallback = rules.glob.fallback_topic
    out: list[Card] = []
    for card in merged:
        infos = []
        for e in card.explanations:
            r = info_by_path.get(e.source.path)
            if r is not None:
                infos.append(NoteInfo(tags=r.tags, path=r.rel))
        topic, reason = assign_topic(card, rules, infos)
        tname = topic.name if topic else fallback
        deck = deck_name(root, topic.deck if topic else fallback)
        if topic is not None:
            stop = {term_key(s) for s in topic.rules.stop_terms}
            if card.key in stop or any(term_key(a) in stop for a in card.aliases):
                rejections.append(Rejection(term=card.term, definition=card.definition[:300],
                                            reason="topic stop-term", rule=card.rule, source=card.source,
                                            detail=f"listed in {topic.path}"))
                continue
            off = set(topic.rules.disable)
            kept = [e for e in card.explanations if e.rule not in off]
            if not kept:
                rejections.append(Rejection(term=card.term, definition=card.definition[:300], reason="pattern off",
                                            rule=card.rule, source=card.source,
                                            detail=f"{card.rule} is switched off in {topic.path}"))
                continue
            if len(kept) != len(card.explanations):
                card.explanations = kept
        tags: list[str] = []
        for e in card.explanations:
            r = info_by_path.get(e.source.path)
            if r is None:
                continue
            tags += [anki_tag(t) for t in r.tags]
            folders = Path(r.rel).parts[:-1]
            if folders:
                tags.append(anki_tag("folder::" + "::".join(folders)))
        tags.append(anki_tag("topic::" + tname))
        tags = sorted({t for t in tags if t})
        # merge_cards made these objects for this run: fill them in rather than copying them
        card.topic, card.deck, card.topic_reason, card.tags = tname, deck, reason, tags
        card.guid = guid_for_term(card.key)
        out.append(card)
    return Result(cards=out, rejections=rejections, warnings=warnings, notes=results, merged=n_merged)


def collect(paths: list[Path]) -> tuple[list[tuple[str, str, str]], list[Warning_]]:
    files, warns = walk(paths)
    return [(str(p), rel, root) for p, rel, root in files], warns


def pack_result(res: Result) -> tuple:
    """A finished Result as plain tuples, for the whole-run cache."""
    cards = [(c.term, c.aliases, c.topic, c.deck, c.topic_reason, c.tags, c.guid,
              [(e.text, e.source.path, e.source.line, e.context, e.rule, e.note_title, e.note_date,
                [(a.path, a.line) for a in e.also_in]) for e in c.explanations]) for c in res.cards]
    rejections = [(x.term, x.definition, x.reason, x.detail, x.rule, x.source.path, x.source.line)
                  for x in res.rejections]
    warnings = [(w.path, w.message, w.line, w.kind) for w in res.warnings]
    notes = [(n.path, n.rel, n.root, n.title, n.date, n.tags, n.ok) for n in res.notes]
    return (cards, rejections, warnings, notes, res.merged)


def unpack_result(t: tuple) -> Result:
    cards, rejections, warnings, notes, merged = t
    out = [Card.model_construct(
        term=term, aliases=aliases, topic=topic, deck=deck, topic_reason=reason, tags=tags, guid=guid,
        explanations=[Explanation(text=tx, source=Source(sp, sl), context=ctx, rule=rule, note_title=nt,
                                  note_date=nd, also_in=[Source(p, ln) for p, ln in also])
                      for tx, sp, sl, ctx, rule, nt, nd, also in expl])
        for term, aliases, topic, deck, reason, tags, guid, expl in cards]
    rej = [Rejection(term=a, definition=b, reason=c, detail=d, rule=e, source=Source(f, g))
           for a, b, c, d, e, f, g in rejections]
    warns = [Warning_(p, m, line, kind) for p, m, line, kind in warnings]
    note_results = [NoteResult(path, rel, root, title, date, tags, ok=ok) for path, rel, root, title, date, tags, ok
                    in notes]
    return Result(cards=out, rejections=rej, warnings=warns, notes=note_results, merged=merged)


def build(paths: list[Path], rules: RuleSet, root: str | None = None, jobs: int | None = None,
          cache_dir: Path | None = None, progress=None) -> Result:
    """Run the whole pipeline over files and folders.

    With a cache folder, each note's result is cached by content, and so is the finished
    result of the whole run: a re-run over unchanged notes and rules reads one file.
    """
    from . import runner  # parallel + cache
    files, warns = collect(paths)
    root = root or rules.glob.root
    keys = runner.note_keys(files, rules.digest) if cache_dir is not None else None
    run_key = runner.combined_key(keys, f"{rules.digest}\0{root}") if keys is not None else None
    if run_key is not None:
        hit = runner.load(cache_dir, run_key, size=5)
        if hit is not None:
            res = unpack_result(hit)
            res.run_key = run_key
            if progress:
                progress(len(files))
            res.warnings = warns + res.warnings
            return res
    results = runner.run_notes(files, rules.settings(), keys, jobs=jobs, cache_dir=cache_dir, progress=progress)
    res = finish(results, rules, root)
    if run_key is not None:
        runner.store(cache_dir, run_key, pack_result(res))
    res.run_key = run_key
    res.warnings = warns + res.warnings
    return res
