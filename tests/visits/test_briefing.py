"""Every number of the briefing's 三送三进 section links to a list showing exactly that many
rows: the figures, the by-county table and its total, for the city and for one county."""

from __future__ import annotations

import re

import pytest

from console.briefings import Cell
from console.briefings.periods import parse

from .conftest import ZHAOYANG

TOTAL = re.compile(r"共 (\d+) 条")


def _numbers(section):
    """(what, value, link) for every linked number of the section."""
    out = [(f.label, f.value, f.link) for f in section.figures if f.link and not f.percent]
    for table in section.tables:
        for row in table.rows + ([table.total] if table.total else []):
            out += [(f"{row[0]}·{table.columns[i]}", cell.text, cell.link)
                    for i, cell in enumerate(row) if isinstance(cell, Cell) and cell.link]
    return out


def _listed(client, link) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    page = response.get_data(as_text=True)
    assert "alert-danger" not in page, link
    return int(TOTAL.search(page).group(1))


@pytest.fixture
def demo(world):
    from jiceng.plugins.visits.demo import load

    load(world.session, "demo")
    world.session.commit()
    return world


@pytest.mark.parametrize("who, period", [("admin", "2025"), ("zhaoyang", "2025-11")])
def test_every_linked_number_lists_exactly_that_many_rows(demo, client, auth, who, period):
    from console.regions.models import Region
    from jiceng.plugins.visits.briefing import sections

    region = (demo.region(ZHAOYANG) if who == "zhaoyang"
              else demo.session.query(Region).filter_by(level="city").one())
    with demo.app.test_request_context():
        section, = sections(parse(period), region)
    numbers = _numbers(section)
    labels = {label for label, _, _ in numbers}
    assert {"走访企业次数", "覆盖企业", "收集诉求", "办结诉求", "逾期未办结诉求"} <= labels
    if who == "admin":
        assert "合计·收集诉求" in labels and len(section.tables[0].rows) == 11
    # The figures are not all zero, or the comparison would prove nothing.
    assert all(v > 0 for label, v, _ in numbers if label in ("走访企业次数", "收集诉求", "办结诉求"))

    auth.login(who)
    wrong = [(label, value, link, got) for label, value, link in numbers
             if (got := _listed(client, link)) != value]
    assert not wrong
    for title, link in section.links:
        if title == "走访记录":
            assert _listed(client, link) == section.figures[0].value
