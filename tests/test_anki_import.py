"""End to end with the official `anki` package: export notes, import the .apkg into a fresh
collection as Anki desktop does, and check decks, fields, rendering, updates and history."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import genanki
import pytest
from click.testing import CliRunner

anki_collection = pytest.importorskip("anki.collection", reason="the official anki package is a test dependency")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest

import cards.export.package  # noqa: E402
import cards.export.write  # noqa: E402
from cards.cli import main  # noqa: E402
from cards.export import FIELDS, MODEL, MODEL_ID  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def export(notes: Path, out: Path, *args: str) -> str:
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--no-cache", "--rules",
                                  str(REPO / "rules"), *args])
    assert r.exit_code == 0, r.output
    return r.output


def import_into(col, apkg: Path):
    opts = col._backend.get_import_anki_package_presets()  # the desktop's defaults (update if newer)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=opts))


def notes_by_term(col) -> dict:
    out = {}
    for nid in col.find_notes(""):
        n = col.get_note(nid)
        out[n["Term"]] = n
    return out


def answer(col, card) -> None:
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=3))


@pytest.fixture
def col(tmp_path):
    c = Collection(str(tmp_path / "collection.anki2"))
    yield c
    c.close()


def write_note(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_examples_import_with_topic_decks_and_fields(tmp_path, col):
    out = export(REPO / "examples" / "notes", tmp_path / "decks")
    apkg = tmp_path / "decks" / "Study Notes.apkg"
    assert apkg.exists() and "Wrote" in out
    import_into(col, apkg)
    decks = {d.name for d in col.decks.all_names_and_ids()}
    assert {"Study Notes::Optimization", "Study Notes::Regularization", "Study Notes::Computer Vision"} <= decks
    assert "Study Notes::Unsorted" not in decks  # what no rule file claims is placed by its note (see test_topics)
    notes = notes_by_term(col)
    r = CliRunner().invoke(main, ["extract", str(REPO / "examples" / "notes"), "--format", "jsonl", "--no-cache",
                                  "--rules", str(REPO / "rules")])
    assert len(notes) == len([ln for ln in r.output.splitlines() if ln.startswith("{")])
    adam = notes["Adam"]
    assert adam.note_type()["id"] == MODEL_ID and [f["name"] for f in adam.note_type()["flds"]] == FIELDS
    assert "RMSprop" in adam["Definition"] and "topic::Optimization" in adam.tags
    assert col.decks.name(adam.cards()[0].did) == "Study Notes::Optimization"
    assert "boostcamp" in adam.tags  # front matter tag
    # the card renders: term on the front, definition and source on the back
    card = adam.cards()[0]
    assert "Adam" in card.question() and "RMSprop" in card.answer() and "2024-09-02" in card.answer()


def test_reimport_of_same_export_changes_nothing(tmp_path, col):
    export(REPO / "examples" / "notes", tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    import_into(col, apkg)
    before = {n.guid: (n.mod, tuple(n.fields)) for n in notes_by_term(col).values()}
    export(REPO / "examples" / "notes", tmp_path / "d")  # a second export of unchanged notes
    import_into(col, apkg)
    after = {n.guid: (n.mod, tuple(n.fields)) for n in notes_by_term(col).values()}
    assert after == before


def test_edit_updates_the_same_note_and_keeps_review_history(tmp_path, col):
    notes = tmp_path / "notes"
    write_note(notes, "day1.md", "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n- Dropout : 뉴런 일부를 끔\n")
    export(notes, tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    import_into(col, apkg)
    adam = notes_by_term(col)["Adam"]
    card = adam.cards()[0]
    answer(col, card)
    card.load()
    reps, ivl = card.reps, card.ivl
    assert reps == 1
    dropout_mod = notes_by_term(col)["Dropout"].mod

    write_note(notes, "day1.md", "- Adam : 적응형 학습률을 쓰는 옵티마이저 (수정됨)\n- Dropout : 뉴런 일부를 끔\n")
    export(notes, tmp_path / "d")
    import_into(col, apkg)
    by_term = notes_by_term(col)
    assert len(by_term) == 2  # updated, not duplicated
    assert "수정됨" in by_term["Adam"]["Definition"] and by_term["Adam"].id == adam.id
    card = col.get_card(card.id)
    assert (card.reps, card.ivl) == (reps, ivl)
    assert col.db.scalar("select count() from revlog where cid=?", card.id) == 1
    assert by_term["Dropout"].mod == dropout_mod  # unchanged note: same time, so user edits survive


def test_user_edit_in_anki_survives_reexport_of_unchanged_note(tmp_path, col):
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- KD : 큰 모델을 티처 삼아 작은 모델을 학습\n")
    export(notes, tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    import_into(col, apkg)
    kd = notes_by_term(col)["KD"]
    kd["Definition"] = "my own wording"
    col.update_note(kd)
    export(notes, tmp_path / "d")
    import_into(col, apkg)
    assert notes_by_term(col)["KD"]["Definition"] == "my own wording"


def test_spacing_and_case_changes_keep_the_note(tmp_path, col):
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- 메타 러닝 : 학습하는 법을 학습\n")
    export(notes, tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    import_into(col, apkg)
    nid = col.find_notes("")[0]
    write_note(notes, "n.md", "- 메타러닝 : 학습하는 법을 학습 (적은 데이터)\n")
    export(notes, tmp_path / "d")
    import_into(col, apkg)
    assert col.find_notes("") == [nid]
    assert col.get_note(nid)["Term"] == "메타러닝"


def test_rendering_math_images_and_escaping(tmp_path, col):
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "Softmax\n- 확률로 바꿈: $p_i < 1$ & 합은 1\n- ![diagram](img/d.png)\n"
                              "- 주의 <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))\n")
    (notes / "img").mkdir()
    (notes / "img" / "d.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    export(notes, tmp_path / "d")
    import_into(col, tmp_path / "d" / "Study Notes.apkg")
    card = notes_by_term(col)["Softmax"].cards()[0]
    q, a = card.question(), card.answer()
    assert "Softmax" in q
    assert r"\(p_i &lt; 1\)" in a and "&amp; 합은 1" in a
    assert '<img src="cards-' in a
    # the sanitizer drops what could run, with a script's text; the rest of the line stays
    assert "주의" in a and "<script" not in a.lower() and "alert" not in a
    assert "<img src=x" not in a and "onerror" not in a and 'href="javascript' not in a
    media = Path(col.media.dir())
    assert any(p.name.startswith("cards-") for p in media.iterdir())


def test_media_names_do_not_collide_and_missing_or_escaping_images_warn(tmp_path):
    notes = tmp_path / "notes"
    write_note(notes / "a", "a.md", "Alpha\n- 첫 그림 ![](image.png)\n")
    write_note(notes / "b", "b.md", "Beta\n- 둘째 그림 ![](image.png)\n- 없는 그림 ![](missing.png)\n"
                                    "- 밖 ![](../../secret.png)\n- 위 ![](../a/gone.png)\n")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG private")
    (notes / "a" / "image.png").write_bytes(b"\x89PNG one")
    (notes / "b" / "image.png").write_bytes(b"\x89PNG two")
    out = export(notes, tmp_path / "d", "--verbose")
    with zipfile.ZipFile(tmp_path / "d" / "Study Notes.apkg") as z:
        import json
        names = sorted(json.loads(z.read("media")).values())
    assert len(names) == 2 and all(n.startswith("cards-") and n.endswith(".png") for n in names)
    assert "b.md:3: image 'missing.png' not found" in out
    assert "b.md:4: image '../../secret.png' is outside the notes folder" in out
    # missing beside the note; tried against the notes folder too, '..' leads out of it, but no file is there
    assert "b.md:5: image '../a/gone.png' not found" in out


def test_images_written_with_spaces_or_windows_paths_are_found(tmp_path, col):
    """Typora writes `![](my shots/fig 1.png)`, which CommonMark reads as text, and notes written on Windows
    keep `C:\\Users\\…\\n.assets\\x.png`: both show the image beside the note instead of raw markup."""
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Spaced : 그림 ![graph](my shots/fig 1.png)\n"
                              "- Windows : 그림 ![](C:\\Users\\me\\Desktop\\n.assets\\old shot.png)\n"
                              "- Titled : 그림 ![t](fig.png \"a title\")\n")
    (notes / "my shots").mkdir()
    (notes / "my shots" / "fig 1.png").write_bytes(b"\x89PNG spaced")
    (notes / "n.assets").mkdir()
    (notes / "n.assets" / "old shot.png").write_bytes(b"\x89PNG windows")
    (notes / "fig.png").write_bytes(b"\x89PNG titled")
    out = export(notes, tmp_path / "d", "--verbose")
    assert "not found" not in out
    import_into(col, tmp_path / "d" / "Study Notes.apkg")
    media = Path(col.media.dir())
    for term, data in (("Spaced", b"\x89PNG spaced"), ("Windows", b"\x89PNG windows"), ("Titled", b"\x89PNG titled")):
        answer = notes_by_term(col)[term].cards()[0].answer()
        src = re.search(r'<img src="(cards-[0-9a-f]{16}\.png)"', answer)
        assert src and "![" not in answer, answer
        assert (media / src.group(1)).read_bytes() == data


def test_split_and_reverse(tmp_path, col):
    export(REPO / "examples" / "notes", tmp_path / "d", "--split", "--reverse", "--name", "AI/Tech: 부트캠프")
    files = sorted(p.name for p in (tmp_path / "d").glob("*.apkg"))
    # '/' and ':' cannot be in a file name: replaced, and a digest of the deck name keeps the names apart
    optimization = [f for f in files if f.startswith("AI_Tech_ 부트캠프 - Optimization ~")]
    assert len(optimization) == 1 and len(files) >= 5
    import_into(col, tmp_path / "d" / optimization[0])
    n = notes_by_term(col)["Adam"]
    assert len(n.cards()) == 2  # the Reverse field switches on the second template
    assert "?" in n.cards()[1].question() and "Adam" in n.cards()[1].answer()


def test_orphans_are_reported_with_a_search_that_finds_them(tmp_path, col):
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Old*Term_1 : 곧 지울 카드\n")
    export(notes, tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    import_into(col, apkg)
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Lion : 새 옵티마이저\n")
    out = export(notes, tmp_path / "d")
    assert "1 added, 0 changed, 1 no longer in the notes" in out
    search = next(ln.strip() for ln in out.splitlines() if ln.strip().startswith('"note:'))
    found = col.find_notes(search)
    assert [col.get_note(n)["Term"] for n in found] == ["Old*Term_1"]


def test_interrupted_export_leaves_the_previous_deck(tmp_path, monkeypatch):
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n")
    export(notes, tmp_path / "d")
    apkg = tmp_path / "d" / "Study Notes.apkg"
    before = apkg.read_bytes()
    write_note(notes, "n.md", "- Adam : 바뀐 설명\n")

    def boom(package, file, timestamp):
        Path(file).write_bytes(b"half a zip")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(cards.export.write, "write_package", boom)
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(tmp_path / "d"), "--no-cache"])
    assert r.exit_code != 0
    assert apkg.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["Study Notes.apkg", "Study Notes.manifest.json"]


def _tables(apkg: Path, tmp: Path) -> dict:
    with zipfile.ZipFile(apkg) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist() if i.filename != "collection.anki2"}
        (tmp / "c.anki2").write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(tmp / "c.anki2")
    try:
        got = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
               for t in ("col", "notes", "cards", "revlog", "graves")}
        got["schema"] = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    (tmp / "c.anki2").unlink()
    return {**got, "members": members}


@pytest.mark.parametrize("in_memory", [True, False])
def test_our_package_writer_gives_the_collection_genanki_writes(tmp_path, monkeypatch, in_memory):
    if not in_memory:  # a huge deck goes through a temporary file instead
        monkeypatch.setattr(cards.export.package, "_IN_MEMORY_NOTES", 3)
    rows = [(["Adam", "옵티마이저 <b>x</b>", "", "ML", "n.md:1", "", ""], ["ml"], "g1", 1700000000),
            (["Lion", "새 것", "L", "", "n.md:2", "<a>o</a>", "y"], ["ml", "opt"], "g2", 1700000000),
            (["Softmax", "확률", "", "", "m.md:3", "", ""], [], "g3", 1700000000)]
    img = tmp_path / "cards-0123.png"
    img.write_bytes(b"\x89PNG fake")
    theirs, ours = [], []
    for name, did in (("Study::ML", 1 << 41), ("Study::Other", 1 << 42)):
        d = genanki.Deck(did, name)
        mine = cards.export.package.BulkDeck(did, name)
        for fields, tags, guid, mod in rows:
            d.add_note(genanki.Note(model=MODEL, fields=fields, tags=tags, guid=guid + name))
            mine.add_row(fields, tags, guid + name, mod)
        theirs.append(d)
        ours.append(mine)
    genanki.Package(theirs, media_files=[str(img)]).write_to_file(str(tmp_path / "theirs.apkg"), timestamp=1700000000)
    cards.export.package.write_package(genanki.Package(ours, media_files=[str(img)]), str(tmp_path / "ours.apkg"),
                                       1700000000)
    a, b = _tables(tmp_path / "theirs.apkg", tmp_path), _tables(tmp_path / "ours.apkg", tmp_path)
    assert len(b["notes"]) == 6 and len(b["cards"]) == 8  # the reverse card only where Reverse is set
    assert a == b
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cards-0123.png", "ours.apkg", "theirs.apkg"]


def test_unchanged_inputs_skip_the_write_and_a_changed_image_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("CARDS_CACHE_DIR", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "Softmax\n- 확률로 바꿈 ![d](d.png)\n")
    (notes / "d.png").write_bytes(b"\x89PNG one")
    args = ["export", str(notes), "--out", str(tmp_path / "d")]
    assert "Wrote" in CliRunner().invoke(main, args).output
    apkg = tmp_path / "d" / "Study Notes.apkg"
    stamp = apkg.stat().st_mtime_ns
    out = CliRunner().invoke(main, args).output
    assert "Unchanged:" in out and apkg.stat().st_mtime_ns == stamp
    (notes / "d.png").write_bytes(b"\x89PNG two, edited")
    out = CliRunner().invoke(main, args).output
    assert "Wrote" in out and "1 changed" in out
    out = CliRunner().invoke(main, [*args, "--reverse"]).output  # other options: written again
    assert "Wrote" in out


def test_a_cached_card_digest_is_reused_only_with_the_same_link(tmp_path):
    """The manifest digest kept with cached fields covers the Link: once the folder becomes an
    Obsidian vault, the card counts as changed (newer mod time), so Anki takes the new Link."""
    env = {**os.environ, "CARDS_CACHE_DIR": str(tmp_path / "cache")}
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Lion : 새 옵티마이저\n")

    def run(out: str, *extra: str) -> str:
        r = subprocess.run([sys.executable, "-m", "cards", "export", str(notes), "--out", str(tmp_path / out),
                            "--rules", str(REPO / "rules"), *extra], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout + r.stderr

    def hashes(out: str) -> dict:
        manifest = json.loads((tmp_path / out / "Study Notes.manifest.json").read_text(encoding="utf-8"))
        return {g: e["hash"] for g, e in manifest["notes"].items()}

    run("d")
    first = hashes("d")
    (notes / ".obsidian").mkdir()
    out = run("d")
    assert "0 added, 2 changed" in out
    run("fresh", "--no-cache")
    assert hashes("d") == hashes("fresh") and hashes("d") != first
    with zipfile.ZipFile(tmp_path / "d" / "Study Notes.apkg") as z:
        assert b"obsidian://open?vault=notes" in z.read("collection.anki2")


def _without_ids(apkg: Path, tmp: Path) -> dict:
    """A package's collection with row ids replaced by what they point at: notes by GUID, cards by (GUID, ord)."""
    t = _tables(apkg, tmp)
    guid_of = {n[0]: n[1] for n in t["notes"]}
    t["notes"] = sorted(n[1:] for n in t["notes"])
    t["cards"] = sorted((guid_of[c[1]], *c[2:]) for c in t["cards"])
    t["col"] = [(*c[:8], json.loads(c[8]), json.loads(c[9]), json.loads(c[10]), c[11]) for c in t["col"]]
    return t


@pytest.mark.parametrize("split", [False, True])
def test_a_patched_package_is_the_package_written_from_scratch(tmp_path, monkeypatch, split):
    """Carrying unchanged notes over from the previous package gives, step after step (edits,
    additions, removals, a changed image, a topic move, a reverted edit), the rows, decks,
    note type, media and manifest a from-scratch write gives, and what Anki imports is the same."""
    monkeypatch.setenv("CARDS_CACHE_DIR", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    write_note(notes, "a.md", "## Optimization\n- Adam : 적응형 학습률 옵티마이저\n- SGD : 확률적 경사 하강법\n")
    write_note(notes, "b.md", "Softmax\n- 확률로 바꿈 ![d](d.png)\n- Dropout : 뉴런을 끔\n- Adam : 모멘텀 + RMSProp\n")
    write_note(notes, "c.md", "# Regularization\n- Early stopping : 검증 손실이 오르면 멈춤\n- Mixup : 두 이미지를 섞음\n")
    (notes / "d.png").write_bytes(b"\x89PNG one")
    state = tmp_path / "state"  # the out folder as the patched runs leave it
    state.mkdir()
    stamp = [1_800_000_000]
    opened: list[bool] = []  # whether each patched write found a previous package to start from
    real_open = cards.export.package.Previous.open

    def spy(target, old, tool):
        base = real_open(target, old, tool)
        opened.append(base is not None)
        return base

    monkeypatch.setattr(cards.export.package.Previous, "open", spy)

    def run(out: Path, patch: bool, *extra: str) -> str:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(state, out)
        with monkeypatch.context() as m:
            m.setattr(cards.export.write, "PATCH", patch)
            m.setattr(time, "time", lambda: float(stamp[0]))
            r = CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--rules", str(REPO / "rules"),
                                          "--verbose", *(["--split"] if split else []), *extra])
        assert r.exit_code == 0, r.output
        return r.output.replace(str(out), "OUT")

    def step(name: str, *extra: str, advance: int = 100) -> None:
        stamp[0] += advance
        patched, fresh = tmp_path / "patched", tmp_path / "fresh"
        out_p, out_f = run(patched, True, *extra), run(fresh, False, *extra)
        assert out_p == out_f, name
        packages = sorted(p.name for p in patched.glob("*.apkg"))
        assert packages == sorted(p.name for p in fresh.glob("*.apkg")) and len(packages) == (3 if split else 1)
        for apkg in packages:
            assert _without_ids(patched / apkg, tmp_path) == _without_ids(fresh / apkg, tmp_path), (name, apkg)
            man_p, man_f = (json.loads((d / apkg.replace(".apkg", ".manifest.json")).read_text(encoding="utf-8"))
                            for d in (patched, fresh))
            for m in (man_p, man_f):
                del m["token"], m["size"]
            assert man_p == man_f, (name, apkg)
        shutil.rmtree(state)
        shutil.copytree(patched, state)
        for kind, folder in (("p", patched), ("f", fresh)):
            c = Collection(str(tmp_path / f"{kind}.anki2"))  # one collection each, imported into step by step
            try:
                for apkg in packages:
                    import_into(c, folder / apkg)
                seen[kind] = sorted((n.guid, tuple(n.fields), tuple(n.tags), n.mod,
                                     tuple(sorted(c.decks.name(card.did) for card in n.cards())))
                                    for n in (c.get_note(i) for i in c.find_notes("")))
            finally:
                c.close()
        assert seen["p"] == seen["f"], name

    seen: dict = {}
    step("first")
    step("nothing changed", "--no-cache")  # without the cache's run key, no "Unchanged" shortcut either
    write_note(notes, "a.md", "## Optimization\n- Adam : 바뀐 설명\n- SGD : 확률적 경사 하강법\n- Lion : 새 옵티마이저\n")
    step("edited and added")
    (notes / "c.md").unlink()
    step("removed")
    (notes / "d.png").write_bytes(b"\x89PNG two, edited")
    step("image changed")
    write_note(notes, "b.md", "Softmax\n- 확률로 바꿈 ![d](d.png)\n\n## Optimization\n- Dropout : 뉴런을 끔\n")
    step("moved to another topic")
    write_note(notes, "a.md", "## Optimization\n- Adam : 적응형 학습률 옵티마이저\n- SGD : 확률적 경사 하강법\n")
    step("edit reverted")
    write_note(notes, "c.md", "# Regularization\n- Early stopping : 다시 추가\n")
    step("added again within the same second", advance=0)  # new ids never collide with the kept ones
    with zipfile.ZipFile(next((tmp_path / "patched").glob("*.apkg"))) as z:
        assert z.comment.startswith(b"cards ")
    assert opened.count(True) >= 6, opened  # every step after the first started from the previous package


def test_a_package_without_its_manifest_is_never_patched(tmp_path):
    """A package written by a run that died before its manifest (or a package from elsewhere)
    does not match the manifest's token: the next export writes everything afresh."""
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Lion : 새 옵티마이저\n")
    out = tmp_path / "d"
    export(notes, out)
    manifest = (out / "Study Notes.manifest.json").read_bytes()
    write_note(notes, "n.md", "- Adam : 바뀐 설명\n- Lion : 새 옵티마이저\n")
    export(notes, out)
    (out / "Study Notes.manifest.json").write_bytes(manifest)  # as if the manifest never got written
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Lion : 새 옵티마이저\n")  # back to what it records
    export(notes, out)
    col = Collection(str(tmp_path / "c.anki2"))
    try:
        import_into(col, out / "Study Notes.apkg")
        assert notes_by_term(col)["Adam"]["Definition"].startswith("적응형 학습률 옵티마이저")
    finally:
        col.close()
    (out / "Study Notes.apkg").write_bytes(b"not a zip")  # a damaged package: written afresh too
    write_note(notes, "n.md", "- Adam : 적응형 학습률 옵티마이저\n- Lion : 바뀐 옵티마이저\n")
    assert "Wrote" in export(notes, out)
    with zipfile.ZipFile(out / "Study Notes.apkg") as z:
        assert z.testzip() is None


def anki_notes(tmp_path: Path, apkg: Path, name: str) -> list[tuple]:
    c = Collection(str(tmp_path / f"{name}.anki2"))
    try:
        import_into(c, apkg)
        return sorted((n.guid, tuple(n.fields), tuple(n.tags), n.mod) for n in
                      (c.get_note(i) for i in c.find_notes("")))
    finally:
        c.close()


def test_an_export_from_a_warm_cache_imports_exactly_like_one_from_scratch(tmp_path, monkeypatch):
    """Reused merges, reused rendered fields and lost cache entries never change what Anki gets."""
    monkeypatch.setenv("CARDS_CACHE_DIR", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    write_note(notes, "a.md", "## Optimization\n- Adam : 적응형 학습률 옵티마이저\n- SGD : 확률적 경사 하강법\n")
    write_note(notes, "b.md", "Softmax\n- 확률로 바꿈 ![d](d.png)\n- Adam : 모멘텀 + RMSProp\n")
    (notes / "d.png").write_bytes(b"\x89PNG one")
    cached = ["export", str(notes), "--rules", str(REPO / "rules")]

    def both(step: str) -> None:
        for d in ("warm", "cold"):
            shutil.rmtree(tmp_path / d, ignore_errors=True)
        r = CliRunner().invoke(main, [*cached, "--out", str(tmp_path / "warm")])
        assert r.exit_code == 0, r.output
        export(notes, tmp_path / "cold")
        warm = anki_notes(tmp_path, tmp_path / "warm" / "Study Notes.apkg", f"w{step}")
        cold = anki_notes(tmp_path, tmp_path / "cold" / "Study Notes.apkg", f"c{step}")
        assert [n[:3] for n in warm] == [n[:3] for n in cold], step

    both("first")
    both("again")
    write_note(notes, "a.md", "## Optimization\n- Adam : 바뀐 설명\n- Lion : 새 옵티마이저\n")
    both("edited")
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite")
    db.execute("DELETE FROM blobs WHERE kind IN ('card', 'fields')")  # lost entries are rebuilt
    db.commit()
    db.close()
    both("lost")


# -- hostile outputs and states ----------------------------------------------------------------

def _terms_in(apkg: Path, tmp: Path) -> list[str]:
    c = Collection(str(tmp / f"{apkg.stem}-check.anki2"))
    try:
        import_into(c, apkg)
        return sorted(notes_by_term(c))
    finally:
        c.close()


def test_split_deck_files_never_collide(tmp_path):
    """Decks A/B and A_B (and '..' beside '.') once wrote one file: the second was reported unchanged
    and its cards were in no package."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, deck, term in (("one", "A/B", "Alpha"), ("two", "A_B", "Beta"), ("three", "..", "Gamma"),
                             ("four", ".", "Delta"), ("five", "가" * 100, "Epsilon")):
        (rules / f"{name}.yaml").write_text(f"deck: {json.dumps(deck)}\nmatch: {{terms: [{term}]}}\n",
                                            encoding="utf-8")
    notes = write_note(tmp_path / "notes", "n.md", "".join(f"- {t} : {t} 설명\n"
                                                           for t in ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")))
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(tmp_path / "d"), "--no-cache", "--split",
                                  "--rules", str(rules)])
    assert r.exit_code == 0, r.output
    assert "Unchanged" not in r.output
    packages = sorted((tmp_path / "d").glob("*.apkg"))
    assert len(packages) == 5 and all(len(p.name.encode()) <= 255 - 14 for p in packages)
    assert sorted(t for p in packages for t in _terms_in(p, tmp_path)) == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]


@pytest.mark.parametrize("name", ["", "   ", "::", "A::  ::B", "a\nb"])
def test_names_that_cannot_be_a_deck_are_refused(tmp_path, name):
    notes = write_note(tmp_path / "notes", "n.md", "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n")
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(tmp_path / "d"), "--no-cache", "--name", name])
    assert r.exit_code == 2 and "error: --name" in r.stderr and not (tmp_path / "d").exists()


def test_root_names_that_are_not_file_names_get_files_of_their_own(tmp_path):
    notes = write_note(tmp_path / "notes", "n.md", "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n")
    for name in ("..", ".", "가" * 100):
        export(notes, tmp_path / "d", "--name", name)
    packages = sorted((tmp_path / "d").glob("*.apkg"))
    assert len(packages) == 3 and all(_terms_in(p, tmp_path) == ["Adam"] for p in packages)


def test_only_media_files_are_packed(tmp_path):
    """An image reference to .env, .git/config or any file that is not an image (or audio/video) by its
    extension and its bytes never puts that file into the package."""
    notes = tmp_path / "notes"
    write_note(notes, "n.md", "- Secret : 보기 ![a](.env) ![b](.git/config) ![c](notes.txt) ![d](fake.png) "
                              "![e](real.png) ![f](.hidden/pic.png)\n")
    (notes / ".env").write_text("API_KEY=hunter2\n", encoding="utf-8")
    (notes / ".git").mkdir()
    (notes / ".git" / "config").write_text("[remote] token=abc123\n", encoding="utf-8")
    (notes / "notes.txt").write_text("plain private text\n", encoding="utf-8")
    (notes / "fake.png").write_text("PRIVATE=1, not a png\n", encoding="utf-8")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    (notes / "real.png").write_bytes(png)
    (notes / ".hidden").mkdir()
    (notes / ".hidden" / "pic.png").write_bytes(png + b"hidden")
    out = export(notes, tmp_path / "d", "--verbose")
    with zipfile.ZipFile(tmp_path / "d" / "Study Notes.apkg") as z:
        media = json.loads(z.read("media"))
        assert len(media) == 1 and z.read(next(iter(media))) == png
        blob = b"".join(z.read(n) for n in z.namelist())
    for secret in (b"hunter2", b"abc123", b"private text", b"PRIVATE=1", png + b"hidden"):
        assert secret not in blob
    for ref in (".env", ".git/config", "notes.txt", "fake.png", ".hidden/pic.png"):
        assert f"image '{ref}' not packed" in out, ref


def test_a_missing_image_is_warned_about_once(tmp_path):
    notes = write_note(tmp_path / "notes", "n.md", "- Adam : ![x](gone.png) 그리고 다시 ![x](gone.png)\n"
                                                  "- Adam : 두 번째 설명 ![x](gone.png)\n")
    out = export(notes.parent, tmp_path / "d", "--verbose")
    assert out.count("n.md:1: image 'gone.png' not found") == 1 and out.count("n.md:2: image 'gone.png'") == 1


@pytest.mark.parametrize("breakage", [
    lambda m: m["notes"].update({k: "not an object" for k in list(m["notes"])[:1]}),
    lambda m: next(iter(m["notes"].values())).update(mod="abc"),
    lambda m: m.update(media=[1, 2]),
    lambda m: m.update(notes=[1, 2]),
])
def test_a_manifest_of_the_wrong_shape_is_rebuilt_from_the_package(tmp_path, monkeypatch, col, breakage):
    notes = tmp_path / "notes"
    write_note(notes, "a.md", "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n- SGD : 확률적 경사 하강법\n")
    out = tmp_path / "d"
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)
    export(notes, out)
    manifest = out / "Study Notes.manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    breakage(data)
    manifest.write_text(json.dumps(data), encoding="utf-8")
    write_note(notes, "a.md", "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저 (고침)\n- SGD : 확률적 경사 하강법\n")
    monkeypatch.setattr(time, "time", lambda: 1_800_000_100.0)
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--no-cache", "--rules",
                                  str(REPO / "rules"), "--verbose"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    assert "manifest.json: not a manifest this tool wrote" in r.stderr and "rebuilt from the package" in r.stderr
    import_into(col, out / "Study Notes.apkg")
    by_term = notes_by_term(col)
    assert "고침" in by_term["Adam"]["Definition"] and by_term["Adam"].mod == 1_800_000_100
    assert by_term["SGD"].mod == 1_800_000_000  # unchanged: its time was taken from the package
    again = json.loads(manifest.read_text(encoding="utf-8"))  # and the manifest is whole again
    assert set(again["notes"]) == {n.guid for n in by_term.values()}
