"""A self-contained HTML preview of the deck: the cards as Anki will show them, and what was rejected.

The card HTML comes from the export's own code path (`export.note_fields`, the note type's
templates and CSS), so the preview cannot drift from what Anki receives. Images are
inlined as data: URIs; nothing on the page loads from the network. Math is typeset by
MathJax 3, as in Anki, from a copy installed with the package (`django-static-mathjax`)
and inlined into the page; the page's Content-Security-Policy allows exactly the page's
own scripts (by their SHA-256), so nothing a note says can run.
"""
from __future__ import annotations

import base64
import hashlib
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
#q { font: inherit; padding: 6px 10px; border: 1px solid #c9ccd3; border-radius: 6px; flex: 1 1 220px;
  min-width: 0; max-width: 420px; }
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
table.rej { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; table-layout: fixed; }
table.rej th, table.rej td { border-bottom: 1px solid #eceef2; padding: 6px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
table.rej th { background: #f6f7f9; position: sticky; top: 52px; }
table.rej col.w-reason { width: 9em; } table.rej col.w-rule { width: 5em; } table.rej col.w-src { width: 14em; }
.reason { font-weight: 600; }
.empty { color: #5b6270; padding: 30px 0; }
::highlight(hit) { background: #ffd84d; color: #1d1d1f; }
@media (max-width: 760px) {
  header { padding: 8px 10px; gap: 8px; } main { padding: 10px 8px 40px; }
  article.c .faces { grid-template-columns: 1fr; } article.c .face { border-right: none; }
  table.rej, table.rej tbody, table.rej tr, table.rej td { display: block; width: auto; }
  table.rej thead, table.rej colgroup { display: none; }
  table.rej tr { border-bottom: 1px solid #dde0e6; padding: 6px 0; }
  table.rej td { border: none; padding: 1px 8px; }
  table.rej td:empty { display: none; }
}
"""

PAGE_JS = """
(function () {
  var q = document.getElementById('q'), shown = document.getElementById('shown'), count = document.getElementById('count');
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.c'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.r'));
  var decks = Array.prototype.slice.call(document.querySelectorAll('section.deck'));
  var main = document.getElementById('cards'), timer = null;
  decks.forEach(function (d, i) { d.dataset.i = i; });
  cards.forEach(function (c, i) { c.dataset.i = i; });
  // how well a card answers the search: its term first, then a name, then its text
  function score(c, needle) {
    var term = c.dataset.term, names = c.dataset.names, text = c.dataset.text;
    if (term === needle) return 100;
    if (term.indexOf(needle) === 0) return 80;
    if (term.indexOf(needle) >= 0) return 60;
    if (names.indexOf(needle) >= 0) return 50;
    var at = text.indexOf(needle);
    if (at < 0) return 0;
    var n = 0; while (at >= 0 && n < 9) { n++; at = text.indexOf(needle, at + needle.length); }
    return 10 + n;
  }
  function byScore(a, b) { return b.s - a.s || a.i - b.i; }
  function highlight(needle) {
    if (!window.CSS || !CSS.highlights || typeof Highlight === 'undefined') return 0;
    CSS.highlights.delete('hit');
    if (!needle) return 0;
    var ranges = [];
    for (var k = 0; k < cards.length && ranges.length < 2000; k++) {
      var c = cards[k]; if (c.hidden) continue;
      var walk = document.createTreeWalker(c.querySelector('.faces'), NodeFilter.SHOW_TEXT), node;
      while ((node = walk.nextNode())) {
        var low = node.data.toLowerCase(), at = low.indexOf(needle);
        while (at >= 0) {
          var r = new Range(); r.setStart(node, at); r.setEnd(node, at + needle.length); ranges.push(r);
          at = low.indexOf(needle, at + needle.length);
        }
      }
    }
    CSS.highlights.set('hit', new Highlight(...ranges));
    return ranges.length;
  }
  function apply() {
    var needle = q.value.trim().toLowerCase(), n = 0, m = 0;
    var order = decks.map(function (d) {
      var list = Array.prototype.slice.call(d.querySelectorAll('article.c')).map(function (c) {
        var s = needle ? score(c, needle) : 1; c.hidden = !s; if (s) n++;
        return {c: c, s: s, i: +c.dataset.i};
      });
      var hits = list.filter(function (x) { return x.s; });
      list.sort(byScore).forEach(function (x) { d.appendChild(x.c); });
      d.hidden = !hits.length;
      var total = list.length, label = d.querySelector('.n');
      label.textContent = needle ? hits.length + ' of ' + total : total;
      return {d: d, s: hits.length ? Math.max.apply(null, hits.map(function (x) { return x.s; })) : 0, i: +d.dataset.i};
    });
    order.sort(byScore).forEach(function (x) { main.appendChild(x.d); });
    rows.forEach(function (r) { var hit = !needle || r.dataset.text.indexOf(needle) >= 0; r.hidden = !hit; if (hit) m++; });
    count.textContent = needle ? n + ' of ' + cards.length : cards.length;
    document.getElementById('rcount').textContent = needle ? m + ' of ' + rows.length : rows.length;
    shown.textContent = n + ' of ' + cards.length + ' cards shown' + (needle ? ', ' + m + ' rejected match' : '');
    shown.dataset.highlights = highlight(needle);
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
  // math: typeset by MathJax, as Anki does, card by card as they come into view
  if (window.MathJax && MathJax.startup) {
    MathJax.startup.promise.then(function () {
      var todo = Array.prototype.slice.call(document.querySelectorAll('article.c.has-math'));
      var done = document.body.dataset.typeset = 0;
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          if (!e.isIntersecting) return;
          io.unobserve(e.target);
          MathJax.typesetPromise([e.target]).then(function () { document.body.dataset.typeset = ++done; });
        });
      }, {rootMargin: '600px'});
      todo.forEach(function (c) { io.observe(c); });
    });
  }
})();
"""

MATHJAX_CONFIG = r"""window.MathJax = {tex: {inlineMath: [['\\(', '\\)']], displayMath: [['\\[', '\\]']],
  processEscapes: false}, svg: {fontCache: 'global'}, startup: {typeset: false}, options: {enableMenu: false}};"""


def _mathjax() -> str | None:
    """MathJax 3's single-file TeX-to-SVG build (all TeX extensions, nothing fetched later), or None."""
    try:
        from importlib.resources import files
        return (files("mathjax") / "static" / "mathjax" / "es5" / "tex-svg-full.js").read_text(encoding="utf-8")
    except (ImportError, OSError, ValueError):
        return None


def _sha(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


_HAS_MATH = re.compile(r"\\\(|\\\[")


def render_page(res, media_roots: list[Path], title: str = "cards preview", links=None) -> tuple[str, list]:
    """The whole preview page for a pipeline Result, and the media warnings met while rendering it.

    `links` makes the cards' Link fields as the export does (`export.Links`)."""
    by_deck: dict[str, list] = defaultdict(list)
    for c in res.cards:
        by_deck[c.deck].append(c)
    parts: list[str] = []
    from .runner import temp_prefix
    with tempfile.TemporaryDirectory(prefix=temp_prefix("preview")) as staging:
        media = Media(media_roots, Path(staging))
        for deck in sorted(by_deck):
            cards = by_deck[deck]
            parts.append(f'<section class="deck"><h2>{_esc(deck)} <small>(<span class="n">{len(cards)}</span>)'
                         '</small></h2>')
            for c in cards:
                fields = note_fields(c, media=media, links=links)
                front = fill(FRONT_TEMPLATE, fields)
                back = fill(BACK_TEMPLATE, fields, front=front)
                front, back = _inline_images(front, media), _inline_images(back, media)
                sources = "; ".join(f"{_esc(display(e.source.path))}:{e.source.line} <code>{_esc(e.rule)}</code>"
                                    + (f" › {_esc(' › '.join(e.context))}" if e.context else "")
                                    + "".join(f"; {_esc(display(a.path))}:{a.line}" for a in e.also_in)
                                    for e in c.explanations)
                text = " ".join([c.term, *c.aliases, c.definition, deck,
                                 *(display(e.source.path) for e in c.explanations)])
                math = " has-math" if _HAS_MATH.search(back) else ""
                parts.append(
                    f'<article class="c{math}" data-term="{_esc(c.term.lower())}" '
                    f'data-names="{_esc(" | ".join(c.aliases).lower())}" data-text="{_esc(text.lower())}">'
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
    rejected = ('<table class="rej"><colgroup><col class="w-reason"><col class="w-rule"><col><col><col class="w-src">'
                '<col></colgroup><thead><tr><th>Reason</th><th>Pattern</th><th>Term</th><th>Text</th>'
                '<th>Source</th><th>Detail</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>") \
        if rows else '<p class="empty">Nothing was rejected.</p>'
    n, m = len(res.cards), len(res.rejections)
    body = "".join(parts)
    mathjax = _mathjax() if _HAS_MATH.search(body) else None
    scripts = [MATHJAX_CONFIG, mathjax] if mathjax else []
    scripts.append(PAGE_JS)
    policy = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src "
              + " ".join(_sha(js) for js in scripts))
    page = f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>{_esc(title)}</title>
<style>{CSS}</style><style>{PAGE_CSS}</style></head>
<body>
<header><h1>{_esc(title)}</h1>
<div class="tabs"><button data-tab="cards" aria-selected="true">Cards (<span id="count">{n}</span>)</button>
<button data-tab="rejected" aria-selected="false">Rejected (<span id="rcount">{m}</span>)</button></div>
<input id="q" type="search" placeholder="Search term, definition, deck, file" autocomplete="off">
<span id="shown" data-count="{n}"></span></header>
<main><div id="cards">{body}</div><div id="rejected" hidden>{rejected}</div></main>
{"".join(f"<script>{js}</script>" for js in scripts[:-1])}<script>{scripts[-1]}</script>
</body></html>
"""
    return page, warnings
