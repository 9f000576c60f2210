#!/usr/bin/env python3
"""Export the public corpus and count, with Anki itself, the cards that show raw markup.

  python benchmarks/render_check.py            # ../shared/corpus/notes
  python benchmarks/render_check.py NOTES -v   # another folder; -v prints examples of each kind

Writes the deck to a temporary folder with this checkout's rules, then runs
../shared/eval/render_defects.py on it (it imports the package with the official `anki`
package and renders every answer with card.answer()). Its last line is the result:
  cards=N defective=K (P%) escaped-html=… md-image=… …
Run on demand, beside benchmarks/bench.py; tests/test_card_render.py checks each form on a fixture.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notes", type=Path, nargs="?", default=SHARED / "corpus" / "notes")
    ap.add_argument("--checker", type=Path, default=SHARED / "eval" / "render_defects.py")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not args.notes.is_dir() or not args.checker.is_file():
        raise SystemExit(f"need {args.notes} and {args.checker} (the shared/ folder beside the repo)")
    work = Path(tempfile.mkdtemp(prefix="cards-render-"))
    try:
        cards = shutil.which("cards") or "cards"
        subprocess.run([cards, "export", str(args.notes), "--out", str(work), "--no-cache", "--quiet",
                        "--rules", str(REPO / "rules")], check=True)
        apkg = next(work.glob("*.apkg"))
        return subprocess.run([sys.executable, str(args.checker), str(apkg), *(["-v"] if args.verbose else [])]
                              ).returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
