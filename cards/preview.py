"""A self-contained HTML preview of the deck: the cards as Anki will show them, and what was rejected.

The card HTML comes from the export's own code path (`export.note_fields`, the note type's
templates and CSS), so the preview cannot drift from what Anki receives. Images are
inlined as data: URIs; nothing on the page loads from the network.
"""
from __future__ import annotations

import base64
import html
import mimetypes
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from .export import BACK_TEMPLATE, CSS, FRONT_TEMPLATE, Media, note_fields
from .notes import display

_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.S)
_FIELD = re.compile(r"\{\{([^#^/}][^}]*)\}\}")


def fill(template: str, fields: dict[str, str], front: str = "") -> str:
    """Anki's template language as far as the note type uses it: {{Field}}, {{#Field}}…{{/Field}}, {{FrontSide}}."""
    def section(m: re.Match) -> str:
        on = bool(fields.get(m.group(2).strip(), "").strip())
        return m.group(3) if on == (m.group(1) == "#") else ""
    out = _SECTION.sub(section, template)
    return _FIELD.sub(lambda m: front if m.group(1).strip() == "FrontSide" else fields.get(m.group(1).strip(), ""),
                      out)


def _inline_images(markup: str, media: Media) -> str:
    def data_uri(m: re.Match) -> str:
        path = media.packed.get(m.group(1))
        if path is None:
            return m.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'src="data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"'
    return re.sub(r'src="(cards-[0-9a-f]{16}[.\w]*)"', data_uri, markup)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


PAGE_CSS = """
:root { color-scheme: light dark; }
body { margin: 0; font-family: -apple-system, "Apple SD Gothic Neo", "Noto Sans KR", "Malgun Gothic", "Segoe UI",
  sans-serif; background: #eef0f3; color: #1d1d1f; }
header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #d9dce2;
  padding: 10px 18px; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0 8px 0 0; }
.tabs button { font: inherit; border: 1px solid #c9ccd3; background: #f6f7f9; padding: 5px 12px; border-radius: 6px;
  cursor: pointer; }
.tabs button[aria-selected="true"] { background: #2f5d9b; border-color: #2f5d9b; color: #fff; }
#q { font: inherit; padding: 6px 10px; border: 1px solid #c9ccd3; border-radius: 6px; min-width: 260px; }
#shown { color: #5b6270; font-size: 14px; }
main { padding: 14px 18px 60px; }
section.deck > h2 { font-size: 16px; margin: 22px 0 10px; color: #2f3640; }
article.c { content-visibility: auto; contain-intrinsic-size: 220px; background: #fff; border: 1px solid #dde0e6;
  border-radius: 10px; margin: 0 0 12px; overflow: hidden; }
article.c .faces { display: grid; grid-template-columns: 1fr 1fr; }
article.c .face { border-right: 1px solid #eceef2; min-width: 0; }
article.c .face:last-child { border-right: none; }
article.c .label { font-size: 11px; letter-spacing: .04em; text-transform: uppercase; color: #8a909c;
  padding: 8px 12px 0; }
article.c .meta { font-size: 12px; color: #5b6270; padding: 6px 12px 9px; border-top: 1px solid #eceef2;
  background: #fafbfc; }
article.c .meta code { background: #eef0f4; padding: 0 4px; border-radius: 3px; }
[hidden] { display: none !important; }
table.rej { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
table.rej th, table.rej td { border-bottom: 1px solid #eceef2; padding: 6px 8px; text-align: left; vertical-align: top; }
table.rej th { background: #f6f7f9; position: sticky; top: 52px; }
.reason { font-weight: 600; white-space: nowrap; }
.empty { color: #5b6270; padding: 30px 0; }
@media (max-width: 760px) { article.c .faces { grid-template-columns: 1fr; } article.c .face { border-right: none; } }
"""

PAGE_JS = """
(function () {
  var q = document.getElementById('q'), shown = document.getElementById('shown');
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.c'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.r'));
  var decks = Array.prototype.slice.call(document.querySelectorAll('section.deck'));
  var timer = null;
  function apply() {
    var needle = q.value.trim().toLowerCase(), n = 0, m = 0;
    cards.forEach(function (c) { var hit = !needle || c.dataset.text.indexOf(needle) >= 0; c.hidden = !hit; if (hit) n++; });
    rows.forEach(function (r) { var hit = !needle || r.dataset.text.indexOf(needle) >= 0; r.hidden = !hit; if (hit) m++; });
    decks.forEach(function (d) { d.hidden = !d.querySelector('article.c:not([hidden])'); });
    shown.textContent = n + ' of ' + cards.length + ' cards shown' + (needle ? ', ' + m + ' rejected match' : '');
    shown.dataset.count = n;
  }
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  document.querySelectorAll('.tabs button').forEach(function (b) {
    b.addEventListener('click', function () {
      document.querySelectorAll('.tabs button').forEach(function (x) { x.setAttribute('aria-selected', x === b); });
      document.getElementById('cards').hidden = b.dataset.tab !== 'cards';
      document.getElementById('rejected').hidden = b.dataset.tab !== 'rejected';
    });
  });
  apply();
})();
"""


def render_page(res, media_roots: list[Path], title: str = "cards preview") -> tuple[str, list]:
    """The whole preview page for a pipeline Result, and the media warnings met while rendering it."""
    by_deck: dict[str, list] = defaultdict(list)
    for c in res.cards:
        by_deck[c.deck].append(c)
    parts: list[str] = []
    from .runner import temp_prefix
    with tempfile.TemporaryDirectory(prefix=temp_prefix("preview")) as staging:
        media = Media(media_roots, Path(staging))
        for deck in sorted(by_deck):
            cards = by_deck[deck]
            parts.append(f'<section class="deck"><h2>{_esc(deck)} <small>({len(cards)})</small></h2>')
            for c in cards:
                fields = note_fields(c, media=media)
                front = fill(FRONT_TEMPLATE, fields)
                back = fill(BACK_TEMPLATE, fields, front=front)
                front, back = _inline_images(front, media), _inline_images(back, media)
                sources = "; ".join(f"{_esc(display(e.source.path))}:{e.source.line} <code>{_esc(e.rule)}</code>"
                                    + (f" › {_esc(' › '.join(e.context))}" if e.context else "")
                                    + "".join(f"; {_esc(display(a.path))}:{a.line}" for a in e.also_in)
                                    for e in c.explanations)
                text = " ".join([c.term, *c.aliases, c.definition, deck, *(display(e.source.path) for e in c.explanations)])
                parts.append(
                    f'<article class="c" data-text="{_esc(text.lower())}">'
                    f'<div class="faces"><div class="face"><div class="label">Front</div><div class="card">{front}'
                    f'</div></div><div class="face"><div class="label">Back</div><div class="card">{back}</div></div>'
                    f'</div><div class="meta">{sources} · topic: {_esc(c.topic_reason or c.topic)}</div></article>')
            parts.append("</section>")
        warnings = media.warnings
    if not res.cards:
        parts.append('<p class="empty">No cards.</p>')
    rows = []
    for r in res.rejections:
        text = " ".join([r.term, r.reason, r.rule, display(r.source.path), r.definition]).lower()
        rows.append(f'<tr class="r" data-text="{_esc(text)}"><td class="reason">{_esc(r.reason)}</td>'
                    f'<td><code>{_esc(r.rule)}</code></td><td>{_esc(r.term)}</td>'
                    f'<td>{_esc(r.definition[:160])}</td><td>{_esc(display(r.source.path))}:{r.source.line}</td>'
                    f'<td>{_esc(r.detail)}</td></tr>')
    rejected = ('<table class="rej"><thead><tr><th>Reason</th><th>Pattern</th><th>Term</th><th>Text</th>'
                '<th>Source</th><th>Detail</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>") \
        if rows else '<p class="empty">Nothing was rejected.</p>'
    n, m = len(res.cards), len(res.rejections)
    page = f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{_esc(title)}</title>
<style>{CSS}</style><style>{PAGE_CSS}</style></head>
<body>
<header><h1>{_esc(title)}</h1>
<div class="tabs"><button data-tab="cards" aria-selected="true">Cards (<span id="count">{n}</span>)</button>
<button data-tab="rejected" aria-selected="false">Rejected ({m})</button></div>
<input id="q" type="search" placeholder="Search term, definition, deck, file" autocomplete="off">
<span id="shown" data-count="{n}"></span></header>
<main><div id="cards">{''.join(parts)}</div><div id="rejected" hidden>{rejected}</div></main>
<script>{PAGE_JS}</script>
</body></html>
"""
    return page, warnings
