"""Rule-based extraction: Blocks → Candidates (and Rejections that say why a line gave no card).

Each decision names a pattern id from `patterns.PATTERNS` or a reason from
`patterns.REJECTION_REASONS`, so `cards extract --explain` can show it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .blocks import Block, parse_blocks, strip_heading_number
from .models import Candidate, Rejection, Source
from .patterns import (definition_problem, is_technical_term, sentence_like, term_problem)

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_IMG = re.compile(r"!\[\[[^\]]*\]\]|!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\([^)]*\)")
_WIKI = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_URL = re.compile(r"(?:https?|ftp)://[^\s)>\]]+|www\.[^\s)>\]]+", re.I)
_CODE = re.compile(r"(`+)(.+?)\1")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s](?:[^$\n]*?[^$\s\\])?\$|\\\(.+?\\\)")
_SEP = re.compile(
    r"(?=[\s:：;=\-–—>→⇒])(?:"  # every separator starts with a space or one of these: fail fast elsewhere
    r"(?P<colon>\s*(?<!:)[:：](?!:)\s*)"
    r"|(?P<semi>\s*;\s+|\s+;\s*)"
    r"|(?P<eq>\s+=\s+)"
    r"|(?P<arrow>\s*(?<!<)(?:->|=>|→|⇒)\s*)"
    r"|(?P<dash>\s+[-–]\s+|\s*—\s*))"
)
_SEP_HINT = re.compile(r"[:：;=\-–—>→⇒]|\*\*|__")
_SEP_RULE = {"colon": "C001", "semi": "C002", "eq": "C003", "dash": "C004", "arrow": "C005"}
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}[.)]\s+|\(\d{1,3}\)\s*|[①-⑳]\s*|[0-9]{1,3}\s*[.)]\s*(?=\S))")
_EMPH = re.compile(r"^(\*\*|__|\*|_|~~)(.+?)\1$")
_BOLD_LEAD = re.compile(r"^(\*\*|__)(?P<term>[^*_]{1,80}?)\1\s*(?P<sep>[.:：]|\s[-–—]\s|—|->)?\s*(?P<rest>.*)$")
_PAREN_ALIAS = re.compile(r"^(?P<term>.+?)\s*[(（](?P<alias>[^()（）]{1,48})[)）]$")
_ALIAS_BAD = re.compile(r"[=+<>^*/\\$]|^\s*(?:e\.g|ex|예|cf|i\.e)\b", re.I)
_LETTER = re.compile(r"[^\W\d_]")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_SHORT_ALIAS = re.compile(r"^(?P<alias>[^;,.()]{1,30}?)\s*;\s*(?P<rest>\S.*)$")
MAX_FOLLOW_LINES = 40


_NAV_LINK = re.compile(r"<a\s[^>]*href\s*=\s*[\"']#[^>]*>.*?</a>|\[[^\]]*\]\(#[^)]*\)", re.I | re.S)


@lru_cache(maxsize=32768)
def clean_inline(text: str) -> str:
    """Text as a reader sees it: no comments, images, tags; links and wikilinks reduced to their text."""
    if "<" in text:
        text = _HTML_COMMENT.sub("", text)
        text = _NAV_LINK.sub(" ", text)  # in-page navigation (`<a href="#top">TOP</a>`) is not content
        text = _TAG.sub(" ", text)
    if "[" in text:
        text = _IMG.sub(" ", text)
        text = _WIKI.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
    if "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


_SPACES = re.compile(r"[ \t]{2,}")
_MASK_HINT = re.compile(r"[`$\\]|https?:|ftp:|www\.", re.I)


def mask(text: str) -> str:
    """Same length as `text`, with code spans, math and URLs blanked ("\x01") so separators inside them are
    ignored and a term containing them can be recognised."""
    if not _MASK_HINT.search(text):
        return text
    return _blank(text, (_CODE, _MATH, _URL), "\x01")


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


_SOFT_HINT = re.compile(r"[<\[]")


def mask_markup(text: str) -> str:
    """Same length as `text`, with images, links, wikilinks, HTML tags and comments blanked ("\x02"): a
    separator inside them (`[a: b](url)`, `<a href="x:y">`) is not a term separator."""
    if not _SOFT_HINT.search(text):
        return text
    return _blank(text, (_HTML_COMMENT, _IMG, _WIKI, _LINK, _TAG), "\x02")


@dataclass
class Settings:
    """What rule files can change in extraction (see rules.py)."""

    stop_terms: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    extra: list = field(default_factory=list)  # list[rules.UserPattern]


@dataclass
class _Split:
    term: str
    aliases: list[str]
    sep: str
    right: str
    problem: str | None


def parse_term(left: str) -> tuple[str, list[str]]:
    """Strip numbering, emphasis and a trailing colon; a parenthesis at the end gives an alias."""
    t, aliases = _parse_term(left)
    return t, list(aliases)


@lru_cache(maxsize=16384)
def _parse_term(left: str) -> tuple[str, tuple[str, ...]]:
    t = _NUMBERING.sub("", left.strip()).strip()
    for _ in range(2):
        m = _EMPH.match(t)
        if m:
            t = m.group(2).strip()
    t = t.strip("*_~ ").rstrip(":：").strip()
    m = _PAREN_ALIAS.match(t) if t.endswith((")", "）")) else None  # the regex is slow on long lines that fail
    if m and not _ALIAS_BAD.search(m.group("alias")) and _LETTER.search(m.group("alias")):
        return m.group("term").strip(" *_"), (m.group("alias").strip(),)
    return t, ()


@lru_cache(maxsize=4096)
def _context_of(headings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(strip_heading_number(h) for h in headings)


class _NoteExtractor:
    def __init__(self, path: str, blocks: list[Block], settings: Settings):
        self.path = path
        self.b = blocks
        self.s = settings
        self.cands: list[Candidate] = []
        self.rejs: list[Rejection] = []
        self.parent = {x.item: x.parent for x in blocks if x.item >= 0}
        self.first_line = {x.item: n for n, x in enumerate(blocks) if x.item >= 0 and x.first}
        self.before_items: list[int] = []  # for each block, the last non-item block before its run of items
        last = -1
        for n, x in enumerate(blocks):
            self.before_items.append(last)
            if x.kind != "item":
                last = n
        self._split_cache: dict[int, _Split | None] = {}

    # -- helpers ----------------------------------------------------------------------
    def split(self, i: int) -> _Split | None:
        """The first term separator on block i, or None."""
        if i in self._split_cache:
            return self._split_cache[i]
        res = self._split(self.b[i].text)
        self._split_cache[i] = res
        return res

    def _split(self, raw: str) -> _Split | None:
        """Find the term separator on the raw line (markup masked), so the definition keeps its images,
        links and literal text, while the term is judged on the text a reader sees."""
        if not _SEP_HINT.search(raw):
            return None  # no separator character at all: most lines
        raw = _HTML_COMMENT.sub("", raw).strip() if "<!--" in raw else raw.strip()
        if not clean_inline(raw):
            return None
        bold = _BOLD_LEAD.match(raw)
        if bold and bold.group("sep") and clean_inline(bold.group("rest")):
            term, aliases = parse_term(clean_inline(bold.group("term")))
            return _Split(term, aliases, "bold", bold.group("rest").strip(), term_problem(term, self.s.stop_terms))
        hard = mask(raw)
        soft = mask_markup(hard)
        for m in _SEP.finditer(soft):
            kind = m.lastgroup
            left_raw, right = raw[: m.start()], raw[m.end():].strip()
            left = clean_inline(left_raw)
            if not left:
                continue
            if kind == "colon":
                before, after = raw[m.start() - 1: m.start()], raw[m.end(): m.end() + 1]
                if before.isdigit() and after.isdigit() and m.end() - m.start() == 1:
                    continue  # 9:30, 1:1
                if after == "=" or raw[m.end() - 1: m.end() + 2].startswith(("//",)):
                    continue
            if "\x01" in hard[: m.start()]:
                if _MATH.fullmatch(left_raw.strip().strip("*_ ")):
                    pass  # a math symbol as the term: keep
                else:
                    return _Split(left, [], kind, right, "url" if _URL.search(left_raw) else "in code")
            term, aliases = parse_term(left)
            problem = term_problem(term, self.s.stop_terms)
            if problem == "number" and _SEP.search(mask_markup(mask(right))):
                inner = self._split(right)  # `2017 - Transformer : ...`: a year before the real pair
                if inner and not inner.problem:
                    return inner
            if kind == "arrow" and not problem and not is_technical_term(term):
                problem = "weak arrow"
            if kind in ("dash", "arrow") and not problem and len(clean_inline(right)) < 4:
                problem = "too short"
            return _Split(term, aliases, kind, right, problem)
        return None

    def is_pair_line(self, i: int) -> bool:
        sp = self.split(i)
        return bool(sp and not sp.problem and sp.right)

    def is_descendant(self, item: int, ancestor: int) -> bool:
        seen = 0
        while item >= 0 and seen < 500:
            item = self.parent.get(item, -1)
            if item == ancestor:
                return True
            seen += 1
        return False

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

    def src(self, i: int) -> Source:
        return Source(path=self.path, line=self.b[i].line)

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

    def emit(self, i: int, term: str, aliases: list[str], lines: list[str], rule: str) -> None:
        if rule in self.s.disabled:
            self.reject(i, term, "\n".join(lines), "pattern off", rule, f"{rule} is switched off in a rule file")
            return
        body = "\n".join(ln for ln in lines if ln.strip())
        problem = definition_problem(clean_inline(" ".join(ln.strip() for ln in body.split("\n"))))
        if problem:
            self.reject(i, term, body, problem, rule)
            return
        parent = self.parent_label(i)
        ctx = self.context(i) + ([parent] if parent else [])
        self.cands.append(Candidate(term=term, definition=body, aliases=aliases, rule=rule,
                                    source=self.src(i), context=ctx))

    def reject(self, i: int, term: str, definition: str, reason: str, rule: str = "", detail: str = "") -> None:
        self.rejs.append(Rejection(term=term[:120], definition=definition[:300], reason=reason, rule=rule,
                                   detail=detail, source=self.src(i)))

    def line_text(self, j: int, base_depth: int) -> str:
        x = self.b[j]
        indent = "  " * max(0, x.depth - base_depth) if x.kind == "item" and x.depth >= 0 else ""
        return indent + _HTML_COMMENT.sub("", x.text).strip()

    # -- regions that explain a term ----------------------------------------------------
    def own_tail(self, i: int) -> list[int]:
        """Lines after block i that continue it: its item's later lines (until another pair or term line)
        and the items nested under it."""
        x = self.b[i]
        out: list[int] = []
        j = i + 1
        while j < len(self.b):
            y = self.b[j]
            if x.item >= 0 and y.item == x.item and not y.first and y.kind == x.kind:
                if self.is_pair_line(j) or self.starts_block(j):
                    break
                out.append(j)
            elif x.kind == "para" and y.kind == "para" and y.group == x.group:
                if self.is_pair_line(j):
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
            if out and y.first and y.depth == d0 and y.blank_before and x.kind != "heading" \
                    and (self.is_pair_line(j) or self.term_line(j) is not None):
                break  # after a blank line, a new term item starts its own block
            out.append(j)
            prev_line = y.line
            j += 1
        return out

    def following_text(self, i: int, tail: list[int]) -> list[int]:
        """Paragraphs after a top-level item that only names a term (`- Term :`, `- Term?`, `- A = B`)."""
        last = tail[-1] if tail else i
        j = last + 1
        out: list[int] = []
        prev_line = self.b[last].line
        while j < len(self.b) and len(out) < MAX_FOLLOW_LINES:
            y = self.b[j]
            if y.kind != "para" or y.line - prev_line > 2:
                break
            if self.is_pair_line(j) or self.starts_block(j):
                break
            out.append(j)
            prev_line = y.line
            j += 1
        return out

    # -- patterns ---------------------------------------------------------------------
    def run(self) -> None:
        for i, x in enumerate(self.b):
            if x.kind in ("item", "para"):
                self.pair_or_term(i)
            elif x.kind == "heading":
                self.heading(i)
            elif x.kind == "table" and x.first:
                self.table(i)
        for up in self.s.extra:
            self.user_pattern(up)

    def pair_or_term(self, i: int) -> None:
        x = self.b[i]
        sp = self.split(i)
        if sp is not None:
            rule = "C006" if sp.sep == "bold" else _SEP_RULE[sp.sep]
            if sp.problem:
                self.reject(i, sp.term or sp.right[:40], sp.right, sp.problem, rule)
                return
            if not sp.right:  # `- Term :` with nothing after the colon
                tail = self.own_tail(i)
                more = self.following_text(i, tail) if x.depth <= 0 else []
                lines = [self.line_text(j, x.depth + 1) for j in tail + more]
                if not tail and not more and x.kind == "para":
                    lines = [self.line_text(j, 0) for j in self.following_list(i)]
                if not any(ln.strip() for ln in lines):
                    self.reject(i, sp.term, "", "no definition", "B102")
                    return
                self.emit(i, sp.term, sp.aliases, lines, "B102")
                return
            right, aliases = sp.right, list(sp.aliases)
            problem = definition_problem(clean_inline(right))
            if problem and problem != "no text" or (problem == "no text" and not self.own_tail(i)):
                self.reject(i, sp.term, right, problem, rule)
                return
            m = _SHORT_ALIAS.match(right)
            if m and sp.sep in ("colon", "bold") and not term_problem(m.group("alias")) \
                    and len(m.group("alias").split()) <= 3:
                aliases.append(m.group("alias").strip())  # `Distillation : 증류; 혼합물에서 …`
            tail = self.own_tail(i)
            if not tail and x.kind == "para" and (i + 1 >= len(self.b) or self.b[i + 1].group != x.group):
                tail = self.following_list(i)
            if sp.sep == "eq" and len(right.split()) <= 4 and not sentence_like(right) \
                    and not term_problem(parse_term(right)[0]):
                # `Term = other name`: an alias; the explanation (if any) follows
                alias = parse_term(right)[0]
                more = self.following_text(i, tail) if x.depth <= 0 else []
                if tail or more:
                    lines = [self.line_text(j, x.depth + 1) for j in tail + more]
                    self.emit(i, sp.term, aliases + [alias], lines, "C003")
                else:
                    self.emit(i, sp.term, aliases + [alias], [right], "C003")
                return
            lines = [right] + [self.line_text(j, x.depth + 1) for j in tail]
            if not tail and len(clean_inline(right)) < 30:
                lines += self.next_sibling_sentence(i)
            self.emit(i, sp.term, aliases, lines, rule)
            return
        # no separator: a bare term line explained by what follows
        if x.kind == "item" and x.first:
            tail = self.own_tail(i)
            more = self.following_text(i, tail) if x.depth <= 0 else []
            region = tail + more
            rule = "B101" if tail and all(self.b[j].first for j in tail) and not more else "B103"
        elif x.kind == "item" and not x.first and self.starts_block(i):
            region = self.following_list(i)
            rule = "B101"
        elif x.kind == "para" and (i + 1 >= len(self.b) or self.b[i + 1].group != x.group):
            region = self.following_list(i)
            rule = "B101"
            if not region and _EMPH.match(x.text.strip()) and i + 1 < len(self.b):
                nxt = self.b[i + 1]  # **Bold term** then a definition paragraph
                if nxt.kind == "para" and nxt.line - x.line <= 2 and not self.is_pair_line(i + 1):
                    region = [j for j in range(i + 1, min(len(self.b), i + 1 + MAX_FOLLOW_LINES))
                              if self.b[j].group == nxt.group]
                    rule = "B104"
        else:
            return
        if not region:
            return
        raw = clean_inline(x.text)
        term, aliases = parse_term(raw.rstrip("?？").strip() if x.kind == "item" else raw)
        problem = term_problem(term, self.s.stop_terms)
        if problem:
            if problem not in ("no letters",):
                self.reject(i, term, "", problem, rule)
            return
        self.block_card(i, term, aliases, region, rule)

    def block_card(self, i: int, term: str, aliases: list[str], region: list[int], rule: str) -> None:
        base = min((self.b[j].depth for j in region if self.b[j].kind == "item"), default=0)
        lines = [self.line_text(j, base) for j in region]
        texts = [(self.b[j].depth, clean_inline(self.b[j].text)) for j in region]
        texts = [(d, t) for d, t in texts if t]
        shallow = min((d for d, _ in texts), default=0)
        top = [t for d, t in texts if d == shallow]
        if not top:
            self.reject(i, term, "\n".join(lines), "no text", rule)
            return
        if len(top) >= 2 and all(len(t.split()) <= 3 and not _HANGUL_SYLLABLE.search(t)
                                 and not self.is_pair_text(t) and not t.endswith(".") for t in top) \
                and len(region) == len(top):
            self.reject(i, term, "\n".join(lines), "only names", rule)
            return
        self.emit(i, term, aliases, lines, rule)

    def is_pair_text(self, text: str) -> bool:
        sp = self._split(text)
        return bool(sp and not sp.problem)

    def next_sibling_sentence(self, i: int) -> list[str]:
        """`- KD : 짧은 설명` followed directly by a sibling item that carries the explanation."""
        x = self.b[i]
        j = i + 1
        if x.kind != "item" or j >= len(self.b):
            return []
        y = self.b[j]
        if (y.kind == "item" and y.first and y.depth == x.depth and y.line == x.line + 1
                and self.split(j) is None and len(clean_inline(y.text).split()) >= 4
                and self.own_tail(j) == []):
            return [self.line_text(j, x.depth)]
        return []

    def heading(self, i: int) -> None:
        x = self.b[i]
        text = clean_inline(strip_heading_number(x.text))
        if not text:
            return
        region = self.following_list(i)
        rule = "B101"
        if not region and x.level >= 2 and i + 1 < len(self.b):
            nxt = self.b[i + 1]
            if nxt.kind == "para" and nxt.line - x.line <= 2 and not self.is_pair_line(i + 1) \
                    and self.term_line(i + 1) is None:
                region = [j for j in range(i + 1, min(len(self.b), i + 1 + MAX_FOLLOW_LINES))
                          if self.b[j].group == nxt.group]
                body = clean_inline(" ".join(self.b[j].text for j in region))
                if len(body) < 20 or body.rstrip().endswith((":", "：")):
                    return  # too little, or a paragraph that introduces what follows
                rule = "B104"
        if not region:
            return
        term, aliases = parse_term(text)
        problem = term_problem(term, self.s.stop_terms)
        if problem:
            self.reject(i, term, "", problem, rule)
            return
        self.block_card(i, term, aliases, region, rule)

    def table(self, i: int) -> None:
        header = self.b[i].cells
        rows = []
        j = i + 1
        while j < len(self.b) and self.b[j].kind == "table" and not self.b[j].first:
            rows.append(j)
            j += 1
        if len(header) < 2 or not rows:
            return
        h0, h1 = (clean_inline(h).casefold() for h in header[:2])
        named = h0 in {"용어", "term", "terms", "개념", "단어", "word", "name", "이름", "keyword", "키워드", "concept",
                       "약어", "abbreviation", "표현"} or h1 in {
            "설명", "의미", "정의", "뜻", "definition", "meaning", "description", "explanation", "desc"}
        cells = [(j, clean_inline(self.b[j].cells[0]) if self.b[j].cells else "",
                  self.b[j].cells[1] if len(self.b[j].cells) > 1 else "") for j in rows]
        if not named:
            ok = [c for c in cells if c[1] and not term_problem(parse_term(c[1])[0], self.s.stop_terms)]
            avg0 = sum(len(c[1]) for c in cells) / len(cells)
            avg1 = sum(len(clean_inline(c[2])) for c in cells) / len(cells)
            named = len(ok) == len(cells) and avg1 >= 12 and avg1 > 1.5 * avg0 and len(header) <= 3
        if not named:
            return
        for j, left, right in cells:
            term, aliases = parse_term(left)
            problem = term_problem(term, self.s.stop_terms)
            if problem:
                self.reject(j, term, right, problem, "T201")
            elif not clean_inline(right):
                self.reject(j, term, "", "no definition", "T201")
            else:
                self.emit(j, term, aliases, [right.replace("<br>", "\n").strip()], "T201")

    def user_pattern(self, up) -> None:
        for i, x in enumerate(self.b):
            if x.kind not in ("item", "para"):
                continue
            try:
                m = up.search(x.text)
            except TimeoutError:
                self.reject(i, x.text[:40], "", "regex timeout", up.id,
                            f"pattern {up.id} from {up.origin} gave up on this line")
                continue
            if not m:
                continue
            term, aliases = parse_term(clean_inline(m.group("term")))
            problem = term_problem(term, self.s.stop_terms)
            if problem:
                self.reject(i, term, m.group("definition"), problem, up.id)
                continue
            if any(c.source.line == x.line and c.term == term for c in self.cands):
                continue
            self.emit(i, term, aliases, [m.group("definition").strip()], up.id)


def extract_blocks(path: str, blocks: list[Block], settings: Settings | None = None
                   ) -> tuple[list[Candidate], list[Rejection]]:
    ex = _NoteExtractor(path, blocks, settings or Settings())
    ex.run()
    return ex.cands, ex.rejs


def extract_text(text: str, path: str = "<text>", settings: Settings | None = None
                 ) -> tuple[list[Candidate], list[Rejection]]:
    """Extract from Markdown text (front matter must already be blanked; see notes.parse_note)."""
    return extract_blocks(path, parse_blocks(text), settings)
