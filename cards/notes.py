"""Reading notes: bytes → text (encoding, BOM, newlines, NFC) → front matter → Note.

Nothing here raises on bad input: every problem becomes a warning naming the file
(and line where it applies), and as much of the note as possible is still read.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

NOTE_SUFFIXES = {".md", ".markdown"}
MAX_NOTE_BYTES = 20 * 1024 * 1024  # larger files are read only up to this size, with a warning

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


@dataclass
class Warning_:
    """A problem with one input, reported as `path:line: message` and never fatal."""

    path: str
    message: str
    line: int | None = None
    kind: str = "note"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Note:
    path: str  # as given on the command line or relative to the walked folder's parent
    rel: str  # relative to the root folder it was found in (for folders and tags)
    root: str  # the folder that was walked ("" for a file given directly)
    text: str  # the whole file, front matter lines blanked so line numbers stay the same
    title: str = ""
    date: str = ""
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)
    mtime: float = 0.0


def decode(data: bytes, path: str) -> tuple[str | None, list[Warning_]]:
    """Decode note bytes; None when the file is not text at all."""
    warns: list[Warning_] = []
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = data.decode("utf-16", errors="replace")
            warns.append(Warning_(path, "UTF-16 text has invalid bytes; they were replaced", kind="encoding"))
        else:
            warns.append(Warning_(path, "read as UTF-16 (consider saving it as UTF-8)", kind="encoding"))
    else:
        head = data[:8192]
        if b"\x00" in head:
            return None, [Warning_(path, "binary file (NUL bytes), skipped", kind="encoding")]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            try:
                text = data.decode("cp949")
            except UnicodeDecodeError:
                text = data.decode("utf-8", errors="replace")
                warns.append(Warning_(path, "not valid UTF-8; undecodable bytes were replaced", line, kind="encoding"))
            else:
                warns.append(Warning_(path, "not UTF-8; read as CP949/EUC-KR (consider saving it as UTF-8)",
                                      line, kind="encoding"))
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text), warns


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"[,\n]", value) if "," in value else value.split()
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple, set)):
        out = []
        for v in value:
            out.extend(_as_list(v) if isinstance(v, (list, tuple)) else ([str(v).strip()] if v is not None else []))
        return [v for v in out if v]
    return [str(value)]


def split_front_matter(text: str, path: str) -> tuple[dict, str, list[Warning_]]:
    """Return (metadata, text with front matter lines blanked, warnings)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, []
    end = None
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            end = i
            break
    if end is None:
        return {}, text, [Warning_(path, "front matter starts with '---' but never closes; read as text", 1,
                                   kind="front-matter")]
    raw = "\n".join(lines[1:end])
    blanked = "\n" * end + "\n" + "\n".join(lines[end + 1:])
    warns: list[Warning_] = []
    meta: dict = {}
    try:
        post = frontmatter.loads("---\n" + raw + "\n---\n")
        meta = dict(post.metadata)
        if not meta and raw.strip() and yaml.safe_load(raw) is not None:
            meta = None  # python-frontmatter drops a list or a scalar silently: report it below
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        warns.append(Warning_(path, f"front matter is not valid YAML ({problem}); body still read", line,
                              kind="front-matter"))
    except Exception as exc:  # python-frontmatter raises other types for non-mapping YAML
        warns.append(Warning_(path, f"front matter could not be read ({exc}); body still read", 1,
                              kind="front-matter"))
    if not isinstance(meta, dict):
        warns.append(Warning_(path, "front matter is not a mapping of keys; ignored", 1, kind="front-matter"))
        meta = {}
    return meta, blanked, warns


def parse_note(data: bytes, path: str, rel: str | None = None, root: str = "", mtime: float = 0.0) -> Note | None:
    """Parse note bytes into a Note (None when the file is not text). Never raises."""
    text, warns = decode(data, path)
    rel = rel or Path(path).name
    if text is None:
        note = Note(path=path, rel=rel, root=root, text="", warnings=warns, mtime=mtime)
        return note
    meta, body, fm_warns = split_front_matter(text, path)
    warns += fm_warns
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        m = _H1.search(body)
        title = m.group(1).strip() if m else Path(path).stem
    date = meta.get("date")
    if isinstance(date, (_dt.date, _dt.datetime)):
        date = date.isoformat()[:10]
    elif date is not None:
        date = str(date)[:10]
    else:
        m = _DATE_IN_NAME.search(Path(path).name)
        date = m.group(1) if m else ""
    return Note(path=path, rel=rel, root=root, text=body, title=unicodedata.normalize("NFC", str(title)).strip(),
                date=date, tags=_as_list(meta.get("tags")), categories=_as_list(meta.get("categories")),
                meta={k: v for k, v in meta.items() if isinstance(k, str)}, warnings=warns, mtime=mtime)


def read_note(path: Path, rel: str | None = None, root: str = "") -> tuple[Note | None, list[Warning_]]:
    """Read one file from disk. Returns (note or None, warnings); never raises."""
    spath = str(path)
    try:
        st = path.stat()
        with open(path, "rb") as fh:
            data = fh.read(MAX_NOTE_BYTES + 1)
    except OSError as exc:
        return None, [Warning_(spath, f"cannot read: {exc.strerror or exc}", kind="io")]
    extra: list[Warning_] = []
    if len(data) > MAX_NOTE_BYTES:
        data = data[:MAX_NOTE_BYTES]
        extra.append(Warning_(spath, f"larger than {MAX_NOTE_BYTES // (1024 * 1024)} MB; only the start was read",
                              kind="size"))
    note = parse_note(data, spath, rel, root, st.st_mtime)
    if note is None or not note.text and note.warnings:
        return None, extra + (note.warnings if note else [])
    note.warnings = extra + note.warnings
    return note, []


def walk(paths: list[Path]) -> tuple[list[tuple[Path, str, str]], list[Warning_]]:
    """Expand files and folders into (file, path relative to its root, root) in a stable order.

    Folders are walked for *.md and *.markdown, skipping hidden folders (.obsidian, .git, …)
    and symlink loops; a file named explicitly is read whatever its extension. In a folder,
    its notes come first (sorted by name), then its subfolders (sorted).
    """
    found: list[tuple[Path, str, str]] = []
    warns: list[Warning_] = []
    seen: set[str] = set()
    for p in paths:
        if p.is_file():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                found.append((p, p.name, ""))
            continue
        if not p.is_dir():
            warns.append(Warning_(str(p), "no such file or folder", kind="io"))
            continue
        visited: set[tuple[int, int]] = set()
        root = str(p)
        stack = [(root, "")]  # (folder, its path relative to the root, with a trailing slash)
        while stack:
            folder, rel = stack.pop()
            try:
                st = os.stat(folder)
                ident = (st.st_dev, st.st_ino)
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                warns.append(Warning_(folder, f"cannot read folder: {e.strerror}", kind="io"))
                continue
            if ident in visited:
                warns.append(Warning_(folder, "symlink loop, folder skipped", kind="io"))
                continue
            visited.add(ident)
            real_folder = os.path.realpath(folder)
            subfolders = []
            for e in entries:
                name = e.name
                try:
                    is_dir = e.is_dir()  # follows links, as a symlinked folder is walked too
                except OSError:
                    continue
                if is_dir:
                    if not name.startswith((".", "_site", "node_modules")):
                        subfolders.append((os.path.join(folder, name), f"{rel}{name}/"))
                    continue
                if name.startswith(".") or os.path.splitext(name)[1].lower() not in NOTE_SUFFIXES:
                    continue
                key = os.path.realpath(e.path) if e.is_symlink() else os.path.join(real_folder, name)
                if key in seen:
                    continue
                seen.add(key)
                found.append((Path(e.path), rel + name, root))
            stack.extend(reversed(subfolders))
    return found, warns
