"""One long line of any character costs time linear in its length (issue 18, item 9: a 50 KB
line of `[` took 40 s).

How growth is measured, robustly on a loaded 2-core machine: the CPU time of this thread
(`time.thread_time`, which does not count time spent waiting for a core) on a line of n
characters and on one of 4n, each the least of three interleaved runs. Linear work grows about
4 times; a quadratic path 16 times (cubic 64). A case passes when its 4n run is too quick to
matter or it grew less than 8 times. No absolute time is asserted; an alarm is only a hang guard.

The extraction patterns (cards/extract/) once had super-linear paths; EXTRACTION_REPRODUCERS keeps
each as a case, and the extraction of every unit above is measured too.
"""
from __future__ import annotations

import os
import signal
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.blocks import parse_blocks
from cards.models import Candidate, Source, term_key, validate
from cards.notes import parse_note
from cards.render import _definition_html, _inline_cached
from tests.test_properties import assert_safe

N = 2000
QUICK = 0.003  # seconds of CPU for the 4n line below which growth is not judged (noise, not work)
MAX_GROWTH = 8.0

# every character that opens, closes or separates something, and the openers that run on
UNITS = ["[", "]", "(", ")", "!", "`", "$", "\\", "*", "_", "~", "<", ">", "#", "-", "+", "=", ":", "：", ";", "|",
         " ", "\t", "가", ".", "\"", "'", "&", "[a", "![", "[[", "![[", "](", "[a](", "[a](b", "![a](b", "\\(", "\\[",
         "**", "__", "~~", "<!--", "http://", "www.", "$$", "```", "`a", "$a", "*a", "<a", "a :", "- ", "1. ", "> ",
         "|a", "(a", "a)", "a "]
PREFIXES = ["", "- a : ", "# a"]

def _extract_afresh(s: str):
    """Extraction with every memo cleared: each run does the work (the memos would hide the growth)."""
    from cards.extract import checks, confidence, extract_text, terms, text
    for fn in (text.clean_inline, text.weight, terms._parse_term, terms.question_term, checks.term_problem,
               checks.definition_problem, confidence.term_features, confidence.back_features, term_key):
        fn.cache_clear()
    return extract_text(s)


FUNCTIONS = {
    "extract": _extract_afresh,
    "render": lambda s: (_inline_cached.cache_clear(), _definition_html(s, None)),  # every run does the work
    "note": lambda s: parse_note(s.encode("utf-8"), "n.md"),
    "blocks": parse_blocks,
    "validate": lambda s: validate(Candidate(term="Term", definition=s, rule="C001", source=Source("n.md", 1))),
    "term_key": lambda s: term_key.__wrapped__(s),
}


class _Hang(Exception):
    pass


def _guard(seconds: int):
    """An alarm that fails a case that hangs (POSIX only; elsewhere nothing)."""
    if not hasattr(signal, "SIGALRM"):
        return lambda: None

    def on_alarm(signum, frame):
        raise _Hang(f"no result in {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)

    def done():
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return done


def growth(fn, make, n: int = N, reps: int = 3) -> tuple[float, float]:
    """(CPU seconds of fn on the 4n line, how many times that of the n line)."""
    small, big = make(n), make(4 * n)
    best_small = best_big = float("inf")
    done = _guard(120)
    try:
        for _ in range(reps):
            for text, which in ((small, 0), (big, 1)):
                start = time.thread_time()
                fn(text)
                spent = time.thread_time() - start
                if which:
                    best_big = min(best_big, spent)
                else:
                    best_small = min(best_small, spent)
    finally:
        done()
    return best_big, best_big / max(best_small, 1e-6)


def linear(fn, make, n: int = N, reps: int = 3) -> bool:
    big, ratio = growth(fn, make, n, reps)
    return big < QUICK or ratio < MAX_GROWTH


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_one_long_line_is_linear(name):
    fn = FUNCTIONS[name]
    slow = []
    for prefix in PREFIXES:
        for unit in UNITS:
            make = (lambda n, u=unit, p=prefix: p + u * (n // len(u)))
            big, ratio = growth(fn, make)
            if not (big < QUICK or ratio < MAX_GROWTH):
                slow.append(f"{prefix!r} + {unit!r} * n: {ratio:.1f}x from n={N} to {4 * N}")
    assert not slow, slow


def test_a_heading_with_a_long_closing_run_is_linear():
    """The title regex once tried every split of `# a####…####b` between text and closing #s."""
    assert linear(FUNCTIONS["note"], lambda n: "# a" + "#" * n + "b\n")
    assert linear(FUNCTIONS["note"], lambda n: "#" + " " * n + "\n")


# Once 10-50x from 2,000 to 8,000 characters: link, image, tag, code-span, math, separator and alias patterns.
EXTRACTION_REPRODUCERS = {
    "extract._LINK / _WIKI / _NAV_LINK (clean_inline, mask_markup) on `[`": lambda n: "- a : " + "[" * n,
    "extract._IMG / _WIKI / _LINK on `![[`": lambda n: "- a : " + "![[" * (n // 3),
    "extract._CODE on backticks (`(`+)(.+?)\\1` backtracks over the run)": lambda n: "- a : " + "`" * n,
    "extract._MATH on `\\(`": lambda n: "- a : " + "\\(" * (n // 2),
    "extract._TAG / _NAV_LINK on `<a`": lambda n: "- a : " + "<a" * (n // 2),
    "extract._SEP on a run of spaces before a separator": lambda n: "a" + " " * n + "b : c",
    "extract._PAREN_ALIAS (_parse_term) on a run of spaces before `(x)`": lambda n: "- a" + " " * n + "(b) : c",
}


@pytest.mark.parametrize("case", sorted(EXTRACTION_REPRODUCERS))
def test_extraction_of_one_long_line_is_linear(case):
    from cards.extract import extract_text
    assert linear(extract_text, EXTRACTION_REPRODUCERS[case])


SPECIAL = st.sampled_from(UNITS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SPECIAL, st.integers(1, 6000)), min_size=1, max_size=3),
       st.sampled_from(PREFIXES + ["  - ", "| a | "]))
def test_long_lines_of_special_characters_render_safely(runs, prefix):
    """Long lines made of runs of special characters: rendered safe HTML, blocks and a note, all without
    hanging (the alarm is only a hang guard: a quadratic path takes minutes here, a linear one milliseconds)."""
    text = prefix + "".join(unit * n for unit, n in runs)
    done = _guard(60 if os.environ.get("CI") else 30)
    try:
        _inline_cached.cache_clear()
        assert_safe(_definition_html(text, None))
        parse_blocks(text)
        note = parse_note(text.encode("utf-8"), "n.md")
        assert note is not None
    finally:
        done()
