"""Extraction rules tested by data: tests/cases/*.yaml (in the style of sqlfluff's rule fixtures).

patterns.yaml: a snippet and the exact candidates its pattern must find (term, alias, part of
the definition, pattern id, number of merged sources), with no confidence cut: what each form
reads. negatives.yaml: a snippet that must give no candidate at all, or one rejected by a hard
rule with the reason it must report. classes.yaml: the kinds of junk and of missed cards found
by hand in real notes, each with what a learner must get from it with the default settings:
the cards kept, and the candidates held back (`unsure`) or rejected.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cards.extract import extract_text
from cards.notes import parse_note
from cards.patterns import PATTERNS, REJECTION_REASONS
from cards.pipeline import finish
from cards.process import process_text
from cards.rules import RuleSet

CASES = Path(__file__).parent / "cases"


def _load(name: str) -> list[dict]:
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))["cases"]


def run(note: str, min_confidence: float | None = None):
    """The cards and rejections of a note, with the default settings (or another confidence cut)."""
    rules = RuleSet()
    if min_confidence is not None:
        rules.glob.min_confidence = min_confidence
    parsed = parse_note(note.encode("utf-8"), "case.md")
    res = finish([process_text(parsed, rules.settings())], rules, "Root")
    return res.cards, res.rejections


@pytest.mark.parametrize("case", _load("patterns.yaml"), ids=lambda c: c["name"])
def test_pattern_case(case):
    cards, rejections = run(case["note"], min_confidence=0.0)
    got = [c.term for c in cards]
    want = [c["term"] for c in case["cards"]]
    assert got == want, f"cards {got} != {want}; rejections: {[(r.term, r.reason) for r in rejections]}"
    for card, exp in zip(cards, case["cards"]):
        if "definition" in exp:
            assert exp["definition"] in card.definition, card.definition
        if "rule" in exp:
            assert card.rule == exp["rule"]
        if "aliases" in exp:
            assert card.aliases == exp["aliases"]
        if "context" in exp:
            assert card.context == exp["context"]
        if "sources" in exp:
            assert len(card.explanations) == exp["sources"]


@pytest.mark.parametrize("case", _load("negatives.yaml"), ids=lambda c: c["name"])
def test_negative_case(case):
    cards, rejections = run(case["note"], min_confidence=0.0)
    assert cards == [], [(c.term, c.rule) for c in cards]
    reasons = [r.reason for r in rejections]
    if case["reason"] is None:
        assert reasons == [], reasons
    else:
        assert case["reason"] in reasons, reasons


@pytest.mark.parametrize("case", _load("classes.yaml"), ids=lambda c: c["name"])
def test_class_case(case):
    """With the default settings: `cards` are kept (term, and part of the back when given); every term
    in `not` gives no card, held back or rejected for the reason given (`any` for any reason)."""
    cards, rejections = run(case["note"])
    terms = [c.term for c in cards]
    for exp in case.get("cards", []):
        want = exp if isinstance(exp, str) else exp["term"]
        assert want in terms, f"{want!r} not kept: {terms}; {[(r.term, r.reason, r.detail) for r in rejections]}"
        if isinstance(exp, dict) and "definition" in exp:
            card = next(c for c in cards if c.term == want)
            assert exp["definition"] in card.definition, card.definition
        if isinstance(exp, dict) and "starts_with" in exp:
            card = next(c for c in cards if c.term == want)
            assert card.definition.startswith(exp["starts_with"]), card.definition
        if isinstance(exp, dict) and "not_in_definition" in exp:
            card = next(c for c in cards if c.term == want)
            assert exp["not_in_definition"] not in card.definition, card.definition
    for term, reason in (case.get("not") or {}).items():
        assert term not in terms, f"{term!r} kept: {[(c.term, c.rule) for c in cards]}"
        if reason != "any":
            got = [r.reason for r in rejections if r.term == term]
            assert reason in got, f"{term!r}: {got}"
    for term, reason in (case.get("rejected") or {}).items():  # one candidate of it turned down, another kept
        assert reason in [r.reason for r in rejections if r.term == term], [(r.term, r.reason) for r in rejections]


def test_every_pattern_has_a_case():
    covered = {c.get("rule") for case in _load("patterns.yaml") for c in case["cards"]}
    assert set(PATTERNS) <= covered, set(PATTERNS) - covered


def test_every_extraction_reason_has_a_case():
    covered = {case["reason"] for case in _load("negatives.yaml")}
    covered |= {r for case in _load("classes.yaml") for r in [*(case.get("not") or {}).values(),
                                                              *(case.get("rejected") or {}).values()]}
    # reasons that come from rule files or validation are covered in test_rules.py / test_models.py
    elsewhere = {"topic stop-term", "pattern off", "regex timeout", "invalid"}
    assert set(REJECTION_REASONS) - elsewhere <= covered, set(REJECTION_REASONS) - elsewhere - covered


def test_rejections_name_the_line():
    _, rejections = run("# 강의\n\n딥러닝 기초를 공부했다.\n\n- 꿀팁 : 아무거나\n")
    assert ("꿀팁", "stop-term", 5) in [(r.term, r.reason, r.source.line) for r in rejections]


def test_source_lines_count_front_matter():
    note = "---\ntitle: x\n---\n\n- Adam : 적응형 학습률\n"
    cards, _ = run(note)
    assert cards[0].source.line == 5


def test_extract_text_is_deterministic():
    text = (CASES / "patterns.yaml").read_text(encoding="utf-8")
    assert extract_text(text) == extract_text(text)
