"""What `pip install .` (the README's quick start) puts on a machine: every module of the package."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_every_module_and_the_starter_topics(tmp_path):
    """A wheel built from the project holds each .py file of cards/ and its sub-packages (a package list in
    pyproject.toml once left cards/extract/ out: the installed `cards` then failed on its first import)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "cards", src / "cards", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                          str(src)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    wheel = next((tmp_path / "dist").glob("cards-*.whl"))
    packed = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(src).as_posix() for p in (src / "cards").rglob("*")
              if p.suffix in (".py", ".yaml", ".css", ".js", ".html") and p.is_file()}
    assert any(w.startswith("cards/extract/") for w in wanted) and any(w.startswith("cards/starter/") for w in wanted)
    assert wanted - packed == set()
