"""What every `cards` command shares: exit codes, the common options, building a run, reporting warnings."""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from .extract.confidence import DEFAULT_MIN_CONFIDENCE
from .notes import display
from .rules import RuleError, RuleSet, load_rules

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_OUTPUT = 0, 1, 2, 3


class _Run:
    committed = False  # the command's output is complete: an interrupt now changes nothing


def committed() -> None:
    """Mark the output as written: from now on Ctrl-C or SIGTERM stops the process without calling it failed."""
    _Run.committed = True


def is_committed() -> bool:
    return _Run.committed


def output_error(exc, previous: str = "") -> None:
    """Say that an output could not be written, in one line, and exit with EXIT_OUTPUT (EXIT_USAGE when
    the cause is in the names the user chose)."""
    path = getattr(exc, "path", None)
    tail = previous
    if not tail and path is not None:
        if path.suffix == ".apkg":
            tail = "the previous deck is unchanged" if path.is_file() else "nothing was written"
        elif path.name.endswith(".manifest.json"):
            tail = "the deck was written, not its manifest: the next export writes it in full"
        else:
            tail = "nothing was written"
    click.echo(f"error: {exc}" + (f"; {tail}" if tail else ""), err=True)
    sys.exit(EXIT_USAGE if getattr(exc, "kind", "io") == "names" else EXIT_OUTPUT)


def default_cache() -> Path:
    base = os.environ.get("CARDS_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cards"


def rules_of(rules_dir: Path | None) -> RuleSet:
    if rules_dir is None and Path("rules").is_dir():
        rules_dir = Path("rules")
    try:
        rs = load_rules(rules_dir)
    except RuleError as exc:
        click.echo(f"error: bad rule file: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    ctx = click.get_current_context(silent=True)
    cut = ctx.meta.get("cards.min_confidence") if ctx is not None else None
    if cut is not None:
        rs.set_min_confidence(cut)
    return rs


def _min_confidence(ctx: click.Context, _param, value: float | None) -> None:
    ctx.meta["cards.min_confidence"] = value


class _Progress:
    """A progress bar on stderr, only on a terminal and not under --quiet."""

    def __init__(self, total: int, quiet: bool):
        self.bar = None
        if not quiet and total >= 200 and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label="reading notes", file=sys.stderr)
            self.bar.__enter__()

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def build_run(paths, rules_dir, root, jobs, no_cache, quiet):
    """Load the rule files and build the cards of PATHS, with a progress bar and the cache (unless --no-cache)."""
    from .pipeline import build, collect
    from .runner import clean_stale_temp
    rs = rules_of(rules_dir)
    clean_stale_temp()  # what a killed run left in the temporary folder
    collected = files, _ = collect(list(paths))
    prog = _Progress(len(files), quiet)
    try:
        res = build(list(paths), rs, root=root, jobs=jobs, cache_dir=None if no_cache else default_cache(),
                    progress=prog, collected=collected)
    finally:
        prog.close()
    if res.cache is not None:  # the cache writes in the background: let them land before the command returns
        cache = res.cache
        click.get_current_context().call_on_close(lambda: _cache_done(cache, quiet))
    return rs, res


def _cache_done(cache, quiet: bool) -> None:
    """Let the cache's writes land, then say once why it was not (fully) used: the run was slower for it."""
    cache.flush()
    if cache.problem and not quiet:
        click.echo(f"note: ran without the cache: {display(cache.problem)} (only slower; --no-cache skips it)",
                   err=True)


def summarise_warnings(warnings, quiet: bool, limit: int = 5) -> None:
    if not warnings or quiet:
        return
    kinds = Counter(w.kind for w in warnings)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    click.echo(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} ({parts}):", err=True)
    for w in warnings[:limit]:
        click.echo(f"  {w}", err=True)
    if len(warnings) > limit:
        click.echo(f"  … and {len(warnings) - limit} more (run with --verbose to see all)", err=True)


_common = [
    click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path)),
    click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False),
                 help="Folder of rule files (default: ./rules when it exists)."),
    click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: cores)."),
    click.option("--no-cache", is_flag=True, help="Ignore and do not write the cache of parsed notes."),
    click.option("--quiet", "-q", is_flag=True, help="Print no progress or warnings summary."),
    click.option("--verbose", "-v", is_flag=True, help="List every warning."),
    click.option("--strict", is_flag=True, help="Treat warnings as a failure (exit 1)."),
    click.option("--min-confidence", type=click.FloatRange(0.0, 1.0), default=None, expose_value=False,
                 callback=_min_confidence, is_eager=True,
                 help="Hold back candidates less sure than this (default: `min_confidence` in rules/_global.yaml, "
                      f"else {DEFAULT_MIN_CONFIDENCE}). 0 keeps every candidate; --explain lists what is held back "
                      "and why."),
]


def common(f):
    for deco in reversed(_common):
        f = deco(f)
    return f
