"""`cards rules …`: list, create, check and describe rule files."""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import click

from .notes import display
from .patterns import PATTERNS, REJECTION_REASONS
from .rules import GLOBAL_FILE, GlobalRules, RuleError, RuleSet, TopicRules, check_rules, load_rules

STARTER = """\
# Rule file for the topic "{topic}". One file per topic; every key is optional.
# Check it with:  cards rules check {folder} NOTES...
# Full reference: README.md ("Rule files"), or `cards rules schema` for editors.

topic: {topic}
# deck: "{topic}"            # sub-deck under the root deck; `A::B` nests
# priority: 0                # higher wins when two topics claim the same card

match:                       # a card belongs here when any of these match
  terms: []                  # term keywords, e.g. [SGD, Adam, "learning rate"]
  term_regex: []             # regexes tried on the term, e.g. ["(?i)optim"]
  headings: []               # words in the card's heading path, e.g. [optimization, 최적화]
  tags: []                   # note tags from front matter
  folders: []                # folder names or globs, e.g. ["courses/dl/*"]

aliases: []                  # groups of names for one concept, first is the card's term:
#  - [Knowledge distillation, KD, 지식 증류]

stop_terms: []               # terms that are never cards in this topic, e.g. [실습, 공지]

patterns: []                 # extra patterns: a regex with named groups term and definition
#  - id: U001
#    regex: '^(?P<term>[A-Z][\\w ]+) ~ (?P<definition>.+)$'
#    description: "Term ~ definition"

disable: []                  # built-in pattern ids switched off here, e.g. [C004]
"""


def _load_or_exit(folder: Path, missing_ok: bool = False):
    if missing_ok and not folder.exists():
        return RuleSet()
    try:
        return load_rules(folder)
    except RuleError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.group()
def rules() -> None:
    """Create, check and explain rule files (one YAML file per topic under rules/)."""


@rules.command("list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("rules"),
              show_default=True)
def list_(paths, rules_dir):
    """List topics and what each claims; with note PATHS, count the cards each topic gets
    (also the topics the defaults place cards in: folders, front matter, starter topics).

    \b
    Example:
      cards rules list examples/notes
    """
    rs = _load_or_exit(rules_dir, missing_ok=bool(paths))
    counts: Counter = Counter()
    if paths:
        from .pipeline import build
        res = build(list(paths), rs, jobs=None, cache_dir=None)
        counts = Counter(c.topic for c in res.cards)
    for t in rs.topics:
        m = t.rules.match
        claims = [f"{k}: {', '.join(v)}" for k, v in
                  (("terms", m.terms), ("term_regex", m.term_regex), ("headings", m.headings), ("tags", m.tags),
                   ("folders", m.folders)) if v]
        n = f"  {counts[t.name]} cards" if paths else ""
        click.secho(f"{t.name}  → deck {t.deck}  (priority {t.rules.priority}, {Path(t.path).name}){n}", bold=True)
        for c in claims:
            click.echo(f"    {c if len(c) < 110 else c[:109] + '…'}")
    if paths:
        own = {t.name for t in rs.topics} | {rs.glob.fallback_topic}
        others = sorted((n, k) for k, n in counts.items() if k not in own)
        if others:
            click.secho("Placed by their notes' folders, front matter or the starter topics:", bold=True)
            for n, k in sorted(others, key=lambda nk: (-nk[0], nk[1])):
                click.echo(f"    {k}  {n} cards")
        click.echo(f"{rs.glob.fallback_topic} (fallback)  {counts[rs.glob.fallback_topic]} cards")


@rules.command()
@click.argument("topic")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("rules"),
              show_default=True)
def new(topic, rules_dir):
    """Write a commented starter rule file for TOPIC.

    \b
    Example:
      cards rules new "Computer Vision"     → rules/computer-vision.yaml
    """
    slug = re.sub(r"[^\w]+", "-", topic.strip().lower(), flags=re.U).strip("-") or "topic"
    path = rules_dir / f"{slug}.yaml"
    if path.exists():
        click.echo(f"error: {path} already exists", err=True)
        sys.exit(2)
    rules_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER.format(topic=topic, folder=rules_dir), encoding="utf-8")
    click.echo(f"wrote {path}")


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("rules"),
              show_default=True)
def check(paths, rules_dir):
    """Validate every rule file; with note PATHS, show where each card lands and what decided it.

    A rule file, a suggested (drafted) one, the card's note, its folder, its front matter or a
    starter topic; the fallback topic holds what nothing places.

    \b
    Examples:
      cards rules check
      cards rules check notes/
    """
    if paths and not rules_dir.exists():  # a first run: the defaults alone place the cards
        rs = RuleSet()
        click.echo(f"No rule files ({rules_dir} does not exist): cards are placed by their notes' folders, front "
                   "matter and the starter topics (see `cards rules suggest` and `cards rules init`)")
    else:
        errors = check_rules(rules_dir)
        for err in errors:
            click.echo(f"error: {err}", err=True)
        if errors:
            click.echo(f"{len(errors)} problem(s) in {rules_dir}; no rule file was applied", err=True)
            sys.exit(2)
        rs = _load_or_exit(rules_dir)
        has_global = any(Path(f).name == GLOBAL_FILE for f in rs.files)
        drafted = sum(1 for t in rs.topics if t.drafted)
        click.echo(f"{len(rs.files)} rule file(s) in {rules_dir} are valid: {len(rs.topics)} topic(s)"
                   f"{f' ({drafted} suggested)' if drafted else ''}{', global settings' if has_global else ''}")
    if not paths:
        return
    from .pipeline import build
    res = build(list(paths), rs, cache_dir=None)
    by_topic = defaultdict(list)
    for c in res.cards:
        by_topic[c.topic].append(c)
    for topic in sorted(by_topic, key=lambda t: (t == rs.glob.fallback_topic, t)):
        cards = by_topic[topic]
        label = " (fallback: nothing places these)" if topic == rs.glob.fallback_topic else ""
        click.secho(f"{topic}{label}: {len(cards)} cards", bold=True)
        for c in cards:
            click.echo(f"    {c.term}  ← {c.topic_reason}  ({display(c.source.path)}:{c.source.line})")


@rules.command()
@click.option("--global", "global_", is_flag=True, help="The schema of rules/_global.yaml instead.")
def schema(global_):
    """Print the JSON Schema of a topic rule file (for editor validation and completion).

    \b
    Example:
      cards rules schema > rules/.schema.json
    """
    model = GlobalRules if global_ else TopicRules
    s = model.model_json_schema()
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["title"] = "cards rule file" if not global_ else "cards global rule file"
    click.echo(json.dumps(s, indent=2, ensure_ascii=False))


@rules.command()
def patterns():
    """List the built-in patterns and rejection reasons (ids used by --explain and `disable:`)."""
    for p in PATTERNS.values():
        click.secho(f"{p.id}  {p.name}", bold=True)
        click.echo(f"    {p.description}")
        click.echo("    e.g. " + p.example.replace("\n", "\n         "))
    click.secho("\nRejection reasons", bold=True)
    for k, v in REJECTION_REASONS.items():
        click.echo(f"  {k:16s} {v}")


@rules.command()
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("rules"),
              show_default=True)
def init(rules_dir):
    """Copy the starter topics that come with cards into RULES to edit them (existing files are kept).

    Without any rule file, the starter topics already place the cards of notes about their
    subjects; once copied, the copies are ordinary rule files and say where cards go.

    \b
    Example:
      cards rules init              → rules/computer-vision.yaml, rules/databases.yaml, …
    """
    from .topics import STARTER_DIR
    rules_dir.mkdir(parents=True, exist_ok=True)
    for src in sorted(STARTER_DIR.glob("*.yaml")):
        dest = rules_dir / src.name
        try:
            with open(dest, "xb") as fh:
                fh.write(src.read_bytes())
        except FileExistsError:
            click.echo(f"kept {dest} (it exists)")
            continue
        click.echo(f"wrote {dest}")


@rules.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("rules"),
              show_default=True, help="Where the drafts go (created if missing); rule files there are respected.")
@click.option("--max-topics", type=click.IntRange(1, 200), default=None,
              help="At most this many drafts (default 24); the smallest topics join the closest ones.")
@click.option("--dry-run", is_flag=True, help="Print the topics, write nothing.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Worker processes (default: cores).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the cache of parsed notes.")
def suggest(paths, rules_dir, max_topics, dry_run, jobs, no_cache):
    """Draft one rule file per topic from the notes in PATHS.

    Notes no rule file covers yet are grouped into topics by what they say (their cards'
    terms, headings, titles, tags and folders); each topic becomes a commented draft in
    RULES, never over a file that exists. `cards export` right after gives those decks;
    rename, merge and edit the drafts like any rule file. The same notes give the same drafts.

    \b
    Examples:
      cards rules suggest ~/notes
      cards rules suggest ~/notes --max-topics 8 --dry-run
    """
    from .cli_common import default_cache
    from .pipeline import build
    from .drafts import write
    from .suggest import MAX_TOPICS, Suggester
    rs = _load_or_exit(rules_dir, missing_ok=True)
    res = build(list(paths), rs, jobs=jobs, cache_dir=None if no_cache else default_cache())
    if res.cache is not None:
        click.get_current_context().call_on_close(res.cache.flush)
    if not res.n_cards:
        click.echo(f"error: no cards found in {res.notes_read} note(s); nothing to suggest", err=True)
        sys.exit(1)
    sg = Suggester(res, rs, rs.glob.root, max_topics or MAX_TOPICS)
    drafts = sg.run()
    if not drafts:
        click.echo("No topics to suggest: rule files already cover these notes.")
        return
    notes = sg.notes
    written = [(d, rules_dir / d.file, None) for d in drafts] if dry_run else write(drafts, rules_dir, sg.cards,
                                                                                    notes)
    for d, path, ok in written:
        sample = ", ".join(list(dict.fromkeys(sg.cards[i].term for i in d.cards))[:6])
        where = "" if ok is None else (f"→ wrote {path}" if ok else f"→ {path} exists, not written")
        click.secho(f"{d.name}  ({len(d.cards)} cards, {len(d.notes)} notes)  {where}", bold=True)
        click.echo(f"    e.g. {sample}")
    covered = sum(len(d.cards) for d in drafts)
    click.echo(f"{len(drafts)} topic(s) for {covered} of {res.n_cards} cards"
               + ("" if dry_run else f"; check them with `cards rules check {' '.join(map(str, paths))}`"))
