"""The run state: what the last run over the same paths and rules found, so the next redoes only what changed.

It holds each note's meta (by note key), the finished groups (their cards as heads: the
explanations are cached apart, by the card's ident), the note keys in order, and each file's
stat signature. It is written with `marshal` (five times quicker to write than a pickle), so it
holds plain tuples, lists and dicts only (see records.py), and is keyed by everything that
shapes it, the interpreter included (marshal's format is one interpreter's).
"""
from __future__ import annotations

import hashlib
import marshal
import sys
from pathlib import Path

from . import build_id
from .rules import RuleSet
from .runner import CACHE_FORMAT

STATE_RESAVE_READS = 500  # notes read again (touched, not changed) that make saving the state worth it


def state_key(paths: list[Path], rules: RuleSet, root: str) -> str:
    h = hashlib.sha256(f"state\0{CACHE_FORMAT}\0{build_id()}\0{sys.version}\0{marshal.version}\0{rules.digest}\0"
                       f"{root}\0".encode("utf-8", "surrogatepass"))  # the state is marshalled: one interpreter
    for p in paths:
        h.update(str(p).encode("utf-8", "surrogatepass") + b"\0")
    return "state:" + h.hexdigest()[:32]


def empty_state() -> dict:
    return {"metas": {}, "groups": [], "keys": []}


def load_state(blob: bytes | None) -> dict:
    """The run state from its blob; an empty one when it is missing, unreadable or of the wrong shape."""
    try:
        obj = marshal.loads(blob) if blob else None
    except (ValueError, EOFError, TypeError):
        obj = None
    valid = (isinstance(obj, dict) and isinstance(obj.get("metas"), dict) and isinstance(obj.get("groups"), list)
             and isinstance(obj.get("keys"), list))
    return obj if valid else empty_state()


def dump_state(metas: dict[str, tuple], groups: list[tuple], keys: list[str], stats: dict) -> bytes | None:
    """The state's blob (groups as heads, see records.head_of); None when marshal cannot write a value."""
    try:
        return marshal.dumps({"metas": metas, "groups": groups, "keys": keys, "stats": stats})
    except ValueError:  # a value marshal cannot write: no state, the next run merges from scratch
        return None
