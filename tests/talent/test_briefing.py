"""The 社会工作人才 section of the briefing on the demo register: its figures against counts
made here from the tables, its scope, and every linked number against the list it opens."""

from __future__ import annotations

from collections import defaultdict
import datetime as dt
import re

import pytest

from console import clock
from console.foundation.extensions import db
from console.regions.models import Region

ZHAOYANG, ZHENXIONG = "530602", "530627"


@pytest.fixture
def demo(ctx):
    from console.plugins import manager as plugins
    from jiceng.plugins.talent import demo

    plugins.set_enabled("talent", True)
    assert demo.load(db.session) > 0
    db.session.commit()
    return db.session


def _month():
    from console.briefings import periods

    return periods.last_complete("month", clock.today())


def _region(code=None) -> Region:
    if code is None:
        return db.session.query(Region).filter_by(level="city").one()
    return db.session.query(Region).filter_by(code=code).one()


def _section(region, period):
    from jiceng.plugins.talent.briefing import sections

    section, = sections(period, region)
    return section


def _expected(region, on):
    """The figures counted from the tables with plain Python."""
    from jiceng.plugins.talent.services import common, registrations
    from jiceng.plugins.talent.models import ISSUED, Certificate, EducationEntry, Registration

    inside = {rid for (rid,) in db.session.query(Region.id).filter(Region.path.startswith(region.path))}
    certs = {c.id: c for c in db.session.query(Certificate) if not c.revoked and c.region_id in inside}
    holders = defaultdict(set)
    for c in certs.values():
        holders[c.level].add(c.person_id)
    latest = {}
    for r in db.session.query(Registration).filter(Registration.status == ISSUED):
        if r.certificate_id in certs and r.region_id in inside:
            if r.certificate_id not in latest or r.expires_on > latest[r.certificate_id].expires_on:
                latest[r.certificate_id] = r
    hours = defaultdict(list)
    for e in db.session.query(EducationEntry):
        if e.region_id in inside:
            hours[e.person_id].append((e.taken_on, e.hours))
    need = common.level_hours()
    in_force = [r for r in latest.values() if r.expires_on >= on]
    compliant = 0
    for r in in_force:
        cert = certs[r.certificate_id]
        start = registrations.period_start_of(r.expires_on)
        done = sum(h for day, h in hours[cert.person_id] if start <= day <= r.expires_on)
        compliant += done >= need.get(cert.level, 90)
    out = {f"持证{level}": len(people) for level, people in holders.items()}
    out["90 天内登记到期"] = sum(1 for r in latest.values() if on <= r.expires_on <= on + dt.timedelta(days=90))
    out["登记已过期未延续"] = sum(1 for r in latest.values() if r.expires_on < on)
    out["继续教育达标率"] = compliant / len(in_force) if in_force else None
    return out


def test_figures_equal_counts_made_from_the_tables_for_the_city_and_one_county(demo):
    month = _month()
    city = _section(_region(), month)
    expected = _expected(_region(), month.end)
    got = {f.label: f.value for f in city.figures}
    assert {k: v for k, v in got.items() if v} == pytest.approx({k: v for k, v in expected.items() if v})
    assert expected["90 天内登记到期"] > 0 and expected["登记已过期未延续"] > 0
    assert 0 < expected["继续教育达标率"] < 1
    assert len(city.tables[0].rows) == 11 and city.tables[0].total and city.charts

    county = _section(_region(ZHENXIONG), month)
    mine = _expected(_region(ZHENXIONG), month.end)
    got = {f.label: f.value for f in county.figures}
    assert {k: v for k, v in got.items() if v} == pytest.approx({k: v for k, v in mine.items() if v})
    assert sum(v for k, v in mine.items() if k.startswith("持证")) < \
        sum(v for k, v in expected.items() if k.startswith("持证"))
    assert [r[0] for r in county.tables[0].rows] == ["镇雄县"] and not county.charts
    assert "昭阳区" not in repr(county)


def _listed(client, label, link) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    page = response.get_data(as_text=True)
    assert "alert-danger" not in page and "alert-warning" not in page, link
    if link.startswith("/talent/expiring/"):
        heading = r"已过期未延续：(\d+) 人" if "过期" in label else r"\d+ 天内到期：(\d+) 人"
        return int(re.search(heading, page).group(1))
    found = re.search(r"记录总数[^0-9]{0,80}?(\d+)", page, re.S)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("who, code", [("admin", None), ("zhaoyang", ZHAOYANG)])
def test_every_linked_number_lists_exactly_that_many_rows(demo, client, auth, who, code):
    from console.briefings import Cell

    section = _section(_region(code), _month())
    numbers = [(f.label, f.value, f.link) for f in section.figures if f.link]
    table = section.tables[0]
    for row in table.rows + ([table.total] if table.total else []):
        numbers += [(f"{row[0]}·{table.columns[i]}", c.text, c.link)
                    for i, c in enumerate(row) if isinstance(c, Cell)]
    assert len(numbers) >= (5 + 12 * 4 if code is None else 5 + 4)
    assert sum(v for _, v, _ in numbers) > 0
    auth.login(who)
    wrong = [(label, value, link, got) for label, value, link in numbers
             if (got := _listed(client, label, link)) != value]
    assert not wrong


def test_the_expiry_page_refuses_a_county_outside_the_scope_and_a_bad_date(demo, client, auth):
    auth.login("zhaoyang")
    page = client.get(f"/talent/expiring/?county={_region(ZHENXIONG).id}&on=2026-13-01").get_data(as_text=True)
    heading = page.split("<h3>")[1].split("</h3>")[0]
    assert "日期“2026-13-01”无效" in page
    assert "昭阳区" in heading and "镇雄县" not in heading
