"""Real paths, resolving each folder once, and the Obsidian vault around a note."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


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


def real_path(path: str) -> str:
    """`os.path.realpath(path)`, resolving the folder once per folder: only the last part is looked at again."""
    folder, name = os.path.split(path)
    real = _real_folder(folder) if folder and name not in ("", ".", "..") else None
    if real is None:
        return os.path.realpath(path)
    joined = os.path.join(real, name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


def _real(path: str) -> str:
    """A note's real path (`real_path` of its absolute path: most notes are not links themselves)."""
    return real_path(os.path.abspath(path))


@lru_cache(maxsize=16384)
def vault_of_note(note_path: str) -> tuple[str, Path | None]:
    """The note's real path, and the Obsidian vault that holds it (what its Link is made from)."""
    real = _real(note_path)
    return real, _vault_of_dir(os.path.dirname(real))
