"""`cards preview`: one self-contained HTML page of the cards and the rejected candidates."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import EXIT_NOTHING, build_run, committed, common, output_error, summarise_warnings


@click.command()
@common
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("preview.html"), show_default=True, help="The HTML file to write.")
@click.option("--open", "open_", is_flag=True, help="Open the page in the default browser.")
def preview(paths, rules_dir, jobs, no_cache, quiet, verbose, strict, output, open_):
    """Write an HTML page showing each card as Anki will render it, and every rejected candidate.

    The page is self-contained (no network): decks with card counts, front and back of
    each card with the note type's CSS, the source line and pattern of each card, a tab
    of rejected candidates with their reasons, and a search box.

    \b
    Examples:
      cards preview notes/ --open
      cards preview notes/day-20.md -o /tmp/day20.html
    """
    from .export import Links, OutputError, atomic_write
    from .preview import render_page
    rs, res = build_run(paths, rules_dir, None, jobs, no_cache, quiet)
    if not res.cards and not res.rejections and not any(n.ok for n in res.notes):
        summarise_warnings(res.warnings, quiet)
        click.echo("error: no notes could be read; nothing written", err=True)
        sys.exit(EXIT_NOTHING)
    media_roots = [p if p.is_dir() else p.parent for p in paths]
    page, media_warnings = render_page(res, media_roots, title=f"cards preview — {len(res.cards)} cards",
                                       links=Links(res.notes, rs.glob.link_base))
    res.warnings.extend(media_warnings)
    try:
        atomic_write(output, lambda tmp: Path(tmp).write_text(page, encoding="utf-8", errors="replace"))
    except OutputError as exc:
        output_error(exc, "the previous page is unchanged" if output.is_file() else "nothing was written")
    committed()
    if not quiet:
        click.echo(f"Wrote {output}: {len(res.cards)} cards in {len({c.deck for c in res.cards})} decks, "
                   f"{len(res.rejections)} rejected candidates")
    summarise_warnings(res.warnings, quiet, limit=10**9 if verbose else 5)
    if strict and res.warnings:
        sys.exit(EXIT_NOTHING)
    if open_:
        click.launch(str(output.resolve()))
