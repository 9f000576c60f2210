"""The export: finished cards → Anki packages (.apkg) that update cleanly when imported again.

    notetype.py   the note type: frozen fields, card templates, CSS, stable model and deck IDs
    fields.py     a card's fields as HTML (one renderer: the preview uses it too), the Link
                  field, and the rendered fields kept in the cache between exports
    media.py      which files an image reference may pack, and packing them by content hash
    package.py    the SQLite collection and zip writer; the previous package, to patch
    manifest.py   the manifest beside each package: what was exported, what changed
    files.py      deck file names, atomic writes, one export at a time per folder
    report.py     what the export prints
    write.py      `write_decks`: all of the above for one run
    paths.py      real paths and the Obsidian vault around a note

Read ../shared/ANKI.md for the Anki behaviour this relies on: notes match by GUID only, a
matched note is updated only when the incoming modification time is newer, existing cards
never move deck, and adding a field to a note type forks it in the user's collection.
"""
from __future__ import annotations

from .fields import BACK_BUDGET, FieldsCache, Links, note_fields, packed_fields
from .files import OutputError, OutputLock, atomic_write, deck_files, os_reason, safe_filename
from .media import Media
from .notetype import BACK_TEMPLATE, CSS, FIELDS, FRONT_TEMPLATE, MODEL, MODEL_ID, MODEL_NAME, stable_id
from .report import Report
from .write import write_decks

__all__ = ["BACK_BUDGET", "BACK_TEMPLATE", "CSS", "FIELDS", "FRONT_TEMPLATE", "MODEL", "MODEL_ID", "MODEL_NAME",
           "FieldsCache", "Links", "Media", "OutputError", "OutputLock", "Report", "atomic_write", "deck_files",
           "note_fields", "os_reason", "packed_fields", "safe_filename", "stable_id", "write_decks"]
