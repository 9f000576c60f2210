"""The .apkg writer: a deck's rows into a SQLite collection, the collection and media into a zip.

`write_package` writes what `genanki.Package.write_to_file` writes (the same schema, `col`
row and rows from the same id generator: a test compares the tables), faster: each deck's
notes and cards go in as two bulk inserts (`BulkDeck`), indexes are made after the rows, and
for all but huge decks the collection is built in memory. `Previous` opens the last package
written to a target, so a re-export can keep its unchanged notes' rows and replace the rest.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki
from genanki.package import APKG_COL, APKG_SCHEMA

from ..runner import temp_prefix
from .notetype import MODEL, MODEL_ID

_SPACE = re.compile(r"\s")


class BulkDeck(genanki.Deck):
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
