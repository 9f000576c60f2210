"""Property-based tests over generated Markdown: extraction never raises, every candidate either
validates into a card or becomes a rejection, output is deterministic, and rendering is safe."""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.extract import extract_text
from cards.models import Card, Rejection, validate
from cards.notes import parse_note
from cards.pipeline import finish
from cards.process import process_text
from cards.render import definition_html
from cards.rules import RuleSet

WORDS = st.sampled_from(["Adam", "SGD", "메타러닝", "증류", "KD", "loss", "학습", "데이터", "9:30", "http://x.y/z",
                         "`code: x`", "$a<b$", "**굵게**", "*기울임*", "![[img.png]]", "![a](b.png)", "<br>",
                         "<script>x</script>", "꿀팁", "TODO", "?", "다", "함", "(증류)", "=", "->", "—", ";", ":",
                         "：", "|", "\t", "\x00", "\x07", "\u200b", "é", "ﬁ", "한\u0301"])
LINE = st.lists(WORDS, min_size=0, max_size=8).map(" ".join)
MARKER = st.sampled_from(["", "- ", "* ", "+ ", "1. ", "2) ", "# ", "## ", "### ", "> ", "| ", "    ", "\t- "])
INDENT = st.sampled_from(["", "  ", "    ", "\t", "      "])
BLOCK = st.one_of(
    st.tuples(INDENT, MARKER, LINE).map("".join),
    st.just("```python\nx: int = 1\n```"),
    st.just("```\nunclosed: fence"),
    st.just("| 용어 | 설명 |\n| --- | --- |\n| KD | 지식 증류 |"),
    st.just("---\ntitle: x\n---"),
    st.just("$$\na : b\n$$"),
    st.just("<!-- c : d -->"),
    st.text(min_size=0, max_size=300),
    st.builds(lambda n: "x" * n + " : " + "y" * n, st.integers(0, 3000)),
)
DOC = st.lists(BLOCK, min_size=0, max_size=25).map("\n".join)
CHECK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECK
@given(DOC)
def test_extraction_never_raises_and_every_candidate_is_accounted_for(text):
    cands, rejs = extract_text(text)
    n_lines = text.count("\n") + 1
    for c in cands:
        v = validate(c)
        assert isinstance(v, (Card, Rejection))
        assert 1 <= c.source.line <= n_lines
        if isinstance(v, Card):
            assert "\n" not in v.term and v.term.strip() == v.term and v.definition.strip()
    for r in rejs:
        assert r.reason and 1 <= r.source.line <= n_lines


@CHECK
@given(DOC)
def test_extraction_is_deterministic(text):
    assert extract_text(text) == extract_text(text)


@CHECK
@given(st.binary(max_size=2000) | DOC.map(lambda t: t.encode("utf-8")))
def test_whole_note_pipeline_never_raises(data):
    note = parse_note(data, "n.md")
    if note is None or not note.text:
        return
    res = finish([process_text(note, RuleSet().settings())], RuleSet(), "Root")
    for card in res.cards:
        assert card.guid and card.deck.startswith("Root::")
        assert all(" " not in t for t in card.tags)


# What a card may show (the sanitizer's allowlist, written out again here on purpose)
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "font", "hr", "i", "img", "ins",
                "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
                "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
ALLOWED_ATTRS = {"href", "src", "alt", "class", "style", "title", "width", "height", "color", "colspan", "rowspan",
                 "align", "start"}
SAFE_HREF = ("http://", "https://", "obsidian://", "mailto:")
RUNS = re.compile(r"<\s*/?\s*(?:script|style|iframe|object|embed|svg|math|form|input|link|meta|base)\b|\son\w+\s*="
                  r"|javascript:|vbscript:|expression\(|url\(", re.I)


def assert_safe(html: str) -> None:
    tags = {t.lower() for t in re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", html)}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):
        assert not RUNS.search(tag), tag
        for attr, value in re.findall(r'\s([a-zA-Z-]+)="([^"]*)"', tag):
            assert attr in ALLOWED_ATTRS, attr
            if attr == "href":
                assert value.startswith(SAFE_HREF), value
            if attr == "src":
                assert re.fullmatch(r"cards-[0-9a-f]{16}(\.\w+)?", value), value
    assert not re.search(r"<\s*/?\s*(?:script|style|iframe|svg)", html, re.I)  # nor as text of a kept tag


@CHECK
@given(DOC)
def test_rendered_html_is_safe(text):
    assert_safe(definition_html(text))


# list items whose one line starts like another block: "- # x", "- > q", "- 1. y", "- ```", "- ***"
INNER = st.sampled_from(["", "", "# ", "> ", "1. ", "- ", "```", "***", "---", "<div>", "[a]: b", "$$", "| a |",
                         "    ", "\t", "=", "9", " ", "Term"])
ITEM = st.tuples(INDENT, st.sampled_from(["- ", "* ", "+ ", "1. ", "3) "]), INNER, LINE).map("".join)
LIST_DOC = st.lists(st.one_of(ITEM, ITEM, BLOCK), min_size=1, max_size=25).map("\n".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(DOC, LIST_DOC))
def test_our_tuned_mistune_gives_the_tokens_of_plain_mistune(text):
    """mistune_tuning.py shortcuts parts of mistune's block loop (anchored regexes, one-line list items):
    over generated lists, headings, quotes, tables, code and stray characters, the tokens must
    be exactly plain mistune's."""
    from tests.test_models import _same_tokens_as_plain_mistune
    _same_tokens_as_plain_mistune(text)


# trees of list items, as notes nest them, and every way one can stop being a tree of one-line items
TREE_INDENT = st.sampled_from(["", "", "  ", "  ", "    ", "    ", " ", "   ", "      ", "        ", "     ", "\t",
                               "  \t", "> ", ">   "])
TREE_MARKER = st.sampled_from(["- ", "- ", "* ", "+ ", "1. ", "1. ", "2. ", "1) ", "10. ", "123456789. ", "-  ",
                               "-\t", "-", "1.", "- \u3000", "- \v"])
TREE_TEXT = st.one_of(LINE, INNER.map(lambda x: x + "x"), st.sampled_from(
    ["", "[a", "[a]: b", "[a\\]: b", "[[위키]] 링크", "- -", "-", "--", "* *", "=", "==", "<div>", "<b>x</b> y",
     "`c`", "**굵게** : 뜻", "9:30", "Term", "\u3000", "x  ", "a\rb"]))
TREE_LINE = st.tuples(TREE_INDENT, TREE_MARKER, TREE_TEXT).map("".join)
AFTER = st.sampled_from(["", "", "   ", "\t", "# 제목", "  ## h", "para text", "  lazy text", "    code", "---", "***",
                         "> q", "```", "<div>", "$$", "| a | b |", "===", "\f", "-", "1) x", "\\- x"])


@st.composite
def _nested(draw, col: int = 0, level: int = 0) -> list[str]:
    """A list as notes nest it: each child indented from its parent's text by 0 to 4 more columns."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        width = col + draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4]))
        indent = " " * width
        if width >= 4 and draw(st.integers(0, 2)) == 0:  # Obsidian indents with tabs
            indent = "\t" * (width // 4) + " " * (width % 4)
        marker = draw(st.sampled_from(["- ", "- ", "* ", "1. ", "2. ", "1) ", "10. ", "-   ", "2.  ", "-\t", "- \t"]))
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(["", "  ", "\t"])))  # a blank line before the item
        out.append(indent + marker + draw(TREE_TEXT))
        while draw(st.integers(0, 4)) == 0:  # a wrapped line, or a lazy one, of the item's text
            out.append(" " * draw(st.integers(0, width + 6)) + draw(TREE_TEXT))
        if level < 6 and draw(st.integers(0, 2)) == 0:
            out += draw(_nested(width + len(marker.expandtabs(4)), level + 1))
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(AFTER))
    return out


TREE_DOC = st.one_of(st.lists(st.one_of(TREE_LINE, TREE_LINE, TREE_LINE, AFTER), min_size=1, max_size=30),
                     st.lists(st.one_of(_nested(), AFTER), min_size=1, max_size=4).map(
                         lambda parts: [x for p in parts for x in ([p] if isinstance(p, str) else p)])
                     ).map("\n".join)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREE_DOC)
def test_lists_of_one_line_items_give_the_tokens_of_plain_mistune(text):
    """mistune_tuning.py builds the tokens of lists of one-line items itself, where mistune re-parses every
    nested item once per level: over generated trees, and whatever breaks them, the tokens must be
    exactly plain mistune's."""
    from tests.test_models import _same_tokens_as_plain_mistune
    _same_tokens_as_plain_mistune(text)


def test_the_one_pass_list_shortcut_is_taken_and_leaves_other_lists_to_mistune(monkeypatch):
    """The test above would pass with the shortcut off: check that it builds a nested tree of
    one-line items (a wrapped line included) without mistune's list parser, and hands it an item
    with a second paragraph."""
    import mistune
    from mistune import block_parser

    from cards import blocks
    from cards.mistune_tuning import LIST_SHORTCUT_VERSIONS
    if mistune.__version__ not in LIST_SHORTCUT_VERSIONS:
        import pytest
        pytest.skip(f"the shortcut is on only with mistune {', '.join(sorted(LIST_SHORTCUT_VERSIONS))}")
    calls = []
    real = block_parser.parse_list
    monkeypatch.setattr(block_parser, "parse_list", lambda *a: calls.append(1) or real(*a))
    tree = ("- KD : 지식 증류\n\t- teacher\n\t\t1. soft label\n\n- Adagrad\n  -   gradient 누적\n"
            "    분모가 커진다\n\n## 다음\n")
    tokens = blocks._MD(tree)
    assert not calls
    assert [t["type"] for t in tokens] == ["list", "heading"]
    assert tokens[0]["tight"] is False  # a blank line between the items
    two_paragraphs = "- Adagrad\n\n  gradient가 커지면\n"
    tokens = blocks._MD(two_paragraphs)
    assert calls
    assert tokens == mistune.create_markdown(renderer=None, plugins=["table", "math"])(two_paragraphs)


PART = st.sampled_from(["d", "s", "loop", "dangling", "..", ".", "f.png", "link.png", "x", "", "up"])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PART, min_size=1, max_size=6).map("/".join))
def test_realpath_with_a_cached_folder_is_realpath(tmp_path_factory, rel):
    """Image lookups resolve the folder once per folder; through symlinked folders, linked files,
    dangling links, loops and '..', the answer is os.path.realpath's."""
    import os

    from cards.export.paths import real_path
    root = tmp_path_factory.getbasetemp() / "links"
    if not root.exists():
        (root / "d" / "x").mkdir(parents=True)
        (root / "d" / "f.png").write_bytes(b"png")
        os.symlink(root / "d", root / "s")  # a linked folder
        os.symlink(root / "d" / "f.png", root / "d" / "link.png")  # a linked file
        os.symlink(root / "nowhere", root / "d" / "dangling")
        os.symlink(root / "loop", root / "loop")  # a link to itself
        os.symlink("..", root / "d" / "up")  # a relative link out of its folder
    for base in (root, root / "d", root / "s" / "x"):
        path = os.path.join(base, rel)
        assert real_path(path) == os.path.realpath(path), path


DECK_PART = st.one_of(st.sampled_from(["A", "a", "B", "A/B", "A_B", "A - B", "..", ".", " ", "CON", "x.", "가" * 90,
                                       "Study Notes", "::", ":", "/", "\\", "?", "*", "|", "<", ">", "\"", "\t"]),
                      st.text(min_size=1, max_size=12))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(DECK_PART, min_size=1, max_size=3).map("".join), min_size=2, max_size=6, unique=True))
def test_deck_file_names_are_distinct_or_refused(decks):
    """`--split` file names: each a valid, short file name; two decks never get one file silently (the
    export refuses the few pairs only case or `::` against ` - ` tells apart)."""
    import unicodedata

    from cards.export.files import MAX_NAME_BYTES, OutputError, _BAD_CHARS, deck_files, safe_filename
    for d in decks:
        name = safe_filename(d)
        assert name and not _BAD_CHARS.search(name) and not name.endswith((".", " "))
        assert len(name.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES
    distinct = list({unicodedata.normalize("NFC", d): d for d in decks}.values())  # Anki: one deck
    try:
        files = deck_files(distinct, Path("out"))
    except OutputError as exc:
        assert exc.kind == "names"
        return
    names = [files[d].name.casefold() for d in distinct]
    assert len(set(names)) == len(names)
