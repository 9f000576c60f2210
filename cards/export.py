"""Anki packages: a fixed note type, stable deck IDs and note GUIDs, per-note modification
times, packed media, a manifest of what was exported, and atomic writes.

Read ../shared/ANKI.md for the Anki behaviour this relies on: notes match by GUID only, a
matched note is updated only when the incoming modification time is newer, existing cards
never move deck, and adding a field to a note type forks it in the user's collection.
"""
from __future__ import annotations

import errno
import hashlib
import html
import itertools
import json
import os
import pickle
import re
import sqlite3
import stat
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import filetype
import genanki
from genanki.package import APKG_COL, APKG_SCHEMA
from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from . import build_id
from .dedupe import pack_card
from .models import Card, term_key
from .notes import Warning_, display, read_capped
from .naming import legacy_guid
from .records import (CARD_ALIASES, CARD_BODY, CARD_DECK, CARD_GUID, CARD_TAGS, CARD_TERM, EXPL_CONTEXT, EXPL_LINE,
                      EXPL_NOTE_DATE, EXPL_NOTE_TITLE, EXPL_PATH, EXPL_RULE, EXPL_TEXT, GROUP_CARD, GROUP_IDENT,
                      source_paths)
from .render import MEDIA_EXTENSIONS, ImageResolver, definition_html, has_images, plain, term_html
from .runner import temp_prefix

MODEL_NAME = "cards: term/definition"
# Frozen once released: adding or renaming a field makes Anki fork the note type in every collection.
FIELDS = ["Term", "Definition", "Aliases", "Context", "Source", "Link", "Reverse"]
MANIFEST_VERSION = 1
MAX_MEDIA_BYTES = 100 * 1024 * 1024  # a bigger file behind an image reference is not packed


def stable_id(name: str) -> int:
    """A fixed positive ID derived from a name (never 1, which is Anki's Default deck)."""
    h = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
    return (1 << 40) + h % (1 << 50)


MODEL_ID = stable_id("cards-note-type-v1")

FRONT_TEMPLATE = """<div class="card-front">
<div class="term">{{Term}}</div>
{{#Aliases}}<div class="aliases">{{Aliases}}</div>{{/Aliases}}
{{#Context}}<div class="context">{{Context}}</div>{{/Context}}
</div>"""

BACK_TEMPLATE = """{{FrontSide}}
<hr id="answer">
<div class="definition">{{Definition}}</div>
<div class="source">{{Source}}{{#Link}}<div class="link">{{Link}}</div>{{/Link}}</div>"""

REVERSE_FRONT = """{{#Reverse}}<div class="card-front reverse">
<div class="definition">{{Definition}}</div>
<div class="prompt">?</div>
</div>{{/Reverse}}"""

REVERSE_BACK = """{{FrontSide}}
<hr id="answer">
<div class="term">{{Term}}</div>
{{#Aliases}}<div class="aliases">{{Aliases}}</div>{{/Aliases}}
<div class="source">{{Source}}{{#Link}}<div class="link">{{Link}}</div>{{/Link}}</div>"""

CSS = """.card {
  font-family: -apple-system, "Apple SD Gothic Neo", "Noto Sans KR", "Malgun Gothic", "Segoe UI", Roboto,
    "Helvetica Neue", Arial, sans-serif;
  font-size: 19px; line-height: 1.6; color: #1d1d1f; background: #fcfcfd;
  text-align: left; word-break: keep-all; overflow-wrap: anywhere;
  max-width: 42em; margin: 0 auto; padding: 0.6em 1em;
}
.term { font-size: 1.5em; font-weight: 650; text-align: center; margin: 0.6em 0 0.2em; }
.aliases { text-align: center; color: #5b6270; font-size: 0.9em; }
.context { text-align: center; color: #8a909c; font-size: 0.75em; margin-top: 0.4em; }
.prompt { text-align: center; font-size: 1.4em; color: #8a909c; }
.definition ul { padding-left: 1.3em; margin: 0.3em 0; }
.definition li { margin: 0.15em 0; }
.definition hr.sep { border: none; border-top: 1px dashed #c9ccd3; margin: 0.9em 0; }
.definition .from { color: #8a909c; font-size: 0.72em; margin-top: 0.2em; }
.source { margin-top: 1.4em; color: #8a909c; font-size: 0.72em; }
.source a { color: #4a6fa5; }
code { font-family: "SF Mono", Menlo, Consolas, "D2Coding", monospace; font-size: 0.88em;
  background: #eef0f4; padding: 0.08em 0.3em; border-radius: 4px; }
img { max-width: 100%; height: auto; }
pre { background: #f3f4f7; padding: 0.5em 0.7em; border-radius: 6px; overflow-x: auto; font-size: 0.85em;
  line-height: 1.45; white-space: pre; }
pre code { background: none; padding: 0; font-size: 1em; }
kbd { font-family: inherit; font-size: 0.85em; border: 1px solid #c9ccd3; border-bottom-width: 2px;
  border-radius: 4px; padding: 0 0.3em; }
mark { background: #fff1a8; color: inherit; padding: 0 0.1em; }
.missing-image, .image-link { color: #8a909c; font-size: 0.8em; border: 1px dashed #c9ccd3; border-radius: 4px;
  padding: 0 0.35em; }
.definition .more { font-size: 0.92em; }
.definition .also { color: #8a909c; font-size: 0.72em; margin-top: 0.8em; }
mjx-container { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
hr#answer { border: none; border-top: 1px solid #d9dce2; margin: 1em 0; }
.nightMode .card, .night_mode .card, .card.nightMode, .card.night_mode { color: #e8e8ea; background: #1e1f22; }
.nightMode .aliases, .night_mode .aliases { color: #a9afba; }
.nightMode code, .night_mode code { background: #2d2f34; }
.nightMode a, .night_mode a { color: #8fb1e3; }
.nightMode .definition [style*="background"], .night_mode .definition [style*="background"] { color: #1d1d1f; }
.nightMode .missing-image, .night_mode .missing-image, .nightMode .image-link, .night_mode .image-link {
  border-color: #4a4d55; }
.nightMode hr#answer, .night_mode hr#answer { border-top-color: #3a3d44; }
.nightMode pre, .night_mode pre { background: #2d2f34; }
.nightMode mark, .night_mode mark { background: #6b5a12; }
.nightMode kbd, .night_mode kbd { border-color: #4a4d55; }
@media (max-width: 480px) { .card { font-size: 17px; padding: 0.4em 0.6em; } .term { font-size: 1.35em; } }
"""

MODEL = genanki.Model(
    MODEL_ID, MODEL_NAME,
    fields=[{"name": f} for f in FIELDS],
    templates=[
        {"name": "Term → Definition", "qfmt": FRONT_TEMPLATE, "afmt": BACK_TEMPLATE},
        {"name": "Definition → Term", "qfmt": REVERSE_FRONT, "afmt": REVERSE_BACK},
    ],
    css=CSS,
    sort_field_index=0,
)


_SPACE = re.compile(r"\s")


class _Deck(genanki.Deck):
    """A genanki deck whose notes are plain rows, written with two bulk inserts.

    The rows, their order and their ids are the ones genanki's own per-note writing gives
    (a note's id, then its cards' ids, from the same id generator; which cards a note gets
    from the model's required fields, as genanki decides it), with each note's own
    modification time. Only the 27,000 Note objects and statements of a big vault are saved."""

    def __init__(self, deck_id: int, name: str):
        super().__init__(deck_id, name)
        self.rows: list[tuple[list[str], list[str], str, int]] = []  # (fields, tags, guid, mod)

    def add_row(self, fields: list[str], tags: list[str], guid: str, mod: int) -> None:
        if len(fields) != len(MODEL.fields):
            raise ValueError(f"{len(fields)} fields for a note type with {len(MODEL.fields)}")
        if any(not t or _SPACE.search(t) for t in tags):  # as genanki checks: spaces separate tags
            raise ValueError(f"an Anki tag cannot be empty or contain spaces: {tags!r}")
        self.rows.append((fields, tags, guid, int(mod)))

    def write_to_db(self, cursor, timestamp, id_gen):
        self.add_model(MODEL)
        super().write_to_db(cursor, timestamp, id_gen)  # the deck and model JSON (self.notes is empty)
        required = [(ord_, any if how == "any" else all, ords) for ord_, how, ords in MODEL._req]
        note_rows, card_rows = [], []
        for fields, tags, guid, mod in self.rows:
            nid = next(id_gen)
            note_rows.append((nid, guid, MODEL.model_id, mod, -1, " " + " ".join(tags) + " ", "\x1f".join(fields),
                              fields[MODEL.sort_field_index], 0, 0, ""))
            for ord_, test, needed in required:
                if test(fields[i] for i in needed):
                    card_rows.append((next(id_gen), nid, self.deck_id, ord_, mod, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      ""))
        cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);", note_rows)
        cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?);", card_rows)


_SCHEMA_TABLES = "\n".join(ln for ln in APKG_SCHEMA.splitlines() if not ln.startswith("CREATE INDEX"))
_SCHEMA_INDEXES = "\n".join(ln for ln in APKG_SCHEMA.splitlines() if ln.startswith("CREATE INDEX"))


PATCH = True  # carry unchanged notes over from the previous package (off: always write afresh)
_IN_MEMORY_NOTES = 50_000  # up to this many notes (about 70 MB of collection) the package is built in memory


def write_package(package: genanki.Package, path: str, timestamp: int, token: str = "",
                  base: "Previous | None" = None) -> None:
    """What `genanki.Package.write_to_file` writes, with the indexes made last and, for all
    but huge decks, the collection built in memory; `token` goes in the zip's comment.

    The collection is the same schema and rows as genanki's (its tables, its `col` row, each
    deck's rows from the same id generator). Handing SQLite's in-memory image to the zip saves
    writing a 30 MB temporary file and reading it back; an index built once over the rows is
    cheaper than one kept up to date row by row.

    With `base` (the previous package's collection, see `Previous`), the notes it names as
    dropped go, with their cards; the rest stay as they are, the decks' rows are added under
    ids above every id in it, and the `col` row (decks, note type) is made afresh."""
    in_memory = base is not None or \
        sum(len(getattr(d, "rows", ())) + len(d.notes) for d in package.decks) <= _IN_MEMORY_NOTES
    tmp = None
    if not in_memory:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix("collection"), suffix=".anki2")
        os.close(fd)
    try:
        db = base.db if base is not None else sqlite3.connect(":memory:" if in_memory else tmp)
        try:
            cursor = db.cursor()
            if base is None:
                cursor.executescript(_SCHEMA_TABLES)
                start = int(timestamp * 1000)
            else:
                base.drop_notes(cursor)
                cursor.execute("DELETE FROM col")
                top = cursor.execute("SELECT max(m) FROM (SELECT max(id) AS m FROM notes UNION ALL "
                                     "SELECT max(id) FROM cards)").fetchone()[0]
                start = max(int(timestamp * 1000), (top or 0) + 1)
            cursor.executescript(APKG_COL)
            id_gen = itertools.count(start)
            for deck in package.decks:
                deck.write_to_db(cursor, timestamp, id_gen)
            if base is None:
                cursor.executescript(_SCHEMA_INDEXES)
            db.commit()
            image = db.serialize() if in_memory else None
        finally:
            db.close()
        with zipfile.ZipFile(path, "w") as out:
            out.comment = token.encode("utf-8")
            if image is not None:
                out.writestr("collection.anki2", image)
                del image
            else:
                out.write(tmp, "collection.anki2")
            media = dict(enumerate(package.media_files))
            out.writestr("media", json.dumps({idx: os.path.basename(p) for idx, p in media.items()}))
            for idx, p in media.items():
                out.write(p, str(idx))
    finally:
        if tmp is not None:
            os.unlink(tmp)


class Previous:
    """The collection of the last package written to a target, to carry its unchanged notes over.

    Taken only when everything vouches for it: the manifest names the same tool and export
    options, the package's zip comment is the token the manifest recorded when both were
    written (so a package whose manifest did not get written is never trusted), and its notes
    are exactly the manifest's, all of our note type. Anything else: None, and a full write."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.drop: list[str] = []  # GUIDs of notes to take out (changed or gone)

    @classmethod
    def open(cls, target: Path, old: dict, tool: str) -> "Previous | None":
        notes = old["notes"]
        if old.get("tool") != tool or not old.get("token") or not notes or len(notes) > _IN_MEMORY_NOTES:
            return None
        db = None
        try:
            with zipfile.ZipFile(target) as z:
                if z.comment != str(old["token"]).encode("utf-8"):
                    return None
                image = z.read("collection.anki2")
            db = sqlite3.connect(":memory:")
            db.deserialize(image)
            del image
            rows = db.execute("SELECT guid, mid FROM notes").fetchall()
            if len(rows) == len(notes) and {g for g, _ in rows} == notes.keys() and \
                    all(mid == MODEL_ID for _, mid in rows):
                return cls(db)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, sqlite3.Error, RuntimeError):
            pass
        if db is not None:
            db.close()
        return None

    def drop_notes(self, cursor) -> None:
        """Take out the notes in `drop` and their cards (one pass over each table; old text is zeroed)."""
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("CREATE TEMP TABLE dropped (guid TEXT PRIMARY KEY)")
        cursor.executemany("INSERT OR IGNORE INTO dropped VALUES (?)", [(g,) for g in self.drop])
        cursor.execute("DELETE FROM cards WHERE nid IN (SELECT id FROM notes WHERE guid IN (SELECT guid FROM dropped))")
        cursor.execute("DELETE FROM notes WHERE guid IN (SELECT guid FROM dropped)")
        cursor.execute("DROP TABLE dropped")

    def close(self) -> None:
        self.db.close()


# -- media ------------------------------------------------------------------------------

# What may be packed: images, audio and video, by extension and by content (their magic bytes, as
# `filetype` reads them). Nothing else in the notes folder (`.env`, a `.git/config`, a text file
# named `x.png`) ever goes into a package.
_KIND_OF_EXT = {ext: kind for kind, exts in MEDIA_EXTENSIONS.items() for ext in exts}


def media_problem(path: str, head: bytes) -> str | None:
    """Why the file at `path`, starting with `head`, may not be packed (None: it may)."""
    ext = os.path.splitext(path)[1].lower()
    kind = _KIND_OF_EXT.get(ext)
    if kind is None:
        return "not an image, audio or video file"
    if ext == ".svg":  # text: an XML document whose root is <svg>
        text = head[:4096].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
        ok = text.startswith(("<svg", "<?xml", "<!--", "<!DOCTYPE svg")) and "<svg" in text
    else:
        mime = filetype.guess_mime(head[:8192]) or ""
        ok = mime.split("/")[0] == kind or (kind == "audio" and mime in ("video/mp4", "video/webm", "video/ogg"))
    return None if ok else f"its content is not what its name says ({ext})"

class Media:
    """Resolves image references to files inside the allowed roots and packs them under content hashes."""

    def __init__(self, roots: list[Path], staging: Path):
        self.roots = [r.resolve() for r in roots]
        self._root_strs = [str(r) for r in self.roots]
        self.staging = staging
        self.packed: dict[str, Path] = {}  # packed name → staged file
        self.warnings: list[Warning_] = []
        self.sources: set[str] = set()  # image files read, so a re-export can tell whether they changed
        self._resolved: dict[tuple[str, str], str | None] = {}  # (note folder, reference) → packed name
        self._outside: dict[tuple[str, str], bool] = {}
        self._by_name: dict[str, list[str]] | None = None
        self._lines: dict[str, list[str]] = {}  # a note's lines, read once for all its warnings
        self._refused: dict[tuple[str, str], str] = {}  # (note folder, reference) → why it was not packed
        self._warned: set[tuple[str, str, int]] = set()  # each warning once

    def _inside(self, s: str) -> bool:
        return any(s == r or s.startswith(r.rstrip(os.sep) + os.sep) for r in self._root_strs)

    def _index(self) -> dict[str, list[str]]:
        if self._by_name is None:
            self._by_name = {}
            for r in self.roots:
                for dirpath, dirnames, filenames in os.walk(r):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for f in sorted(f for f in filenames if not f.startswith(".")):
                        self._by_name.setdefault(unicodedata.normalize("NFC", f), []).append(
                            os.path.join(dirpath, f))
        return self._by_name

    def resolver(self, note_path: str, line: int) -> ImageResolver:
        folder = os.path.dirname(note_path)

        def resolve(ref: str) -> str | None:
            key = (folder, ref)
            if key in self._resolved:
                found = self._resolved[key]
                if found is None:
                    self._warn(note_path, ref, line, self._outside.get(key, False), self._refused.get(key))
                return found
            found = find(ref)
            self._resolved[key] = found
            return found

        def find(ref: str) -> str | None:
            raw = ref.strip().strip("<>")
            if re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.I) and not raw.lower().startswith("file:"):
                return None  # remote or other schemes: shown as alt text, never fetched
            name = unquote(raw.split("|")[0].split("#")[0]).strip()
            if name.lower().startswith("file://"):
                name = name[7:]
            cands = [os.path.join(folder, name)] + [os.path.join(r, name.lstrip("/")) for r in self._root_strs]
            if "/" not in name and "\\" not in name:
                cands += self._index().get(unicodedata.normalize("NFC", name), [])
            outside = False
            refused = None
            for c in cands:
                real = _realpath(c)
                try:
                    st = os.stat(real)
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        continue  # a symlink loop: no file (pathlib's resolve() raises here)
                    st = None
                if not self._inside(real):
                    outside = outside or st is not None  # a file is there, outside: say so
                    continue
                if st is not None and stat.S_ISREG(st.st_mode):
                    refused = self._hidden(real)
                    if refused is None:
                        packed, refused = self._pack(Path(real))
                        if packed:
                            return packed
            is_outside = outside and not any(os.path.exists(c) and self._inside(_realpath(c)) for c in cands)
            self._outside[(folder, ref)] = is_outside
            if refused:
                self._refused[(folder, ref)] = refused
            self._warn(note_path, ref, line, is_outside, refused)
            return None

        return resolve

    def _hidden(self, real: str) -> str | None:
        """Why a file inside the roots may not be packed for where it is: in a hidden file or folder."""
        for r in self._root_strs:
            if real.startswith(r.rstrip(os.sep) + os.sep):
                if any(part.startswith(".") for part in real[len(r.rstrip(os.sep)) + 1:].split(os.sep)):
                    return "it is a hidden file or in a hidden folder"
                return None
        return None

    def _warn(self, note_path: str, ref: str, line: int, outside: bool, refused: str | None = None) -> None:
        lines = self._lines.get(note_path)
        if lines is None:
            lines = self._lines[note_path] = _lines_of(note_path)
        start = max(line, 1)
        at = next((n for n, text in enumerate(lines[start - 1:], start) if ref in text), line)
        if (note_path, ref, at) in self._warned:
            return
        self._warned.add((note_path, ref, at))
        if refused:
            self.warnings.append(Warning_(note_path, f"image {ref!r} not packed: {refused}", at, kind="media"))
        elif outside:
            self.warnings.append(Warning_(note_path, f"image {ref!r} is outside the notes folder; not packed", at,
                                          kind="media"))
        else:
            self.warnings.append(Warning_(note_path, f"image {ref!r} not found; the card shows its name", at,
                                          kind="media"))

    def _pack(self, path: Path) -> tuple[str | None, str | None]:
        """The packed name of a media file, or (None, why not)."""
        try:
            data, _st = read_capped(str(path), MAX_MEDIA_BYTES)
        except OSError as exc:
            return None, f"cannot read it ({exc.strerror or exc})"
        if len(data) > MAX_MEDIA_BYTES:
            return None, f"larger than {MAX_MEDIA_BYTES >> 20} MB"
        problem = media_problem(str(path), data)
        if problem:
            return None, problem
        self.sources.add(str(path))
        name = f"cards-{hashlib.sha256(data).hexdigest()[:16]}{path.suffix.lower()[:8]}"
        if name not in self.packed:
            target = self.staging / name
            target.write_bytes(data)
            self.packed[name] = target
        return name, None


def _lines_of(note_path: str) -> list[str]:
    """A note's lines, for finding where a warning points (none if it cannot be read now)."""
    try:
        with open(note_path, encoding="utf-8", errors="replace") as fh:
            return fh.readlines()
    except OSError:
        return []


# -- fields -----------------------------------------------------------------------------

def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@lru_cache(maxsize=4096)
def _vault_of_dir(folder: str) -> Path | None:
    """The Obsidian vault (a folder with .obsidian) that holds `folder`, if any."""
    p = Path(folder)
    for parent in [p, *p.parents][:12]:
        if (parent / ".obsidian").is_dir():
            return parent
    return None


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str | None:
    """The folder's real path, if every part of it resolves (no missing part, no link loop)."""
    try:
        real = os.path.realpath(folder, strict=True)
    except (OSError, RuntimeError):
        return None
    return real if os.path.isdir(real) else None


def _realpath(path: str) -> str:
    """`os.path.realpath(path)`, resolving the folder once per folder: only the last part is looked at again."""
    folder, name = os.path.split(path)
    real = _real_folder(folder) if folder and name not in ("", ".", "..") else None
    if real is None:
        return os.path.realpath(path)
    joined = os.path.join(real, name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


def _real(path: str) -> str:
    """A note's real path (`_realpath` of its absolute path: most notes are not links themselves)."""
    return _realpath(os.path.abspath(path))


@lru_cache(maxsize=16384)
def _vault_of_note(note_path: str) -> tuple[str, Path | None]:
    """The note's real path, and the Obsidian vault that holds it (what its Link is made from)."""
    real = _real(note_path)
    return real, _vault_of_dir(os.path.dirname(real))


class Links:
    """The Link field: a link to every note a card came from, where a link can work anywhere the
    deck is studied — `obsidian://` for a note inside an Obsidian vault, `link_base` + the note's
    path for notes published as a repository or blog (`https://github.com/me/notes/blob/main/`).
    No `file://` links: they open nothing on a phone or another computer."""

    def __init__(self, notes=(), link_base: str = ""):
        self.base = link_base
        self.rel = {n.path: n.rel for n in notes}
        self.title = {n.path: n.title for n in notes}

    def href(self, path: str) -> str | None:
        real, vault = _vault_of_note(path)
        if vault is not None:
            rel = Path(real).relative_to(vault).with_suffix("").as_posix()
            return (f"obsidian://open?vault={quote(vault.name, safe='', errors='surrogateescape')}"
                    f"&file={quote(rel, safe='', errors='surrogateescape')}")  # a name's raw bytes, as the OS has them
        if self.base and path in self.rel:
            return self.base + quote(self.rel[path].replace(os.sep, "/"), errors="surrogateescape")
        return None

    def html(self, paths: list[str]) -> str:
        """One link per note, labelled by where it opens (the back names the notes already):
        `Open in Obsidian`, or with several, `Obsidian: file` for each."""
        found = [(path, href) for path, href in ((p, self.href(p)) for p in paths) if href is not None]
        out = []
        for path, href in found:
            where = "Obsidian" if href.startswith("obsidian:") else (urlsplit(href).hostname or "the web")
            label = f"Open in {where}" if len(found) == 1 else \
                f"{where}: {display(os.path.splitext(os.path.basename(path))[0])}"
            out.append(f'<a href="{_esc(href)}">{_esc(label)}</a>')
        return " · ".join(out)

    @property
    def key(self) -> str:
        """What, besides the note paths, the links depend on (for the manifest's record of a row)."""
        return self.base


BACK_BUDGET = 900  # characters of note text a merged card's back shows in full before it turns compact


def _score(e: tuple) -> tuple[int, int]:
    """How well an explanation leads a card (lower first): an explicit `Term : definition` form over
    a region of lines, a readable length over a bare word or a wall of text."""
    n = len(e[EXPL_TEXT])
    block = e[EXPL_RULE][:1] == "B"
    return (int(block) + int(n < 8) + int(n > 600), 0)


def _where(e: tuple, term_keys: set[str]) -> list[str]:
    """An explanation's heading path without what the card already says: a first heading that is the
    note's title, a last one that is the term itself."""
    ctx = list(e[EXPL_CONTEXT])
    if ctx and e[EXPL_NOTE_TITLE] and term_key(ctx[0]) == term_key(e[EXPL_NOTE_TITLE]):
        ctx = ctx[1:]
    while ctx and term_key(ctx[-1]) in term_keys:
        ctx = ctx[:-1]
    return ctx


def _fit(text: str, room: int) -> str:
    """The first lines of an explanation that fit in `room` characters, never cutting a code block or
    a display formula in two ("" if not even the first line fits)."""
    lines = text.split("\n")
    k, used = 0, 0
    while k < len(lines) and used + len(lines[k]) <= room:
        used += len(lines[k]) + 1
        k += 1
    while k and (sum(1 for ln in lines[:k] if ln.strip().startswith(("```", "~~~"))) % 2
                 or "\n".join(lines[:k]).count("$$") % 2):
        k -= 1
    return "\n".join(lines[:k])


def note_fields(card: Card, images: ImageResolver | None = None, reverse: bool = False,
                media: Media | None = None, links: Links | None = None) -> dict[str, str]:
    """The note's fields as HTML. One renderer: the preview calls this too."""
    term, aliases, explanations = pack_card(card)
    return packed_fields(term, aliases, explanations, images, reverse, media, links)


def packed_fields(term: str, aliases: list[str], expl: list[tuple], images: ImageResolver | None = None,
                  reverse: bool = False, media: Media | None = None, links: Links | None = None) -> dict[str, str]:
    """`note_fields` of a card in the form the pipeline keeps: its term, aliases and explanation tuples.

    A merged card leads with its best explanation (`_score`) and keeps the others compact: each
    says where it is from, those past `BACK_BUDGET` show their first lines, and the rest only
    where they are. The front never shows an alias that is a whole explanation (the answer)."""
    keys = {term_key(term)}
    names = []
    for a in aliases:
        for name in a.split(","):
            k = term_key(name)
            if k and k not in keys:
                keys.add(k)
                names.append(name.strip())
    answers = {term_key(e[EXPL_TEXT]) for e in expl} if names else set()
    order = sorted(range(len(expl)), key=lambda i: (_score(expl[i]), i))
    multi = len(expl) > 1
    parts, also = [], []
    room = BACK_BUDGET
    for n, i in enumerate(order):
        e = expl[i]
        text, path, line = e[EXPL_TEXT], e[EXPL_PATH], e[EXPL_LINE]
        title, where = e[EXPL_NOTE_TITLE], _where(e, keys)
        origin = " › ".join(plain(w) for w in ([title] if title else []) + where)
        if n and room <= 0:
            also.append(origin or plain(os.path.basename(path)))
            continue
        shown = text if n == 0 or len(text) <= room else _fit(text, room)
        if not shown:
            also.append(origin or plain(os.path.basename(path)))
            room = 0
            continue
        room -= len(shown)
        res = (media.resolver(path, line) if has_images(shown) else None) if media is not None else images
        body = definition_html(shown, res)
        if shown != text:
            body += '<div class="more">…</div>'
        if multi and origin:
            body += f'<div class="from">{origin}</div>'
        parts.append(body if n == 0 else f'<div class="more">{body}</div>')
    definition = '<hr class="sep">'.join(parts)
    if also:
        definition += f'<div class="also">Also in: {"; ".join(also)}</div>'
    first = expl[order[0]]
    if multi:  # where each explanation is from is said beside it: the source line only points at the files
        sources = [", ".join(_esc(f"{display(os.path.basename(e[EXPL_PATH]))}:{e[EXPL_LINE]}")
                             for e in (expl[i] for i in order))]
        contexts = [_where(e, keys) for e in expl]
        shared = contexts[0]
        for c in contexts[1:]:
            k = 0
            while k < min(len(shared), len(c)) and term_key(shared[k]) == term_key(c[k]):
                k += 1
            shared = shared[:k]
        context = shared
    else:
        context = _where(first, keys)
        bits = [plain(b) for b in (first[EXPL_NOTE_TITLE], first[EXPL_NOTE_DATE], " › ".join(context)) if b]
        sources = [" · ".join(bits + [_esc(f"{display(os.path.basename(first[EXPL_PATH]))}:{first[EXPL_LINE]}")])]
    paths = list(dict.fromkeys(e[EXPL_PATH] for e in expl))
    return {
        "Term": term_html(term),
        "Definition": definition,
        "Aliases": ", ".join(plain(a) for a in names if term_key(a) not in answers),
        "Context": " › ".join(plain(c) for c in context),
        "Source": "<br>".join(sources),
        "Link": (links or Links()).html(paths),
        "Reverse": "y" if reverse else "",
    }


# -- files ------------------------------------------------------------------------------

_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


MAX_NAME_BYTES = 200  # file names are 255 bytes at most; the manifest's name and the temporary files add 28


def _cut(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, on a character boundary."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore").rstrip(". ")


def safe_filename(name: str) -> str:
    """A file name for a deck that works on Windows, macOS and Linux, keeping Korean readable.

    `::` becomes ` - `. When anything else had to change (characters no file system takes,
    trailing dots or spaces, a reserved name, a name too long: cut at MAX_NAME_BYTES bytes of
    UTF-8, not characters), a short digest of the deck's name is added, so two decks never share
    a file (`A/B` and `A_B`, `..` and `.`)."""
    natural = unicodedata.normalize("NFC", name).replace("::", " - ")
    n = _BAD_CHARS.sub("_", natural).strip().rstrip(". ")
    if not n or n.split(".")[0].upper() in _RESERVED:
        n = f"_{n}"
    if n == natural and len(n.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES:
        return n
    tag = hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{_cut(n, MAX_NAME_BYTES - 10)} ~{tag}"


def deck_files(decks: list[str], out_dir: Path) -> dict[str, Path]:
    """The package file of each deck (`--split`). Raises OutputError when two decks would share one
    (names equal but for case, or `A::B` beside a deck named `A - B`)."""
    files: dict[str, Path] = {}
    owner: dict[str, str] = {}
    for deck in decks:
        path = out_dir / f"{safe_filename(deck)}.apkg"
        key = path.name.casefold()  # macOS and Windows do not tell case apart
        if key in owner and owner[key] != deck:
            raise OutputError(path, f"the decks {owner[key]!r} and {deck!r} would share this file; give one "
                                    "of them another name (`deck:` in its rule file)", kind="names")
        owner[key] = deck
        files[deck] = path
    return files




_REASONS = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.EISDIR: "it is a folder", errno.ENOTDIR: "a part of it is not a folder",
            errno.ENAMETOOLONG: "file name too long", errno.EEXIST: "a file is in the way",
            getattr(errno, "EDQUOT", -1): "disk quota exceeded"}


class OutputError(Exception):
    """An output that cannot be written. str() is one line: `cannot write PATH: REASON`."""

    def __init__(self, path: Path, reason: str, kind: str = "io"):
        self.path, self.reason, self.kind = path, reason, kind
        super().__init__(f"cannot write {display(str(path))}: {reason}")

    @classmethod
    def of(cls, path: Path, exc: OSError) -> "OutputError":
        return cls(path, _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower())


def _atomic_write(target: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written target.
    An OSError becomes an OutputError naming the target (the target is then as it was)."""
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; the result should look like any file written here
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise OutputError.of(target, exc) from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


_STALE_TMP = re.compile(r"^\..+\.(?:apkg|manifest\.json)\.[A-Za-z0-9_]{8}\.tmp$")


class OutputLock:
    """One export at a time into a folder (an flock on the folder itself, so no lock file is left
    there): two exports to one file could otherwise leave one's package beside the other's manifest.
    Held, it also makes every temporary file of ours in the folder a leftover of a run that was
    killed: they are removed."""

    def __init__(self, folder: Path, notice=None):
        self.folder, self.notice, self.fd = folder, notice, None

    def __enter__(self) -> "OutputLock":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError.of(self.folder, exc) from exc
        try:
            self.fd = os.open(self.folder, os.O_RDONLY)
        except OSError:  # a platform that cannot open folders: no lock
            return self
        try:
            import fcntl
        except ImportError:  # Windows: no lock
            return self
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.notice:
                self.notice(f"waiting for another export to {display(str(self.folder))} to finish…")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks: go on as before
        self._clean()
        return self

    def _clean(self) -> None:
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if _STALE_TMP.match(name):
                try:
                    os.unlink(self.folder / name)
                except OSError:
                    pass

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


class _ManifestNote(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]
    term: str
    deck: str
    hash: str
    mod: int
    basis: NotRequired[str]
    images: NotRequired[bool]


class _ManifestFile(TypedDict):
    """What `_write_one` writes beside a package; read back, anything else is not trusted. (Typed dicts:
    pydantic checks them without making an object per note, and gives back what was written.)"""
    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]
    version: int
    notes: dict[str, _ManifestNote]
    exported: NotRequired[int]
    inputs: NotRequired[str | None]
    tool: NotRequired[str]
    token: NotRequired[str]
    size: NotRequired[int]
    media: NotRequired[list[tuple[str, int, int]]]
    namespace: NotRequired[str]
    legacy_guids: NotRequired[bool]


_MANIFEST = TypeAdapter(_ManifestFile)


def _empty_manifest() -> dict:
    return {"version": MANIFEST_VERSION, "notes": {}}


def _load_manifest(path: Path, target: Path, warnings: list[Warning_]) -> dict:
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
            data["media"] = [list(m) for m in data.get("media", [])]  # as _media_state makes them, to compare
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
                                      "hash": _digest(fields, tags.split(), deck)}
        finally:
            db.close()
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, sqlite3.Error):
        return _empty_manifest()
    return out


def anki_search(terms: list[str]) -> str:
    """An Anki browser search that finds the notes with these terms (note type and Term field)."""
    def one(t: str) -> str:
        t = re.sub(r'([\\"*_:])', r"\\\1", t)
        return f'"Term:{t}"'
    return f'"note:{MODEL_NAME}" (' + " OR ".join(one(t) for t in terms) + ")"


@dataclass
class Report:
    paths: list[Path] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    decks: dict[str, int] = field(default_factory=dict)
    media: int = 0
    first_export: bool = True
    skipped: list[Path] = field(default_factory=list)  # packages already holding exactly these cards

    def summary_lines(self, res) -> list[str]:
        lines = [f"Read {res.notes_read} note{'s' if res.notes_read != 1 else ''}: {res.n_cards} cards in "
                 f"{len(self.decks)} deck{'s' if len(self.decks) != 1 else ''} ({res.merged} duplicates merged, "
                 f"{res.n_rejections} candidates rejected, {len(res.warnings)} warnings)"]
        width = max((len(d) for d in self.decks), default=0)
        for deck, n in sorted(self.decks.items()):
            lines.append(f"  {deck.ljust(width)}  {n:5d}")
        lines += [f"Unchanged: {p} already holds exactly these cards (nothing written)" for p in self.skipped]
        written = [p for p in self.paths if p not in self.skipped]
        if not written:
            return lines
        for p in written:
            lines.append(f"Wrote {p}" + (f" ({self.media} images)" if self.media else ""))
        if self.first_export:
            lines.append("First export to this file: every card is new to the manifest.")
        else:
            lines.append(f"Since the last export: {len(self.added)} added, {len(self.changed)} changed, "
                         f"{len(self.removed)} no longer in the notes")
            for label, items in (("added", self.added), ("changed", self.changed)):
                if items:
                    shown = ", ".join(items[:8]) + (f", … (+{len(items) - 8})" if len(items) > 8 else "")
                    lines.append(f"  {label}: {shown}")
            if self.removed:
                lines.append("  no longer in the notes (Anki keeps them; import never deletes). Find them in the "
                             "Anki browser with:")
                lines.append("    " + anki_search(self.removed[:50]))
        for term, old, new in self.moved[:10]:
            lines.append(f"  note: '{term}' now belongs to {new}, but Anki keeps existing cards in {old} — "
                         "move it in the browser (Change Deck) if you want it there")
        return lines


def _digest(fields: list[str], tags: list[str], deck: str) -> str:
    """Each field (in FIELDS order), then the tags and the deck, separated by \x1f (one string, encoded once)."""
    text = "\x1f".join([*fields, " ".join(tags), deck])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _basis(group: tuple, links: Links) -> str:
    """What a card's row is made from besides the tool and the options: its content, Link, tags and deck."""
    card = group[GROUP_CARD]
    text = "\x1f".join([group[GROUP_IDENT], links.html(source_paths(card)), " ".join(card[CARD_TAGS]), card[CARD_DECK]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _media_state(sources: list[str]) -> list[list]:
    out = []
    for src in sources:
        try:
            st = os.stat(src)
            out.append([src, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([src, -1, -1])
    return out


def _token_of(target: Path) -> str | None:
    """The token written in a package's zip comment with its manifest (None if unreadable)."""
    try:
        with zipfile.ZipFile(target) as z:
            return z.comment.decode("utf-8")
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return None


def _unchanged(old: dict, inputs: str | None, target: Path, report: Report, groups: list[tuple]) -> bool:
    """True when the previous export was made from exactly these inputs and its files are intact."""
    if not inputs or old.get("inputs") != inputs or not target.is_file():
        return False
    if target.stat().st_size != old.get("size") or _media_state([m[0] for m in old.get("media", [])]) != \
            old.get("media", []) or _token_of(target) != old.get("token"):
        return False
    report.skipped.append(target)
    for g in groups:
        deck = g[GROUP_CARD][CARD_DECK]
        report.decks[deck] = report.decks.get(deck, 0) + 1
    report.paths.append(target)
    return True


class FieldsCache:
    """Rendered fields of cards without images, by card content (`ident`), kept between exports.

    Everything but the Link field is a function of the card alone; Link depends on the
    folders around the note (an Obsidian vault or not), so it is always made afresh.
    Cards with images are rendered every time: their fields depend on the image files.
    Each entry also keeps the card's manifest digest with the Link, tags and deck it was
    taken over, reused while those three are the same: an entry is
    (the fields but Link, in FIELDS order; Link; tags; deck; digest)."""

    def __init__(self, res, reverse: bool, links: Links):
        self.res, self.reverse, self.links = res, reverse, links
        self.cache = getattr(res, "cache", None)
        self.prefix = f"f:{build_id()}:{MODEL_ID}:{int(reverse)}:"

    def all_fields(self, groups: list[tuple], media: Media) -> tuple[list[list[str]], list[str], list[bool]]:
        """Each group's fields (in FIELDS order), its digest (`_digest`), and whether it shows images."""
        got = self.cache.get_objects([self.prefix + g[GROUP_IDENT] for g in groups]) if self.cache is not None else {}
        out: list[list[str]] = [[]] * len(groups)
        digests: list[str] = [""] * len(groups)
        images = [False] * len(groups)
        missed: list[int] = []
        new: list[tuple[str, bytes]] = []
        for i, g in enumerate(groups):
            hit = got.get(self.prefix + g[GROUP_IDENT])
            if not (isinstance(hit, tuple) and len(hit) == 5 and isinstance(hit[0], tuple)
                    and len(hit[0]) == len(FIELDS) - 1):
                missed.append(i)
                continue
            but_link, cached_link, cached_tags, cached_deck, digest = hit
            card = g[GROUP_CARD]
            link, tags, deck = self.links.html(source_paths(card)), " ".join(card[CARD_TAGS]), card[CARD_DECK]
            fields = out[i] = [*but_link[:_LINK], link, *but_link[_LINK:]]
            if (cached_link, cached_tags, cached_deck) == (link, tags, deck):
                digests[i] = digest
            else:
                digests[i] = _digest(fields, card[CARD_TAGS], deck)
                new.append(self._entry(g, fields, tags, deck, digests[i]))
        full = self.res.full_cards([groups[i] for i in missed])
        for i, card in zip(missed, full):
            g = groups[i]
            as_dict = packed_fields(card[CARD_TERM], card[CARD_ALIASES], card[CARD_BODY], reverse=self.reverse,
                                    media=media, links=self.links)
            fields = out[i] = [as_dict[f] for f in FIELDS]
            digests[i] = _digest(fields, card[CARD_TAGS], card[CARD_DECK])
            images[i] = any(has_images(e[EXPL_TEXT]) for e in card[CARD_BODY])
            if not images[i]:
                new.append(self._entry(g, fields, " ".join(card[CARD_TAGS]), card[CARD_DECK], digests[i]))
        if self.cache is not None:
            self.cache.put_many("fields", new)  # lands in the background while the package is written
        return out, digests, images

    def _entry(self, g: tuple, fields: list[str], tags: str, deck: str, digest: str) -> tuple[str, bytes]:
        value = ((*fields[:_LINK], *fields[_LINK + 1:]), fields[_LINK], tags, deck, digest)
        return self.prefix + g[GROUP_IDENT], pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_LINK = FIELDS.index("Link")


def _guids(groups: list[tuple], old: dict) -> list[str]:
    """Each card's note GUID in this package: the one the pipeline made (its root's namespace), except
    for notes a package of cards 0.1 gave a GUID shared by every root (`legacy_guid`): those the
    manifest lists keep it, so Anki goes on updating them in place, with their review history.

    A manifest with no `namespace` was written by 0.1; one with `legacy_guids` still holds such notes."""
    notes = old["notes"]
    if not notes or ("namespace" in old and not old.get("legacy_guids")):
        return [g[GROUP_CARD][CARD_GUID] for g in groups]
    out = []
    for g in groups:
        card = g[GROUP_CARD]
        legacy = legacy_guid(term_key(card[CARD_TERM]))
        out.append(legacy if legacy in notes else card[CARD_GUID])
    return out


def _write_one(groups: list[tuple], target: Path, reverse: bool, media_roots: list[Path], report: Report,
               now: int, inputs: str | None, fields_cache: FieldsCache, namespace: str) -> None:
    """Write one package and its manifest.

    When the previous package can be trusted (`Previous`), a card whose content, Link, tags
    and deck are what the manifest recorded keeps its row there untouched and is not even
    rendered; cards with images are rendered again (their files may have changed) and keep
    their row if it comes out the same. The package is then the previous collection with the
    other notes replaced, which imports into Anki exactly like a package written from scratch
    (a test compares the two table by table)."""
    manifest_path = target.with_name(target.stem + ".manifest.json")
    old = _load_manifest(manifest_path, target, report.warnings)
    if _unchanged(old, inputs, target, report, groups):
        return
    report.first_export = report.first_export and not old["notes"]
    tool = fields_cache.prefix
    base = Previous.open(target, old, tool) if PATCH else None
    try:
        bases = [_basis(g, fields_cache.links) for g in groups]
        guids = _guids(groups, old)
        prevs = [old["notes"].get(guid) for guid in guids]
        if base is None:
            todo = list(range(len(groups)))
        else:
            todo = [i for i, (prev, b) in enumerate(zip(prevs, bases))
                    if not prev or prev.get("basis") != b or prev.get("images")]
        with tempfile.TemporaryDirectory(prefix=temp_prefix("media")) as staging:
            media = Media(media_roots, Path(staging))
            rendered = dict(zip(todo, zip(*fields_cache.all_fields([groups[i] for i in todo], media))))
            decks: dict[str, genanki.Deck] = {}
            entries: dict[str, dict] = {}
            kept: set[str] = set()  # notes whose row in the previous package stays as it is
            for i, g in enumerate(groups):
                card = g[GROUP_CARD]
                term, deck_name_, tags, guid = card[CARD_TERM], card[CARD_DECK], card[CARD_TAGS], guids[i]
                prev = prevs[i]
                deck = decks.get(deck_name_)
                if deck is None:
                    deck = decks[deck_name_] = _Deck(stable_id("deck:" + deck_name_), deck_name_)
                report.decks[deck_name_] = report.decks.get(deck_name_, 0) + 1
                if prev and prev.get("deck") and prev["deck"] != deck_name_:
                    report.moved.append((term, prev["deck"], deck_name_))
                if i not in rendered:  # the same basis: the same row
                    entries[guid] = prev
                    kept.add(guid)
                    continue
                fields, digest, images = rendered[i]
                if prev and prev.get("hash") == digest:
                    mod = int(prev.get("mod", now))
                    if base is not None:
                        kept.add(guid)
                else:
                    mod = max(now, int(prev.get("mod", 0)) + 1) if prev else now
                    (report.changed if prev else report.added).append(term)
                entries[guid] = {"term": term, "deck": deck_name_, "hash": digest, "mod": mod, "basis": bases[i]}
                if images:
                    entries[guid]["images"] = True
                if guid not in kept:
                    deck.add_row(fields, tags, guid, mod)
            for guid, prev in sorted(old["notes"].items()):
                if guid not in entries:
                    report.removed.append(prev.get("term", guid))
            report.warnings.extend(media.warnings)
            package = genanki.Package([decks[d] for d in sorted(decks)], media_files=sorted(str(p) for p in
                                                                                            media.packed.values()))
            report.media += len(media.packed)
            if base is not None:
                base.drop = [guid for guid in old["notes"] if guid not in kept]
            token = f"cards {now} {os.urandom(8).hex()}"
            _atomic_write(target, lambda tmp: write_package(package, tmp, now, token, base))
            media_sources = sorted(media.sources)
    finally:
        if base is not None:
            base.close()
    manifest = {"version": MANIFEST_VERSION, "exported": now, "notes": entries, "inputs": inputs, "tool": tool,
                "token": token, "size": target.stat().st_size, "media": _media_state(media_sources),
                "namespace": namespace,
                "legacy_guids": any(guid != g[GROUP_CARD][CARD_GUID] for guid, g in zip(guids, groups))}
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an image path that is not UTF-8: kept exactly, as JSON escapes
        text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    _atomic_write(manifest_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    report.paths.append(target)


def write_decks(res, out_dir: Path, root: str, split: bool = False, reverse: bool = False,
                media_roots: list[Path] | None = None, namespace: str = "", link_base: str = "",
                notice=None) -> Report:
    """Write the .apkg (one with every topic sub-deck, or one per topic with `split`) and its manifest,
    holding the output folder's lock (`notice(text)` is told when it has to wait for it).

    `namespace` is the one the cards' GUIDs were made in (`GlobalRules.guid_namespace`), recorded
    in the manifest; `link_base` makes the links of notes outside an Obsidian vault (`Links`).
    Raises OutputError when an output cannot be written; every package is then as it was."""
    with OutputLock(out_dir, notice):
        return _write_decks(res, out_dir, root, split, reverse, media_roots, namespace, link_base)


def _write_decks(res, out_dir: Path, root: str, split: bool, reverse: bool, media_roots: list[Path] | None,
                 namespace: str, link_base: str) -> Report:
    report = Report()
    groups = [g for g in res.groups if g[GROUP_CARD] is not None]
    paths = {p for g in groups for p in source_paths(g[GROUP_CARD])}
    roots = media_roots or sorted({Path(p).parent for p in paths})
    now = int(time.time())
    run_key = getattr(res, "run_key", None)
    # Link fields depend on which Obsidian vault holds each note's folder, not only on the notes
    vaults = sorted({str(_vault_of_note(p)[1]) for p in paths}) if run_key else []
    inputs = (f"{run_key}|split={split}|reverse={reverse}|root={root}|roots={[str(r) for r in roots]}"
              f"|vaults={vaults}|links={link_base}" if run_key else None)
    fields_cache = FieldsCache(res, reverse, Links(res.notes, link_base))
    if split:
        by_deck: dict[str, list[tuple]] = {}
        for g in groups:
            by_deck.setdefault(g[GROUP_CARD][CARD_DECK], []).append(g)
        files = deck_files(sorted(by_deck), out_dir)
        for deck in sorted(by_deck):
            _write_one(by_deck[deck], files[deck], reverse, roots, report, now, inputs, fields_cache, namespace)
    else:
        _write_one(groups, out_dir / f"{safe_filename(root)}.apkg", reverse, roots, report, now, inputs, fields_cache,
                   namespace)
    return report
