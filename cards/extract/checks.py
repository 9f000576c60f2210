"""What a term and a back must look like, and why a candidate is rejected.

Every rejection has a stable reason code (REJECTION_REASONS), like a linter's rule code:
`cards extract --explain` names it, tests/cases/*.yaml exercise it. The word lists are
generic vocabulary of study notes (section labels, journal words, activity nouns), never
words taken from one note to fix that note.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..models import term_key


@dataclass(frozen=True)
class Pattern:
    """A built-in pattern: its stable id, a name, what it reads, and an example (`cards rules patterns`)."""

    id: str
    name: str
    description: str
    example: str


REJECTION_REASONS = {
    "stop-term": "the left side is a label or chatter word (꿀팁, TODO, 참고, 회고, …), not a concept",
    "sentence-like": "the left side reads as a clause or sentence, not a noun phrase",
    "question": "the left side is a question",
    "too long": "the term is longer than a short noun phrase allows",
    "list": "the left side is a list of several things",
    "number": "the left side is a number, time, date or ratio, or the back only a value: an amount, a score, "
              "a complexity (`O(n)`)",
    "url": "a URL is not a term",
    "in code": "the term is inline code",
    "no letters": "the term has no letters",
    "no definition": "nothing explains the term",
    "no text": "the explanation is only an image, link or markup",
    "only names": "the explanation only lists bare names",
    "weak arrow": "`X -> Y` is read as a term only when X is a clear technical term",
    "too short": "the term (a single letter) or the explanation is too short for this form",
    "formula": "the left side is a formula or an assignment, not a term",
    "markup": "the left side is broken markup (a link or bracket cut in two)",
    "invalid": "the card failed validation",
    "topic stop-term": "a topic's rule file lists this term under stop_terms",
    "pattern off": "a topic's rule file switches this pattern off",
    "regex timeout": "a rule file's regex took too long on this line",
    "field": "the same name heads a part of several sections about different subjects (`Pipeline` under each "
             "model, `Phase` under each paper): a field of each, not a concept",
    "restated": "a heading and, right under it, the same term's own pair explain it once: the section is the card, "
                "or the pair is when the section goes on to other terms' pairs",
    "about the note": "the explanation speaks of the note itself (`본 자료는 … 정리한 내용입니다`, `This note should "
                      "mention …`), not of the term",
    "citation": "the explanation is only a citation: authors, a year, a venue (`Ian J. Goodfellow, ...`, "
                "`2020년 11월 20일, CVPR`, `Hubel & Wiesel 1959`)",
    "example": "an item listed under examples or uses of something else (`활용 방안`, `Use cases`, `예시`)",
    "unsure": "held back: the evidence (shown in the detail) makes the candidate less sure than `min_confidence`; "
              "`--min-confidence 0` brings it in",
}

# Labels and chatter: never a concept. Compared by term_key, so case, spaces, hyphens and
# underscores do not matter (`오늘_한_일` stands for `오늘 한 일`).
STOP_TERMS = {term_key(w) for w in """
꿀팁 팁 tip tips TODO to-do 참고 참고자료 참고문헌 출처 예 예시 예제 ex e.g eg i.e etc cf 비고 주의 주의사항 Note Notes NB memo 메모
오늘_한_일 오늘_할_일 내일_할_일 할_일 한_일 해야할_일 배운_것 느낀_점 배운_점 소감 후기 회고 회고록 피드백
피어세션 멘토링 마스터_클래스 강의 과제 공지 일정 계획 목표 결론 결과 요약 정리 내용 질문 답 답변 문제 해결 이유 원인
장점 단점 Pros Cons 특징 Summary Conclusion Result Results Abstract Introduction Introdution Intro Overview Outline Agenda
Background Motivation Method Methods Discussion Future_work Related_work References Reference Link Links 링크 Source Sources
Question Answer Q A Meet_up 실험 참가자 모더레이터 발표 발표자 시간 장소 날짜 목차 차례 기타 정의 설명 Keyword Keywords 키워드
Today TIL Q&A QnA FAQ such_as 예를_들어 What Why How When Where Who Which 왜 어떻게 무엇 언제 어디 누가 여기 여기로 거기
이것 그것 저것 아래 위 다음 이전 Extra Extras Bonus TBD TBA 서론 본론 머리말 들어가며 마치며 나가며 오전 오후 아침 점심 저녁 현재 과거 미래 요즘 최근
Solution Solutions Trick Tricks Homework Must_know Compromise Difficulty Difficulties Another_note Side_note Mitigation
Course Courses Lecture Lectures Lecture_notes Class_notes Requirements Requirement Handling Trade-off Trade-offs Tradeoff Takeaway Caveat Caveats Warning Reminder Remark Remarks
title date layout tags tag categories category published use_math toc toc_sticky excerpt author description comments
permalink math created created-at updated aliases
Problem Problems Issue Issues Example Examples Input Inputs Output Outputs 주제 취업 인턴 후속_논문 논문 문제점 개선점 한계 한계점
Limitation Limitations Idea Ideas 아이디어 구현 Implementation 코드 Code Setting Settings 설정 환경 Environment Install Installation
설치 Usage 사용법 방법 접근법 Formula 수식 Goal Goals Weaknesses Strengths Weakness Strength Review Recap
Terminology Glossary Con Pro Answers Questions Articles Readings Reading_list Further_reading See_also Bibliography
Credits Acknowledgements Short_summary Brief_summary TL;DR TLDR Tech_stack Tech_stacks 강점 약점 여는_글 닫는_글 Peer_session Peer_sessions Considerations Conclusions Future_directions Conclusions_and_future_directions Takeaways Key_takeaways Thoughts Observations Lessons Lessons_learned Highlights Shorthands Scale Notes_to_self Todo_list 장단점 Advantages Disadvantages Tips Misc 잡담 공부 Study 느낀점 배운점 후기 소감 정리본
""".split()}
STOP_TERMS.discard("")

# Words that name a part of an explanation, a section of a post or a log, not a concept. Generic English
# and Korean section vocabulary (the audit's class 1), compared by term_key.
LABEL_WORDS = {term_key(w) for w in """
배경 개념 형태 특징 장점 단점 장단점 한계 한계점 목적 의미 효과 차이 차이점 조건 종류 유형 방법 방식 이유 원인 과정 구조 원리 예시 예제 예
정의 설명 요약 정리 결론 목표 문제 문제점 해결 해결책 해결방법 개선 개선점 적용 사용 사용법 활용 활용방안 구현 실습 소개 역할 용도 특성 성질
구성 구성요소 분류 단계 절차 순서 흐름 동작 동작원리 작동 작동원리 기능 필요성 중요성 의의 등장배경 비교 관계 결과 성능 한계점 주의점 주의사항
용어 기본 기초 기본개념 개요 개론 입문 설명 참고 팁 후기 소감 질문 답변 내용 주제 계획 일정
solution solutions problem problems handling trade-off tradeoff tradeoffs lecture team example examples
motivation overview background requirements requirement trick tricks homework process analogy summary
definition definitions intuition idea ideas approach approaches method methods usage use uses application applications
advantages disadvantages pros cons benefits drawbacks limitations limitation properties property features feature
types kinds steps procedure algorithm details detail notes note key keys concepts concept basics basic intro
introduction conclusion conclusions results result goal goals purpose purposes reason reasons cause causes
comparison difference differences issues issue challenges challenge questions question answer answers
implementation implementations code setup installation install mitigation compromise strategy strategies
case cases component components structure architecture characteristics principle principles vocab vocabulary
topic topics evaluation framework insight insights misc miscellaneous inspiration framing discussion experiment experiments
references reference resources links tools research outline agenda remarks comments observations lessons recap review
names aliases
""".split()}


# A term that starts or ends with these is a label for a section of a log, not a concept.
LABEL_PREFIXES = tuple(term_key(p) for p in ["오늘", "내일", "어제", "이번 주", "다음 주", "지난 주", "today", "tomorrow"])
LABEL_SUFFIXES = tuple(term_key(s) for s in [
    "회고", "회고록", "피어세션", "멘토링", "내용", "관련", "후기", "소감", "일정", "계획", "할 일", "한 일",
    "느낀 점", "배운 점", "기록", "목표", "과제", "마무리", "리뷰 일정", "스크럼", "복습", "예습", "예시", "예제",
    "프로젝트", "recap", "webinar", "meeting", "takeaways", "considerations", "peer session", "tips", "팁", "config",
    "configuration", "setting", "settings", "할 점", "운 점", "던 점", "분야", "종류", "자료", "introduction", "intro",
    "overview", "summary", "review", "basics", "outline", "개론", "입문", "goals", "limitations", "pros and cons",
    "properties", "characteristics", "details", "advantages", "disadvantages", "benefits", "drawbacks",
    "alternative names"])
# Words of a study log or a bootcamp day (meetings, talks, job hunting, contests): a term that holds one is a part of
# the day. (`과제` is left out: it also means "task", as in 다중 과제 학습.)
JOURNAL_KO = tuple("""
피어세션 멘토링 회고 특강 스크럼 데일리 오피스아워 마스터클래스 스터디 면접 인턴 취업 팀원 수강 대회 세미나 잡담 일기 할일
느낀점 배운점 주차 일차
""".split())
_LABEL_NUMBERED = re.compile(
    r"^(?:day|week|lv|level|chapter|ch|part|step|lecture|session|mission|quiz|lab|hw|assignment|model|example|case|"
    r"option|experiment|trial|sample|figure|fig|table|equation|eq|problem|question|exercise|task|scenario|method|"
    r"approach|solution|attempt|round|iteration|epoch|gpu|node|slide|page|실험|예제|문제|방법|케이스|모델|예시|단계)"
    r"[\s.\-_#]*\d+\b|"
    r"^\d+\s*(?:강|주차|일차|장|일|주|day|week)\b|^(?:\d+\s*)?(?:주차|일차)\b",
    re.I)

# Leading words that make a left side an example, a case or a prepositional phrase, not a term.
_LABEL_LEAD = re.compile(r"^(?:(?:example|examples|ex\.|e\.g\.|case|for|in|on|with|to|of|by|from|about|beyond|towards?|"
                         r"예제|예시|예"
                         r"|considerations?|thoughts?|questions?|notes?|worried|tips?|takeaways?|lessons?)(?:\s*:)?\s+"
                         r"|(?:ex|cf|eg|e\.g|참고|예)\s*\)"
                         r"|\[\s*(?:img|image|gif|math|fig|figure|table|그림|표|사진|수식)\b)", re.I)
# A multi-word left side ending in an activity noun is a log entry ("baseline 모델 학습 적용"), not a concept.
ACTIVITY_END = ("적용", "개선", "변경", "구현", "수정", "추가", "제거", "시도", "분석", "확인", "진행", "사용", "생활", "준비",
                "세팅", "설정", "방지", "해결", "실습", "공유", "소개", "설치", "비교", "학습법", "정리법",
                 "제출", "정리", "참여", "회의", "발표", "구축", "선정")
_ADNOMINAL = ("하는", "되는", "있는", "없는", "받는", "주는", "했던", "하던", "라는", "이라는")
_QUANTITY = re.compile(r"^\d[\d.,]*(?:\s*[~\-–]\s*\d[\d.,]*)?\s*(?:bytes?|bits?|kb|mb|gb|tb|ms|sec|secs|min|mins|h|hours?|days?|개|명|시간|분|초|일|주|문제|장|번|회|층|차원)$",
                       re.I)
# A first word that judges or counts what follows (`Some chemistry terminology`, `Important PAMPs`, `다양한 RDBMS`)
# heads a section about several things, not the name of one; one that grades it (`非常稀疏` "very sparse") makes a
# description, and one that owns it (`My Insight`, `내 생각`) a remark. So does an aspect word with a preposition
# (`Problem with multiple nodes`, `Advantages of caching`): the card is the thing it is about.
_VAGUE_LEAD = re.compile(r"^(?:some|more|less|other|others|important|additional|current|various|several|many|few|further|"
                         r"useful|interesting|different|possible|recent|misc\.?|miscellaneous|very|highly|my|our|your)\s|"
                         r"^(?:다양한|여러|여러가지|몇가지|몇\s가지|기타|주요|중요한|새로운|다른|그\s?외|그\s밖의|매우|아주|나의|내|우리)\s|"
                         r"^(?:非常|很|一些|其他)", re.I)
_ASPECT_OF = re.compile(r"^(?:problems?|issues?|advantages?|disadvantages?|benefits?|drawbacks?|limitations?|types?|kinds?|"
                        r"examples?|importance|role|uses?|applications?|properties|characteristics|features|components|"
                        r"steps|challenges?|pros|cons|goals?|purpose|motivation|ideas?|summary|overview|history|"
                        r"comparison|list|variants?|categories)\s+(?:of|with|for|in|about|to|on)\s", re.I)
# A gerund of doing something to a thing (`Using Session`, `Constructing XOR`, `Loading Images`) heads a how-to
# section. Gerunds that name a method or a part (`Training set`, `Pooling layer`, `Boosting`) are not in the list.
_HOWTO_LEAD = re.compile(r"^(?:using|constructing|adding|choosing|creating|building|installing|setting|handling|making|"
                         r"getting|writing|running|defining|implementing|applying|comparing|converting|finding|solving|"
                         r"calculating|visualizing|visualising|deploying|configuring|managing|improving|preventing|"
                         r"avoiding|dealing|doing|reading|loading|saving|checking|picking|selecting)\s+\S", re.I)
_ORDINAL_LEAD = re.compile(r"^(?:first|second|third|fourth|last|next|1st|2nd|3rd|\d+th|첫|첫째|첫번째|두번째|세번째|마지막)\s", re.I)
# What a label's first words look like (see each pattern): an example or a preposition, an ordinal, a judging
# or counting word, an aspect with a preposition, a how-to gerund.
_LEADS = (_LABEL_LEAD, _ORDINAL_LEAD, _VAGUE_LEAD, _ASPECT_OF, _HOWTO_LEAD)
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*[a-z]?$", re.I)
_ROMAN = re.compile(r"^(?:II|III|IV|VI|VII|VIII|IX|XI|XII)$")  # `- II : …` under `MHC class`: a numbered part
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_NUMBERISH = re.compile(r"^[\d\s.,:;%~/\-+()*x×]+$")
_URL = re.compile(r"(?:https?|ftp)://|www\.", re.I)
_SYMBOLS = re.compile(r"[^\w\s&+#.-]")
_LETTER = re.compile(r"[^\W\d_]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WORD_CHAR = re.compile(r"[^\W_]")
_PARENTHESISED = re.compile(r"\([^()]*\)|（[^（）]*）")
_AMOUNT_WITH_UNIT = re.compile(r"^[\d.,~\-]+\s*[^\W\d_]{0,4}$")
_AMOUNT = r"[\d][\d.,]*\s*[^\W\d_]{0,4}"
_AMOUNT_CHANGE = re.compile(rf"^{_AMOUNT}(?:\s*(?:->|=>|→|⇒|~|/|vs\.?)\s*{_AMOUNT})+$", re.I)  # `36GB → 9GB`
_SLASH = re.compile(r"\s*/\s*")
_LINKS_ONLY = re.compile(r"!?\[\[[^\]\[]*\]\]|!?\[[^\]\[]*\]\([^()\n]*\)|\[\^[^\]\[]*\]|https?://\S+|\([a-z0-9 ,\-]*\)|"
                         r"\b(?:and|et al|etc)\b|[,;.\s]+", re.I)
_ARITHMETIC = re.compile(r"^\(?[-+]?\d[\d.,]*\)?(?:\s*[-+*/×÷^=]\s*\(?[-+]?\d[\d.,]*\)?)+$")
_VALUE_FIRST = re.compile(r"^[-+]?\d+(?:[.,]\d+)?%?(?:,|\s*$|\s*(?:~|-|to|이상|이하|정도)\s)")
# The caption some note takers put under an image: `**[img. 각종 computing 방법]**`.
CAPTION = re.compile(r"[*_]*\[\s*(?:img|image|fig|figure|그림|사진)\b[^\[\]]*\][*_]*", re.I)
_ABOUT_NOTE = re.compile(r"^(?:본|이)\s?(?:자료|글|포스트|포스팅|노트|문서)(?:는|은|에서는)\s|^이번\s?(?:포스팅|글)|"
                         r"^(?:this|these)\s(?:post|note|notes|article|page|document)\b|^in this (?:post|note|article)\b", re.I)
# A back that only cites: authors with initials or `et al.`, a date with at most a venue, or two names and a
# year (`Ian J. Goodfellow, ...`, `2020년 11월 20일, CVPR`, `Hubel & Wiesel Cat Experiment 1959`).
_CITATION = re.compile(
    r"^[A-Z][\w'-]+(?:\s+[A-Z]\.)+\s+[A-Z][\w'-]+|\bet\s+al\b|"
    r"^\(?(?:19|20)\d\d(?:년(?:\s*\d{1,2}월)?(?:\s*\d{1,2}일)?|[-./]\d{1,2}(?:[-./]\d{1,2})?)?\)?"
    r"\s*(?:[,(]\s*[A-Z][\w&' -]{1,20}\)?)?$|"
    r"^[A-Z][\w'-]+\s+(?:&|and)\s+[A-Z][\w'-]+\b[^.\n]{0,40}\b(?:19|20)\d\d\)?$")
MAX_CITATION_WORDS = 10
_COMPLEXITY = re.compile(r"^(?:[OΘΩoθω]|Theta|Omega)\s*\((?:[^()]|\([^()]*\))*\)(?:\s+[^\s.]+){0,3}\.?$")
# A row of a complexity table: a cost first, maybe under an operation's name (`O(n) for worst case`,
# `Search: O(1) {Average} O(n) {Worst case}`).
_COMPLEXITY_ROW = re.compile(r"^(?:[^:：\n]{1,30}[:：]\s*)?(?:[OΘΩ]|Theta|Omega|Big-O)\s*\(")
_PLUS_NAME = re.compile(r"[^\W_]\s?\+{1,2}$")  # `C++`, `U-Net ++`, `U-Net 3+`: the pluses are part of the name
_LATEX = re.compile(r"\\[A-Za-z]+|[{}]")
_INLINE_MATH = re.compile(r"\$[^$]+\$")
_COMPARISON = re.compile(r"\s(?:<|>|<=|>=)\s|[≤≥]")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_COMMA = re.compile(r"\s*[,，、]\s*")
_ETC = re.compile(r"\s*(?:등등?|etc\.?|and so on|…|\.\.\.)\s*\.?$", re.I)
_VERB_END_ANY = ("다", "요", "냐", "까", "죠", "니", "라", "네", "래", "대")
_VERB_END_MULTI = ("함", "됨", "짐", "줌", "봄", "옴", "듦", "했", "고", "서", "면", "며", "데", "지", "자", "게")
_VERB_END_LONG = ("음", "임", "기", "움")
_VERB2 = ("한다", "된다", "있다", "없다", "이다", "했다", "하다", "였다", "는다", "니다", "해요", "세요", "어요", "아요",
          "었다", "았다", "겠다", "진다", "준다", "온다", "간다", "낸다", "본다")
_OBJ = ("을", "를")
_PARTICLE_END = ("에", "에서", "에게", "으로", "를")  # never the last syllable of a name in a study note
_CLAUSE_MARKERS = ("이", "가", "은", "는", "에서", "에게", "으로", "하는", "되는", "있는", "없는", "한지", "는지", "하고",
                   "해서", "하면", "보다", "처럼", "만큼")
_PARTICIPLE_LEAD = re.compile(r"^[A-Za-z]+ed\s+(?:with|on|to|for|as|by|in|from|into|of)\b", re.I)
_IMPERATIVES = set("try see remember don't dont let's lets consider note refer imagine suppose assume recall check need"
                   " use add make install put choose avoid prefer pick import understand".split())
_CJK_CLAUSE = re.compile(r"[，；。！？、]|[;；]$")  # clause punctuation: a name never holds it
MAX_CJK_TERM_CHARS = 16  # Chinese or Japanese characters a term holds at most (`相对位置嵌入` has six)
_DISCOURSE = set("otherwise also moreover furthermore additionally finally meanwhile instead then else besides similarly "
                 "alternatively likewise anyway nevertheless nonetheless".split())
_ADVERB_LY = re.compile(r"^[A-Za-z]{3,}(?:ally|ively|ously|ently|antly|ately|edly|ingly|fully|lessly|arly)$")
# Subjects of a clause; never the first word of a name (`IT`, `He Initialization`, `You Only Look Once` are names).
_PRONOUNS = set("It it They they We we There there These these Those those".split())
_NOT_IMPERATIVE = re.compile(r"^use\s+cases?\b", re.I)  # `Use case`: a name
_CONNECTIVES = set("그런데 그래서 하지만 그리고 따라서 그러나 그러면 근데 그럼 그러므로 게다가 결국 however but therefore thus hence".split())
# Verbs in a form that is never a noun in a term's middle (`maps`, `means`, `reduce` are left out: `Feature maps
# visualization`, `Map Reduce framework`).
_EN_FINITE = set("""
bind binds recognize recognizes stabilize stabilizes remove removes become becomes contain contains require requires
produce produces prevent prevents generate generates improve improves allow allows enable enables cannot can't doesn't
don't won't isn't aren't depends learns predicts converts activates inhibits kills encodes regulates refer refers
""".split())
_EN_OPEN_END = {"is", "are", "of", "by", "for", "the", "a", "an", "to", "in", "with", "and", "or", "on", "at", "from",
                "into", "about", "as", "than", "like", "via"}
_EN_SENTENCE = {"is", "are", "was", "were", "be", "been", "can", "could", "will", "would", "should", "must", "do",
                "does", "did", "have", "has", "had", "we", "i", "you", "it", "they", "this", "that", "there", "how",
                "what", "why", "when", "if", "let's", "lets"}


def is_label_term(text: str) -> bool:
    """`text` only labels an aspect of something: a section word, or `X의 장점`, `X 특징`, `X 개념`."""
    words = text.split()
    if not words or len(words) > 4:
        return False
    keys = [term_key(w) for w in words]
    if term_key(text) in LABEL_WORDS or term_key(_SYMBOLS.sub("", text)) in STOP_TERMS:
        return True
    last = keys[-1]
    return last in LABEL_WORDS or ("의" in last and last.rsplit("의", 1)[1] in LABEL_WORDS)


def is_hangul_word(word: str) -> bool:
    return bool(word) and bool(_HANGUL.match(word[-1]))


def is_stop_term(term: str, extra: frozenset[str] = frozenset()) -> bool:
    key = term_key(_SYMBOLS.sub("", term))  # emoji and symbols around a label do not hide it
    if key in STOP_TERMS or key in extra:
        return True
    t = term.strip()
    if any(lead.match(t) for lead in _LEADS):
        return True
    words = term.split()
    if len(words) >= 2 and is_hangul_word(words[-1]) and words[-1].endswith(ACTIVITY_END) \
            and not words[-1].endswith("학습") and not (words[-1] == "정리" and not _summary_not_theorem(words)):
        return True
    if key.startswith(LABEL_PREFIXES) or key.endswith(LABEL_SUFFIXES):
        return True
    if any(is_hangul_word(w) and (w.startswith(JOURNAL_KO) or w.endswith(JOURNAL_KO)) for w in words):
        return True  # `면접`, `인턴생활`, `취업 특강`, `국방 AI 대회 진행`: a bootcamp day, not a concept
    if len(words) >= 2 and words[0] in ("관련", "related"):
        return True  # `관련 장비`: the things related to the section's subject, a label
    if key.endswith("정리") and _summary_not_theorem(words):
        return True
    return bool(_LABEL_NUMBERED.match(t))


_SUMMARY_STEMS = tuple(term_key(w) for w in "강의 학습 내용 개념 수업 공부 논문 코드 요약 오늘 주간 일일 복습 이론 실습 문법 핵심".split())


def _summary_not_theorem(words: list[str]) -> bool:
    """`정리` is both "summary" (`강의 정리`, `Transformer 정리`: a label) and "theorem" (`베이즈 정리`,
    `중심극한정리`: a concept). A summary follows an activity word or an English topic name."""
    key = term_key("".join(words))
    stem = key[:-2]
    if not stem or stem.endswith(_SUMMARY_STEMS):
        return True
    return len(words) >= 2 and words[-1] == "정리" and bool(re.search(r"[A-Za-z]", " ".join(words[:-1])))


def sentence_like(term: str) -> bool:
    """True when a left side reads as a clause, a remark or a sentence rather than a noun phrase."""
    t = term.strip()
    words = t.split()
    if not words:
        return False
    if len(words) >= 2 and t[-1] in ".!~…" and not t.endswith(("etc.", "al.", "vs.")):
        return True
    if t.endswith(("...", "ㅋ", "ㅎ", "ㅠ", "ㅜ", "!")):  # `팀!`: an exclamation, not a name
        return True
    last = words[-1].rstrip(".!~,")
    if is_hangul_word(last):
        if last[-2:] in _VERB2 or (len(last) >= 2 and last.endswith(
                ("는데", "거든", "더라", "는지", "해라", "하자", "는가", "을까", "할까", "될까", "인가"))):
            return True
        if len(words) >= 2 and last.endswith(_VERB_END_ANY):
            return True
        if len(words) >= 2 and last.endswith(_VERB_END_MULTI) and len(last) >= 2:
            return True
        if len(words) >= 3 and last.endswith(_VERB_END_LONG):
            return True
        if len(last) >= 2 and last.endswith(_PARTICLE_END):
            return True  # `문장에`, `미분에서 경사상승법으로`: a particle ends it, the sentence goes on
        if len(words) <= 2 and len(last) >= 2 and last.endswith(("은", "는")):
            return True  # `좋은`, `마지막 모델은`: an adjective before its noun, or a topic the sentence goes on from
        if last.endswith("것") and (len(words) >= 2 or len(last) >= 3):
            return True  # `도전/시도할 것`, `잘했던 것`: things done or to do, not a name
    if len(words) >= 2 and is_hangul_word(words[0]) and words[0].endswith(_ADNOMINAL):
        return True
    for w in words[:-1]:
        if is_hangul_word(w) and len(w) >= 2 and w.endswith(_OBJ):
            return True
        if len(words) >= 3 and is_hangul_word(w) and len(w) >= 2 and w.endswith(_CLAUSE_MARKERS):
            return True
    if _CJK.search(t) and (_CJK_CLAUSE.search(t) or len(_CJK.findall(t)) > MAX_CJK_TERM_CHARS):
        return True  # `特征可以手动或自动进行工程化（或两者的混合…）；`: Chinese or Japanese runs a clause on without spaces
    lowered = [w.lower().strip(",.") for w in words]
    if len(words) == 1 and (lowered[0] in _CONNECTIVES or lowered[0] in _DISCOURSE or _ADVERB_LY.match(words[0])):
        return True  # `Otherwise : …`, `Chronologically:`: how a sentence goes on, never a name
    if len(words) >= 2 and lowered[0] in _CONNECTIVES:
        return True  # `그런데 일단 조건`, `However the gradient …`: goes on from the sentence before
    if len(words) >= 2 and words[0] in _PRONOUNS:
        return True  # `It depends`, `These can also be used`: a clause about something said before
    if len(words) >= 2 and lowered[0] in _IMPERATIVES and not _HANGUL.search(t) and not _NOT_IMPERATIVE.match(t):
        return True  # `Try followings`, `Check the image below`: tells the reader what to do
    if _PARTICIPLE_LEAD.match(t):
        return True  # `Associated with user/client via a Cookie`, `Categorized into`: the rest of a sentence
    if len(words) >= 3 and any(w in _EN_SENTENCE for w in lowered):
        return True
    if len(words) >= 3 and any(w in _EN_FINITE for w in lowered[1:-1]) and not _HANGUL.search(t):
        return True  # `Peptides stabilize MHC molecules`, `TCR recognizes peptide`: a subject, a verb, an object
    if len(words) >= 2 and lowered[-1] in _EN_OPEN_END and not _HANGUL.search(t):
        return True  # `What is`, `Categorized into`: the phrase goes on in the next words
    return False


@lru_cache(maxsize=32768)
def term_problem(term: str, extra_stop: frozenset[str] = frozenset()) -> str | None:
    """Why `term` cannot be a card's front, or None when it reads as a short noun phrase."""
    t = term.strip()
    if len(t) > 300:
        return "too long"  # before any pattern looks at it: no term is this long
    if not t or not term_key(t):
        return "no letters"
    if not _LETTER.search(t):
        return "number" if _NUMBERISH.match(t) else "no letters"
    if _URL.search(t):
        return "url"
    if _NUMBERISH.match(t) or _VERSION.match(t) or _QUANTITY.match(t) or _ROMAN.match(t):
        return "number"
    if t.count("$") % 2 or t.startswith("$$"):
        return "formula"  # a cut-off piece of math, or display math (`$$f = \begin{bmatrix}`)
    if t.startswith("$") and t.endswith("$"):
        return "formula"  # `$h_t$ : …`: a symbol of a formula, not a concept
    if _LATEX.search(_INLINE_MATH.sub("", t)):
        return "formula"  # `& h \text{`: a line of a LaTeX block, `x^{t + 1}` (`$\Pi$-model` is a name)
    if len(term_key(t)) == 1 and not _HANGUL.search(t):
        return "too short"
    if "=" in t or "≠" in t or _COMPARISON.search(t):
        return "formula"  # `IoU < 0.3`, `x ≥ 0`: a condition, not a term
    if "?" in t or "？" in t:
        return "question"
    if is_stop_term(t, extra_stop):
        return "stop-term"
    if t.count("[") != t.count("]") or t.count("(") != t.count(")"):
        return "markup"  # a link or bracket cut in two by the separator
    words = t.split()
    if len(t) > 60 or len(words) > 6:
        return "too long"
    if sentence_like(t):
        return "sentence-like"
    outside = _PARENTHESISED.sub("", t)
    if "," in outside or "，" in outside or " / " in outside or " & " in outside or " | " in outside:
        return "list"
    if t[0] in "<>=-+*/\\|#" or t[-1] in "<>=-/\\|" or t[-1] == "+" and not _PLUS_NAME.search(t):
        return "no letters"
    return None


@lru_cache(maxsize=32768)
def definition_problem(text: str, raw: str = "") -> str | None:
    """Why `text` cannot be a card's back (after images, links and markup are removed). With the `raw` back,
    a back that is only links, citations or URLs (`[[@smith2009|smith2009]], [[@lee2011]]`) has no text."""
    t = text.strip()
    if not t or not _WORD_CHAR.search(t) or "[" in t and not _WORD_CHAR.search(CAPTION.sub(" ", t)):
        return "no text"  # (also only captions of images: `**[img. 각종 computing 방법]**`)
    if raw and ("[" in raw or "://" in raw) and not _WORD_CHAR.search(_LINKS_ONLY.sub(" ", raw)):
        return "no text"
    if _URL.match(t) and len(t.split()) == 1:
        return "url"
    if _ABOUT_NOTE.match(t):
        return "about the note"
    if "\n" not in t and len(t.split()) <= MAX_CITATION_WORDS and _CITATION.search(t):
        return "citation"
    if _NUMBERISH.match(t) and len(t) < 12:
        return "number"
    if _ARITHMETIC.match(t):
        return "number"  # `80 + 70 + 15 + 10 = 175`: a worked example's sum
    if _AMOUNT_WITH_UNIT.match(t):
        return "number"  # a quantity with its unit: `2시간`, `8문제`, `30 min`
    if t[:1].isdigit() or t[:1] in "(（":  # (only then can it start with a number once remarks are left out)
        bare = _PARENTHESISED.sub("", t).strip()
        if bare[:1].isdigit() and (_AMOUNT_WITH_UNIT.match(bare) or _AMOUNT_CHANGE.match(bare)):
            return "number"  # an amount with a remark, or changing: `12GB (sharding 가능)`, `36GB → 9GB`
    if _VALUE_FIRST.match(t):
        return "number"  # `decay rate = 0.9, stepsize는 …`: a value, not an explanation
    if _COMPLEXITY.match(t) or all(_COMPLEXITY_ROW.match(ln.strip()) for ln in t.split("\n") if ln.strip()):
        return "number"  # `Insertion : O(1)`, `at start: O(n) - requires shifting …`: rows of a complexity table
    if "$" not in t and "\\" not in t and _few_letters(t):
        return "number"  # `0.7310 -> 0.7294 (T=20)`: scores and measurements, hardly a word among them
    for sep in (_SLASH, _COMMA):
        if sep is _COMMA and (_CJK.search(t) or t.endswith((".", "。", "다")) or "{" in t or "(" in t):
            continue  # a sentence, not a list (Chinese and Japanese separate clauses with `、`)
        if sep.search(t):
            parts = [p.strip() for p in sep.split(_ETC.sub("", t)) if p.strip()]
            if len(parts) >= 3 and all(len(p.split()) <= 2 and len(p) <= 24 for p in parts):
                return "only names"  # `AWS, GCP, Azure 등`, `메타러닝 / 전이학습 / 연속학습`
    return None


def _few_letters(text: str) -> bool:
    """Fewer than a fifth of the characters of `text` (spaces aside) are letters. Counted only until that
    is settled: most backs are prose, and this runs on every one."""
    body = "".join(text.split())
    need, seen = (len(body) + 4) // 5, 0
    for run in _LETTER_RUN.finditer(body):
        seen += run.end() - run.start()
        if seen >= need:
            return False
    return seen < need


def is_technical_term(term: str) -> bool:
    """A clear technical term: Latin letters, an acronym or capitalised, at most four words."""
    words = term.split()
    if not (1 <= len(words) <= 4) or not _LATIN.search(term) or _HANGUL.search(term):
        return False
    return any(w[:1].isupper() or any(c.isdigit() for c in w) for w in words)
