"""Topics for the cards no rule file claims, from what the notes already say about their subject.

A card a rule file claims goes to that file's topic (see `rules.py`). Every other card is
placed by the first of these that has an answer, in the order `defaults:` in
`rules/_global.yaml` gives (all four, in this order, unless it says otherwise):

  note          the rule topic that claims the most of the card's note's cards (a quarter at least)
  folder        the note's folder below the exported PATH, when folders tell subjects apart
  front-matter  a tag or category of the note, when they tell subjects apart
  starter       the starter topic (shipped with cards, `cards/starter/*.yaml`) most of the
                note's cards point to: their terms, their headings, the note's title and tags

and what none of them places goes to the fallback topic. A note is placed as a whole, so
the cards explained together stay together; a card merged from several notes follows the
note it was first explained in. Each card votes once (shared when two topics are equally
strong), the note's title as three cards.

Folders and front matter "tell subjects apart" when a value is shared by at least two
notes but not by all of them (a tag or category: not by more than half), is not a container
(`attachments`, `daily`, `_posts`, `2024`, `week 3`, `blog`, …), and its notes do not clearly
belong to different subjects (of those whose cards clearly point to one, at least three
of them, most share it). A value that names a rule topic or a starter topic (`nlp`, `컴퓨터 비전`) is
that topic.

Everything here is a pure function of the finished groups and the notes' metadata, one pass
of counting per run (each card's claims are computed once, when it is merged, and kept).
"""
from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .claims import CardFacts, claim_on, folders_of, index_of
from .models import term_key
from .naming import anki_tag, deck_name
from .notes import display
from .records import (CARD_BODY, CARD_DECK, CARD_TAGS, CARD_TOPIC, CARD_TOPIC_REASON, EVIDENCE_RULE_TOPIC,
                      EVIDENCE_STARTERS, EXPL_PATH, GROUP_CARD, GROUP_EVIDENCE, NoteFacts)
from .rules import DEFAULT_SOURCES, RuleSet, Topic, load_rules

STARTER_DIR = Path(__file__).parent / "starter"
MIN_VOTE = 3  # a note is placed by its cards when three of them point to one topic (fewer in a short note)
TITLE_VOTES = 3  # a note's title counts as much as three of its cards
UNPLACED = "no rule file claims it"  # the reason a card carries until it is placed
# A note whose cards spread over several topics (none gets this share) but mostly (OVERVIEW_FAMILY) over one
# topic and the topics whose decks nest under its deck is an overview of that topic
OVERVIEW_SHARE = 0.4
OVERVIEW_FAMILY = 0.6

# Folder names and labels that hold notes of every subject rather than name one
_CONTAINERS = {
    "attachments", "attachment", "assets", "asset", "images", "image", "imgs", "img", "media", "files", "file",
    "resources", "resource", "static", "public", "private", "pages", "page", "content", "contents", "src", "docs",
    "doc", "documents", "_posts", "posts", "post", "_drafts", "drafts", "draft", "_site", "blog", "blogs", "til",
    "today i learned", "notes", "note", "vault", "wiki", "daily", "dailies", "daily notes", "diary", "journal",
    "journals", "logs", "log", "inbox", "archive", "archives", "templates", "template", "excalidraw", "canvas",
    "misc", "etc", "other", "others", "general", "uncategorized", "unsorted", "todo", "study", "studies",
    "review", "reviews", "paper", "papers", "paper review", "reading", "memo", "memos", "personal", "work",
    "projects", "project", "기타", "일기", "메모", "공부", "정리", "학습", "스터디", "논문", "논문 리뷰", "리뷰",
    "첨부", "첨부파일", "이미지", "임시", "보관",
}
_SEQUENCE = re.compile(
    r"^(?:\d[\d\s._~-]*|(?:day|days|week|weeks|wk|month|ch|chap|chapter|part|lesson|lec|lecture|module|unit|session|"
    r"sprint|level|lv|season|vol|step|round|회차|주차|일차|강|장|주|일|월|년)?\s*[_-]?\s*\d+(?:\s*[~_-]\s*\d+)?\s*"
    r"(?:day|days|week|weeks|th|st|nd|rd|주차|일차|강|장|주|일|월|년|기|회)?)$", re.I)


@lru_cache(maxsize=65536)
def is_container(name: str) -> bool:
    """A folder or label that does not name a subject: a container (`attachments`, `_posts`) or a sequence
    (`2024`, `2024-03`, `week 3`, `day_12`, `part001`, `3주차`)."""
    n = name.strip().casefold()
    if not n or n.startswith((".", "_")) and n not in ("_posts", "_drafts"):
        return True
    n = n.replace("_", " ").replace("-", " ").strip()
    return n in _CONTAINERS or name.strip().casefold() in _CONTAINERS or bool(_SEQUENCE.match(n)) \
        or not re.search(r"[^\W\d_]", n)


@lru_cache(maxsize=1)
def starters() -> RuleSet:
    """The starter topics shipped with the package (a bad one is a bug in cards, not the user's problem)."""
    return load_rules(STARTER_DIR)


def starter_votes(term: str, names: list[str], contexts: list[list[str]], infos) -> tuple[str, ...]:
    """The starter topics whose claim on a card is its strongest starter claim: the card's vote in its note
    when no rule file claims it (one vote, shared when several are equally strong)."""
    st = starters()
    claims = index_of(st).claims(CardFacts.of(term, names, contexts), infos)
    if not claims:
        return ()
    top = max(rank for rank, _ in claims.values())
    return tuple(st.topics[ti].name for ti, (rank, _) in sorted(claims.items()) if rank == top)


def title_evidence(title: str, rules: RuleSet) -> tuple:
    """What a note's title says about its topic, as a card's evidence: (rule topic, ()) or ("", starter topics)."""
    if not title:
        return ("", ())
    claim = claim_on(title, [], [[title]], rules, [])
    if claim is not None:
        return (claim.topic.name, ())
    return ("", starter_votes(title, [], [[title]], []) if "starter" in rules.glob.defaults else ())


def quorum(n_cards: int) -> int:
    """How many of a note's cards must point to one topic to place the note: MIN_VOTE, or half of a short note."""
    return min(MIN_VOTE, max(1, n_cards // 2))


def pretty(label: str) -> str:
    """A folder or label as a deck name: `machine-learning` → `Machine Learning`, `nlp` → `NLP`."""
    text = re.sub(r"[_\s]+|(?<=\w)-(?=\w)", " ", label).strip()
    if text != text.casefold():
        return text  # the user chose the capitals
    if text.isascii() and text.isalnum() and (len(text) <= 2 or len(text) <= 4 and not re.search("[aeiouy]", text)):
        return text.upper()  # an abbreviation: os, ml, nlp, sql
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


class Ranking(NamedTuple):
    """A list of topics as a note's vote needs it: each name's position (ties go to the first) and each
    topic with the names of the topics whose decks are its deck or nest under it (for overviews)."""

    topics: list[Topic]
    order: dict[str, int]
    families: list[tuple[str, frozenset[str]]]

    @classmethod
    def of(cls, topics: list[Topic]) -> "Ranking":
        fams = [(t.name, frozenset(u.name for u in topics if u.deck == t.deck or u.deck.startswith(t.deck + "::")))
                for t in topics]
        return cls(topics, {t.name: i for i, t in enumerate(topics)}, [(n, f) for n, f in fams if len(f) > 1])


class Placer:
    """Places the cards no rule file claims (see the module's docstring)."""

    def __init__(self, rules: RuleSet, root: str):
        self.rules, self.root = rules, root
        self.sources = list(rules.glob.defaults)
        self.fallback = rules.glob.fallback_topic
        self.by_name = {term_key(t.name): t for t in rules.topics}
        st = starters() if "starter" in self.sources else RuleSet()
        self.rule_ranking, self.starter_ranking = Ranking.of(rules.topics), Ranking.of(st.topics)
        self.starter_by_name = {t.name: t for t in st.topics}
        # a folder or label names a topic when it is the topic's name, one of its tags or (starters) one of its terms
        self.label_topics: dict[str, tuple[str, Topic]] = {}
        for t in rules.topics:
            for k in (term_key(t.name), *t.tag_keys):
                self.label_topics.setdefault(k, ("rule", t))
        for t in st.topics:
            for k in (term_key(t.name), *t.tag_keys, *t.term_keys):
                self.label_topics.setdefault(k, ("starter", t))

    # -- what each source says about a note ------------------------------------------------

    def _place_topic(self, t: Topic, kind: str) -> tuple[str, str]:
        """(topic name, deck) of a rule or starter topic; a starter topic that a rule file shares a name with
        is that rule file's topic."""
        if kind == "starter":
            t = self.by_name.get(term_key(t.name), t)
        return t.name, t.deck

    @staticmethod
    def winner(votes: Counter, ranking: Ranking, need: float = MIN_VOTE) -> str | None:
        """The topic a note's cards vote for (at least `need` of them); the first in `ranking` wins a tie.

        A note whose votes spread over several topics, none getting OVERVIEW_SHARE of them, is an
        overview: if most of its votes (OVERVIEW_FAMILY) go to one topic and the topics whose decks
        nest under its deck (`Deep Learning::Computer Vision` under `Deep Learning`), it is that topic's."""
        total = sum(votes.values())
        if total < need:
            return None
        order = ranking.order
        name, w = min(votes.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]))
        if w < need:
            return None
        if w < OVERVIEW_SHARE * total:
            best = None
            for parent, family in ranking.families:
                got = sum(v for n, v in votes.items() if n in family)
                if got >= OVERVIEW_FAMILY * total and (best is None or got > best[0]):
                    best = (got, parent)
            if best is not None:
                return best[1]
        return name

    def _labels(self, values: dict[str, list[str]], content: dict[str, str], umbrella_ok: bool,
                min_judged: int) -> dict[str, str]:
        """note path → the first of its values (folders, or front-matter tags and categories) that tells
        subjects apart: shared by two notes or more but not by all of them (nor, unless `umbrella_ok`, by
        more than half), not a container, and its notes not clearly about different subjects (when at least
        `min_judged` of them have a subject from their cards)."""
        notes_with: dict[str, list[str]] = defaultdict(list)
        for path, vals in values.items():
            for k in dict.fromkeys(term_key(v) for v in vals):
                notes_with[k].append(path)
        total = len(values)
        good: dict[str, bool] = {}
        out: dict[str, str] = {}
        for path, vals in values.items():
            for v in vals:
                k = term_key(v)
                if k not in good:
                    n = len(notes_with[k])
                    ok = bool(k) and 2 <= n < total and (umbrella_ok or n * 2 <= total) \
                        and not is_container(v.rsplit("/", 1)[-1])
                    if ok:  # its notes clearly about different subjects: a collection, not a subject
                        subjects = Counter(content[p] for p in notes_with[k] if p in content)
                        ok = sum(subjects.values()) < min_judged or \
                            subjects.most_common(1)[0][1] * 2 > sum(subjects.values())
                    good[k] = ok
                if good[k]:
                    out[path] = v
                    break
        return out

    def _folder_values(self, notes: dict[str, NoteFacts]) -> dict[str, list[str]]:
        """note path → its subject folder candidates: the deepest non-container folder holding two notes or more."""
        in_folder = Counter(folders_of(facts.rel) for facts in notes.values())
        count: Counter = Counter()
        chains: dict[tuple, list[tuple[str, ...]]] = {}
        for parts, n in in_folder.items():
            chain = chains[parts] = [parts[:i + 1] for i in range(len(parts)) if not is_container(parts[i])]
            for prefix in chain:
                count[prefix] += n
        best: dict[tuple, list[str]] = {}
        for parts, chain in chains.items():
            best[parts] = next((["/".join(p)] for p in reversed(chain) if count[p] >= 2), [])
        return {path: best[folders_of(facts.rel)] for path, facts in notes.items()}

    # -- placing ----------------------------------------------------------------------------

    @staticmethod
    def votes(groups: list[tuple], notes: dict[str, NoteFacts]) -> tuple[dict, dict, dict, dict, Counter]:
        """Per note: the votes of its cards (and, TITLE_VOTES strong, its title) for rule topics and for starter
        topics, how many of its cards each rule topic claims and point to each starter topic, how many it has."""
        rule_votes: dict[str, Counter] = defaultdict(Counter)
        rule_count: dict[str, Counter] = defaultdict(Counter)
        starter_votes_: dict[str, Counter] = defaultdict(Counter)
        starter_count: dict[str, Counter] = defaultdict(Counter)
        n_cards: Counter = Counter()
        for g in groups:  # one pass, no calls: this runs on every export
            card = g[GROUP_CARD]
            if card is None:
                continue
            body = card[CARD_BODY]
            path = body.partition("\x00")[0] if body.__class__ is str else body[0][EXPL_PATH]  # records.first_path
            n_cards[path] += 1
            rule_name, votes = g[GROUP_EVIDENCE]
            if rule_name:
                rule_votes[path][rule_name] += 1
                rule_count[path][rule_name] += 1
            elif votes:
                share = 1 / len(votes)
                sv, sc = starter_votes_[path], starter_count[path]
                for name in votes:
                    sv[name] += share
                    sc[name] += 1
        for path in n_cards:
            facts = notes.get(path)
            if facts is not None:
                rule_name, votes = facts.title_evidence
                if rule_name:
                    rule_votes[path][rule_name] += TITLE_VOTES
                for name in votes if not rule_name else ():
                    starter_votes_[path][name] += TITLE_VOTES / len(votes)
        return rule_votes, rule_count, starter_votes_, starter_count, n_cards

    def place(self, groups: list[tuple], notes: dict[str, NoteFacts]) -> list[tuple]:
        """The groups with every unclaimed card placed (`notes`: each note's facts, by path)."""
        if not any(g[GROUP_CARD] is not None and not g[GROUP_EVIDENCE][EVIDENCE_RULE_TOPIC] for g in groups):
            return groups
        rule_votes, rule_count, starter_votes_, starter_count, n_cards = self.votes(groups, notes)
        # the rule files speak for a note when one topic claims a quarter of its cards (and a quorum)
        by_rule = {p: w for p in rule_votes if (w := self.winner(rule_votes[p], self.rule_ranking,
                                                                 max(quorum(n_cards[p]), n_cards[p] / 4)))}
        by_starter = {p: w for p in starter_votes_
                      if (w := self.winner(starter_votes_[p], self.starter_ranking, quorum(n_cards[p])))} \
            if "starter" in self.sources else {}
        # the subjects folders and labels are judged by: those at least MIN_VOTE cards (or the title) stand behind
        content = {p: w for p, w in by_starter.items() if starter_votes_[p][w] >= MIN_VOTE}
        content.update((p, w) for p, w in by_rule.items() if rule_votes[p][w] >= MIN_VOTE)
        folders = self._labels(self._folder_values(notes), content, True, 2) if "folder" in self.sources else {}
        labels = self._labels({p: list(facts.tags) for p, facts in notes.items()}, content, False, 2) \
            if "front-matter" in self.sources else {}

        decided: dict[str, tuple[str, str, str, str]] = {}  # note path → (topic, deck, reason, topic tag)

        def for_note(path: str) -> tuple[str, str, str, str]:
            got = decided.get(path)
            if got is not None:
                return got
            rel = display(notes[path].rel if path in notes else Path(path).name)  # a name may not be UTF-8
            got = None
            for source in self.sources:
                if source == "note" and path in by_rule:
                    t = self.by_name[term_key(by_rule[path])]
                    k = rule_count[path][t.name]
                    titled = " and its title" if rule_votes[path][t.name] > k else ""
                    got = (t.name, t.deck, f"note {rel}: {'suggested ' if t.drafted else ''}{Path(t.path).name} "
                                           f"claims {k} of its {n_cards[path]} cards{titled}")
                elif source == "folder" and path in folders:
                    got = self._label(display(folders[path]), f"folder {display(folders[path])!r}")
                elif source == "front-matter" and path in labels:
                    got = self._label(labels[path], f"front matter {labels[path]!r}")
                elif source == "starter" and path in by_starter:
                    name = by_starter[path]
                    tname, deck = self._place_topic(self.starter_by_name[name], "starter")
                    k = starter_count[path][name]
                    facts = notes.get(path)
                    titled = " (and its title)" if facts is not None and \
                        name in facts.title_evidence[EVIDENCE_STARTERS] else ""
                    got = (tname, deck, f"starter topic {name!r}: " + (
                        f"{k} of the {n_cards[path]} cards of {rel}{titled} point there" if k or titled else
                        f"the {n_cards[path]} cards of {rel} point to topics under it"))
                if got is not None:
                    break
            if got is None:
                got = (self.fallback, self.fallback, "nothing places it: no rule file, subject folder, front matter "
                                                     "or starter topic")
            tname, deck, reason = got
            decided[path] = got = (tname, deck_name(self.root, deck), reason, anki_tag("topic::" + tname))
            return got

        out = list(groups)
        for i, g in enumerate(groups):
            card = g[GROUP_CARD]
            if card is None or g[GROUP_EVIDENCE][EVIDENCE_RULE_TOPIC]:
                continue
            body = card[CARD_BODY]
            path = body.partition("\x00")[0] if body.__class__ is str else body[0][EXPL_PATH]  # records.first_path
            tname, deck, reason, topic_tag = decided.get(path) or for_note(path)
            if card[CARD_TOPIC_REASON] == reason and card[CARD_TOPIC] == tname and card[CARD_DECK] == deck:
                continue  # placed so by an earlier run (a group reused from the run state)
            tags = list(card[CARD_TAGS])  # sorted; a topic tag only if an earlier run placed it (reused groups)
            if card[CARD_TOPIC_REASON] != UNPLACED:
                old = anki_tag("topic::" + card[CARD_TOPIC])
                if old != topic_tag and old in tags:
                    tags.remove(old)
            if topic_tag not in tags:
                bisect.insort(tags, topic_tag)
            term, aliases, _topic, _deck, _reason, _tags, guid, body = card
            out[i] = (*g[:GROUP_CARD], (term, aliases, tname, deck, reason, tags, guid, body), *g[GROUP_CARD + 1:])
        return out

    def _label(self, label: str, why: str) -> tuple[str, str, str]:
        """A folder or front-matter value as a topic: the rule or starter topic it names, else itself."""
        k = term_key(label.rsplit("/", 1)[-1])
        kind, topic = self.label_topics.get(k, ("", None))
        if topic is not None and (kind == "rule" or "starter" in self.sources):
            tname, deck = self._place_topic(topic, kind)
            return tname, deck, f"{why} names the topic {tname!r}"
        name = pretty(label.rsplit("/", 1)[-1])
        t = self.by_name.get(term_key(name))
        return (t.name, t.deck, why) if t is not None else (name, name, why)


__all__ = ["DEFAULT_SOURCES", "Placer", "Ranking", "is_container", "pretty", "quorum", "starter_votes", "starters",
           "title_evidence"]
