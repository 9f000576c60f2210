"""The names Anki sees: deck names, tags and note GUIDs."""
from __future__ import annotations

import json
import re
from functools import lru_cache

import genanki

from .notes import display

LEGACY_GUID_NAMESPACE = "cards-term-v1"  # cards 0.1: one namespace for every export (see `legacy_guid`)
GUID_SCHEME = "cards-term-v2"


@lru_cache(maxsize=8192)
def anki_tag(text: str) -> str:
    """An Anki tag: no spaces (they separate tags), no quotes; `::` kept for hierarchy."""
    t = re.sub(r"\s+", "_", display(text).strip())
    t = t.replace('"', "").replace("'", "")
    t = re.sub(r":{3,}", "::", t).strip(":")
    return t


def guid_for_term(key: str, namespace: str) -> str:
    """The note GUID: from the normalised term within the root deck's namespace (`GlobalRules.guid_namespace`).

    Never from the definition, so an edited definition updates the same note; never the same
    for two roots, so two exports (two courses, two vaults) never update each other's notes
    in one Anki profile. The two parts are JSON-encoded so no pair of them can run together."""
    return genanki.guid_for(GUID_SCHEME, json.dumps([namespace, key], ensure_ascii=False))


def legacy_guid(key: str) -> str:
    """The GUID cards 0.1 gave a term, the same under every root. Notes a package's manifest
    lists under it keep it, so decks exported then keep updating in place (see export)."""
    return genanki.guid_for(LEGACY_GUID_NAMESPACE, key)


def deck_name(root: str, deck: str) -> str:
    parts = [p.strip() for p in (root + "::" + deck).split("::") if p.strip()]
    return "::".join(parts)
