"""The data that flows through the pipeline: Source, Candidate, Rejection, Card.

Candidates come out of the extractor; validation turns each into a Card or a
Rejection (never an exception that stops the run); dedupe merges Cards that name
the same concept, keeping every distinct explanation with its source.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, Field, ValidationError, field_validator

MAX_TERM_CHARS = 80
MAX_TERM_WORDS = 8
MAX_DEFINITION_CHARS = 4000

_EMPHASIS = re.compile(r"\*\*|__|`|~~|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_KEY_DROP = re.compile(r"[\s\-_·.]+")


def nfc(text: str) -> str:
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def text_key(text: str) -> str:
    """`term_key` for any text (not cached: for whole notes)."""
    return _KEY_DROP.sub("", _EMPHASIS.sub("", nfc(text)).casefold())


@lru_cache(maxsize=65536)
def term_key(term: str) -> str:
    """Normalised identity of a term: NFC, case-folded, emphasis, spaces and hyphens ignored.

    `메타 러닝` == `메타러닝`, `**KD**` == `KD` == `kd`, `Cross-Entropy` == `cross entropy`.
    """
    return text_key(term)


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was found: the note's path and the 1-based line in the original file."""

    path: str
    line: int


@dataclass(slots=True, kw_only=True)
class Candidate:
    """A term–definition pair as a pattern found it, before validation."""

    term: str
    definition: str
    rule: str
    source: Source
    aliases: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    evidence: dict[str, float] = field(default_factory=dict)  # what the pattern saw (see confidence.py)
    confidence: float = 1.0


@dataclass(slots=True, kw_only=True)
class Rejection:
    """A candidate (or a line that looked like one) that did not become a card, and why."""

    term: str
    reason: str
    source: Source
    definition: str = ""
    detail: str = ""
    rule: str = ""


@dataclass(slots=True, kw_only=True)
class Explanation:
    """One place a term is explained: the text, where it was found and by which pattern."""

    text: str
    source: Source
    rule: str
    context: list[str] = field(default_factory=list)
    note_title: str = ""
    note_date: str = ""
    also_in: list[Source] = field(default_factory=list)  # the same text found in other places


_MARKUP_HINT = re.compile(r"^\s*(?:[-*+#]|\d+[.)])", re.M)
_LIST_MARK = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")
_HEADING_MARK = re.compile(r"^(\s*)#{1,6}\s+")


def _check_markup(text: str) -> str:
    # Markup Anki would show raw: leftover list markers at line starts, heading hashes, fences.
    if not _MARKUP_HINT.search(text):
        return "\n".join(line.rstrip() for line in text.split("\n")).strip()
    lines = []
    fence = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if fence:  # inside a fenced code block: the code as written, up to its closing fence
            if stripped.startswith(fence):
                fence = ""
            lines.append(line.rstrip())
            continue
        line = _LIST_MARK.sub(r"\1", line)  # keep the indentation: it is the nesting
        line = _HEADING_MARK.sub(r"\1", line)
        if line.strip().startswith(("```", "~~~")):
            fence = line.strip()[:3]  # kept: the renderer shows it as a code block
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


class Card(BaseModel):
    """A validated flashcard: one concept, every distinct explanation of it."""

    term: str = Field(min_length=1, max_length=MAX_TERM_CHARS)
    aliases: list[str] = Field(default_factory=list)
    explanations: list[Explanation] = Field(min_length=1)
    topic: str = ""
    deck: str = ""
    topic_reason: str = ""
    tags: list[str] = Field(default_factory=list)
    guid: str = ""

    @field_validator("term")
    @classmethod
    def _term_is_short_phrase(cls, v: str) -> str:
        v = nfc(v).strip()
        if not v:
            raise ValueError("empty term")
        if "\n" in v:
            raise ValueError("term spans several lines")
        if len(v.split()) > MAX_TERM_WORDS:
            raise ValueError(f"term has more than {MAX_TERM_WORDS} words")
        if not term_key(v):
            raise ValueError("term has no letters")
        return v

    @field_validator("explanations")
    @classmethod
    def _clean_explanations(cls, v: list[Explanation]) -> list[Explanation]:
        out = []
        for e in v:
            text = _check_markup(nfc(e.text))
            if not text:
                raise ValueError("empty definition")
            if len(text) > MAX_DEFINITION_CHARS:
                raise ValueError(f"definition longer than {MAX_DEFINITION_CHARS} characters")
            out.append(e if text == e.text else replace(e, text=text))
        return out

    @property
    def key(self) -> str:
        return term_key(self.term)

    @property
    def definition(self) -> str:
        return "\n\n".join(e.text for e in self.explanations)

    @property
    def source(self) -> Source:
        return self.explanations[0].source

    @property
    def rule(self) -> str:
        return self.explanations[0].rule

    @property
    def context(self) -> list[str]:
        return self.explanations[0].context


def validate(candidate: Candidate, note_title: str = "", note_date: str = "") -> Card | Rejection:
    """Turn a candidate into a Card, or into a Rejection naming the first problem."""
    try:
        return Card(
            term=candidate.term,
            aliases=[a for a in (nfc(a).strip() for a in candidate.aliases) if a and term_key(a) != term_key(candidate.term)],
            explanations=[Explanation(text=candidate.definition, source=candidate.source,
                                      context=candidate.context, rule=candidate.rule,
                                      note_title=note_title, note_date=note_date)],
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        reason = "too long" if "more than" in msg or "longer" in msg or "at most" in msg else "invalid"
        return Rejection(term=candidate.term, definition=candidate.definition, reason=reason, detail=msg,
                         rule=candidate.rule, source=candidate.source)


def card_to_json(card: Card) -> dict:
    """The public JSON shape of a card (`cards extract --format jsonl`). Keep it stable.
    Paths are shown as `notes.display` shows them (a name that is not UTF-8 gets U+FFFD)."""
    from .notes import display
    return {
        "term": card.term,
        "definition": card.definition,
        "aliases": list(card.aliases),
        "topic": card.topic,
        "deck": card.deck,
        "tags": list(card.tags),
        "context": list(card.context),
        "source": {"path": display(card.source.path), "line": card.source.line},
        "rule": card.rule,
        "guid": card.guid,
        "topic_reason": card.topic_reason,
        "sources": [
            {"path": display(e.source.path), "line": e.source.line, "rule": e.rule, "context": list(e.context)}
            for e in card.explanations
        ] + [{"path": display(s.path), "line": s.line, "rule": e.rule, "context": list(e.context)}
             for e in card.explanations for s in e.also_in],
    }

