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

import mistune

_MD = mistune.create_markdown(renderer=None, plugins=["table", "math"])


# -- making mistune's block parse cheaper, for our parser only ------------------------------
#
# mistune finds blocks with one regex per rule set: an alternation in which every branch
# starts with the same zero-width anchor (`^`, or `(?<=\n)` for what breaks a list item).
# The regex engine tries each of the dozen branches at every position of a search; with
# the anchor also in front of the alternation, a position off a line start fails at once.
# mistune also rebuilt the list-break regex for every list item. Both are done here once,
# only when the regexes have the expected shape, and only for `_MD`: other parsers in the
# process are untouched. tests/test_models.py and tests/test_corpus.py check that the
# tokens equal plain mistune's.

def _anchored(rx: re.Pattern, anchor: str) -> re.Pattern:
    return re.compile(f"{anchor}(?:{rx.pattern})", rx.flags)


def _tune(block) -> None:
    original_sc = block.compile_sc
    spec = block.specification
    by_rules: dict[str, re.Pattern] = {}

    def compile_sc(rules=None):
        sc = original_sc(rules)
        key = "|".join(rules) if rules is not None else "$"
        tuned = by_rules.get(key)
        if tuned is None:
            names = block.rules if rules is None else rules
            every_branch_anchored = all(isinstance(spec.get(k), str) and spec[k].startswith(("^", "(^"))
                                        for k in names)
            tuned = by_rules[key] = _anchored(sc, "^") if every_branch_anchored and re.M & sc.flags else sc
        return tuned

    block.compile_sc = compile_sc
    _fast_paths(block)

    try:
        from mistune import list_parser
        original_break = list_parser._compile_list_break_sc
    except (ImportError, AttributeError):
        return
    by_width: dict[int, re.Pattern] = {}
    branch = re.compile(r"\(\?P<\w+>\(\?<=\\n\)")

    def compile_list_break_sc(parser, leading_width: int):
        if parser is not block:
            return original_break(parser, leading_width)
        rx = by_width.get(leading_width)
        if rx is None:
            rx = original_break(parser, leading_width)
            branches = rx.pattern.count("|(?P<") + 1
            if rx.pattern.startswith("(?P<") and len(branch.findall(rx.pattern)) == branches:
                rx = _anchored(rx, r"(?<=\n)")
            by_width[leading_width] = rx
        return rx

    list_parser._compile_list_break_sc = compile_list_break_sc


def _fast_paths(block) -> None:
    """Two shortcuts in mistune's block loop, each taken only where mistune's own steps are known to
    give the same tokens (mistune 3.1+, whose loop tries indented code, then the rules, then a plain
    paragraph):
    - a line that starts with neither a space nor a tab is never indented code;
    - a list item of one line that starts like plain text (mistune's own test) and that no rule
      matches is one paragraph of that line. Most list items in study notes are such lines, and
      mistune parsed each as a document of its own."""
    try:
        from mistune.block_parser import _is_plain_paragraph_start
        original_parse = block.parse
        original_indent = block._parse_indent_code_fast
        block._parse_plain_paragraph  # noqa: B018 — only versions with this loop get the shortcuts
    except (ImportError, AttributeError):
        return
    list_rules = block.list_rules
    list_sc = block.compile_sc(list_rules)  # the plugins have registered their rules by now

    def parse_indent_code_fast(state):
        c = state.src[state.cursor:state.cursor + 1]
        if c != " " and c != "\t":
            return None
        return original_indent(state)

    def parse(state, rules=None):
        src = state.src
        if (rules is list_rules and state.cursor == 0 and not state.tokens and src
                and src.find("\n") in (-1, len(src) - 1) and _is_plain_paragraph_start(src, 0)):
            if list_sc.match(src, 0) is None:
                state.tokens.append({"type": "paragraph", "text": src})
                state.cursor = state.cursor_max
                return
        original_parse(state, rules)

    block.parse = parse
    block._parse_indent_code_fast = parse_indent_code_fast
    _fast_lists(block, list_sc)


# -- lists made only of one-line items --------------------------------------------------------
#
# mistune parses a list item by collecting its lines, cutting their indentation, and parsing
# the result as a document of its own; an item nested d levels deep is so collected and
# parsed d times. Most lists in study notes are trees of one-line items (some with a wrapped
# or lazy line). For such a list the tokens follow from the lines' indentation, so they are
# built here in one pass, as mistune's own steps would build them (mistune 3.4,
# list_parser.py). Anything else (an item with a second paragraph, code or HTML, text after a
# blank line, an item that starts another block) is left to mistune, untouched.
# tests/test_properties.py compares the block tokens with plain mistune's on generated trees;
# tests/test_corpus.py on the corpus.

_ONE_LINE_ITEM = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)([^ \t\n][^\n]*)")
_BLANK_LINE = re.compile(r"[ \t]*(?:\n|\Z)")  # between items (a line of other white space ends the shortcut)
_TEXT_LINE = re.compile(r"([ \t]*)([^ \t\n][^\n]*)")
_THEMATIC = re.compile(r"(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,})")


class _NotSimple(Exception):
    """The list is not a tree of one-line items: mistune parses it."""


def _width(ws: str, col: int) -> int:
    """Columns that the spaces and tabs `ws` take from column `col` (tabs stop every 4, as in mistune)."""
    if "\t" not in ws:
        return len(ws)
    start = col
    for ch in ws:
        col += 4 - col % 4 if ch == "\t" else 1
    return col - start


def _fast_lists(block, list_sc: re.Pattern) -> None:
    try:
        from mistune import list_parser as lp
        original = block._methods["list"]
        blank = block.BLANK_LINE
        for name in ("_compile_list_break_sc", "_compile_list_item_pattern", "_get_list_bullet",
                     "_has_continuation_indent", "_expand_leading_tabs"):
            getattr(lp, name)
    except (ImportError, AttributeError, KeyError):
        return
    if getattr(mistune, "__version__", "") not in _LIST_SHORTCUT_VERSIONS:
        return
    item_match = list_sc.match
    item_rxs: dict[tuple[str, int], re.Pattern] = {}  # mistune's next-item regex, by bullet and leading width

    # A line of the list: (column, marker, spaces after the marker, text, start, blank line before,
    # the text lines that follow it or None). A text line is [its column, its text], and its column
    # is brought down, level by level, to what the item that takes it sees (`take_lines`).
    Line = tuple[int, str, str, str, int, bool, list | None]

    def take_lines(lines: list[Line], i: int, j: int, base: int, col: int) -> str:
        """The item at lines[i] (its own lines up to j) collects every text line among them
        (_collect_list_item_lines): a line indented to the item's text loses that indentation,
        any other stays as it is (a lazy line). Returns the item's own text lines, which its
        paragraph must go on over: no block rule may match them. (Nor may a lazy line start
        the next item or a block on a level above, but it would then also match a block rule
        here, where its indentation is no more than it was there.)"""
        own = ""
        for k in range(i, j):
            extra = lines[k][6]
            if extra is None:
                continue
            for x in extra:
                w, text = x
                if w >= col - base:
                    w = x[0] = w - (col - base)
                if k == i:
                    if w > 3 or item_match(" " * w + text + "\n") is not None:
                        raise _NotSimple
                    own += " " * w + text + "\n"
        return own

    def item_rx(bullet: str, lead: int) -> re.Pattern:
        rx = item_rxs.get((bullet, lead))
        if rx is None:
            rx = item_rxs[bullet, lead] = re.compile(lp._compile_list_item_pattern(lp._get_list_bullet(bullet), lead))
        return rx

    def one_list(lines: list[Line], i: int, hi: int, base: int, depth: int, last: list,
                 texts: bool) -> tuple[dict, int]:
        """The list token that starts at lines[i], within lines[:hi] of a document whose column 0 is
        column `base` of the lines; and the index of the line after the list. `last` gets the last
        item's leading width and the column of its text (_ListMarker.leading_width, continue_width).
        `texts`: some line has text lines after it."""
        mk = lines[i][1]
        bullet = mk[-1]
        ordered = len(mk) > 1
        attrs = {"depth": depth, "ordered": ordered}
        if ordered and int(mk[:-1]) != 1:
            attrs["start"] = int(mk[:-1])  # the caller has checked that the list may start here
        token = {"type": "list", "children": [], "tight": True, "bullet": bullet, "attrs": attrs}
        items = token["children"]
        while True:
            col0, mk, ws, text = lines[i][:4]
            lead = col0 - base + len(mk)
            space = _width(ws, lead)  # _compile_continue_width
            if space >= 5:
                raise _NotSimple  # the item's text is indented code
            col = col0 + len(mk) + space  # where the item's text starts; deeper lines are its own
            j = i + 1
            while j < hi and lines[j][0] >= col:
                j += 1
            # The item's document is its text, then its own lines less `col` columns. The text must be
            # a plain paragraph: no block rule may match it. (`[` could begin a link reference
            # definition that runs on over the next lines: then it is checked on the whole document.)
            first = text + "\n"
            if text[0] == "[" and (j > i + 1 or lines[i][6]):
                if any(x[5] or x[6] for x in lines[i:j]):
                    raise _NotSimple
                first += "".join(" " * (x[0] - col) + x[1] + x[2] + x[3] + "\n" for x in lines[i + 1:j])
            if item_match(first) is not None:
                raise _NotSimple
            own = take_lines(lines, i, j, base, col) if texts else ""
            children: list[dict] = [{"type": "paragraph", "text": text + "\n" + own}]
            k = i + 1
            if k < j:
                if depth >= block.max_nested_level - 1:
                    raise _NotSimple  # mistune parses deeper items without the list rule
                nmk = lines[k][1]
                if len(nmk) > 1 and int(nmk[:-1]) != 1:
                    raise _NotSimple  # only a list from 1 interrupts a paragraph
                if lines[k][5]:
                    children.append({"type": "blank_line"})  # between the text and the nested list
                    token["tight"] = False
                while k < j:
                    if lines[k][0] - col > 3:
                        raise _NotSimple  # indented code, or a lazy line of the paragraph
                    tok, k = one_list(lines, k, j, col, depth + 1, [], texts)
                    children.append(tok)
            items.append({"type": "list_item", "children": children})
            last[:] = [lead, col]
            if j >= hi:
                break
            nxt = lines[j]
            r = nxt[0] - base
            if nxt[1][-1] == bullet and r <= min(lead, 3):  # the next item (_match_list_item_break)
                if nxt[5]:
                    token["tight"] = False
                i = j
                continue
            if r <= (lead if lead < 3 else 3) or nxt[5]:
                break  # another list starts there, or the line after a blank one is not the item's
            raise _NotSimple  # a lazy continuation line
        if token["tight"]:  # _transform_tight_list (nested lists were done as they were made)
            for it in items:
                it["children"][0]["type"] = "block_text"
        return token, j

    def parse_list(m, state):
        src, pos, end = state.src, state.cursor, state.cursor_max
        if m.start() != pos or state.lazy_line_starts:
            return original(m, state)
        lines: list[Line] = []
        p = pos  # the start of the first line that is not part of the list's lines
        q = pos
        blank_before = False
        texts = False
        while q < end:
            eol = src.find("\n", q, end)
            if eol < 0:
                eol = end
            mm = _ONE_LINE_ITEM.fullmatch(src, q, eol)
            if mm is None:
                if not lines:
                    break
                if _BLANK_LINE.fullmatch(src, q, min(eol + 1, end)):
                    blank_before = True
                    q = eol + 1
                    continue
                # A text line right after an item line (or another text line): it goes on the
                # paragraph of the item above it, if each level lets it through (`take_lines`).
                tm = _TEXT_LINE.fullmatch(src, q, eol)
                if (blank_before or eol >= end or tm is None or tm.group(2)[0] == "["
                        or not tm.group(2).strip() or (not tm.group(1) and item_match(src, q) is not None)):
                    break
                last = lines[-1]
                if last[6] is None:
                    last = lines[-1] = (*last[:6], [])
                last[6].append([_width(tm.group(1), 0), tm.group(2)])
                texts = True
                q = p = eol + 1
                continue
            lead_ws, mk, ws, text = mm.groups()
            if not text.strip() or (text[0] == mk and _THEMATIC.fullmatch(mk + ws + text)):
                break
            lines.append((_width(lead_ws, 0), mk, ws, text, q, blank_before, None))
            blank_before = False
            q = p = eol + 1
        if not lines:
            return original(m, state)
        mk = lines[0][1]
        if len(mk) > 1 and int(mk[:-1]) != 1:
            last = state.last_token()
            if last and last["type"] == "paragraph":
                return original(m, state)  # it continues the paragraph
        try:
            last_item: list = []
            token, j = one_list(lines, 0, len(lines), 0, state.depth(), last_item, texts)
            if j < len(lines):
                cursor, block_after = lines[j][4], None  # another list starts there: the loop parses it
            else:
                cursor, block_after = after_list(src, min(p, end), end, *last_item, mk[-1])
        except _NotSimple:
            return original(m, state)
        if block_after is not None:
            # mistune parses a block that ends the list before it adds the list's token (a caller,
            # such as a block quote, can see that: it puts its own token before the last one)
            at = len(state.tokens)
            state.cursor = cursor
            end_pos = block.parse_method(block_after, state)
            if end_pos:
                state.tokens.insert(at, token)
                return end_pos
            if cursor == min(p, end):  # not a block after all: a lazy line of the last item
                state.cursor = pos
                return original(m, state)
        state.append_token(token)
        return cursor

    def after_list(src: str, p: int, end: int, lead: int, col: int, bullet: str) -> tuple[int, re.Match | None]:
        """Where the document goes on after the list's last line (_collect_list_item_lines on the
        lines that follow), and the block there that ends the list and is parsed with it; or
        _NotSimple when the line would belong to the list."""
        q = p
        while q < end:
            m = blank.match(src, q)
            if m is None:
                break
            q = m.end()
        if q >= end:
            return end, None  # blank lines to the end belong to the last item, and are stripped from it
        eol = src.find("\n", q, end)
        line = src[q:end if eol < 0 else eol + 1]
        if lp._has_continuation_indent(line, col):
            raise _NotSimple
        if item_rx(bullet, lead).match(lp._expand_leading_tabs(line)):
            raise _NotSimple
        br = lp._compile_list_break_sc(block, lead).match(src, q)
        if br is not None and br.lastgroup != "list":
            return q, br
        if br is not None or q > p:
            return q, None  # the list ends; blank lines before `q` belong to its last item
        raise _NotSimple  # a lazy continuation line

    block._methods["list"] = parse_list


_LIST_SHORTCUT_VERSIONS = {"3.4.0"}  # the versions whose list steps the shortcut repeats
_tune(_MD.block)
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
    return _width(line[:len(line) - len(line.lstrip(" \t"))], 0)


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
