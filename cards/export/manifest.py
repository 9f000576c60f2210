"""The manifest beside each package: what was exported, so the next export knows what changed.

For each note (by GUID): its term, deck, a digest of its row (`row_digest`), the time its
content last changed (Anki updates a note only when this is newer) and what its row was made
from (`basis`); for the package: the inputs it was made from, the tool, the zip comment token,
its size, the image files and their state, the GUID namespace. Read back, a manifest of any
other shape is not trusted: it is rebuilt from the package.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import sqlite3
import zipfile
from pathlib import Path

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from ..notes import Warning_
from .notetype import FIELDS, MODEL_ID

MANIFEST_VERSION = 1


class ManifestNote(TypedDict):
    """A manifest entry: one note of the package, by GUID."""
    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]
    term: str
    deck: str
    hash: str  # row_digest of its fields, tags and deck
    mod: int  # when its content last changed: Anki updates a note only when this is newer
    basis: NotRequired[str]  # what its row was made from (write.py's _basis): the same basis, the same row
    images: NotRequired[bool]  # it shows images: rendered again on every export


class ManifestFile(TypedDict):
    """What write.py writes beside a package; read back, anything else is not trusted. (Typed dicts:
    pydantic checks them without making an object per note, and gives back what was written.)"""
    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]
    version: int
    notes: dict[str, ManifestNote]
    exported: NotRequired[int]
    inputs: NotRequired[str | None]
    tool: NotRequired[str]
    token: NotRequired[str]
    size: NotRequired[int]
    media: NotRequired[list[tuple[str, int, int]]]
    namespace: NotRequired[str]
    legacy_guids: NotRequired[bool]


_MANIFEST = TypeAdapter(ManifestFile)


def _empty_manifest() -> dict:
    return {"version": MANIFEST_VERSION, "notes": {}}


def load_manifest(path: Path, target: Path, warnings: list[Warning_]) -> dict:
    """The manifest beside `target`, validated. A missing one: empty (a first export). One that is
    not what this tool writes (bad JSON, wrong shapes): rebuilt from the package, with a warning."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty_manifest()
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
    else:
        try:
            data = _MANIFEST.validate_json(text)
            data["media"] = [list(m) for m in data.get("media", [])]  # as media_state makes them, to compare
            if data["version"] == MANIFEST_VERSION:
                return data
            problem = f"version {data['version']}"
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ())) or "(file)"
            problem = f"{where}: {err.get('msg', 'invalid')}"
    rebuilt = _manifest_from_package(target)
    warnings.append(Warning_(str(path), f"not a manifest this tool wrote ({problem}); "
                             + ("rebuilt from the package" if rebuilt["notes"] else "ignored"), kind="manifest"))
    return rebuilt


def _manifest_from_package(target: Path) -> dict:
    """What a manifest would say about the notes in the package (their content digest and modification
    time), so a lost or damaged manifest does not make every note look changed."""
    out = _empty_manifest()
    try:
        with zipfile.ZipFile(target) as z:
            image = z.read("collection.anki2")
        db = sqlite3.connect(":memory:")
        try:
            db.deserialize(image)
            decks = {int(i): d["name"] for i, d in json.loads(db.execute("SELECT decks FROM col").fetchone()[0]).items()}
            for guid, mod, flds, tags, did in db.execute(
                    "SELECT n.guid, n.mod, n.flds, n.tags, min(c.did) FROM notes n JOIN cards c ON c.nid = n.id"
                    " WHERE n.mid = ? GROUP BY n.id", (MODEL_ID,)):
                fields = flds.split("\x1f")
                deck = decks.get(did, "")
                if len(fields) != len(FIELDS) or not deck:
                    continue
                term = html.unescape(re.sub(r"<[^>]*>", "", fields[0]))
                out["notes"][guid] = {"term": term, "deck": deck, "mod": int(mod),
                                      "hash": row_digest(fields, tags.split(), deck)}
        finally:
            db.close()
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, sqlite3.Error):
        return _empty_manifest()
    return out


def row_digest(fields: list[str], tags: list[str], deck: str) -> str:
    """Each field (in FIELDS order), then the tags and the deck, separated by \x1f (one string, encoded once)."""
    text = "\x1f".join([*fields, " ".join(tags), deck])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def media_state(sources: list[str]) -> list[list]:
    out = []
    for src in sources:
        try:
            st = os.stat(src)
            out.append([src, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([src, -1, -1])
    return out


def token_of(target: Path) -> str | None:
    """The token written in a package's zip comment with its manifest (None if unreadable)."""
    try:
        with zipfile.ZipFile(target) as z:
            return z.comment.decode("utf-8")
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
