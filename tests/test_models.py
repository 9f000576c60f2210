"""Validation, normalised term keys, merging, and the block line map."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from cards.blocks import parse_blocks
from cards.dedupe import merge_cards
from cards.models import Candidate, Card, Rejection, Source, card_to_json, term_key, validate
from cards.notes import parse_note


def cand(term, definition="설명", line=1, path="a.md", aliases=()):
    return Candidate(term=term, definition=definition, aliases=list(aliases), rule="C001",
                     source=Source(path=path, line=line))


@pytest.mark.parametrize("a,b", [("메타 러닝", "메타러닝"), ("**KD**", "kd"), ("Cross-Entropy", "cross entropy"),
                                 (unicodedata.normalize("NFD", "증류"), "증류"), ("Batch_Norm", "batch norm")])
def test_term_key_equal(a, b):
    assert term_key(a) == term_key(b)


@pytest.mark.parametrize("a,b", [("KD", "KL"), ("배치", "미니배치"), ("C++", "C")])
def test_term_key_distinct(a, b):
    assert term_key(a) != term_key(b)


def test_validate_accepts_and_cleans():
    card = validate(cand("  Adam ", "- 모멘텀 + RMSprop\n  - 적응형"), "Day 1", "2024-09-02")
    assert isinstance(card, Card)
    assert card.term == "Adam" and card.definition == "모멘텀 + RMSprop\n  적응형"
    assert card.explanations[0].note_title == "Day 1"


@pytest.mark.parametrize("term,definition,reason", [
    ("", "x", "invalid"), ("a b c d e f g h i j", "x", "too long"), ("Adam", "   ", "invalid"),
    ("Adam", "x" * 5000, "too long"), ("line\nbreak", "x", "invalid"), ("***", "x", "invalid"),
])
def test_validate_rejects_with_reason(term, definition, reason):
    r = validate(cand(term, definition, line=7))
    assert isinstance(r, Rejection)
    assert r.reason == reason and r.source.line == 7 and r.detail


def test_aliases_equal_to_the_term_are_dropped():
    card = validate(cand("KD", aliases=["kd", "지식 증류"]))
    assert card.aliases == ["지식 증류"]


def _cards(*cands):
    return [validate(c) for c in cands]


def test_merge_by_key_keeps_every_distinct_explanation_once():
    cards = _cards(cand("메타 러닝", "학습하는 법을 학습", 3), cand("메타러닝", "학습하는 법을 학습", 9, "b.md"),
                   cand("Meta-Learning", "적은 데이터로 빠르게 적응", 12))
    merged, n = merge_cards(cards)
    assert n == 1 and len(merged) == 2  # Meta-Learning is a different key without an alias
    meta = merged[0]
    assert meta.term == "메타 러닝" and [e.source.line for e in meta.explanations] == [3]
    assert [(s.path, s.line) for s in meta.explanations[0].also_in] == [("b.md", 9)]
    assert len(card_to_json(meta)["sources"]) == 2


def test_merge_through_aliases_from_notes_and_rules():
    cards = _cards(cand("Knowledge distillation", "지식 전달", aliases=["증류"]), cand("증류", "혼합물 분리", 5),
                   cand("KD", "티처 삼아", 8))
    merged, n = merge_cards(cards)
    assert [c.term for c in merged] == ["Knowledge distillation", "KD"] and n == 1
    merged, n = merge_cards(cards, [["KD", "Knowledge distillation"]])
    assert len(merged) == 1 and n == 2
    assert merged[0].term == "KD" and set(merged[0].aliases) >= {"Knowledge distillation", "증류"}
    assert len(merged[0].explanations) == 3


def test_merge_spelling_variants_but_not_notation():
    """`Optimizers` and `optimizer`, `역전파 알고리즘` and `역전파` are one concept each; a one-letter alias
    (`행동 (A)`) is notation and must not pull in every card whose term is `A`."""
    cards = _cards(cand("Optimizers", "옵티마이저들"), cand("optimizer", "파라미터를 갱신하는 방법", 3),
                   cand("역전파 알고리즘", "미분을 뒤로 전달", 5, aliases=["Back Propagation"]),
                   cand("역전파", "체인룰로 gradient를 계산", 7), cand("행동", "취할 수 있는 선택지", 9, aliases=["A"]),
                   cand("A", "알파벳의 첫 글자", 11), cand("Process", "실행 중인 프로그램", 13),
                   cand("Statistics", "자료를 요약하는 학문", 15), cand("Statistic", "표본의 함수", 17))
    merged, _ = merge_cards(cards)
    assert [c.term for c in merged] == ["Optimizers", "역전파 알고리즘", "행동", "A", "Process", "Statistics",
                                        "Statistic"]
    assert [len(c.explanations) for c in merged[:2]] == [2, 2]


def test_merge_a_name_with_and_without_its_article():
    """`The Loss Function` and `Loss Function` are one concept; an article before a single word (`A`,
    `The`) or a phrase that is not a name (`A Star`, a one-word name after it) merges nothing new."""
    cards = _cards(cand("The Loss Function", "예측과 정답의 차이를 재는 함수"), cand("Loss Function", "손실 함수", 3),
                   cand("A Star", "그래프 탐색 알고리즘", 5), cand("Star", "별", 7))
    merged, _ = merge_cards(cards)
    assert [c.term for c in merged] == ["The Loss Function", "A Star", "Star"]
    assert len(merged[0].explanations) == 2


def test_one_acronym_spelled_out_two_ways_is_two_cards():
    """`SSD` the object detector and `SSD` the disk share a name, not a concept. The first card's sense
    keeps the term `SSD` (and so its note in Anki); the other is shown by its spelled-out name; a bare `SSD`
    joins the sense most cards spell out. Cards that only share the spelled-out name still merge."""
    cards = _cards(cand("SSD", "한 번에 박스를 찾는 검출기", aliases=["Single Shot Detector"]),
                   cand("SSD", "플래시 메모리 저장 장치", 3, aliases=["Solid State Disk"]),
                   cand("Single Shot Detector", "YOLO와 비슷한 1-stage 검출기", 5),
                   cand("SSD", "여러 scale의 feature map을 쓴다", 7),
                   cand("Exact Match", "정답과 글자가 모두 같은 비율", 9, aliases=["EM"]),
                   cand("Expectation Maximization", "숨은 변수를 번갈아 추정", 11, aliases=["EM"]))
    merged, _ = merge_cards(cards)
    assert [(c.term, len(c.explanations)) for c in merged] == [
        ("SSD", 3), ("Solid State Disk", 1), ("Exact Match", 1), ("Expectation Maximization", 1)]
    assert "SSD" in merged[1].aliases
    assert len({term_key(c.term) for c in merged}) == len(merged)  # distinct terms: distinct notes in Anki


def test_one_card_whose_other_name_contradicts_both_sides_does_not_join_them():
    """One note's `정확도 (Precision)` would join Accuracy's cards with Precision's; a lone
    `DQN (Reinforcement learning)` would make every reinforcement-learning card a DQN card. Names that
    agree still join: a translation, an acronym and its words, a name with its article."""
    cards = _cards(cand("정확도", "전체 중 맞춘 비율", aliases=["Accuracy"]), cand("Accuracy", "correct / total", 3),
                   cand("정밀도", "양성 예측 중 진짜 양성", 5, aliases=["Precision"]),
                   cand("Precision", "TP / (TP + FP)", 7),
                   cand("정확도", "정답과 값들의 거리", 9, aliases=["Precision"]),  # the bridge
                   cand("DQN", "Q-learning을 신경망으로", 11, aliases=["Reinforcement learning"]),
                   cand("Reinforcement learning", "보상을 최대화하는 행동을 배운다", 13),
                   cand("reinforcement learning", "learning from rewards", 15),
                   cand("Knowledge distillation", "큰 모델로 작은 모델을 가르침", 17, aliases=["KD"]),
                   cand("KD", "teacher의 soft label", 19), cand("KD", "distillation loss", 21),
                   cand("토큰화", "문장을 토큰으로 나눔", 23, aliases=["Tokenizing"]), cand("토큰화", "토큰 단위로", 25),
                   cand("Tokenization", "splitting text", 27, aliases=["토큰화"]), cand("Tokenization", "into tokens", 29),
                   cand("The Loss Function", "예측과 정답의 차이", 31), cand("Loss Function", "손실", 33),
                   cand("loss function", "what we minimise", 35))
    merged, _ = merge_cards(cards)
    terms = {c.term: len(c.explanations) for c in merged}
    assert terms["정확도"] == 3 and terms["정밀도"] == 2  # the bridge stays with 정확도, its term
    assert terms["DQN"] == 1 and terms["Reinforcement learning"] == 2
    assert terms["Knowledge distillation"] == 3 and terms["토큰화"] == 4 and terms["The Loss Function"] == 3


def test_joining_cards_are_the_cards_without_which_a_group_falls_apart():
    """Checked against removing each card in turn, on random groups."""
    import random
    from cards.dedupe import group_cards, joining_cards
    rng = random.Random(7)
    for _ in range(300):
        claims = [rng.sample("abcdefg", rng.randint(1, 3)) for _ in range(rng.randint(3, 9))]
        for group in group_cards(claims):
            slow = [b for b in group if len(group_cards([claims[i] for i in group if i != b])) > 1]
            assert joining_cards(group, claims) == slow, (group, claims)


def test_merge_is_order_stable():
    cards = _cards(cand("B"), cand("A"), cand("b", "다른 설명"))
    assert [c.term for c in merge_cards(cards)[0]] == ["B", "A"]


def test_card_json_shape_is_stable():
    card = validate(cand("Adam", "옵티마이저", 4))
    d = card_to_json(card)
    for key in ("term", "definition", "aliases", "topic", "deck", "tags", "context", "source", "rule", "guid"):
        assert key in d
    assert d["source"] == {"path": "a.md", "line": 4}


def test_block_lines_follow_the_source():
    text = "# H\n\nTerm\n- a : b\n  lazy\n  - nested\n\n```\nx: 1\n```\n| a | b |\n|---|---|\n| c | d |\n> q : r\n"
    got = [(b.line, b.kind, b.text) for b in parse_blocks(text)]
    assert got == [(1, "heading", "H"), (3, "para", "Term"), (4, "item", "a : b"), (5, "item", "lazy"),
                   (6, "item", "nested"), (8, "code", "x: 1\n"), (11, "table", "a | b"), (13, "table", "c | d"),
                   (14, "quote", "q : r")]


def test_notes_title_date_tags():
    n = parse_note(b"---\ntitle: T\ndate: 2024-01-02\ntags: a b\ncategories: [x, y]\n---\nbody\n", "n.md")
    assert (n.title, n.date, n.tags, n.categories) == ("T", "2024-01-02", ["a", "b"], ["x", "y"])
    assert n.text.split("\n")[6] == "body"  # line numbers kept
    n = parse_note("# 제목\n내용".encode(), "2023-05-06-post.md")
    assert (n.title, n.date) == ("제목", "2023-05-06")
    n = parse_note(b"plain", "notes/file-name.md")
    assert n.title == "file-name"


LISTS = """# Lists of every shape
- a : one
  - nested : two
    - deeper
      1. ordered
      2. again
- b
    - four spaces
\t- a tab
* star
  > quote in a list
  ```
  code in a list
  ```
10. wide number
11. next
    continued
## heading right after
+ plus
   - three spaces
1) paren
- loose

- list
"""


def _block_tokens(md, text: str) -> list[dict]:
    """The block parser's tokens, before inline parsing (which would hide, say, a line's indentation)."""
    state = md.block.state_cls()
    state.process(text if text.endswith("\n") else text + "\n")
    md.block.parse(state)
    return state.tokens


def _same_tokens_as_plain_mistune(text: str) -> None:
    import mistune
    from cards.blocks import _MD
    plain = mistune.create_markdown(renderer=None, plugins=["table", "math"])
    assert _block_tokens(_MD, text) == _block_tokens(plain, text)
    assert _MD(text) == plain(text)


def test_memoised_list_regex_gives_the_tokens_of_plain_mistune():
    """mistune_tuning.py keeps mistune's list-break regex per indent width (for speed); parsing must not change."""
    repo = Path(__file__).resolve().parents[1]
    texts = [LISTS, LISTS.replace("\n", "\n  ")] + [p.read_text(encoding="utf-8")
                                                    for p in sorted((repo / "examples").rglob("*.md"))]
    assert len(texts) > 3
    for text in texts:
        _same_tokens_as_plain_mistune(text)
