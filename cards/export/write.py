"""Writing the decks: one package per root (or per topic with --split) and its manifest.

A re-export starts from the previous package when it can be trusted (package.Previous): the
cards whose content, Link, tags and deck are what the manifest recorded keep their rows and
are not even rendered; the rest are rendered (fields.py) and replace their notes. An export
whose inputs, options and images are all unchanged writes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import genanki

from ..models import term_key
from ..naming import legacy_guid
from ..records import CARD_DECK, CARD_GUID, CARD_TAGS, CARD_TERM, GROUP_CARD, GROUP_IDENT, source_paths
from ..runner import temp_prefix
from .fields import FieldsCache, Links
from .files import OutputLock, atomic_write, deck_files, safe_filename
from .manifest import MANIFEST_VERSION, ManifestNote, load_manifest, media_state, token_of
from .media import Media
from .notetype import stable_id
from .package import BulkDeck, Previous, write_package
from .paths import vault_of_note
from .report import Report

PATCH = True  # carry unchanged notes over from the previous package (off: always write afresh)


def _basis(group: tuple, links: Links) -> str:
    """What a card's row is made from besides the tool and the options: its content, Link, tags and deck."""
    card = group[GROUP_CARD]
    text = "\x1f".join([group[GROUP_IDENT], links.html(source_paths(card)), " ".join(card[CARD_TAGS]), card[CARD_DECK]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _unchanged(old: dict, inputs: str | None, target: Path, report: Report, groups: list[tuple]) -> bool:
    """True when the previous export was made from exactly these inputs and its files are intact."""
    if not inputs or old.get("inputs") != inputs or not target.is_file():
        return False
    recorded = old.get("media", [])  # [path, size, mtime_ns] of each image file packed
    if target.stat().st_size != old.get("size") or media_state([path for path, _, _ in recorded]) != recorded \
            or token_of(target) != old.get("token"):
        return False
    report.skipped.append(target)
    for g in groups:
        deck = g[GROUP_CARD][CARD_DECK]
        report.decks[deck] = report.decks.get(deck, 0) + 1
    report.paths.append(target)
    return True


def _guids(groups: list[tuple], old: dict) -> list[str]:
    """Each card's note GUID in this package: the one the pipeline made (its root's namespace), except
    for notes a package of cards 0.1 gave a GUID shared by every root (`legacy_guid`): those the
    manifest lists keep it, so Anki goes on updating them in place, with their review history.

    A manifest with no `namespace` was written by 0.1; one with `legacy_guids` still holds such notes."""
    notes = old["notes"]
    if not notes or ("namespace" in old and not old.get("legacy_guids")):
        return [g[GROUP_CARD][CARD_GUID] for g in groups]
    out = []
    for g in groups:
        card = g[GROUP_CARD]
        legacy = legacy_guid(term_key(card[CARD_TERM]))
        out.append(legacy if legacy in notes else card[CARD_GUID])
    return out


def _write_one(groups: list[tuple], target: Path, reverse: bool, media_roots: list[Path], report: Report,
               now: int, inputs: str | None, fields_cache: FieldsCache, namespace: str) -> None:
    """Write one package and its manifest.

    When the previous package can be trusted (`Previous`), a card whose content, Link, tags
    and deck are what the manifest recorded keeps its row there untouched and is not even
    rendered; cards with images are rendered again (their files may have changed) and keep
    their row if it comes out the same. The package is then the previous collection with the
    other notes replaced, which imports into Anki exactly like a package written from scratch
    (a test compares the two table by table)."""
    manifest_path = target.with_name(target.stem + ".manifest.json")
    old = load_manifest(manifest_path, target, report.warnings)
    if _unchanged(old, inputs, target, report, groups):
        return
    report.first_export = report.first_export and not old["notes"]
    tool = fields_cache.prefix
    base = Previous.open(target, old, tool) if PATCH else None
    try:
        bases = [_basis(g, fields_cache.links) for g in groups]
        guids = _guids(groups, old)
        prevs = [old["notes"].get(guid) for guid in guids]
        if base is None:
            todo = list(range(len(groups)))
        else:
            todo = [i for i, (prev, b) in enumerate(zip(prevs, bases))
                    if not prev or prev.get("basis") != b or prev.get("images")]
        with tempfile.TemporaryDirectory(prefix=temp_prefix("media")) as staging:
            media = Media(media_roots, Path(staging))
            rendered = dict(zip(todo, zip(*fields_cache.all_fields([groups[i] for i in todo], media))))
            decks: dict[str, genanki.Deck] = {}
            entries: dict[str, ManifestNote] = {}
            kept: set[str] = set()  # notes whose row in the previous package stays as it is
            for i, g in enumerate(groups):
                card = g[GROUP_CARD]
                term, deck_name_, tags, guid = card[CARD_TERM], card[CARD_DECK], card[CARD_TAGS], guids[i]
                prev = prevs[i]
                deck = decks.get(deck_name_)
                if deck is None:
                    deck = decks[deck_name_] = BulkDeck(stable_id("deck:" + deck_name_), deck_name_)
                report.decks[deck_name_] = report.decks.get(deck_name_, 0) + 1
                if prev and prev.get("deck") and prev["deck"] != deck_name_:
                    report.moved.append((term, prev["deck"], deck_name_))
                if i not in rendered:  # the same basis: the same row
                    entries[guid] = prev
                    kept.add(guid)
                    continue
                fields, digest, images = rendered[i]
                if prev and prev.get("hash") == digest:
                    mod = int(prev.get("mod", now))
                    if base is not None:
                        kept.add(guid)
                else:
                    mod = max(now, int(prev.get("mod", 0)) + 1) if prev else now
                    (report.changed if prev else report.added).append(term)
                entries[guid] = ManifestNote(term=term, deck=deck_name_, hash=digest, mod=mod, basis=bases[i])
                if images:
                    entries[guid]["images"] = True
                if guid not in kept:
                    deck.add_row(fields, tags, guid, mod)
            for guid, prev in sorted(old["notes"].items()):
                if guid not in entries:
                    report.removed.append(prev.get("term", guid))
            report.warnings.extend(media.warnings)
            package = genanki.Package([decks[d] for d in sorted(decks)], media_files=sorted(str(p) for p in
                                                                                            media.packed.values()))
            report.media += len(media.packed)
            if base is not None:
                base.drop = [guid for guid in old["notes"] if guid not in kept]
            token = f"cards {now} {os.urandom(8).hex()}"
            atomic_write(target, lambda tmp: write_package(package, tmp, now, token, base))
            media_sources = sorted(media.sources)
    finally:
        if base is not None:
            base.close()
    manifest = {"version": MANIFEST_VERSION, "exported": now, "notes": entries, "inputs": inputs, "tool": tool,
                "token": token, "size": target.stat().st_size, "media": media_state(media_sources),
                "namespace": namespace,
                "legacy_guids": any(guid != g[GROUP_CARD][CARD_GUID] for guid, g in zip(guids, groups))}
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an image path that is not UTF-8: kept exactly, as JSON escapes
        text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    atomic_write(manifest_path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    report.paths.append(target)


def write_decks(res, out_dir: Path, root: str, split: bool = False, reverse: bool = False,
                media_roots: list[Path] | None = None, namespace: str = "", link_base: str = "",
                notice=None) -> Report:
    """Write the .apkg (one with every topic sub-deck, or one per topic with `split`) and its manifest,
    holding the output folder's lock (`notice(text)` is told when it has to wait for it).

    `namespace` is the one the cards' GUIDs were made in (`GlobalRules.guid_namespace`), recorded
    in the manifest; `link_base` makes the links of notes outside an Obsidian vault (`Links`).
    Raises OutputError when an output cannot be written; every package is then as it was."""
    with OutputLock(out_dir, notice):
        return _write_decks(res, out_dir, root, split, reverse, media_roots, namespace, link_base)


def _write_decks(res, out_dir: Path, root: str, split: bool, reverse: bool, media_roots: list[Path] | None,
                 namespace: str, link_base: str) -> Report:
    report = Report()
    groups = [g for g in res.groups if g[GROUP_CARD] is not None]
    paths = {p for g in groups for p in source_paths(g[GROUP_CARD])}
    roots = media_roots or sorted({Path(p).parent for p in paths})
    now = int(time.time())
    run_key = getattr(res, "run_key", None)
    # Link fields depend on which Obsidian vault holds each note's folder, not only on the notes
    vaults = sorted({str(vault) for _, vault in map(vault_of_note, paths)}) if run_key else []
    inputs = (f"{run_key}|split={split}|reverse={reverse}|root={root}|roots={[str(r) for r in roots]}"
              f"|vaults={vaults}|links={link_base}" if run_key else None)
    fields_cache = FieldsCache(res, reverse, Links(res.notes, link_base))
    if split:
        by_deck: dict[str, list[tuple]] = {}
        for g in groups:
            by_deck.setdefault(g[GROUP_CARD][CARD_DECK], []).append(g)
        files = deck_files(sorted(by_deck), out_dir)
        for deck in sorted(by_deck):
            _write_one(by_deck[deck], files[deck], reverse, roots, report, now, inputs, fields_cache, namespace)
    else:
        _write_one(groups, out_dir / f"{safe_filename(root)}.apkg", reverse, roots, report, now, inputs, fields_cache,
                   namespace)
    return report
