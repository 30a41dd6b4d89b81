"""The 村级挂牌 section of the briefing on the demo history: its figures against counts made
here from the tables, its scope, every linked number against the list it opens, and the
ledger appendix only when asked for."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .conftest import ZHAOYANG, ZHENXIONG
from console import clock

# The console's list pages say how many rows match: FAB's lists, the ledger's heading.
TOTALS = (re.compile(r"记录总数[^0-9]{0,80}?(\d+)", re.S), re.compile(r"共 (\d+) 个村\(社区\)"))


@pytest.fixture
def demo(ctx, session):
    from console.plugins import manager as plugins
    from jiceng.plugins.nameplates import demo

    plugins.set_enabled("nameplates", True)
    assert demo.load(session) > 0
    session.commit()
    return session


def _year():
    from console.briefings.periods import parse

    # The demo history lies in the 200 days before today: this year, and last year for a
    # comparison (empty or not, depending on the date).
    return parse(str((clock.today() - dt.timedelta(days=3)).year))


def _region(session, code=None):
    from console.regions.models import Region

    if code is None:
        return session.query(Region).filter_by(level="city").one()
    return session.query(Region).filter_by(code=code).one()


def _within(session, region):
    from console.regions.models import Region

    return session.query(Region.id).filter(Region.path.startswith(region.path))


def _expected(session, region, period):
    """The section's figures counted straight from the tables."""
    from jiceng.plugins.nameplates.models import Inspection, RectificationOrder

    ids = _within(session, region)
    last = period.end - dt.timedelta(days=1)
    accepted = [i for i in session.query(Inspection).filter(Inspection.region_id.in_(ids))
                if i.status == "accepted" and period.start <= i.inspected_on <= last]
    orders = session.query(RectificationOrder).filter(RectificationOrder.region_id.in_(ids)).all()
    latest = {}
    for i in sorted(accepted, key=lambda i: i.id):
        latest[i.region_id] = i
    return {
        "检查村(社区)": len({i.region_id for i in accepted}),
        "合规率": (sum(1 for i in latest.values() if i.compliant) / len(latest)) if latest else None,
        "未销号整改": sum(1 for o in orders if o.status != "closed"),
        "逾期整改": sum(1 for o in orders if o.status != "closed" and o.deadline < min(period.end, clock.today())),
        "倒查反弹": sum(1 for i in accepted if i.rebound),
    }


def _section(region, period, appendix=False):
    from jiceng.plugins.nameplates.briefing import sections

    section, = sections(period, region, appendix)
    return section


def _listed(client, link) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    page = response.get_data(as_text=True)
    assert "alert-danger" not in page, link
    for pattern in TOTALS:
        if found := pattern.search(page):
            return int(found.group(1))
    if "没有记录" in page or "No records found" in page or "暂无" in page:
        return 0
    raise AssertionError(f"no row count on {link}")


def _numbers(section):
    from console.briefings import Cell

    out = [(f.label, f.value, f.link) for f in section.figures if f.link]
    for table in section.tables:
        for row in table.rows + ([table.total] if table.total else []):
            out += [(f"{row[0]}·{table.columns[i]}", cell.text, cell.link)
                    for i, cell in enumerate(row) if isinstance(cell, Cell) and cell.link]
    return out


def test_figures_equal_counts_made_from_the_tables_for_the_city_and_one_county(demo):
    period = _year()
    city, zhaoyang = _region(demo), _region(demo, ZHAOYANG)
    whole = _section(city, period)
    expected = _expected(demo, city, period)
    assert {f.label: f.value for f in whole.figures} == pytest.approx(expected)
    assert expected["检查村(社区)"] > 100 and expected["倒查反弹"] > 0
    assert expected["未销号整改"] > expected["逾期整改"] > 0
    assert len(whole.tables[0].rows) == 11 and whole.charts
    assert whole.appendix == []

    county = _section(zhaoyang, period)
    mine = _expected(demo, zhaoyang, period)
    assert {f.label: f.value for f in county.figures} == pytest.approx(mine)
    assert 0 < mine["检查村(社区)"] < expected["检查村(社区)"]
    # Only its own row: no other county's name anywhere in the section.
    assert [r[0] for r in county.tables[0].rows] == ["昭阳区"] and county.tables[0].total is None
    assert "镇雄县" not in repr(county)


@pytest.mark.parametrize("who, code", [("admin", None), ("zhenxiong", ZHENXIONG)])
def test_every_linked_number_lists_exactly_that_many_rows(demo, client, auth, who, code):
    section = _section(_region(demo, code), _year())
    numbers = _numbers(section)
    assert {"检查村(社区)", "未销号整改", "逾期整改", "倒查反弹"} <= {n[0] for n in numbers}
    assert len(numbers) == (4 + 4 * 12 if code is None else 4 + 4)
    assert any(value for label, value, _ in numbers if label == "倒查反弹") or code
    auth.login(who)
    wrong = [(label, value, link, got) for label, value, link in numbers
             if (got := _listed(client, link)) != value]
    assert not wrong


def test_the_ledger_appendix_only_when_asked_for(demo):
    from console.regions.models import Region
    from jiceng.plugins.nameplates.models import VillageLedger

    period = _year()
    zhaoyang = _region(demo, ZHAOYANG)
    assert _section(zhaoyang, period).appendix == []
    table, = _section(zhaoyang, period, appendix=True).appendix
    villages = demo.query(Region).filter(Region.level == "village", Region.path.startswith(zhaoyang.path))
    assert len(table.rows) == villages.count() > 0
    assert len(table.widths) == len(table.columns) and sum(table.widths) == pytest.approx(100)
    assert {r[0] for r in table.rows} == {"昭阳区"}
    rebounded = (demo.query(VillageLedger)
                 .filter(VillageLedger.region_id.in_(villages.with_entities(Region.id)), VillageLedger.rebounds > 0)
                 .count())
    assert rebounded and rebounded == sum(1 for r in table.rows if r[6].text > 0)
    # Each village links to its own ledger page, which lists what its numbers count.
    village_ids = {r.id for r in villages}
    for row in table.rows:
        assert row[2].link == row[5].link == row[6].link
        assert int(row[2].link.rsplit("/", 1)[1]) in village_ids
    city, = _section(_region(demo), period, appendix=True).appendix
    assert len(city.rows) == demo.query(Region).filter_by(level="village").count() == 1424
