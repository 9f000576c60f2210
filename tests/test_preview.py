"""`cards preview`: the page's content, its safety, and a real headless browser driving it."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cards.cli import main
from cards.export import BACK_TEMPLATE, FRONT_TEMPLATE, note_fields
from cards.pipeline import build
from cards.preview import fill
from cards.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def write_preview(tmp_path: Path, notes: Path) -> tuple[Path, str]:
    out = tmp_path / "preview.html"
    r = CliRunner().invoke(main, ["preview", str(notes), "-o", str(out), "--no-cache", "--rules", str(REPO / "rules")])
    assert r.exit_code == 0, r.output
    return out, out.read_text(encoding="utf-8")


@pytest.fixture
def hostile(tmp_path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "x.md").write_text("- XSS : 주의 <script>alert(1)</script> <img src=x onerror=alert(1)> "
                                "[x](javascript:alert(1)) </script><script>alert(2)</script>\n"
                                "- Adam : 적응형 학습률 옵티마이저\n- 꿀팁 : 이건 카드가 아님\n", encoding="utf-8")
    return notes


def test_page_shows_every_card_once_with_the_export_renderer(tmp_path):
    notes = REPO / "examples" / "notes"
    _, page = write_preview(tmp_path, notes)
    res = build([notes], load_rules(REPO / "rules"), cache_dir=None)
    assert len(re.findall(r'<article class="c[ "]', page)) == len(res.cards)
    assert f"Cards (<span id=\"count\">{len(res.cards)}</span>)" in page
    assert f"Rejected (<span id=\"rcount\">{len(res.rejections)}</span>)" in page
    for deck in {c.deck for c in res.cards}:
        assert f"<h2>{deck} <small>" in page
    card = next(c for c in res.cards if c.term == "Adam")
    fields = note_fields(card)
    assert fill(BACK_TEMPLATE, fields, front=fill(FRONT_TEMPLATE, fields)) in page  # the export's own HTML
    assert "data:image/png;base64," in page  # the example image is inlined


def test_page_loads_nothing_from_the_network(tmp_path):
    _, page = write_preview(tmp_path, REPO / "examples" / "notes")
    for tag, attr, value in re.findall(r"<(script|link|img|iframe|source|video|audio)\b[^>]*?\b(src|href)=\"([^\"]*)\"",
                                       page):
        assert value.startswith("data:"), (tag, attr, value)
    assert "<link" not in page and "@import" not in page


def test_hostile_note_is_escaped(tmp_path, hostile):
    _, page = write_preview(tmp_path, hostile)
    assert page.count("<script>") == 1  # the page's own script, nothing from the note
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page.lower() and "<img src=x" not in page


def test_fill_mustache():
    assert fill("{{#A}}[{{A}}]{{/A}}{{^B}}no B{{/B}}", {"A": "a", "B": ""}) == "[a]no B"
    assert fill("{{FrontSide}}|{{B}}", {"B": "b"}, front="F") == "F|b"


def test_nothing_readable_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(main, ["preview", str(tmp_path / "empty"), "-o", str(tmp_path / "p.html"), "--no-cache"])
    assert r.exit_code == 1 and not (tmp_path / "p.html").exists()


# -- a real browser -------------------------------------------------------------------------

def _browser():
    if not CHROMIUM:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium); browser test skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")
    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])
    return pw, browser


def wait_until(page, predicate, timeout: float = 10.0) -> None:
    """Poll from Python: the page's Content-Security-Policy (rightly) forbids eval-based waits."""
    import time
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out waiting for the page"
        page.wait_for_timeout(50)


@pytest.fixture
def page():
    pw, browser = _browser()
    pg = browser.new_page(viewport={"width": 1200, "height": 900})
    pg.errors, pg.dialogs = [], []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    browser.close()
    pw.stop()


def test_browser_loads_filters_and_switches_tabs(tmp_path, page, hostile):
    (hostile / "more.md").write_text((REPO / "examples" / "notes" / "vault" / "Vision.md").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    out, _ = write_preview(tmp_path, hostile)
    res = build([hostile], load_rules(REPO / "rules"), cache_dir=None)
    page.goto(out.as_uri())
    page.wait_for_selector("#shown[data-count]")
    assert page.locator("article.c:visible").count() == len(res.cards)
    assert page.inner_text("#shown").startswith(f"{len(res.cards)} of {len(res.cards)}")
    page.fill("#q", "pooling")
    wait_until(page, lambda: int(page.get_attribute("#shown", "data-count")) < len(res.cards))
    visible = page.locator("article.c:visible").count()
    assert 0 < visible == sum("pooling" in (c.term + c.definition).lower() for c in res.cards)
    page.fill("#q", "")
    wait_until(page, lambda: int(page.get_attribute("#shown", "data-count")) == len(res.cards))
    page.click("button[data-tab=rejected]")
    assert page.locator("#rejected").is_visible() and not page.locator("#cards").is_visible()
    assert "stop-term" in page.inner_text("#rejected")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.click("button[data-tab=cards]")
    page.screenshot(path=str(ARTIFACTS / "preview.png"), full_page=False)
    assert page.errors == [] and page.dialogs == []


def test_browser_handles_5000_cards(tmp_path, page):
    notes = tmp_path / "big"
    notes.mkdir()
    for n in range(50):
        (notes / f"n{n}.md").write_text("".join(f"- Term{n}x{i} : definition {i} of note {n}, with **bold** and "
                                                f"`code`\n" for i in range(100)), encoding="utf-8")
    out, _ = write_preview(tmp_path, notes)
    page.goto(out.as_uri())
    page.wait_for_selector("#shown[data-count]")
    assert page.get_attribute("#shown", "data-count") == "5000"
    page.fill("#q", "term7x9")
    wait_until(page, lambda: page.get_attribute("#shown", "data-count") != "5000")
    assert page.locator("article.c:visible").count() == 11  # Term7x9 and Term7x90..99
    assert page.errors == []


# -- math, search and narrow screens -------------------------------------------------------

SEARCH_NOTES = """# Optimizers

- Gradient Descent : 기울기 반대로 이동. 변형으로 Adagrad, RMSprop이 있고 adagrad는 학습률을 나눈다
- Adagrad : 누적 gradient 제곱합 $G_t$로 학습률을 나눔, $$\\eta / \\sqrt{G_t + \\epsilon}$$ 꼴
- Momentum : 관성을 더함
"""


def _script_hashes_match(html_page: str) -> None:
    import base64
    import hashlib
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html_page).group(1)
    script_src = re.search(r"script-src ([^;]+)", policy).group(1).split()
    scripts = re.findall(r"<script>(.*?)</script>", html_page, re.S)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert sorted(script_src) == sorted(
        "'sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() + "'" for js in scripts)


def test_page_allows_only_its_own_scripts_and_bundles_mathjax_only_for_math(tmp_path, hostile):
    notes = tmp_path / "math"
    notes.mkdir()
    (notes / "n.md").write_text(SEARCH_NOTES, encoding="utf-8")
    _, with_math = write_preview(tmp_path, notes)
    _script_hashes_match(with_math)
    assert with_math.count("<script>") == 3 and "MathJax" in with_math and 'class="c has-math"' in with_math
    out2 = tmp_path / "plain.html"
    r = CliRunner().invoke(main, ["preview", str(hostile), "-o", str(out2), "--no-cache", "--rules", str(REPO / "rules")])
    assert r.exit_code == 0
    plain = out2.read_text(encoding="utf-8")
    _script_hashes_match(plain)
    assert plain.count("<script>") == 1 and "tex-svg" not in plain and "MathJax.startup" in plain


def test_browser_typesets_math_ranks_highlights_and_counts(tmp_path, page):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_text(SEARCH_NOTES, encoding="utf-8")
    (notes / "vision.md").write_text((REPO / "examples" / "notes" / "vault" / "Vision.md").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    out, _ = write_preview(tmp_path, notes)
    page.goto(out.as_uri())
    page.wait_for_selector("#shown[data-count]")
    total = int(page.get_attribute("#shown", "data-count"))
    page.fill("#q", "adagrad")
    wait_until(page, lambda: page.get_attribute("#shown", "data-count") != str(total))
    n = int(page.get_attribute("#shown", "data-count"))
    terms = [page.locator("article.c:visible").nth(i).get_attribute("data-term") for i in range(n)]
    assert terms[0] == "adagrad" and "gradient descent" in terms  # the card named by the search first
    assert "momentum" not in terms and page.locator("article.c[data-term=momentum]").count() == 1
    assert page.inner_text("#count") == f"{n} of {total}"
    deck_counts = [t for t in page.locator("section.deck:visible .n").all_inner_texts()]
    assert deck_counts and all(re.fullmatch(r"\d+ of \d+", t) for t in deck_counts)
    assert int(page.get_attribute("#shown", "data-highlights")) >= 4  # both terms and the definition's two
    wait_until(page, lambda: int(page.get_attribute("body", "data-typeset") or 0) >= 1)
    adagrad = page.locator("article.c:visible").first
    assert adagrad.locator("mjx-container").count() >= 2 and "\\(" not in adagrad.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "preview-search.png"))
    page.fill("#q", "")
    wait_until(page, lambda: page.get_attribute("#shown", "data-count") == str(total))
    assert page.inner_text("#count") == str(total)
    assert page.errors == []  # no blocked script, no MathJax error


def test_browser_rejected_tab_fits_a_phone(tmp_path, page, hostile):
    long_line = "- " + "아주 긴 줄 " * 40 + ": " + "x" * 300 + "\n"
    (hostile / "long.md").write_text("- 꿀팁 : " + "https://example.com/" + "a" * 200 + "\n" + long_line,
                                     encoding="utf-8")
    out, _ = write_preview(tmp_path, hostile)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(out.as_uri())
    page.wait_for_selector("#shown[data-count]")
    page.click("button[data-tab=rejected]")
    assert page.locator("#rejected tr.r").count() >= 2
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "preview-phone-rejected.png"))
    page.click("button[data-tab=cards]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "preview-phone-cards.png"))


# -- cards as Anki renders them, at desktop and phone width, light and night ---------------

SHOWN = ["Highlight", "Spaced math", "Particle math", "Escaped paren", "Display math", "Obsidian image",
         "Kramdown image", "Missing image", "Learning rate", "Formatting", "Loose bold", "Hostile"]


def test_card_screenshots_light_and_night(tmp_path, page):
    """The fixture of every form, imported into Anki and rendered with card.answer(), shown the way
    Anki's webview shows it (the card's own style sheet, MathJax 3, `.nightMode` in night mode)."""
    anki_collection = pytest.importorskip("anki.collection")
    from cards.preview import MATHJAX_CONFIG, _mathjax
    from tests.test_card_render import FORMS, OTHER
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "img").mkdir()
    (vault / "forms.md").write_text(FORMS, encoding="utf-8")
    (vault / "second.md").write_text(OTHER, encoding="utf-8")
    png = next((REPO / "examples").rglob("*.png"))
    shutil.copy(png, vault / "img" / "my diagram.png")
    shutil.copy(png, vault / "img" / "d.png")
    r = CliRunner().invoke(main, ["export", str(vault), "--out", str(tmp_path / "d"), "--no-cache", "--rules",
                                  str(REPO / "rules")])
    assert r.exit_code == 0, r.output
    col = anki_collection.Collection(str(tmp_path / "c.anki2"))
    try:
        col.import_anki_package(anki_collection.ImportAnkiPackageRequest(
            package_path=str(tmp_path / "d" / "Study Notes.apkg"),
            options=col._backend.get_import_anki_package_presets()))
        media = Path(col.media.dir())
        answers = {}
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            answers[note["Term"]] = note.cards()[0].answer()
    finally:
        col.close()
    assert set(SHOWN) <= answers.keys()
    scripts = f"<script>{MATHJAX_CONFIG.replace('typeset: false', 'typeset: true')}</script><script>{_mathjax()}</script>"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for night in (False, True):
        body = "".join(f'<section style="border-bottom:6px solid #8884; padding-bottom:8px">{answers[t]}</section>'
                       for t in SHOWN)
        doc = tmp_path / f"cards-{'night' if night else 'light'}.html"
        doc.write_text(f'<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
                       f'content="width=device-width, initial-scale=1">{scripts}</head>'
                       f'<body class="card{" nightMode night_mode" if night else ""}">{body}</body></html>',
                       encoding="utf-8")
        for p in media.iterdir():  # Anki shows the media folder's files by name
            shutil.copy(p, tmp_path / p.name)
        for name, width in (("desktop", 1000), ("phone", 360)):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(doc.as_uri())
            formulas = body.count("\\(") + body.count("\\[")
            wait_until(page, lambda: page.locator("mjx-container").count() == formulas >= 3, timeout=30)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(ARTIFACTS / f"cards-{name}-{'night' if night else 'light'}.png"), full_page=True)
    assert page.errors == []
