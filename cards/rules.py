"""Rule files: one YAML file per topic under `rules/`, plus an optional `_global.yaml`.

`load_rules` reads a folder of them, all or nothing: each file is validated by its pydantic
model (rule_models.py), and an error names the file, the line and the field (`RuleError`), so
no part of a bad file is ever applied. `check_rules` lists every problem instead of the first.
Which topic a card goes to is claims.py's (rule files) and topics.py's (everything else).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import regex
import yaml
from pydantic import BaseModel, ValidationError

from .models import term_key
from .rule_models import (DEFAULT_ROOT, DEFAULT_SOURCES, DRAFT_MARK, FALLBACK_TOPIC, GLOBAL_FILE, REGEX_TIMEOUT,
                          GlobalRules, Match, PatternSpec, RuleError, RuleSet, Topic, TopicRules, UserPattern,
                          deck_key, deck_name_problem)
from .yaml_safe import YamlLimit, safe_yaml

__all__ = ["DEFAULT_ROOT", "DEFAULT_SOURCES", "DRAFT_MARK", "FALLBACK_TOPIC", "GLOBAL_FILE", "REGEX_TIMEOUT",
           "GlobalRules", "Match", "PatternSpec", "RuleError", "RuleSet", "Topic", "TopicRules", "UserPattern",
           "check_rules", "deck_key", "deck_name_problem", "load_rules"]


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

