"""Region patterns: a term on a line of its own, explained by what comes after it (B101–B104).

- a heading explains its term with its section: everything up to the next heading (or a line that heads
  a list of its own), a back that leads with the paragraph defining the term;
- a bare term line or bullet explains its term with the list or paragraph after it, or the bullets
  nested under it; `- Term :` with nothing after the colon likewise (B102).
Every region is checked for backs that are not explanations (only names, only an image).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..blocks import strip_heading_number
from ..models import term_key, text_key
from .checks import CAPTION, LABEL_WORDS, Pattern, is_label_term, term_problem
from .terms import EMPH, parse_term
from .text import HANGUL_SYLLABLE, clean_inline

if TYPE_CHECKING:
    from .lines import Split
    from .note import NoteExtractor

PATTERNS = [
    Pattern("B101", "term-then-list", "a short term line (paragraph, list item or heading) followed by a list "
            "that explains it; the list is the definition", "Adagrad\n- gradient가 커지면 ..."),
    Pattern("B102", "empty-colon", "`- Term :` with nothing after the colon, explained by its nested items or "
            "the following paragraph", "- 멀티테스크러닝 :\n  여러 테스크를 함께 ..."),
    Pattern("B103", "term-then-text", "a list item that is only a term (or `Term = alias`), explained by the "
            "lines and paragraphs that follow it", "- 컨티뉴어 러닝?\n민감한 정보를 다룰 때 ..."),
    Pattern("B104", "heading-then-text", "a heading (also `X란?`, `What is X?`, a callout title, a `<summary>`) or a "
            "bold line that names a term, explained by the text of its section", "### Teacher Network\nA large model that ..."),
]

MAX_FOLLOW_LINES = 40
MAX_LATER_PARAGRAPHS = 3  # how far past a lead that never names its term the defining paragraph is looked for
MAX_SECTION_LINES = 40
MAX_TITLE_NAME_WORDS = 5  # a list line of this many title-case words is a name (`Live Share Extension Pack`)
SHORT_LEAD_CHARS = 20  # a first paragraph shorter than this only names a kind (`압축 알고리즘 중 하나`)
# How a sentence (not a title) ends: `…표현하는 것`, `…가능하다.`, `… is a list of numbers.`
_SENTENCE_END = re.compile(r"(?:다|것|음|함|됨|임|[a-z]{2}\.)[.!]?\s*$")
# A heading's left side that only labels what its right side names: `Stage 2 : Fine-tuning`, `New Task: X`.
_LABEL_HEAD = re.compile(r"^(?:(?:stage|step|part|phase|task|new task|chapter|lecture|lesson|week|day|method|"
                         r"approach|solution|해결|해결책|방법|단계)\s*\d*|\d+)$", re.I)
_DEFINES = re.compile(r"(?:이다|한다|의미한다|말한다|뜻한다|부른다|불린다|(?:이)?라고 한다|(?:이)?라 한다|나타낸다|가리킨다|"
                      r"것이다|방법이다|기법이다|모델이다)[.!]?\s*$|\b(?:is|are) (?:a|an|the|called)\b|\brefers? to\b|"
                      r"\b(?:called|known as|defined as)\b", re.I)


# A paragraph that stops mid-sentence (`… 사라지게 하며`, `… 할 때,`): the next one goes on with it.
_GOES_ON = re.compile(r"(?:[,，]|하며|이며|되며|하고|이고|되고|지만|는데|면서)\s*$")
# After a name that opens a sentence: a Korean topic or subject particle, `이란`, or an English copula.
_SUBJECT_AFTER = re.compile(r"\s*(?:\([^()]*\)\s*)?(?:(?:은|는|이란|란|이라는|이|가)(?=[\s,.]|$)|(?:is|are|refers?|means?)\b)",
                            re.I)
# The subject a sentence opens with: up to four words before a topic particle or a copula (`Cloud는 …`, `품사란 …`,
# `On-premise servers are …`).
_OPENING_SUBJECT = re.compile(r"^(\S+(?:\s\S+){0,3}?)(?:(?:은|는|이란|란)(?=\s)|\s(?:is|are)\s)")


def heading(ex: NoteExtractor, i: int) -> None:
    """B101/B104 on a heading: its term explained by its section."""
    if i in ex.consumed:
        return
    x = ex.b[i]
    text = clean_inline(strip_heading_number(x.text))
    if not text:
        return
    region = section(ex, i)
    while region and not clean_inline(ex.b[region[0]].text) and ex.b[region[0]].kind != "math":
        region = region[1:]  # an image or a line of markup before the text
    lead: list[str] = []
    sp = ex.split(i)
    if sp is not None and sp.sep in ("colon", "dash") and sp.right:
        right, right_aliases = parse_term(clean_inline(sp.right))
        if sp.problem == "number" or _LABEL_HEAD.match(clean_inline(sp.term)):
            term, aliases = right, right_aliases  # `Stage 2 : Fine-tuning`, `해결: mutual exclusion`
        elif not sp.problem and term_problem(clean_inline(sp.right)) == "stop-term":
            term, aliases = sp.term, sp.aliases  # `Back Propagation - Part 2`: the part, not what it is
        elif not sp.problem:
            term, aliases, lead = sp.term, sp.aliases, [sp.right]  # `Term : what it is` as a heading
        else:
            term, aliases = parse_term(text)
    else:
        term, aliases = parse_term(text)
    if not region and not lead:
        region = label_subsection(ex, i)
    if not region and not lead:
        lead, region = sentence_subheading(ex, i)
    if not region and not lead:
        return
    rule = "B101" if region and ex.b[region[0]].kind == "item" and not lead else "B104"
    problem = term_problem(term, ex.s.stop_terms)
    if problem:
        ex.reject(i, term, "", problem, rule)
        return
    if lead and not region:
        ex.emit(i, term, aliases, lead, rule)
        return
    if not lead and rule == "B104":
        region = defining_first(ex, region, [term, *aliases])
    block_card(ex, i, term, aliases, region, rule, lead)


def section(ex: NoteExtractor, i: int) -> list[int]:
    """The text under heading i up to the next heading of any level: paragraphs, list items, math."""
    out: list[int] = []
    j = i + 1
    while j < len(ex.b) and ex.b[j].kind != "heading" and len(out) < MAX_SECTION_LINES:
        if ex.b[j].kind in ("item", "para", "math"):
            if pseudo_heading(ex, j):
                break  # (right under the heading: the heading only groups such blocks)
            out.append(j)
        j += 1
    return out


def pseudo_heading(ex: NoteExtractor, j: int) -> bool:
    """Block j is a line of its own that heads a list explaining it (`Early Stopping` then bullets):
    a heading in all but markup, so a section ends there."""
    y = ex.b[j]
    return (y.kind == "para" and (j == 0 or ex.b[j - 1].group != y.group)
            and (j + 1 >= len(ex.b) or ex.b[j + 1].group != y.group)
            and ex.term_line(j) is not None and bool(ex.following_list(j)))


def label_subsection(ex: NoteExtractor, i: int) -> list[int]:
    """For a heading with no text of its own: the section of its first sub-heading when that one only
    labels an aspect of it (`# U-Net` → `## U-Net 특징`, `## Thread` → `### 기본 개념`)."""
    x = ex.b[i]
    j = i + 1
    while j < len(ex.b) and ex.b[j].kind not in ("heading",) and not clean_inline(ex.b[j].text):
        j += 1
    if j >= len(ex.b) or ex.b[j].kind != "heading" or ex.b[j].level <= x.level:
        return []
    sub = clean_inline(strip_heading_number(ex.b[j].text))
    if not is_label_term(sub):
        return []
    if not _about_heading(sub, strip_heading_number(x.text)):
        return []  # `# 데이터 입·출력 구현` → `## 데이터 모델의 개념`: an aspect of something else, its own card
    ex.consumed.add(j)  # the sub-heading is part of this card now, not a card of its own
    return section(ex, j)


def _about_heading(label: str, heading_text: str) -> bool:
    """A label sub-heading (`특징`, `기본 개념`, `U-Net 특징`, `ANN의 개념`) is about the heading above it unless
    it names something else before its label word (`데이터 모델의 개념` under `데이터 입·출력 구현`)."""
    words = label.split()
    last = words[-1]
    head = words[:-1]
    if "의" in last and term_key(last.rsplit("의", 1)[1]) in LABEL_WORDS:
        head = [*head, last.rsplit("의", 1)[0]]
    elif head and head[-1].endswith("의"):
        head[-1] = head[-1][:-1]
    stem = term_key(" ".join(head))
    if not stem or is_label_term(" ".join(head)):
        return True  # `특징`, `기본 개념`
    above = term_key(heading_text)
    initials = "".join(w[0] for w in " ".join(head).replace("-", " ").split() if w[:1].isalpha()).casefold()
    return stem in above or above in stem or initials == above  # `# ANN` → `Approximate Nearest Neighbor 개념`


def sentence_subheading(ex: NoteExtractor, i: int) -> tuple[list[str], list[int]]:
    """For a heading with no text of its own: a first sub-heading that is a whole sentence is its answer
    written large (`# Vector란?` → `### 한 점을 나타내고 원점으로부터 상대적 위치를 표현하는 것`), and the
    text under it goes on explaining."""
    x = ex.b[i]
    j = i + 1
    if j >= len(ex.b) or ex.b[j].kind != "heading" or ex.b[j].level <= x.level:
        return [], []
    said = clean_inline(strip_heading_number(ex.b[j].text))
    if term_problem(said) not in ("too long", "sentence-like") or not _SENTENCE_END.search(said):
        return [], []
    ex.consumed.add(j)  # the sub-heading is this card's first line, not a card of its own
    return [said], section(ex, j)


def defining_first(ex: NoteExtractor, region: list[int], names: list[str]) -> list[int]:
    """The section with the paragraph that defines the term first (`… 이를 통칭하여 PEFT라고 부른다.`,
    `A model is …`), when motivation comes before it: a back leads with its definition."""
    keys = [term_key(n) for n in names if len(term_key(n)) >= 2]
    first = ex.b[region[0]] if region else None
    if first is None or first.kind != "para" or any(k in text_key(clean_inline(first.text)) for k in keys):
        return region  # it opens with a formula, a list, or a sentence about the term itself
    for j in region[1:]:
        y = ex.b[j]
        if y.kind != "para":
            continue
        text = clean_inline(y.text)
        if _names_it(text, keys):
            group = [k for k in region if ex.b[k].group == y.group]
            if group[0] == region[0]:
                return region
            return group + [k for k in region if k not in group]
    return region


def empty_colon(ex: NoteExtractor, i: int, sp: Split) -> None:
    """B102: `- Term :` with nothing after the colon, explained by its nested items or the text below."""
    x = ex.b[i]
    tail = ex.own_tail(i)
    more = ex.following_text(i, tail) if x.depth <= 0 else []
    lines = [ex.line_text(j, x.depth + 1) for j in tail + more]
    if not tail and not more and x.kind == "para":
        lines = [ex.line_text(j, 0) for j in ex.following_list(i)]
    if not any(ln.strip() for ln in lines):
        ex.reject(i, sp.term, "", "no definition", "B102")
        return
    ex.emit(i, sp.term, sp.aliases, lines, "B102", tail + more)


def bare_term(ex: NoteExtractor, i: int) -> None:
    """B101/B103/B104 on a list item or paragraph line that is only a term: explained by the bullets nested
    under it, the list right after it, or (a line of its own, or in bold) the paragraph after it."""
    x = ex.b[i]
    if x.kind == "item" and x.first and not ex.own_tail(i) and ex.bullets_under_number(i):
        region = ex.following_list(i)  # `2) Session` then `- …` lines unindented: bullets under a numbered item
        rule = "B101"
    elif x.kind == "item" and x.first:
        tail = ex.own_tail(i)
        more = ex.following_text(i, tail) if x.depth <= 0 else []
        region = tail + more
        rule = "B101" if tail and all(ex.b[j].first for j in tail) and not more else "B103"
    elif x.kind == "item" and not x.first and ex.starts_block(i):
        region = ex.following_list(i)
        rule = "B101"
    elif x.kind == "para" and (i + 1 >= len(ex.b) or ex.b[i + 1].group != x.group):
        region = ex.following_list(i)
        rule = "B101"
        standalone = i == 0 or ex.b[i - 1].group != x.group
        if not region and standalone and i + 1 < len(ex.b):
            nxt = ex.b[i + 1]  # `**Bold term**` or a bare term line, then a paragraph that explains it
            if nxt.kind == "para" and nxt.line - x.line <= 2 and not ex.is_pair_line(i + 1) \
                    and (EMPH.match(x.text.strip()) or ex.term_line(i + 1) is None):
                region = _paragraph(ex, i + 1)
                region += _after_short_lead(ex, region)
                region = _defining_later(ex, region, parse_term(clean_inline(x.text))) or region
                rule = "B104"
    else:
        return
    if not region:
        return
    raw = clean_inline(x.text)
    term, aliases = parse_term(raw.rstrip("?？").strip() if x.kind == "item" else raw)
    problem = term_problem(term, ex.s.stop_terms)
    if problem:
        if problem not in ("no letters",):
            ex.reject(i, term, "", problem, rule)
        return
    block_card(ex, i, term, aliases, region, rule)


def _names_it(text: str, keys: list[str]) -> bool:
    """`text` is a sentence about one of the names (keys): it opens with one as its subject (`Edge device는 …`,
    `품사 태깅은 …`, `Edge devices are …`) or names one and reads as a definition (`… 이를 PEFT라고 부른다`)."""
    key = text_key(text)
    for k in keys:
        for name in {k, k[:-1] if k.endswith("s") and len(k) > 3 else k}:
            if key.startswith(name) and _SUBJECT_AFTER.match(_after_key(text, len(name))):
                return True
    return any(k in key for k in keys) and bool(_DEFINES.search(text))


def _after_key(text: str, n: int) -> str:
    """What follows the first `n` key characters of `text` (`text_key` drops spaces, marks and case)."""
    seen = 0
    for pos, ch in enumerate(text):
        if seen >= n:
            return text[pos:]
        if text_key(ch):
            seen += 1
    return ""


def _defining_later(ex: NoteExtractor, region: list[int], named: tuple[str, list[str]]) -> list[int]:
    """After a term line, a lead that never names the term (an image, its caption, a sentence about something
    else: `Cloud는 …` under `**Edge devices**`) and, a paragraph or two further on, the sentence that does
    (`Edge device는 …`): that paragraph is the back. [] when the lead names the term or nothing later does."""
    term, aliases = named
    keys = [k for k in (term_key(n) for n in (term, *aliases)) if len(k) >= 2]
    if not keys or not region:
        return []
    for j in region:  # only a lead of images and captions, or of sentences about something else, is passed over
        text = CAPTION.sub("", clean_inline(ex.b[j].text)).strip()
        subject = _OPENING_SUBJECT.match(text)
        if text and (not subject or any(k.rstrip("s") in term_key(subject.group(1)) for k in keys)):
            return []
    j, groups = region[-1] + 1, 0
    while j < len(ex.b) and groups < MAX_LATER_PARAGRAPHS:
        y = ex.b[j]
        if y.kind != "para" or ex.is_pair_line(j) or ex.term_line(j) is not None:
            return []
        group = _paragraph(ex, j)
        if _names_it(clean_inline(y.text), keys):
            return group
        groups += 1
        j = group[-1] + 1
    return []


def _paragraph(ex: NoteExtractor, j: int) -> list[int]:
    """The blocks of the paragraph that starts at block j (at most MAX_FOLLOW_LINES of them)."""
    return [k for k in range(j, min(len(ex.b), j + MAX_FOLLOW_LINES)) if ex.b[k].group == ex.b[j].group]


def _after_short_lead(ex: NoteExtractor, region: list[int]) -> list[int]:
    """The paragraph after a lead too short to explain anything (`**Huffman coding**`, `압축 알고리즘 중 하나`,
    then the paragraph that says how it works): it goes on explaining the same term."""
    out: list[int] = []
    said = sum(len(CAPTION.sub("", clean_inline(ex.b[j].text))) for j in region)
    last = region[-1]
    while (said < SHORT_LEAD_CHARS or _GOES_ON.search(clean_inline(ex.b[last].text))) and last + 1 < len(ex.b) \
            and len(out) < MAX_FOLLOW_LINES:
        nxt = ex.b[last + 1]
        if nxt.kind != "para" or nxt.line - ex.b[last].line > 2 or ex.is_pair_line(last + 1) \
                or ex.term_line(last + 1) is not None:
            break
        group = _paragraph(ex, last + 1)
        out += group
        said += sum(len(CAPTION.sub("", clean_inline(ex.b[j].text))) for j in group)
        last = group[-1]
    return out


def _is_name(text: str) -> bool:
    """A line that only names something: up to three words, or up to five in title case (`Live Share
    Extension Pack`), no Korean and no full stop."""
    words = text.split()
    if HANGUL_SYLLABLE.search(text) or text.endswith("."):
        return False
    return len(words) <= 3 or len(words) <= MAX_TITLE_NAME_WORDS and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def block_card(ex: NoteExtractor, i: int, term: str, aliases: list[str], region: list[int], rule: str,
               lead: list[str] = ()) -> None:
    """A card from a term and the blocks that explain it, unless they only list names or show no text."""
    base = min((ex.b[j].depth for j in region if ex.b[j].kind == "item"), default=0)
    lines = [*lead, *(ex.line_text(j, base) for j in region)]
    texts = [(ex.b[j].depth, clean_inline(ex.b[j].text)) for j in region]
    texts = [(d, t) for d, t in texts if t]
    shallow = min((d for d, _ in texts), default=0)
    top = [t for d, t in texts if d == shallow]
    if not top:
        ex.reject(i, term, "\n".join(lines), "no text", rule)
        return
    intro = bool(texts) and texts[0][1].rstrip().endswith((":", "："))  # `Common steps are:` then the list
    rest = texts[1:] if intro else texts
    if rest and (len(rest) >= 2 or intro or len(texts) == 1) and not any(ex.b[j].kind == "math" for j in region) \
            and len({d for d, _ in rest}) == 1 \
            and all(_is_name(t) and not ex.is_pair_text(t) for _, t in rest):
        ex.reject(i, term, "\n".join(lines), "only names", rule)
        return
    ex.emit(i, term, aliases, lines, rule, region)
