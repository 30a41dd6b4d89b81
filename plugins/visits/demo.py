"""Demo data calibrated to the city's 2025 review: service teams in every county, a few
thousand enterprises, their visits, and about 260 problems solved in 2025 ("累计为民营企业解决
实际问题260余个").  ``city`` scale adds enterprises up to 432,000 (43.2万) with bulk inserts.

Deterministic (fixed seeds) and safe to run again: what exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select

from console import ConsoleUser, Region, clock, geography

from .models import Department, Enterprise, Problem, ProblemStep, ServiceTeam, Visit
from .services import creditcode
from .services.common import today
from .services.problems import (
    ASSIGNED,
    CLOSED,
    CONFIRMING,
    FAIRLY_SATISFIED,
    IN_PROGRESS,
    NEW,
    SATISFIED,
)

DEMO_ENTERPRISES = 3000
CITY_ENTERPRISES = 432_000
SOLVED_2025 = 262
CITY_TEAM = "昭通市党建惠企服务团"

_WORDS = ("昭通 乌蒙 金江 凤凰 龙泉 苹果 天麻 高原 云岭 秀水 北闸 永丰 翠华 大山包 渔洞 洒渔 "
          "盘河 靖安 乐居 守望 苏家院 旧圃 青岗 小龙洞 太平 布嘎 永乐 田坝 太阳 新街 双河").split()
_TRADES = ("食品", "农业开发", "商贸", "建材", "物流", "餐饮管理", "科技", "电子商务", "养殖",
           "中药材", "酒业", "茶业", "建筑工程", "汽车服务", "文化传媒", "旅游开发", "劳务服务")
_FORMS = ("有限公司", "有限责任公司", "股份有限公司", "合作社", "商行")
_CITY_DEPTS = ("市发展和改革委员会", "市工业和信息化局", "市人力资源和社会保障局", "市市场监督管理局",
               "市自然资源和规划局", "市地方金融管理局")
_COUNTY_DEPTS = ("发展和改革局", "工业信息化和商务局", "人力资源和社会保障局", "市场监督管理局")
_PROBLEMS = {
    "融资信贷": "企业扩大生产，流动资金不足，希望协调银行办理信贷",
    "用工招聘": "旺季用工缺口约 {n} 人，希望协助对接劳务输出",
    "政策咨询": "不清楚稳岗返还和研发费用加计扣除如何申报",
    "审批办证": "新厂房消防验收办理进度慢",
    "水电气路": "厂区道路破损，雨季运输困难",
    "市场开拓": "希望参加省内外农特产品展销会",
    "科技创新": "希望申报高新技术企业，需要科技特派员指导",
    "法律服务": "与供应商合同纠纷，需要法律咨询",
    "党建指导": "新成立党支部，需要党建指导员指导规范化建设",
    "其他": "希望协调解决员工子女入学问题",
}


def _division(county_code: str) -> str:
    return county_code


def credit_code_for(index: int, county_code: str) -> str:
    """A deterministic, valid code for the index-th demo enterprise."""
    body = f"MA{index:06d}"
    return creditcode.make("92" if index % 7 == 0 else "91", _division(county_code), body)


def _name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.choice(_TRADES)}{rng.choice(_FORMS)}（示例{index}）"


def _regions(session):
    counties = {r.code: r for r in session.query(Region).filter(Region.level == "county")}
    townships: dict[int, list[int]] = {}
    for rid, parent_id in session.query(Region.id, Region.parent_id).filter(Region.level == "township"):
        townships.setdefault(parent_id, []).append(rid)
    return counties, townships


def _weights():
    # Enterprises spread like townships do: a county's share of the 150.
    return [(code, townships) for code, _name_, townships, _s, _x in geography.COUNTIES]


def _enterprise_rows(session, start: int, stop: int, counties, townships, settings_lists):
    """Rows ``start`` to ``stop``; each block of 1,000 has its own seed, so row ``i`` is the
    same whichever scale asked for it."""
    industries, sizes = settings_lists
    weights = _weights()
    codes = [c for c, _ in weights]
    cum = [w for _, w in weights]
    now = clock.utcnow()
    for block in range(start // 1000, (stop + 999) // 1000):
        rng = random.Random(f"visits-enterprises-{block}")
        for index in range(block * 1000, min(block * 1000 + 1000, stop)):
            county = counties[rng.choices(codes, cum)[0]]
            local = townships.get(county.id) or [county.id]
            region_id = rng.choice(local) if rng.random() < 0.8 else county.id
            size = rng.choices(sizes, [1, 4, 30, 65])[0] if len(sizes) == 4 else rng.choice(sizes)
            row = {
                "name": _name(rng, index), "credit_code": credit_code_for(index, county.code),
                "region_id": region_id, "county_id": county.id, "industry": rng.choice(industries),
                "size": size, "address": f"{county.name}示例路 {index % 500 + 1} 号",
                "contact_person": rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(("先生", "女士", "经理")),
                "contact_phone": f"1{rng.randint(30, 99)}{rng.randint(0, 99999999):08d}",
                "created_at": now,
            }
            if index >= start:
                yield row


def _bulk_enterprises(session, target: int, counties, townships, settings_lists) -> int:
    have = session.query(func.count(Enterprise.id)).filter(Enterprise.name.like("%（示例%")).scalar()
    if have >= target:
        return 0
    existing = {c for (c,) in session.execute(select(Enterprise.credit_code))}
    added, batch = 0, []
    for row in _enterprise_rows(session, have, target, counties, townships, settings_lists):
        if row["credit_code"] in existing:
            continue
        batch.append(row)
        if len(batch) >= 5000:
            session.execute(insert(Enterprise.__table__), batch)
            added += len(batch)
            batch = []
    if batch:
        session.execute(insert(Enterprise.__table__), batch)
        added += len(batch)
    session.flush()
    return added


def _teams_and_departments(session, counties):
    city = session.query(Region).filter(Region.level == "city").one()
    users = {u.username: u for u in session.query(ConsoleUser)}
    session.add(ServiceTeam(name=CITY_TEAM, region_id=city.id))
    for name in _CITY_DEPTS:
        session.add(Department(name=name, region_id=city.id))
    for code, county in sorted(counties.items()):
        team = ServiceTeam(name=f"{county.name}党建惠企服务团", region_id=county.id)
        session.add(team)
        for dept in _COUNTY_DEPTS:
            department = Department(name=f"{county.name}{dept}", region_id=county.id)
            session.add(department)
            if dept == "工业信息化和商务局":
                member = {"530602": "zhaoyang", "530627": "zhenxiong"}.get(code)
                if member in users:
                    department.members.append(users[member])
        member = {"530602": "zhaoyang", "530627": "zhenxiong"}.get(code)
        if member in users:
            team.members.append(users[member])
    session.flush()


def _visits_and_problems(session, counties):
    rng = random.Random("visits-2025")
    end = today()
    teams = {t.region_id: t for t in session.query(ServiceTeam)}
    departments: dict[int, list[Department]] = {}
    for d in session.query(Department):
        departments.setdefault(d.region_id, []).append(d)
    city_depts = departments.get(session.query(Region.id).filter(Region.level == "city").scalar(), [])
    enterprises = session.query(Enterprise.id, Enterprise.region_id, Enterprise.county_id).filter(
        Enterprise.name.like("%（示例%")).order_by(Enterprise.id).limit(DEMO_ENTERPRISES).all()
    sends = ["送政策", "送服务", "送温暖"]
    enters = ["进企业", "进车间", "进班组"]
    categories = list(_PROBLEMS)
    start_2025 = dt.date(2025, 1, 6)
    visits = []
    for i in range(1800):
        eid, region_id, county_id = rng.choice(enterprises)
        day = start_2025 + dt.timedelta(days=rng.randint(0, max((end - start_2025).days, 1)))
        visits.append(Visit(
            enterprise_id=eid, team_id=teams[county_id].id if county_id in teams else None,
            region_id=region_id, county_id=county_id, visit_date=min(day, end),
            send_items="、".join(sorted(rng.sample(sends, rng.randint(1, 3)), key=sends.index)),
            enter_target=rng.choice(enters), notes="了解企业生产经营情况，宣讲惠企政策。",
            created_at=clock.utcnow()))
    session.add_all(visits)
    session.flush()
    in_2025 = [v for v in visits if v.visit_date.year == 2025]
    later = [v for v in visits if v.visit_date.year > 2025]

    def problem(v: Visit, status: str, closed_on: dt.date | None = None):
        category = rng.choice(categories)
        dept = rng.choice(departments.get(v.county_id, []) + city_depts[:2])
        raised = v.visit_date
        due = raised + dt.timedelta(days=rng.choice((15, 30, 30, 45)))
        p = Problem(enterprise_id=v.enterprise_id, visit_id=v.id, region_id=v.region_id,
                    county_id=v.county_id, category=category,
                    description=_PROBLEMS[category].format(n=rng.randint(10, 80)),
                    department_id=None if status == NEW else dept.id, due_date=due, raised_on=raised,
                    status=status, reopen_count=0, created_at=clock.utcnow())
        steps = [ProblemStep(region_id=v.region_id, from_status=None, to_status=NEW, username="演示数据",
                             at=dt.datetime.combine(raised, dt.time(10)))]
        if status != NEW:
            steps.append(ProblemStep(region_id=v.region_id, from_status=NEW, to_status=ASSIGNED,
                                     username="演示数据", at=dt.datetime.combine(raised, dt.time(16))))
        if status in (IN_PROGRESS, CONFIRMING, CLOSED):
            p.measures = f"由{dept.name}牵头，逐项对接落实。"
        if status in (CONFIRMING, CLOSED):
            p.result = "已协调解决，企业反映良好。"
        if status == CLOSED:
            p.satisfaction = SATISFIED if rng.random() < 0.85 else FAIRLY_SATISFIED
            p.closed_at = dt.datetime.combine(closed_on, dt.time(9))
            p.closed_by_name = "演示数据"
            steps.append(ProblemStep(region_id=v.region_id, from_status=CONFIRMING, to_status=CLOSED,
                                     username="演示数据", at=p.closed_at))
        p.steps = steps
        return p

    problems = []
    for v in rng.sample(in_2025, min(SOLVED_2025, len(in_2025))):
        closed_on = min(v.visit_date + dt.timedelta(days=rng.randint(5, 40)), dt.date(2025, 12, 31))
        problems.append(problem(v, CLOSED, closed_on))
    for v in rng.sample(later, min(90, len(later))):
        status = rng.choice((NEW, ASSIGNED, IN_PROGRESS, IN_PROGRESS, CONFIRMING, CLOSED, CLOSED))
        closed_on = min(v.visit_date + dt.timedelta(days=rng.randint(3, 30)), end)
        problems.append(problem(v, status, closed_on))
    session.add_all(problems)
    session.flush()


def load(session, scale: str = "demo") -> None:
    from console import plugin_settings

    counties, townships = _regions(session)
    if not counties:
        return
    lists = (plugin_settings.get("visits", "industries"), plugin_settings.get("visits", "sizes"))
    _bulk_enterprises(session, DEMO_ENTERPRISES, counties, townships, lists)
    if session.query(ServiceTeam.id).filter(ServiceTeam.name == CITY_TEAM).first() is None:
        _teams_and_departments(session, counties)
        _visits_and_problems(session, counties)
    if scale == "city":
        _bulk_enterprises(session, CITY_ENTERPRISES, counties, townships, lists)
