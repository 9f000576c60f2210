"""The records that pass between the stages, and the names of their fields.

A run moves a few hundred thousand small records between modules and processes. Two kinds:

* **NamedTuples**, for records made a few thousand times a run that marshal never writes:
  `PackedNote` (one note's extraction, pickled by pool workers and the cache) and `NoteFacts`
  (what placing a card looks at besides the card). (`rules.Claim` is one too.)
* **Plain tuples with named field indexes**, for records the run state keeps (it is written
  with `marshal`, which refuses tuple subclasses) or that are made hundreds of thousands of
  times (a NamedTuple pickles about nine times slower than a tuple): a note's meta, an
  explanation, a card, a group. Read a field by its name, `group[GROUP_CARD][CARD_DECK]`,
  or unpack the record whole: `term, aliases, explanations = note_card`.

The layouts, in the order a run makes them:

    explanation   (text, path, line, context, rule, note_title, note_date[, also_in])  EXPL_*
                  one place a term is explained; `also_in` [(path, line)] only once merged
                  (the same text found in other places)
    note card     (term, aliases, explanations)    a card as one note gives it (dedupe.py)
    rejection     (term, definition, reason, detail, rule, path, line)
    warning       (path, message, line, kind)      the fields of notes.Warning_, in order
    PackedNote    one note's result: its facts, cards, rejections (pickled, counted) and warnings
    meta          (path, rel, root, title, date, tags, ok, warnings, n_cards, n_rejections,
                  title_evidence)  META_*: what the run state keeps of a note, so a run need not
                  load the notes that did not change
    evidence      (rule topic, starter topics)     what places a card: the rule topic whose
                  file claims it, else "" and the starter topics its strongest claim names
    card          (term, aliases, topic, deck, topic_reason, tags, guid, body)  CARD_*: a
                  finished card; `body` is its explanations, or in a card's *head* (as the run
                  state keeps it) the note paths of its explanations joined by NUL
    group         (members, claims, card, rejection, ident, evidence, warnings)  GROUP_*: the
                  cards that are one concept: `members` [(note key, card index)] in order, the
                  keys they claim, the finished card (None when a topic rule dropped it, and then
                  `rejection` says why), `ident` (a digest of the card), its evidence, and
                  warnings about finishing it
"""
from __future__ import annotations

from typing import NamedTuple

# -- an explanation -----------------------------------------------------------------------
EXPL_TEXT, EXPL_PATH, EXPL_LINE, EXPL_CONTEXT, EXPL_RULE, EXPL_NOTE_TITLE, EXPL_NOTE_DATE, EXPL_ALSO_IN = range(8)

# -- a note's meta (kept in the run state) ------------------------------------------------
(META_PATH, META_REL, META_ROOT, META_TITLE, META_DATE, META_TAGS, META_OK, META_WARNINGS, META_N_CARDS,
 META_N_REJECTIONS, META_TITLE_EVIDENCE) = range(11)

# -- evidence: what places a card ----------------------------------------------------------
EVIDENCE_RULE_TOPIC, EVIDENCE_STARTERS = range(2)

# -- a finished card ----------------------------------------------------------------------
CARD_TERM, CARD_ALIASES, CARD_TOPIC, CARD_DECK, CARD_TOPIC_REASON, CARD_TAGS, CARD_GUID, CARD_BODY = range(8)

# -- a group: the cards that are one concept ----------------------------------------------
GROUP_MEMBERS, GROUP_CLAIMS, GROUP_CARD, GROUP_REJECTION, GROUP_IDENT, GROUP_EVIDENCE, GROUP_WARNINGS = range(7)


class PackedNote(NamedTuple):
    """One note's result as plain values: pickles (to the cache, from pool workers) many times faster than models.

    The rejections are pickled on their own, with their count beside them: most runs only count
    them, so they are unpickled only when someone asks to see them."""

    path: str
    rel: str
    root: str
    title: str
    date: str
    tags: list[str]
    ok: bool  # the note could be read (an unreadable one is not cached: it is tried again)
    cards: list[tuple]  # note cards
    n_rejections: int
    rejections: bytes  # a pickled list of rejection tuples
    warnings: list[tuple]


class NoteFacts(NamedTuple):
    """What placing a card looks at besides the card: its note's tags, path inside the folder given, title,
    and what the title says about its topic (an evidence pair, see `title_evidence`)."""

    tags: list[str]
    rel: str
    title: str
    title_evidence: tuple


def is_head(card: tuple) -> bool:
    """A card as the run state keeps it: its body is its note paths, not its explanations."""
    return card[CARD_BODY].__class__ is str


def first_path(card: tuple) -> str:
    """The path of a card's first explanation, whether the card is whole or a head."""
    body = card[CARD_BODY]
    return body.split("\x00", 1)[0] if body.__class__ is str else body[0][EXPL_PATH]


def source_paths(card: tuple) -> list[str]:
    """The distinct note paths of a card's explanations, in order (whole card or head)."""
    body = card[CARD_BODY]
    if body.__class__ is str:
        return body.split("\x00")
    return list(dict.fromkeys(e[EXPL_PATH] for e in body))


def head_of(group: tuple) -> tuple:
    """A group as the run state keeps it: the card without its explanations (they are cached by ident),
    only their note paths (NUL-separated), which the export's links are made from."""
    card = group[GROUP_CARD]
    if card is None or is_head(card):
        return group
    head = (*card[:CARD_BODY], "\x00".join(source_paths(card)))
    return (*group[:GROUP_CARD], head, *group[GROUP_CARD + 1:])


def with_body(card: tuple, body) -> tuple:
    """The card with another body (its explanations in place of a head's paths)."""
    return (*card[:CARD_BODY], body)
