"""One note: read it, extract its candidates, validate them into cards or rejections.

`process_note` is a pure function of one file's bytes and the extraction settings, so notes
can be processed in parallel (runner.py) and cached by content hash; `pack` turns its result
into the plain values that go to the cache and between processes (`records.PackedNote`).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .extract import Settings, extract_text
from .models import Card, Rejection, validate
from .notes import Note, Warning_, read_note
from .records import PackedNote


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


def pack(r: NoteResult) -> PackedNote:
    """A NoteResult as plain values (see `records`): cards as note cards, rejections pickled on their own."""
    return PackedNote(
        r.path, r.rel, r.root, r.title, r.date, r.tags, r.ok,
        [(c.term, c.aliases, [(e.text, e.source.path, e.source.line, e.context, e.rule, e.note_title,
                               e.note_date) for e in c.explanations]) for c in r.cards],
        len(r.rejections),
        pickle.dumps([(x.term, x.definition, x.reason, x.detail, x.rule, x.source.path, x.source.line)
                      for x in r.rejections], protocol=pickle.HIGHEST_PROTOCOL),
        [(w.path, w.message, w.line, w.kind) for w in r.warnings])


def rejections_in(p: PackedNote) -> list[tuple]:
    """A packed note's rejections, as rejection tuples."""
    return pickle.loads(p.rejections)


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
