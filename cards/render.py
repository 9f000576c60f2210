"""One renderer for card HTML, used by the Anki export and by the preview alike.

Notes are Markdown written by people (and sometimes pasted web pages), so the rule is:
everything the note says is escaped text, and only the light Markdown we recognise
becomes HTML — bold, italic, code, links with safe schemes, images we packed, math
as MathJax `\\(…\\)` / `\\[…\\]`. A card can never carry a script, an event handler or
a `javascript:` link.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Callable

# Order matters: code first (nothing inside code is Markdown), then math, images, links.
# The lookahead lists every character an alternative can start with, so the engine skips
# plain text without trying the fifteen alternatives at each position.
# Linear on any line: no body may run over the next opener of its own kind (a link's text stops
# at `[`, a URL at `(` unless it closes, `\(…\)` math at the next `\(`), so a line of 50,000 `[`
# is not searched to its end from every `[`; and a code span's closing backticks are found by
# `_code_closers`, not by a backreference that backtracks over the opening run.
_HREF = r"(?:[^()\s]|\([^()\s]*\))+"  # one level of parentheses, as in Wikipedia links
_INLINE = re.compile(
    r"(?=[`$\\!\[hw*_~<])(?:"
    r"(?P<ticks>(?<!`)`+)"
    r"|(?P<dmath>\$\$(?P<dmath_body>.+?)\$\$)"
    r"|(?P<pmath>\\\((?P<pmath_body>(?:[^\\]|\\(?!\())+?)\\\))"
    r"|(?P<bmath>\\\[(?P<bmath_body>(?:[^\\]|\\(?!\[))+?)\\\])"
    r"|(?P<imath>(?<![\\$\w])\$(?P<imath_body>[^$\s](?:[^$\n]*?[^$\s\\])?)\$(?![\w$]))"
    r"|(?P<wimg>!\[\[(?P<wimg_src>[^\[\]|]+)(?:\|[^\[\]]*)?\]\])"
    rf"|(?P<img>!\[(?P<img_alt>[^\[\]]*)\]\((?P<img_src>{_HREF})(?:\s+\"[^\"]*\")?\))"
    r"|(?P<wiki>\[\[(?:(?P<wiki_target>[^\[\]|]*)\|)?(?P<wiki_text>[^\[\]]+)\]\])"
    rf"|(?P<link>\[(?P<link_text>[^\[\]]+)\]\((?P<link_href>{_HREF})(?:\s+\"[^\"]*\")?\))"
    r"|(?P<url>(?:https?://|www\.)[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"])"
    r"|(?P<bold>\*\*(?P<bold_body>[^*]+?)\*\*|__(?P<bold_body2>[^_]+?)__)"
    r"|(?P<strike>~~(?P<strike_body>[^~]+?)~~)"
    r"|(?P<ital>(?<![\w*])\*(?P<ital_body>[^*\s](?:[^*]*?[^*\s])?)\*(?![\w*]))"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<comment><!--.*?(?:-->|$)))",
    re.I | re.S,
)
SAFE_SCHEMES = ("http://", "https://", "obsidian://", "file://", "mailto:")
# The media a card may show (export.py packs nothing else); audio and video play through Anki's [sound:…].
MEDIA_EXTENSIONS = {
    "image": {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff", ".avif", ".heic", ".svg"},
    "audio": {".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac", ".aac"},
    "video": {".mp4", ".m4v", ".webm", ".mov", ".ogv", ".mkv"},
}
_PLAYED = tuple(MEDIA_EXTENSIONS["audio"] | MEDIA_EXTENSIONS["video"])

ImageResolver = Callable[[str], "str | None"]  # note's image reference → packed file name, or None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def safe_href(href: str) -> str | None:
    h = href.strip()
    low = re.sub(r"[\s\x00-\x1f]", "", h).lower()
    if low.startswith("www."):
        return "https://" + h
    if low.startswith(SAFE_SCHEMES):
        return h
    return None


def _code_closers(text: str) -> dict[int, tuple[int, int]]:
    """Each backtick run's start → the (start, end) of the run that closes it: the next run of the same
    length (CommonMark's rule), found in one pass from the end."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    closer: dict[int, tuple[int, int]] = {}
    next_of_len: dict[int, tuple[int, int]] = {}
    for start, end in reversed(runs):
        found = next_of_len.get(end - start)
        if found is not None:
            closer[start] = found
        next_of_len[end - start] = (start, end)
    return closer


def inline(text: str, images: ImageResolver | None = None) -> str:
    """Render one line of note text to safe HTML."""
    out: list[str] = []
    pos = 0
    closers = None
    search = _INLINE.search
    m = search(text)
    while m is not None:
        kind = m.lastgroup  # the outer alternative: each closes after its inner groups
        if kind == "ticks":
            if closers is None:
                closers = _code_closers(text)
            close = closers.get(m.start())
            if close is None:  # no closing run: the backticks are text
                m = search(text, m.end())
                continue
            out.append(_esc(text[pos:m.start()]))
            out.append(f"<code>{_esc(text[m.end():close[0]])}</code>")
            pos = close[1]
            m = search(text, pos)
            continue
        out.append(_esc(text[pos:m.start()]))
        pos = m.end()
        cur, m = m, search(text, pos)
        if kind in ("dmath", "bmath"):
            body = cur.group("dmath_body") if kind == "dmath" else cur.group("bmath_body")
            whole_line = text.strip() == cur.group(0).strip()
            out.append(("\\[" if whole_line else "\\(") + _esc(body.strip()) + ("\\]" if whole_line else "\\)"))
        elif kind == "pmath":
            out.append("\\(" + _esc(cur.group("pmath_body")) + "\\)")
        elif kind == "imath":
            out.append("\\(" + _esc(cur.group("imath_body")) + "\\)")
        elif kind in ("wimg", "img"):
            src = cur.group("wimg_src") if kind == "wimg" else cur.group("img_src")
            alt = (cur.group("img_alt") or "") if kind == "img" else src
            packed = images(src) if images else None
            if packed and packed.lower().endswith(_PLAYED):
                out.append(f"[sound:{_esc(packed)}]")
            elif packed:
                out.append(f'<img src="{_esc(packed)}" alt="{_esc(alt)}">')
            else:
                out.append(f'<span class="missing-image">[{_esc(alt or src)}]</span>')
        elif kind == "wiki":
            out.append(_esc(cur.group("wiki_text")))
        elif kind == "link":
            href = safe_href(cur.group("link_href"))
            label = inline(cur.group("link_text"), images)
            out.append(f'<a href="{_esc(href)}">{label}</a>' if href else label)
        elif kind == "url":
            href = safe_href(cur.group("url"))
            out.append(f'<a href="{_esc(href)}">{_esc(cur.group("url"))}</a>' if href else _esc(cur.group("url")))
        elif kind == "bold":
            out.append(f"<b>{inline(cur.group('bold_body') or cur.group('bold_body2'), images)}</b>")
        elif kind == "strike":
            out.append(f"<s>{inline(cur.group('strike_body'), images)}</s>")
        elif kind == "ital":
            out.append(f"<i>{inline(cur.group('ital_body'), images)}</i>")
        elif kind == "br":
            out.append("<br>")
        # comments are dropped
    out.append(_esc(text[pos:]))
    return "".join(out)


def definition_html(text: str, images: ImageResolver | None = None) -> str:
    """A definition (one explanation) as HTML: one line inline, several lines as a nested list.

    Lines indented by two spaces per level (as the extractor writes nested bullets) nest.
    """
    if "![" not in text:  # without images the result does not depend on the resolver
        return _definition_html_cached(text)
    return _definition_html(text, images)


@lru_cache(maxsize=65536)
def _inline_cached(line: str) -> str:
    return inline(line)


@lru_cache(maxsize=16384)
def _definition_html_cached(text: str) -> str:
    return _definition_html(text, None)


def _definition_html(text: str, images: ImageResolver | None) -> str:
    lines = [ln.rstrip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        return ""
    if len(lines) == 1:
        body = lines[0].strip()
        return _inline_cached(body) if "![" not in body else inline(body, images)
    out: list[str] = []
    depth = -1
    for ln in lines:
        level = (len(ln) - len(ln.lstrip(" "))) // 2
        level = min(level, depth + 1)
        while depth < level:
            out.append("<ul>")
            depth += 1
        while depth > level:
            out.append("</li></ul>")
            depth -= 1
        if out and out[-1] != "<ul>":
            out.append("</li>")
        body = ln.strip()
        out.append("<li>" + (_inline_cached(body) if "![" not in body else inline(body, images)))
    while depth >= 0:
        out.append("</li></ul>")
        depth -= 1
    return "".join(out)


def term_html(term: str) -> str:
    return inline(term)
