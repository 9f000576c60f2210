"""Topics for the cards no rule file claims: the note's folder, its front matter, the starter topics,
the rule topic that claims most of its note, in a documented order a setting can change."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cards.cli import main
from cards.pipeline import build
from cards.rules import RuleSet, load_rules
from cards.topics import STARTER_DIR, is_container, pretty, starters

NOTES = {
    "os.md": "- Process : 실행 중인 프로그램\n- Thread : 프로세스 안의 실행 단위\n"
             "- Deadlock : 서로의 자원을 기다리며 멈춘 상태\n- Semaphore : 공유 자원에 들어갈 수를 세는 값\n"
             "- Shared memory : 프로세스가 함께 쓰는 메모리\n",
    "net.md": "- TCP : 연결을 맺고 순서를 보장하는 전송 프로토콜\n- UDP : 연결 없이 보내는 전송 프로토콜\n"
              "- Router : 패킷의 길을 정하는 장치\n- Handshake : 연결 전에 주고받는 인사\n- Latency budget : 허용 지연\n",
    "opt.md": "- SGD : 미니배치로 gradient를 근사\n- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n"
              "- Learning rate : 한 걸음의 크기\n- Warmup : 처음에는 작은 학습률로 시작\n",
    "misc.md": "- Mise en place : 요리 전에 재료를 모두 준비해 두기\n- Roux : 버터와 밀가루를 볶은 것\n",
}


def vault(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def decks(res) -> dict[str, str]:
    return {c.term: c.deck for c in res.cards}


def by_note(res) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in res.cards:
        out.setdefault(Path(c.source.path).name, set()).add(c.deck)
    return out


def rules_from(tmp_path: Path, files: dict[str, str]) -> RuleSet:
    return load_rules(vault(tmp_path / "rules", files))


def test_without_rule_files_notes_about_different_subjects_get_different_decks(tmp_path):
    res = build([vault(tmp_path / "v", NOTES)], RuleSet(), jobs=1, cache_dir=None)
    notes = by_note(res)
    assert all(len(d) == 1 for d in notes.values()), notes  # a note's cards stay together
    assert notes["os.md"] == {"Study Notes::Operating Systems"}
    assert notes["net.md"] == {"Study Notes::Computer Networks"}
    assert notes["opt.md"] == {"Study Notes::Deep Learning::Optimization"}
    assert notes["misc.md"] == {"Study Notes::Unsorted"}  # nothing says what cooking notes are about
    latency = next(c for c in res.cards if c.term == "Latency budget")
    assert latency.topic_reason.startswith("starter topic 'Computer Networks': ")
    assert "topic::Computer_Networks" in latency.tags and not any(t == "topic::Unsorted" for t in latency.tags)
    roux = next(c for c in res.cards if c.term == "Roux")
    assert roux.topic_reason.startswith("nothing places it") and "topic::Unsorted" in roux.tags


def test_subject_folders_name_topics_and_containers_do_not(tmp_path):
    v = vault(tmp_path / "v", {
        "python/decorators.md": "- Decorator : 함수를 감싸 기능을 더하는 함수\n- Closure : 바깥 변수를 기억하는 함수\n",
        "python/generators.md": "- Generator : yield로 값을 하나씩 내는 함수\n",
        "cooking/sauces.md": "- Roux : 버터와 밀가루를 볶은 것\n",
        "cooking/knives.md": "- Santoku : 일본식 만능 칼\n",
        "daily/2024-05-01.md": "- Julienne : 채소를 가늘고 길게 써는 방법\n",
        "daily/2024-05-02.md": "- Brunoise : 아주 작은 깍둑썰기\n",
        "attachments/readme.md": "- Blob : 첨부 파일 묶음\n",
    })
    res = build([v], RuleSet(), jobs=1, cache_dir=None)
    d = decks(res)
    assert d["Decorator"] == d["Generator"] == "Study Notes::Python"
    assert d["Roux"] == d["Santoku"] == "Study Notes::Cooking"
    assert d["Julienne"] == d["Brunoise"] == d["Blob"] == "Study Notes::Unsorted"  # not topics
    gen = next(c for c in res.cards if c.term == "Generator")
    assert gen.topic_reason == "folder 'python'"


def test_a_folder_whose_notes_are_about_different_subjects_is_not_a_topic(tmp_path):
    v = vault(tmp_path / "v", {f"alice/{k}": t for k, t in NOTES.items() if k != "misc.md"}
              | {"bob/cook.md": NOTES["misc.md"], "bob/cook2.md": "- Santoku : 일본식 만능 칼\n"})
    d = decks(build([v], RuleSet(), jobs=1, cache_dir=None))
    assert d["TCP"] == "Study Notes::Computer Networks" and d["Adam"] == "Study Notes::Deep Learning::Optimization"
    assert d["Roux"] == "Study Notes::Bob"  # bob's notes share no subject a starter topic knows: his folder tells
    # two notes are enough to tell, when each clearly has its own subject (a course's folder, not a subject)
    v = vault(tmp_path / "v2", {"course/os.md": NOTES["os.md"], "course/net.md": NOTES["net.md"],
                                "kitchen/a.md": NOTES["misc.md"], "kitchen/b.md": "- Santoku : 칼\n"})
    d = decks(build([v], RuleSet(), jobs=1, cache_dir=None))
    assert (d["Thread"], d["TCP"], d["Roux"]) == \
        ("Study Notes::Operating Systems", "Study Notes::Computer Networks", "Study Notes::Kitchen")


@pytest.mark.parametrize("tags,expected", [
    (["[sauces]", "[sauces]", "[knives]", "[knives]"], ["Sauces", "Sauces", "Knives", "Knives"]),
    (["[blog]", "[blog]", "[knives]", "[knives]"], ["Unsorted", "Unsorted", "Knives", "Knives"]),  # a container
    (["[cooking]", "[cooking]", "[cooking]", "[cooking]"], ["Unsorted"] * 4),  # the same on every note
])
def test_front_matter_tags_that_tell_subjects_apart(tmp_path, tags, expected):
    terms = ["Roux", "Béchamel", "Santoku", "Gyuto"]
    files = {f"n{i}.md": f"---\ntags: {t}\n---\n- {term} : 요리 용어 {i}\n" for i, (t, term) in
             enumerate(zip(tags, terms))}
    d = decks(build([vault(tmp_path / "v", files)], RuleSet(), jobs=1, cache_dir=None))
    assert [d[t] for t in terms] == [f"Study Notes::{e}" for e in expected]


def test_a_label_that_names_a_starter_topic_is_that_topic(tmp_path):
    files = {"a.md": "---\ntags: [nlp]\n---\n- Roux : 볶은 밀가루\n", "b.md": "---\ntags: [nlp]\n---\n- Santoku : 칼\n",
             "c.md": "---\ntags: [kitchen]\n---\n- Gyuto : 칼\n", "d.md": "---\ntags: [kitchen]\n---\n- Wok : 팬\n"}
    res = build([vault(tmp_path / "v", files)], RuleSet(), jobs=1, cache_dir=None)
    roux = next(c for c in res.cards if c.term == "Roux")
    assert roux.deck == "Study Notes::Deep Learning::Natural Language Processing"
    assert roux.topic_reason == "front matter 'nlp' names the topic 'Natural Language Processing'"


def test_the_rule_topic_that_claims_a_quarter_of_a_note_takes_the_rest(tmp_path):
    v = vault(tmp_path / "v", NOTES)
    rs = rules_from(tmp_path, {"systems.yaml": "match: {terms: [thread, deadlock, semaphore]}"})
    res = build([v], rs, jobs=1, cache_dir=None)
    notes = by_note(res)
    assert notes["os.md"] == {"Study Notes::Systems"}
    process = next(c for c in res.cards if c.term == "Process")
    assert re.fullmatch(r"note os\.md: systems\.yaml claims 3 of its \d+ cards", process.topic_reason)
    rs = rules_from(tmp_path / "one", {"systems.yaml": "match: {terms: [thread]}"})  # one of five: not the note
    notes = by_note(build([v], rs, jobs=1, cache_dir=None))
    assert notes["os.md"] == {"Study Notes::Systems", "Study Notes::Operating Systems"}


def test_a_rule_topic_named_like_a_starter_topic_receives_its_cards(tmp_path):
    rs = rules_from(tmp_path, {"os.yaml": "topic: Operating Systems\ndeck: 'CS::OS'\nmatch: {terms: [fork]}"})
    notes = by_note(build([vault(tmp_path / "v", NOTES)], rs, jobs=1, cache_dir=None))
    assert notes["os.md"] == {"Study Notes::CS::OS"}


@pytest.mark.parametrize("setting,os_deck,misc_deck", [
    ("defaults: []", "Unsorted", "Unsorted"),
    ("defaults: [folder]", "Ops", "Kitchen"),
    ("defaults: [starter]\nfallback_topic: Inbox", "Operating Systems", "Inbox"),
    ("defaults: [starter, folder]", "Operating Systems", "Kitchen"),
])
def test_the_order_is_a_setting(tmp_path, setting, os_deck, misc_deck):
    v = vault(tmp_path / "v", {"ops/os.md": NOTES["os.md"], "ops/os2.md": "- Mutex : 한 번에 하나만\n",
                               "kitchen/misc.md": NOTES["misc.md"], "kitchen/k.md": "- Santoku : 칼\n"})
    rs = rules_from(tmp_path, {"_global.yaml": setting})
    d = decks(build([v], rs, jobs=1, cache_dir=None))
    assert (d["Thread"], d["Roux"]) == (f"Study Notes::{os_deck}", f"Study Notes::{misc_deck}")


def test_a_bad_defaults_setting_names_the_file_and_field(tmp_path):
    from cards.rules import RuleError
    with pytest.raises(RuleError) as exc:
        rules_from(tmp_path, {"_global.yaml": "defaults: [folders]\n"})
    assert "_global.yaml:1: defaults.0:" in str(exc.value)


def test_explain_says_what_placed_each_card(tmp_path, monkeypatch):
    v = vault(tmp_path / "v", NOTES)
    monkeypatch.chdir(tmp_path)  # no ./rules here
    r = CliRunner().invoke(main, ["extract", str(v), "--explain", "--no-cache"])
    assert r.exit_code == 0, r.output
    assert "topic: Operating Systems (starter topic 'Operating Systems': " in r.output
    assert "topic: Unsorted (nothing places it" in r.output


def test_starter_topics_are_valid_rule_files_and_ship_with_the_package():
    st = starters()
    names = {t.name for t in st.topics}
    assert {"Deep Learning", "Optimization", "Computer Vision", "Natural Language Processing",
            "Recommender Systems", "Reinforcement Learning", "MLOps", "Databases", "Operating Systems",
            "Computer Networks", "Data Structures & Algorithms"} <= names
    assert any("Statistics" in n for n in names)
    for t in st.topics:  # vocabulary only: nothing that changes which lines become cards
        assert not (t.rules.patterns or t.rules.disable or t.rules.stop_terms or t.rules.aliases), t.path
    import tomllib
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "starter/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["cards"]
    assert STARTER_DIR.is_dir()


@pytest.mark.parametrize("name,container", [
    ("attachments", True), ("daily", True), ("_posts", True), ("2024", True), ("2024-03", True), ("week 3", True),
    ("Day_12", True), ("3주차", True), ("part001", True), (".obsidian", True), ("python", False), ("ML", False),
    ("Deep Learning", False), ("cs231n", False), ("운영체제", False),
])
def test_containers(name, container):
    assert is_container(name) is container


def test_pretty_names():
    assert [pretty(n) for n in ["machine-learning", "nlp", "Deep_Learning", "운영체제"]] == \
        ["Machine Learning", "NLP", "Deep Learning", "운영체제"]
