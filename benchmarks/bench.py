#!/usr/bin/env python3
"""Benchmark `cards export` against the parser floor, as whole processes.

  python benchmarks/bench.py --notes 1000
  python benchmarks/bench.py --notes 10000 --keep

Builds a vault of N notes with ../shared/bench/make_vault.py from ../shared/corpus/notes
(both overridable), then times:
  floor    read every note and parse it to a mistune AST, nothing else, one process
  cold     `cards export` with an empty cache
  warm     the same again, nothing changed
  touched  again after appending a line to one note
and prints wall time, the ratio to the floor, peak RSS (largest process) and notes/second.
Run on demand; never part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

FLOOR = """
import sys, mistune
from pathlib import Path
md = mistune.create_markdown(renderer=None)
n = 0
for p in sorted(Path(sys.argv[1]).rglob("*.md")):
    md(p.read_text(encoding="utf-8", errors="replace"))
    n += 1
print(n)
"""

# Runs a command and reports the peak RSS of its process tree's largest member (Linux/macOS).
WRAP = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(peak * (1 if sys.platform == "darwin" else 1024) // (1 << 20), rc)
"""


def timed(cmd: list[str], env: dict) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"command failed ({rc}): {' '.join(cmd)}")
    return seconds, int(peak)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "notes")
    ap.add_argument("--make-vault", type=Path, default=SHARED / "bench" / "make_vault.py")
    ap.add_argument("--workdir", type=Path, default=None, help="where to build the vault (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the vault, cache and decks")
    args = ap.parse_args()
    if not args.corpus.is_dir() or not args.make_vault.is_file():
        raise SystemExit(f"need {args.corpus} and {args.make_vault} (the shared/ folder beside the repo)")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cards-bench-"))
    vault, cache, decks = work / "vault", work / "cache", work / "decks"
    for d in (vault, cache, decks):
        shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sys.executable, str(args.make_vault), str(args.corpus), str(vault), "--notes", str(args.notes)],
                   check=True, stdout=subprocess.DEVNULL)
    size = sum(p.stat().st_size for p in vault.rglob("*.md"))
    if hasattr(os, "sync"):
        os.sync()  # write the new vault out now, not in the background of the runs timed below
    env = dict(os.environ, CARDS_CACHE_DIR=str(cache))
    cards = shutil.which("cards") or "cards"
    export = [cards, "export", str(vault), "--out", str(decks), "--quiet", "--rules", str(REPO / "rules")]

    rows = []
    floor, floor_rss = timed([sys.executable, "-c", FLOOR, str(vault)], env)
    rows.append(("floor (read + mistune AST, 1 process)", floor, floor_rss))
    rows.append(("cold export (empty cache)", *timed(export, env)))
    rows.append(("warm export (nothing changed)", *timed(export, env)))
    first = sorted(vault.rglob("*.md"))[0]
    with open(first, "a", encoding="utf-8") as fh:
        fh.write("\n- Benchmark term : added to touch one note\n")
    rows.append(("export after touching one note", *timed(export, env)))

    print(f"{args.notes} notes, {size / 1e6:.1f} MB, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}")
    print(f"{'step':40s} {'seconds':>8s} {'x floor':>8s} {'peak RSS':>9s} {'notes/s':>8s}")
    cold = rows[1][1]
    for name, secs, rss in rows:
        print(f"{name:40s} {secs:8.2f} {secs / floor:8.2f} {rss:7d}MB {args.notes / secs:8.0f}")
    print(f"warm = {rows[2][1] / cold:.1%} of cold, one note touched = {rows[3][1] / cold:.1%} of cold")
    if args.keep:
        print(f"kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
