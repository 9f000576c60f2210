"""Merge cards that name the same concept.

Two cards are one concept when their terms have the same normalised key (NFC,
case-folded, spaces/hyphens/emphasis ignored) or when an alias of one is the term
or an alias of the other (aliases come from the notes — `Knowledge distillation (증류)`
— and from rule files). The merged card keeps every distinct explanation with its
source; an explanation repeated word for word is kept once.

The work is done on plain tuples (what the pipeline caches and passes between
processes; see records.py): a note card `(term, aliases, explanations)` and its explanations
`(text, path, line, context, rule, note_title, note_date[, also_in])`.
"""
from __future__ import annotations

import re
from collections import Counter

from .models import Card, Explanation, Source, term_key
from .records import EXPL_ALSO_IN, EXPL_LINE, EXPL_PATH, EXPL_TEXT


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


class Aliases:
    """The alias groups rule files declare: which keys are one concept, and its preferred name."""

    def __init__(self, alias_groups: list[list[str]] | None = None):
        self.groups = [list(g) for g in alias_groups or []]
        self.group_of: dict[str, int] = {}
        self.preferred: dict[str, str] = {}
        for g, names in enumerate(self.groups):
            for name in names:
                self.group_of[term_key(name)] = g
                self.preferred[term_key(name)] = names[0]

    def claims(self, term: str, aliases: list[str]) -> list[str]:
        """The keys a card claims: its term's first (and the spelling variants that name the same thing:
        `Optimizers` → `optimizer`, `역전파 알고리즘` → `역전파`, `The Loss Function` → `Loss Function`), then its
        aliases' (a declared group is one key). An alias of one letter or two lowercase ones (`A`, `xy`) is
        notation, not a name: it claims nothing (`AI`, `증류` do)."""
        out = []
        for n, name in enumerate((term, *aliases)):
            k = term_key(name)
            if not k or n and (len(k) < 2 or len(k) == 2 and k.isascii() and not name.strip().isupper()):
                continue
            g = self.group_of.get(k)
            out.append(k if g is None else f"\x00group{g}")
            if n == 0 and g is None:
                out += [v for v in spelling_variants(k) if v not in self.group_of]
                article = _ARTICLE.match(name)
                if article:  # `The Loss Function` is `Loss Function`
                    out.append(term_key(name[article.end():]))
        return list(dict.fromkeys(out))


_ARTICLE = re.compile(r"^\s*(?:the|an?)\s+(?=\S+\s+\S)", re.I)  # before a name of two words or more
_HEAD = re.compile(r"(?<=.{2})(?:알고리즘|기법|algorithm|algorithms)$")


def spelling_variants(key: str) -> list[str]:
    """Other spellings of a term key that name the same concept: the English singular (`optimizers` →
    `optimizer`, `strategies` → `strategy`) and the name without a generic head noun (`역전파알고리즘` →
    `역전파`, `viterbialgorithm` → `viterbi`)."""
    out = []
    if key.isascii() and len(key) >= 5 and key.isalpha():
        if key.endswith("ies"):
            out.append(key[:-3] + "y")
        elif key.endswith("s") and not key.endswith(("ss", "us", "is", "ics")):
            out.append(key[:-1])
    head = _HEAD.sub("", key)
    if head != key:
        out.append(head)
    return out


def group_cards(claims: list[list[str]]) -> list[list[int]]:
    """Indices of the cards that share a claimed key, transitively; groups in first-seen order."""
    uf = _UnionFind()
    owner: dict[str, int] = {}
    for idx, keys in enumerate(claims):
        for key in keys:
            other = owner.setdefault(key, idx)
            if other != idx:
                uf.union(other, idx)
    groups: dict[int, list[int]] = {}
    for idx in range(len(claims)):
        groups.setdefault(uf.find(idx), []).append(idx)
    return [groups[r] for r in sorted(groups)]


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,5}s?$")
_SPELLED_OUT = re.compile(r"^[A-Za-z][\w'.]*(?:[\s-]+[\w'.]+)+$")


def acronym_senses(term: str, aliases: list[str]) -> dict[str, str]:
    """For a card that spells out an acronym (`Exact Match (EM)`, `EM (Expectation Maximization)`): the
    acronym's key → which sense it is (the first letters of the spelled-out name: `exac`, `expe`)."""
    names = [n.strip() for n in (term, *aliases)]
    acronyms = [n for n in names if _ACRONYM.match(n)]
    if not acronyms:
        return {}
    spelled = [n for n in names if _SPELLED_OUT.match(n)  # (two words or more: never an acronym)
               and not any(w in acronyms for w in n.split())]  # `vanilla RNN` names a kind of RNN
    if not spelled:
        return {}
    sense = term_key(spelled[0].split()[0])[:4]
    return {term_key(a): sense for a in acronyms}


def split_homonyms(group: list[int], cards: list[tuple], claims: list[list[str]]) -> list[tuple[list[int], str | None]]:
    """A group of cards (indices into `cards`, each `(term, aliases, …)`) split where one acronym is
    spelled out in two ways: `SSD` as Single Shot Detector and as Solid State Disk are two concepts. The
    acronym then joins only cards of one sense; a card with the bare acronym and no spelled-out name joins
    the sense most cards of the group spell out (the first seen on a tie). Each part comes with the term its
    card must show instead of its first card's, or None: the part with the group's first card keeps that
    term (and so its note in Anki); another part whose term would be the same is named by its spelled-out
    name (`Solid State Disk`, with `SSD` as alias). Decided from the group alone, so a re-run that re-merges
    the group decides the same."""
    if sum(1 for i in group if cards[i][1]) < 2:
        return [(group, None)]  # two senses need two cards that each name the acronym and its words
    senses = {i: acronym_senses(cards[i][0], cards[i][1]) for i in group}
    seen: dict[str, dict[str, int]] = {}
    for found in senses.values():
        for key, sense in found.items():
            counts = seen.setdefault(key, {})
            counts[sense] = counts.get(sense, 0) + 1
    clash = {key: max(counts, key=counts.__getitem__) for key, counts in seen.items() if len(counts) > 1}
    if not clash:
        return [(group, None)]
    qualified = [[f"{k}\x01{senses[i].get(k, clash[k])}" if k in clash else k for k in claims[i]] for i in group]
    parts = [[group[j] for j in sub] for sub in group_cards(qualified)]
    main_key = term_key(cards[group[0]][0])
    out: list[tuple[list[int], str | None]] = []
    for part in parts:
        rename = None
        if group[0] not in part and term_key(cards[part[0]][0]) == main_key:
            rename = next((n for n in _names(cards, part)
                           if _SPELLED_OUT.match(n.strip()) and term_key(n) != main_key), None)
        out.append((part, rename))
    return out


def joining_cards(group: list[int], claims: list[list[str]]) -> list[int]:
    """The cards of a group without which it would fall apart (the articulation points among the cards of
    the graph of cards and the keys they claim), in group order. Found in one depth-first pass (Tarjan)."""
    claimed = Counter(k for i in group for k in set(claims[i]))
    shared = [k for k, n in claimed.items() if n > 1]  # a name of one card alone joins no card to another
    keys = {k: len(group) + n for n, k in enumerate(shared)}
    adj: list[list[int]] = [[keys[k] for k in dict.fromkeys(claims[i]) if k in keys] for i in group] \
        + [[] for _ in keys]
    for c in range(len(group)):
        for k in adj[c]:
            adj[k].append(c)
    order, low, cut = [-1] * len(adj), [0] * len(adj), [False] * len(group)
    order[0] = low[0] = 0
    counter, root_children = 1, 0
    stack = [(0, -1, iter(adj[0]))]
    while stack:
        node, parent, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[node])
                if parent < len(group) and parent != 0 and low[node] >= order[parent]:
                    cut[parent] = True
            continue
        if order[child] < 0:
            order[child] = low[child] = counter
            counter += 1
            if node == 0:
                root_children += 1
            stack.append((child, node, iter(adj[child])))
        elif child != parent:
            low[node] = min(low[node], order[child])
    cut[0] = root_children > 1
    return [group[c] for c in range(len(group)) if cut[c]]


def _names(cards: list[tuple], members: list[int]):
    """Every name of the cards `members`: each one's term, then its aliases."""
    return (n for i in members for n in (cards[i][0], *cards[i][1]))


def _english_names(names) -> set[str]:
    """The keys of the English names among `names`."""
    return {k for n in names if (k := term_key(n)) and k.isascii() and k[:1].isalpha()}


def _abbreviates(short: str, long: str) -> bool:
    """`relu` of `rectifiedlinearunit`, `kd` of `knowledgedistillation`: the first letter, then the rest in order."""
    if len(short) > 6 or len(short) >= len(long) or short[:1] != long[:1]:
        return False
    rest = iter(long[1:])
    return all(ch in rest for ch in short[1:])


def _disagree(first: set[str], second: set[str]) -> bool:
    """Two sets of English names of which no two share a beginning or abbreviate one another
    (`accuracy` / `precision`, `learning` / `training`, `dqn` / `reinforcementlearning`), where `tokenizing` /
    `tokenization`, `resnet` / `residualnetworks` and `kd` / `knowledgedistillation` agree."""
    return bool(first) and bool(second) and not any(
        a[:3] == b[:3] or _abbreviates(a, b) or _abbreviates(b, a) for a in first for b in second)


def split_bridges(group: list[int], cards: list[tuple], claims: list[list[str]]) -> list[list[int]]:
    """A group held together by one card whose other name contradicts the rest: one note's
    `정확도(Precision)` joins the cards of 정확도 / Accuracy with those of 정밀도 / Precision, and one
    `DQN (Reinforcement learning)` made every card of reinforcement learning a DQN card. Where removing
    one card leaves a part of two cards or more whose English names contradict the card's own side (the
    cards that share its term, or else its term alone), the card keeps only the names of its own side and
    the parts are concepts apart. A translation that agrees (`토큰화 (Tokenization)` beside `Tokenizing`),
    an acronym and its words, or a side with no English name (`스레드` beside `Thread`) keeps the group
    whole. Decided from the group alone, like split_homonyms."""
    if len(group) < 3 or not any(cards[i][1] for i in group):
        return [group]  # only a card with another name can join two names
    joining = set(joining_cards(group, claims))
    claimed = Counter(k for i in group for k in set(claims[i]))
    for b in group:
        lone = claimed[claims[b][0]] == 1  # no other card has its term among its names
        if not cards[b][1] or not (b in joining or lone):
            continue  # joins nothing, or its term is among the others' names
        rest = [i for i in group if i != b]
        parts = [[rest[j] for j in sub] for sub in group_cards([claims[i] for i in rest])] if b in joining \
            else [rest]
        home = next((part for part in parts if claims[b][0] in {k for i in part for k in claims[i]}), None)
        others = [part for part in parts if part is not home and len(part) >= 2]
        if not others:
            continue
        term = cards[b][0]
        own = _english_names(_names(cards, home)) if home \
            else _english_names([term, _ARTICLE.sub("", term)])  # `The Loss Function` is `Loss Function`
        if not any(_disagree(own, _english_names(_names(cards, part))) for part in others):
            continue
        foreign = {k for part in others for i in part for k in claims[i]}
        cut = [[k for k in claims[i] if k not in foreign] if i == b else claims[i] for i in group]
        return [piece for sub in group_cards(cut)
                for piece in split_bridges([group[j] for j in sub], cards, claims)]
    return [group]


def concepts(cards: list[tuple], claims: list[list[str]]) -> list[tuple[list[int], str | None, list[int]]]:
    """Which cards are one concept, in first-seen order: cards sharing a claimed key (group_cards), apart
    where one card's contradicting name bridges two concepts (split_bridges) or one acronym is spelled out
    two ways (split_homonyms). Each concept comes with the term to show instead of its first card's (or
    None) and all the cards that share keys with it (itself, or the group it was split from: a later run
    must re-merge them together)."""
    out = [(part, shown, group) for group in group_cards(claims)
           for piece in split_bridges(group, cards, claims)
           for part, shown in split_homonyms(piece, cards, claims)]
    return sorted(out, key=lambda concept: concept[0][0])


def merge_group(members: list[tuple], aliases: Aliases, term: str | None = None) -> tuple[str, list[str], list[tuple]]:
    """One concept from its note cards (in order): the term (`term` when given, see split_homonyms), the other
    names, the distinct explanations (each with `also_in`: where else its text was found)."""
    if term is None:
        term = members[0][0]  # the first card's term
        for c_term, _, _ in members:
            pref = aliases.preferred.get(term_key(c_term))
            if pref is not None:
                term = pref
                break
    names: list[str] = []
    seen_keys = {term_key(term)}
    for c_term, c_aliases, _ in members:
        g = aliases.group_of.get(term_key(c_term))
        declared = aliases.groups[g] if g is not None else []
        for name in (c_term, *c_aliases, *declared):
            k = term_key(name)
            if k and k not in seen_keys:
                seen_keys.add(k)
                names.append(name)
    explanations: list[tuple] = []
    seen_text: dict[str, int] = {}
    for _, _, expl in members:
        for e in expl:
            also = list(e[EXPL_ALSO_IN]) if len(e) > EXPL_ALSO_IN else []
            k = " ".join(e[EXPL_TEXT].split()).casefold()
            at = seen_text.get(k)
            if at is not None:  # identical text: kept once, its source remembered
                explanations[at][EXPL_ALSO_IN].extend([(e[EXPL_PATH], e[EXPL_LINE]), *also])
                continue
            seen_text[k] = len(explanations)
            explanations.append((*e[:EXPL_ALSO_IN], also))
    return term, names, explanations


def pack_card(card: Card) -> tuple:
    """A Card as a note card, its explanations merged (with `also_in`)."""
    return (card.term, list(card.aliases),
            [(e.text, e.source.path, e.source.line, e.context, e.rule, e.note_title, e.note_date,
              [(s.path, s.line) for s in e.also_in]) for e in card.explanations])


def explanations_of(packed: list[tuple]) -> list[Explanation]:
    return [Explanation(text=tx, source=Source(sp, sl), context=ctx, rule=rule, note_title=nt, note_date=nd,
                        also_in=[Source(p, ln) for p, ln in also])
            for tx, sp, sl, ctx, rule, nt, nd, also in packed]


def merge_cards(cards: list[Card], alias_groups: list[list[str]] | None = None) -> tuple[list[Card], int]:
    """Merge duplicates; returns (cards in first-seen order, number of cards merged away).

    `alias_groups` are lists of names a rule file declares equal; the first name is the
    preferred term of the merged card.
    """
    aliases = Aliases(alias_groups)
    packed = [pack_card(c) for c in cards]
    merged: list[Card] = []
    for idx, shown, _ in concepts(packed, [aliases.claims(term, names) for term, names, _ in packed]):
        term, names, expl = merge_group([packed[i] for i in idx], aliases, shown)
        merged.append(cards[idx[0]].model_copy(update={"term": term, "aliases": names,
                                                       "explanations": explanations_of(expl)}))
    return merged, len(cards) - len(merged)
