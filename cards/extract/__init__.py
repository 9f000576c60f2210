"""Rule-based extraction: a note's Blocks → Candidates, and Rejections that say why a line gave no card.

    Blocks ──prepare──▶ Blocks as notes mean them ──patterns──▶ candidates ──evidence──▶ confidence
    (blocks.py)         (prepare.py)                 (lines.py, regions.py,       (note.py,       (confidence.py,
                                                      tables.py, rule files)       confidence.py)  weights.py)

Each pattern family keeps its code next to its ids: lines.py (C001–C007: a term and its explanation on
one line), regions.py (B101–B104: a term on a line of its own, explained by what follows), tables.py
(T201). What a term and a back must look like, and every rejection reason, is in checks.py; term
clean-up in terms.py; inline text and the back's length in text.py. Candidates less sure than
`min_confidence` are held back as `unsure`, with the evidence against them.
"""
from __future__ import annotations

from ..blocks import Block, parse_blocks
from ..models import Candidate, Rejection
from . import lines, regions, tables
from .checks import REJECTION_REASONS, Pattern
from .confidence import explain, features, score
from .note import NoteExtractor, Settings
from .prepare import prepare
from .terms import parse_term, question_term
from .text import clean_inline

PATTERNS: dict[str, Pattern] = {p.id: p for p in [*lines.PATTERNS, *regions.PATTERNS, *tables.PATTERNS]}

__all__ = ["PATTERNS", "REJECTION_REASONS", "Pattern", "Settings", "clean_inline", "extract_blocks", "extract_text",
           "parse_term", "prepare", "question_term"]


def extract_blocks(path: str, blocks: list[Block], settings: Settings | None = None,
                   lines_: list[str] | None = None) -> tuple[list[Candidate], list[Rejection]]:
    """Candidates from a note's Blocks (`lines_`, the note's source lines, let indented prose be read)."""
    marked: set[int] = set()
    settings = settings or Settings()
    ex = NoteExtractor(path, prepare(blocks, marked, lines_), settings, marked)
    ex.run()
    kept = []
    for c in ex.cands:
        f = features(c)
        c.evidence = f
        c.confidence = score(f)
        if c.confidence >= settings.min_confidence:
            kept.append(c)
        else:
            ex.reject_candidate(c, "unsure", f"confidence {c.confidence:.2f}; against: {explain(f)}")
    return kept, ex.rejs


def extract_text(text: str, path: str = "<text>", settings: Settings | None = None
                 ) -> tuple[list[Candidate], list[Rejection]]:
    """Extract from Markdown text (front matter must already be blanked; see notes.parse_note)."""
    return extract_blocks(path, parse_blocks(text), settings, text.split("\n"))
