"""A drafted rule file: what it claims, checked as an export would place the cards, and its text.

`cards rules suggest` groups the notes into topics (suggest.py); each topic becomes a `Draft`.
`choose_claims` picks what its rule file will claim: the words of its cards' terms and of its
headings that (nearly) only its notes use, the tags and folders only its notes carry, and for a
topic grown from a starter topic, the starter keywords its cards were recognised by. `verify`
then places every card as `cards export` would with the drafts; where a note's cards would not
land in its topic, the terms of enough of its cards are pinned (`terms` matches a card's whole
name first), and a keyword that pulls another topic's card away is dropped. `render` writes a
draft as a commented rule file, valid as written.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .claims import Claim, CardFacts, NoteInfo, claim_on, folders_of, index_of
from .models import term_key
from .notes import display
from .records import CARD_TOPIC, GROUP_CARD, NoteFacts
from .rules import DRAFT_MARK, Match, RuleSet, Topic, TopicRules
from .topics import Placer, is_container, quorum, starters, title_evidence

TERMS_PER_TOPIC = 15
HEADINGS_PER_TOPIC = 8
PURITY = 0.9  # a telling word: at least this share of the cards that use it are the topic's
VERIFY_ROUNDS = 6

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.U)
# Words that say nothing about a subject: function words and the vocabulary of taking notes
_STOP = {
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "if", "in", "into",
    "is", "it", "its", "of", "on", "or", "the", "their", "this", "that", "to", "use", "used", "using", "vs", "what",
    "when", "where", "which", "why", "with", "without", "about", "more", "most", "other", "some", "than", "then",
    "there", "these", "those", "we", "you", "your", "our", "my", "not", "no", "new", "all", "any", "each", "both",
    "one", "two", "three", "first", "second", "e", "g", "i", "ie", "eg", "etc", "intro", "introduction",
    "overview", "summary", "basic", "basics", "concept", "concepts", "definition", "definitions", "example",
    "examples", "note", "notes", "part", "chapter", "lecture", "lesson", "module", "day", "week", "review",
    "problem", "problems", "method", "methods", "type", "types", "way", "ways", "case", "cases", "key", "main",
    "general", "simple", "important", "model", "models", "data", "learning", "study", "til", "today", "practice",
    "question", "questions", "answer", "answers", "result", "results", "idea", "ideas", "term", "terms", "list",
    "개념", "정리", "학습", "공부", "소개", "기초", "개요", "예시", "예제", "실습", "요약", "특징", "방법", "의미", "정의",
    "종류", "장점", "단점", "차이", "차이점", "문제", "과제", "강의", "오늘", "내용", "이란", "란", "및", "등", "것", "수",
    "위한", "대한", "통한", "위해", "경우", "필요", "사용", "이유", "목적", "구조", "과정", "원리", "활용", "적용", "기본",
    "모델", "데이터", "학습정리", "피어세션", "회고", "참고", "질문", "정리본", "주요", "핵심", "기타", "복습",
}


def words(text: str) -> list[str]:
    """The words of a text that can tell a subject: case-folded, no digits-only or one-letter words, no stop words."""
    out = []
    for w in _WORD.findall(text.casefold()):
        if w in _STOP or w.isdigit() or len(w) < 2 or (w.isascii() and len(w) < 3 and not w.isalpha()):
            continue
        out.append(w)
    return out


def _mixed(word: str) -> bool:
    """A word run together from two scripts (`thread의`, `CNN을`): a particle glued on, not a word to match."""
    return bool(re.search(r"[A-Za-z]", word)) and bool(re.search(r"[^\x00-\x7f]", word))


def _split_words(name: str) -> list[str]:
    """The words of a term as `terms:` matches them (split at spaces, slashes, brackets and hyphens)."""
    return [w.casefold() for w in re.split(r"[\s/()\-]+", name) if w and not w.isdigit() and len(w) >= 2]


@dataclass
class SuggestedCard:
    """A card as suggesting topics looks at it."""

    term: str
    names: list[str]
    contexts: list[list[str]]
    infos: list[NoteInfo]
    note: str  # path of the note it was first explained in
    votes: tuple  # its starter votes (see topics.starter_votes)
    claimed: str  # the existing rule topic that claims it, or ""


@dataclass
class Draft:
    """One suggested topic: its notes and cards, and what its rule file will claim."""

    name: str
    notes: list[str]
    seed: str = ""  # the starter topic it grew from
    cards: list[int] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    file: str = ""  # the file name it is written to
    priority: int = 0
    deck: str = ""  # the starter topic's deck, for a seeded topic

    def rules(self) -> TopicRules:
        return TopicRules(topic=self.name, deck=self.deck, priority=self.priority,
                          match=Match(terms=self.terms + self.pins, headings=self.headings, tags=self.tags,
                                      folders=self.folders))


def choose_claims(drafts: list[Draft], cards: list[SuggestedCard], notes: dict) -> None:
    """Fill in what each draft's rule file claims: `terms`, `headings`, `tags` and `folders` (`notes`: path →
    the note's result)."""
    owner = {i: di for di, d in enumerate(drafts) for i in d.cards}
    scope_cards = [i for i, c in enumerate(cards) if not c.claimed]
    # words of card terms: how many cards of each topic use them, and in how many of its notes
    term_use: dict[str, Counter] = defaultdict(Counter)
    term_notes: dict[str, set[str]] = defaultdict(set)
    head_text: dict[int, str] = {}
    for i in scope_cards:
        c = cards[i]
        for w in set(w for n in [c.term, *c.names] for w in _split_words(n)):
            term_use[w][owner.get(i, -1)] += 1
            term_notes[w].add(c.note)
        head_text[i] = "\0".join(dict.fromkeys(h.casefold() for ctx in c.contexts for h in ctx))
    head_words: dict[int, Counter] = defaultdict(Counter)
    head_notes: dict[tuple[int, str], set[str]] = defaultdict(set)
    for di, d in enumerate(drafts):
        for i in d.cards:
            for w in set(w for ctx in cards[i].contexts for h in ctx for w in words(h)):
                if len(w) >= (4 if w.isascii() else 2) and not is_container(w) and not _mixed(w):
                    head_words[di][w] += 1
                    head_notes[(di, w)].add(cards[i].note)
    # the starter keywords a seeded topic's cards were recognised by: the user's own words for the subject
    st = starters()
    seed_of = {di: i for di, d in enumerate(drafts) for i, t in enumerate(st.topics) if t.name == d.seed}
    kw_use: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for i in scope_cards:
        c = cards[i]
        for ti, kw in index_of(st).keywords(CardFacts.of(c.term, c.names, c.contexts)).items():
            kw_use[(ti, kw)][owner.get(i, -1)] += 1
    for di, d in enumerate(drafts):
        picks = []
        if di in seed_of:
            for (ti, kw), uses in kw_use.items():
                mine = uses.get(di, 0)
                if ti == seed_of[di] and mine and mine >= PURITY * sum(uses.values()):
                    picks.append((-mine, 0, kw))
        spread = min(2, len(d.notes))  # a telling word is used in two of the topic's notes (if it has two)
        for w, uses in term_use.items():
            mine = uses.get(di, 0)
            if mine >= 2 and w not in _STOP and not is_container(w) and not _mixed(w) \
                    and mine >= PURITY * sum(uses.values()) \
                    and len(term_notes[w] & set(d.notes)) >= spread:
                picks.append((-mine, 1, w))
        terms: dict[str, str] = {}
        for _, _, w in sorted(picks):
            terms.setdefault(term_key(w), w)
        d.terms = list(terms.values())[:TERMS_PER_TOPIC]
        heads = []
        for w, mine in head_words[di].items():
            if mine < 3 or len(head_notes[(di, w)]) < spread:
                continue
            hits = Counter(owner.get(i, -1) for i in scope_cards if w in head_text[i])
            if hits[di] >= PURITY * sum(hits.values()):
                heads.append((-mine, w))
        d.headings = [w for _, w in sorted(heads)[:HEADINGS_PER_TOPIC]]
        d.tags = _pure([(t, p) for p in notes for t in notes[p].tags], d, drafts)
        d.folders = _pure([("/".join(folders_of(notes[p].rel)[-1:]), p) for p in notes
                                if folders_of(notes[p].rel)], d, drafts)

def _pure(pairs: list[tuple[str, str]], d: Draft, drafts: list[Draft]) -> list[str]:
    """Values (tags, folders) on two of the draft's notes or more and on no note outside it."""
    mine = set(d.notes)
    notes_of: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, str] = {}
    for value, p in pairs:
        k = term_key(value)
        if k and not is_container(value):
            notes_of[k].add(p)
            shown.setdefault(k, value)
    return sorted((shown[k] for k, ps in notes_of.items() if len(ps) >= 2 and ps <= mine), key=str.casefold)


# -- checking the drafts as an export would place the cards ----------------------------------

def ruleset(drafts: list[Draft], rules: RuleSet) -> RuleSet:
    """The rule files as they will be with the drafts written beside them."""
    topics = [(Path(t.path).name, t) for t in rules.topics]
    for d in drafts:
        tr = d.rules()
        topics.append((d.file, Topic(name=d.name, deck=d.deck or d.name, path=d.file, rules=tr, drafted=True)))
    topics.sort(key=lambda ft: ft[0])
    return RuleSet(topics=[t for _, t in topics], glob=rules.glob)


def simulate(drafts: list[Draft], cards: list[SuggestedCard], notes: dict, rules: RuleSet,
             root: str) -> tuple[list[str], list[Claim | None]]:
    """Each card's topic under the existing rule files and these drafts, and each card's rule claim."""
    rs = ruleset(drafts, rules)
    groups = []
    claims = []
    for c in cards:
        got = claim_on(c.term, c.names, c.contexts, rs, c.infos)
        claims.append(got)
        evidence = (got.topic.name, ()) if got else ("", c.votes)
        card = (c.term, c.names, got.topic.name if got else "", "", "", [], "", c.note)  # a head: its note's path
        groups.append(((), (), card, None, "", evidence, ()))
    facts = {p: NoteFacts(n.tags, n.rel, n.title, title_evidence(n.title, rs)) for p, n in notes.items()}
    placed = Placer(rs, root).place(groups, facts)
    return [g[GROUP_CARD][CARD_TOPIC] for g in placed], claims


def verify(drafts: list[Draft], cards: list[SuggestedCard], by_note: dict[str, list[int]], notes: dict,
           rules: RuleSet, root: str) -> int:
    """Pin terms (and drop keywords) until every draft's notes land in it; the cards still astray."""
    by_name = {d.name: d for d in drafts}
    want = {i: d.name for d in drafts for i in d.cards}
    astray = 0
    for _ in range(VERIFY_ROUNDS):
        topics, claims = simulate(drafts, cards, notes, rules, root)
        astray = 0
        changed = False
        for d in drafts:
            pinned = {term_key(t) for t in d.pins}
            for p in d.notes:
                idx = [i for i in by_note[p] if i in want]
                wrong = [i for i in idx if topics[i] != d.name]
                if not wrong:
                    continue
                astray += len(wrong)
                claimed_here = sum(1 for i in idx if claims[i] and claims[i].topic.name == d.name)
                # what `note` needs to place the rest (topics.Placer); a note too small for it: every card
                n = len(by_note[p])
                need = max(quorum(n), math.ceil(n / 4)) - claimed_here
                for i in idx:
                    claim = claims[i]
                    away = claim is not None and claim.topic.name != d.name
                    if not away and need <= 0:
                        continue
                    if away and claim.topic.name in by_name and claim.rank >= 5 and claim.topic.rules.priority >= \
                            d.priority:  # another draft names this very card: that keyword goes
                        other = by_name[claim.topic.name]
                        kw = claim.what.split(" ", 1)[1].strip("'\"")
                        other.terms = [t for t in other.terms if t != kw]
                        other.pins = [t for t in other.pins if t != kw]
                    k = term_key(cards[i].term)
                    if k and k not in pinned:
                        d.pins.append(cards[i].term)
                        pinned.add(k)
                        changed = True
                        if not away:
                            need -= 1
        if not changed:
            break
    return astray


# -- the rule file ----------------------------------------------------------------------------

def render(d: Draft, cards: list[SuggestedCard], notes: dict) -> str:
    """The draft rule file: commented, valid as written."""
    examples = ", ".join(dict.fromkeys(cards[i].term for i in d.cards[:40]))
    examples = examples if len(examples) <= 90 else examples[:89].rsplit(", ", 1)[0] + ", …"
    shown = [notes[p].rel for p in d.notes[:4]]
    more = f" and {len(d.notes) - 4} more" if len(d.notes) > 4 else ""
    lines = [DRAFT_MARK + " — a starting point: rename it, merge it into another file, edit or delete it.",
             "# While the line above is here, `cards rules check` and `--explain` call this file a suggestion.",
             f"# {len(d.notes)} note(s), {len(d.cards)} card(s), e.g. {examples}",
             f"# Notes: {', '.join(shown)}{more}"]
    if d.seed:
        lines.append(f"# Grown from the starter topic \"{d.seed}\": cards its keywords name still come here "
                     "(`cards rules init` copies it to edit).")
    lines += ["# terms: words of this topic's card names (a name equal to one, or holding it as a word)."
              + (f" The last {len(d.pins)} pin single cards that would otherwise have gone elsewhere." if d.pins
                 else ""),
              "# headings: words in the heading path (the note's title first); tags and folders: only these notes'.",
              ""]
    if d.priority:
        lines.insert(4, "# priority -1: where one of your own rule files claims a card too, yours wins.")
    body: dict = {"topic": d.name}
    if d.deck:
        body["deck"] = d.deck
    if d.priority:
        body["priority"] = d.priority
    body["match"] = {"terms": d.terms + d.pins, "headings": d.headings, "tags": d.tags, "folders": d.folders}
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    return "\n".join(lines) + text


def write(drafts: list[Draft], folder: Path, cards: list[SuggestedCard], notes: dict) -> list[tuple[Draft, Path, bool]]:
    """Write each draft into `folder`, never over a file that exists. (draft, path, written)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for d in drafts:
        path = folder / d.file
        text = display(render(d, cards, notes))  # a folder or note name that is not UTF-8 shows as U+FFFD
        try:
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
            out.append((d, path, True))
        except FileExistsError:
            out.append((d, path, False))
    return out
