"""Fixtures of the 三送三进 tests: enterprises, teams, departments and problems built through
the module's own services, in 昭阳区 and in 镇雄县."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.visits.services import creditcode
from plugins.visits.services import enterprises, problems, visits
from plugins.visits.services.common import today

ZHAOYANG, ZHENXIONG = "530602", "530627"


def code_for(n: int, division: str = ZHAOYANG) -> str:
    return creditcode.make("91", division, f"MA{n:06d}")


class World:
    """Access to the app's session, users and regions, and builders through the services."""

    def __init__(self, app):
        from console.foundation.extensions import db

        self.app = app
        self.db = db
        self.session = db.session

    def region(self, code):
        from console.regions.models import Region

        return self.session.query(Region).filter_by(code=code).one()

    def township(self, county_code):
        from console.regions.models import Region

        return (self.session.query(Region).filter_by(parent_id=self.region(county_code).id)
                .order_by(Region.code).first())

    def user(self, username):
        from console.security.users import ConsoleUser

        return self.session.query(ConsoleUser).filter_by(username=username).one()

    def enterprise(self, n=1, county=ZHAOYANG, name=None, township=True):
        region = self.township(county) if township else self.region(county)
        e = enterprises.save_enterprise(self.session, {
            "name": name or f"测试企业{n}有限公司", "credit_code": code_for(n, county),
            "region_id": region.id, "industry": "制造业", "size": "小型",
            "contact_person": "张三", "contact_phone": "13800000000"})
        self.session.commit()
        return e

    def team(self, county=ZHAOYANG, members=()):
        from plugins.visits.models import ServiceTeam

        team = ServiceTeam(name=f"{self.region(county).name}服务团", region_id=self.region(county).id)
        team.members.extend(self.user(u) for u in members)
        self.session.add(team)
        self.session.commit()
        return team

    def department(self, county=ZHAOYANG, members=(), name=None):
        from plugins.visits.models import Department

        d = Department(name=name or f"{self.region(county).name}工信局", region_id=self.region(county).id)
        d.members.extend(self.user(u) for u in members)
        self.session.add(d)
        self.session.commit()
        return d

    def visit(self, enterprise, day=None, **extra):
        v = visits.save_visit(self.session, {"visit_date": (day or today()).isoformat(),
                                             "send_items": ["送政策"], "enter_target": "进企业", **extra},
                              enterprise=enterprise)
        self.session.commit()
        return v

    def problem(self, enterprise, department=None, due=None, **extra):
        data = {"category": "融资信贷", "description": "流动资金不足", **extra}
        if department is not None:
            data["department_id"] = department.id
        if due is not None:
            data["due_date"] = due.isoformat()
            data.setdefault("raised_on", min(due, today()).isoformat())
        p = problems.raise_problem(self.session, enterprise, data, self.user("admin"))
        self.session.commit()
        return p


@pytest.fixture
def world(app):
    with app.app_context():
        yield World(app)


@pytest.fixture
def days():
    return lambda n: today() + dt.timedelta(days=n)

