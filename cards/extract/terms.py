"""A term as the card's front shows it, from the left side of a pair, a heading or a term line.

`parse_term` strips what is around a name (numbering, emphasis, emoji and check marks, task markers,
other tools' card markers, a leading citation, a year in parentheses, `X 개념`), reads a question as
the term it asks about (`GLUE란?`, `What is X?`), and finds other names: a parenthesis
(`전이학습(Transfer Learning)`, `OS(운영체제, Operating System)`) or a translation (`Overfitting 과적합`).
A parenthesis that is a remark (`(2012, Geoffrey Hinton)`, `(in statistics)`) is dropped, not kept as a name.
"""
from __future__ import annotations

import re
from functools import lru_cache

import regex

from ..models import term_key
from .checks import ACTIVITY_END, is_label_term
from .text import HANGUL_SYLLABLE, LETTER

NUMBERING = re.compile(r"^(?:\(?\d{1,3}[.)]\s+|\(\d{1,3}\)\s*|[①-⑳]\s*|[0-9]{1,3}\s*[.)]\s*(?=\S))")
EMPH = re.compile(r"^(\*\*|__|\*|_|~~)(.+?)\1$")
# Card markers of other tools and outliners (`[[card]]`, `#card`, `#flashcard`), block references `((uuid))`.
TERM_NOISE = regex.compile(r"\[\[(?:card|flashcard|anki)\]\]|(?<!\S)#(?:card|flashcard|anki|reverse)\b|"
                           r"\(\([0-9a-f-]{8,}\)\)", regex.I)
_LEAD_SYMBOLS = regex.compile(r"^(?:(?![`^])[\p{So}\p{Sk}\p{Sm}\p{Cf}\u2022\u203b\u00b7\u25aa-\u25ff\u2190-\u21ff"
                              r"\u2600-\u27bf\ufe0f\u200d]|[★☆✓✔✅❓❗]|\s)+(?=\S)")
_TASK_MARKER = regex.compile(r"^(?:(?:TODO|DONE|LATER|NOW|DOING|WAITING|CANCELED|CANCELLED)\s+|\[[ xX]\]\s+|"
                             r"\[#[A-C]\]\s*)+")
_INNER_EMPH = re.compile(r"(\*\*|\*|__)(?=\S)([^*_]+?)(?<=\S)\1")
_LEAD_CITATION = re.compile(r"^\([^()]*\b(?:1[89]|20)\d\d\b[^()]*\)\s+(?=\S)")
_YEARS = re.compile(r"(?<!\s)\s*[(（]\s*(?:1[89]|20)\d\d\s*(?:[~–-]\s*(?:(?:1[89]|20)\d\d)?\s*)?[)）]$")
# A heading that introduces its subject: `X 개념` (the concept of X) is the card of X.
_ABOUT_SUFFIX = re.compile(r"(?<=\S)(?:\s*의)?\s+(?:개념|기초|기본 개념|정의|기본|basics?|definition|concept)$", re.I)
# Questions that name the term they answer: `X란?`, `X이란`, `X은 무엇인가?`, `What is X?`, `什么是 X`.
_Q_KO = regex.compile(r"^(?P<t>.+?)\s*(?:(?:이)?란\s*[?？]?|(?:이란|란|은|는|이|가)\s+(?:무엇|뭐|뭔|뭘|어떤\s*것)\S*.*)$")
_Q_EN = regex.compile(r"^(?:what\s+(?:is|are|was|were)|what['’]s|define|what\s+does)\s+(?:an?\s+|the\s+)?(?P<t>[^?,;]+?)"
                      r"(?:\s+(?:do|mean|stand for))?\s*(?:[?,;].*)?$", regex.I)
_Q_ZH = regex.compile(r"^(?:什么是|何为|什麼是)\s*(?P<t>[^?？]+?)\s*[?？]?$")
_PAREN_ALIAS = re.compile(r"^(?P<term>.*?\S)\s*[(（](?P<alias>[^()（）]{1,48})[)）]$")
_INNER_PAREN = re.compile(r"^(?P<term>[^()（）]*?[^()（）\s])\s*[(（](?P<alias>[^()（）]{1,48})[)）]\s*(?P<head>\S+(?:\s\S+)?)$")
_LEAD_ADVERB = re.compile(r"^(?:여기서|여기에서|이때|이 때|이제)\s+(?=\S)")
MAX_TERM_TEXT = 300  # longer than any term: not parsed (term_problem calls it too long), so no regex sees it
_ALIAS_BAD = re.compile(r"[=+<>^*/\\$]|^\s*(?:e\.g|ex|예|cf|i\.e)\b", re.I)
_ALIAS_PART_BAD = re.compile(r"\b(?:1[89]|20)\d\d\b|^(?:in|on|of|for|with|by|from|at|to|the|a|an|see|via|and|or)\b|"
                             r"\s[-+*/^=]\s|등$|etc\.?$", re.I)
_LATIN_WORDS = re.compile(r"^[A-Za-z][A-Za-z0-9.+'/-]*(?:\s+[A-Za-z0-9][A-Za-z0-9.+'/-]*){0,5}$")
_MODIFIER_END = ("번째", "째", "하는", "되는", "있는", "없는", "적인", "다양한", "중요한", "새로운", "다른", "같은",
                 "여러", "모든", "기존", "기본적인", "간단한", "단순한", "일반적인", "주요")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,7}s?$")
_HANGUL_WORD = re.compile(r"^(?:[\uac00-\ud7a3]{2,8}|[\u4e00-\u9fff]{2,12})$")  # a Korean word, or a Chinese one
# Generic head nouns: `KLUE 데이터셋` is a name with its head noun, not a name and its translation.
_HEAD_NOUNS = {term_key(w) for w in "데이터 데이터셋 모델 알고리즘 함수 기법 방법 방식 네트워크 레이어 학습 구조 시스템 라이브러리 프레임워크 "
               "패키지 모듈 클래스 문제 개념 이론 논문 기술 도구 계층 언어 파일 서버 구현 적용 정리 "
               "현상 가이드 극복 과정 단계 원리 특징 장점 단점 종류 예시 예제 요약 결과 효과 역할 목적 한계 설명 "
               "기반 전략 사례 실험 코드 옵션 방법론 관점 측면".split()}
# `Attention value 구하기` (finding it), `Binarized Neural Networks 처럼` (like): a verb made a noun, or a
# particle, after a name is the sentence going on, never the name's translation.
_NOT_A_NAME_END = ("하기", "구하기", "만들기", "찾기", "보기", "줄이기", "높이기", "늘리기", "처럼", "같이", "보다", "까지",
                   "부터", "만큼", "대로", "에서", "으로", "에게", "한테", "에는", "에도", "와의", "과의")


def parse_term(left: str) -> tuple[str, list[str]]:
    """The term and its other names from the text that names it."""
    t, aliases = _parse_term(left)
    return t, list(aliases)


@lru_cache(maxsize=16384)
def _parse_term(left: str) -> tuple[str, tuple[str, ...]]:
    if len(left) > MAX_TERM_TEXT:
        return left.strip(), ()
    t = NUMBERING.sub("", left.strip()).strip()
    t = TERM_NOISE.sub(" ", t).strip()  # `[[card]]`, `#card`, `((block ref))`
    t = _LEAD_SYMBOLS.sub("", t).strip()  # emoji, arrows, stars, check marks in front
    t = _TASK_MARKER.sub("", t).strip()  # Logseq/Obsidian TODO, DONE, [#A], [ ] …
    t = NUMBERING.sub("", t).strip()
    for _ in range(2):
        m = EMPH.match(t)
        if m:
            t = NUMBERING.sub("", m.group(2).strip()).strip()  # `**2. 동적 페이징**`
    if "*" in t or "_" in t:
        t = _INNER_EMPH.sub(r"\2", t)  # `*Granulocytes* include`: emphasis inside a term is not part of it
    t = t.strip("*_~ ").rstrip(":：").strip()
    t = _LEAD_CITATION.sub("", t).strip()  # `(Tom Mitchell, 1998) Well-posed Learning Problem`
    t = _LEAD_ADVERB.sub("", t).strip()  # `여기서 정규화`: 'here', 'then' point into the text, not into the name
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


@lru_cache(maxsize=16384)
def question_term(text: str) -> str:
    """The term a question heading or item asks about (`GLUE란?` → GLUE), or ""."""
    t = text.strip().strip("*_").strip()
    if len(t) > MAX_TERM_TEXT:
        return ""
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


def _translation_pair(t: str) -> tuple[str, tuple[str, ...]] | None:
    """`Overfitting 과적합`, `역전파 Backpropagation`: a name and its translation, read as a term and an alias."""
    words = t.split()
    if len(words) < 2 or "(" in t:
        return None
    if _LATIN_WORDS.match(" ".join(words[:-1])) and words[-1].endswith(_NOT_A_NAME_END) and _HANGUL_WORD.match(words[-1]):
        return " ".join(words[:-1]), ()
    for latin_first in (True, False):  # Latin words then one Korean word, or one Korean word then Latin words
        cut = len(words) - 1 if latin_first else 1
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        latin, korean = (first, second) if latin_first else (second, first)
        if not latin_first and korean.endswith(_MODIFIER_END):
            continue  # `첫번째 term`, `다양한 RDBMS`: an ordinal or a describing word in front, not a name
        if _ACRONYM.match(latin) and len(korean) <= 3:
            continue  # `BCNF 정규화`, `KNN 알고리즘`: a short word after an acronym is its head noun, not its expansion
        if _LATIN_WORDS.match(latin) and _HANGUL_WORD.match(korean) and len(latin.replace(" ", "")) >= 4 \
                and term_key(korean) not in _HEAD_NOUNS and not is_label_term(korean) \
                and not korean.endswith(ACTIVITY_END):
            return first, (second,)
    return None


@lru_cache(maxsize=8192)
def _alias_names(inside: str) -> tuple[str, ...] | None:
    """The other names a parenthesis gives (`(Transfer Learning)`, `(운영체제, Operating System)`), or None
    when it says something else: a year, a person, a list of examples, a formula, `in statistics`."""
    if _ALIAS_BAD.search(inside) or not LETTER.search(inside):
        return None
    parts = [p.strip() for p in re.split(r"\s*[,，/]\s*", inside) if p.strip()]
    if not parts or len(parts) > 3:
        return None
    for p in parts:
        if _ALIAS_PART_BAD.search(p) or len(p.split()) > 6 or not LETTER.search(p):
            return None
        if len(parts) > 1 and p[:1].islower() and not HANGUL_SYLLABLE.search(p):
            return None  # `(inputs, labels)`: lowercase words listed, not names
    return tuple(parts) if len(parts) > 1 else (inside.strip(),)
