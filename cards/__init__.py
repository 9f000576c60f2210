"""cards: turn the study notes you already write into Anki decks."""
from __future__ import annotations

from functools import lru_cache

__version__ = "0.1.0"


@lru_cache(maxsize=1)
def build_id() -> str:
    """The version and a digest of the package's own files.

    Every cache key includes it, so an extractor or renderer changed without a new
    version number (an install from a git checkout, a local edit) never serves
    results cached by another build."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    here = Path(__file__).parent
    # every module, the sub-packages' too (cards/extract/), and the starter topics (they place cards)
    for p in sorted(here.rglob("*"), key=lambda p: p.relative_to(here).as_posix()):
        if p.suffix in (".py", ".css", ".html", ".js", ".yaml") and p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(here).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return f"{__version__}+{h.hexdigest()[:16]}"
