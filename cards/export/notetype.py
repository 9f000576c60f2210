"""The note type every card is a note of: its fields, card templates and CSS, and stable IDs.

Read ../shared/ANKI.md before changing anything here: adding or renaming a field makes Anki
fork the note type in every collection that has it, so FIELDS are frozen; the model and deck
IDs are fixed numbers derived from names, never random per run.
"""
from __future__ import annotations

import hashlib

import genanki

MODEL_NAME = "cards: term/definition"
# Frozen once released: adding or renaming a field makes Anki fork the note type in every collection.
FIELDS = ["Term", "Definition", "Aliases", "Context", "Source", "Link", "Reverse"]


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
