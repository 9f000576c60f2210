"""Merge cards that name the same concept.

Two cards are one concept when their terms have the same normalised key (NFC,
case-folded, spaces/hyphens/emphasis ignored) or when an alias of one is the term
or an alias of the other (aliases come from the notes — `Knowledge distillation (증류)`
— and from rule files). The merged card keeps every distinct explanation with its
source; an explanation repeated word for word is kept once.
"""
from __future__ import annotations

from dataclasses import replace

from .models import Card, term_key


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, a: int) -> int:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def merge_cards(cards: list[Card], alias_groups: list[list[str]] | None = None) -> tuple[list[Card], int]:
    """Merge duplicates; returns (cards in first-seen order, number of cards merged away).

    `alias_groups` are lists of names a rule file declares equal; the first name is the
    preferred term of the merged card.
    """
    uf = _UnionFind()
    owner: dict[str, int] = {}
    preferred: dict[str, str] = {}
    group_of: dict[str, int] = {}
    for g, names in enumerate(alias_groups or []):
        for name in names:
            group_of[term_key(name)] = g
        if names:
            for name in names:
                preferred[term_key(name)] = names[0]

    def claim(key: str, idx: int) -> None:
        if not key:
            return
        if key in group_of:
            key = f"\x00group{group_of[key]}"
        if key in owner:
            uf.union(owner[key], idx)
        else:
            owner[key] = idx

    for idx, card in enumerate(cards):
        claim(card.key, idx)
    for idx, card in enumerate(cards):  # aliases only join, never split, a term
        for alias in card.aliases:
            claim(term_key(alias), idx)

    groups: dict[int, list[int]] = {}
    for idx in range(len(cards)):
        groups.setdefault(uf.find(idx), []).append(idx)

    merged: list[Card] = []
    for root in sorted(groups):
        members = [cards[i] for i in groups[root]]
        head = members[0]
        term = head.term
        for c in members:
            if c.key in preferred:
                term = preferred[c.key]
                break
        names: list[str] = []
        seen_keys = {term_key(term)}
        for c in members:
            group = group_of.get(c.key)
            declared = (alias_groups or [])[group] if group is not None else []
            for name in [c.term, *c.aliases, *declared]:
                k = term_key(name)
                if k and k not in seen_keys:
                    seen_keys.add(k)
                    names.append(name)
        explanations = []
        seen_text: dict[str, int] = {}
        copied: set[int] = set()
        for c in members:
            for e in c.explanations:
                k = " ".join(e.text.split()).casefold()
                if k in seen_text:  # identical text: kept once, its source remembered
                    at = seen_text[k]
                    if at not in copied:  # copy once (the original belongs to its note's result), then append
                        explanations[at] = replace(explanations[at], also_in=list(explanations[at].also_in))
                        copied.add(at)
                    explanations[at].also_in.extend([e.source, *e.also_in])
                    continue
                seen_text[k] = len(explanations)
                explanations.append(e)
        merged.append(head.model_copy(update={"term": term, "aliases": names, "explanations": explanations}))
    return merged, len(cards) - len(merged)
