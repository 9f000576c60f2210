"""`cards preview`: the page's content, its safety, and a real headless browser driving it."""
from __future__ import annotations

import html
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
                                "- Adam : 옵티마이저\n- 꿀팁 : 이건 카드가 아님\n", encoding="utf-8")
    return notes


def test_page_shows_every_card_once_with_the_export_renderer(tmp_path):
    notes = REPO / "examples" / "notes"
    _, page = write_preview(tmp_path, notes)
    res = build([notes], load_rules(REPO / "rules"), cache_dir=None)
    assert page.count('<article class="c"') == len(res.cards)
    assert f"Cards (<span id=\"count\">{len(res.cards)}</span>)" in page
    assert f"Rejected ({len(res.rejections)})" in page
    for deck in {c.deck for c in res.cards}:
        assert f"<h2>{html.escape(deck)} <small>" in page  # deck names may hold '&' (Statistics & Math)
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
