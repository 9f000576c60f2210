"""Reading notes: bytes → text (encoding, BOM, newlines, NFC) → front matter → Note.

Nothing here raises on bad input: every problem becomes a warning naming the file
(and line where it applies), and as much of the note as possible is still read.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from .yaml_safe import YamlLimit, safe_yaml

NOTE_SUFFIXES = {".md", ".markdown"}
MAX_NOTE_BYTES = 20 * 1024 * 1024  # larger files are read only up to this size, with a warning

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_ZERO_WIDTH_LEAD = re.compile(r"^[\u200b\ufeff]+", re.M)  # invisible, yet they hide a line's `- ` or `#` from Markdown
_H1 = re.compile(r"^#[ \t]+(\S[^\n]*)", re.M)  # closing #s are cut in Python (a regex tail is quadratic)


def display(text: str) -> str:
    """`text` as it can be printed or stored: a file name that is not valid UTF-8 (read through
    Python's surrogate escapes, as the OS gave it) shows each bad byte as U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the OS's bytes back, then decoded with U+FFFD for what is not UTF-8
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no file name can hold
        return text.encode("utf-8", "replace").decode("utf-8")


@dataclass
class Warning_:
    """A problem with one input, reported as `path:line: message` and never fatal."""

    path: str
    message: str
    line: int | None = None
    kind: str = "note"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return display(f"{where}: {self.message}")


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


class _FrontMatterYAML(frontmatter.YAMLHandler):
    """python-frontmatter's YAML handler with `safe_yaml`'s limits; keeps what it loaded, a mapping or not."""

    data: object = None

    def load(self, fm: str, **kwargs) -> object:
        self.data = safe_yaml(fm)[0]
        return self.data


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
        handler = _FrontMatterYAML()
        post = frontmatter.loads("---\n" + raw + "\n---\n", handler=handler)
        meta = dict(post.metadata)
        if not meta and handler.data is not None and not isinstance(handler.data, dict):
            meta = None  # python-frontmatter drops a list or a scalar silently: report it below
    except YamlLimit as exc:
        warns.append(Warning_(path, f"front matter ignored: {exc.problem}; body still read", 1, kind="front-matter"))
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


def _closing_hashes_cut(text: str) -> str:
    """A heading's text without its closing sequence (`# Title ##` → `Title`)."""
    text = text.strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return text


def parse_note(data: bytes, path: str, rel: str | None = None, root: str = "", mtime: float = 0.0) -> Note | None:
    """Parse note bytes into a Note (None when the file is not text). Never raises."""
    text, warns = decode(data, path)
    rel = rel or Path(path).name
    if text is None:
        note = Note(path=path, rel=rel, root=root, text="", warnings=warns, mtime=mtime)
        return note
    meta, body, fm_warns = split_front_matter(text, path)
    body = _ZERO_WIDTH_LEAD.sub("", body)
    warns += fm_warns
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        m = _H1.search(body)
        title = (_closing_hashes_cut(m.group(1)) if m else "") or display(Path(path).stem)
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


class NotAFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: never read as a note."""


def read_capped(path: str, cap: int | None = None) -> tuple[bytes, os.stat_result]:
    """The first `cap` + 1 bytes (MAX_NOTE_BYTES + 1 by default) of a regular file, and its stat.

    Opened without blocking and checked on the open file, so a FIFO or a device behind a
    note's name (`/dev/zero`, a pipe that nobody writes) is refused at once instead of
    hanging the run or filling memory. The caller both hashes and parses what this returns:
    the cache key always describes exactly the bytes that were parsed."""
    cap = MAX_NOTE_BYTES if cap is None else cap
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(f"not a regular file ({_file_kind(st.st_mode)})")
        return fh.read(cap + 1), st


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a file"


def read_note(path: Path, rel: str | None = None, root: str = "",
              read: tuple[bytes, os.stat_result] | None = None) -> tuple[Note | None, list[Warning_]]:
    """Read one file from disk (or take `read`, what `read_capped` gave). Returns (note or None, warnings);
    never raises."""
    spath = str(path)
    try:
        data, st = read if read is not None else read_capped(spath)
    except NotAFile as exc:
        return None, [Warning_(spath, f"{exc}; skipped", kind="io")]
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


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _name_warning(path: str) -> Warning_ | None:
    shown = display(path)
    if shown == path:
        return None
    return Warning_(shown, "the file name is not valid UTF-8 (bad bytes shown as \ufffd); read all the same",
                    kind="name")


def walk(paths: list[Path]) -> tuple[list[tuple[Path, str, str]], list[Warning_]]:
    """Expand files and folders into (file, path relative to its root, root) in a stable order.

    Folders are walked for *.md and *.markdown, skipping hidden folders (.obsidian, .git, …).
    A symlink is followed only when it leads inside one of the folders given (a link to `/`
    or to a folder elsewhere is reported and skipped), and each real folder is walked once.
    Only regular files are read: a FIFO or a device named `*.md` is reported and skipped. A file
    named explicitly is read whatever its extension. In a folder, its notes come first (sorted
    by name), then its subfolders (sorted).
    """
    found: list[tuple[Path, str, str]] = []
    warns: list[Warning_] = []
    seen: set[str] = set()
    real_roots = [os.path.realpath(p) for p in paths if p.is_dir()]
    for p in paths:
        if p.is_file():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                found.append((p, p.name, ""))
                w = _name_warning(str(p))
                if w:
                    warns.append(w)
            continue
        if not p.is_dir():
            if os.path.lexists(p):
                try:
                    kind = _file_kind(os.stat(p).st_mode)
                except OSError:
                    kind = "a broken symlink"
                warns.append(Warning_(str(p), f"not a regular file or folder ({kind}); skipped", kind="io"))
            else:
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
                warns.append(Warning_(folder, "symlink loop (or a second link to a folder already read), folder "
                                              "skipped", kind="io"))
                continue
            visited.add(ident)
            real_folder = os.path.realpath(folder)
            subfolders = []
            for e in entries:
                name = e.name
                try:
                    is_dir = e.is_dir()  # follows links: a linked folder inside the roots is walked too
                    is_link = e.is_symlink()
                except OSError:
                    continue
                if is_dir:
                    if name.startswith((".", "_site", "node_modules")):
                        continue
                    if is_link and not _inside(os.path.realpath(e.path), real_roots):
                        warns.append(Warning_(e.path, f"symlink to a folder outside the notes "
                                                      f"({os.path.realpath(e.path)}); not followed (give it as a "
                                                      f"PATH to include it)", kind="io"))
                        continue
                    subfolders.append((os.path.join(folder, name), f"{rel}{name}/"))
                    continue
                if name.startswith(".") or os.path.splitext(name)[1].lower() not in NOTE_SUFFIXES:
                    continue
                key = os.path.realpath(e.path) if is_link else os.path.join(real_folder, name)
                if key in seen:
                    continue
                try:
                    is_file = e.is_file()
                except OSError:
                    is_file = False
                if not is_file:
                    what = "a broken symlink" if is_link and not os.path.exists(e.path) else \
                        "a FIFO, device or socket"
                    warns.append(Warning_(e.path, f"not a regular file ({what}); skipped", kind="io"))
                    continue
                if is_link and not _inside(key, real_roots):
                    warns.append(Warning_(e.path, f"symlink to a note outside the notes ({key}); not read (give it "
                                                  "as a PATH to include it)", kind="io"))
                    continue
                seen.add(key)
                found.append((Path(e.path), rel + name, root))
                w = _name_warning(e.path)
                if w:
                    warns.append(w)
            stack.extend(reversed(subfolders))
    return found, warns
