"""Speed patches for mistune's block parser: same tokens, less work. Applied to our own parser only.

Contract:
- What they replace. In the block parser `tuned_markdown` returns (never in any other parser
  of the process): (1) the regex of each rule set gets its shared line anchor in front of the
  alternation, so a search fails at once off a line start (mistune tries each of a dozen
  branches there); (2) the list-break regex is built once per indentation width (mistune built
  it for every list item); (3) two shortcuts in the block loop: a line that starts with neither
  a space nor a tab is never indented code, and a list item of one plain line that no rule
  matches is one paragraph of that line (mistune parsed it as a document of its own); (4) a
  list that is a tree of one-line items (tabs, wide marker spacing, blank lines between items,
  wrapped or lazy lines of an item's text allowed) gets its tokens built in one pass from the
  lines' indentation, where mistune parses an item nested d deep d times. Any other list is
  handed to mistune untouched.
- Which mistune versions. (1) and (2) apply only when the regexes have the expected shape,
  (3) only with the block loop of mistune 3.1+ (checked by its helpers' presence), (4) only
  with the versions in LIST_SHORTCUT_VERSIONS (3.4.0), whose list steps it repeats. With any
  other version the patches that do not fit are simply not made: parsing is mistune's own.
- How equivalence is tested. The block tokens and the final AST must equal plain mistune's
  (`mistune.create_markdown(renderer=None, plugins=["table", "math"])`): tests/test_properties.py
  on generated documents and generated trees of list items (and whatever breaks them), with a
  check that the one-pass shortcut is really taken; tests/test_models.py on the example notes;
  tests/test_corpus.py on every note of ../shared/corpus when it is there.
"""
from __future__ import annotations

import re

import mistune

LIST_SHORTCUT_VERSIONS = {"3.4.0"}  # the versions whose list steps the one-pass list shortcut repeats


def tuned_markdown(plugins: list[str]) -> mistune.Markdown:
    """A mistune parser to an AST (`renderer=None`) with these plugins, its block parser tuned."""
    md = mistune.create_markdown(renderer=None, plugins=plugins)
    _tune(md.block)
    return md


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


def columns(ws: str, col: int) -> int:
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
    if getattr(mistune, "__version__", "") not in LIST_SHORTCUT_VERSIONS:
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
            space = columns(ws, lead)  # _compile_continue_width
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
                last[6].append([columns(tm.group(1), 0), tm.group(2)])
                texts = True
                q = p = eol + 1
                continue
            lead_ws, mk, ws, text = mm.groups()
            if not text.strip() or (text[0] == mk and _THEMATIC.fullmatch(mk + ws + text)):
                break
            lines.append((columns(lead_ws, 0), mk, ws, text, q, blank_before, None))
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
