"""Markdown structure: mistune's block AST walked into one Block per source line.

mistune gives the structure (headings, lists and their nesting, paragraphs, code,
quotes, tables, HTML) but no positions, so each text line of a token is matched
forward against the source to recover its 1-based line number. Extraction works
on these Blocks only, never on raw text, so code, math and HTML cannot yield cards.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .mistune_tuning import columns, tuned_markdown

_MD = tuned_markdown(["table", "math"])  # mistune's block parser, made cheaper (same tokens: see mistune_tuning)
_LIST_MARKER = re.compile(r"^([-*+]|\d{1,3}[.)])\s+")
_HEADING_NUM = re.compile(r"^\d{1,3}(?:\.\d{1,3})*[.)]?\s+")
MAX_NESTING = 200  # deeper structures are flattened: protects the walker from hostile input


@dataclass(slots=True)
class Block:
    line: int  # 1-based line in the file
    kind: str  # heading | para | item | code | quote | table | html | math
    text: str  # the line's text without list/heading/quote markers and indentation
    depth: int = -1  # list nesting depth, -1 outside lists
    item: int = -1  # id of the list item this line belongs to
    parent: int = -1  # id of the enclosing list item of that item
    first: bool = False  # the line that starts its list item
    ordered: bool = False
    level: int = 0  # heading level
    group: int = 0  # id of the paragraph / text chunk the line belongs to
    col: int = 0  # indentation column of the source line (tabs count 4)
    headings: tuple[str, ...] = ()
    cells: Sequence[str] = ()  # a table row's cells (a list); read only
    blank_before: bool = False


def _col(line: str) -> int:
    if not line or (line[0] != " " and line[0] != "\t"):
        return 0
    return columns(line[:len(line) - len(line.lstrip(" \t"))], 0)


class _Walker:
    def __init__(self, src: str):
        self.lines = src.split("\n")
        self.cursor = 0
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.items = 0
        self.groups = 0
        self._heads: tuple[str, ...] = ()  # the heading path, rebuilt only when a heading changes it

    # -- line mapping -----------------------------------------------------------------
    def find(self, text: str, window: int = 400) -> int:
        """Index of the next source line that carries `text`; advances the cursor."""
        t = text.strip()
        if not t:
            return self.cursor
        end = min(len(self.lines), self.cursor + window)
        lines = self.lines
        for i in range(self.cursor, end):
            if t in lines[i]:  # t is stripped, so this is the same as looking in the stripped line
                self.cursor = i + 1
                return i
        return min(self.cursor, max(len(self.lines) - 1, 0))

    def add(self, idx: int, kind: str, text: str, depth: int = -1, item: int = -1, parent: int = -1,
            first: bool = False, ordered: bool = False, group: int = 0, level: int = 0,
            cells: Sequence[str] = ()) -> Block:
        """A Block for source line `idx`. Positional into Block: this runs once per text line, and
        building a slotted dataclass from merged keywords cost a fifth of the walk."""
        lines = self.lines
        src = lines[idx] if 0 <= idx < len(lines) else ""
        b = Block(idx + 1, kind, text, depth, item, parent, first, ordered, level, group, _col(src), self._heads,
                  cells, idx > 0 and not lines[idx - 1].strip())
        self.blocks.append(b)
        return b

    # -- tokens -----------------------------------------------------------------------
    def walk(self, tokens: list[dict], depth: int = -1, item: int = -1, parent: int = -1,
             quote: bool = False, nesting: int = 0) -> None:
        for tok in tokens:
            t = tok.get("type")
            if t == "heading" and not quote and depth < 0:
                text = tok.get("text", "").strip()
                idx = self.find(text.split("\n")[-1] if text else "")
                level = tok.get("attrs", {}).get("level", 1)
                while self.headings and self.headings[-1][0] >= level:
                    self.headings.pop()
                self._heads = tuple(h for _, h in self.headings)
                self.add(idx, "heading", text, level=level)
                self.headings.append((level, text))
                self._heads = tuple(h for _, h in self.headings)
            elif t in ("paragraph", "block_text", "heading"):
                self.text_chunk(tok.get("text", ""), "quote" if quote else ("item" if item >= 0 else "para"),
                                depth, item, parent, first=False)
            elif t == "list":
                if nesting > MAX_NESTING:
                    continue
                d = tok.get("attrs", {}).get("depth", 0)
                ordered = tok.get("attrs", {}).get("ordered", False)
                for child in tok.get("children", []):
                    self.items += 1
                    iid = self.items
                    kids = child.get("children", [])
                    first_done = False
                    for k in kids:
                        if k.get("type") in ("block_text", "paragraph") and not first_done:
                            self.text_chunk(k.get("text", ""), "quote" if quote else "item", d, iid, item,
                                            first=True, ordered=ordered)
                            first_done = True
                        else:
                            self.walk([k], d, iid, item, quote, nesting + 1)
            elif t == "block_quote":
                self.walk(tok.get("children", []), depth, item, parent, True, nesting + 1)
            elif t == "block_code":
                raw = tok.get("raw", "")
                marker = tok.get("marker")
                if marker:
                    start = self.cursor
                    for i in range(self.cursor, min(len(self.lines), self.cursor + 400)):
                        if self.lines[i].strip().startswith(marker[:3]):
                            start = i
                            break
                    self.add(start, "code", raw)
                    self.cursor = min(len(self.lines), start + raw.count("\n") + 2)
                else:
                    first = next((ln for ln in raw.split("\n") if ln.strip()), "")
                    idx = self.find(first)
                    self.add(idx, "code", raw)
                    self.cursor = min(len(self.lines), idx + max(raw.count("\n"), 1))
            elif t in ("block_html",):
                raw = tok.get("raw", "")
                first = next((ln for ln in raw.split("\n") if ln.strip()), "")
                idx = self.find(first)
                self.add(idx, "html", raw)
                self.cursor = min(len(self.lines), idx + max(raw.rstrip("\n").count("\n") + 1, 1))
            elif t == "block_math":
                raw = tok.get("text", "") or tok.get("raw", "")
                first = next((ln for ln in raw.split("\n") if ln.strip()), "$$")
                idx = self.find(first)
                self.add(idx, "math", raw)
                self.cursor = min(len(self.lines), idx + raw.count("\n") + 1)
            elif t == "table":
                self.table(tok)
            elif "children" in tok:
                self.walk(tok["children"], depth, item, parent, quote, nesting + 1)

    def text_chunk(self, text: str, kind: str, depth: int, item: int, parent: int, first: bool,
                   ordered: bool = False) -> None:
        self.groups += 1
        for n, line in enumerate(text.rstrip("\n").split("\n")):
            if not line.strip():
                continue
            idx = self.find(line)
            k, d, it, par, fst = kind, depth, item, parent, first and n == 0
            content = line.strip()
            if not fst:
                m = _LIST_MARKER.match(content)
                if m and kind in ("para", "item"):
                    # a list line mistune folded into a paragraph (over-indented or lazy): treat as an item
                    self.items += 1
                    par, it, k, fst = item, self.items, "item", True
                    self.groups += 1  # the pseudo-item starts a chunk of its own
                    src_col = _col(self.lines[idx]) if idx < len(self.lines) else 0
                    d = max(depth + 1, src_col // 2) if depth >= 0 else max(0, src_col // 4)
                    ordered = m.group(1)[0].isdigit()
                    content = content[m.end():]
            self.add(idx, k, content, d, it, par, fst, ordered, self.groups)

    def table(self, tok: dict) -> None:
        rows: list[list[str]] = []
        for part in tok.get("children", []):
            if part.get("type") == "table_head":
                rows.append([c.get("text", "") for c in part.get("children", [])])
            else:
                for row in part.get("children", []):
                    rows.append([c.get("text", "") for c in row.get("children", [])])
        for n, cells in enumerate(rows):
            probe = next((c for c in cells if c.strip()), "|")
            idx = self.find(probe)
            b = self.add(idx, "table", " | ".join(cells), cells=[c.strip() for c in cells])
            b.first = n == 0  # the header row
            if n == 0:
                self.cursor = min(len(self.lines), idx + 2)  # skip the |---| delimiter row


def parse_blocks(text: str) -> list[Block]:
    """Parse Markdown text into Blocks in document order."""
    state = _MD.block.state_cls()
    state.process(text if text.endswith("\n") else text + "\n")
    _MD.block.parse(state)
    w = _Walker(text)
    try:
        w.walk(state.tokens)
    except RecursionError:
        pass  # pathological nesting: keep what was walked
    return w.blocks


@lru_cache(maxsize=8192)
def strip_heading_number(text: str) -> str:
    return _HEADING_NUM.sub("", text).strip()
