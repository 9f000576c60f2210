"""Every public note in ../shared/corpus/notes goes through the whole pipeline: no exception, no
internal error, and every card passes validation. The notes are read in place, never copied."""
from __future__ import annotations

from pathlib import Path

import pytest

from cards.models import Card, term_key
from cards.pipeline import finish
from cards.process import process_note
from cards.rules import RuleSet

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "notes"
NOTES = sorted(CORPUS.rglob("*.md")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not NOTES, reason=f"corpus not found at {CORPUS} (it sits beside the repo in development)")
@pytest.mark.parametrize("path", NOTES, ids=[str(p.relative_to(CORPUS)) if NOTES else "" for p in NOTES])
def test_corpus_note(path):
    rs = RuleSet()
    res = process_note(str(path), path.name, "", rs.settings())
    assert res.ok, res.warnings
    assert not [w for w in res.warnings if w.kind == "internal"]
    out = finish([res], rs, "Root")
    lines = path.read_bytes().count(b"\n") + 1
    for card in out.cards:
        Card.model_validate(card.model_dump())  # every card passes validation as it stands
        assert term_key(card.term) and "\n" not in card.term
        for e in card.explanations:
            assert 1 <= e.source.line <= lines and e.text.strip()
    for r in out.rejections:
        assert r.reason and 1 <= r.source.line <= lines


def test_corpus_is_present_or_skipped_with_a_message():
    if not NOTES:
        pytest.skip(f"corpus not found at {CORPUS}")
    assert len(NOTES) > 100


@pytest.mark.skipif(not NOTES, reason=f"corpus not found at {CORPUS}")
def test_memoised_list_regex_gives_the_tokens_of_plain_mistune_on_the_corpus():
    from tests.test_models import _same_tokens_as_plain_mistune
    for path in NOTES:
        _same_tokens_as_plain_mistune(path.read_text(encoding="utf-8", errors="replace"))
