"""Rule files: schema errors name file, line and field; topic assignment is deterministic and explained."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cards.cli import main
from cards.pipeline import build
from cards.rules import RuleError, load_rules

REPO = Path(__file__).resolve().parents[1]

NOTE = """---
title: Day 1
tags: [vision]
---
## Optimization
- Adam : 모멘텀과 RMSprop을 합친 옵티마이저
- Warmup : 처음 몇 스텝은 학습률을 작게 시작

## 기타
- Pooling : feature map 크기를 줄이는 연산
- Tokenizer : 문장을 토큰 단위로 자르는 도구
- KD : 큰 모델을 티처 삼아 작은 모델을 학습
- Knowledge distillation : 지식을 작은 모델로 옮기는 방법
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def decks_for(tmp_path: Path, rules: dict[str, str], note: str = NOTE, note_name: str = "nlp/day1.md"):
    """Decks of the note's cards under these rule files alone: the defaults that place what no rule file
    claims are switched off unless the files set `defaults:` themselves (they have their own tests)."""
    vault = tmp_path / "vault"
    (vault / Path(note_name).parent).mkdir(parents=True, exist_ok=True)
    (vault / note_name).write_text(note, encoding="utf-8")
    rules = dict(rules)
    if "defaults:" not in rules.get("_global.yaml", ""):
        rules["_global.yaml"] = rules.get("_global.yaml", "") + "\ndefaults: []\n"
    rs = load_rules(write(tmp_path / "rules", rules))
    res = build([vault], rs, root="R", jobs=1, cache_dir=None)
    return {c.term: c.deck for c in res.cards}, res


# term keyword > term word > heading > tag > folder; priority first; fallback for the rest
TABLE = [
    ({"opt.yaml": "match: {terms: [adam]}"}, {"Adam": "R::Opt", "Pooling": "R::Unsorted"}),
    ({"kd.yaml": "match: {terms: [distillation]}"}, {"Knowledge distillation": "R::Kd", "KD": "R::Unsorted"}),
    ({"a.yaml": "match: {terms: [knowledge distillation]}", "b.yaml": "match: {terms: [knowledge]}"},
     {"Knowledge distillation": "R::A"}),  # the whole term beats one of its words, whatever the file order
    ({"a.yaml": "match: {terms: [knowledge]}", "b.yaml": "match: {terms: [knowledge distillation]}"},
     {"Knowledge distillation": "R::B"}),
    ({"opt.yaml": "match: {headings: [optimization]}"}, {"Adam": "R::Opt", "Warmup": "R::Opt", "Pooling": "R::Unsorted"}),
    ({"cv.yaml": "match: {tags: [vision]}"}, {"Adam": "R::Cv", "Tokenizer": "R::Cv"}),
    ({"nlp.yaml": "match: {folders: [nlp]}"}, {"Tokenizer": "R::Nlp", "Adam": "R::Nlp"}),
    ({"nlp.yaml": "match: {folders: ['nlp/*.md']}"}, {"Tokenizer": "R::Nlp"}),
    ({"cv.yaml": "match: {tags: [vision]}", "opt.yaml": "match: {headings: [optimization]}"},
     {"Adam": "R::Opt", "Pooling": "R::Cv"}),  # heading beats tag
    ({"cv.yaml": "match: {terms: [pooling]}\npriority: 0", "opt.yaml": "match: {headings: [기타]}\npriority: 5"},
     {"Pooling": "R::Opt"}),  # priority beats evidence
    ({"opt.yaml": "match: {term_regex: ['^(Adam|Warm)']}\ndeck: 'DL::Optim'"}, {"Adam": "R::DL::Optim", "Warmup": "R::DL::Optim"}),
    ({"_global.yaml": "fallback_topic: Inbox"}, {"Adam": "R::Inbox"}),
]


@pytest.mark.parametrize("rules,expected", TABLE, ids=[str(i) for i in range(len(TABLE))])
def test_topic_table(tmp_path, rules, expected):
    decks, _ = decks_for(tmp_path, rules)
    for term, deck in expected.items():
        assert decks[term] == deck, (term, decks)


def test_a_keyword_matches_a_word_of_a_longer_term(tmp_path):
    _, res = decks_for(tmp_path, {"kd.yaml": "match: {terms: [distillation, pool]}"})
    kd = next(c for c in res.cards if c.term == "Knowledge distillation")
    assert kd.topic_reason == "kd.yaml: term word 'distillation'"
    pooling = next(c for c in res.cards if c.term == "Pooling")
    assert pooling.topic == "Unsorted"  # a word, not a piece of one


def test_assignment_is_deterministic_and_explained(tmp_path):
    rules = {"a.yaml": "match: {headings: [기타]}", "b.yaml": "match: {headings: [기타]}"}
    d1, res = decks_for(tmp_path, rules)
    d2, _ = decks_for(tmp_path / "again", rules)
    assert d1 == d2
    assert d1["Pooling"] == "R::A"  # equal claims: the first file in name order
    pooling = next(c for c in res.cards if c.term == "Pooling")
    assert pooling.topic_reason == "a.yaml: heading '기타'"


def test_alias_groups_merge_cards_and_name_the_term(tmp_path):
    decks, res = decks_for(tmp_path, {"t.yaml": "aliases: [[Knowledge distillation, KD, 지식 증류]]"})
    kd = [c for c in res.cards if c.term == "Knowledge distillation"]
    assert len(kd) == 1 and "KD" not in decks
    assert len(kd[0].explanations) == 2 and "KD" in kd[0].aliases


def test_topic_stop_terms_and_disabled_patterns(tmp_path):
    decks, res = decks_for(tmp_path, {"opt.yaml": "match: {headings: [optimization]}\nstop_terms: [warmup]"})
    assert "Warmup" not in decks and "Adam" in decks
    assert any(r.reason == "topic stop-term" and r.term == "Warmup" for r in res.rejections)
    decks, res = decks_for(tmp_path / "2", {"opt.yaml": "match: {headings: [optimization]}\ndisable: [C001]"})
    assert "Adam" not in decks and "Pooling" in decks
    assert any(r.reason == "pattern off" for r in res.rejections)


def test_global_settings(tmp_path):
    decks, res = decks_for(tmp_path, {"_global.yaml": "disable: [C001]"})
    assert not {"Adam", "Pooling", "Tokenizer", "KD"} & set(decks)
    assert any(r.reason == "pattern off" and r.term == "Adam" for r in res.rejections)
    decks, res = decks_for(tmp_path / "2", {"_global.yaml": "stop_terms: [tokenizer]"})
    assert "Tokenizer" not in decks and any(r.reason == "stop-term" and r.term == "Tokenizer" for r in res.rejections)


def test_user_pattern(tmp_path):
    note = "- Attention ~ 중요한 부분에 가중치를 주는 방법\n"
    rules = {"nlp.yaml": "patterns:\n  - id: U001\n    regex: '^(?P<term>[A-Z]\\w+) ~ (?P<definition>.+)$'\n"}
    decks, res = decks_for(tmp_path, rules, note=note)
    card = next(c for c in res.cards if c.term == "Attention")
    assert card.rule == "U001" and "가중치" in card.definition


def test_catastrophic_user_regex_is_bounded(tmp_path):
    note = "- " + "a" * 5000 + "!\n- Adam : 적응형 학습률 옵티마이저\n"
    rules = {"bad.yaml": "patterns:\n  - id: SLOW\n    regex: '^(?P<term>(a+)+)(?P<definition>b)$'\n"}
    decks, res = decks_for(tmp_path, rules, note=note)
    assert "Adam" in decks  # the note still gives its cards
    timeouts = [r for r in res.rejections if r.reason == "regex timeout"]
    assert timeouts and "SLOW" in timeouts[0].detail and timeouts[0].source.line == 1
    assert any(w.kind == "rules" and "SLOW" in w.message and w.line == 1 for w in res.warnings)


# -- errors: one message shape, `path:line: field: message` --------------------------------

ERRORS = [
    ("bad YAML", "topic: [unclosed\n", r"^{p}:2: not valid YAML"),
    ("not a mapping", "- a\n- b\n", r"^{p}:1: a rule file must be a mapping"),
    ("unknown key", "topic: X\nmatch:\n  tems: [a]\n", r"^{p}:3: match\.tems: unknown field \(allowed here: .*terms"),
    ("unknown top key", "topic: X\ndek: Y\n", r"^{p}:2: dek: unknown field"),
    ("wrong type", "topic: X\npriority: high\n", r"^{p}:2: priority: Input should be a valid integer"),
    ("bad regex", "match:\n  term_regex: ['(unclosed']\n", r"^{p}:2: match\.term_regex: invalid regex"),
    ("pattern without groups", "patterns:\n  - id: U1\n    regex: 'a:b'\n",
     r"^{p}:3: patterns\.0\.regex: the regex needs named groups"),
    ("one-name alias group", "aliases:\n  - [KD]\n", r"^{p}:1: aliases: an alias group needs at least two names"),
    ("empty deck part", "deck: 'A::'\n", r"^{p}:1: deck: deck name has an empty part"),
]


@pytest.mark.parametrize("name,text,shape", ERRORS, ids=[e[0] for e in ERRORS])
def test_rule_errors(tmp_path, name, text, shape):
    folder = write(tmp_path / "rules", {"good.yaml": "topic: Good\n", "topic.yaml": text})
    path = str(folder / "topic.yaml")
    with pytest.raises(RuleError) as exc:
        load_rules(folder)
    assert re.match(shape.format(p=re.escape(path)), str(exc.value)), str(exc.value)


def test_duplicate_topic_name(tmp_path):
    folder = write(tmp_path / "rules", {"a.yaml": "topic: Vision\n", "b.yaml": "topic: vision\n"})
    with pytest.raises(RuleError) as exc:
        load_rules(folder)
    assert str(exc.value).startswith(f"{folder / 'b.yaml'}:1: topic: topic 'vision' is already defined in")


def test_conflicting_aliases(tmp_path):
    folder = write(tmp_path / "rules", {"a.yaml": "aliases: [[KD, Knowledge distillation]]\n",
                                        "b.yaml": "aliases: [[KD, Kernel density]]\n"})
    with pytest.raises(RuleError) as exc:
        load_rules(folder)
    assert str(exc.value).startswith(f"{folder / 'b.yaml'}: aliases: alias 'KD' is also in the group")


def test_cli_bad_rule_file_exits_2_and_applies_nothing(tmp_path):
    write(tmp_path / "rules", {"x.yaml": "match:\n  tems: [a]\n"})
    (tmp_path / "n.md").write_text("- Adam : 적응형 학습률 옵티마이저\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["extract", str(tmp_path / "n.md"), "--rules", str(tmp_path / "rules"), "--no-cache"])
    assert r.exit_code == 2
    assert "x.yaml:2: match.tems: unknown field" in r.output
    assert "Adam" not in r.output


def test_rules_commands(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "rules"
    r = runner.invoke(main, ["rules", "new", "Computer Vision", "--rules", str(folder)])
    assert r.exit_code == 0 and (folder / "computer-vision.yaml").exists()
    load_rules(folder)  # the starter file is valid as written
    assert runner.invoke(main, ["rules", "new", "Computer Vision", "--rules", str(folder)]).exit_code == 2
    (folder / "computer-vision.yaml").write_text("topic: Computer Vision\nmatch: {terms: [pooling]}\n", encoding="utf-8")
    (tmp_path / "n.md").write_text("- Pooling : 크기를 줄임\n- Adam : 적응형 학습률 옵티마이저\n- SGD : 미니배치 경사 하강\n"
                                   "- Momentum : 관성을 더한 경사 하강\n", encoding="utf-8")
    r = runner.invoke(main, ["rules", "check", str(tmp_path / "n.md"), "--rules", str(folder)])
    assert r.exit_code == 0
    assert "Pooling  ← computer-vision.yaml: term 'pooling'" in r.output
    assert "Adam  ← starter topic 'Optimization'" in r.output  # no rule file claims it: a default places it
    (folder / "_global.yaml").write_text("defaults: []\n", encoding="utf-8")
    r = runner.invoke(main, ["rules", "check", str(tmp_path / "n.md"), "--rules", str(folder)])
    assert "Unsorted (fallback: nothing places these): 3 cards" in r.output
    (folder / "_global.yaml").unlink()
    r = runner.invoke(main, ["rules", "list", str(tmp_path / "n.md"), "--rules", str(folder)])
    assert "Computer Vision  → deck Computer Vision" in r.output and "1 cards" in r.output
    schema = json.loads(runner.invoke(main, ["rules", "schema"]).output)
    assert schema["additionalProperties"] is False and "match" in schema["properties"]
    r = runner.invoke(main, ["rules", "patterns"])
    assert "C001" in r.output and "stop-term" in r.output


def test_shipped_rules_are_valid():
    rs = load_rules(Path(__file__).resolve().parents[1] / "rules")
    assert len(rs.topics) >= 5


def test_rules_check_reports_every_bad_file(tmp_path):
    folder = write(tmp_path / "rules", {"a.yaml": "dek: X\n", "b.yaml": "priority: high\n", "c.yaml": "topic: C\n"})
    r = CliRunner().invoke(main, ["rules", "check", "--rules", str(folder)])
    assert r.exit_code == 2
    assert "a.yaml:1: dek: unknown field" in r.output and "b.yaml:1: priority:" in r.output
    assert "2 problem(s)" in r.output


def test_python_dash_m_runs():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "cards", "--help"], capture_output=True, text=True, check=True)
    assert "extract" in out.stdout and "export" in out.stdout


def test_a_term_regex_that_times_out_costs_only_itself_and_is_warned(tmp_path):
    """It once cancelled its whole topic (the exact `terms:` too) and the card went to the fallback
    topic without a word."""
    term, other = "a" * 40 + "x", "a" * 40 + "y"
    note = f"- {term} : 긴 이름의 개념\n- {other} : 다른 긴 이름의 개념\n- Adam : 적응형 학습률 옵티마이저\n"
    rules = {"slow.yaml": f"topic: Slow\nmatch:\n  terms: [{term}]\n  term_regex: ['(a|aa)+$']\n"}
    decks, res = decks_for(tmp_path, rules, note=note)
    card = next(c for c in res.cards if c.term == term)
    assert card.topic == "Slow" and card.topic_reason == f"slow.yaml: term {term!r}"  # its exact claim stands
    # only the card the regex had to decide on is warned about (the exact claim needs no regex at all)
    assert [w.line for w in res.warnings if w.kind == "rules" and "term_regex '(a|aa)+$'" in w.message
            and "slow.yaml" in w.message and "timeout" in w.message] == [2]


LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))


@pytest.mark.parametrize("where", ["rule file", "front matter"])
def test_a_billion_laughs_is_refused_before_it_is_built(tmp_path, where):
    """Aliases that expand to 9^9 values: refused by the size of their node tree (a subprocess whose memory
    is limited, so the old expansion fails instead of eating the machine)."""
    import subprocess
    import sys
    laughs = "l0: &l0 lol\n" + LAUGHS
    rules = write(tmp_path / "rules", {"topic.yaml": "topic: T\n"})
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_text("- Adam : 모멘텀과 RMSprop을 합친 옵티마이저\n", encoding="utf-8")
    if where == "rule file":
        (rules / "laughs.yaml").write_text(laughs + "match:\n  terms: *l9\n", encoding="utf-8")
    else:
        (notes / "laughs.md").write_text("---\n" + laughs + "tags: *l9\n---\n- SGD : 확률적 경사 하강법\n",
                                         encoding="utf-8")

    def limit():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "cards", "extract", str(notes), "--rules", str(rules), "--no-cache",
                        "--format", "jsonl"], capture_output=True, text=True, env=env, timeout=300, preexec_fn=limit)
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr, r.stderr[-2000:]
    if where == "rule file":
        assert r.returncode == 2 and "laughs.yaml: refused: more than" in r.stderr and "aliases" in r.stderr
        r = subprocess.run([sys.executable, "-m", "cards", "rules", "check", "--rules", str(rules)],
                           capture_output=True, text=True, env=env, timeout=300, preexec_fn=limit)
        assert r.returncode == 2 and "laughs.yaml: refused" in r.stderr
    else:
        assert r.returncode == 0
        assert sorted(json.loads(ln)["term"] for ln in r.stdout.splitlines()) == ["Adam", "SGD"]
        assert "laughs.md:1: front matter ignored: more than" in r.stderr


def test_a_root_that_cannot_be_a_deck_is_a_rule_error(tmp_path):
    folder = write(tmp_path / "rules", {"_global.yaml": "root: ' :: '\n"})
    with pytest.raises(RuleError, match=r"_global\.yaml:1: root: a deck name needs text"):
        load_rules(folder)


def test_min_confidence_holds_back_and_one_option_brings_in(tmp_path):
    """What the confidence model holds back is listed by --explain with its evidence; --min-confidence 0 (or
    `min_confidence: 0` in _global.yaml) brings it in, and the cache never serves the other setting's result."""
    from click.testing import CliRunner
    from cards.cli import main
    note = tmp_path / "n.md"
    note.write_text("## 기본 개념\n- Thread : 프로세스 안에서 실행되는 흐름의 단위\n- Process : 실행 중인 프로그램\n"
                    "- Mutex : 한 번에 한 스레드만 들어가게 하는 잠금\n", encoding="utf-8")
    cache = {"CARDS_CACHE_DIR": str(tmp_path / "cache")}
    run = CliRunner().invoke

    def terms(*args):
        r = run(main, ["extract", str(note), "--format", "jsonl", *args], env=cache)
        assert r.exit_code == 0, r.output
        return [json.loads(ln)["term"] for ln in r.stdout.splitlines() if ln.startswith("{")], r.stderr

    kept, _ = terms()
    assert "기본 개념" not in kept and {"Thread", "Process", "Mutex"} <= set(kept)
    _, explained = terms("--explain")
    assert "unsure [B101]: '기본 개념' (confidence" in explained
    everything, _ = terms("--min-confidence", "0")
    assert "기본 개념" in everything
    assert terms()[0] == kept  # the cached run with the other cut is not reused
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "_global.yaml").write_text("min_confidence: 0\n", encoding="utf-8")
    assert "기본 개념" in terms("--rules", str(rules))[0]
    (rules / "_global.yaml").write_text("min_confidence: 2\n", encoding="utf-8")
    r = run(main, ["extract", str(note), "--rules", str(rules)])
    assert r.exit_code == 2 and "min_confidence" in r.stderr
    from cards.extract.confidence import DEFAULT_MIN_CONFIDENCE
    assert f"else {DEFAULT_MIN_CONFIDENCE})" in " ".join(run(main, ["extract", "--help"]).output.split())


def test_a_chinese_clause_is_not_read_as_one_name():
    """Chinese and Japanese write no spaces between words: a clause must not look like a one-word back
    (`back_one_name` weighs hard against a card), while a bare name still does."""
    from cards.extract.confidence import back_features
    clause = dict(back_features("不能被检查；只在项目结束时用于最终评估运行"))
    assert "back_one_name" not in clause
    assert "back_one_name" in dict(back_features("ResNet"))
    assert "back_names_only" not in dict(back_features("用于研究数据和训练模型\n不能用于训练，只能用于评估"))
