"""Rule files: one YAML file per topic under `rules/`, plus an optional `_global.yaml`.

Each file is validated by a pydantic model (unknown keys and wrong types are errors);
an error names the file, the line and the field, and no part of a bad file is applied.
Topic assignment is deterministic and explainable: every card gets the topic whose
claim on it is strongest (priority first, then how specific the evidence is), with
the reason recorded.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .extract.confidence import DEFAULT_MIN_CONFIDENCE
from .models import term_key
from .notes import YamlLimit, safe_yaml

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
    _index: "TopicIndex | None" = field(default=None, repr=False, compare=False)

    @property
    def index(self) -> "TopicIndex":
        if self._index is None or self._index.topics is not self.topics:
            self._index = TopicIndex(self.topics)
        return self._index

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

    def settings(self):
        from .extract import Settings  # local: extract imports nothing from here
        from .patterns import PATTERNS
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


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the YAML node at pydantic error location `loc`."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == part:
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(str(path), f"cannot read: {exc}") from None


def _load_yaml(path: Path, text: str | None = None) -> tuple[Any, str]:
    """The file's data, and its text (to find the line of a field at fault only when one is)."""
    if text is None:
        text = _read(path)
    try:
        data, _ = safe_yaml(text)  # libyaml when PyYAML has it; limits on size and aliases
    except YamlLimit as exc:
        raise RuleError(str(path), f"refused: {exc.problem}") from None
    except yaml.YAMLError as exc:
        try:  # the pure-Python parser words the problem as the messages document
            yaml.safe_load(text)
        except yaml.YAMLError as pure:
            exc = pure
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleError(str(path), f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    return data, text


def _node(text: str) -> yaml.Node | None:
    """The file's node tree (positions of keys and items), composed only to report a problem."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _validate(model: type[BaseModel], data: Any, text: str, path: Path) -> BaseModel:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RuleError(str(path), "a rule file must be a mapping of keys (topic:, match:, …)", 1)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        field_name = ".".join(str(p) for p in loc) or "(file)"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            allowed = ", ".join(sorted(_fields_at(model, loc[:-1])))
            msg = f"unknown field (allowed here: {allowed})"
        raise RuleError(str(path), msg, _line_of(_node(text), loc), field_name) from None


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    m: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        f = m.model_fields.get(part)
        if f is None:
            return []
        ann = f.annotation
        inner = getattr(ann, "__args__", None)
        m = inner[0] if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel) else ann
        if not (isinstance(m, type) and issubclass(m, BaseModel)):
            return []
    return list(m.model_fields)


def load_rules(folder: Path | None) -> RuleSet:
    """Load every rule file in `folder` (all or nothing). Raises RuleError on the first bad file."""
    rs = RuleSet()
    if folder is None:
        return rs
    if not folder.is_dir():
        raise RuleError(str(folder), "rules folder not found")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    topics: list[Topic] = []
    names: dict[str, str] = {}
    h = hashlib.sha256()
    for p in files:
        text = _read(p)
        data, _ = _load_yaml(p, text)
        h.update(p.name.encode() + b"\0" + json.dumps(data, sort_keys=True, default=str).encode()
                 + (b"\0drafted" if text.startswith(DRAFT_MARK) else b""))
        if p.name == GLOBAL_FILE:
            rs.glob = _validate(GlobalRules, data, text, p)  # type: ignore[assignment]
            continue
        tr: TopicRules = _validate(TopicRules, data, text, p)  # type: ignore[assignment]
        name = tr.topic or p.stem.replace("_", " ").replace("-", " ").strip().title()
        key = term_key(name)
        if key in names:
            raise RuleError(str(p), f"topic {name!r} is already defined in {names[key]}",
                            _line_of(_node(text), ("topic",)), "topic")
        names[key] = str(p)
        rx = [regex.compile(r) for r in tr.match.term_regex]
        topics.append(Topic(name=name, deck=tr.deck or name, path=str(p), rules=tr, term_rx=rx,
                            drafted=text.startswith(DRAFT_MARK)))
    rs.topics = topics
    rs.files = [str(p) for p in files]
    rs.digest = h.hexdigest()[:16]
    _check_aliases(rs)
    return rs


def check_rules(folder: Path) -> list[RuleError]:
    """Every problem in a rules folder (not just the first): each file alone, then across files."""
    errors: list[RuleError] = []
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()) \
        if folder.is_dir() else []
    if not folder.is_dir():
        return [RuleError(str(folder), "rules folder not found")]
    for p in files:
        try:
            data, text = _load_yaml(p)
            _validate(GlobalRules if p.name == GLOBAL_FILE else TopicRules, data, text, p)
        except RuleError as exc:
            errors.append(exc)
    if not errors:
        try:
            load_rules(folder)
        except RuleError as exc:
            errors.append(exc)
    return errors


def _check_aliases(rs: RuleSet) -> None:
    """One name may belong to one alias group only: two groups sharing a name would merge silently."""
    seen: dict[str, tuple[str, list[str]]] = {}
    sources = [(GLOBAL_FILE, g) for g in rs.glob.aliases] + [(t.path, g) for t in rs.topics for g in t.rules.aliases]
    for path, group in sources:
        for name in group:
            k = term_key(name)
            if k in seen and seen[k][1] != group:
                other_path, other = seen[k]
                raise RuleError(path, f"alias {name!r} is also in the group {other} in {other_path}; "
                                      "merge the two groups into one", None, "aliases")
            seen[k] = (path, group)


# -- topic assignment --------------------------------------------------------------------

@dataclass
class NoteInfo:
    tags: list[str]
    path: str  # relative path inside the vault, with folders


_WORD_BREAK = re.compile(r"[\s/()\-]+")
_RANK = {"term": 5, "term word": 4, "term regex": 4, "heading": 3, "tag": 2, "folder": 1}


@dataclass
class _CardFacts:
    """What topic claims look at, computed once per card (not once per topic)."""

    names: list[str]
    keys: list[str]  # ordered (term first, then aliases) so a reported reason never depends on hash order
    words: list[str]
    heads: list[str]
    heads_text: str = ""  # the heads joined by NUL: one substring test instead of one per head

    @classmethod
    def of(cls, term: str, aliases: list[str], contexts: list[list[str]]) -> "_CardFacts":
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

    def claims(self, facts: "_CardFacts", infos: list[NoteInfo],
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

    def keywords(self, facts: "_CardFacts") -> dict[int, str]:
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

    def _heading_claims(self, facts: "_CardFacts") -> dict[int, str]:
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


def with_title(title: str, context: list[str]) -> list[str]:
    """A card's heading path as topics see it: the note's title first (unless its first heading already is)."""
    if not title or (context and context[0] == title):
        return list(context)
    return [title, *context]


def claim_on(term: str, aliases: list[str], contexts: list[list[str]], rs: RuleSet, infos: list[NoteInfo],
             timeouts: list[tuple[str, str]] | None = None) -> tuple[Topic, int, str] | None:
    """The rule topic that claims a card, the strength of its claim (a `_RANK` value) and what it matched.
    `timeouts` gets (rule file, regex) for each `term_regex` that gave up on the card."""
    if not rs.topics:
        return None
    claims = rs.index.claims(_CardFacts.of(term, aliases, contexts), infos, timeouts)
    best: tuple[tuple, int] | None = None
    for ti in sorted(claims):
        score = (rs.topics[ti].rules.priority, claims[ti][0])
        if best is None or score > best[0]:  # ties keep the first topic in file-name order
            best = (score, ti)
    if best is None:
        return None
    return rs.topics[best[1]], claims[best[1]][0], claims[best[1]][1]


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
    return got[0], reason_of(got[0], got[2])
