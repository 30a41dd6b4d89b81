"""Fixtures of the 三送三进 tests: enterprises, teams, departments and problems built through
the module's own services, in 昭阳区 and in 镇雄县."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from jiceng.plugins.visits.services import creditcode
from jiceng.plugins.visits.services import enterprises, problems, visits
from jiceng.plugins.visits.services.common import today

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
        from jiceng.plugins.visits.models import ServiceTeam

        team = ServiceTeam(name=f"{self.region(county).name}服务团", region_id=self.region(county).id)
        team.members.extend(self.user(u) for u in members)
        self.session.add(team)
        self.session.commit()
        return team

    def department(self, county=ZHAOYANG, members=(), name=None):
        from jiceng.plugins.visits.models import Department

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


# -- shared by the page and the API tests ------------------------------------------------------


@pytest.fixture
def other_county(world):
    """An enterprise of 镇雄县 with a visit and a problem."""
    e = world.enterprise(900, county=ZHENXIONG, name="镇雄测试企业")
    v = world.visit(e)
    p = world.problem(e, world.department(ZHENXIONG))
    return {"enterprise": e.id, "visit": v.id, "problem": p.id}



# -- the enterprise registry of the paging tests -----------------------------------------------


@pytest.fixture
def registry(app):
    """70 enterprises over two counties; names repeat (ties broken by id) and interleave the
    counties, so a page boundary falls inside a run of equal names."""
    for n in range(70):
        county = ZHAOYANG if n % 3 else ZHENXIONG
        _add(app, n, f"企业{n % 9}号" if n % 4 else f"同名企业{n % 2}", county)
    return app


def _add(app, n, name, county=ZHAOYANG):
    with app.app_context():
        world = World(app)
        enterprises.save_enterprise(world.session, {
            "name": name, "credit_code": code_for(n, county),
            "region_id": world.township(county).id, "industry": "制造业" if n % 2 else "批发和零售业"})
        world.session.commit()


def _sql(app, sql, **params) -> list:
    with app.app_context():
        return [tuple(row) for row in World(app).session.execute(text(sql), params)]


def _county(app, code) -> int:
    return _sql(app, "SELECT id FROM region WHERE code = :c", c=code)[0][0]


def _expected(app, where="1 = 1", **params) -> list[int]:
    return [r[0] for r in _sql(app, f"SELECT id FROM visits_enterprise WHERE {where} ORDER BY name, id",
                               **params)]


IN_ZHAOYANG = "region_id IN (SELECT id FROM region WHERE path LIKE '530600.530602.%')"
