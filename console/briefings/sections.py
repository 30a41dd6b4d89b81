"""What a plugin's ``briefing_sections`` hook returns: plain data, no markup.

The core lays the document out; a plugin only says what to show and where each number comes
from (``link``: the console's filtered list that produced it, a path such as
``/visits/visits/list/?start=2025-12-01&end=2026-01-01``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """A headline number, with the previous period's value when it has one."""

    label: str
    value: int | float | None
    unit: str = ""
    previous: int | float | None = None
    link: str | None = None
    # percent: value and previous are shares (0.8125), shown as 81.3%
    percent: bool = False
    note: str = ""
    # Whether a rise is good news: the trend is coloured by it, so more rebounds or more lapsed
    # registrations show red, not green.
    higher_is_better: bool = True
    # How the number is counted (口径), printed beside it: a rate that differs from the home page's
    # card for the same words is explained where it is read.
    definition: str = ""


@dataclass
class Cell:
    """A table cell whose text links to the list behind it."""

    text: Any
    link: str | None = None


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]  # each cell a plain value or a Cell
    # Column widths in percent of the page width: fixed layout is measured much faster.
    widths: list[float] | None = None
    total: list[Any] | None = None  # a closing row (合计)


@dataclass
class Chart:
    """A bar chart: one bar group per label, one bar per series."""

    title: str
    labels: list[str]
    series: dict[str, list[float]]
    unit: str = ""


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    text: str = ""  # a short paragraph of commentary
    links: list[tuple[str, str]] = field(default_factory=list)  # (title, path): further lists
    # Long ledgers printed at the end of the briefing, e.g. every village's nameplate state.
    appendix: list[Table] = field(default_factory=list)


def as_data(section: Any) -> dict:
    """A section as JSON-ready data; plain dicts from a plugin pass through."""
    if isinstance(section, dict):
        data = dict(section)
    else:
        data = asdict(section)
    for key in ("figures", "charts", "tables", "links", "appendix"):
        data.setdefault(key, [])
    data.setdefault("text", "")
    for table in data["tables"] + data["appendix"]:
        table["rows"] = [[_cell(c) for c in row] for row in table.get("rows", [])]
        if table.get("total"):
            table["total"] = [_cell(c) for c in table["total"]]
        table.setdefault("widths", None)
    for figure in data["figures"]:
        for key, default in (("unit", ""), ("previous", None), ("link", None), ("percent", False),
                             ("note", ""), ("higher_is_better", True), ("definition", "")):
            figure.setdefault(key, default)
    return data


def _cell(value: Any) -> dict:
    if isinstance(value, Cell):
        return {"text": value.text, "link": value.link}
    if isinstance(value, dict) and "text" in value:
        return {"text": value["text"], "link": value.get("link")}
    return {"text": value, "link": None}
