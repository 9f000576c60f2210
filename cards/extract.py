"""Rule-based extraction: Blocks → Candidates (and Rejections that say why a line gave no card).

Each decision names a pattern id from `patterns.PATTERNS` or a reason from
`patterns.REJECTION_REASONS`, so `cards extract --explain` can show it.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from dataclasses import dataclass, field, replace
from functools import lru_cache

import regex

from .blocks import Block, parse_blocks, strip_heading_number
from .confidence import DEFAULT_MIN_CONFIDENCE, explain, features, score
from .models import Candidate, Rejection, Source, term_key, text_key
from .patterns import ACTIVITY_END, definition_problem, is_label_term, is_technical_term, sentence_like, term_problem

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
    r"|(?P<dash>\s+(?:--?|–)\s+|\s*—\s*))"
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
# Around a term: card markers of other tools and outliners (`[[card]]`, `#card`, `#flashcard`),
# block references `((uuid))`, leading emoji/arrows/stars/check marks, task markers.
_TERM_NOISE = regex.compile(r"\[\[(?:card|flashcard|anki)\]\]|(?<!\S)#(?:card|flashcard|anki|reverse)\b|\(\([0-9a-f-]{8,}\)\)",
                            regex.I)
_LEAD_SYMBOLS = regex.compile(r"^(?:(?![`^])[\p{So}\p{Sk}\p{Sm}\p{Cf}\u2022\u203b\u00b7\u25aa-\u25ff\u2190-\u21ff"
                              r"\u2600-\u27bf\ufe0f\u200d]|[★☆✓✔✅❓❗]|\s)+(?=\S)")
_TASK_MARKER = regex.compile(r"^(?:(?:TODO|DONE|LATER|NOW|DOING|WAITING|CANCELED|CANCELLED)\s+|\[[ xX]\]\s+|"
                             r"\[#[A-C]\]\s*)+")
_INNER_EMPH = re.compile(r"(\*\*|\*|__)(?=\S)([^*_]+?)(?<=\S)\1")
_LEAD_CITATION = re.compile(r"^\([^()]*\b(?:1[89]|20)\d\d\b[^()]*\)\s+(?=\S)")
_YEARS = re.compile(r"\s*[(（]\s*(?:1[89]|20)\d\d\s*(?:[~–-]\s*(?:(?:1[89]|20)\d\d)?\s*)?[)）]$")
# A heading that introduces its subject: `X 개념` (the concept of X) is the card of X.
_ABOUT_SUFFIX = re.compile(r"(?<=\S)(?:\s*의)?\s+(?:개념|기초|기본 개념|정의|기본|basics?|definition|concept)$", re.I)
# Questions that name the term they answer: `X란?`, `X이란`, `X은 무엇인가?`, `What is X?`, `什么是 X`.
_Q_KO = regex.compile(r"^(?P<t>.+?)\s*(?:(?:이)?란\s*[?？]?|(?:이란|란|은|는|이|가)\s+(?:무엇|뭐|뭔|뭘|어떤\s*것)\S*.*)$")
_Q_EN = regex.compile(r"^(?:what\s+(?:is|are|was|were)|what['’]s|define|what\s+does)\s+(?:an?\s+|the\s+)?(?P<t>[^?,;]+?)"
                      r"(?:\s+(?:do|mean|stand for))?\s*(?:[?,;].*)?$", regex.I)
_Q_ZH = regex.compile(r"^(?:什么是|何为|什麼是)\s*(?P<t>[^?？]+?)\s*[?？]?$")


_LATIN_WORDS = re.compile(r"^[A-Za-z][A-Za-z0-9.+'/-]*(?:\s+[A-Za-z0-9][A-Za-z0-9.+'/-]*){0,5}$")
_HANGUL_WORD = re.compile(r"^(?:[\uac00-\ud7a3]{2,8}|[\u4e00-\u9fff]{2,12})$")  # a Korean word, or a Chinese one
# Generic head nouns: `KLUE 데이터셋` is a name with its head noun, not a name and its translation.
_HEAD_NOUNS = {term_key(w) for w in "데이터 데이터셋 모델 알고리즘 함수 기법 방법 방식 네트워크 레이어 학습 구조 시스템 라이브러리 프레임워크 "
               "패키지 모듈 클래스 문제 개념 이론 논문 기술 도구 계층 언어 파일 서버 구현 적용 정리".split()}


def _translation_pair(t: str) -> tuple[str, tuple[str, ...]] | None:
    """`Overfitting 과적합`, `역전파 Backpropagation`: a name and its translation, read as a term and an alias."""
    words = t.split()
    if len(words) < 2 or "(" in t:
        return None
    for latin_first in (True, False):  # Latin words then one Korean word, or one Korean word then Latin words
        cut = len(words) - 1 if latin_first else 1
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        latin, korean = (first, second) if latin_first else (second, first)
        if _LATIN_WORDS.match(latin) and _HANGUL_WORD.match(korean) and len(latin.replace(" ", "")) >= 4 \
                and term_key(korean) not in _HEAD_NOUNS and not is_label_term(korean) \
                and not korean.endswith(ACTIVITY_END):
            return first, (second,)
    return None


@lru_cache(maxsize=16384)
def question_term(text: str) -> str:
    """The term a question heading or item asks about (`GLUE란?` → GLUE), or ""."""
    t = text.strip().strip("*_").strip()
    asks = t.endswith(("?", "？"))
    for rx in (_Q_EN, _Q_ZH, _Q_KO):
        m = rx.match(t)
        if m and rx is _Q_KO and not asks and not t.endswith("란"):
            continue
        if m:
            term = m.group("t").strip(" *_`'\"“”")
            if term and len(term.split()) <= 6 and term != t:
                return term
    return ""


# C007: `**Term**은 …`, `A **term** is …`, `In **term**, …`, `*Term* are …`.
_EMPH_LEAD = re.compile(r"^(?P<pre>(?:(?:an?|the|in|using|for|with)\s+)?)(?P<m>\*\*|__|\*|_)(?=[^\s*_])"
                        r"(?P<term>[^*_\n]{1,60}?)(?<=[^\s*_])(?P=m)(?P<rest>.*)$", re.I)
_KO_TOPIC = re.compile(r"^(?:은|는|이란|란|이라고|라고|이라는|라는|이|가)(?=\s|$)\s*")
_EN_GOES_ON = re.compile(r"^(?:[a-z][a-z'-]*|\()")
# A left side that is one code span naming something (a function, a type, a keyword), not code.
_CODE_TERM = re.compile(r"`([^`=;{}<>]{1,40})`")
_SHORT_ALIAS = re.compile(r"^(?P<alias>[^;,.()]{1,30}?)\s*;\s*(?P<rest>\S.*)$")
MAX_FOLLOW_LINES = 40
MAX_SECTION_LINES = 40
# A heading's left side that only labels what its right side names: `Stage 2 : Fine-tuning`, `New Task: X`.
_LABEL_HEAD = re.compile(r"^(?:(?:stage|step|part|phase|task|new task|chapter|lecture|lesson|week|day|method|"
                         r"approach|solution|해결|해결책|방법|단계)\s*\d*|\d+)$", re.I)


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
    if "&" in text:
        text = html.unescape(text).replace("\xa0", " ")  # `&nbsp;`, `&amp;`, `&lt;`: the characters they stand for
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


_SOFT_HINT = re.compile(r"[<\[&]")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")  # its `;` separates nothing


def mask_markup(text: str) -> str:
    """Same length as `text`, with images, links, wikilinks, HTML tags and comments blanked ("\x02"): a
    separator inside them (`[a: b](url)`, `<a href="x:y">`) is not a term separator."""
    if not _SOFT_HINT.search(text):
        return text
    return _blank(text, (_HTML_COMMENT, _IMG, _WIKI, _LINK, _TAG, _ENTITY), "\x02")


@dataclass
class Settings:
    """What rule files can change in extraction (see rules.py)."""

    stop_terms: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    extra: list = field(default_factory=list)  # list[rules.UserPattern]
    min_confidence: float = DEFAULT_MIN_CONFIDENCE  # candidates below it are held back as `unsure`


@dataclass
class _Split:
    term: str
    aliases: list[str]
    sep: str
    right: str
    problem: str | None
    code: bool = False  # the term was written as inline code


def parse_term(left: str) -> tuple[str, list[str]]:
    """Strip numbering, emphasis and a trailing colon; a parenthesis at the end gives an alias."""
    t, aliases = _parse_term(left)
    return t, list(aliases)


@lru_cache(maxsize=16384)
def _parse_term(left: str) -> tuple[str, tuple[str, ...]]:
    t = _NUMBERING.sub("", left.strip()).strip()
    t = _TERM_NOISE.sub(" ", t).strip()  # `[[card]]`, `#card`, `((block ref))`
    t = _LEAD_SYMBOLS.sub("", t).strip()  # emoji, arrows, stars, check marks in front
    t = _TASK_MARKER.sub("", t).strip()  # Logseq/Obsidian TODO, DONE, [#A], [ ] …
    t = _NUMBERING.sub("", t).strip()
    for _ in range(2):
        m = _EMPH.match(t)
        if m:
            t = _NUMBERING.sub("", m.group(2).strip()).strip()  # `**2. 동적 페이징**`
    if "*" in t or "_" in t:
        t = _INNER_EMPH.sub(r"\2", t)  # `*Granulocytes* include`: emphasis inside a term is not part of it
    t = t.strip("*_~ ").rstrip(":：").strip()
    t = _LEAD_CITATION.sub("", t).strip()  # `(Tom Mitchell, 1998) Well-posed Learning Problem`
    t = _YEARS.sub("", t).strip()  # `Batch Normalization (2015)`, `Pretext task (2014 ~ 2018)`
    about = _ABOUT_SUFFIX.sub("", t).strip()  # `Collaborative Filtering 개념`, `Thread 기초`, `KNN CF의 개념`
    if about and about != t and not is_label_term(about):
        t = about
    if len(t) > 2 and t[0] == "`" and t[-1] == "`" and t.count("`") == 2:
        t = t[1:-1].strip()  # a heading written as one code span: `` #### `TNR(True Negative Rate)` ``
    q = question_term(t)
    if q:
        t = q
    pair = _translation_pair(t)
    if pair:
        return pair
    m = _PAREN_ALIAS.match(t) if t.endswith((")", "）")) else None  # the regex is slow on long lines that fail
    if m is None and "(" in t:
        m = _INNER_PAREN.match(t)  # `역전파(Back Propagation) 알고리즘`: the name, its other name, a head noun
    if m:
        names = _alias_names(m.group("alias"))
        term = " ".join(x for x in (m.group("term").strip(" *_"), (m.groupdict().get("head") or "").strip()) if x)
        if names is not None:
            return term, names
        if m.re is _PAREN_ALIAS and term:
            return term, ()  # `DQN (inputs, eventual rewards)`, `Bootstrapping (in statistics)`: a note on the name
    return t, ()


_INNER_PAREN = re.compile(r"^(?P<term>[^()（）]+?)\s*[(（](?P<alias>[^()（）]{1,48})[)）]\s*(?P<head>\S+(?:\s\S+)?)$")
_ALIAS_PART_BAD = re.compile(r"\b(?:1[89]|20)\d\d\b|^(?:in|on|of|for|with|by|from|at|to|the|a|an|see|via|and|or)\b|"
                             r"\s[-+*/^=]\s|등$|etc\.?$", re.I)


@lru_cache(maxsize=8192)
def _alias_names(inside: str) -> tuple[str, ...] | None:
    """The other names a parenthesis gives (`(Transfer Learning)`, `(운영체제, Operating System)`), or None
    when it says something else: a year, a person, a list of examples, a formula, `in statistics`."""
    if _ALIAS_BAD.search(inside) or not _LETTER.search(inside):
        return None
    parts = [p.strip() for p in re.split(r"\s*[,，/]\s*", inside) if p.strip()]
    if not parts or len(parts) > 3:
        return None
    for p in parts:
        if _ALIAS_PART_BAD.search(p) or len(p.split()) > 6 or not _LETTER.search(p):
            return None
        if len(parts) > 1 and p[:1].islower() and not _HANGUL_SYLLABLE.search(p):
            return None  # `(inputs, labels)`: lowercase words listed, not names
    return tuple(parts) if len(parts) > 1 else (inside.strip(),)


_OPERATOR = re.compile(r"\s[-+*/^×·÷]\s|[*^×÷]|\d")  # `Confidence = Pr * IOU`: a formula, not another name
_DEFINES = re.compile(r"(?:이다|한다|의미한다|말한다|뜻한다|부른다|불린다|(?:이)?라고 한다|(?:이)?라 한다|나타낸다|가리킨다|"
                      r"것이다|방법이다|기법이다|모델이다)[.!]?\s*$|\b(?:is|are) (?:a|an|the|called)\b|\brefers? to\b|"
                      r"\b(?:called|known as|defined as)\b", re.I)
_EXAMPLE_LABELS = {term_key(w) for w in [
    "예", "예시", "예제", "사례", "적용 사례", "활용", "활용 방안", "활용 분야", "활용 예", "활용 예시", "사용 분야", "사용 예",
    "사용 예시", "사용처", "응용", "응용 분야", "적용 분야", "예를 들어", "예로", "use case", "use cases", "application",
    "applications", "example", "examples", "e.g.", "for example", "such as", "examples include", "uses"]}
BACK_BUDGET_FACTOR, BACK_BUDGET_EXTRA = 3, 150
_NOT_COUNTED = re.compile(r"[\W_]+")


def _weight(line: str) -> int:
    return len(_NOT_COUNTED.sub("", clean_inline(line)))


def within_budget(lines: list[str]) -> list[str]:
    """A back leads with its first explanation and keeps what follows only up to about three times that
    lead (and a few lines more): the rest is support, not a second essay (a section that goes on about
    other things, sub-topics with cards of their own, the next thought). It is cut only between blocks:
    a bullet goes with the bullets nested under it."""
    chunks: list[list[str]] = []
    for ln in lines:
        if chunks and ln[:1] in (" ", "\t"):
            chunks[-1].append(ln)  # nested under the line before
        else:
            chunks.append([ln])
    weights = [sum(_weight(ln) for ln in c) for c in chunks]
    lead = next((w for w in weights if w), 0)
    budget = BACK_BUDGET_FACTOR * lead + BACK_BUDGET_EXTRA
    out: list[str] = []
    used = 0
    for chunk, w in zip(chunks, weights):
        used += w
        if out and used > budget:
            break
        out += chunk
    return out


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
        self.marked: set[int] = set()  # lines that carried another tool's card marker (`[[card]]`, `#card`)
        self.consumed: set[int] = set()  # label sub-headings read as part of their parent heading's card
        self.note_key = text_key(" ".join(x.text for x in blocks if x.kind != "code"))
        self.siblings: dict[tuple[int, int], list[int]] = {}  # (parent item, depth) → first lines of its items
        for n, x in enumerate(blocks):
            if x.kind == "item" and x.first:
                self.siblings.setdefault((x.parent, x.depth), []).append(n)

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
            code = False
            if "\x01" in hard[: m.start()]:
                named = _CODE_TERM.fullmatch(_NUMBERING.sub("", left_raw.strip()).strip("*_ "))
                if _MATH.fullmatch(left_raw.strip().strip("*_ ")):
                    return _Split(left, [], kind, right, "formula")  # `$h_t$ : …`: notation, not a concept
                elif named and clean_inline(right) and len(clean_inline(right).split()) >= 3:
                    left, code = named.group(1).strip(), True  # `` `session.destroy()` - destroys … ``
                else:
                    return _Split(left, [], kind, right, "url" if _URL.search(left_raw) else "in code")
            term, aliases = parse_term(left)
            problem = term_problem(term, self.s.stop_terms)
            if problem in ("number", "stop-term") and _SEP.search(mask_markup(mask(right))):
                inner = self._split(right)  # `2017 - Transformer : …`, `Compromise: Key -- …`: a label first
                if inner and not inner.problem:
                    return inner
            if problem == "stop-term" and question_term(clean_inline(right)):
                term, aliases = parse_term(clean_inline(right))  # `Note: what does fit_one_cycle() do?`
                return _Split(term, aliases, kind, "", term_problem(term, self.s.stop_terms))
            if kind == "arrow" and not problem and not is_technical_term(term):
                problem = "weak arrow"
            if kind in ("dash", "arrow") and not problem and len(clean_inline(right)) < 4:
                problem = "too short"
            return _Split(term, aliases, kind, right, problem, code)
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

    def emit(self, i: int, term: str, aliases: list[str], lines: list[str], rule: str,
             region: list[int] | tuple[int, ...] = (), evidence: dict[str, float] | None = None) -> None:
        if rule in self.s.disabled:
            self.reject(i, term, "\n".join(lines), "pattern off", rule, f"{rule} is switched off in a rule file")
            return
        label = self.under_examples(i)
        if label:
            self.reject(i, term, "\n".join(lines), "example", rule, f"listed under {label!r}")
            return
        body = "\n".join(within_budget([ln for ln in lines if ln.strip()]))
        problem = definition_problem(clean_inline(" ".join(ln.strip() for ln in body.split("\n"))), body)
        if problem:
            self.reject(i, term, body, problem, rule)
            return
        parent = self.parent_label(i)
        ctx = self.context(i) + ([parent] if parent else [])
        self.cands.append(Candidate(term=term, definition=body, aliases=aliases, rule=rule,
                                    source=self.src(i), context=ctx,
                                    evidence={**self.structure(i, region, term), **(evidence or {})}))

    def structure(self, i: int, region, term: str) -> dict[str, float]:
        """Evidence about where a candidate sits: the kind of line, its depth, what explains it."""
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
            mentions = self.note_key.count(key) - 1  # the term's own line
            ev["term_mentions"] = min(max(mentions, 0), 6) / 3
        if x.kind == "item" and x.first:
            sib = [j for j in self.siblings.get((x.parent, x.depth), ()) if j != i]
            if len(sib) >= 2:
                ev["sibling_pair_share"] = sum(1 for j in sib if self.is_pair_line(j)) / len(sib)
        return ev

    def reject(self, i: int, term: str, definition: str, reason: str, rule: str = "", detail: str = "") -> None:
        self.rejs.append(Rejection(term=term[:120], definition=definition[:300], reason=reason, rule=rule,
                                   detail=detail, source=self.src(i)))

    def line_text(self, j: int, base_depth: int) -> str:
        x = self.b[j]
        if x.kind == "math":
            return "$$ " + " ".join(x.text.split()) + " $$"
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
        """Paragraphs after a top-level item that only names a term (`- Term :`, `- Term?`, `- A = B`).

        Not after the last item of a longer list: a paragraph after a list belongs to the text around it."""
        x = self.b[i]
        if x.kind == "item" and not tail and len(self.siblings.get((x.parent, x.depth), ())) > 1:
            return []
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

    def starts_text(self, i: int) -> bool:
        """Block i is the first line of its list item or paragraph."""
        x = self.b[i]
        return x.first if x.kind == "item" else (i == 0 or self.b[i - 1].group != x.group)

    def emphasised_lead(self, i: int) -> bool:
        """C007: a sentence that opens with the term in bold or italics and goes on to explain it:
        `**커널(Kernel)**은 …`, `A **model** is …`, `In **supervised learning**, …`, `*Outliers* are …`."""
        x = self.b[i]
        if not self.starts_text(i) or "*" not in x.text[:12] and "_" not in x.text[:12]:
            return False
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
        if not back or term_problem(term, self.s.stop_terms):
            return False
        tail = self.own_tail(i)
        if not tail and back.rstrip().endswith((":", "：")):
            tail = self.following_list(i) or self.following_text(i, [])  # `*Macrophages* come from:` + what
        if len(clean_inline(back).split()) < 2 and not tail:
            return False
        self.emit(i, term, aliases, [back] + [self.line_text(j, x.depth + 1) for j in tail], "C007", tail)
        return True

    def pair_or_term(self, i: int) -> None:
        x = self.b[i]
        if self.emphasised_lead(i):
            return
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
                self.emit(i, sp.term, sp.aliases, lines, "B102", tail + more)
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
                    and not _OPERATOR.search(right) and not term_problem(parse_term(right)[0]):
                # `Term = other name`: an alias; the explanation (if any) follows
                alias = parse_term(right)[0]
                more = self.following_text(i, tail) if x.depth <= 0 else []
                if tail or more:
                    lines = [self.line_text(j, x.depth + 1) for j in tail + more]
                    self.emit(i, sp.term, aliases + [alias], lines, "C003", tail + more)
                else:
                    self.emit(i, sp.term, aliases + [alias], [right], "C003")
                return
            tail = self.without_subcards(tail) if clean_inline(right) else tail
            lines = [right] + [self.line_text(j, x.depth + 1) for j in tail]
            if not tail and len(clean_inline(right)) < 30:
                lines += self.next_sibling_sentence(i)
            self.emit(i, sp.term, aliases, lines, rule, tail, {"term_code": 1.0} if sp.code else None)
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
            standalone = i == 0 or self.b[i - 1].group != x.group
            if not region and standalone and i + 1 < len(self.b):
                nxt = self.b[i + 1]  # `**Bold term**` or a bare term line, then a paragraph that explains it
                if nxt.kind == "para" and nxt.line - x.line <= 2 and not self.is_pair_line(i + 1) \
                        and (_EMPH.match(x.text.strip()) or self.term_line(i + 1) is None):
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

    def block_card(self, i: int, term: str, aliases: list[str], region: list[int], rule: str,
                   lead: list[str] = ()) -> None:
        base = min((self.b[j].depth for j in region if self.b[j].kind == "item"), default=0)
        lines = [*lead, *(self.line_text(j, base) for j in region)]
        texts = [(self.b[j].depth, clean_inline(self.b[j].text)) for j in region]
        texts = [(d, t) for d, t in texts if t]
        shallow = min((d for d, _ in texts), default=0)
        top = [t for d, t in texts if d == shallow]
        if not top:
            self.reject(i, term, "\n".join(lines), "no text", rule)
            return
        intro = bool(texts) and texts[0][1].rstrip().endswith((":", "："))  # `Common steps are:` then the list
        rest = texts[1:] if intro else texts
        if rest and (len(rest) >= 2 or intro or len(texts) == 1) and not any(self.b[j].kind == "math" for j in region) \
                and len({d for d, _ in rest}) == 1 \
                and all(len(t.split()) <= 3 and not _HANGUL_SYLLABLE.search(t)
                        and not self.is_pair_text(t) and not t.endswith(".") for _, t in rest):
            self.reject(i, term, "\n".join(lines), "only names", rule)
            return
        self.emit(i, term, aliases, lines, rule, region)

    def without_subcards(self, tail: list[int]) -> list[int]:
        """The lines of a defined term's tail that explain it: nested `X : …` items are cards of their own
        (`상태 (S): 현재 상황` over `초기상태 : …`, `종료상태 : …`), and leave it with their own bullets."""
        out: list[int] = []
        cut: set[int] = set()
        for j in tail:
            y = self.b[j]
            if y.kind == "item" and y.item >= 0 and (y.parent in cut or y.item in cut):
                cut.add(y.item)
                continue
            if y.kind == "item" and y.first and self.is_pair_line(j) and not is_label_term(self.split(j).term):
                cut.add(y.item)
                continue
            out.append(j)
        return out

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

    def section(self, i: int) -> list[int]:
        """The text under heading i up to the next heading of any level: paragraphs, list items, math."""
        out: list[int] = []
        j = i + 1
        while j < len(self.b) and self.b[j].kind != "heading" and len(out) < MAX_SECTION_LINES:
            if self.b[j].kind in ("item", "para", "math"):
                if self.pseudo_heading(j):
                    break  # (right under the heading: the heading only groups such blocks)
                out.append(j)
            j += 1
        return out

    def pseudo_heading(self, j: int) -> bool:
        """Block j is a line of its own that heads a list explaining it (`Early Stopping` then bullets):
        a heading in all but markup, so a section ends there."""
        y = self.b[j]
        return (y.kind == "para" and (j == 0 or self.b[j - 1].group != y.group)
                and (j + 1 >= len(self.b) or self.b[j + 1].group != y.group)
                and self.term_line(j) is not None and bool(self.following_list(j)))

    def label_subsection(self, i: int) -> list[int]:
        """For a heading with no text of its own: the section of its first sub-heading when that one only
        labels an aspect of it (`# U-Net` → `## U-Net 특징`, `## Thread` → `### 기본 개념`)."""
        x = self.b[i]
        j = i + 1
        while j < len(self.b) and self.b[j].kind not in ("heading",) and not clean_inline(self.b[j].text):
            j += 1
        if j >= len(self.b) or self.b[j].kind != "heading" or self.b[j].level <= x.level:
            return []
        sub = clean_inline(strip_heading_number(self.b[j].text))
        if not is_label_term(sub):
            return []
        self.consumed.add(j)  # the sub-heading is part of this card now, not a card of its own
        return self.section(j)

    def heading(self, i: int) -> None:
        if i in self.consumed:
            return
        x = self.b[i]
        text = clean_inline(strip_heading_number(x.text))
        if not text:
            return
        region = self.section(i)
        while region and not clean_inline(self.b[region[0]].text) and self.b[region[0]].kind != "math":
            region = region[1:]  # an image or a line of markup before the text
        lead: list[str] = []
        sp = self.split(i)
        if sp is not None and sp.sep in ("colon", "dash") and sp.right:
            right, right_aliases = parse_term(clean_inline(sp.right))
            if sp.problem == "number" or _LABEL_HEAD.match(clean_inline(sp.term)):
                term, aliases = right, right_aliases  # `Stage 2 : Fine-tuning`, `해결: mutual exclusion`
            elif not sp.problem:
                term, aliases, lead = sp.term, sp.aliases, [sp.right]  # `Term : what it is` as a heading
            else:
                term, aliases = parse_term(text)
        else:
            term, aliases = parse_term(text)
        if not region and not lead:
            region = self.label_subsection(i)
        if not region and not lead:
            return
        rule = "B101" if region and self.b[region[0]].kind == "item" and not lead else "B104"
        problem = term_problem(term, self.s.stop_terms)
        if problem:
            self.reject(i, term, "", problem, rule)
            return
        if lead and not region:
            self.emit(i, term, aliases, lead, rule)
            return
        if not lead and rule == "B104":
            region = self.defining_first(region, [term, *aliases])
        self.block_card(i, term, aliases, region, rule, lead)

    def defining_first(self, region: list[int], names: list[str]) -> list[int]:
        """The section with the paragraph that defines the term first (`… 이를 통칭하여 PEFT라고 부른다.`,
        `A model is …`), when motivation comes before it: a back leads with its definition."""
        keys = [term_key(n) for n in names if len(term_key(n)) >= 2]
        first = self.b[region[0]] if region else None
        if first is None or first.kind != "para" or any(k in text_key(clean_inline(first.text)) for k in keys):
            return region  # it opens with a formula, a list, or a sentence about the term itself
        for j in region[1:]:
            y = self.b[j]
            if y.kind != "para":
                continue
            text = clean_inline(y.text)
            if any(k in text_key(text) for k in keys) and _DEFINES.search(text):
                group = [k for k in region if self.b[k].group == y.group]
                if group[0] == region[0]:
                    return region
                return group + [k for k in region if k not in group]
        return region

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


_CARD_MARK = re.compile(r"\[\[(?:card|flashcard|anki)\]\]|(?<!\S)#(?:card|flashcard|anki)\b", re.I)
_PROPERTY = re.compile(r"^[A-Za-z][\w-]*::(?:\s|$)")  # Logseq / Dataview `key:: value` lines
_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary>", re.I | re.S)
_HTML_HEADING = re.compile(r"^<h([1-6])\b[^>]*>(.*?)</h\1>$", re.I | re.S)
_CALLOUT = re.compile(r"^\[!(\w[\w-]*)\][+-]?\s*")  # Obsidian `> [!note] Title`
_ASIDE_CALLOUTS = {"todo", "warning", "caution", "attention", "danger", "error", "bug", "failure", "fail", "missing",
                   "question", "help", "faq", "quote", "cite", "tip", "hint"}


def _indented_prose(b: Block, lines: list[str] | None) -> list[Block] | None:
    """An indented 'code block' that is really indented prose (a habit of some note takers): its lines as a
    paragraph. Fenced code, and anything with the punctuation of code, stays code."""
    if lines is None or not (0 < b.line <= len(lines)) or not lines[b.line - 1][:1] in (" ", "\t"):
        return None
    text = b.text.strip("\n")
    if not text.strip() or len(_CODE_CHARS.findall(text)) > 0.04 * len(text) or not _HANGUL_SYLLABLE.search(text):
        return None  # prose: Korean sentences (English prose in an indented block is too often a code sample)
    out = []
    for k, ln in enumerate(text.split("\n")):
        if ln.strip():
            out.append(replace(b, kind="para", text=ln.strip(), line=b.line + k, group=-b.line))
    return out


_CODE_CHARS = re.compile(r"[{}();=<>\[\]`$#]|^\s*(?:def|class|import|from|return|if|for|while|var|let|const|"
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
            text = _TERM_NOISE.sub("", b.text).strip()
            if text != b.text:
                if marked is not None and _CARD_MARK.search(b.text):
                    marked.add(b.line)
                if not text and not b.first:
                    continue
                b = replace(b, text=text)
        out.append(b)
    return out


def extract_blocks(path: str, blocks: list[Block], settings: Settings | None = None,
                   lines: list[str] | None = None) -> tuple[list[Candidate], list[Rejection]]:
    """Candidates from a note's Blocks (`lines`, the note's source lines, let indented prose be read)."""
    marked: set[int] = set()
    settings = settings or Settings()
    ex = _NoteExtractor(path, prepare(blocks, marked, lines), settings)
    ex.marked = marked
    ex.run()
    kept = []
    for c in ex.cands:
        f = features(c)
        c.evidence = f
        c.confidence = score(f)
        if c.confidence >= settings.min_confidence:
            kept.append(c)
        else:
            ex.rejs.append(Rejection(term=c.term, definition=c.definition[:300], reason="unsure", rule=c.rule,
                                     detail=f"confidence {c.confidence:.2f}; against: {explain(f)}",
                                     source=c.source))
    return kept, ex.rejs


def extract_text(text: str, path: str = "<text>", settings: Settings | None = None
                 ) -> tuple[list[Candidate], list[Rejection]]:
    """Extract from Markdown text (front matter must already be blanked; see notes.parse_note)."""
    return extract_blocks(path, parse_blocks(text), settings, text.split("\n"))
