"""The counts the dashboard and the briefing share: the home-page cards inside the user's region, the counting functions by county."""

from __future__ import annotations

import datetime as dt

from .conftest import CLEAN, ZHAOYANG, ZHENXIONG, accept, submit, village_in
from console import clock

TODAY = clock.today()


def test_dashboard_cards_count_only_the_users_region(session):
    from console.regions.models import Region
    from jiceng.plugins.nameplates.dashboard import cards

    accept(submit(village_in(ZHAOYANG), plaques=CLEAN))
    accept(submit(village_in(ZHENXIONG), inspector="zhenxiong", plaques=[("老年人协会", "outside")]))
    zhaoyang = session.query(Region).filter_by(code=ZHAOYANG).one()
    mine = {c.title: c.value for c in cards(zhaoyang)}
    city = {c.title: c.value for c in cards(None)}
    assert mine["今年已检查村(社区)"] == 1 and mine["挂牌合规率"] == "100.0" and mine["未销号整改"] == 0
    assert city["今年已检查村(社区)"] == 2 and city["挂牌合规率"] == "50.0" and city["未销号整改"] == 1


def test_the_counting_functions_by_county(session):
    from console.regions.models import Region
    from jiceng.plugins.nameplates import stats

    village = village_in(ZHAOYANG)
    accept(submit(village, plaques=CLEAN, day=TODAY - dt.timedelta(days=20)))
    accept(submit(village, plaques=[("计划生育协会", "inside")]))
    accept(submit(village_in(ZHAOYANG, 1), plaques=CLEAN))
    start, end = stats.year_span()
    if TODAY - dt.timedelta(days=20) < start:
        start = TODAY - dt.timedelta(days=30)
    rows = {r.county.code: r for r in stats.by_county(session, None, start, end)}
    assert len(rows) == 11
    row = rows[ZHAOYANG]
    assert (row.villages, row.inspected, row.open_orders, row.rebounds) == (206, 2, 1, 1)
    assert row.compliance_rate == 0.5
    assert rows[ZHENXIONG].inspected == 0 and rows[ZHENXIONG].compliance_rate is None
    county = session.query(Region).filter_by(code=ZHAOYANG).one()
    assert [r.county.code for r in stats.by_county(session, county, start, end)] == [ZHAOYANG]
