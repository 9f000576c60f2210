"""One renderer for card HTML, used by the Anki export and by the preview alike.

Each line of a definition is Markdown as the notes' own renderers read it (Obsidian, kramdown
with MathJax, GitHub): mistune parses it, with its plugins for strikethrough, ==mark==,
H~2~O / x^2^ and bare URLs, plus the few forms a card needs of its own (dollar math as
MathJax `\\(…\\)` / `\\[…\\]`, Obsidian `![[embeds]]` and `[[links]]`, kramdown `{: …}`
attributes dropped, images swapped for the names they are packed under). HTML the author
wrote passes through mistune, and then an allowlist sanitizer, nh3 (the Rust Ammonia
library), keeps what a card may show — tags, attributes, inline styles and URL schemes
listed in `CLEANER` below — and drops the rest: nothing that runs (script, event handlers,
`javascript:`) ever reaches a card.

The definition's own structure (one line, or lines indented two spaces per level as the
extractor writes nested items) becomes a nested list; a fenced code block stays a code
block, and `$$…$$` over several lines stays one display formula.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Callable
from urllib.parse import unquote

import mistune
import nh3
from mistune.core import BlockState
from mistune.plugins.formatting import mark, strikethrough, subscript, superscript
from mistune.plugins.url import url as url_plugin

SAFE_SCHEMES = ("http://", "https://", "obsidian://", "mailto:")
# The media a card may show (export.py packs nothing else); audio and video play through Anki's [sound:…].
MEDIA_EXTENSIONS = {
    "image": {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff", ".avif", ".heic", ".svg"},
    "audio": {".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac", ".aac"},
    "video": {".mp4", ".m4v", ".webm", ".mov", ".ogv", ".mkv"},
}
_PLAYED = tuple(MEDIA_EXTENSIONS["audio"] | MEDIA_EXTENSIONS["video"])

ImageResolver = Callable[[str], "str | None"]  # note's image reference → packed file name, or None

# -- what a card may keep ----------------------------------------------------------------

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "font", "hr", "i", "img", "ins", "kbd",
        "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "font": {"color"},
              "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"}, "ol": {"start"},
              "*": {"style"}}
STYLES = {"color", "background-color", "font-weight", "font-style", "text-decoration", "text-align",
          "vertical-align", "width", "max-width", "height"}
CLASSES = {"span": {"missing-image", "image-link", "math-display"}, "div": {"from", "more", "also"},
           "hr": {"sep"}, "a": {"image-link"}}
_PACKED = re.compile(r"cards-[0-9a-f]{16}(?:\.[a-z0-9]{1,7})?")


def _relative_url(url: str) -> str | None:
    """A relative URL is kept only when it names an image we packed: any other points nowhere in Anki."""
    return url if _PACKED.fullmatch(url) else None


CLEANER = nh3.Cleaner(tags=TAGS, clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                      url_schemes={"http", "https", "mailto", "obsidian"}, allowed_classes=CLASSES,
                      filter_style_properties=STYLES, url_relative=_relative_url, link_rel=None)
TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})


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


# -- mistune: inline rules of our own ------------------------------------------------------

# `$$…$$` (kramdown: inline or display), `$…$` (Obsidian, MathJax in Jekyll pages): a closing
# `$` followed by a digit is a price, not math; what sits right after is free (`$G_t$라는`).
_MATH = (r"\$\$(?P<dmath>(?:[^$\\]|\\[\s\S])+?)\$\$"
         r"|(?<![\\$])\$(?!\$)(?P<imath>(?:[^$\\\n]|\\[^\n])+?)\$(?![\d$])")
_TEXISH = re.compile(r"[\\^_{}=+*/]")


def _parse_math(inline, m: re.Match, state) -> int | None:
    body = m.group("dmath")
    if body is not None:
        whole = not state.src[:m.start()].strip() and not state.src[m.end():].strip()
        state.append_token({"type": "display_math" if whole else "inline_math", "raw": body.strip()})
        return m.end()
    body = m.group("imath")
    stripped = body.strip()
    if not stripped:
        return None
    # `$ x + y $` with spaces inside is math to MathJax (the notes' own renderer), but so would be
    # "$5 and $10": spaces at the edges count only around something TeX-like or a single symbol
    if body != stripped and not (_TEXISH.search(stripped) or len(stripped) == 1):
        return None
    state.append_token({"type": "inline_math", "raw": stripped})
    return m.end()


# No part runs over a `[`: from every `[[` of a line of 50,000 `[` the search would otherwise go to its end.
_WIKI_EMBED = r"!\[\[(?P<embed>[^\[\]|\n]+)(?:\|[^\[\]\n]*)?\]\]"
_WIKI_LINK = r"\[\[(?:(?P<wiki_target>[^\[\]|\n]*)\|)?(?P<wiki_text>[^\[\]\n]+)\]\]"


def _parse_embed(inline, m: re.Match, state) -> int:
    name = m.group("embed").strip()
    state.append_token({"type": "image", "children": [{"type": "text", "raw": name}], "attrs": {"url": name}})
    return m.end()


# Typora and Windows editors write `![alt](my shots\a 1.png)`: a destination with spaces, which CommonMark reads
# as text unless it is in `<…>`. One that ends in an image file name is taken as the image it is meant to be.
# (Up to its first space the path is one run, so no start is tried twice: linear on any line.)
_SPACED_IMAGE = (r"!\[(?P<spaced_alt>[^\[\]\n]*)\]\((?P<spaced_url>[^()<>\s]+\s[^()<>\n]*"
                 r"\.(?i:" + "|".join(sorted(e[1:] for e in MEDIA_EXTENSIONS["image"])) + r"))\)")


def _parse_spaced_image(inline, m: re.Match, state) -> int:
    alt = m.group("spaced_alt")
    state.append_token({"type": "image", "children": [{"type": "text", "raw": alt}],
                        "attrs": {"url": m.group("spaced_url")}})
    return m.end()


def _parse_wiki(inline, m: re.Match, state) -> int:
    state.append_token({"type": "text", "raw": m.group("wiki_text")})
    return m.end()


# kramdown's inline attribute lists, `{: width="900"}`, `{:.lead}`, `{: .align-center}`: styling for the
# blog's theme, dropped (never `{:0.2f}`, a format string)
_IAL = r"\{:(?:\s*(?:[.#][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s}]+)|toc))+\s*\}"


def _parse_ial(inline, m: re.Match, state) -> int:
    return m.end()


class _CardRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer with card rules: safe links, packed images, MathJax delimiters.

    Author HTML passes (`escape=False`); the sanitizer decides what stays."""

    def __init__(self) -> None:
        super().__init__(escape=False)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = safe_href(unquote(url) if url.startswith("obsidian:") else url)
        return f'<a href="{_esc(href)}">{text}</a>' if href else text

    def image(self, text: str, url: str, title: str | None = None) -> str:  # resolved by `_Line.images`
        if url.lower().endswith(_PLAYED):  # a packed sound or video: Anki plays it
            return f"[sound:{_esc(url)}]"
        return f'<img src="{_esc(url)}" alt="{_esc(text)}">'

    def missing_image(self, text: str, name: str) -> str:
        return f'<span class="missing-image">{_esc(name)}</span>'

    def remote_image(self, text: str, url: str) -> str:
        label = text or url.rstrip("/").rsplit("/", 1)[-1]
        return f'<a class="image-link" href="{_esc(url)}">{_esc(label)}</a>'

    def codespan(self, text: str) -> str:
        return "<code>" + _esc(text) + "</code>"

    def inline_math(self, text: str) -> str:
        return "\\(" + html.escape(text, quote=False) + "\\)"

    def display_math(self, text: str) -> str:
        return "\\[" + html.escape(text, quote=False) + "\\]"

    def linebreak(self) -> str:
        return "<br>"

    def softbreak(self) -> str:
        return " "


def _make_markdown() -> mistune.Markdown:
    md = mistune.Markdown(renderer=_CardRenderer(), inline=mistune.InlineParser(hard_wrap=False),
                          plugins=[strikethrough, mark, superscript, subscript, url_plugin])
    rules = [("card_math", _MATH, _parse_math, "$"), ("wiki_embed", _WIKI_EMBED, _parse_embed, "!"),
             ("spaced_image", _SPACED_IMAGE, _parse_spaced_image, "!"),
             ("wiki_link", _WIKI_LINK, _parse_wiki, "["), ("kramdown_ial", _IAL, _parse_ial, "{")]
    for name, pattern, func, start in rules:
        try:
            md.inline.register(name, pattern, func, before="link", start_chars=start)
        except TypeError:  # mistune before 3.2 has no start_chars
            md.inline.register(name, pattern, func, before="link")
    return md


_MD = _make_markdown()


def _images(tokens: list[dict], images: ImageResolver | None) -> None:
    """Swap each image's reference for the name it is packed under (or a quiet placeholder), in place."""
    for tok in tokens:
        t = tok.get("type")
        if t == "image":
            ref = unquote(tok["attrs"]["url"])
            if re.match(r"https?://", ref, re.I):
                tok["type"], tok["attrs"] = "remote_image", {"url": ref}
                continue
            packed = images(ref) if images else None
            if packed:
                tok["attrs"] = {"url": packed}
            else:
                alt = "".join(c.get("raw", "") for c in tok.get("children", ()))
                scheme = re.match(r"[a-z][a-z0-9+.-]*:", ref, re.I) and not re.match(r"[a-z]:[\\/]", ref, re.I)
                name = alt if scheme else ref.replace("\\", "/").rsplit("/", 1)[-1]
                tok["type"], tok["attrs"] = "missing_image", {"name": name or alt}
        elif t == "inline_html" and tok["raw"][:4].lower() == "<img":
            tok["raw"] = _html_img(tok["raw"], images)
        elif "children" in tok:
            _images(tok["children"], images)


_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _html_img(tag: str, images: ImageResolver | None) -> str:
    """An `<img>` the author wrote, with its src packed like a Markdown image (the sanitizer does the rest)."""
    attrs = {m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
             for m in _ATTR.finditer(tag)}
    src, alt = attrs.get("src", ""), attrs.get("alt", "")
    if re.match(r"https?://", src, re.I):
        return _MD.renderer.remote_image(alt, src)
    packed = images(src) if images and src else None
    if not packed:
        return _MD.renderer.missing_image(alt, src.rsplit("/", 1)[-1] or alt)
    keep = "".join(f' {k}="{_esc(v)}"' for k, v in attrs.items() if k in ("alt", "width", "height", "style"))
    return f'<img src="{_esc(packed)}"{keep}>'


# A line with none of these is plain text to every rule above: escaping it is all mistune would do.
_MARKUP = re.compile(r"[\\`*_\[\]!<>$~=^{}&]|://|www\.")


def inline(text: str, images: ImageResolver | None = None) -> str:
    """Render one line of note text to HTML (not yet sanitized: see `clean`)."""
    if not _MARKUP.search(text):
        return html.escape(text, quote=False)
    state = _MD.inline.state_cls({})
    state.src = text
    tokens = _MD.inline.render(state)
    _images(tokens, images)
    out = _MD.renderer(tokens, BlockState())
    return _loose_bold(out) if "**" in out else out


# CommonMark closes `**` only where it is "right-flanking", so `**Answers:**The` and `**"인용"**은`
# stay raw, while Obsidian and kramdown, the notes' own renderers, make them bold. What mistune
# left as text is paired the lenient way; a lone `**` at the edge of a word (the other half of a
# bold phrase the line was cut from) is dropped. Never inside code or math; `2**10` stays.
_PROTECTED = re.compile(r"(<code>.*?</code>|\\\(.*?\\\)|\\\[.*?\\\])", re.S)
_PAIR = re.compile(r"\*\*(?=[^\s*])([^*<>\n]+?)(?<=[^\s*])\*\*")
_LONE = re.compile(r"(?<![\w*])\*\*(?=[^\s*])|(?<=[^\s*])\*\*(?![\w*])")


def _loose_bold(markup: str) -> str:
    parts = _PROTECTED.split(markup)
    for i in range(0, len(parts), 2):
        if "**" in parts[i]:
            parts[i] = _LONE.sub("", _PAIR.sub(r"<b>\1</b>", parts[i]))
    return "".join(parts)


def clean(markup: str) -> str:
    return CLEANER.clean(markup)


@lru_cache(maxsize=65536)
def _inline_cached(line: str) -> str:
    return inline(line)


def has_images(text: str) -> bool:
    """Whether note text may show an image (a Markdown image, an embed, an `<img>` tag)."""
    return "![" in text or "<img" in text.lower()


def _line(text: str, images: ImageResolver | None) -> str:
    return inline(text, images) if images is not None and has_images(text) else _inline_cached(text)


# -- definitions ---------------------------------------------------------------------------

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+#.-]*)")
_EMPTY = re.compile(r"^(?:\s|<br\s*/?>|&nbsp;)*$", re.I)


def _pieces(text: str) -> list[tuple[int, str, str]]:
    """The definition as (level, kind, text): kind `line`, `code` (a fenced block) or `math` (`$$` over lines)."""
    lines = text.split("\n")
    out: list[tuple[int, str, str]] = []
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        body = raw.strip()
        i += 1
        if not body:
            continue
        level = (len(raw) - len(raw.lstrip(" "))) // 2
        fence = _FENCE.match(body)
        if fence:
            code = []
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                code.append(lines[i])
                i += 1
            i += 1  # the closing fence (or the end)
            width = min((len(c) - len(c.lstrip(" ")) for c in code if c.strip()), default=0)
            out.append((level, "code", "\n".join(c[width:] for c in code).strip("\n")))
            continue
        if body.count("$$") % 2:  # display math that goes on over the next lines: one piece
            parts = [body]
            while i < len(lines):
                nxt = lines[i].strip()
                parts.append(nxt)
                i += 1
                if "$$" in nxt:
                    break
            else:  # never closed (the note's formula went on past what the card took): close it
                parts.append("$$")
            body = "\n".join(parts)
        out.append((level, "line", body))
    return out


def definition_html(text: str, images: ImageResolver | None = None) -> str:
    """A definition (one explanation) as sanitized HTML: one line inline, several lines as a nested list."""
    if images is None or not has_images(text):  # without images the result does not depend on the resolver
        return _definition_html_cached(text)
    return _definition_html(text, images)


@lru_cache(maxsize=16384)
def _definition_html_cached(text: str) -> str:
    return _definition_html(text, None)


def _definition_html(text: str, images: ImageResolver | None) -> str:
    rendered: list[tuple[int, str]] = []
    for level, kind, body in _pieces(text):
        if kind == "code":
            rendered.append((level, "<pre><code>" + _esc(body) + "</code></pre>"))
            continue
        markup = _line(body, images).strip()
        if markup and not _EMPTY.match(markup):
            rendered.append((level, markup))
    if not rendered:
        return ""
    # text with no markup character was only escaped, never parsed: nothing in it for the sanitizer
    finish = clean if _MARKUP.search(text) else str
    if len(rendered) == 1:
        return finish(rendered[0][1])
    out: list[str] = []
    depth = -1
    for level, markup in rendered:
        level = min(level, depth + 1)
        while depth < level:
            out.append("<ul>")
            depth += 1
        while depth > level:
            out.append("</li></ul>")
            depth -= 1
        if out[-1] != "<ul>":
            out.append("</li>")
        out.append("<li>" + markup)
    out.append("</li></ul>" * (depth + 1))
    return finish("".join(out))


@lru_cache(maxsize=16384)
def term_html(term: str) -> str:
    return clean(inline(term)) if _MARKUP.search(term) else inline(term)


@lru_cache(maxsize=16384)
def plain(text: str) -> str:
    """Note text as escaped plain text for the small print (context, sources, aliases): the Markdown
    rendered and every tag dropped, so `**Bold heading**` shows as `Bold heading`; math stays MathJax."""
    return (TEXT_ONLY.clean(inline(text)) if _MARKUP.search(text) else inline(text)).strip()
