#!/usr/bin/env python3
"""Fit the confidence weights (cards/extract/weights.py) on hand-labelled notes, and check them on notes they were
not fitted on.

  python benchmarks/calibrate.py                 # cross-validate by part, then fit on everything and print
  python benchmarks/calibrate.py --write         # ... and write cards/extract/weights.py
  python benchmarks/calibrate.py --cv-only       # only the held-out report

The labels are ../shared/eval/corpus-gold (five parts of real notes by 24 authors) and
../shared/eval/seeds-gold. Every candidate the extractor proposes (with no confidence cut) is matched to
the labels of its note the way ../shared/eval/score.py matches cards: a candidate whose term is a
required card and whose back covers the labelled definition is a positive; one that names no labelled
card, a negative label, or a required card with a wrong back is a negative; one that only matches an
optional label is left out (the scorer neither rewards nor punishes it).

The model is an L2-regularised logistic regression over the evidence features of cards/confidence.py,
fitted by Newton's method in plain Python: no learning library, here or at run time.

Held-out check: for each part, the weights are fitted on the other parts (and the seeds), and the real
pipeline (`cards extract NOTE --format jsonl`, in process) is scored on that part with score.py. This is
the number to believe; the fit on everything is what ships.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cards.extract import confidence, weights  # noqa: E402
from cards.extract import Settings, extract_text  # noqa: E402
from cards.models import card_to_json  # noqa: E402
from cards.notes import parse_note  # noqa: E402
from cards.pipeline import build  # noqa: E402
from cards.rules import RuleSet  # noqa: E402

SHARED = REPO.parent / "shared"
PARTS = ["part-a", "part-b", "part-c", "part-d", "part-e"]


def load_score(path: Path):
    spec = importlib.util.spec_from_file_location("score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Data:
    def __init__(self, shared: Path, baddef_neutral: bool = True):
        self.baddef_neutral = baddef_neutral
        self.score = load_score(shared / "eval" / "score.py")
        self.sets: dict[str, tuple[dict, Path]] = {}
        for part in PARTS:
            self.sets[part] = (self.score.load_gold(shared / "eval" / "corpus-gold" / f"{part}.jsonl"),
                               shared / "corpus" / "notes")
        self.sets["seeds"] = (self.score.load_gold(shared / "eval" / "seeds-gold"), shared / "seeds")

    def note_path(self, notes: Path, name: str) -> Path:
        import glob
        direct = notes / name
        return direct if direct.is_file() else next(iter(notes.rglob(glob.escape(name))))

    def examples(self, part: str) -> list[tuple[dict[str, float], int, str]]:
        """(features, label, description) for every candidate of the part's notes."""
        gold, notes = self.sets[part]
        sc = self.score
        out = []
        for name, items in sorted(gold.items()):
            path = self.note_path(notes, name)
            note = parse_note(path.read_bytes(), str(path))
            cands, _ = extract_text(note.text, str(path), Settings(min_confidence=0.0))
            by_term: dict[str, list[dict]] = defaultdict(list)
            for it in items:
                for n in [it["term"], *it.get("aliases", [])]:
                    by_term[sc.norm_term(n)].append(it)
            for c in cands:
                hits = [it for it in by_term.get(sc.norm_term(c.term), []) if it["kind"] in ("required", "optional")]
                good = [it for it in hits if sc.overlap(c.definition, it["definition"]) >= 0.5
                        and not sc.too_long(c.definition, it["definition"])]
                if any(it["kind"] == "required" for it in good):
                    label = 1
                elif hits and all(it["kind"] == "optional" for it in hits):
                    continue  # neither rewarded nor punished
                elif hits and self.baddef_neutral:
                    continue
                else:
                    label = 0
                out.append((c.evidence, label, f"{name}:{c.source.line}\t{c.rule}\t{c.term}"))
        return out

    def evaluate(self, part: str, w: dict[str, float], b: float, threshold: float,
                 counts: dict[str, int] | None = None) -> tuple[float, float, float]:
        """Strict F1, P, R of the real pipeline on a part with these weights, as score.py counts them
        (and the counts added to `counts`, for a total over parts)."""
        gold, notes = self.sets[part]
        old = confidence.WEIGHTS, confidence.BIAS
        confidence.WEIGHTS, confidence.BIAS = w, b
        rules = RuleSet()
        rules.glob.min_confidence = threshold
        tot: dict[str, int] = defaultdict(int)
        try:
            for name, items in sorted(gold.items()):
                res = build([self.note_path(notes, name)], rules, cache_dir=None, jobs=1)
                s = self.score.score_note([card_to_json(c) for c in res.cards], items, 0.5)
                for k in ("required", "hit_strict", "tp_strict", "fp_strict"):
                    tot[k] += s[k]
        finally:
            confidence.WEIGHTS, confidence.BIAS = old
        for k, v in tot.items():
            if counts is not None:
                counts[k] = counts.get(k, 0) + v
        p, r, f = self.score.prf(tot["tp_strict"], tot["fp_strict"], tot["hit_strict"], tot["required"])
        return f, p, r


def fit(examples: list[tuple[dict[str, float], int, str]], l2: float = 1.0, iters: int = 30,
        weight=lambda desc: 1.0) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression by Newton's method (the bias is not regularised).
    `weight(description)` weighs each example (1 by default)."""
    names = sorted({k for f, _, _ in examples for k in f})
    idx = {k: i + 1 for i, k in enumerate(names)}
    n = len(names) + 1
    rows = [([(0, 1.0)] + [(idx[k], v) for k, v in f.items() if v], y, weight(d)) for f, y, d in examples]
    beta = [0.0] * n
    for _ in range(iters):
        grad = [0.0] * n
        hess = [[0.0] * n for _ in range(n)]
        for x, y, wt in rows:
            z = sum(beta[i] * v for i, v in x)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g, h = wt * (p - y), wt * p * (1 - p)
            for i, vi in x:
                grad[i] += g * vi
                hi = hess[i]
                for j, vj in x:
                    hi[j] += h * vi * vj
        for i in range(1, n):
            grad[i] += l2 * beta[i]
            hess[i][i] += l2
        hess[0][0] += 1e-6
        step = _solve(hess, grad)
        beta = [bi - si for bi, si in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return {k: round(beta[idx[k]], 4) for k in names if abs(beta[idx[k]]) >= 1e-4}, round(beta[0], 4)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a·x = b (a symmetric positive definite) by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        piv = m[c][c] or 1e-12
        for r in range(c + 1, n):
            fct = m[r][c] / piv
            if fct:
                row, src = m[r], m[c]
                for k in range(c, n + 1):
                    row[k] -= fct * src[k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / (m[r][r] or 1e-12)
    return x


def write_weights(path: Path, w: dict[str, float], b: float, note: str) -> None:
    lines = ['"""Confidence weights (see confidence.py). Written by benchmarks/calibrate.py; do not edit by hand.',
             "", note.strip(), '"""', f"BIAS = {b!r}", "WEIGHTS: dict[str, float] = {"]
    lines += [f"    {k!r}: {v!r}," for k, v in sorted(w.items(), key=lambda kv: -abs(kv[1]))]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--threshold", type=float, default=confidence.DEFAULT_MIN_CONFIDENCE)
    ap.add_argument("--seeds-weight", type=float, default=2.0,
                    help="weight of the seed notes' candidates (the first user's own notes) in every fit")
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--write", action="store_true", help="write cards/extract/weights.py with the fit on all parts")
    args = ap.parse_args()
    data = Data(args.shared)
    ex = {part: data.examples(part) for part in [*PARTS, "seeds"]}
    seeds = {d for _, _, d in ex["seeds"]}

    def weight(desc: str) -> float:
        return args.seeds_weight if desc in seeds else 1.0

    print("candidates (positives/all): " + ", ".join(
        f"{p} {sum(y for _, y, _ in e)}/{len(e)}" for p, e in ex.items()))
    print(f"held-out strict F1 / P / R at confidence >= {args.threshold} (fitted on the other parts and the seeds):")
    held: dict[str, int] = {}
    for part in PARTS:
        train = [e for p, es in ex.items() if p != part for e in es]
        w, b = fit(train, args.l2, weight=weight)
        f, p, r = data.evaluate(part, w, b, args.threshold, held)
        print(f"  {part}: F1={f:.3f} P={p:.3f} R={r:.3f}")
    p, r, f = data.score.prf(held["tp_strict"], held["fp_strict"], held["hit_strict"], held["required"])
    print(f"  all parts: F1={f:.3f} P={p:.3f} R={r:.3f}")
    if args.cv_only:
        return 0
    w, b = fit([e for es in ex.values() for e in es], args.l2, weight=weight)
    print("fitted on all parts and the seeds:")
    for part in [*PARTS, "seeds"]:
        f, p, r = data.evaluate(part, w, b, args.threshold)
        print(f"  {part}: F1={f:.3f} P={p:.3f} R={r:.3f}")
    for k, v in sorted(w.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {v:+.3f}  {k}")
    print(f"  {b:+.3f}  (bias)")
    if args.write:
        n_pos = sum(y for es in ex.values() for _, y, _ in es)
        n_all = sum(len(es) for es in ex.values())
        write_weights(REPO / "cards" / "extract" / "weights.py", w, b,
                      f"Fitted on {n_all} labelled candidates ({n_pos} positive) from corpus-gold parts a-e and "
                      f"seeds-gold\n(the seeds weighted {args.seeds_weight}), L2 = {args.l2}.")
        print("wrote cards/extract/weights.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
