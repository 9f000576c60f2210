"""Output never depends on parallelism or cache state; the cache never serves a stale result."""
from __future__ import annotations

import json
from pathlib import Path

from cards.models import card_to_json
from cards.pipeline import build
from cards.rules import load_rules
from cards.runner import PARALLEL_MIN_FILES

REPO = Path(__file__).resolve().parents[1]


def vault(tmp_path: Path) -> Path:
    v = tmp_path / "vault"
    for n in range(PARALLEL_MIN_FILES + 10):  # enough notes for the process pool to be used
        d = v / f"part{n % 3}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"n{n:03d}.md").write_text(
            f"---\ntags: [t{n % 4}]\n---\n## Optimization\n- Adam : 옵티마이저 {n % 5}\n- Term{n} : 정의 {n}\n"
            f"Pooling\n- feature map 크기를 줄임 {n % 2}\n- 꿀팁 : 잡담 {n}\n", encoding="utf-8")
    return v


def dump(res) -> str:
    return json.dumps([card_to_json(c) for c in res.cards], ensure_ascii=False) + json.dumps(
        [(r.term, r.reason, r.source.path, r.source.line) for r in res.rejections], ensure_ascii=False)


def test_cold_warm_single_and_pool_give_identical_output(tmp_path):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    single = dump(build([v], rs, jobs=1, cache_dir=None))
    pool = dump(build([v], rs, jobs=2, cache_dir=None))
    cold = dump(build([v], rs, jobs=2, cache_dir=cache))
    warm = dump(build([v], rs, jobs=2, cache_dir=cache))
    assert single == pool == cold == warm
    assert any(cache.rglob("*.pkl"))


def test_cache_is_never_stale(tmp_path):
    v, cache = vault(tmp_path), tmp_path / "cache"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "opt.yaml").write_text("match: {terms: [adam]}\n", encoding="utf-8")
    first = build([v], load_rules(rules), cache_dir=cache)
    assert {c.deck for c in first.cards if c.term == "Adam"} == {"Study Notes::Opt"}
    (rules / "opt.yaml").write_text("match: {terms: [adam]}\ndeck: Optimizers\n", encoding="utf-8")
    second = build([v], load_rules(rules), cache_dir=cache)  # a rule edit is seen
    assert {c.deck for c in second.cards if c.term == "Adam"} == {"Study Notes::Optimizers"}
    note = next(v.rglob("n000.md"))
    note.write_text(note.read_text(encoding="utf-8") + "- Lion : 새 옵티마이저\n", encoding="utf-8")
    third = build([v], load_rules(rules), cache_dir=cache)  # a note edit is seen
    assert "Lion" in {c.term for c in third.cards}
    assert dump(third) == dump(build([v], load_rules(rules), cache_dir=None))


def test_corrupt_cache_files_are_ignored(tmp_path):
    v, rs, cache = vault(tmp_path), load_rules(REPO / "rules"), tmp_path / "cache"
    expected = dump(build([v], rs, cache_dir=cache))
    for p in cache.rglob("*.pkl"):
        p.write_bytes(b"not a pickle")
    assert dump(build([v], rs, cache_dir=cache)) == expected
