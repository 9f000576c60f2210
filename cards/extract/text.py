"""Inline text as extraction reads it: what a reader sees of a line, where separators may be, how long a
back may grow.

- `clean_inline`: no comments, images or tags; links and wikilinks as their text; entities decoded.
- `mask` / `mask_markup`: the same line with code, math, URLs (and links, tags, entities) blanked, so a
  `:` inside them is never a term separator.
- `within_budget`: a back leads with its first explanation and keeps about three times as much.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# No character class here runs past the opener of another: a line of 50,000 `[` or `<a` stays linear.
IMG = re.compile(r"!\[\[[^\]\[]*\]\]|!\[[^\]\[]*\]\([^()\n]*\)")
LINK = re.compile(r"(?<!!)\[([^\]\[]*)\]\([^()\n]*\)")
WIKI = re.compile(r"\[\[(?:[^\]\[|]*\|)?([^\]\[]*)\]\]")
TAG = re.compile(r"</?[A-Za-z][^<>]*>")
URL = re.compile(r"(?:https?|ftp)://[^\s)>\]]+|www\.[^\s)>\]]+", re.I)
CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # one start per run of backticks, a closer as long
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s](?:[^$\n]*?[^$\s\\])?\$|\\\((?:[^\\\n]|\\(?![()]))+?\\\)")
LETTER = re.compile(r"[^\W\d_]")
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_NAV_LINK = re.compile(r"<a\s[^<>]*href\s*=\s*[\"']#[^<>]*>.{0,200}?</a>|\[[^\]\[]*\]\(#[^()\n]*\)", re.I | re.S)
_SPACES = re.compile(r"[ \t]{2,}")
_MASK_HINT = re.compile(r"[`$\\]|https?:|ftp:|www\.", re.I)
_SOFT_HINT = re.compile(r"[<\[&]")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")  # its `;` separates nothing


@lru_cache(maxsize=32768)
def clean_inline(text: str) -> str:
    """Text as a reader sees it: no comments, images, tags; links and wikilinks reduced to their text."""
    if "<" in text:
        text = HTML_COMMENT.sub("", text)
        text = _NAV_LINK.sub(" ", text)  # in-page navigation (`<a href="#top">TOP</a>`) is not content
        text = TAG.sub(" ", text)
    if "[" in text:
        text = IMG.sub(" ", text)
        text = WIKI.sub(r"\1", text)
        text = LINK.sub(r"\1", text)
    if "&" in text:
        text = html.unescape(text).replace("\xa0", " ")  # `&nbsp;`, `&amp;`, `&lt;`: the characters they stand for
    if "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def mask(text: str) -> str:
    """Same length as `text`, with code spans, math and URLs blanked ("\x01") so separators inside them are
    ignored and a term containing them can be recognised."""
    if not _MASK_HINT.search(text):
        return text
    return _blank(text, (CODE, MATH, URL), "\x01")


def mask_markup(text: str) -> str:
    """Same length as `text`, with images, links, wikilinks, HTML tags, comments and entities blanked
    ("\x02"): a separator inside them (`[a: b](url)`, `<a href="x:y">`, `&nbsp;`) is not a term separator."""
    if not _SOFT_HINT.search(text):
        return text
    return _blank(text, (HTML_COMMENT, IMG, WIKI, LINK, TAG, _ENTITY), "\x02")


def _blank(text: str, patterns: tuple[re.Pattern, ...], fill: str) -> str:
    """`text` with every match of any pattern (each run on the original text) replaced by `fill`s."""
    spans = sorted(m.span() for rx in patterns for m in rx.finditer(text))
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        out += (text[pos:start], fill * (end - start))
        pos = end
    out.append(text[pos:])
    return "".join(out)


BACK_BUDGET_FACTOR, BACK_BUDGET_EXTRA = 3, 150
_NOT_COUNTED = re.compile(r"[\W_]+")


@lru_cache(maxsize=32768)
def weight(line: str) -> int:
    """How much a line says: its letters and digits as a reader sees them."""
    return len(_NOT_COUNTED.sub("", clean_inline(line)))


_SCAFFOLD = re.compile(r"^(?:what(?:\s+is\s+it)?|definition|정의|뜻|의미)\s*[?？:：]?$", re.I)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def without_scaffold(lines: list[str]) -> list[str]:
    """A back that opens with `What?` or `정의` on a line of its own, the explanation nested under it or after
    it: the label only repeats the card's question, so the back starts with the explanation."""
    if len(lines) < 2 or not _SCAFFOLD.match(clean_inline(lines[0]).strip()):
        return lines
    outer, inner = _indent(lines[0]), _indent(lines[1])
    if inner <= outer:
        return lines[1:]  # the answer follows the label at its own level (an image came between them)
    out: list[str] = []
    nested = True
    for ln in lines[1:]:
        nested = nested and _indent(ln) >= inner
        out.append(ln[inner - outer:] if nested else ln)
    return out


_HEAD_PARENS = re.compile(r"\([^()]*\)")
# A line that leads into what is nested under it: a question, `다음 3가지 이유`, `as follows`, or one that ends in
# what it is about to list (`bean으로 등록하는 방법`, `steps`).
_LEAD_IN = re.compile(r"[:：?？]$|^(?:what|how|why|when|which)\b|다음(?:과|의|\s*\d)|아래(?:와|의|\s*\d)|following|below|"
                      r"as follows|"
                      r"(?:방법|이유|종류|과정|단계|순서|조건|특징|장점|단점|예시|ways?|steps?|reasons?|types?|kinds?)\.?$",
                      re.I)


def _is_sentence_head(head: str) -> bool:
    """A bullet that says something on its own (five words or more, not counting a parenthesis), not one that
    only names what the lines nested under it explain (`R-CNN`, `YOLO Family (You Only Look Once)`,
    `작동 순서`) or leads into them (`…:`, `What is PMI`, `다음 3가지 이유 때문에 중요하다`)."""
    return len(_HEAD_PARENS.sub(" ", head).split()) >= 5 and not _LEAD_IN.search(head)


def within_budget(lines: list[str], runs: list[int | None] | None = None) -> list[str]:
    """A back leads with its first explanation and keeps what follows only up to about three times that
    lead (and a few lines more): the rest is support, not a second essay (a section that goes on about
    other things, sub-topics with cards of their own, the next thought). It is cut only between blocks:
    a bullet goes with the bullets nested under it. With `runs` (for each line, the list it is an item of
    when a line ending in `:` introduces that list, else None), such a list is not cut in the middle while
    the back stays under twice the budget: `Four kinds of modification:` keeps all four."""
    chunks: list[list[str]] = []
    chunk_runs: list[int | None] = []
    for k, ln in enumerate(lines):
        if chunks and ln[:1] in (" ", "\t"):
            chunks[-1].append(ln)  # nested under the line before
        else:
            chunks.append([ln])
            chunk_runs.append(runs[k] if runs else None)
    weights = [sum(weight(ln) for ln in c) for c in chunks]
    lead = next((w for w in weights if w), 0)
    budget = BACK_BUDGET_FACTOR * lead + BACK_BUDGET_EXTRA
    out: list[str] = []
    used = 0
    for n, (chunk, w) in enumerate(zip(chunks, weights)):
        used += w
        if out and used > budget:
            run = chunk_runs[n]
            if run is None or run != chunk_runs[n - 1] or used > 2 * budget:
                head = clean_inline(chunk[0]).strip()
                if len(chunk) > 1 and used - w + weight(chunk[0]) <= budget and _is_sentence_head(head):
                    out.append(chunk[0])  # a sentence that still fits, without the lines nested under it
                break
        out += chunk
    return out
