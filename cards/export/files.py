"""Output files: deck file names that work everywhere, atomic writes, one export at a time per folder.

An output that cannot be written is an `OutputError` whose message is one line naming the
file and why (`cannot write decks/X.apkg: disk full`); whatever was there before stays as it was.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from ..notes import display

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
        return cls(path, os_reason(exc))


def os_reason(exc: OSError) -> str:
    """Why an OSError happened, in a few words (`disk full`, `permission denied`)."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def atomic_write(target: Path, write) -> None:
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
