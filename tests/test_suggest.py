"""`cards rules suggest` and `cards rules init`: drafts that validate, reproduce the suggested decks on
export, never overwrite a file, and come out the same every time; the first export gives several decks."""
from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from cards.cli import main
from cards.pipeline import build
from cards.rules import DRAFT_MARK, RuleSet, load_rules
from cards.suggest import Suggester, is_dated
from cards.topics import STARTER_DIR

VAULT = {
    "os-1.md": "- Process : 실행 중인 프로그램\n- Thread : 프로세스 안의 실행 단위\n- Deadlock : 서로 기다리며 멈춘 상태\n",
    "os-2.md": "- Semaphore : 들어갈 수 있는 수를 세는 값\n- Mutex : 한 번에 하나만 들어가는 자물쇠\n"
               "- Context switch : CPU가 다른 프로세스로 넘어가는 일\n",
    "net-1.md": "- TCP : 순서를 보장하는 전송 프로토콜\n- UDP : 연결 없이 보내는 전송 프로토콜\n- Router : 패킷의 길을 정함\n",
    "net-2.md": "- DNS : 이름을 IP 주소로 바꿈\n- Subnet mask : 네트워크 부분을 가리는 값\n- Socket : 통신의 끝점\n",
    "knives.md": "# Knife skills\n- Santoku knife : 일본식 만능 칼\n- Gyuto knife : 일본식 셰프 칼\n"
                 "- Knife honing : 칼날을 바로 세우기\n",
    "knives-2.md": "# Knife care\n- Knife sharpening : 숫돌로 칼날 세우기\n- Whetstone knife grit : 숫돌 입자 크기\n"
                   "- Knife storage : 칼 보관\n",
    "day-01.md": "# Day 1\n- Standup : 아침에 모여 한 일 나누기\n- Retro board : 회고 메모판\n",
    "day-02.md": "# Day 2\n- Pairing session : 둘이 함께 코딩\n- Demo day : 결과 발표 날\n",
}


def vault(root: Path, files: dict[str, str] = VAULT) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def decks_by_note(res) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for c in res.cards:
        out[Path(c.source.path).name].add(c.deck)
    return dict(out)


def suggest(args: list[str]):
    r = CliRunner().invoke(main, ["rules", "suggest", *args])
    assert r.exit_code == 0, r.output
    return r


def test_first_export_without_rule_files_gives_several_decks_in_anki(tmp_path, monkeypatch):
    anki_collection = pytest.importorskip("anki.collection")
    v = vault(tmp_path / "notes")
    monkeypatch.chdir(tmp_path)  # no ./rules
    r = CliRunner().invoke(main, ["export", str(v), "--out", str(tmp_path / "decks"), "--no-cache"])
    assert r.exit_code == 0, r.output
    col = anki_collection.Collection(str(tmp_path / "c.anki2"))
    try:
        opts = col._backend.get_import_anki_package_presets()
        col.import_anki_package(anki_collection.ImportAnkiPackageRequest(
            package_path=str(tmp_path / "decks" / "Study Notes.apkg"), options=opts))
        decks = {d.name for d in col.decks.all_names_and_ids()} - {"Default", "Study Notes"}
        assert {"Study Notes::Operating Systems", "Study Notes::Computer Networks"} <= decks
        assert len(decks) >= 3
    finally:
        col.close()


def test_suggested_rule_files_validate_and_export_gives_the_suggested_decks(tmp_path):
    v, rules = vault(tmp_path / "notes"), tmp_path / "rules"
    out = suggest([str(v), "--rules", str(rules), "--no-cache"]).output
    files = sorted(p.name for p in rules.glob("*.yaml"))
    assert "operating-systems.yaml" in files and "computer-networks.yaml" in files and "journal.yaml" in files
    assert "Operating Systems  (6 cards, 2 notes)" in out and "e.g. Process, Thread" in out
    for p in rules.glob("*.yaml"):
        assert p.read_text(encoding="utf-8").startswith(DRAFT_MARK)
    r = CliRunner().invoke(main, ["rules", "check", str(v), "--rules", str(rules)])
    assert r.exit_code == 0 and f"{len(files)} rule file(s) in {rules} are valid" in r.output, r.output
    assert "suggested operating-systems.yaml: " in r.output
    # round trip: the export places every note where the suggestion put it
    res = build([v], load_rules(rules), jobs=1, cache_dir=None)
    notes = decks_by_note(res)
    assert all(len(d) == 1 for d in notes.values()), notes
    assert notes["os-1.md"] == notes["os-2.md"] == {"Study Notes::Operating Systems"}
    assert notes["net-1.md"] == notes["net-2.md"] == {"Study Notes::Computer Networks"}
    assert notes["day-01.md"] == notes["day-02.md"] == {"Study Notes::Journal"}
    assert notes["knives.md"] == notes["knives-2.md"] and "Knife" in next(iter(notes["knives.md"]))
    sg = Suggester(build([v], RuleSet(), jobs=1, cache_dir=None), RuleSet(), "Study Notes")
    suggested = {Path(p).name: d.name for d in sg.run() for p in d.notes}
    assert suggested == {Path(c.source.path).name: c.topic for c in res.cards}


def test_suggest_is_deterministic_and_never_overwrites(tmp_path):
    v = vault(tmp_path / "notes")
    a, b = tmp_path / "a", tmp_path / "b"
    suggest([str(v), "--rules", str(a), "--no-cache"])
    suggest([str(v), "--rules", str(b)])  # with the cache this time
    assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}
    # a file of the user's with a draft's name is kept, the draft goes beside it
    c = tmp_path / "c"
    c.mkdir()
    mine = "topic: Systems\nmatch: {terms: [fork]}\n"
    (c / "operating-systems.yaml").write_text(mine, encoding="utf-8")
    suggest([str(v), "--rules", str(c), "--no-cache"])
    assert (c / "operating-systems.yaml").read_text(encoding="utf-8") == mine
    assert (c / "operating-systems-2.yaml").read_text(encoding="utf-8").startswith(DRAFT_MARK)
    load_rules(c)  # still a valid set: no two topics share a name
    # once the drafts are there, the notes are covered: nothing new to suggest, nothing touched
    before = {p.name: p.read_bytes() for p in a.iterdir()}
    r = suggest([str(v), "--rules", str(a), "--no-cache"])
    assert "rule files already cover these notes" in r.output
    assert {p.name: p.read_bytes() for p in a.iterdir()} == before


def test_suggest_leaves_what_hand_written_rules_claim(tmp_path):
    v, rules = vault(tmp_path / "notes"), tmp_path / "rules"
    rules.mkdir()
    (rules / "networking.yaml").write_text("topic: Networking\nmatch: {terms: [TCP, UDP, DNS, Socket, Router]}\n",
                                           encoding="utf-8")
    suggest([str(v), "--rules", str(rules), "--no-cache"])
    assert not (rules / "computer-networks.yaml").exists()
    drafted = [p for p in rules.glob("*.yaml") if p.name != "networking.yaml"]
    assert drafted and all("priority: -1" in p.read_text(encoding="utf-8") for p in drafted)
    notes = decks_by_note(build([v], load_rules(rules), jobs=1, cache_dir=None))
    assert notes["net-1.md"] == notes["net-2.md"] == {"Study Notes::Networking"}
    assert notes["os-1.md"] == {"Study Notes::Operating Systems"}


def test_dry_run_writes_nothing(tmp_path):
    v, rules = vault(tmp_path / "notes"), tmp_path / "rules"
    r = suggest([str(v), "--rules", str(rules), "--dry-run", "--no-cache"])
    assert "Operating Systems" in r.output and not rules.exists()


def test_rules_init_copies_the_starter_topics_and_export_stays_the_same(tmp_path):
    v, rules = vault(tmp_path / "notes"), tmp_path / "rules"
    before = decks_by_note(build([v], RuleSet(), jobs=1, cache_dir=None))
    rules.mkdir()
    (rules / "databases.yaml").write_text("topic: Databases\nmatch: {terms: [SQL]}\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["rules", "init", "--rules", str(rules)])
    assert r.exit_code == 0 and f"kept {rules / 'databases.yaml'}" in r.output
    assert (rules / "databases.yaml").read_text(encoding="utf-8") == "topic: Databases\nmatch: {terms: [SQL]}\n"
    starters = sorted(p.name for p in STARTER_DIR.glob("*.yaml"))
    assert sorted(p.name for p in rules.glob("*.yaml")) == starters
    assert (rules / "nlp.yaml").read_bytes() == (STARTER_DIR / "nlp.yaml").read_bytes()
    shutil.copy(STARTER_DIR / "databases.yaml", rules / "databases.yaml")
    after = decks_by_note(build([v], load_rules(rules), jobs=1, cache_dir=None))
    assert after == before  # the copies place the cards as the starter topics did


@pytest.mark.parametrize("title,dated", [("Day 001", True), ("Week2_self_evaluation", True), ("3주차 회고", True),
                                         ("2024-05-01", True), ("Boostcamp 36days", True), ("CNN", False),
                                         ("Module 3 - In Class", False), ("Transformer", False)])
def test_diary_titles(title, dated):
    assert is_dated(title) is dated


def test_check_and_list_work_before_any_rule_file(tmp_path, monkeypatch):
    v = vault(tmp_path / "notes")
    monkeypatch.chdir(tmp_path)  # no ./rules
    r = CliRunner().invoke(main, ["rules", "check", str(v)])
    assert r.exit_code == 0, r.output
    assert "No rule files (rules does not exist)" in r.output
    assert "TCP  ← starter topic 'Computer Networks': 3 of the 3 cards of net-1.md point there" in r.output
    r = CliRunner().invoke(main, ["rules", "list", str(v)])
    assert r.exit_code == 0 and "Computer Networks  6 cards" in r.output, r.output
    r = CliRunner().invoke(main, ["rules", "check"])  # nothing to check without notes: a missing folder is an error
    assert r.exit_code == 2 and "rules folder not found" in r.output
