"""Bad input never stops the other notes: each case puts one bad file beside a good note and
checks that the good card still comes out and that one clear warning names the bad file."""
from __future__ import annotations

import codecs
import json
import os
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from cards.cli import main
from cards.rules import load_rules
from cards.render import definition_html

GOOD = "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n"


def run(folder: Path, *args: str):
    r = CliRunner().invoke(main, ["extract", str(folder), "--format", "jsonl", "--no-cache", "--verbose", *args])
    cards = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    return r, cards


def vault(tmp_path: Path, name: str, data: bytes) -> Path:
    v = tmp_path / "vault"
    v.mkdir(exist_ok=True)
    (v / "good.md").write_text(GOOD, encoding="utf-8")
    (v / name).write_bytes(data)
    return v


CASES = [
    # name, file name, bytes, expected card terms from the bad file, warning fragment (None: no warning)
    ("invalid utf-8", "bad.md", b"- KD : \xff\xfe\xfa a small model learns from a big one\n", ["KD"],
     "bad.md:1: not valid UTF-8"),
    ("cp949 korean", "kr.md", "- 증류 : 큰 모델의 지식을 옮김\n".encode("cp949"), ["증류"], "kr.md:1: not UTF-8; read as CP949"),
    ("utf-16 with bom", "u16.md", codecs.BOM_UTF16_LE + "- Dropout : 뉴런을 끔\n".encode("utf-16-le"), ["Dropout"],
     "u16.md: read as UTF-16"),
    ("binary named .md", "bin.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), [],
     "bin.md: binary file"),
    ("empty file", "empty.md", b"", [], "empty.md: empty note"),
    ("front matter never closes", "open.md", b"---\ntitle: x\n- SGD : one sample at a time\n", ["SGD"],
     "open.md:1: front matter starts with '---' but never closes"),
    ("front matter not a mapping", "list.md", b"---\n- a\n- b\n---\n- SGD : one sample\n", ["SGD"],
     "list.md:1: front matter is not a mapping"),
    ("invalid yaml front matter", "yaml.md", b"---\ntitle: [unclosed\n---\n- SGD : one sample\n", ["SGD"],
     "yaml.md:"),
    ("crlf and bom", "crlf.md", codecs.BOM_UTF8 + b"---\r\ntitle: t\r\n---\r\n\r\n- SGD : one sample\r\n", ["SGD"], None),
]


@pytest.mark.parametrize("name,fname,data,terms,warning", CASES, ids=[c[0] for c in CASES])
def test_bad_file_beside_a_good_note(tmp_path, name, fname, data, terms, warning):
    r, cards = run(vault(tmp_path, fname, data))
    assert r.exit_code == 0, r.output
    got = sorted(c["term"] for c in cards)
    assert got == sorted(["Adam", *terms])
    if warning:
        assert warning in r.stderr, r.stderr
    else:
        assert "warning" not in r.stderr
    assert "Traceback" not in r.output


def test_line_numbers_survive_crlf_bom_and_front_matter(tmp_path):
    _, cards = run(vault(tmp_path, "crlf.md", codecs.BOM_UTF8 + b"---\r\ntitle: t\r\n---\r\n\r\n- SGD : one\r\n"))
    sgd = next(c for c in cards if c["term"] == "SGD")
    assert sgd["source"]["line"] == 5


def test_zero_width_spaces_before_a_list_marker_do_not_hide_it(tmp_path):
    # pasted text often carries an invisible U+200B before `- `; Markdown would read the line as a paragraph
    _, cards = run(vault(tmp_path, "zw.md", "\u200b- Dropout : 뉴런 일부를 확률적으로 끈다\n".encode("utf-8")))
    dropout = next(c for c in cards if c["term"] == "Dropout")
    assert dropout["definition"] == "뉴런 일부를 확률적으로 끈다" and dropout["source"]["line"] == 1


def test_nfd_korean_becomes_nfc(tmp_path):
    text = unicodedata.normalize("NFD", "- 메타러닝 : 학습하는 법을 학습\n")
    _, cards = run(vault(tmp_path, "nfd.md", text.encode("utf-8")))
    term = next(c["term"] for c in cards if c["term"] != "Adam")
    assert term == unicodedata.normalize("NFC", "메타러닝")


def test_large_note_and_deep_nesting(tmp_path):
    lines = [f"- Term{i} : definition number {i}" for i in range(10000)]
    deep = "".join("  " * i + "- x\n" for i in range(10000))
    v = vault(tmp_path, "big.md", ("\n".join(lines) + "\n").encode())
    (v / "deep.md").write_text(deep, encoding="utf-8")
    r, cards = run(v)
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert len(cards) == 10001


def test_note_over_the_size_cap_is_read_up_to_it(tmp_path, monkeypatch):
    import cards.notes
    monkeypatch.setattr(cards.notes, "MAX_NOTE_BYTES", 1024 * 1024)  # 50 MB in real life; 1 MB keeps the test fast
    body = "".join(f"- Term{i} : definition number {i}\n" for i in range(100000)).encode()  # ~3.5 MB
    r, cards = run(vault(tmp_path, "huge.md", body))
    assert r.exit_code == 0 and "huge.md: larger than 1 MB; only the start was read" in r.stderr
    assert 20000 < len(cards) < 100000


def test_symlink_loop_is_skipped(tmp_path):
    v = vault(tmp_path, "n.md", b"- SGD : one sample\n")
    (v / "sub").mkdir()
    os.symlink(v, v / "sub" / "loop")
    r, cards = run(v)
    assert r.exit_code == 0
    assert sorted(c["term"] for c in cards) == ["Adam", "SGD"]
    assert "symlink loop" in r.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file(tmp_path):
    v = vault(tmp_path, "locked.md", b"- SGD : one\n")
    (v / "locked.md").chmod(0)
    r, cards = run(v)
    assert [c["term"] for c in cards] == ["Adam"] and "locked.md: cannot read" in r.stderr


def test_folder_with_no_notes_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(main, ["export", str(tmp_path / "empty"), "--out", str(tmp_path / "d"), "--no-cache"])
    assert r.exit_code == 1 and "no cards found" in r.stderr
    assert not (tmp_path / "d").exists() or not list((tmp_path / "d").glob("*.apkg"))


def test_missing_path_and_bad_usage(tmp_path):
    r = CliRunner().invoke(main, ["extract", str(tmp_path / "nope"), "--no-cache"])
    assert r.exit_code == 1 and "no such file or folder" in r.stderr
    r = CliRunner().invoke(main, ["extract", "--format", "xml", str(tmp_path)])
    assert r.exit_code == 2


def test_rule_file_that_is_not_yaml_exits_2(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.yaml").write_text("topic: [\n  : : :\n", encoding="utf-8")
    (tmp_path / "n.md").write_text(GOOD, encoding="utf-8")
    r = CliRunner().invoke(main, ["export", str(tmp_path / "n.md"), "--rules", str(tmp_path / "rules"),
                                  "--out", str(tmp_path / "d"), "--no-cache"])
    assert r.exit_code == 2 and "x.yaml" in r.stderr and "not valid YAML" in r.stderr


def test_strict_turns_warnings_into_failure(tmp_path):
    v = vault(tmp_path, "kr.md", "- 증류 : 지식 전달\n".encode("cp949"))
    assert run(v)[0].exit_code == 0
    assert run(v, "--strict")[0].exit_code == 1
    r = CliRunner().invoke(main, ["export", str(v), "--out", str(tmp_path / "d"), "--no-cache", "--strict"])
    assert r.exit_code == 1 and "nothing written" in r.stderr and not (tmp_path / "d").exists()


def test_warnings_are_summarised_once(tmp_path):
    v = vault(tmp_path, "e1.md", b"")
    for i in range(8):
        (v / f"e{i + 2}.md").write_bytes(b"")
    r = CliRunner().invoke(main, ["extract", str(v), "--no-cache"])
    assert "9 warnings (9 empty):" in r.stderr
    assert r.stderr.count("empty note") == 5 and "and 4 more" in r.stderr


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x]( JaVaScRiPt:alert(1))", "<a href='javascript:alert(1)'>x</a>", "<svg onload=alert(1)>",
    "`<script>`", "$<script>$", "![x](javascript:alert(1))", "**<b onmouseover=alert(1)>x</b>**",
])
def test_hostile_html_never_reaches_a_card(text):
    from tests.test_properties import assert_safe
    out = definition_html(f"정의 {text} 끝\n  - 둘째 {text}")
    assert_safe(out)
    assert "<script" not in out and "<svg" not in out


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_export_killed_mid_write_leaves_the_previous_deck(tmp_path):
    """A real process, killed with SIGKILL while it writes: the old package must be intact."""
    import signal
    import subprocess
    import sys
    import time
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "small.md").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "d"
    cmd = [sys.executable, "-m", "cards", "export", str(notes), "--out", str(out), "--no-cache", "-q"]
    subprocess.run(cmd, check=True)
    apkg = out / "Study Notes.apkg"
    before = apkg.read_bytes()
    for n in range(40):  # enough cards that writing the package takes a moment
        (notes / f"n{n}.md").write_text("".join(f"- Term{n}x{i} : definition {i}\n" for i in range(400)),
                                        encoding="utf-8")
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.endswith(".tmp") for p in out.iterdir()):
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the export finished before it could be killed mid-write")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert apkg.read_bytes() == before
    assert all(p.name in ("Study Notes.apkg", "Study Notes.manifest.json") or p.name.endswith(".tmp")
               for p in out.iterdir())


# -- hostile folders ------------------------------------------------------------------------

def _cli(*args: str, cache: Path | None = None, timeout: float = 120, limit_memory: bool = False, cwd=None):
    """`cards ARGS` as a real process (its own stdout and stderr, as bytes). The timeout is only a hang guard."""
    import subprocess
    import sys

    def limits():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))  # a run that reads a whole huge file fails
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    env["CARDS_CACHE_DIR"] = str(cache) if cache else env.get("CARDS_CACHE_DIR", "")
    cmd = [sys.executable, "-m", "cards", *args] + ([] if cache else ["--no-cache"])
    return subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, cwd=cwd,
                          preexec_fn=limits if limit_memory else None)


def test_symlinks_are_followed_only_inside_the_notes(tmp_path):
    v = vault(tmp_path, "n.md", b"- SGD : one sample\n")
    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "secret.md").write_text("- Outside : 밖에 있는 노트\n", encoding="utf-8")
    (outside / "linked.md").write_text("- Linked : 밖에 있는 노트 파일\n", encoding="utf-8")
    os.symlink(outside, v / "to-elsewhere")  # as a link to / would: the whole file system
    os.symlink(outside / "linked.md", v / "linked.md")
    (v / "sub").mkdir()
    (v / "sub" / "inner.md").write_text("- Inner : 안쪽 노트\n", encoding="utf-8")
    os.symlink(v / "sub", v / "also-sub")  # inside the notes: followed, and its notes read once
    r, cards = run(v)
    assert sorted(c["term"] for c in cards) == ["Adam", "Inner", "SGD"]
    assert "to-elsewhere: symlink to a folder outside the notes" in r.stderr
    assert "linked.md: symlink to a note outside the notes" in r.stderr
    r, cards = run(v, str(outside))  # named as a PATH, the folder is read
    assert {"Outside", "Linked"} <= {c["term"] for c in cards}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_devices_and_huge_files_behind_note_names(tmp_path):
    """A FIFO nobody writes, /dev/zero and a 3 GB (sparse) file, all named *.md, with the cache on: the run
    must neither block nor read more than the size cap (the process may not use 1.5 GB)."""
    v = vault(tmp_path, "n.md", b"- SGD : one sample\n")
    os.mkfifo(v / "pipe.md")
    os.symlink("/dev/zero", v / "zero.md")
    with open(v / "huge.md", "wb") as fh:
        fh.write(b"- Huge : starts like a note\n")
        fh.truncate(3 << 30)
    r = _cli("extract", str(v), "--format", "jsonl", "--jobs", "1", cache=tmp_path / "cache", timeout=300,
             limit_memory=True)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert sorted(json.loads(ln)["term"] for ln in r.stdout.decode().splitlines()) == ["Adam", "SGD"]
    assert "pipe.md: not a regular file" in err and "zero.md: not a regular file" in err
    assert "huge.md: larger than 20 MB; only the start was read" in err
    r = _cli("extract", str(v / "pipe.md"), timeout=60)
    assert r.returncode == 1 and b"pipe.md: not a regular file" in r.stderr


def test_rule_commands_on_note_names_that_are_not_utf8(tmp_path):
    """`rules suggest` drafts and `rules check` reports over CP949 folder and note names: valid UTF-8 out,
    drafts that load, no traceback (the folder topic and the reasons name them with U+FFFD)."""
    v = vault(tmp_path, "n.md", b"- SGD : one sample at a time\n")
    sub = os.path.join(os.fsencode(v), "\ud3f4\ub354".encode("cp949"))
    os.mkdir(sub)
    for i in range(3):
        with open(os.path.join(sub, f"\ud55c\uae00\ub178\ud2b8{i}.md".encode("cp949")), "wb") as fh:
            fh.write("- \uc99d\ub958 : \ud070 \ubaa8\ub378\uc758 \uc9c0\uc2dd\uc744 \uc62e\uae40\n".encode())
    for args in (["rules", "suggest", str(v)], ["rules", "check", str(v)], ["rules", "list", str(v)]):
        r = _cli(*args, cache=tmp_path / "cache", cwd=tmp_path)  # (the rules commands keep no cache)
        assert r.returncode == 0 and b"Traceback" not in r.stderr, (args, r.stderr.decode(errors="replace"))
        r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # strict: valid UTF-8 or it raises
    assert list((tmp_path / "rules").glob("*.yaml"))
    load_rules(tmp_path / "rules")


def test_note_names_that_are_not_utf8(tmp_path):
    """A Korean name from a Windows zip (CP949 bytes): read, shown with U+FFFD in every output, warned."""
    v = vault(tmp_path, "n.md", b"- SGD : one sample\n")
    name = "한글노트.md".encode("cp949")
    sub = os.path.join(os.fsencode(v), "폴더".encode("cp949"))
    os.mkdir(sub)
    with open(os.path.join(sub, name), "wb") as fh:
        fh.write("- 증류 : 큰 모델의 지식을 옮김\n".encode())
    cache = tmp_path / "cache"
    for args in (["extract", str(v), "--format", "jsonl"], ["extract", str(v), "--format", "csv"],
                 ["extract", str(v), "--explain"], ["preview", str(v), "-o", str(tmp_path / "p.html")],
                 ["export", str(v), "--out", str(tmp_path / "d")]):
        r = _cli(*args, "--verbose", cache=cache, cwd=tmp_path)
        assert r.returncode == 0 and b"Traceback" not in r.stderr, (args, r.stderr.decode(errors="replace"))
        out, err = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # strict: valid UTF-8 or it raises
        assert "not valid UTF-8" in err and "\ufffd" in err, err
        if args[-1] == "jsonl":
            cards = [json.loads(ln) for ln in out.splitlines()]
            kd = next(c for c in cards if c["term"] == "증류")
            assert kd["source"]["path"].endswith(".md") and "\ufffd" in kd["source"]["path"]
            assert all("\ufffd" in t for t in kd["tags"] if t.startswith("folder::"))
    assert "\ufffd" in (tmp_path / "p.html").read_text(encoding="utf-8")
    from anki.collection import Collection

    from tests.test_anki_import import import_into, notes_by_term
    col = Collection(str(tmp_path / "col.anki2"))
    try:
        import_into(col, tmp_path / "d" / "Study Notes.apkg")
        kd = notes_by_term(col)["증류"]
        assert "\ufffd" in kd["Source"]
        assert any(t.startswith("folder::") and "\ufffd" in t for t in kd.tags)
    finally:
        col.close()


# -- output errors, locks, signals --------------------------------------------------------------

def _notes(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "n.md").write_text(GOOD + "- SGD : one sample at a time\n", encoding="utf-8")
    return notes


def _one_error_line(err: str, *fragments: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and len([ln for ln in lines if ln.startswith("error:")]) == 1, err
    line = next(ln for ln in lines if ln.startswith("error:"))
    assert all(f in line for f in fragments), line


def test_standard_output_on_a_full_disk(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        import subprocess
        import sys
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        r = subprocess.run([sys.executable, "-m", "cards", "extract", str(_notes(tmp_path)), "--no-cache",
                            "--format", "jsonl"], stdout=full, stderr=subprocess.PIPE, env=env, timeout=120)
    assert r.returncode == 3
    _one_error_line(r.stderr.decode(), "cannot write the standard output", "disk full")


def test_a_package_path_that_is_a_folder(tmp_path):
    (tmp_path / "d" / "Study Notes.apkg").mkdir(parents=True)
    r = CliRunner().invoke(main, ["export", str(_notes(tmp_path)), "--out", str(tmp_path / "d"), "--no-cache"])
    assert r.exit_code == 3
    _one_error_line(r.stderr, "Study Notes.apkg: it is a folder", "nothing was written")
    r = CliRunner().invoke(main, ["preview", str(_notes(tmp_path)), "-o", str(tmp_path / "d"), "--no-cache"])
    assert r.exit_code in (2, 3) and "Traceback" not in r.output


@pytest.mark.parametrize("where,code,reason", [
    ("write_package", 28, "disk full"), ("mkstemp", 30, "read-only file system"), ("replace", 13, "permission denied"),
])
def test_write_failures_leave_the_previous_deck_and_say_so_in_one_line(tmp_path, monkeypatch, where, code, reason):
    import tempfile

    import cards.export.write
    notes, out = _notes(tmp_path), tmp_path / "d"
    assert CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--no-cache"]).exit_code == 0
    before = (out / "Study Notes.apkg").read_bytes()
    (notes / "n.md").write_text(GOOD + "- Lion : 새 옵티마이저\n", encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    target = {"write_package": cards.export.write, "mkstemp": tempfile, "replace": os}[where]
    monkeypatch.setattr(target, where, fail)
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--no-cache"])
    monkeypatch.undo()
    assert r.exit_code == 3
    _one_error_line(r.stderr, "cannot write", "Study Notes.apkg", reason, "the previous deck is unchanged")
    assert (out / "Study Notes.apkg").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["Study Notes.apkg", "Study Notes.manifest.json"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    out.chmod(0o555)
    try:
        r = CliRunner().invoke(main, ["export", str(_notes(tmp_path)), "--out", str(out), "--no-cache"])
    finally:
        out.chmod(0o755)
    assert r.exit_code == 3
    _one_error_line(r.stderr, "cannot write", "permission denied")


@pytest.mark.skipif(os.name != "posix", reason="needs flock")
def test_an_export_waits_for_another_export_to_the_same_folder(tmp_path):
    """Two exports at once to one file could leave one's manifest beside the other's package: the
    second waits for the first (here: for this test, holding the folder's lock), and says so."""
    import fcntl
    import subprocess
    import sys
    out = tmp_path / "d"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "cards", "export", str(_notes(tmp_path)), "--out", str(out),
                             "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        first = proc.stderr.readline().decode()  # blocks until the export says something, or ends
        assert "waiting for another export" in first, first + proc.stderr.read().decode()
        assert not (out / "Study Notes.apkg").exists()
    finally:
        os.close(fd)  # the "other export" is done
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    import zipfile
    manifest = json.loads((out / "Study Notes.manifest.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(out / "Study Notes.apkg") as z:
        assert z.comment.decode() == manifest["token"]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _big_vault(tmp_path: Path) -> Path:
    v = tmp_path / "big"
    v.mkdir()
    for n in range(240):
        (v / f"n{n:03d}.md").write_text("".join(f"- Term{n}x{i} : definition {i} of note {n}\n" for i in range(300)),
                                        encoding="utf-8")
    return v


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_killed_run_leaves_no_workers_and_no_temporary_files(tmp_path, sig):
    import signal
    import subprocess
    import sys
    import time
    v, out, tmp = _big_vault(tmp_path), tmp_path / "d", tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), TMPDIR=str(tmp))
    proc = subprocess.Popen([sys.executable, "-m", "cards", "export", str(v), "--out", str(out), "--no-cache",
                             "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    workers: list[int] = []
    deadline = time.monotonic() + 120  # a hang guard, not a measurement
    while time.monotonic() < deadline and proc.poll() is None and not workers:
        workers = _children(proc.pid)
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the export ended before its workers were seen")
    proc.send_signal(getattr(signal, sig))
    err = proc.communicate(timeout=120)[1].decode()
    assert "Traceback" not in err or sig == "SIGKILL", err
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "workers outlived the process that started them"
    if sig == "SIGTERM":
        assert proc.returncode != 0 and list(tmp.iterdir()) == []
        assert not out.exists() or all(not p.name.endswith(".tmp") for p in out.iterdir())


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(tmp_path):
    import subprocess
    import sys
    tmp, out = tmp_path / "tmp", tmp_path / "d"
    tmp.mkdir()
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a process that has ended
    (tmp / f"cards-media-{dead}-x1y2z3").mkdir()
    (tmp / f"cards-media-{dead}-x1y2z3" / "cards-0123.png").write_bytes(b"png")
    (tmp / f"cards-collection-{dead}-abc.anki2").write_bytes(b"x" * 1000)
    (tmp / f"cards-media-{os.getpid()}-live").mkdir()  # a run that is still going: left alone
    (out / ".Study Notes.apkg.ab12cd34.tmp").write_bytes(b"half a package")
    (out / ".Study Notes.manifest.json.zz99yy88.tmp").write_bytes(b"{")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), TMPDIR=str(tmp))
    r = subprocess.run([sys.executable, "-m", "cards", "export", str(_notes(tmp_path)), "--out", str(out),
                        "--no-cache"], capture_output=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(p.name for p in tmp.iterdir()) == [f"cards-media-{os.getpid()}-live"]
    assert sorted(p.name for p in out.iterdir()) == ["Study Notes.apkg", "Study Notes.manifest.json"]


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_an_interrupt_after_the_deck_is_written_is_not_a_failure(tmp_path):
    """Ctrl-C while the summary is printed (the package and manifest are complete) once printed
    'Aborted!' and exited 1."""
    import subprocess
    import sys
    script = ("import os, signal, sys\n"
              "import cards.export\n"
              "real = cards.export.Report.summary_lines\n"
              "def summary(self, res):\n"
              "    os.kill(os.getpid(), signal.SIGINT)\n"
              "    return real(self, res)\n"
              "cards.export.Report.summary_lines = summary\n"
              "from cards.cli import run\n"
              "sys.argv = ['cards'] + sys.argv[1:]\n"
              "run()\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = tmp_path / "d"
    r = subprocess.run([sys.executable, "-c", script, "export", str(_notes(tmp_path)), "--out", str(out), "--no-cache"],
                       capture_output=True, env=env, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 0 and "Aborted" not in err and "complete" in err, err
    assert (out / "Study Notes.apkg").is_file() and (out / "Study Notes.manifest.json").is_file()
