"""Media: which files an image reference may pack, found inside the notes' folders, packed under content hashes.

Only images, audio and video are packed, by extension and by content; hidden files and folders,
other files and paths outside the allowed roots are refused, with a warning naming the note's
line (each once).
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import filetype

from ..notes import Warning_, read_capped
from ..render import MEDIA_EXTENSIONS, ImageResolver
from .paths import real_path

MAX_MEDIA_BYTES = 100 * 1024 * 1024  # a bigger file behind an image reference is not packed

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
            if re.match(r"[a-z]:[\\/]", raw, re.I):  # `C:\Users\me\notes\a.assets\b.png`, written on Windows
                return find_windows(ref, raw)
            if re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.I) and not raw.lower().startswith("file:"):
                return None  # remote or other schemes: shown as alt text, never fetched
            name = unquote(raw.split("|")[0].split("#")[0]).strip()
            if name.lower().startswith("file://"):
                name = name[7:]
            cands = [os.path.join(folder, name)] + [os.path.join(r, name.lstrip("/")) for r in self._root_strs]
            if "/" not in name and "\\" not in name:
                cands += self._index().get(unicodedata.normalize("NFC", name), [])
            return first_packed(ref, cands)

        def find_windows(ref: str, raw: str) -> str | None:
            """A Windows absolute path names a file on the author's old machine: looked for where it would be
            beside this note (its folder and file name, then its file name), then by file name in the roots."""
            parts = [p for p in re.split(r"[\\/]", unquote(raw)) if p]
            name = parts[-1]
            cands = [os.path.join(folder, *parts[-2:]), os.path.join(folder, name)]
            cands += self._index().get(unicodedata.normalize("NFC", name), [])
            return first_packed(ref, cands)

        def first_packed(ref: str, cands: list[str]) -> str | None:
            outside = False
            refused = None
            for c in cands:
                real = real_path(c)
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
            is_outside = outside and not any(os.path.exists(c) and self._inside(real_path(c)) for c in cands)
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
