"""A card's fields as HTML: the back's layout, the Link field, and the rendered fields kept between exports.

One renderer (render.py) makes every field; the preview calls `note_fields` too, so it shows
what Anki will. A card here is in the form the pipeline keeps (records.py): its term, aliases
and explanation tuples.
"""
from __future__ import annotations

import html
import os
import pickle
from pathlib import Path
from urllib.parse import quote, urlsplit

from .. import build_id
from ..dedupe import pack_card
from ..models import Card, term_key
from ..notes import display
from ..records import (CARD_ALIASES, CARD_BODY, CARD_DECK, CARD_TAGS, CARD_TERM, EXPL_CONTEXT, EXPL_LINE,
                       EXPL_NOTE_DATE, EXPL_NOTE_TITLE, EXPL_PATH, EXPL_RULE, EXPL_TEXT, GROUP_CARD, GROUP_IDENT,
                       source_paths)
from ..render import ImageResolver, definition_html, has_images, plain, term_html
from ..runner import CACHE_FORMAT
from .manifest import row_digest
from .media import Media
from .notetype import FIELDS, MODEL_ID
from .paths import vault_of_note


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


class Links:
    """The Link field: a link to every note a card came from, where a link can work anywhere the
    deck is studied — `obsidian://` for a note inside an Obsidian vault, `link_base` + the note's
    path for notes published as a repository or blog (`https://github.com/me/notes/blob/main/`).
    No `file://` links: they open nothing on a phone or another computer."""

    def __init__(self, notes=(), link_base: str = ""):
        self.base = link_base
        self.rel = {n.path: n.rel for n in notes}
        self.title = {n.path: n.title for n in notes}

    def href(self, path: str) -> str | None:
        real, vault = vault_of_note(path)
        if vault is not None:
            rel = Path(real).relative_to(vault).with_suffix("").as_posix()
            return (f"obsidian://open?vault={quote(vault.name, safe='', errors='surrogateescape')}"
                    f"&file={quote(rel, safe='', errors='surrogateescape')}")  # a name's raw bytes, as the OS has them
        if self.base and path in self.rel:
            return self.base + quote(self.rel[path].replace(os.sep, "/"), errors="surrogateescape")
        return None

    def html(self, paths: list[str]) -> str:
        """One link per note, labelled by where it opens (the back names the notes already):
        `Open in Obsidian`, or with several, `Obsidian: file` for each."""
        found = [(path, href) for path, href in ((p, self.href(p)) for p in paths) if href is not None]
        out = []
        for path, href in found:
            where = "Obsidian" if href.startswith("obsidian:") else (urlsplit(href).hostname or "the web")
            label = f"Open in {where}" if len(found) == 1 else \
                f"{where}: {display(os.path.splitext(os.path.basename(path))[0])}"
            out.append(f'<a href="{_esc(href)}">{_esc(label)}</a>')
        return " · ".join(out)

    @property
    def key(self) -> str:
        """What, besides the note paths, the links depend on (for the manifest's record of a row)."""
        return self.base


BACK_BUDGET = 900  # characters of note text a merged card's back shows in full before it turns compact


def _score(e: tuple) -> tuple[int, int]:
    """How well an explanation leads a card (lower first): an explicit `Term : definition` form over
    a region of lines, a readable length over a bare word or a wall of text."""
    n = len(e[EXPL_TEXT])
    block = e[EXPL_RULE][:1] == "B"
    return (int(block) + int(n < 8) + int(n > 600), 0)


def _where(e: tuple, term_keys: set[str]) -> list[str]:
    """An explanation's heading path without what the card already says: a first heading that is the
    note's title, a last one that is the term itself."""
    ctx = list(e[EXPL_CONTEXT])
    if ctx and e[EXPL_NOTE_TITLE] and term_key(ctx[0]) == term_key(e[EXPL_NOTE_TITLE]):
        ctx = ctx[1:]
    while ctx and term_key(ctx[-1]) in term_keys:
        ctx = ctx[:-1]
    return ctx


def _fit(text: str, room: int) -> str:
    """The first lines of an explanation that fit in `room` characters, never cutting a code block or
    a display formula in two ("" if not even the first line fits)."""
    lines = text.split("\n")
    k, used = 0, 0
    while k < len(lines) and used + len(lines[k]) <= room:
        used += len(lines[k]) + 1
        k += 1
    while k and (sum(1 for ln in lines[:k] if ln.strip().startswith(("```", "~~~"))) % 2
                 or "\n".join(lines[:k]).count("$$") % 2):
        k -= 1
    return "\n".join(lines[:k])


def note_fields(card: Card, images: ImageResolver | None = None, reverse: bool = False,
                media: Media | None = None, links: Links | None = None) -> dict[str, str]:
    """The note's fields as HTML. One renderer: the preview calls this too."""
    term, aliases, explanations = pack_card(card)
    return packed_fields(term, aliases, explanations, images, reverse, media, links)


def packed_fields(term: str, aliases: list[str], expl: list[tuple], images: ImageResolver | None = None,
                  reverse: bool = False, media: Media | None = None, links: Links | None = None) -> dict[str, str]:
    """`note_fields` of a card in the form the pipeline keeps: its term, aliases and explanation tuples.

    A merged card leads with its best explanation (`_score`) and keeps the others compact: each
    says where it is from, those past `BACK_BUDGET` show their first lines, and the rest only
    where they are. The front never shows an alias that is a whole explanation (the answer)."""
    keys = {term_key(term)}
    names = []
    for a in aliases:
        for name in a.split(","):
            k = term_key(name)
            if k and k not in keys:
                keys.add(k)
                names.append(name.strip())
    answers = {term_key(e[EXPL_TEXT]) for e in expl} if names else set()
    order = sorted(range(len(expl)), key=lambda i: (_score(expl[i]), i))
    multi = len(expl) > 1
    parts, also = [], []
    room = BACK_BUDGET
    for n, i in enumerate(order):
        e = expl[i]
        text, path, line = e[EXPL_TEXT], e[EXPL_PATH], e[EXPL_LINE]
        title, where = e[EXPL_NOTE_TITLE], _where(e, keys)
        origin = " › ".join(plain(w) for w in ([title] if title else []) + where)
        if n and room <= 0:
            also.append(origin or plain(os.path.basename(path)))
            continue
        shown = text if n == 0 or len(text) <= room else _fit(text, room)
        if not shown:
            also.append(origin or plain(os.path.basename(path)))
            room = 0
            continue
        room -= len(shown)
        res = (media.resolver(path, line) if has_images(shown) else None) if media is not None else images
        body = definition_html(shown, res)
        if shown != text:
            body += '<div class="more">…</div>'
        if multi and origin:
            body += f'<div class="from">{origin}</div>'
        parts.append(body if n == 0 else f'<div class="more">{body}</div>')
    definition = '<hr class="sep">'.join(parts)
    if also:
        definition += f'<div class="also">Also in: {"; ".join(also)}</div>'
    first = expl[order[0]]
    if multi:  # where each explanation is from is said beside it: the source line only points at the files
        sources = [", ".join(_esc(f"{display(os.path.basename(e[EXPL_PATH]))}:{e[EXPL_LINE]}")
                             for e in (expl[i] for i in order))]
        contexts = [_where(e, keys) for e in expl]
        shared = contexts[0]
        for c in contexts[1:]:
            k = 0
            while k < min(len(shared), len(c)) and term_key(shared[k]) == term_key(c[k]):
                k += 1
            shared = shared[:k]
        context = shared
    else:
        context = _where(first, keys)
        bits = [plain(b) for b in (first[EXPL_NOTE_TITLE], first[EXPL_NOTE_DATE], " › ".join(context)) if b]
        sources = [" · ".join(bits + [_esc(f"{display(os.path.basename(first[EXPL_PATH]))}:{first[EXPL_LINE]}")])]
    paths = list(dict.fromkeys(e[EXPL_PATH] for e in expl))
    return {
        "Term": term_html(term),
        "Definition": definition,
        "Aliases": ", ".join(plain(a) for a in names if term_key(a) not in answers),
        "Context": " › ".join(plain(c) for c in context),
        "Source": "<br>".join(sources),
        "Link": (links or Links()).html(paths),
        "Reverse": "y" if reverse else "",
    }


class FieldsCache:
    """Rendered fields of cards without images, by card content (`ident`), kept between exports.

    Everything but the Link field is a function of the card alone; Link depends on the
    folders around the note (an Obsidian vault or not), so it is always made afresh.
    Cards with images are rendered every time: their fields depend on the image files.
    Each entry also keeps the card's manifest digest with the Link, tags and deck it was
    taken over, reused while those three are the same: an entry is
    (the fields but Link, in FIELDS order; Link; tags; deck; digest)."""

    def __init__(self, res, reverse: bool, links: Links):
        self.res, self.reverse, self.links = res, reverse, links
        self.cache = getattr(res, "cache", None)
        self.prefix = f"f:{CACHE_FORMAT}:{build_id()}:{MODEL_ID}:{int(reverse)}:"

    def all_fields(self, groups: list[tuple], media: Media) -> tuple[list[list[str]], list[str], list[bool]]:
        """Each group's fields (in FIELDS order), its digest (`row_digest`), and whether it shows images."""
        got = self.cache.get_objects([self.prefix + g[GROUP_IDENT] for g in groups]) if self.cache is not None else {}
        out: list[list[str]] = [[]] * len(groups)
        digests: list[str] = [""] * len(groups)
        images = [False] * len(groups)
        missed: list[int] = []
        new: list[tuple[str, bytes]] = []
        for i, g in enumerate(groups):
            hit = got.get(self.prefix + g[GROUP_IDENT])
            if not (isinstance(hit, tuple) and len(hit) == 5 and isinstance(hit[0], tuple)
                    and len(hit[0]) == len(FIELDS) - 1):
                missed.append(i)
                continue
            but_link, cached_link, cached_tags, cached_deck, digest = hit
            card = g[GROUP_CARD]
            link, tags, deck = self.links.html(source_paths(card)), " ".join(card[CARD_TAGS]), card[CARD_DECK]
            fields = out[i] = [*but_link[:_LINK], link, *but_link[_LINK:]]
            if (cached_link, cached_tags, cached_deck) == (link, tags, deck):
                digests[i] = digest
            else:
                digests[i] = row_digest(fields, card[CARD_TAGS], deck)
                new.append(self._entry(g, fields, tags, deck, digests[i]))
        full = self.res.full_cards([groups[i] for i in missed])
        for i, card in zip(missed, full):
            g = groups[i]
            as_dict = packed_fields(card[CARD_TERM], card[CARD_ALIASES], card[CARD_BODY], reverse=self.reverse,
                                    media=media, links=self.links)
            fields = out[i] = [as_dict[f] for f in FIELDS]
            digests[i] = row_digest(fields, card[CARD_TAGS], card[CARD_DECK])
            images[i] = any(has_images(e[EXPL_TEXT]) for e in card[CARD_BODY])
            if not images[i]:
                new.append(self._entry(g, fields, " ".join(card[CARD_TAGS]), card[CARD_DECK], digests[i]))
        if self.cache is not None:
            self.cache.put_many("fields", new)  # lands in the background while the package is written
        return out, digests, images

    def _entry(self, g: tuple, fields: list[str], tags: str, deck: str, digest: str) -> tuple[str, bytes]:
        value = ((*fields[:_LINK], *fields[_LINK + 1:]), fields[_LINK], tags, deck, digest)
        return self.prefix + g[GROUP_IDENT], pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_LINK = FIELDS.index("Link")
