"""`cards rules suggest`: draft one rule file per topic from the notes themselves.

The notes no rule file covers yet are grouped into topics, by content:

1. A note whose cards point to a starter topic (their terms and headings, the note's title
   and tags; see topics.py) starts in that topic.
2. Dated entries (`Day 12`, `Week 3`, `2024-05-01`, `3주차 회고`) no starter topic speaks for
   are a Journal: a diary's entries belong together whatever each one covers.
3. The other notes are compared by what they say: the terms of their cards, the words of
   those terms, of their headings and titles, their tags and folders (TF-IDF weighted, so
   what every note says counts for little). Notes that say much the same are grouped
   (average-link clustering); a note alone joins the topic it is closest to, if any is close.
4. Above `max_topics`, the smallest topic joins the one it is closest to.

Each topic becomes a draft rule file: the words of its cards' terms and of its headings that
(nearly) only its notes use, the tags and folders only its notes carry, named after the starter
topic it grew from or its most telling words. The drafts are then checked by placing every
card as `cards export` would with them; where a note's cards would not land in its topic, the
terms of enough of its cards are pinned (`terms` matches a card's whole name first), and a
keyword that pulls another topic's card away is dropped. Everything is ordered, so the same
notes give the same drafts.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .models import term_key
from .notes import display
from .rules import (DRAFT_MARK, GLOBAL_FILE, Match, NoteInfo, RuleSet, Topic, TopicRules, _CardFacts, claim_on,
                    folders_of, with_title)
from .pipeline import title_evidence
from .topics import TITLE_VOTES, Placer, is_container, pretty, quorum, starters

MAX_TOPICS = 24  # with the fallback deck, at most 25 decks
JOURNAL = "Journal"
MAX_CLUSTERED = 200  # notes no starter topic speaks for, clustered pairwise; any more only join topics
MERGE_SIMILARITY = 0.12  # notes (or groups of notes) at least this similar are one topic
ATTACH_SIMILARITY = 0.08  # a lone note joins the closest topic when it is at least this similar
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


@dataclass
class _Card:
    term: str
    names: list[str]
    contexts: list[list[str]]
    infos: list[NoteInfo]
    note: str  # path of the note it was first explained in
    votes: tuple  # its starter votes (see topics.starter_votes)
    claimed: str  # the existing rule topic that claims it, or ""
    facts: _CardFacts | None = None


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


class Suggester:
    def __init__(self, res, rules: RuleSet, root: str, max_topics: int = MAX_TOPICS):
        self.res, self.rules, self.root, self.max_topics = res, rules, root, max_topics
        self.notes = {n.path: n for n in res.notes if n.ok}
        self.order = {p: i for i, p in enumerate(self.notes)}
        self.cards: list[_Card] = []
        groups = [g for g in res.groups if g[2] is not None]
        for g, packed in zip(groups, res.full_cards(groups)):
            expl = packed[7]
            infos = [NoteInfo(tags=self.notes[e[1]].tags, path=self.notes[e[1]].rel) for e in expl
                     if e[1] in self.notes]
            contexts = [with_title(e[5], e[3]) for e in expl]
            self.cards.append(_Card(packed[0], list(packed[1]), contexts, infos, expl[0][1], g[5][1], g[5][0]))
        self.by_note: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(self.cards):
            self.by_note[c.note].append(i)

    # -- grouping notes ---------------------------------------------------------------------

    def scope(self) -> list[str]:
        """The notes no rule file covers yet: at most a quarter of their cards claimed."""
        out = []
        for p in self.notes:
            idx = self.by_note.get(p, [])
            if idx and sum(1 for i in idx if self.cards[i].claimed) * 4 <= len(idx):
                out.append(p)
        return out

    def features(self, notes: list[str]) -> dict[str, dict[str, float]]:
        """Each note's TF-IDF vector (unit length) over its terms, their words, heading and title words,
        tags and folders."""
        raw: dict[str, Counter] = {}
        for p in notes:
            f: Counter = Counter()
            heads: set[str] = set()
            for i in self.by_note[p]:
                c = self.cards[i]
                if c.claimed:
                    continue
                f["t:" + term_key(c.term)] += 1
                for w in set(words(c.term)):
                    f["w:" + w] += 1
                heads.update(c.contexts[0][1:] if c.contexts else [])
            for h in heads:
                for w in set(words(h)):
                    f["w:" + w] += 0.5
            n = self.notes[p]
            for w in set(words(n.title)):
                f["w:" + w] += 2
            if is_dated(n.title):  # a diary's entries are alike, whatever each one covers
                f["d:dated"] += 3
            for t in n.tags:
                if not is_container(t):
                    f["g:" + term_key(t)] += 2
            for d in folders_of(n.rel):
                if not is_container(d):
                    f["f:" + term_key(d)] += 2
            raw[p] = f
        df: Counter = Counter()
        for f in raw.values():
            df.update(f.keys())
        total = len(raw)
        vecs = {}
        for p, f in raw.items():
            v = {k: (1 + math.log(x)) * math.log(1 + total / df[k]) for k, x in f.items() if df[k] > 1}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            vecs[p] = {k: x / norm for k, x in sorted(v.items())}
        return vecs

    @staticmethod
    def _cos(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(x * b.get(k, 0.0) for k, x in a.items())

    @staticmethod
    def _centroid(vecs: dict[str, dict[str, float]], members: list[str]) -> dict[str, float]:
        c: Counter = Counter()
        for p in members:
            c.update(vecs[p])
        norm = math.sqrt(sum(x * x for x in c.values())) or 1.0
        return {k: x / norm for k, x in sorted(c.items())}

    def group(self) -> list[Draft]:
        notes = self.scope()
        no_rules = RuleSet(glob=self.rules.glob)
        placer = Placer(no_rules, self.root)
        seeded: dict[str, list[str]] = defaultdict(list)
        rest: list[str] = []
        diary: list[str] = []  # dated entries (day 12, week 3, 2024-05-01) no subject claims: a journal
        for p in notes:
            votes: Counter = Counter()
            for i in self.by_note[p]:
                v = self.cards[i].votes
                for name in v:
                    votes[name] += 1 / len(v)
            title = title_evidence(self.notes[p].title, no_rules)[1]
            for name in title:
                votes[name] += TITLE_VOTES / len(title)
            won = placer.winner(votes, placer.starter_ranking, quorum(len(self.by_note[p])))
            if won:
                seeded[won].append(p)
            elif is_dated(self.notes[p].title):
                diary.append(p)
            else:
                rest.append(p)
        vecs = self.features(notes)
        # a starter topic one of your rule files is named after already places its notes there (topics.py)
        own = {term_key(t.name) for t in self.rules.topics}
        order = placer.starter_ranking.order
        drafts = [Draft(name=name, notes=members, seed=name) for name, members in
                  sorted(seeded.items(), key=lambda kv: order[kv[0]]) if term_key(name) not in own]
        if len(diary) >= 2:
            drafts.append(Draft(name=JOURNAL, notes=diary))
        else:
            rest += diary
        # the notes no starter topic speaks for: average-link clustering (of the biggest, if there are very many)
        rest.sort(key=lambda p: (-len(self.by_note[p]), self.order[p]))
        clusters = [[p] for p in rest[:MAX_CLUSTERED]]
        sims = {(i, j): self._cos(vecs[clusters[i][0]], vecs[clusters[j][0]])
                for i in range(len(clusters)) for j in range(i + 1, len(clusters))}
        alive = list(range(len(clusters)))
        while len(alive) > 1:
            (i, j), s = max(((k, v) for k, v in sims.items()), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
            if s < MERGE_SIMILARITY:
                break
            ni, nj = len(clusters[i]), len(clusters[j])
            clusters[i] += clusters[j]
            clusters[j] = []
            alive.remove(j)
            for k in alive:
                if k == i:
                    continue
                a, b = (min(i, k), max(i, k)), (min(j, k), max(j, k))
                sims[a] = (sims[a] * ni + sims[b] * nj) / (ni + nj)
            sims = {k: v for k, v in sims.items() if j not in k}
        lone = rest[MAX_CLUSTERED:]
        for k in alive:
            if len(clusters[k]) >= 2:
                drafts.append(Draft(name="", notes=sorted(clusters[k], key=self.order.get)))
            else:
                lone.append(clusters[k][0])
        centroids = [self._centroid(vecs, d.notes) for d in drafts]
        for p in sorted(lone, key=self.order.get):  # a note alone joins the topic it is closest to, if one is close
            best = max(((self._cos(vecs[p], c), -i) for i, c in enumerate(centroids)), default=None)
            if best is not None and best[0] >= ATTACH_SIMILARITY:
                drafts[-best[1]].notes.append(p)
        while len(drafts) > self.max_topics:  # the smallest topic joins the one it is closest to
            sizes = [sum(len(self.by_note[p]) for p in d.notes) for d in drafts]
            small = min(range(len(drafts)), key=lambda i: (sizes[i], i))
            cen = self._centroid(vecs, drafts[small].notes)
            into = max((i for i in range(len(drafts)) if i != small),
                       key=lambda i: (self._cos(cen, self._centroid(vecs, drafts[i].notes)), -i))
            drafts[into].notes += drafts[small].notes
            del drafts[small]
        for d in drafts:
            d.notes.sort(key=self.order.get)
            d.cards = [i for p in d.notes for i in self.by_note[p] if not self.cards[i].claimed]
        self._name(drafts, vecs)
        return drafts

    def _name(self, drafts: list[Draft], vecs: dict[str, dict[str, float]]) -> None:
        """Seeded topics keep the starter topic's name; the others take their most telling words."""
        taken = {term_key(t.name) for t in self.rules.topics} | {term_key(d.seed) for d in drafts if d.seed}
        named = {term_key(d.name): d for d in drafts if d.name and not d.seed}
        for k, d in named.items():  # the journal keeps its name unless a rule file has it
            if k in taken:
                d.name = ""
            taken.add(k)
        decks = {t.name: t.deck for t in starters().topics}
        for d in drafts:
            if d.seed:
                d.name = d.seed
                d.deck = decks[d.seed] if decks[d.seed] != d.seed else ""
                continue
            if d.name:
                continue
            cen = self._centroid(vecs, d.notes)
            shared = Counter(k for p in d.notes for k in vecs[p])
            ranked = sorted((k for k in cen if k[0] == "w"), key=lambda k: (-(shared[k] >= 2), -cen[k], k))
            parts = [pretty(k[2:]) for k in ranked[:2 if len(ranked) > 1 and shared[ranked[1]] >= 2 else 1]] \
                or ["Other"]
            name = " & ".join(parts)
            n = 2
            base = name
            while term_key(name) in taken:
                name = f"{base} {n}"
                n += 1
            taken.add(term_key(name))
            d.name = name

    # -- what each draft claims -------------------------------------------------------------

    def draft(self, drafts: list[Draft]) -> None:
        owner = {i: di for di, d in enumerate(drafts) for i in d.cards}
        scope_cards = [i for i, c in enumerate(self.cards) if not c.claimed]
        # words of card terms: how many cards of each topic use them, and in how many of its notes
        term_use: dict[str, Counter] = defaultdict(Counter)
        term_notes: dict[str, set[str]] = defaultdict(set)
        head_text: dict[int, str] = {}
        for i in scope_cards:
            c = self.cards[i]
            for w in set(w for n in [c.term, *c.names] for w in _split_words(n)):
                term_use[w][owner.get(i, -1)] += 1
                term_notes[w].add(c.note)
            head_text[i] = "\0".join(dict.fromkeys(h.casefold() for ctx in c.contexts for h in ctx))
        head_words: dict[int, Counter] = defaultdict(Counter)
        head_notes: dict[tuple[int, str], set[str]] = defaultdict(set)
        for di, d in enumerate(drafts):
            for i in d.cards:
                for w in set(w for ctx in self.cards[i].contexts for h in ctx for w in words(h)):
                    if len(w) >= (4 if w.isascii() else 2) and not is_container(w) and not _mixed(w):
                        head_words[di][w] += 1
                        head_notes[(di, w)].add(self.cards[i].note)
        # the starter keywords a seeded topic's cards were recognised by: the user's own words for the subject
        st = starters()
        seed_of = {di: i for di, d in enumerate(drafts) for i, t in enumerate(st.topics) if t.name == d.seed}
        kw_use: dict[tuple[int, str], Counter] = defaultdict(Counter)
        for i in scope_cards:
            c = self.cards[i]
            for ti, kw in st.index.keywords(_CardFacts.of(c.term, c.names, c.contexts)).items():
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
            d.tags = self._pure([(t, p) for p in self.notes for t in self.notes[p].tags], d, drafts)
            d.folders = self._pure([("/".join(folders_of(self.notes[p].rel)[-1:]), p) for p in self.notes
                                    if folders_of(self.notes[p].rel)], d, drafts)

    def _pure(self, pairs: list[tuple[str, str]], d: Draft, drafts: list[Draft]) -> list[str]:
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

    def ruleset(self, drafts: list[Draft]) -> RuleSet:
        topics = [(Path(t.path).name, t) for t in self.rules.topics]
        for d in drafts:
            tr = d.rules()
            topics.append((d.file, Topic(name=d.name, deck=d.deck or d.name, path=d.file, rules=tr, drafted=True)))
        topics.sort(key=lambda ft: ft[0])
        return RuleSet(topics=[t for _, t in topics], glob=self.rules.glob)

    def simulate(self, drafts: list[Draft]) -> list[tuple[str, tuple | None]]:
        """Each card's topic under the existing rule files and these drafts, and the draft claim behind it."""
        rs = self.ruleset(drafts)
        groups = []
        claims = []
        for c in self.cards:
            got = claim_on(c.term, c.names, c.contexts, rs, c.infos)
            claims.append(got)
            ev = (got[0].name, ()) if got else ("", c.votes)
            groups.append(((), (), (c.term, c.names, got[0].name if got else "", "", "", [], "", c.note), None, "",
                           ev))
        infos = {p: (n.tags, n.rel, n.title, title_evidence(n.title, rs)) for p, n in self.notes.items()}
        placed = Placer(rs, self.root).place(groups, infos)
        return [(g[2][2], claim) for g, claim in zip(placed, claims)]

    def verify(self, drafts: list[Draft]) -> int:
        """Pin terms (and drop keywords) until every draft's notes land in it; the cards still astray."""
        by_name = {d.name: d for d in drafts}
        want = {i: d.name for d in drafts for i in d.cards}
        astray = 0
        for _ in range(VERIFY_ROUNDS):
            got = self.simulate(drafts)
            astray = 0
            changed = False
            for d in drafts:
                pinned = {term_key(t) for t in d.pins}
                for p in d.notes:
                    idx = [i for i in self.by_note[p] if i in want]
                    wrong = [i for i in idx if got[i][0] != d.name]
                    if not wrong:
                        continue
                    astray += len(wrong)
                    claimed_here = sum(1 for i in idx if got[i][1] and got[i][1][0].name == d.name)
                    # what `note` needs to place the rest (topics.Placer); a note too small for it: every card
                    n = len(self.by_note[p])
                    need = max(quorum(n), math.ceil(n / 4)) - claimed_here
                    for i in idx:
                        claim = got[i][1]
                        away = claim is not None and claim[0].name != d.name
                        if not away and need <= 0:
                            continue
                        if away and claim[0].name in by_name and claim[1] >= 5 and claim[0].rules.priority >= \
                                d.priority:  # another draft names this very card: that keyword goes
                            other = by_name[claim[0].name]
                            kw = claim[2].split(" ", 1)[1].strip("'\"")
                            other.terms = [t for t in other.terms if t != kw]
                            other.pins = [t for t in other.pins if t != kw]
                        k = term_key(self.cards[i].term)
                        if k and k not in pinned:
                            d.pins.append(self.cards[i].term)
                            pinned.add(k)
                            changed = True
                            if not away:
                                need -= 1
            if not changed:
                break
        return astray

    def run(self) -> list[Draft]:
        drafts = self.group()
        self.draft(drafts)
        used = {Path(f).name for f in self.rules.files}
        for d in drafts:
            slug = re.sub(r"[^\w]+", "-", d.name.lower(), flags=re.U).strip("-") or "topic"
            name, n = f"{slug}.yaml", 2
            while name in used or name == GLOBAL_FILE:
                name, n = f"{slug}-{n}.yaml", n + 1
            used.add(name)
            d.file = name
            d.priority = -1 if self.rules.topics else 0  # your own rule files win over a draft
        self.verify(drafts)
        return drafts


_DATED = re.compile(r"(?:^|[^a-z])(?:day|days|week|weeks|wk|주차|일차|회고|retro)\s*[_-]?\s*\d+|\d+\s*[_-]?\s*(?:day|days|"
                    r"week|weeks|주차|일차)|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|(?:^|[^a-z])(?:daily|diary|"
                    r"journal|retrospective|일기|회고)(?:[^a-z]|$)", re.I)


def is_dated(text: str) -> bool:
    """A title or file name of a diary entry: a day or week number, a date, `daily`, `회고`."""
    return bool(_DATED.search(text))


def _mixed(word: str) -> bool:
    """A word run together from two scripts (`thread의`, `CNN을`): a particle glued on, not a word to match."""
    return bool(re.search(r"[A-Za-z]", word)) and bool(re.search(r"[^\x00-\x7f]", word))


def _split_words(name: str) -> list[str]:
    """The words of a term as `terms:` matches them (split at spaces, slashes, brackets and hyphens)."""
    return [w.casefold() for w in re.split(r"[\s/()\-]+", name) if w and not w.isdigit() and len(w) >= 2]


def render(d: Draft, cards: list[_Card], notes: dict) -> str:
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


def write(drafts: list[Draft], folder: Path, cards: list[_Card], notes: dict) -> list[tuple[Draft, Path, bool]]:
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
