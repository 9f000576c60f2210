"""One note being read: its Blocks, the ways around them that the patterns share, and where cards go.

`NoteExtractor.run` tries, on every block, the pattern family that reads that kind of block
(lines.py on list items and paragraph lines, regions.py on the rest of them and on headings,
tables.py on tables), then the user's patterns. Patterns call `emit` with a term, its back and the
blocks that explain it; `emit` checks the back, notes the evidence about where the card sits
(`structure`), and keeps the candidate. Confidence comes later (see __init__.extract_blocks).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..blocks import Block, strip_heading_number
from ..models import Candidate, Rejection, Source, term_key, text_key
from . import lines, regions, tables
from .checks import definition_problem, is_label_term, term_problem
from .confidence import DEFAULT_MIN_CONFIDENCE
from .terms import parse_term
from .text import HTML_COMMENT, clean_inline, within_budget, without_scaffold

_ONLY_BREAKS = re.compile(r"^\s*(?:<br\s*/?>\s*)+$", re.I)
MAX_CODE_LINES, MAX_CODE_CHARS = 12, 600  # a snippet a back ending in `:` introduces is shown up to this size
FIELD_REPEATS = 3  # sections about different subjects that a field name must head a part of
MENTION_WINDOW = 200  # blocks around a candidate in which a long note's mentions of its term are counted
_EXAMPLE_LABELS = {term_key(w) for w in [
    "예", "예시", "예제", "사례", "적용 사례", "활용", "활용 방안", "활용 분야", "활용 예", "활용 예시", "사용 분야", "사용 예",
    "사용 예시", "사용처", "응용", "응용 분야", "적용 분야", "예를 들어", "예로", "use case", "use cases", "application",
    "applications", "example", "examples", "e.g.", "for example", "such as", "examples include", "uses"]}


@dataclass
class Settings:
    """What rule files can change in extraction (see rules.py)."""

    stop_terms: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    extra: list = field(default_factory=list)  # list[rules.UserPattern]
    min_confidence: float = DEFAULT_MIN_CONFIDENCE  # candidates below it are held back as `unsure`


@lru_cache(maxsize=4096)
def _context_of(headings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(strip_heading_number(h) for h in headings)


class NoteExtractor:
    def __init__(self, path: str, blocks: list[Block], settings: Settings, marked: set[int] = frozenset()):
        self.path = path
        self.b = blocks
        self.s = settings
        self.marked = marked  # lines that carried another tool's card marker (`[[card]]`, `#card`)
        self.cands: list[Candidate] = []
        self.rejs: list[Rejection] = []
        self.consumed: set[int] = set()  # label sub-headings read as part of their parent heading's card
        self.parent = {x.item: x.parent for x in blocks if x.item >= 0}
        self.first_line = {x.item: n for n, x in enumerate(blocks) if x.item >= 0 and x.first}
        self.before_items: list[int] = []  # for each block, the last non-item block before its run of items
        last = -1
        for n, x in enumerate(blocks):
            self.before_items.append(last)
            if x.kind != "item":
                last = n
        self.siblings: dict[tuple[int, int], list[int]] = {}  # (parent item, depth) → first lines of its items
        for n, x in enumerate(blocks):
            if x.kind == "item" and x.first:
                self.siblings.setdefault((x.parent, x.depth), []).append(n)
        self._split_cache: dict[int, lines.Split | None] = {}
        self._sibling_pairs: dict[tuple[int, int], int] = {}
        self._block_keys: list[str] | None = None  # each block's text as term keys compare it, made when needed
        self._note_key: str | None = None

    def run(self) -> None:
        for i, x in enumerate(self.b):
            if x.kind in ("item", "para"):
                if not lines.line_pair(self, i):
                    regions.bare_term(self, i)
            elif x.kind == "heading":
                regions.heading(self, i)
            elif x.kind == "table" and x.first:
                tables.table(self, i)
        for up in self.s.extra:
            lines.user_pattern(self, up)
        self.drop_fields()
        self.drop_restated()

    def drop_restated(self) -> None:
        """A heading or term line whose section opens with the same term's own pair (`### 하드웨어` then
        `- 하드웨어: …`) explains the term twice in one place: one card, not one back holding the other.
        The pair is the card when the section goes on to pairs of other terms (it would swallow them);
        otherwise the section is (it holds the pair and says more)."""
        pairs: dict[str, list[Candidate]] = {}
        for c in self.cands:
            if c.rule[:1] == "C":
                pairs.setdefault(term_key(c.term), []).append(c)
        made = {term_key(c.term) for c in self.cands}
        drop: dict[int, str] = {}
        for c in self.cands:
            if c.rule not in ("B101", "B104"):
                continue
            inside = [p for p in pairs.get(term_key(c.term), ())
                      if p.source.line > c.source.line and p.definition.split("\n")[0][:40] in c.definition]
            if not inside:
                continue
            own = inside[0].definition.split("\n")[0][:40]
            said = text_key(inside[0].definition)
            body = c.definition.split("\n")
            others = 0
            for ln in body[1:]:
                if ln[:1].isspace():
                    continue  # a pair nested under the term's own one is a part of it (`y축: …` under `ROC curve: …`)
                sp = lines.split_line(self, ln)
                key = term_key(sp.term) if sp and not sp.problem else ""
                others += bool(key in made and key != term_key(c.term) and key not in said)
                # (a pair of a name the term's own pair uses explains a part of it: `ELBO = Reconstruction
                # Term - Prior Fitting Term`, then `Reconstruction Term : …`)
            if own in body[0] and others:
                drop[id(c)] = f"its section goes on to other terms' pairs; the line {inside[0].source.line} pair is the card"
            else:
                for p in inside:
                    drop[id(p)] = f"part of the section at line {c.source.line}, which is the card"
        if not drop:
            return
        kept = []
        for c in self.cands:
            if id(c) in drop:
                self.reject_candidate(c, "restated", drop[id(c)])
            else:
                kept.append(c)
        self.cands = kept

    def drop_fields(self) -> None:
        """A name that heads a part of each of several sibling sections (`Pipeline` under R-CNN, SPPNet and
        Fast R-CNN; `단위`, `기준`, `Phase` under each paper) is a field of each subject, not a concept:
        rejected wherever it occurs. A concept explained again (`TF-IDF` in a section named after it) is not."""
        by_key: dict[str, list[Candidate]] = {}
        for c in self.cands:
            by_key.setdefault(term_key(c.term), []).append(c)
        fields = set()
        for key, cs in by_key.items():
            if len(cs) < FIELD_REPEATS or len(key) < 2:
                continue
            depths = {len(c.context) for c in cs}
            parents = {c.context[-1] if c.context else "" for c in cs}
            if len(depths) == 1 and len(parents) >= FIELD_REPEATS and "" not in parents \
                    and not any(key in term_key(part) for c in cs for part in c.context):
                fields.add(key)
        if not fields:
            return
        kept = []
        for c in self.cands:  # (in note order: the rejections are listed as they come)
            key = term_key(c.term)
            if key in fields:
                self.reject_candidate(c, "field", f"the same name heads a part of {len(by_key[key])} sections "
                                                  "about different subjects")
            else:
                kept.append(c)
        self.cands = kept

    # -- what a block is ------------------------------------------------------------------
    def split(self, i: int) -> lines.Split | None:
        """The first term separator on block i, or None."""
        if i not in self._split_cache:
            self._split_cache[i] = lines.split_line(self, self.b[i].text)
        return self._split_cache[i]

    def is_pair_line(self, i: int) -> bool:
        sp = self.split(i)
        return bool(sp and not sp.problem and sp.right)

    def is_entry_line(self, i: int) -> bool:
        """Block i opens an entry of a dated or numbered run (`2018 - Bert : …`, `3 : …`): never the line before
        it going on, even where it gives no card of its own."""
        sp = self.split(i)
        return bool(sp and sp.problem == "number" and sp.right)

    def is_pair_text(self, text: str) -> bool:
        sp = lines.split_line(self, text)
        return bool(sp and not sp.problem)

    def term_line(self, i: int) -> tuple[str, list[str]] | None:
        """Block i is a bare term (no separator) that reads as a short noun phrase."""
        x = self.b[i]
        raw = x.text
        if x.kind == "heading":
            raw = strip_heading_number(raw)
        text = clean_inline(raw)
        if not text or self.split(i) is not None and x.kind != "heading":
            return None
        term, aliases = parse_term(text.rstrip("?？").strip() if x.kind == "item" else text)
        if term_problem(term, self.s.stop_terms):
            return None
        return term, aliases

    def starts_text(self, i: int) -> bool:
        """Block i is the first line of its list item or paragraph."""
        x = self.b[i]
        return x.first if x.kind == "item" else (i == 0 or self.b[i - 1].group != x.group)

    def is_descendant(self, item: int, ancestor: int) -> bool:
        seen = 0
        while item >= 0 and seen < 500:
            item = self.parent.get(item, -1)
            if item == ancestor:
                return True
            seen += 1
        return False

    def line_text(self, j: int, base_depth: int) -> str:
        """Block j as a line of a back: nested bullets indented two spaces a level, math as display math."""
        x = self.b[j]
        if x.kind == "math":
            return "$$ " + " ".join(x.text.split()) + " $$"
        indent = "  " * max(0, x.depth - base_depth) if x.kind == "item" and x.depth >= 0 else ""
        return indent + HTML_COMMENT.sub("", x.text).strip()

    # -- what explains a block ------------------------------------------------------------
    def own_tail(self, i: int) -> list[int]:
        """Lines after block i that continue it: its item's later lines (until another pair or term line)
        and the items nested under it."""
        x = self.b[i]
        out: list[int] = []
        j = i + 1
        while j < len(self.b):
            y = self.b[j]
            if x.item >= 0 and y.item == x.item and not y.first and y.kind == x.kind:
                if self.is_pair_line(j) or self.starts_block(j) or self.is_entry_line(j):
                    break
                out.append(j)
            elif x.kind == "para" and y.kind == "para" and y.group == x.group:
                if self.is_pair_line(j) or self.is_entry_line(j):
                    break
                out.append(j)
            elif x.item >= 0 and y.item >= 0 and y.kind == "item" and self.is_descendant(y.item, x.item):
                out.append(j)
            else:
                break
            j += 1
        return out

    def starts_block(self, j: int) -> bool:
        """Block j is a lazy term line: a bare term followed directly by list items that explain it."""
        y = self.b[j]
        if y.first or y.kind not in ("item", "para") or j + 1 >= len(self.b):
            return False
        nxt = self.b[j + 1]
        return (nxt.kind == "item" and nxt.first and nxt.line - y.line <= 2 and nxt.depth >= max(y.depth, 0)
                and self.term_line(j) is not None)

    def bullets_under_number(self, i: int) -> bool:
        """Block i is a numbered item (`2) Session`) on the line right above a bullet list at its own depth:
        written without indentation, the bullets still explain it."""
        x = self.b[i]
        if not (x.kind == "item" and x.first and x.ordered) or i + 1 >= len(self.b):
            return False
        nxt = self.b[i + 1]
        if not (nxt.kind == "item" and nxt.first and not nxt.ordered and nxt.depth == x.depth
                and nxt.line == x.line + 1):
            return False
        found = self.term_line(i)
        return found is not None and not is_label_term(found[0])  # `1) 사용 이유`: a part of the section

    def following_list(self, i: int) -> list[int]:
        """The list right after a paragraph line, heading or lazy term line: the items explaining it."""
        x = self.b[i]
        j = i + 1
        if j >= len(self.b):
            return []
        first = self.b[j]
        if not (first.kind == "item" and first.first and first.line - x.line <= 2 + (x.kind == "heading")):
            return []
        d0 = first.depth
        out: list[int] = []
        prev_line = x.line
        while j < len(self.b):
            y = self.b[j]
            if y.kind != "item" or y.depth < d0 or y.line - prev_line > 2:
                break
            if not y.first and self.starts_block(j):
                break
            if y.first and y.depth == d0 and y.ordered != first.ordered:
                break  # a list of the other kind starts: `3) Cookie` after the bullets of `2) Session`
            if out and y.first and y.depth == d0 and y.blank_before and x.kind != "heading" \
                    and (self.is_pair_line(j) or self.term_line(j) is not None):
                break  # after a blank line, a new term item starts its own block
            out.append(j)
            prev_line = y.line
            j += 1
        return out

    def following_text(self, i: int, tail: list[int]) -> list[int]:
        """Paragraphs after a top-level item that only names a term (`- Term :`, `- Term?`, `- A = B`).

        Not after the last item of a longer list (with its own bullets or not): a paragraph after a list
        belongs to the text around it."""
        x = self.b[i]
        if x.kind == "item" and any(p != i and self.before_items[p] == self.before_items[i]
                                    for p in self.siblings.get((x.parent, x.depth), ())):
            return []  # another item of the same run of items: the list is longer than this one
        last = tail[-1] if tail else i
        j = last + 1
        out: list[int] = []
        prev_line = self.b[last].line
        while j < len(self.b) and len(out) < regions.MAX_FOLLOW_LINES:
            y = self.b[j]
            if y.kind == "math" and out and y.line - prev_line <= 2 \
                    and clean_inline(self.b[out[-1]].text).rstrip().endswith((",", ":", "：")):
                out.append(j)  # `… 이라 할 때,` then the formula the sentence goes on with
                prev_line = y.line + y.text.count("\n") + 2
                j += 1
                continue
            if y.kind != "para" or y.line - prev_line > 2:
                break
            if self.is_pair_line(j) or self.starts_block(j):
                break
            out.append(j)
            prev_line = y.line
            j += 1
        return out

    # -- where a block sits ---------------------------------------------------------------
    def context(self, i: int) -> list[str]:
        return list(_context_of(self.b[i].headings))

    def parent_label(self, i: int) -> str:
        """For a nested bullet, the bullet it hangs under (its term when it is a pair): context for the card."""
        x = self.b[i]
        if x.kind != "item":
            return ""
        if x.parent < 0 or x.parent not in self.first_line:
            j = self.before_items[i]  # a top-level list right under a term line: that line is the parent
            if j >= 0 and j + 1 <= i and self.b[j].kind == "para" and self.b[j + 1].line - self.b[j].line <= 2:
                found = self.term_line(j)
                return found[0] if found else ""
            return ""
        p = self.first_line[x.parent]
        sp = self.split(p)
        label = sp.term if sp is not None and not sp.problem else clean_inline(self.b[p].text)
        return label if len(label) <= 60 else label[:59] + "…"

    def under_examples(self, i: int) -> str:
        """The label above an item when it lists examples or uses (`활용 방안`, `Use cases`, `예시`): its
        items are instances of something else (`챗봇`, `Gambling`), not concepts the note explains."""
        x = self.b[i]
        if x.kind != "item":
            return ""
        if x.parent >= 0 and x.parent in self.first_line:
            above = clean_inline(self.b[self.first_line[x.parent]].text)
        else:
            j = self.before_items[i]
            above = clean_inline(strip_heading_number(self.b[j].text)) if j >= 0 else ""
        above = above.rstrip(" :：").strip("*_ ")
        words = above.split()
        if words and len(words) <= 5 and (term_key(above) in _EXAMPLE_LABELS or term_key(words[-1]) in _EXAMPLE_LABELS
                                          or term_key(" ".join(words[-2:])) in _EXAMPLE_LABELS):
            return above
        return ""

    # -- results --------------------------------------------------------------------------
    def emit(self, i: int, term: str, aliases: list[str], lines_: list[str], rule: str,
             region: list[int] | tuple[int, ...] = (), evidence: dict[str, float] | None = None) -> None:
        """A candidate for term at block i with the back `lines_` (explained by blocks `region`)."""
        if rule in self.s.disabled:
            self.reject(i, term, "\n".join(lines_), "pattern off", rule, f"{rule} is switched off in a rule file")
            return
        label = self.under_examples(i)
        if label:
            self.reject(i, term, "\n".join(lines_), "example", rule, f"listed under {label!r}")
            return
        runs = self.introduced_lists(lines_, region)
        kept = [ln for ln in lines_ if ln.strip()]
        kept_runs = [r for ln, r in zip(lines_, runs) if ln.strip()] if runs else None
        while kept and _ONLY_BREAKS.match(kept[-1]):  # a `<br>` left after the last sentence
            kept.pop()
            kept_runs = kept_runs[:-1] if kept_runs else kept_runs
        plain = without_scaffold(kept)
        if len(plain) < len(kept):
            kept, kept_runs = plain, kept_runs[len(kept) - len(plain):] if kept_runs else None
        shown = within_budget(kept, kept_runs)
        body = "\n".join(shown)
        if len(shown) == len(kept) and body.rstrip().endswith((":", "：")):
            code = self.code_after(region[-1] if region else i)
            if code:  # `narrow types like this:` then the snippet it introduces
                body += "\n```\n" + code + "\n```"
        problem = definition_problem(clean_inline(" ".join(ln.strip() for ln in body.split("\n"))), body)
        if problem:
            self.reject(i, term, body, problem, rule)
            return
        parent = self.parent_label(i)
        ctx = self.context(i) + ([parent] if parent else [])
        self.cands.append(Candidate(term=term, definition=body, aliases=aliases, rule=rule,
                                    source=Source(path=self.path, line=self.b[i].line), context=ctx,
                                    evidence={**self.structure(i, region, term), **(evidence or {})}))

    def code_after(self, j: int) -> str:
        """The code block right after block j, when it is short enough to show on a card ("" otherwise)."""
        if j + 1 >= len(self.b):
            return ""
        y = self.b[j + 1]
        code = y.text.strip("\n")
        if y.kind != "code" or y.line - self.b[j].line > 3 or not code.strip() \
                or code.count("\n") >= MAX_CODE_LINES or len(code) > MAX_CODE_CHARS:
            return ""
        return code

    def introduced_lists(self, lines_: list[str], region) -> list[int | None] | None:
        """For each back line that shows a block of `region` (the last ones), the list it is an item of when
        a line ending in `:` introduces that list (`Four kinds of modification:`), else None."""
        if not region or len(lines_) < len(region):
            return None
        runs: list[int | None] = [None] * (len(lines_) - len(region))
        for j in region:
            y = self.b[j]
            intro = self.before_items[j] if y.kind == "item" else -1
            said = clean_inline(self.b[intro].text).rstrip() if intro >= 0 else ""
            runs.append(intro if said.endswith((":", "：")) else None)
        return runs

    def reject(self, i: int, term: str, definition: str, reason: str, rule: str = "", detail: str = "") -> None:
        self.rejs.append(Rejection(term=term[:120], definition=definition[:300], reason=reason, rule=rule,
                                   detail=detail, source=Source(path=self.path, line=self.b[i].line)))

    def reject_candidate(self, c: Candidate, reason: str, detail: str = "") -> None:
        """A candidate made and then turned down (a field, or held back as unsure), with its own rule and line."""
        self.rejs.append(Rejection(term=c.term[:120], definition=c.definition[:300], reason=reason, rule=c.rule,
                                   detail=detail, source=c.source))

    def structure(self, i: int, region, term: str) -> dict[str, float]:
        """Evidence about where a candidate sits: the kind of line, its depth, what explains it, how often the
        note names the term, whether its neighbours are pairs too (see confidence.py)."""
        x = self.b[i]
        ev: dict[str, float] = {"kind_" + x.kind: 1.0}
        if x.kind == "heading":
            ev[f"level_{min(x.level, 4)}"] = 1.0
            nxt = next((y for y in self.b[i + 1:] if y.kind == "heading"), None)
            if nxt is not None and nxt.level > x.level:
                ev["has_subheadings"] = 1.0
        elif x.kind == "item":
            ev[f"depth_{min(max(x.depth, 0), 2)}"] = 1.0
        if region:
            ev["region_lines"] = min(len(region), 20) / 10
            pairs = sum(1 for j in region if self.b[j].kind in ("item", "para") and self.is_pair_line(j)
                        and not is_label_term(self.split(j).term))  # `배경 : …` describes, `Thread : …` is a card
            ev["region_pair_share"] = pairs / len(region)
        if x.line in self.marked:
            ev["marked_card"] = 1.0
        key = term_key(term)
        if len(key) >= 2:
            ev["term_mentions"] = min(max(self.mentions(i, key) - 1, 0), 6) / 3  # - 1: the term's own line
        if x.kind == "item" and x.first:
            group = (x.parent, x.depth)
            n = len(self.siblings.get(group, ()))
            if n >= 3:
                pairs = self._sibling_pairs.get(group)
                if pairs is None:  # once per list, not once per item: a list may have thousands
                    pairs = self._sibling_pairs[group] = sum(1 for j in self.siblings[group] if self.is_pair_line(j))
                ev["sibling_pair_share"] = (pairs - self.is_pair_line(i)) / (n - 1)
        return ev

    def mentions(self, i: int, key: str) -> int:
        """How often the term occurs in the note (in a long note, in the 200 blocks around it: counting in
        the whole text for every candidate would be quadratic)."""
        if len(self.b) <= MENTION_WINDOW:
            if self._note_key is None:
                self._note_key = text_key("\n".join(x.text for x in self.b if x.kind != "code"))
            return self._note_key.count(key)
        if self._block_keys is None:
            self._block_keys = [text_key(x.text) if x.kind != "code" else "" for x in self.b]
        lo, hi = max(0, i - MENTION_WINDOW // 2), i + MENTION_WINDOW // 2
        return "".join(self._block_keys[lo:hi]).count(key)
