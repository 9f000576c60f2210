"""Cards as Anki shows them: every form the notes write, exported, imported with the official
`anki` package and rendered with `card.question()` / `card.answer()`.

Each form is checked for what it must become, and every answer for raw markup a learner would
see (the kinds `../shared/eval/render_defects.py` counts on the public corpus)."""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

anki_collection = pytest.importorskip("anki.collection", reason="the official anki package is a test dependency")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest

from cards.cli import main  # noqa: E402
from cards.render import definition_html  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

FORMS = """---
title: Render forms
date: 2024-05-01
---
# Render forms

## **Markup** in headings

- Highlight : a <span style="background-color:#fff5b1">highlighted</span> word, H<sub>2</sub>O, x<sup>2</sup>, <mark>marked</mark>, <u>under</u>, <kbd>Ctrl</kbd>
- Line break : first line<br>second line
- Hostile : 주의 <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(2)) <a href="https://example.com" onclick="alert(3)">site</a>
- Spaced math : 값은 $ \\frac{1}{2} + x $ 이다
- Particle math : $G_t$라는 값은 누적합
- Escaped paren : 그냥 괄호 \\(설명\\) 이다
- Display math : 아래 식
  - $$\\sum_{i=1}^{n} x_i$$
- Price : 사과는 $5, 배는 $10
- Obsidian image : 그림 ![](<img/my diagram.png>)
- Kramdown image : 그림 ![alt](img/d.png){: style="width:80%"}
- Missing image : 없는 그림 ![Untitled](img/Untitled.png)
- Learning rate = step size
- Formatting : ~~old~~ new ==mark== H~2~O, x^2^, `code *x*` and https://example.org/x.
- Loose bold : **Answers:**The suitcase, **"인용"**은 강조
"""

OTHER = """---
title: Second note
---
# Second note

- Highlight : 두 번째 노트의 설명, 더 짧음
"""


def visible(markup: str) -> str:
    """What a learner reads: no style or script, MathJax spans typeset, tags gone, entities decoded."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    markup = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", " MATH ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


RAW = {
    "escaped-html": re.compile(r"<\s*/?\s*(span|img|a|br|sub|sup|mark|u|kbd|script)\b[^>]*>", re.I),
    "md-image": re.compile(r"!\[[^\]]*\]\(|!\[\["),
    "kramdown-attr": re.compile(r"\{:\s*[^}]*\}"),
    "raw-bold": re.compile(r"\*\*"),
    "raw-dollar-math": re.compile(r"\$\$|\$[^$\n\d][^$\n]{0,200}\$"),
    "raw-latex": re.compile(r"\\(?:frac|sum|alpha|begin|mathbf)\b"),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forms")
    vault = tmp / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "img").mkdir()
    (vault / "forms.md").write_text(FORMS, encoding="utf-8")
    (vault / "img" / "my diagram.png").write_bytes(b"\x89PNG\r\n\x1a\none")
    (vault / "img" / "d.png").write_bytes(b"\x89PNG\r\n\x1a\ntwo")
    blog = tmp / "blog"
    blog.mkdir()
    (blog / "second.md").write_text(OTHER, encoding="utf-8")
    rules = tmp / "rules"
    shutil.copytree(REPO / "rules", rules)
    with open(rules / "_global.yaml", "a", encoding="utf-8") as fh:
        fh.write("\nlink_base: https://github.com/me/notes/blob/main/\n")
    r = CliRunner().invoke(main, ["export", str(vault), str(blog), "--out", str(tmp / "d"), "--no-cache",
                                  "--rules", str(rules)])
    assert r.exit_code == 0, r.output
    col = Collection(str(tmp / "c.anki2"))
    opts = col._backend.get_import_anki_package_presets()
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp / "d" / "Study Notes.apkg"), options=opts))
    out = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        card = note.cards()[0]
        out[note["Term"]] = (card.question(), card.answer(), note)
    col.close()
    return out


def back(rendered, term: str) -> str:
    """The answer without the front and the style sheet: what the back adds."""
    return rendered[term][1].split('<hr id="answer">', 1)[1]


def test_no_answer_shows_raw_markup(rendered):
    shown = {term: visible(a) for term, (_, a, _) in rendered.items() if term != "Formatting"}
    for kind, rx in RAW.items():
        hits = {t: rx.search(v).group(0) for t, v in shown.items() if rx.search(v)}
        assert not hits, (kind, hits)
    assert "Highlight" in shown and "Obsidian image" in shown  # the fixture's cards are all there


def test_author_html_is_kept_safely(rendered):
    a = back(rendered, "Highlight")
    assert '<span style="background-color:#fff5b1">highlighted</span>' in a
    for tag in ("<sub>2</sub>", "<sup>2</sup>", "<mark>marked</mark>", "<u>under</u>", "<kbd>Ctrl</kbd>"):
        assert tag in a
    assert "first line<br>second line" in back(rendered, "Line break") and "<li>" not in back(rendered, "Line break")
    hostile = back(rendered, "Hostile")
    assert "주의" in hostile and '<a href="https://example.com">site</a>' in hostile
    assert "<script" not in hostile and "alert" not in hostile and "onerror" not in hostile
    assert "javascript" not in hostile.lower() and "onclick" not in hostile


def test_math_follows_the_notes_renderers(rendered):
    assert r"값은 \(\frac{1}{2} + x\) 이다" in back(rendered, "Spaced math")
    assert r"\(G_t\)라는" in back(rendered, "Particle math")
    paren = back(rendered, "Escaped paren")
    assert "그냥 괄호 (설명) 이다" in paren and r"\(" not in paren  # \( is an escaped parenthesis, as in CommonMark
    assert r"\[\sum_{i=1}^{n} x_i\]" in back(rendered, "Display math")
    assert "사과는 $5, 배는 $10" in back(rendered, "Price") and r"\(" not in back(rendered, "Price")


def test_images_and_attributes(rendered):
    assert re.search(r'그림 <img src="cards-[0-9a-f]{16}\.png"', back(rendered, "Obsidian image"))
    kram = back(rendered, "Kramdown image")
    assert re.search(r'<img src="cards-[0-9a-f]{16}\.png" alt="alt">', kram) and "{:" not in kram
    missing = back(rendered, "Missing image")
    assert '<span class="missing-image">Untitled.png</span>' in missing and "[Untitled]" not in missing


def test_formatting_plugins(rendered):
    a = back(rendered, "Formatting")
    for part in ("<del>old</del>", "<mark>mark</mark>", "H<sub>2</sub>O", "x<sup>2</sup>", "<code>code *x*</code>",
                 '<a href="https://example.org/x">https://example.org/x</a>.'):
        assert part in a
    assert "<b>Answers:</b>The suitcase" in back(rendered, "Loose bold")
    assert "<b>&quot;인용&quot;</b>은" in back(rendered, "Loose bold") or '<b>"인용"</b>은' in back(rendered, "Loose bold")


def test_context_and_sources_are_plain_text(rendered):
    q, a, note = rendered["Spaced math"]
    assert note["Context"] == "Markup in headings"  # the note's title heading is not repeated, ** is gone
    assert "**" not in visible(a)
    assert note["Source"] == "Render forms · 2024-05-01 · Markup in headings · forms.md:12"


def test_an_alias_that_is_the_whole_definition_stays_off_the_front(rendered):
    q, a, note = rendered["Learning rate"]
    assert "step size" not in visible(q) and "step size" in visible(a)


def test_merged_card_leads_with_one_explanation_and_links_every_source(rendered):
    q, a, note = rendered["Highlight"]
    assert a.count('<hr class="sep">') == 1
    assert visible(a).count("Render forms") == 1 and visible(a).count("Second note") == 1  # once each
    assert "forms.md:9, second.md:6" in note["Source"] or "second.md:6, forms.md:9" in note["Source"]
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', note["Link"])]
    assert len(links) == 2
    assert any(h.startswith("obsidian://open?vault=vault&file=forms") for h in links)
    assert "https://github.com/me/notes/blob/main/second.md" in links
    assert not any("file:" in h for t in rendered for h in re.findall(r'href="([^"]+)"', rendered[t][1]))


def test_long_merged_backs_stay_compact():
    from cards.export import BACK_BUDGET, packed_fields
    long = "\n".join(f"설명 줄 {i}: " + "가" * 80 for i in range(12))
    expl = [(long, f"/n/{k}.md", 1, [f"Section {k}"], "B101", f"Note {k}", "", []) for k in range(6)]
    fields = packed_fields("ReLU", [], expl)
    text = visible(fields["Definition"])
    assert len(text) < 2 * BACK_BUDGET  # the first explanation in full, the rest compact
    assert "Also in:" in text and "Note 5" in text  # nothing silently lost: where the rest is


def test_fenced_code_in_a_definition_stays_a_code_block():
    out = definition_html("코드로 보면:\n```python\nx = 1 < 2\n  y = [a](b)\n```\n끝")
    assert "<pre><code>x = 1 &lt; 2\n  y = [a](b)</code></pre>" in out
    assert out.count("<li>") == 3
