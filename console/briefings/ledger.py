"""Appendix ledgers laid out for print as lines of text, not as an HTML table.

WeasyPrint's cost grows with the boxes and line boxes it lays out: a 1,424-village table is
about 13,000 cells, each a box with a line of its own, and took most of a city briefing's
time (measured: 14 s of layout against 1 s for the same rows as 1,424 lines of text).  So in
the PDF each ledger row is one line of preformatted text whose columns are reached by tab
characters: the tab stops sit on a fixed grid, each cell's width is measured from the font's
own advance widths (fontTools, already a WeasyPrint dependency) and cut with an ellipsis
where it would run into the next column, and the number of tabs that brings the line to the
next column's stop follows from that width.  Links stay links (an ``<a>`` around the cell's
text).  The HTML preview keeps the ordinary table.
"""

from __future__ import annotations

import functools

from markupsafe import Markup, escape

from console.foundation.fonts import cjk_font_face

TAB = 3.0  # pt: the grid the columns start on
GAP = 6.0  # pt: at least this much white between a cell's text and the next column
FONT_SIZE = 8.5  # pt, as .ledger-lines in document.html
PAGE_WIDTH = (210 - 2 * 18) * 72 / 25.4  # pt: A4 less the side margins of document.html
ELLIPSIS = "…"


@functools.lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, int], float]:
    """The font's advance width per character (font units), and the units per em."""
    from fontTools.ttLib import TTFont

    path, index = cjk_font_face(bold)
    with TTFont(path, fontNumber=index, lazy=True) as font:
        hmtx = font["hmtx"]
        widths = {code: hmtx[glyph][0] for code, glyph in font.getBestCmap().items()}
        return widths, float(font["head"].unitsPerEm)


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    widths, em = _advances(bold)
    fallback = widths.get(0x4E00, em)  # a character the font lacks is drawn by another: full width
    return sum(widths.get(ord(ch), fallback) for ch in text) * size / em


def fit(text: str, room: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it is at most ``room`` points wide."""
    if text_width(text, bold=bold) <= room:
        return text
    while text and text_width(text + ELLIPSIS, bold=bold) > room:
        text = text[:-1]
    return text + ELLIPSIS


def stops(widths: list[float] | None, columns: int) -> list[int]:
    """Where each column starts, in tab units, from widths in percent (equal when not given)."""
    widths = widths or [100 / columns] * columns
    out, x = [], 0.0
    for w in widths[:columns]:
        out.append(round(x / TAB))
        x += w * PAGE_WIDTH / 100
    out.append(int(PAGE_WIDTH // TAB))
    return out


def row_link(cells: list[dict]) -> str | None:
    """The one page every link of the row leads to, if there is exactly one.  Such a row (a
    village and its numbers, all opening the village's ledger page) is printed as one link: one
    text box to lay out and draw, not one per linked cell and one per stretch between them,
    which is most of a long ledger's cost."""
    targets = {cell["link"] for cell in cells if cell.get("link")}
    return next(iter(targets)) if len(targets) == 1 else None


def line(cells: list[dict], grid: list[int], link, number, bold: bool = False) -> Markup:
    """One row: each cell's text (a link where it has one), then the tabs to the next column."""
    cells = cells[:len(grid) - 1]
    whole = row_link(cells)
    parts = []
    for i, cell in enumerate(cells):
        value = cell.get("text")
        text = number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else \
            ("—" if value is None else str(value))
        text = fit(" ".join(text.split()), (grid[i + 1] - grid[i]) * TAB - GAP, bold)
        used = text_width(text, bold=bold)
        pad = ""
        if min(used % TAB, TAB - used % TAB) < 0.25:
            # Ending on a stop, a rounding in the layout decides whether the first tab goes
            # there or one further: a space moves the end well between two stops.
            pad = " "
            used += text_width(pad, bold=bold)
        shown = escape(text)
        if cell.get("link") and whole is None:
            shown = Markup('<a href="{}">{}</a>').format(link(cell["link"]), text)
        parts.append(shown + pad)
        if i + 1 < len(grid) - 1:
            # From the text's end the first tab goes to the next stop of the grid.
            parts.append("\t" * max(grid[i + 1] - grid[i] - int(used // TAB), 1))
    text = Markup("").join(parts)
    return Markup('<a class="row" href="{}">{}</a>').format(link(whole), text) if whole else text


def lines(table: dict, rows: list, link, number) -> dict:
    """The header and the ``rows`` of ``table`` as lines: {"head": ..., "rows": [...]}."""
    grid = stops(table.get("widths"), len(table["columns"]))
    head = line([{"text": c} for c in table["columns"]], grid, link, number, bold=True)
    body = [line(row, grid, link, number) for row in rows]
    return {"head": head, "rows": body, "tab": f"{TAB:g}pt",
            "row_links": any(row_link(row[:len(grid) - 1]) for row in rows)}
