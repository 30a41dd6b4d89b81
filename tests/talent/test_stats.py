"""The module's counts.  stats.education_compliance sums hours in one SQL query; it must agree
with the plain Python reckoning below (every row fetched, periods worked out per registration),
on demo data and on the edge cases of a period's boundaries.  The dashboard cards count inside
the user's region."""

from __future__ import annotations

import datetime as dt

import pytest

from console.foundation.extensions import db
from console.plugins import settings as plugin_settings
from console.regions.models import Region
from jiceng.plugins.talent import dashboard, demo, stats
from jiceng.plugins.talent.models import Certificate, EducationEntry, ISSUED, Person, Registration
from jiceng.plugins.talent.services import certificates, common, registrations

from .conftest import add_worker, issue, TODAY, village_in


def reference(on: dt.date, region=None) -> dict:
    """The reckoning in Python over every row, written without the module's queries."""
    years = plugin_settings.get("talent", "registration_years")
    need = {}
    for line in plugin_settings.get("talent", "levels"):
        name, _, hours = line.partition("=")
        need[name.strip()] = int(hours)
    if region is not None:
        inside = {r.id for r in db.session.query(Region).filter(Region.path.startswith(region.path))}
    else:
        inside = None
    certs = {c.id: c for c in db.session.query(Certificate) if not c.revoked}
    issued = [r for r in db.session.query(Registration) if r.status == ISSUED and r.certificate_id in certs]
    latest = {}
    for r in issued:
        latest[r.certificate_id] = max(latest.get(r.certificate_id, r.expires_on), r.expires_on)
    regs = [r for r in issued if r.expires_on == latest[r.certificate_id] and r.expires_on >= on
            and (inside is None or r.region_id in inside)]
    entries = {}
    for e in db.session.query(EducationEntry):
        if inside is None or e.region_id in inside:
            entries.setdefault(e.person_id, []).append(e)
    compliant, short = 0, []
    for r in regs:
        first = r.expires_on + dt.timedelta(days=1)
        try:
            start = first.replace(year=first.year - years)
        except ValueError:
            start = first.replace(year=first.year - years, day=28)
        person = certs[r.certificate_id].person_id
        done = sum(e.hours for e in entries.get(person, ()) if start <= e.taken_on <= r.expires_on)
        missing = need.get(certs[r.certificate_id].level, 90) - done
        if missing <= 0:
            compliant += 1
        else:
            short.append((r.id, round(missing, 1)))
    return {"total": len(regs), "compliant": compliant, "short": sorted(short)}


def regions():
    counties = db.session.query(Region).filter(Region.code.in_(("530602", "530627"))).order_by(Region.code)
    return [None, *counties]


def assert_agrees(on: dt.date):
    for region in regions():
        got = stats.education_compliance(on, region)
        assert got == reference(on, region), (on, region and region.name)


def worker(name, county, seq, expires_on, level="社会工作师"):
    """A person with one issued registration, moved to end on ``expires_on``."""
    person, cert = add_worker(name, county, seq, level=level)
    reg = issue(cert, TODAY - dt.timedelta(days=30))
    reg.expires_on = expires_on
    return person, cert, reg


def hours(person, *days_hours, region_id=None):
    for day, h in days_hours:
        db.session.add(EducationEntry(person_id=person.id, region_id=region_id or person.region_id,
                                      source="集中培训", hours=h, taken_on=day))


@pytest.fixture
def edge(ctx):
    # Ends 28 Feb 2028 (a leap year): the period starts on 28 Feb 2025 (29 Feb 2025 does not exist).
    a, _, _ = worker("甲", "530602", 401, dt.date(2028, 2, 28))
    hours(a, (dt.date(2025, 2, 27), 50), (dt.date(2025, 2, 28), 40), (dt.date(2028, 2, 28), 50),
          (dt.date(2028, 2, 29), 50))
    # Ends 28 Feb 2027: the period starts on 1 March 2024, the day after 29 February.
    b, _, _ = worker("乙", "530602", 402, dt.date(2027, 2, 28))
    hours(b, (dt.date(2024, 2, 29), 60), (dt.date(2024, 3, 1), 30), (dt.date(2027, 2, 28), 30))
    # Ends 29 Feb 2028: the period starts on 1 March 2025.
    c, _, _ = worker("丙", "530602", 403, dt.date(2028, 2, 29), level="助理社会工作师")
    hours(c, (dt.date(2025, 2, 28), 40), (dt.date(2025, 3, 1), 72))
    # Ends on the day judged: still in force.  Exactly the hours required.
    d, _, _ = worker("丁", "530627", 404, TODAY)
    hours(d, (TODAY - dt.timedelta(days=365 * 3 - 1), 45), (TODAY, 45))
    # Expired the day before: left out.
    e, _, _ = worker("戊", "530627", 405, TODAY - dt.timedelta(days=1))
    hours(e, (TODAY - dt.timedelta(days=10), 90))
    # No hours at all.
    worker("己", "530627", 406, dt.date(2027, 12, 31), level="高级社会工作师")
    # Several registrations: only the latest counts, and only its period's hours.
    g, gcert, old = worker("庚", "530602", 407, dt.date(2026, 3, 1))
    renewal = issue_again(gcert, dt.date(2029, 3, 1))
    hours(g, (dt.date(2025, 1, 1), 90), (dt.date(2026, 3, 2), 20))
    # Two certificates of one person: the same hours count for each.
    h, _, _ = worker("辛", "530627", 408, dt.date(2027, 6, 30))
    hcert = certificates.add_certificate(h, level="高级社会工作师", management_number="M530627408b",
                                     year_obtained=2019, route="考试", on=TODAY)
    issue(hcert, TODAY - dt.timedelta(days=20)).expires_on = dt.date(2028, 6, 30)
    hours(h, (dt.date(2025, 7, 1), 88), (dt.date(2026, 1, 1), 2.5))
    # A revoked certificate: left out.
    i, icert, _ = worker("壬", "530602", 409, dt.date(2027, 1, 1))
    icert.revoked = True
    # Hours recorded in another county count in the city, not inside the person's county.
    j, _, _ = worker("癸", "530602", 410, dt.date(2027, 9, 1))
    hours(j, (dt.date(2026, 1, 1), 80), (dt.date(2026, 2, 1), 10), region_id=village_in("530627").id)
    hours(j, (dt.date(2026, 3, 1), 0.5))
    db.session.commit()
    return {"old": old.id, "renewal": renewal.id}


def issue_again(cert, expires_on):
    reg = Registration(certificate_id=cert.id, region_id=cert.region_id, kind="延续登记", status=ISSUED,
                       applied_on=TODAY, issued_on=TODAY, expires_on=expires_on)
    db.session.add(reg)
    db.session.flush()
    return reg


def test_agrees_on_the_edges_of_periods(edge):
    for on in (TODAY, TODAY + dt.timedelta(days=1), dt.date(2027, 2, 28), dt.date(2028, 3, 1)):
        assert_agrees(on)
    got = stats.education_compliance(TODAY)
    ids = {reg_id for reg_id, _ in got["short"]}
    assert edge["renewal"] in ids and edge["old"] not in ids
    assert got["total"] == 9


def test_agrees_with_settings_changed(edge):
    assert plugin_settings.save("talent", {**plugin_settings.values("talent"), "registration_years": "2",
                                           "levels": "助理社会工作师=40\n社会工作师=85"}) == {}
    # 高级社会工作师 left the settings: its certificates need the usual 90 hours.
    for on in (TODAY, dt.date(2027, 3, 1)):
        assert_agrees(on)
    assert plugin_settings.save("talent", {**plugin_settings.values("talent"), "registration_years": "5"}) == {}
    assert_agrees(TODAY)


def test_tenths_of_an_hour_add_up_like_the_person_page(ctx):
    person, cert, reg = worker("子", "530602", 411, dt.date(2027, 12, 31), level="助理社会工作师")
    hours(person, *[(dt.date(2026, 1, 1) + dt.timedelta(days=n), 0.1) for n in range(10)],
          (dt.date(2025, 6, 1), 71))
    db.session.commit()
    assert registrations.education_status(cert, reg)["short"] == 0
    assert stats.education_compliance(TODAY) == {"total": 1, "compliant": 1, "short": []}


def test_nobody_in_force(ctx):
    assert stats.education_compliance(TODAY) == {"total": 0, "compliant": 0, "short": []}


def test_agrees_on_demo_data(ctx):
    demo.load(db.session, "demo")
    db.session.commit()
    today = common.today()
    got = stats.education_compliance(today)
    assert 0 < got["compliant"] < got["total"]
    assert db.session.query(Person).count() > 2000
    for on in (today, dt.date(2027, 1, 1)):
        assert_agrees(on)


def test_cards_count_inside_the_region(app, workers):
    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        cards = {c.title: c for c in dashboard.cards(zhaoyang)}
        assert cards["持证社工"].value == 1
        city = {c.title: c for c in dashboard.cards(None)}
        assert city["持证社工"].value == 2
        assert set(cards) == {"持证社工", "90 天内登记到期", "继续教育达标率"}
