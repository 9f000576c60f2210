"""What an export tells the user: the decks written, and what changed since the last export."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..notes import Warning_
from .notetype import MODEL_NAME


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
