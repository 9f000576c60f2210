"""Blocks as extraction reads them: what the Markdown walker gives, normalised for the notes people write.

- block quotes read like the text they quote (a quoted list like a list); an Obsidian callout's
  title heads its body, and aside callouts (`> [!warning]`, `> [!todo]`) are skipped;
- outliner property lines (`collapsed:: true`, `id:: …`) are dropped, and other tools' card markers
  (`[[card]]`, `#card`) and block references are removed (the lines that had a marker are noted);
- indented Korean prose that Markdown reads as code is a paragraph again;
- HTML blocks: a one-line `<h3>` is a heading, `<details><summary>X</summary>` heads what it holds, a
  `<table>` becomes table rows; other HTML gives nothing.
"""
from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from ..blocks import Block
from .terms import TERM_NOISE
from .text import HANGUL_SYLLABLE, clean_inline

_CARD_MARK = re.compile(r"\[\[(?:card|flashcard|anki)\]\]|(?<!\S)#(?:card|flashcard|anki)\b", re.I)
_PROPERTY = re.compile(r"^[A-Za-z][\w-]*::(?:\s|$)")  # Logseq / Dataview `key:: value` lines
_SUMMARY = re.compile(r"<summary\b[^<>]*>(.{0,300}?)</summary>", re.I | re.S)
_HTML_HEADING = re.compile(r"^<h([1-6])\b[^>]*>(.*?)</h\1>$", re.I | re.S)
_CALLOUT = re.compile(r"^\[!(\w[\w-]*)\][+-]?\s*")  # Obsidian `> [!note] Title`
_ASIDE_CALLOUTS = {"todo", "warning", "caution", "attention", "danger", "error", "bug", "failure", "fail", "missing",
                   "question", "help", "faq", "quote", "cite", "tip", "hint"}


def prepare(blocks: list[Block], marked: set[int] | None = None, lines: list[str] | None = None) -> list[Block]:
    """Blocks as extraction reads them: block quotes read like the text they quote (a quoted list like
    a list), an Obsidian callout's `[!note]` marker dropped, outliner property lines dropped, indented
    prose read as a paragraph, one-line HTML headings (`<h3>Voila</h3>`) read as headings."""
    out = []
    aside = False  # inside a callout that is an aside (`> [!warning]`, `> [!todo]`): not study content
    for b in blocks:
        if b.kind != "quote":
            aside = False
        if b.kind == "code":
            prose = _indented_prose(b, lines)
            if prose:
                out += prose
                continue
        if b.kind == "html":
            out += _html_blocks(b)
            continue
        if b.kind == "quote":
            m = _CALLOUT.match(b.text) if b.text.startswith("[!") else None
            if m:
                aside = m.group(1).lower() in _ASIDE_CALLOUTS
            if aside:
                continue
            text = b.text[m.end():] if m else b.text
            if m and clean_inline(text):  # `> [!note] Tensor`: the callout's title heads what it holds
                out.append(replace(b, kind="heading", text=text.strip(), level=6, item=-1, first=False))
                continue
            if not text.strip():
                continue
            b = replace(b, kind="item" if b.item >= 0 else "para", text=text)
        if b.kind in ("item", "para") and not b.first and _PROPERTY.match(b.text):
            continue
        if ("((" in b.text or "card" in b.text or "anki" in b.text) and b.kind in ("item", "para", "heading"):
            text = TERM_NOISE.sub("", b.text).strip()
            if text != b.text:
                if marked is not None and _CARD_MARK.search(b.text):
                    marked.add(b.line)
                if not text and not b.first:
                    continue
                b = replace(b, text=text)
        out.append(b)
    return out




def _indented_prose(b: Block, lines: list[str] | None) -> list[Block] | None:
    """An indented 'code block' that is really indented prose (a habit of some note takers): its lines as a
    paragraph. Fenced code, and anything with the punctuation of code, stays code (a call's parenthesis
    counts; a remark in parentheses, `(삽삭갱)`, is prose)."""
    if lines is None or not (0 < b.line <= len(lines)) or not lines[b.line - 1][:1] in (" ", "\t"):
        return None
    text = b.text.strip("\n")
    if not text.strip() or len(_CODE_CHARS.findall(text)) > 0.04 * len(text) or not HANGUL_SYLLABLE.search(text):
        return None  # prose: Korean sentences (English prose in an indented block is too often a code sample)
    out = []
    for k, ln in enumerate(text.split("\n")):
        if ln.strip():
            out.append(replace(b, kind="para", text=ln.strip(), line=b.line + k, group=-b.line))
    return out


_CODE_CHARS = re.compile(r"[{};=<>\[\]`$#]|[\w.]\(|^\s*(?:def|class|import|from|return|if|for|while|var|let|const|"
                         r"function|public|private|SELECT|select|pip|npm|cd|sudo)\b", re.M)


class _Table(HTMLParser):
    """The rows of an HTML table as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("<br>")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _html_blocks(b: Block) -> list[Block]:
    """What an HTML block says, as Blocks: a one-line heading (`<h3>Voila</h3>`), a `<details>` whose
    `<summary>` heads the text inside it (`</details>` ends that section), a `<table>` as table rows."""
    raw = b.text.strip()
    m = _HTML_HEADING.match(raw)
    if m and clean_inline(m.group(2)):
        return [replace(b, kind="heading", text=clean_inline(m.group(2)), level=int(m.group(1)))]
    out = []
    if "</details>" in raw.lower() and "<summary" not in raw.lower():
        out.append(replace(b, kind="heading", text="", level=6))  # ends the summary's section
    summary = _SUMMARY.search(raw)
    if summary and clean_inline(summary.group(1)):
        out.append(replace(b, kind="heading", text=clean_inline(summary.group(1)), level=6))
    if "<table" in raw.lower():
        parser = _Table()
        try:
            parser.feed(raw)
            parser.close()
        except Exception:  # noqa: BLE001 — broken HTML is just not read as a table
            return out
        rows = [r for r in parser.rows if any(c.strip() for c in r)]
        for n, cells in enumerate(rows):
            out.append(replace(b, kind="table", text=" | ".join(cells), cells=cells, first=n == 0, line=b.line + n))
    return out
