"""How sure the extractor is that a candidate is a card a learner would keep.

Every candidate carries evidence: what the pattern saw about where it sits (the
extractor's `structure`) and what this module reads off its term and its back.
The confidence is a logistic function of that evidence with fixed weights
(`cards/extract/weights.py`, plain numbers fitted by `benchmarks/calibrate.py` on
hand-labelled notes). Candidates below `min_confidence` are held back: they are
listed with reason `unsure` by `--explain` and in the preview, and
`--min-confidence 0` brings them in.

Each feature is a small, named fact (`term_label_word`, `back_defines`, …) so a
held-back candidate can say why: `explain` names the evidence that weighed most
against it.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache

from ..models import Candidate, term_key
from .checks import JOURNAL_KO, LABEL_WORDS
from .weights import BIAS, WEIGHTS

DEFAULT_MIN_CONFIDENCE = 0.62

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z][A-Z0-9]{1,}(?:-?[A-Z0-9]+)*s?(?![a-z])")
_DIGIT = re.compile(r"\d")
_EN_FUNCTION = {"the", "a", "an", "to", "not", "no", "how", "why", "what", "when", "which", "who", "is", "are",
                "can", "will", "should", "do", "does", "be", "it", "this", "that", "these", "those", "your",
                "our", "my", "we", "you", "i", "they", "there", "here"}  # words of a clause, not of a name

# Words of a study log or a bootcamp day (the audit's journal class): sections, meetings, people.
_JOURNAL_WORDS = tuple(term_key(w) for w in (*JOURNAL_KO, *"""
오늘 어제 내일 과제 daily scrum retrospective meeting mentoring standup homework journal diary weekly
""".split()))  # (a term holding one of JOURNAL_KO is already rejected as a stop term: checks.is_stop_term)

_KO_DEFINING_END = re.compile(
    r"(?:이다|한다|된다|있다|없다|같다|의미한다|말한다|뜻한다|나타낸다|가리킨다|부른다|칭한다|한다고|이며|이고|으로|로서|"
    r"것|방법|기법|방식|모델|알고리즘|구조|함수|기술|개념|과정|현상|상태|값|단위|도구|분포|문제|작업|지표|기준|학습|네트워크|"
    r"레이어|층|연산|데이터|집합|형태|규칙|프로세스|시스템|언어|정보|확률|비율|수|행렬|벡터|임|함|됨|음)"
    r"[.。!]?\s*$")
_EN_DEFINING = re.compile(r"\b(?:is|are|was|were|refers? to|means?|denotes?|describes?|represents?|"
                          r"stands? for|used (?:to|for)|called|defined as|consists? of|allows?|measures?)\b", re.I)
_PERSONAL = re.compile(r"(?:^|\s)(?:나는|내가|나도|저는|제가|우리|우리는|우리가|I|I'm|I've|we|We|my|My|our|Our)(?:\s|$)|"
                       r"(?:했다|했음|했습니다|하였다|했어요|였다|좋았|좋아해|아쉬|재밌|재미있|느꼈|느낀|생각한다|생각했|싶다|싶어|"
                       r"해서$|해봐야|해보자|같다\.?$|ㅋㅋ|ㅎㅎ|ㅠ|!!)", re.M)
_TODO_END = re.compile(r"(?:하기|보기|되기|쓰기|읽기|만들기|정리하기|작성하기|도전하기|할 것|할것|해야함|해야 함|예정)\s*[.!]?$")
_URL = re.compile(r"https?://|www\.", re.I)
_IMAGE = re.compile(r"!\[[^\]\[]*\]\([^()\n]*\)|!\[\[[^\]\[]*\]\]|<img\b", re.I)
_LINKISH = re.compile(r"\[\[[^\]\[]*\]\]|!?\[[^\]\[]*\]\([^()\n]*\)|\[[^\]\[]*\]\[[^\]\[]*\]|https?://\S+|<[^<>]+>")
_EN_VERB = re.compile(
    r"^(?:[a-z]+(?:izes?|ises|ify|ifies)|is|are|was|were|has|have|had|bind|binds|make|"
    r"makes|take|takes|get|gets|use|uses|need|needs|show|shows|come|comes|include|includes|produce|produces|"
    r"cause|causes|help|helps|work|works|mean|means|become|becomes|give|gives|allow|allows|let|lets|go|goes|"
    r"remove|removes|add|adds|create|creates|convert|converts|find|finds|keep|keeps|contain|contains|depend|"
    r"depends|require|requires|provide|provides|prevent|prevents|generate|generates|lack|lacks|recognize|"
    r"recognizes|bound|did|does|do|can|could|should|will|would|must)$")
_CONCEPT_END = re.compile(
    r"(?:tion|sion|ment|ness|ity|ism|ance|ence|ogy|ics|ing|ers?|ors?|net|nets|model|models|layer|layers|network|"
    r"networks|function|loss|rate|score|matrix|vector|space|tree|graph|encoding|embedding|learning|regression|"
    r"화|성|법|률|율|도|기|자|망|층|수|형|량|값|분포|함수|행렬|모델|학습|러닝|네트워크|레이어|알고리즘|기법|이론|정리|법칙|분석|"
    r"검정|추정|벡터|공간|구조|계층|엔진|시스템|프로토콜|변환|인코딩|임베딩|레벨|트리|그래프|큐|스택|힙|해시|키|뷰|셋)"
    r"(?:\s*\([^)]*\))?$", re.I)
_NON_WORD = re.compile(r"[\W\d_]+")
_EN_CLAUSE_LEAD = {"if", "when", "how", "why", "what", "for", "to", "use", "using", "make", "choose", "build", "do",
                   "don't", "try", "it", "this", "that", "there", "we", "i", "you", "they", "so", "but", "because",
                   "then", "also", "just", "see", "check", "read", "in", "on", "at", "by", "with", "e.g.", "eg",
                   "ex", "ex)", "i.e.", "etc"}
_HONORIFIC = re.compile(r"(?:님|씨|교수|교수님|강사|강사님|멘토|멘토님|조교|조교님|선생님|마스터|선배|후배)(?:의)?$")
_PAIR_LINE = re.compile(r"^\s*[^:：]{1,40}\s*[:：]\s*\S")
_VERBISH_KO = re.compile(r"(?:다|요|음|함|됨|임|기|했|고|서|면|지|게)[.!?]*$")
_MARKUP = re.compile(r"[*_~`]+")


def _words(text: str) -> list[str]:
    return text.split()


@lru_cache(maxsize=32768)
def term_features(term: str) -> tuple[tuple[str, float], ...]:
    """What a term's own shape says: words, script, acronyms, label and journal words."""
    t = term.strip()
    words = _words(t)
    n = len(words)
    f: dict[str, float] = {}
    f[f"term_words_{min(n, 4)}"] = 1.0
    hangul, latin, cjk = bool(_HANGUL.search(t)), bool(_LATIN.search(t)), bool(_CJK.search(t))
    if cjk:
        f["term_cjk"] = 1.0
    elif hangul and latin:
        f["term_mixed_script"] = 1.0
    elif hangul:
        f["term_hangul"] = 1.0
    elif latin:
        f["term_latin"] = 1.0
    if _ACRONYM.search(t):
        f["term_acronym"] = 1.0
    if _DIGIT.search(t):
        f["term_digit"] = 1.0
    if latin and not hangul and t[:1].isupper():
        f["term_capitalised"] = 1.0
    lowered = [w.lower().strip(",.:;()") for w in words]
    if any(w in _EN_FUNCTION for w in lowered[1:]) or (n >= 2 and lowered[0] in _EN_FUNCTION):
        f["term_function_word"] = 1.0
    if latin and not hangul and n >= 3 and all(w[:1].islower() for w in words[1:]) and words[0][:1].isupper() \
            and not _ACRONYM.search(" ".join(words[1:])):
        f["term_sentence_case"] = 1.0
    if latin and not hangul and n >= 2 and all(w[:1].islower() for w in words if w[:1].isalpha()):
        f["term_all_lower"] = 1.0
    if latin and not hangul and n >= 3 and any(_EN_VERB.match(w) for w in lowered[1:]):
        f["term_verb"] = 1.0  # `Peptides stabilize MHC molecules`: a sentence used as a heading
    keys = [term_key(w) for w in words]
    if term_key(t) in LABEL_WORDS:
        f["term_is_label_word"] = 1.0
    elif keys and (keys[-1] in LABEL_WORDS or ("의" in keys[-1] and keys[-1].rsplit("의", 1)[1] in LABEL_WORDS)):
        f["term_ends_label_word"] = 1.0
    last = words[-1] if words else ""
    if hangul and "의" in {w[-1:] for w in words[:-1]}:
        f["term_possessive"] = 1.0  # `X의 Y`: an aspect of X
    if any(k.startswith(_JOURNAL_WORDS) or k.endswith(_JOURNAL_WORDS) for k in keys):
        f["term_journal_word"] = 1.0
    if hangul and n >= 2 and _VERBISH_KO.search(last):
        f["term_verb_ending"] = 1.0
    f["term_chars"] = min(len(t), 60) / 30
    if _CONCEPT_END.search(t):
        f["term_concept_suffix"] = 1.0  # ends like a name of a method or a quantity: `…ization`, `…화`, `…러닝`
    if hangul and any(_HONORIFIC.search(w) for w in words):
        f["term_person"] = 1.0  # `진영님`, `김 교수`: a speaker, not a concept
    if "`" in t:
        f["term_code"] = 1.0
    return tuple(sorted(f.items()))


def _word_count(text: str) -> int:
    """Words in `text`; Chinese and Japanese write none of the spaces between them, so a run of their
    characters counts as a word for every two (`不能被检查` is a clause, not one name)."""
    return len(text.split()) + len(_CJK.findall(text)) // 2


@lru_cache(maxsize=32768)
def back_features(back: str) -> tuple[tuple[str, float], ...]:
    """What the back says: does it define, is it a log entry, a list of links or names, an image."""
    lines = [ln.strip() for ln in back.split("\n") if ln.strip()]
    f: dict[str, float] = {}
    if not lines:
        return ()
    first = lines[0]
    chars = sum(len(ln) for ln in lines)
    f["back_chars"] = min(math.log1p(chars) / 6, 1.5)
    f["back_lines"] = min(len(lines), 20) / 10
    if _KO_DEFINING_END.search(first) or _EN_DEFINING.search(" ".join(first.split()[:12])):
        f["back_defines"] = 1.0
    if _PERSONAL.search(back):
        f["back_personal"] = 1.0
    todo = sum(1 for ln in lines if _TODO_END.search(ln))
    if todo:
        f["back_todo_share"] = todo / len(lines)
    urls = sum(1 for ln in lines if _URL.search(ln))
    if urls:
        f["back_url_share"] = urls / len(lines)
    images = sum(1 for ln in lines if _IMAGE.search(ln))
    if images:
        f["back_image_share"] = images / len(lines)
    asked = _MARKUP.sub("", first).strip()
    if asked.endswith(("?", "？")) or asked.startswith(("?", "？")):
        f["back_question"] = 1.0  # `**?Why would ppl want this?**`: what to find out, not what it is
    if _PAIR_LINE.match(first):
        f["back_first_is_pair"] = 1.0
    short = sum(1 for ln in lines if _word_count(ln) <= 3 and not _HANGUL.search(ln))
    if len(lines) >= 2 and short == len(lines):
        f["back_names_only"] = 1.0
    phrases = sum(1 for ln in lines if _word_count(ln) <= 4 and not ln.rstrip().endswith((".", "。", "다", ":", "?")))
    if len(lines) >= 3:
        f["back_phrase_share"] = phrases / len(lines)  # a list of names or headings rather than sentences
    letters = len(_NON_WORD.sub("", back))
    if letters and len(_NON_WORD.sub("", _LINKISH.sub(" ", back))) * 3 < letters:
        f["back_mostly_links"] = 1.0  # citations, wikilinks, URLs: a reading list, not an explanation
    lead = first.split()[0].lower().strip("*_`\"'") if first.split() else ""
    if lead in ("a", "an", "the", "one", "any"):
        f["back_starts_article"] = 1.0  # `Feature: a piece of evidence that …`
    elif lead in _EN_CLAUSE_LEAD:
        f["back_starts_clause"] = 1.0  # `Trick: if GPU memory runs out, use …`, `Solution: rebalancing …`
    if len(lines) == 1 and first.count(",") >= 3 and not f.get("back_defines"):
        f["back_comma_list"] = 1.0
    words = _word_count(first)
    if len(lines) == 1 and (words == 1 or words == 2 and not _HANGUL.search(first)) \
            and not first.endswith((".", "。", "다")):
        f["back_one_name"] = 1.0
    if "$" in back or "\\" in back:
        f["back_math"] = 1.0
    return tuple(sorted(f.items()))


def features(c: Candidate) -> dict[str, float]:
    """All the evidence for one candidate: the pattern, where it sits, its term, its back."""
    f = {"rule_" + c.rule: 1.0}
    if c.rule in ("C006", "C007"):
        f["term_emphasised"] = 1.0  # the author set the term in bold or italics and explained it right after
    f.update(c.evidence)
    f.update(term_features(c.term))
    f.update(back_features(c.definition))
    if c.aliases:
        f["has_alias"] = 1.0
    key = term_key(c.term)
    if len(key) >= 2 and key in term_key(c.definition[:300]):
        f["back_names_term"] = 1.0
    ctx = " ".join(c.context)
    if ctx and any(term_key(w).startswith(_JOURNAL_WORDS) for w in ctx.split()):
        f["context_journal"] = 1.0
    return f


def score(f: dict[str, float], weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    w = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(w.get(k, 0.0) * v for k, v in f.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def explain(f: dict[str, float], n: int = 3) -> str:
    """The evidence that weighed most against a candidate, for `--explain`."""
    against = sorted(((WEIGHTS.get(k, 0.0) * v, k) for k, v in f.items()), key=lambda x: x[0])
    return ", ".join(k for w, k in against[:n] if w < 0)
