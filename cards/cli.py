"""The `cards` command line. It only parses arguments and calls the modules that do the work."""
from __future__ import annotations

import csv
import gc
import io
import json
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .cli_common import (EXIT_NOTHING, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, build_run, committed, common, is_committed,
                         output_error, summarise_warnings)
from .cli_preview import preview as _preview_cmd
from .cli_rules import rules as _rules_group
from .models import card_to_json
from .notes import display

@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cards")
def main() -> None:
    """Turn Markdown study notes into Anki decks, without rewriting the notes.

    \b
    Quick start:
      cards extract notes/ --explain     see what would become cards, and why
      cards export notes/                write decks/<root>.apkg for Anki
      cards rules check notes/           see which topic each card lands in
    """
    # A big vault leaves millions of small, long-lived tuples in this process (every card and
    # its sources), none of them in a reference cycle. With the default thresholds the cycle
    # collector walks them all again and again: about a quarter of a run's time after the
    # notes are read. Collect far less often; cycles, should any appear, are still freed.
    gc.set_threshold(50_000, 1000, 1000)


@main.command()
@common
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True)
@click.option("--explain", is_flag=True, help="Show each card's pattern, line and topic rule, and every rejected "
              "candidate with its reason.")
def extract(paths, rules_dir, jobs, no_cache, quiet, verbose, strict, fmt, explain):
    """Print the cards that PATHS would give.

    PATHS are note files (any extension) or folders (walked for *.md and *.markdown,
    skipping hidden folders such as .obsidian and .git).

    \b
    Examples:
      cards extract notes/
      cards extract notes/day-20.md --format jsonl > cards.jsonl
      cards extract notes/ --explain
    """
    rs, res = build_run(paths, rules_dir, None, jobs, no_cache, quiet)
    if fmt == "jsonl":
        click.echo("".join(json.dumps(card_to_json(c), ensure_ascii=False) + "\n" for c in res.cards), nl=False)
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["term", "definition", "aliases", "deck", "tags", "path", "line", "rule", "guid"])
        for c in res.cards:
            w.writerow([c.term, c.definition, "; ".join(c.aliases), c.deck, " ".join(c.tags), display(c.source.path),
                        c.source.line, c.rule, c.guid])
        click.echo(buf.getvalue(), nl=False)
    else:
        _print_table(res, explain)
    if explain and fmt != "table":
        _print_rejections(res, err=True)
    summarise_warnings(res.warnings, quiet, limit=10**9 if verbose else 5)
    if strict and res.warnings:
        sys.exit(EXIT_NOTHING)
    if not res.cards and not any(n.ok for n in res.notes):
        click.echo("error: no notes could be read", err=True)
        sys.exit(EXIT_NOTHING)


def _short(text: str, n: int = 70) -> str:
    t = " / ".join(ln.strip() for ln in text.split("\n") if ln.strip())
    return t if len(t) <= n else t[: n - 1] + "…"


def _print_table(res, explain: bool) -> None:
    by_deck: dict[str, list] = {}
    for c in res.cards:
        by_deck.setdefault(c.deck, []).append(c)
    for deck in sorted(by_deck):
        click.secho(f"{deck}  ({len(by_deck[deck])} cards)", bold=True)
        for c in by_deck[deck]:
            alias = f" ({', '.join(c.aliases)})" if c.aliases else ""
            click.echo(f"  {c.term}{alias}: {_short(c.definition)}")
            if explain:
                for e in c.explanations:
                    click.echo(f"      {e.rule} {display(e.source.path)}:{e.source.line}"
                               f"{'  ' + ' > '.join(e.context) if e.context else ''}")
                click.echo(f"      topic: {c.topic} ({c.topic_reason})")
    click.echo(f"{len(res.cards)} cards from {res.notes_read} notes; {res.merged} duplicates merged; "
               f"{len(res.rejections)} candidates rejected")
    if explain:
        _print_rejections(res, err=False)


def _print_rejections(res, err: bool) -> None:
    if not res.rejections:
        return
    click.echo("\nRejected candidates:", err=err)
    for r in res.rejections:
        rule = f" [{r.rule}]" if r.rule else ""
        detail = f" ({r.detail})" if r.detail else ""
        click.echo(f"  {display(r.source.path)}:{r.source.line}: {r.reason}{rule}: {r.term!r}{detail}", err=err)


@main.command()
@common
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("decks"),
              show_default=True, help="Folder for the .apkg (created if missing).")
@click.option("--name", "root", default=None, help="Root deck name (default: `root` in rules/_global.yaml, "
              "else 'Study Notes'). Topics become sub-decks ROOT::Topic.")
@click.option("--split", is_flag=True, help="Write one .apkg per topic instead of one with sub-decks.")
@click.option("--reverse", is_flag=True, help="Also make a reverse card (definition → term) for every note.")
@click.option("--media-root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder images may be taken from (default: the folders given as PATHS).")
def export(paths, rules_dir, jobs, no_cache, quiet, verbose, strict, out_dir, root, split, reverse, media_root):
    """Write an Anki package (.apkg) of the cards PATHS give.

    Importing it again after the notes change updates the cards in Anki (same note
    GUIDs) and keeps their review history; nothing is duplicated.

    \b
    Examples:
      cards export notes/                       → decks/Study Notes.apkg
      cards export vault/ --name "AI Tech" --out ~/Desktop
      cards export notes/ --split --reverse
    """
    from .export import OutputError, write_decks
    from .rules import deck_name_problem
    if root is not None:
        problem = deck_name_problem(root)
        if problem:
            click.echo(f"error: --name {root!r}: {problem}", err=True)
            sys.exit(EXIT_USAGE)
        root = "::".join(part.strip() for part in root.split("::"))
    rs, res = build_run(paths, rules_dir, root, jobs, no_cache, quiet)
    if not res.n_cards:
        summarise_warnings(res.warnings, quiet, limit=10**9 if verbose else 5)
        click.echo(f"error: no cards found in {res.notes_read} note(s); nothing written", err=True)
        sys.exit(EXIT_NOTHING)
    if strict and res.warnings:
        summarise_warnings(res.warnings, False, limit=10**9 if verbose else 5)
        click.echo("error: --strict and there were warnings; nothing written", err=True)
        sys.exit(EXIT_NOTHING)
    root_name = root or rs.glob.root
    media_roots = [media_root] if media_root else [p if p.is_dir() else p.parent for p in paths]
    try:
        report = write_decks(res, out_dir, root_name, split=split, reverse=reverse, media_roots=media_roots,
                             namespace=rs.glob.guid_namespace(root_name), link_base=rs.glob.link_base,
                             notice=lambda text: click.echo(text, err=True))
    except OutputError as exc:
        output_error(exc)
    committed()
    res.warnings.extend(report.warnings)
    if not quiet:
        for line in report.summary_lines(res):
            click.echo(line)
    summarise_warnings(res.warnings, quiet, limit=10**9 if verbose else 5)


main.add_command(_rules_group)
main.add_command(_preview_cmd)


def run() -> None:
    """The `cards` command: `main`, then a quick exit.

    A big run leaves millions of objects behind; freeing them one by one at interpreter
    exit takes a noticeable part of a re-run. Once the output is flushed and the cache
    writes have landed, the process exits without that (as mypy does)."""
    from .cache import flush_all
    signal.signal(signal.SIGINT, _interrupted)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _interrupted)  # `kill` stops a run as Ctrl-C does: temporary files removed
    try:
        main()  # standalone: exits through SystemExit with the command's exit code
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(exc.code, err=True)
    except OSError as exc:  # the output stream failed (a full disk, /dev/full); other outputs say so themselves
        code = _stream_failed(exc)
    flush_all()
    try:
        sys.stdout.flush()
    except OSError as exc:
        code = _stream_failed(exc)
    try:
        sys.stderr.flush()
    finally:
        os._exit(code)


def _interrupted(signum, frame) -> None:
    if is_committed():  # the deck (or page) is written and complete: stop without calling it a failure
        try:
            sys.stderr.write("\ninterrupted after the output was written; it is complete\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_OK)
    raise KeyboardInterrupt


def _stream_failed(exc: OSError) -> int:
    from .export import os_reason
    reason = os_reason(exc)
    where = f"cannot write {display(str(exc.filename))}" if exc.filename else "cannot write the standard output"
    try:
        sys.stdout = open(os.devnull, "w")  # what is still buffered cannot be written either
        sys.stderr.write(f"error: {where}: {reason}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return EXIT_OUTPUT
