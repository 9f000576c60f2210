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
