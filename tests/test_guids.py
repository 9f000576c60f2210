"""Note GUIDs live in a namespace per root deck, checked by importing packages with the official
`anki` package: two roots never touch each other's notes, a renamed root that keeps its namespace
updates its notes in place, and decks exported by cards 0.1 (one namespace for every root) keep
updating in place after the upgrade, review history included."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

anki_collection = pytest.importorskip("anki.collection", reason="the official anki package is a test dependency")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest

from cards.cli import main  # noqa: E402
from cards.models import term_key  # noqa: E402
from cards.naming import guid_for_term, legacy_guid  # noqa: E402
from cards.rules import GlobalRules  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy_0_1"

NOTES = "- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n- Dropout : 학습 중 뉴런 일부를 끄는 정규화\n"


def export(notes: Path, out: Path, *args: str, rules: Path = REPO / "rules") -> str:
    r = CliRunner().invoke(main, ["export", str(notes), "--out", str(out), "--no-cache", "--rules", str(rules),
                                  *args])
    assert r.exit_code == 0, r.output
    return r.output


def import_into(col, apkg: Path):
    opts = col._backend.get_import_anki_package_presets()  # the desktop's defaults (update if newer)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(apkg), options=opts)).log


def answer(col, card) -> None:
    card.start_timer()
    states = col._backend.get_scheduling_states(card.id)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=3))


def notes_by_term(col) -> dict:
    return {n["Term"]: n for n in (col.get_note(nid) for nid in col.find_notes(""))}


@pytest.fixture
def col(tmp_path):
    c = Collection(str(tmp_path / "collection.anki2"))
    yield c
    c.close()


def rules_with(tmp_path: Path, global_yaml: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "_global.yaml").write_text(global_yaml, encoding="utf-8")
    return rules


def test_two_roots_in_one_profile_never_update_each_others_notes(tmp_path, col):
    for name in ("course", "vault"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "n.md").write_text(NOTES.replace("옵티마이저", f"옵티마이저 ({name})"), encoding="utf-8")
    export(tmp_path / "course", tmp_path / "d", "--name", "AI Tech")
    export(tmp_path / "vault", tmp_path / "d", "--name", "Study Notes")
    first = import_into(col, tmp_path / "d" / "AI Tech.apkg")
    assert (len(first.new), len(first.updated)) == (2, 0)
    second = import_into(col, tmp_path / "d" / "Study Notes.apkg")
    assert (len(second.new), len(second.updated), len(second.duplicate)) == (2, 0, 0)
    adams = [n for n in (col.get_note(nid) for nid in col.find_notes("")) if n["Term"] == "Adam"]
    assert sorted("(course)" in n["Definition"] for n in adams) == [False, True]  # both kept their own text
    assert {col.decks.name(n.cards()[0].did).split("::")[0] for n in adams} == {"AI Tech", "Study Notes"}


def test_a_renamed_root_that_keeps_its_namespace_updates_in_place_with_history(tmp_path, col):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_text(NOTES, encoding="utf-8")
    export(notes, tmp_path / "d", "--name", "AI Tech")
    import_into(col, tmp_path / "d" / "AI Tech.apkg")
    adam = notes_by_term(col)["Adam"]
    card = adam.cards()[0]
    answer(col, card)
    card.load()
    reps, ivl = card.reps, card.ivl

    (notes / "n.md").write_text(NOTES.replace("옵티마이저", "옵티마이저 (고침)"), encoding="utf-8")
    time.sleep(1.1)  # a new package's notes are stamped with the export's second: Anki updates only newer ones
    rules = rules_with(tmp_path, "renamed_roots:\n  Machine Learning: AI Tech\n")
    export(notes, tmp_path / "d", "--name", "Machine Learning", rules=rules)
    log = import_into(col, tmp_path / "d" / "Machine Learning.apkg")
    assert (len(log.new), len(log.updated)) == (0, 2)
    after = notes_by_term(col)
    assert len(after) == 2 and after["Adam"].id == adam.id and "(고침)" in after["Adam"]["Definition"]
    card = col.get_card(card.id)
    assert (card.reps, card.ivl) == (reps, ivl)
    assert col.db.scalar("select count() from revlog where cid=?", card.id) == 1


def test_a_rename_without_the_setting_is_a_new_deck_family(tmp_path, col):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n.md").write_text(NOTES, encoding="utf-8")
    export(notes, tmp_path / "d", "--name", "AI Tech")
    import_into(col, tmp_path / "d" / "AI Tech.apkg")
    export(notes, tmp_path / "d", "--name", "Machine Learning")
    log = import_into(col, tmp_path / "d" / "Machine Learning.apkg")
    assert (len(log.new), len(log.updated)) == (2, 0)


def test_namespace_follows_renames_and_compares_names_as_anki_does():
    g = GlobalRules(renamed_roots={"C": "B", " b ": "AI Tech", "loop": "loop"})
    assert g.guid_namespace("C") == g.guid_namespace("ai tech") == "ai tech"
    assert g.guid_namespace("Courses :: AI") == "courses::ai"
    assert g.guid_namespace("loop") == "loop"
    assert guid_for_term("adam", "ai tech") != guid_for_term("adam", "study notes")
    assert guid_for_term("a", "b__c") != guid_for_term("a__b", "c")  # the parts cannot run together


def test_decks_exported_by_0_1_keep_updating_in_place_after_the_upgrade(tmp_path, col):
    work = tmp_path / "legacy"
    shutil.copytree(LEGACY, work)
    apkg = work / "decks" / "Study Notes.apkg"
    old_manifest = json.loads((work / "decks" / "Study Notes.manifest.json").read_text(encoding="utf-8"))
    assert "namespace" not in old_manifest  # written by 0.1
    import_into(col, apkg)
    before = notes_by_term(col)
    assert {n.guid for n in before.values()} == set(old_manifest["notes"])
    card = before["Adam"].cards()[0]
    answer(col, card)
    card.load()
    reps, ivl = card.reps, card.ivl

    notes = work / "notes" / "optimizers.md"
    notes.write_text(notes.read_text(encoding="utf-8").replace("옵티마이저", "옵티마이저 (고침)")
                     + "- Momentum : 관성을 더한 경사하강\n", encoding="utf-8")
    export(work / "notes", work / "decks")
    log = import_into(col, apkg)
    assert [n.fields[0] for n in log.new] == ["Momentum"]  # the only new note; the others matched by GUID
    assert "Adam" in [n.fields[0] for n in log.updated]
    after = notes_by_term(col)
    assert {t: n.id for t, n in after.items() if t in before} == {t: n.id for t, n in before.items()}
    assert "(고침)" in after["Adam"]["Definition"]
    card = col.get_card(card.id)
    assert (card.reps, card.ivl) == (reps, ivl)
    assert col.db.scalar("select count() from revlog where cid=?", card.id) == 1
    # the old notes keep their 0.1 GUID; a new one gets the root's namespace
    assert after["Adam"].guid == legacy_guid(term_key("Adam"))
    assert after["Momentum"].guid == guid_for_term(term_key("Momentum"), "study notes") != legacy_guid("momentum")
    manifest = json.loads((work / "decks" / "Study Notes.manifest.json").read_text(encoding="utf-8"))
    assert manifest["namespace"] == "study notes" and manifest["legacy_guids"] is True

    # and again: the manifest now records the namespace, the legacy notes still update in place
    notes.write_text(notes.read_text(encoding="utf-8").replace("(고침)", "(다시)"), encoding="utf-8")
    export(work / "notes", work / "decks")
    log = import_into(col, apkg)
    assert len(log.new) == 0 and "Adam" in [n.fields[0] for n in log.updated]
    assert notes_by_term(col)["Adam"].id == before["Adam"].id
