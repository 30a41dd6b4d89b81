"""Demo data: about three thousand certified workers across the 11 counties, their
certificates, registrations, continuing education and a few supervision relations.

Everything is deterministic except the verification tokens (random by design).  Identity
numbers are generated with a correct check digit, start with the county's code and are
flagged ``demo``; the people are invented.  Rows go in with bulk statements: fast.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert

from console import Region

from .services import certificates, common, idnumber, registrations
from .models import (
    FINAL_OK,
    FIRST,
    FIRST_OK,
    ISSUED,
    PENDING,
    Certificate,
    EducationEntry,
    Person,
    Registration,
    Supervision,
    SupervisionSession,
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞婷雪琴云莲春梅海燕晶晶丹宇浩然子涵欣怡雨轩梓萱思远佳琪志强永福德明光荣"
EMPLOYERS = ("社区居委会", "村民委员会", "社会工作服务站", "乡镇(街道)社会工作站", "民政局",
             "社会工作服务中心", "养老服务中心", "儿童福利机构")
PER_COUNTY_BASE = 120
PER_TOWNSHIP = 12


def _id_number(county_code: str, born: dt.date, seq: int) -> str:
    first17 = f"{county_code}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + idnumber.check_char(first17)


def load(session, scale: str = "demo") -> int:
    """Add the demo register unless it is there; returns the number of people added."""
    if session.query(Person.id).filter(Person.demo.is_(True)).first():
        return 0
    rng = random.Random(20250601)
    today = common.today()
    levels = common.levels() or ["助理社会工作师", "社会工作师", "高级社会工作师"]
    routes = common.routes()
    sources = common.education_sources()
    years = common.setting("registration_years")
    need = common.level_hours()

    counties = session.query(Region).filter(Region.level == "county").order_by(Region.code).all()
    villages = {}
    for county in counties:
        villages[county.id] = [r.id for r in session.query(Region.id)
                               .filter(Region.level == "village", Region.path.startswith(county.path))
                               .order_by(Region.code)]
    people, seen = [], set()
    for county in counties:
        townships = session.query(Region.id).filter(Region.parent_id == county.id).count()
        count = PER_COUNTY_BASE + PER_TOWNSHIP * townships
        for i in range(count):
            born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 35 * 365))
            number = _id_number(county.code, born, i)
            while number in seen:  # the same birthday and sequence twice: next sequence
                i += 1000
                number = _id_number(county.code, born, i + rng.randrange(1000))
            seen.add(number)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            region_id = rng.choice(villages[county.id]) if villages[county.id] else county.id
            people.append({
                "name": name, "id_number_enc": idnumber.encrypt(number),
                "id_number_hash": idnumber.lookup_hash(number), "id_number_masked": idnumber.mask(number),
                "region_id": region_id, "employer": rng.choice(EMPLOYERS),
                "community_worker": rng.random() < 0.55, "contact": f"1{rng.randrange(3, 10)}{rng.randrange(10**8, 10**9)}",
                "demo": True, "created_at": dt.datetime(2025, 6, 1), "_county": county.code,
            })
    ids = session.execute(
        insert(Person.__table__).returning(Person.__table__.c.id, sort_by_parameter_order=True),
        [{k: v for k, v in p.items() if not k.startswith("_")} for p in people]).scalars().all()

    certs = []
    for seq, (pid, p) in enumerate(zip(ids, people), start=1):
        roll = rng.random()
        level = levels[0] if roll < 0.66 else levels[1 % len(levels)] if roll < 0.95 else levels[-1]
        year = rng.randint(2010, today.year - 1)
        route = routes[-1] if level == levels[-1] and len(routes) > 1 else routes[0]
        certs.append({"person_id": pid, "region_id": p["region_id"], "level": level,
                      "management_number": f"{year}{p['_county']}{seq:06d}", "year_obtained": year,
                      "route": route, "revoked": rng.random() < 0.01,
                      "revoked_reason": None, "token": certificates.new_token()})
    for c in certs:
        if c["revoked"]:
            c["revoked_reason"] = "演示数据：证书信息不实"
            c["revoked_on"] = today - dt.timedelta(days=rng.randrange(30, 400))
        else:
            c["revoked_on"] = None
    cert_ids = session.execute(
        insert(Certificate.__table__).returning(Certificate.__table__.c.id, sort_by_parameter_order=True),
        certs).scalars().all()

    regs, education = [], []
    for cid, c in zip(cert_ids, certs):
        roll = rng.random()
        if roll < 0.08:
            continue  # never registered
        if roll < 0.14:
            status = rng.choice((PENDING, FIRST_OK, FINAL_OK))
            regs.append({"certificate_id": cid, "region_id": c["region_id"], "kind": FIRST,
                         "status": status, "applied_on": today - dt.timedelta(days=rng.randrange(5, 60)),
                         "issued_on": None, "expires_on": None, "note": None, "review_note": None})
            continue
        # Expiries spread from a few months ago to the full period ahead.
        expires = today + dt.timedelta(days=rng.randrange(-120, years * 365))
        start = registrations.period_start_of(expires)
        regs.append({"certificate_id": cid, "region_id": c["region_id"], "kind": FIRST,
                     "status": ISSUED, "applied_on": start - dt.timedelta(days=30), "issued_on": start,
                     "expires_on": expires, "note": None, "review_note": None})
        required = need.get(c["level"], 90)
        target = required * rng.choice((0.3, 0.6, 0.9, 1.0, 1.1, 1.3))
        done, last = 0.0, min(today, expires)
        span = max((last - start).days, 1)
        while done < target:
            hours = float(rng.choice((4, 6, 8, 12, 16, 24, 32)))
            education.append({"person_id": c["person_id"], "region_id": c["region_id"],
                              "source": rng.choice(sources), "title": "演示：继续教育",
                              "hours": hours, "taken_on": start + dt.timedelta(days=rng.randrange(span))})
            done += hours
    if regs:
        session.execute(insert(Registration.__table__), regs)
    if education:
        session.execute(insert(EducationEntry.__table__), education)

    seniors = [(pid, p) for pid, p, c in zip(ids, people, certs) if c["level"] != levels[0]]
    juniors = [(pid, p) for pid, p, c in zip(ids, people, certs) if c["level"] == levels[0]]
    sups = []
    for pid, p in seniors[:120]:
        mates = [j for j in juniors if j[1]["_county"] == p["_county"]]
        for jid, jp in rng.sample(mates, min(2, len(mates))):
            sups.append({"supervisor_id": pid, "supervisee_id": jid, "region_id": jp["region_id"],
                         "started_on": today - dt.timedelta(days=rng.randrange(200, 700)), "ended_on": None})
    if sups:
        sup_ids = session.execute(
            insert(Supervision.__table__).returning(Supervision.__table__.c.id, sort_by_parameter_order=True),
            sups).scalars().all()
        sessions = []
        for sid, s in zip(sup_ids, sups):
            for _ in range(rng.randrange(1, 5)):
                sessions.append({"supervision_id": sid, "region_id": s["region_id"],
                                 "held_on": s["started_on"] + dt.timedelta(days=rng.randrange(1, 190)),
                                 "hours": float(rng.choice((1, 1.5, 2, 3))), "topic": "演示：个案督导"})
        session.execute(insert(SupervisionSession.__table__), sessions)
    session.flush()
    return len(ids)


__all__ = ["load"]
