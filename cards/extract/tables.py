"""Table pattern: a glossary written as a table, Markdown or HTML (T201)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .checks import Pattern, definition_problem, term_problem
from .terms import parse_term
from .text import clean_inline

if TYPE_CHECKING:
    from .note import NoteExtractor

PATTERNS = [
    Pattern("T201", "table", "a two-column table (Markdown or HTML) whose header says term/definition (용어/설명, …) "
            "or whose first column holds short names; a third column is added to the back", "| 용어 | 설명 |\n| --- | --- |\n| KD | 지식 증류 |"),
]

_TERM_HEADERS = {"용어", "term", "terms", "개념", "단어", "word", "name", "이름", "keyword", "키워드", "concept", "약어",
                 "abbreviation", "표현"}
_DEFINITION_HEADERS = {"설명", "의미", "정의", "뜻", "definition", "meaning", "description", "explanation", "desc"}


def table(ex: NoteExtractor, i: int) -> None:
    """T201 on the table whose header row is block i: one card per row."""
    header = ex.b[i].cells
    rows = []
    j = i + 1
    while j < len(ex.b) and ex.b[j].kind == "table" and not ex.b[j].first:
        rows.append(j)
        j += 1
    if len(header) < 2 or not rows:
        return
    h0, h1 = (clean_inline(h).casefold() for h in header[:2])
    named = h0 in _TERM_HEADERS or h1 in _DEFINITION_HEADERS
    cells = [(j, clean_inline(ex.b[j].cells[0]) if ex.b[j].cells else "",
              ex.b[j].cells[1] if len(ex.b[j].cells) > 1 else "") for j in rows]
    if not named:  # no telling header: short names in the first column, longer text in the second
        ok = [c for c in cells if c[1] and not term_problem(parse_term(c[1])[0], ex.s.stop_terms)]
        avg0 = sum(len(c[1]) for c in cells) / len(cells)
        avg1 = sum(len(clean_inline(c[2])) for c in cells) / len(cells)
        named = len(ok) == len(cells) and avg1 >= 12 and avg1 > 1.5 * avg0 and len(header) <= 3
    if not named:
        return
    for j, left, right in cells:
        term, aliases = parse_term(left)
        problem = term_problem(term, ex.s.stop_terms)
        if problem:
            ex.reject(j, term, right, problem, "T201")
        elif not clean_inline(right):
            ex.reject(j, term, "", "no definition", "T201")
        else:
            # a third column says more of the same row (`ASIC | Application Specific IC | 특정 목적만을 위한 칩`)
            third = ex.b[j].cells[2] if len(header) == 3 and len(ex.b[j].cells) > 2 else ""
            if definition_problem(clean_inline(third), third) == "no text":
                third = ""  # empty, or a column of links to where each term was taught
            ex.emit(j, term, aliases, [c.replace("<br>", "\n").strip() for c in (right, third) if c], "T201")
