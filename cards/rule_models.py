"""What a rule file may say, and the rule files once loaded.

A topic is one YAML file under `rules/`, validated by `TopicRules`; `rules/_global.yaml` by
`GlobalRules`. Unknown keys and wrong types are errors. Loaded (rules.py), each file is a
`Topic` and the whole folder a `RuleSet`: the topics in file-name order, the global settings,
and a digest of everything, which every cache key covers.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .extract import Settings
from .extract.confidence import DEFAULT_MIN_CONFIDENCE
from .models import term_key
from .patterns import PATTERNS

GLOBAL_FILE = "_global.yaml"
FALLBACK_TOPIC = "Unsorted"
DEFAULT_ROOT = "Study Notes"
REGEX_TIMEOUT = 0.05  # seconds a user regex may spend on one line
# What decides the topic of a card no rule file claims, in this order (`defaults:` in _global.yaml)
DEFAULT_SOURCES = ("note", "folder", "front-matter", "starter")
# The first line `cards rules suggest` writes into a drafted file; while it is there, the file counts as a suggestion
DRAFT_MARK = "# Drafted by `cards rules suggest`"


def deck_key(name: str) -> str:
    """A deck name as Anki compares them: NFC, case-insensitive, each `::` part trimmed."""
    parts = [p.strip() for p in unicodedata.normalize("NFC", name).split("::")]
    return "::".join(p for p in parts if p).casefold()


class RuleError(Exception):
    """A rule file that cannot be used. str() is `path:line: field: message`."""

    def __init__(self, path: str, message: str, line: int | None = None, field_name: str = ""):
        self.path, self.line, self.field, self.message = path, line, field_name, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field_name + ': ' if field_name else ''}{message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatternSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$", description="a short id shown by --explain")
    regex: str = Field(description="a regular expression with named groups `term` and `definition`")
    description: str = ""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            rx = regex.compile(v)
        except regex.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        if not {"term", "definition"} <= set(rx.groupindex):
            raise ValueError("the regex needs named groups (?P<term>...) and (?P<definition>...)")
        return v


class Match(_Strict):
    terms: list[str] = Field(default_factory=list, description="term keywords: a card whose term (or alias) is, "
                             "or contains as a word, one of these")
    term_regex: list[str] = Field(default_factory=list, description="regexes tried on the term")
    headings: list[str] = Field(default_factory=list, description="words found in the heading path of the card")
    tags: list[str] = Field(default_factory=list, description="note tags (front matter)")
    folders: list[str] = Field(default_factory=list, description="folder names or globs on the note's path")

    @field_validator("term_regex")
    @classmethod
    def _compile(cls, v: list[str]) -> list[str]:
        for r in v:
            try:
                regex.compile(r)
            except regex.error as exc:
                raise ValueError(f"invalid regex {r!r}: {exc}") from None
        return v


class TopicRules(_Strict):
    """One topic: what it claims, and how extraction is tuned for its cards."""

    topic: str = Field(default="", description="the topic's name; defaults to the file name")
    deck: str = Field(default="", description="deck name under the root deck (`A::B` nests); defaults to topic")
    description: str = ""
    priority: int = Field(default=0, description="higher wins when two topics claim a card")
    match: Match = Field(default_factory=Match)
    aliases: list[list[str]] = Field(default_factory=list, description="groups of names for one concept; the "
                                     "first is the card's term")
    stop_terms: list[str] = Field(default_factory=list, description="terms that are never cards in this topic")
    patterns: list[PatternSpec] = Field(default_factory=list, description="extra patterns")
    disable: list[str] = Field(default_factory=list, description="built-in pattern ids switched off for this topic")

    @field_validator("aliases")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        for g in v:
            if len([n for n in g if n.strip()]) < 2:
                raise ValueError("an alias group needs at least two names")
        return v

    @field_validator("deck")
    @classmethod
    def _deck(cls, v: str) -> str:
        if v and any(not part.strip() for part in v.split("::")):
            raise ValueError("deck name has an empty part around '::'")
        return v


def deck_name_problem(name: str) -> str | None:
    """Why `name` cannot be a root deck name (`--name`, `root:`); None when it can."""
    if any(not part.strip() for part in name.split("::")):
        return "a deck name needs text between its '::' separators (and cannot be empty or only spaces)"
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        return "a deck name cannot hold control characters (tabs, new lines)"
    return None


class GlobalRules(_Strict):
    """Settings that hold for every topic (`rules/_global.yaml`)."""

    root: str = Field(default=DEFAULT_ROOT, description="the root deck name (`--name` overrides it)")
    fallback_topic: str = Field(default=FALLBACK_TOPIC, description="topic for cards nothing else places")
    defaults: list[Literal["note", "folder", "front-matter", "starter"]] = Field(
        default_factory=lambda: list(DEFAULT_SOURCES),
        description="what places a card no rule file claims, tried in this order: `note` (the topic the rule files "
                    "give most of its note's cards), `folder` (the note's subject folder), `front-matter` (categories, "
                    "then tags), `starter` (the starter topics that come with cards); [] sends such cards to "
                    "fallback_topic")
    aliases: list[list[str]] = Field(default_factory=list)
    stop_terms: list[str] = Field(default_factory=list)
    patterns: list[PatternSpec] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)
    min_confidence: float = Field(default=DEFAULT_MIN_CONFIDENCE, ge=0.0, le=1.0,
                                  description="candidates less sure than this are held back (`unsure`); 0 keeps all")
    renamed_roots: dict[str, str] = Field(
        default_factory=dict, description="root deck → the name it had before a rename; its notes keep the GUIDs "
        "made under the old name, so Anki keeps updating them (and their review history)")

    link_base: str = Field(default="", description="where the notes are published, e.g. "
                           "https://github.com/me/notes/blob/main/ : each card links to this plus the note's path "
                           "inside the folder given to `cards`")

    @field_validator("link_base")
    @classmethod
    def _link_base(cls, v: str) -> str:
        if v and not re.match(r"^(https?|obsidian)://", v, re.I):
            raise ValueError("link_base must start with https://, http:// or obsidian://")
        return v

    @field_validator("renamed_roots")
    @classmethod
    def _renames(cls, v: dict[str, str]) -> dict[str, str]:
        for new, old in v.items():
            if not new.strip() or not old.strip():
                raise ValueError("a renamed root and its old name must not be empty")
        return v

    def guid_namespace(self, root: str) -> str:
        """The namespace of the note GUIDs under this root deck: its name as Anki compares deck
        names (NFC, case-folded, each `::` part trimmed), or the name it had before the renames
        `renamed_roots` records (followed back, a chain A → B → C too)."""
        renamed = {deck_key(k): v for k, v in self.renamed_roots.items()}
        key, seen = deck_key(root), set()
        while key in renamed and key not in seen:
            seen.add(key)
            key = deck_key(renamed[key])
        return key

    @field_validator("root")
    @classmethod
    def _root(cls, v: str) -> str:
        problem = deck_name_problem(v)
        if problem:
            raise ValueError(problem)
        return v


@dataclass
class UserPattern:
    id: str
    rx: Any
    origin: str

    def search(self, text: str):
        return self.rx.search(text, timeout=REGEX_TIMEOUT)


@dataclass
class Topic:
    name: str
    deck: str
    path: str
    rules: TopicRules
    term_rx: list = field(default_factory=list)
    drafted: bool = False  # written by `cards rules suggest` and not yet taken over (its first line is DRAFT_MARK)
    # precomputed once: keyword key → keyword, keyword word → keyword, and the folded heading words / tags
    term_keys: dict[str, str] = field(default_factory=dict)
    term_words: dict[str, str] = field(default_factory=dict)
    tag_keys: dict[str, str] = field(default_factory=dict)
    headings: list[tuple[str, str]] = field(default_factory=list)  # (heading word, folded)

    def __post_init__(self) -> None:
        self.headings = [(w, w.casefold()) for w in self.rules.match.headings]
        for kw in reversed(self.rules.match.terms):
            self.term_keys[term_key(kw)] = kw
            self.term_words[kw.casefold()] = kw
        for t in reversed(self.rules.match.tags):
            self.tag_keys[term_key(t)] = t


@dataclass
class RuleSet:
    topics: list[Topic] = field(default_factory=list)
    glob: GlobalRules = field(default_factory=GlobalRules)
    files: list[str] = field(default_factory=list)
    digest: str = "none"
    _index: Any = field(default=None, repr=False, compare=False)  # its claims.TopicIndex (see claims.index_of)

    @property
    def alias_groups(self) -> list[list[str]]:
        groups = [list(g) for g in self.glob.aliases]
        for t in self.topics:
            groups += [list(g) for g in t.rules.aliases]
        return groups

    def set_min_confidence(self, cut: float) -> None:
        """Override the confidence cut (`--min-confidence`); the digest follows, so nothing cached is reused."""
        if cut != self.glob.min_confidence:
            self.glob.min_confidence = cut
            self.digest = hashlib.sha256(f"{self.digest}\0min_confidence={cut!r}".encode()).hexdigest()[:16]

    def settings(self) -> Settings:
        """The extraction settings these rule files make."""
        extra = [UserPattern(p.id, regex.compile(p.regex), origin) for origin, p in self._patterns()]
        disabled = frozenset(self.glob.disable) & set(PATTERNS)
        return Settings(stop_terms=frozenset(term_key(s) for s in self.glob.stop_terms), disabled=disabled,
                        extra=extra, min_confidence=self.glob.min_confidence)

    def _patterns(self):
        for p in self.glob.patterns:
            yield GLOBAL_FILE, p
        for t in self.topics:
            for p in t.rules.patterns:
                yield t.path, p

