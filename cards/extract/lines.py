"""Line patterns: a term and its explanation on one line, split by a separator (C001–C006), or a sentence
that opens with the emphasised term (C007); and the user's own line patterns from rule files.

The separator is looked for on the line with code, math, URLs, links and tags masked, so `[a: b](url)`
or `` `x: int` `` never split a line, while the back keeps its images, links and literal text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import term_key
from . import regions
from .checks import Pattern, definition_problem, is_label_term, is_technical_term, sentence_like, term_problem
from .terms import NUMBERING, parse_term, question_term
from .text import HTML_COMMENT, MATH, URL, clean_inline, mask, mask_markup

if TYPE_CHECKING:
    from .note import NoteExtractor

PATTERNS = [
    Pattern("C001", "colon", "`Term : definition` (also `Term: def`, `Term :def`, full-width `：`) in a list item, "
            "numbered item, paragraph line or quote", "- KD : 쟤를 티처삼아서 하겠다"),
    Pattern("C002", "semicolon", "`Term ; definition`", "- 클립 ; 이미지와 텍스트를 함께 학습"),
    Pattern("C003", "equals", "`Term = other name` (an alias) or `Term = definition`", "- 전이학습 = 트랜스퍼 러닝"),
    Pattern("C004", "dash", "`Term - definition`, `Term -- definition` or `Term — definition` when the left side "
            "is clearly a term", "1. 이너레벨 - 지도학습 (w,b 구하기)"),
    Pattern("C005", "arrow", "`Term -> definition` when the left side is clearly a technical term",
            "- NMS -> 겹치는 박스 중 점수가 가장 높은 것만 남김"),
    Pattern("C006", "bold-lead", "`**Term**: def`, `**Term** - def`, `**Term**. def`",
            "**Clustering**. Grouping unlabelled data"),
    Pattern("C007", "emphasis-lead", "a sentence that opens with the term in bold or italics and goes on to "
            "explain it: `**Term**은 …`, `A **term** is …`, `In **term**, …`", "A **model** is a generic program ..."),
]

_SEP = re.compile(
    r"(?<!\s)(?=[\s:：;=\-–—>→⇒])(?:"  # at a space or one of these, and never inside a run of spaces
    r"(?P<colon>\s*(?<!:)[:：](?!:)\s*)"
    r"|(?P<semi>\s*;\s+|\s+;\s*)"
    r"|(?P<eq>\s+=\s+)"
    r"|(?P<arrow>\s*(?<!<)(?:->|=>|→|⇒)\s*)"
    r"|(?P<dash>\s+(?:--?|–)\s+|\s*—\s*))"
)
_SHORTCODE = re.compile(r"(?<![^\s(]):[a-z][a-z0-9_+-]{1,40}:(?![^\s).,])")  # GitHub's and Obsidian's emoji
_SEP_HINT = re.compile(r"[:：;=\-–—>→⇒]|\*\*|__")
_SEP_RULE = {"colon": "C001", "semi": "C002", "eq": "C003", "dash": "C004", "arrow": "C005", "bold": "C006"}
_BOLD_LEAD = re.compile(r"^(\*\*|__)(?P<term>[^*_]{1,80}?)\1\s*(?P<sep>[.:：]|\s[-–—]\s|—|->)?\s*(?P<rest>.*)$")
# C007: `**Term**은 …`, `A **term** is …`, `In **term**, …`, `*Term* are …`.
_EMPH_LEAD = re.compile(r"^(?P<pre>(?:(?:an?|the|in|using|for|with)\s+)?)(?P<m>\*\*|__|\*|_)(?=[^\s*_])"
                        r"(?P<term>[^*_\n]{1,60}?)(?<=[^\s*_])(?P=m)(?P<rest>.*)$", re.I)
_KO_TOPIC = re.compile(r"^(?:은|는|이란|란|이라고|라고|이라는|라는|이|가)(?=\s|$)\s*")
_EN_GOES_ON = re.compile(r"^(?:[a-z][a-z'-]*|\()")
# A left side that is one code span naming something (a function, a type, a keyword), not code.
_CODE_TERM = re.compile(r"`([^`=;{}<>]{1,40})`")
_SHORT_ALIAS = re.compile(r"^(?P<alias>[^;,.()]{1,30}?)\s*;\s*(?P<rest>\S.*)$")
_SYMBOL = re.compile(r"^\$?\\?[A-Za-z]{1,2}\$?$")  # a bare symbol: `J`, `w`, `$x$`
_OPERATOR = re.compile(r"\s[-+*/^×·÷]\s|[*^×÷]|\d")  # `Confidence = Pr * IOU`: a formula, not another name


@dataclass
class Split:
    """A line split at its term separator: the term as the front shows it, and the raw right side."""

    term: str
    aliases: list[str]
    sep: str  # colon | semi | eq | dash | arrow | bold
    right: str
    problem: str | None  # why the left side is not a term (a REJECTION_REASONS key), or None
    code: bool = False  # the term was written as inline code

    @property
    def rule(self) -> str:
        return _SEP_RULE[self.sep]


def split_line(ex: NoteExtractor, raw: str) -> Split | None:
    """Find the term separator on the raw line (markup masked), so the definition keeps its images,
    links and literal text, while the term is judged on the text a reader sees."""
    if not _SEP_HINT.search(raw):
        return None  # no separator character at all: most lines
    raw = HTML_COMMENT.sub("", raw).strip() if "<!--" in raw else raw.strip()
    if not clean_inline(raw):
        return None
    stop = ex.s.stop_terms
    bold = _BOLD_LEAD.match(raw)
    if bold and bold.group("sep") and clean_inline(bold.group("rest")):
        term, aliases = parse_term(clean_inline(bold.group("term")))
        return Split(term, aliases, "bold", bold.group("rest").strip(), term_problem(term, stop))
    hard = mask(raw)
    soft = mask_markup(hard)
    if ":" in soft:
        soft = _SHORTCODE.sub(lambda m: "x" * len(m.group()), soft)  # `:arrow_right:` is an emoji, not a colon
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
            if m.end() - m.start() == 1 and before.isalnum() and after.isalnum() \
                    and (":" in (right.split() or [""])[0] or ":" in (left_raw.split() or [""])[-1]):
                continue  # `peptide:MHC:TCR complexes`: a chain of names bound by colons, not a separator
        for mark in ("**", "__"):
            if right.startswith(mark) and left_raw.count(mark) % 2:
                right = right[len(mark):].strip()  # `**GPU 0:** 28GB`: the colon sits inside the bold term
            elif right.endswith(mark) and left_raw.count(mark) % 2 and right.count(mark) % 2:
                right = right[:-len(mark)].strip()  # `**Term (TF) : 단어의 등장 빈도**`: the whole pair in bold
        code = False
        if "\x01" in hard[: m.start()]:
            named = _CODE_TERM.fullmatch(NUMBERING.sub("", left_raw.strip()).strip("*_ "))
            if MATH.fullmatch(left_raw.strip().strip("*_ ")):
                return Split(left, [], kind, right, "formula")  # `$h_t$ : …`: notation, not a concept
            elif named and clean_inline(right) and len(clean_inline(right).split()) >= 3:
                left, code = named.group(1).strip(), True  # `` `session.destroy()` - destroys … ``
            else:
                return Split(left, [], kind, right, "url" if URL.search(left_raw) else "in code")
        term, aliases = parse_term(left)
        problem = term_problem(term, stop)
        if problem in ("number", "stop-term") and _SEP.search(mask_markup(mask(right))):
            inner = split_line(ex, right)  # `2017 - Transformer : …`, `Compromise: Key -- …`: a label first
            if inner and not inner.problem:
                return inner
        if problem == "stop-term" and question_term(clean_inline(right)):
            term, aliases = parse_term(clean_inline(right))  # `Note: what does fit_one_cycle() do?`
            return Split(term, aliases, kind, "", term_problem(term, stop))
        if kind == "arrow" and not problem and not is_technical_term(term):
            problem = "weak arrow"
        if kind in ("dash", "arrow") and not problem and len(clean_inline(right)) < 4:
            problem = "too short"
        return Split(term, aliases, kind, right, problem, code)
    return None


def line_pair(ex: NoteExtractor, i: int) -> bool:
    """C001–C007 on block i (a list item or paragraph line). True when the line is a pair, whether it gave a
    card or a rejection; False when it is not, and a bare-term pattern may read it (regions.bare_term)."""
    if emphasised_lead(ex, i):
        return True
    sp = ex.split(i)
    if sp is None:
        return False
    x = ex.b[i]
    if sp.problem:
        ex.reject(i, sp.term or sp.right[:40], sp.right, sp.problem, sp.rule)
        return True
    if not sp.right:  # `- Term :` with nothing after the colon
        regions.empty_colon(ex, i, sp)
        return True
    right, aliases = sp.right, list(sp.aliases)
    problem = definition_problem(clean_inline(right))
    if problem and problem != "no text" or (problem == "no text" and not ex.own_tail(i)):
        ex.reject(i, sp.term, right, problem, sp.rule)
        return True
    m = _SHORT_ALIAS.match(right)
    if m and sp.sep in ("colon", "bold") and not term_problem(m.group("alias")) \
            and len(m.group("alias").split()) <= 3:
        aliases.append(m.group("alias").strip())  # `Distillation : 증류; 혼합물에서 …`
    tail = ex.own_tail(i)
    if not tail and x.kind == "para" and (i + 1 >= len(ex.b) or ex.b[i + 1].group != x.group) \
            and not after_pair_paragraph(ex, i):
        tail = ex.following_list(i)
    if not tail and x.kind == "item" and x.first and x.ordered and i + 1 < len(ex.b):
        nxt = ex.b[i + 1]  # `2. SQuAD 2.0 : …` then `- …` bullets written without indentation: they explain it
        if nxt.kind == "item" and nxt.first and not nxt.ordered and nxt.depth == x.depth and nxt.line - x.line <= 2:
            tail = ex.following_list(i)
    if sp.sep == "eq" and len(right.split()) <= 4 and not sentence_like(right) \
            and not _OPERATOR.search(right) and not term_problem(parse_term(right)[0]):
        # `Term = other name`: an alias; the explanation (if any) follows
        alias = parse_term(right)[0]
        more = ex.following_text(i, tail) if x.depth <= 0 else []
        if tail or more:
            lines = [ex.line_text(j, x.depth + 1) for j in tail + more]
            ex.emit(i, sp.term, aliases + [alias], lines, "C003", tail + more)
        else:
            ex.emit(i, sp.term, aliases + [alias], [right], "C003")
        return True
    tail = without_subcards(ex, tail) if clean_inline(right) else tail
    if not tail and _SYMBOL.match(clean_inline(right)):
        ex.reject(i, sp.term, right, "too short", sp.rule)  # `Loss = J`, `Parameter = w`: the symbol it is written with
        return True
    lines = [right] + [ex.line_text(j, x.depth + 1) for j in tail]
    if not tail and len(clean_inline(right)) < 30:
        lines += next_sibling_sentence(ex, i)
    ex.emit(i, sp.term, aliases, lines, sp.rule, tail, {"term_code": 1.0} if sp.code else None)
    return True


def after_pair_paragraph(ex: NoteExtractor, i: int) -> bool:
    """Paragraph i comes right after another `X : …` paragraph, and a blank line parts it from the list below:
    that list (`forward RNN : …`, `backward RNN : …`, a blank line, bullets) speaks of both, not of the last
    one. A list right under the line, with no blank line, still belongs to it."""
    x = ex.b[i]
    if i == 0 or i + 1 >= len(ex.b) or ex.b[i + 1].line - x.line < 2:
        return False
    p = ex.b[i - 1]
    return p.kind == "para" and x.line - p.line <= 2 and ex.is_pair_line(i - 1)


def emphasised_lead(ex: NoteExtractor, i: int) -> bool:
    """C007: a sentence that opens with the term in bold or italics and goes on to explain it:
    `**커널(Kernel)**은 …`, `A **model** is …`, `In **supervised learning**, …`, `*Outliers* are …`."""
    x = ex.b[i]
    after_break = i > 0 and ex.b[i - 1].group == x.group and not clean_inline(ex.b[i - 1].text)
    if not (ex.starts_text(i) or after_break) or "*" not in x.text[:12] and "_" not in x.text[:12]:
        return False  # (after a line that is only `<br>`, a sentence starts as a paragraph would)
    m = _EMPH_LEAD.match(x.text.strip())
    if not m:
        return False
    rest = m.group("rest")
    ko = _KO_TOPIC.match(rest)
    if ko:
        back = rest[ko.end():].strip()
    elif rest[:1] in (",", " ") and _EN_GOES_ON.match(rest.lstrip(" ,")):
        back = rest.lstrip(" ,").strip()
    else:
        return False
    term, aliases = parse_term(clean_inline(m.group("term")))
    if not back or term_problem(term, ex.s.stop_terms):
        return False
    tail = ex.own_tail(i)
    if not tail and back.rstrip().endswith((":", "：")):
        tail = ex.following_list(i) or ex.following_text(i, [])  # `*Macrophages* come from:` + what
    for n, j in enumerate(tail):  # `**프로세스 (Process)**는 …` further on: the next term's own sentence
        nxt = _EMPH_LEAD.match(ex.b[j].text.strip())
        if nxt and _KO_TOPIC.match(nxt.group("rest")) \
                and term_key(parse_term(clean_inline(nxt.group("term")))[0]) != term_key(term):
            tail = tail[:n]
            break
    if len(clean_inline(back).split()) < 2 and not tail:
        return False
    ex.emit(i, term, aliases, [back] + [ex.line_text(j, x.depth + 1) for j in tail], "C007", tail)
    return True


def without_subcards(ex: NoteExtractor, tail: list[int]) -> list[int]:
    """The lines of a defined term's tail that explain it: nested `X : …` items are cards of their own
    (`상태 (S): 현재 상황` over `초기상태 : …`, `종료상태 : …`), and leave it with their own bullets."""
    out: list[int] = []
    cut: set[int] = set()
    for j in tail:
        y = ex.b[j]
        if y.kind == "item" and y.item >= 0 and (y.parent in cut or y.item in cut):
            cut.add(y.item)
            continue
        if y.kind == "item" and y.first and ex.is_pair_line(j) and not is_label_term(ex.split(j).term):
            cut.add(y.item)
            continue
        out.append(j)
    return out


def next_sibling_sentence(ex: NoteExtractor, i: int) -> list[str]:
    """`- KD : 짧은 설명` followed directly by a sibling item that carries the explanation."""
    x = ex.b[i]
    j = i + 1
    if x.kind != "item" or j >= len(ex.b):
        return []
    y = ex.b[j]
    if (y.kind == "item" and y.first and y.depth == x.depth and y.line == x.line + 1
            and ex.split(j) is None and len(clean_inline(y.text).split()) >= 4
            and ex.own_tail(j) == []):
        return [ex.line_text(j, x.depth)]
    return []


def user_pattern(ex: NoteExtractor, up) -> None:
    """A rule file's own line pattern (`patterns:` with named groups `term` and `definition`)."""
    found = {(c.source.line, c.term) for c in ex.cands}
    for i, x in enumerate(ex.b):
        if x.kind not in ("item", "para"):
            continue
        try:
            m = up.search(x.text)
        except TimeoutError:
            ex.reject(i, x.text[:40], "", "regex timeout", up.id,
                      f"pattern {up.id} from {up.origin} gave up on this line")
            continue
        if not m:
            continue
        term, aliases = parse_term(clean_inline(m.group("term")))
        problem = term_problem(term, ex.s.stop_terms)
        if problem:
            ex.reject(i, term, m.group("definition"), problem, up.id)
            continue
        if (x.line, term) in found:
            continue
        ex.emit(i, term, aliases, [m.group("definition").strip()], up.id)
