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

Each topic is named after the starter topic it grew from or its most telling words, and
becomes a draft rule file (drafts.py: what it claims, checked by placing every card as
`cards export` would). Everything is ordered, so the same notes give the same drafts.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from .claims import NoteInfo, folders_of, with_title
from .drafts import Draft, SuggestedCard, choose_claims, verify, words
from .models import term_key
from .records import (EVIDENCE_RULE_TOPIC, EVIDENCE_STARTERS, EXPL_CONTEXT, EXPL_NOTE_TITLE, EXPL_PATH, GROUP_CARD,
                      GROUP_EVIDENCE)
from .rules import GLOBAL_FILE, RuleSet
from .topics import TITLE_VOTES, Placer, is_container, pretty, quorum, starters, title_evidence

MAX_TOPICS = 24  # with the fallback deck, at most 25 decks
JOURNAL = "Journal"
MAX_CLUSTERED = 200  # notes no starter topic speaks for, clustered pairwise; any more only join topics
MERGE_SIMILARITY = 0.12  # notes (or groups of notes) at least this similar are one topic
ATTACH_SIMILARITY = 0.08  # a lone note joins the closest topic when it is at least this similar


class Suggester:
    """Groups the notes of a finished run into topics and drafts a rule file for each (`run`)."""

    def __init__(self, res, rules: RuleSet, root: str, max_topics: int = MAX_TOPICS):
        self.res, self.rules, self.root, self.max_topics = res, rules, root, max_topics
        self.notes = {n.path: n for n in res.notes if n.ok}
        self.order = {p: i for i, p in enumerate(self.notes)}
        self.cards: list[SuggestedCard] = []
        groups = [g for g in res.groups if g[GROUP_CARD] is not None]
        for g, card in zip(groups, res.full_cards(groups)):
            term, aliases, *_, expl = card
            infos = [NoteInfo(tags=self.notes[e[EXPL_PATH]].tags, path=self.notes[e[EXPL_PATH]].rel) for e in expl
                     if e[EXPL_PATH] in self.notes]
            contexts = [with_title(e[EXPL_NOTE_TITLE], e[EXPL_CONTEXT]) for e in expl]
            evidence = g[GROUP_EVIDENCE]
            self.cards.append(SuggestedCard(term, list(aliases), contexts, infos, expl[0][EXPL_PATH],
                                            evidence[EVIDENCE_STARTERS], evidence[EVIDENCE_RULE_TOPIC]))
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
            title = title_evidence(self.notes[p].title, no_rules)[EVIDENCE_STARTERS]
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

    def run(self) -> list[Draft]:
        drafts = self.group()
        choose_claims(drafts, self.cards, self.notes)
        used = {Path(f).name for f in self.rules.files}
        for d in drafts:
            slug = re.sub(r"[^\w]+", "-", d.name.lower(), flags=re.U).strip("-") or "topic"
            name, n = f"{slug}.yaml", 2
            while name in used or name == GLOBAL_FILE:
                name, n = f"{slug}-{n}.yaml", n + 1
            used.add(name)
            d.file = name
            d.priority = -1 if self.rules.topics else 0  # your own rule files win over a draft
        verify(drafts, self.cards, self.by_note, self.notes, self.rules, self.root)
        return drafts


_DATED = re.compile(r"(?:^|[^a-z])(?:day|days|week|weeks|wk|주차|일차|회고|retro)\s*[_-]?\s*\d+|\d+\s*[_-]?\s*(?:day|days|"
                    r"week|weeks|주차|일차)|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|(?:^|[^a-z])(?:daily|diary|"
                    r"journal|retrospective|일기|회고)(?:[^a-z]|$)", re.I)


def is_dated(text: str) -> bool:
    """A title or file name of a diary entry: a day or week number, a date, `daily`, `회고`."""
    return bool(_DATED.search(text))
