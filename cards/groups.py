"""Cards → groups: which cards are one concept, each merged and finished (topic, deck, tags, GUID).

Which cards are one concept is decided in one pass over every card (dedupe.py); merging and
finishing each concept is independent of the others, so a big run spreads that over processes
(`runner.forked_map`). A group's layout is in records.py. A card no rule file claims is
finished in the fallback topic and placed later, with its note (topics.py).
"""
from __future__ import annotations

import hashlib

from .claims import NoteInfo, claim_on, folders_of, reason_of, with_title
from .dedupe import Aliases, concepts, explanations_of, merge_group
from .models import Card, Rejection, Source, term_key
from .naming import anki_tag, deck_name, guid_for_term
from .records import EXPL_CONTEXT, EXPL_LINE, EXPL_NOTE_TITLE, EXPL_PATH, EXPL_RULE, EXPL_TEXT, NoteFacts
from .rules import RuleSet
from .runner import forked_map
from .topics import UNPLACED, starter_votes


class Finisher:
    """Turns merged cards into finished groups: topic, deck, tags, GUID, or a topic rule's rejection."""

    def __init__(self, rules: RuleSet, root: str, facts_by_path: dict[str, NoteFacts]):
        self.rules, self.root, self.facts = rules, root, facts_by_path
        self.aliases = Aliases(rules.alias_groups)
        self.fallback = rules.glob.fallback_topic
        self.namespace = rules.glob.guid_namespace(root)
        self.starters = "starter" in rules.glob.defaults
        self.stop = {id(t): {term_key(s) for s in t.rules.stop_terms} for t in rules.topics}

    def groups(self, items: list[tuple[str, int, tuple]], jobs: int | None = 1) -> list[tuple]:
        """items: (note key, card index, note card) in order → groups in first-seen order."""
        cards = [card for _, _, card in items]
        claims = [self.aliases.claims(term, aliases) for term, aliases, _ in cards]
        parts = concepts(cards, claims)

        def one(part: tuple[list[int], str | None, list[int]]) -> tuple:
            idx, shown, _ = part
            term, names, expl = merge_group([cards[i] for i in idx], self.aliases, shown)
            warns: list[tuple] = []
            card, rejection, evidence = self.finish(term, names, expl, warns)
            ident = hashlib.blake2b(repr(card).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
            return card, rejection, ident, evidence, tuple(warns)

        done = forked_map(one, parts, jobs, weight=lambda part: 3 + len(part[0]))  # a group's cost: ~3 cards
        out = []
        for (idx, _, whole), (card, rejection, ident, evidence, warnings) in zip(parts, done):
            members = tuple((key, index) for key, index, _ in (items[i] for i in idx))
            keys = tuple(dict.fromkeys(k for i in whole for k in claims[i]))  # a split group's parts share them
            out.append((members, keys, card, rejection, ident, evidence, warnings))
        return out

    def finish(self, term: str, names: list[str], expl: list[tuple],
               warns: list[tuple] | None = None) -> tuple[tuple | None, tuple | None, tuple]:
        """The finished card (or the rejection a topic rule makes of it) and the evidence that places it;
        `warns` gets warning tuples about it."""
        facts = [f for f in (self.facts.get(e[EXPL_PATH]) for e in expl) if f is not None]
        infos = [NoteInfo(tags=f.tags, path=f.rel) for f in facts]
        contexts = [with_title(e[EXPL_NOTE_TITLE], e[EXPL_CONTEXT]) for e in expl]  # a heading path starts at its title
        slow: list[tuple[str, str]] = []
        claim = claim_on(term, names, contexts, self.rules, infos, slow)
        first = expl[0]
        if warns is not None:
            warns += [(first[EXPL_PATH], f"term_regex {pattern!r} of {path} gave up on the term {term!r} (regex "
                                         "timeout); the topic's other rules still apply", first[EXPL_LINE], "rules")
                      for path, pattern in slow]
        topic = claim.topic if claim else None
        if topic is None:  # placed later, with its note (see topics.py); the topic tag is added then
            tname, deck, reason = self.fallback, deck_name(self.root, self.fallback), UNPLACED
            evidence = ("", starter_votes(term, names, contexts, infos) if self.starters else ())
        else:
            tname, deck, reason = topic.name, deck_name(self.root, topic.deck), reason_of(topic, claim.what)
            evidence = (topic.name, ())
        if topic is not None:
            stop = self.stop[id(topic)]
            if term_key(term) in stop or any(term_key(a) in stop for a in names):
                return None, (term, "\n\n".join(e[EXPL_TEXT] for e in expl)[:300], "topic stop-term",
                              f"listed in {topic.path}", first[EXPL_RULE], first[EXPL_PATH], first[EXPL_LINE]), \
                    evidence
            off = set(topic.rules.disable)
            if off:
                kept = [e for e in expl if e[EXPL_RULE] not in off]
                if not kept:
                    return None, (term, "\n\n".join(e[EXPL_TEXT] for e in expl)[:300], "pattern off",
                                  f"{first[EXPL_RULE]} is switched off in {topic.path}", first[EXPL_RULE],
                                  first[EXPL_PATH], first[EXPL_LINE]), evidence
                expl = kept
        tags: list[str] = []
        for e in expl:
            f = self.facts.get(e[EXPL_PATH])
            if f is None:
                continue
            tags += [anki_tag(t) for t in f.tags]
            folders = folders_of(f.rel)
            if folders:
                tags.append(anki_tag("folder::" + "::".join(folders)))
        if topic is not None:
            tags.append(anki_tag("topic::" + tname))
        tags = sorted({t for t in tags if t})
        card = (term, names, tname, deck, reason, tags, guid_for_term(term_key(term), self.namespace), expl)
        return card, None, evidence


def card_of(t: tuple) -> Card:
    """A finished card (with its explanations) as a Card. It was validated when first made: no re-validation."""
    term, aliases, topic, deck, reason, tags, guid, expl = t
    return Card.model_construct(term=term, aliases=aliases, topic=topic, deck=deck, topic_reason=reason, tags=tags,
                                guid=guid, explanations=explanations_of(expl))


def rejection_of(t: tuple) -> Rejection:
    term, definition, reason, detail, rule, path, line = t
    return Rejection(term=term, definition=definition, reason=reason, detail=detail, rule=rule,
                     source=Source(path, line))

