"""Which rule topic claims a card, how strongly, and why.

Each topic's strongest claim on a card counts: term keyword (exact) > term word or term
regex > heading word > note tag > folder. The topic with the highest `priority`, then the
strongest claim, then the first in file-name order, claims the card; the reason is recorded
(`optimization.yaml: term 'SGD'`). Deterministic: the same card and rule files, the same claim.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from .models import term_key
from .rule_models import REGEX_TIMEOUT, RuleSet, Topic


@dataclass
class NoteInfo:
    """What a rule file's `tags` and `folders` look at: a note's tags and its path inside the folder given."""

    tags: list[str]
    path: str  # relative path inside the vault, with folders


class Claim(NamedTuple):
    """A rule topic's claim on a card: the topic, how strong the claim is (a `_RANK` value), and what matched
    (`term 'SGD'`)."""

    topic: Topic
    rank: int
    what: str


_WORD_BREAK = re.compile(r"[\s/()\-]+")
_RANK = {"term": 5, "term word": 4, "term regex": 4, "heading": 3, "tag": 2, "folder": 1}


@dataclass
class CardFacts:
    """What topic claims look at, computed once per card (not once per topic)."""

    names: list[str]
    keys: list[str]  # ordered (term first, then aliases) so a reported reason never depends on hash order
    words: list[str]
    heads: list[str]
    heads_text: str = ""  # the heads joined by NUL: one substring test instead of one per head

    @classmethod
    def of(cls, term: str, aliases: list[str], contexts: list[list[str]]) -> "CardFacts":
        names = [term, *aliases]
        heads = list(dict.fromkeys(h.casefold() for ctx in contexts for h in ctx))
        return cls(names=names, keys=list(dict.fromkeys(term_key(n) for n in names)),
                   words=list(dict.fromkeys(w.casefold() for n in names for w in _WORD_BREAK.split(n) if w)),
                   heads=heads, heads_text="\0".join(heads))


@lru_cache(maxsize=65536)
def folders_of(rel_path: str) -> tuple[str, ...]:
    """The folders of a note's path inside its vault (`a/b/note.md` → `('a', 'b')`)."""
    return Path(rel_path).parts[:-1]


class TopicIndex:
    """Every topic's strongest claim on a card, in one pass over the card instead of one per topic.

    The claims are those `topic_of` compares: per topic the strongest kind of evidence, and at
    equal strength the first found (term, then its aliases; keywords, headings, tags and folder
    patterns in the order the rule file lists them). What a card shares with other cards (its
    heading path, its notes' tags and paths) is looked up once per distinct value."""

    def __init__(self, topics: list[Topic]):
        self.topics = topics
        self.keys: dict[str, list[tuple[int, str]]] = {}
        self.words: dict[str, list[tuple[int, str]]] = {}
        self.rx: list[tuple[int, Any]] = []
        self.heads: list[tuple[int, str, str]] = []
        self.tags: dict[str, list[tuple[int, str]]] = {}
        for ti, t in enumerate(topics):
            for k, kw in t.term_keys.items():
                self.keys.setdefault(k, []).append((ti, kw))
            for w, kw in t.term_words.items():
                self.words.setdefault(w, []).append((ti, kw))
            self.rx += [(ti, rx) for rx in t.term_rx]
            self.heads += [(ti, w, wf) for w, wf in t.headings]
            for k, tag in t.tag_keys.items():
                self.tags.setdefault(k, []).append((ti, tag))
        self.folder_pats = [(ti, pat) for ti, t in enumerate(topics) for pat in t.rules.match.folders]
        self._by_heads: dict[str, dict[int, str]] = {}
        self._by_tags: dict[tuple, dict[int, str]] = {}
        self._by_paths: dict[tuple, dict[int, str]] = {}

    def claims(self, facts: "CardFacts", infos: list[NoteInfo],
               timeouts: list[tuple[str, str]] | None = None) -> dict[int, tuple[int, str]]:
        """topic index → (rank, what) of that topic's strongest claim; topics with no claim are absent.
        A `term_regex` that times out says nothing about the card (the topic's other claims still count);
        with `timeouts`, it is reported there as (rule file, regex)."""
        best: dict[int, tuple[int, str]] = {}
        for k in facts.keys:
            for ti, kw in self.keys.get(k, ()):
                if ti not in best:
                    best[ti] = (_RANK["term"], f"term {kw!r}")
        for w in facts.words:
            for ti, kw in self.words.get(w, ()):
                if ti not in best:
                    best[ti] = (_RANK["term word"], f"term word {kw!r}")
        for ti, rx in self.rx:
            if ti in best and best[ti][0] >= _RANK["term regex"]:
                continue
            try:
                if any(rx.search(n, timeout=REGEX_TIMEOUT) for n in facts.names):
                    best[ti] = (_RANK["term regex"], f"term regex {rx.pattern!r}")
            except TimeoutError:  # that regex says nothing about this card; the topic's other claims still count
                if timeouts is not None:
                    timeouts.append((self.topics[ti].path, rx.pattern))
        for part, rank in ((self._heading_claims(facts), "heading"), (self._tag_claims(infos), "tag"),
                           (self._folder_claims(infos), "folder")):
            for ti, what in part.items():
                if ti not in best:
                    best[ti] = (_RANK[rank], f"{rank} {what!r}")
        return best

    def keywords(self, facts: "CardFacts") -> dict[int, str]:
        """topic index → the `terms` keyword its claim on the card rests on, for topics that claim the card by
        one (the whole term, else a word of it)."""
        got: dict[int, str] = {}
        for k in facts.keys:
            for ti, kw in self.keys.get(k, ()):
                got.setdefault(ti, kw)
        for w in facts.words:
            for ti, kw in self.words.get(w, ()):
                got.setdefault(ti, kw)
        return got

    def _heading_claims(self, facts: "CardFacts") -> dict[int, str]:
        if not self.heads or not facts.heads:
            return {}
        got = self._by_heads.get(facts.heads_text)
        if got is None:
            got = {}
            for ti, w, wf in self.heads:
                if ti not in got and (any(wf in h for h in facts.heads) if "\0" in wf else wf in facts.heads_text):
                    got[ti] = w
            if len(self._by_heads) > 65536:
                self._by_heads.clear()
            self._by_heads[facts.heads_text] = got
        return got

    def _tag_claims(self, infos: list[NoteInfo]) -> dict[int, str]:
        if not self.tags or not infos:
            return {}
        key = tuple(tuple(i.tags) for i in infos)
        got = self._by_tags.get(key)
        if got is None:
            got = {}
            for i in infos:
                for t in i.tags:
                    for ti, tag in self.tags.get(term_key(t), ()):
                        got.setdefault(ti, tag)
            if len(self._by_tags) > 65536:
                self._by_tags.clear()
            self._by_tags[key] = got
        return got

    def _folder_claims(self, infos: list[NoteInfo]) -> dict[int, str]:
        if not self.folder_pats or not infos:
            return {}
        key = tuple(i.path for i in infos)
        got = self._by_paths.get(key)
        if got is None:
            got = {}
            for ti, pat in self.folder_pats:
                if ti not in got and any(fnmatch.fnmatch(i.path, pat) or any(fnmatch.fnmatch(f, pat)
                                                                            for f in folders_of(i.path))
                                         for i in infos):
                    got[ti] = pat
            if len(self._by_paths) > 65536:
                self._by_paths.clear()
            self._by_paths[key] = got
        return got


def index_of(rs: RuleSet) -> TopicIndex:
    """The rule set's TopicIndex, made once (again if its topics are replaced)."""
    if rs._index is None or rs._index.topics is not rs.topics:
        rs._index = TopicIndex(rs.topics)
    return rs._index


def with_title(title: str, context: list[str]) -> list[str]:
    """A card's heading path as topics see it: the note's title first (unless its first heading already is)."""
    if not title or (context and context[0] == title):
        return list(context)
    return [title, *context]


def claim_on(term: str, aliases: list[str], contexts: list[list[str]], rs: RuleSet, infos: list[NoteInfo],
             timeouts: list[tuple[str, str]] | None = None) -> Claim | None:
    """The rule topic that claims a card (None: no rule file does).
    `timeouts` gets (rule file, regex) for each `term_regex` that gave up on the card."""
    if not rs.topics:
        return None
    claims = index_of(rs).claims(CardFacts.of(term, aliases, contexts), infos, timeouts)
    best: tuple[tuple, int] | None = None
    for ti in sorted(claims):
        score = (rs.topics[ti].rules.priority, claims[ti][0])
        if best is None or score > best[0]:  # ties keep the first topic in file-name order
            best = (score, ti)
    if best is None:
        return None
    rank, what = claims[best[1]]
    return Claim(rs.topics[best[1]], rank, what)


def reason_of(topic: Topic, what: str) -> str:
    """`optimization.yaml: term 'SGD'`; a file `cards rules suggest` drafted says so."""
    return f"{'suggested ' if topic.drafted else ''}{Path(topic.path).name}: {what}"


def topic_of(term: str, aliases: list[str], contexts: list[list[str]], rs: RuleSet,
             infos: list[NoteInfo], timeouts: list[tuple[str, str]] | None = None) -> tuple[Topic | None, str]:
    """The topic for a card (its names and the contexts of its explanations) and why;
    (None, reason) means no rule file claims it. A `term_regex` that times out is left out of its
    topic's claims and, with `timeouts`, reported there as (rule file, regex)."""
    got = claim_on(term, aliases, contexts, rs, infos, timeouts)
    if got is None:
        return None, "no rule file claims it"
    return got.topic, reason_of(got.topic, got.what)
