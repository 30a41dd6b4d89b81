"""Fixtures of the talent module: people in 昭阳区 and 镇雄县 built through its services."""

from __future__ import annotations

import datetime as dt

import pytest

from console.foundation.extensions import db
from console.regions.models import Region
from jiceng.plugins.talent.services import certificates, idnumber, people, registrations

TODAY = dt.date(2026, 6, 1)


def make_id(county: str = "530602", born: str = "19850312", seq: int = 123) -> str:
    first17 = f"{county}{born}{seq:03d}"
    return first17 + idnumber.check_char(first17)


def village_in(county_code: str) -> Region:
    county = db.session.query(Region).filter_by(code=county_code).one()
    return (db.session.query(Region).filter(Region.level == "village", Region.path.startswith(county.path))
            .order_by(Region.code).first())


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        db.session.rollback()


def add_worker(name: str, county: str, seq: int, level: str = "社会工作师", number: str | None = None,
               contact: str = "13800001111", employer: str = "社会工作服务站"):
    person = people.create_person(name=name, id_number=make_id(county, seq=seq),
                                    region_id=village_in(county).id, employer=employer,
                                    contact=contact, community_worker=True, on=TODAY)
    cert = certificates.add_certificate(person, level=level, management_number=number or f"M{county}{seq}",
                                    year_obtained=2018, route="考试", on=TODAY)
    return person, cert


def issue(cert, on: dt.date):
    """A first registration taken through every step to 已出证 on ``on``."""
    reg = registrations.apply_registration(cert, "首次登记", on=on)
    for to in ("待审核", "初审通过", "终审通过", "已出证"):
        registrations.transition(reg, to, on=on)
    return reg


@pytest.fixture
def workers(app):
    """张小三 in 昭阳区 and 李四 in 镇雄县, each with an issued registration.  Built in an app
    context of its own: a context left open would be shared by the test client's requests."""
    with app.app_context():
        return _workers()


def _workers():
    zhang, zcert = add_worker("张小三", "530602", 101, contact="13912345678", employer="昭阳区阳光社工站")
    li, lcert = add_worker("李四", "530627", 202)
    zreg = issue(zcert, TODAY - dt.timedelta(days=400))
    lreg = issue(lcert, TODAY - dt.timedelta(days=400))
    db.session.commit()
    return {"zhang": zhang.id, "zcert": zcert.id, "zreg": zreg.id, "li": li.id, "lcert": lcert.id,
            "lreg": lreg.id, "zhang_id_number": make_id("530602", seq=101),
            "li_id_number": make_id("530627", seq=202), "ztoken": zcert.token, "ltoken": lcert.token}
