"""Demo data: an inspection history for all 1,424 villages.

Most villages are clean after the standardization; some had excess plaques or cancelled
certificates and were rectified and closed off; a few are still rectifying (some overdue) and a
few rebounded after being clean, with a re-inspection scheduled.  Each village's story is drawn
from a random generator seeded by its code, so the same database always gets the same data.
Rows are written with bulk statements: the whole city loads in seconds.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert

from console import ConsoleUser, Region, clock

from .models import (
    CancelledCertificate,
    CertificateFinding,
    Inspection,
    PlaqueFinding,
    RectificationOrder,
    Reinspection,
    VillageLedger,
    WhitelistVersion,
)
from .services.seeds import REMOVED_PLAQUES, WHITELIST

PREFIX = "demo-"
# share of villages per story, in this order
MIX = [("clean", 0.78), ("rectified", 0.13), ("rectifying", 0.04), ("rebound", 0.03), ("uninspected", 0.02)]
DEADLINES = {"plaque": 15, "certificate": 7}


def _story(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for story, share in MIX:
        total += share
        if roll < total:
            return story
    return MIX[-1][0]


def _user_ids(session) -> dict[str, int | None]:
    names = ("zhaoyang", "zhenxiong", "nameplates_owner", "admin")
    found = dict(session.query(ConsoleUser.username, ConsoleUser.id).filter(ConsoleUser.username.in_(names)))
    return {n: found.get(n) for n in names}


def load(session, scale: str = "demo") -> int:
    """Add the demo history unless it is there; returns the number of inspections added."""
    if session.query(Inspection.id).filter(Inspection.client_id.like(PREFIX + "%")).first():
        return 0
    version = session.query(WhitelistVersion).order_by(WhitelistVersion.number).first()
    if version is None:
        return 0
    certificates = session.query(CancelledCertificate).order_by(CancelledCertificate.number).limit(10).all()
    users = _user_ids(session)
    today = clock.today()
    villages = session.query(Region).filter(Region.level == "village").order_by(Region.path).all()

    plans = []  # (village, story, [inspection dicts])
    for village in villages:
        rng = random.Random(f"nameplates:{village.code}")
        story = _story(rng)
        county_code = village.path.split(".")[1] if village.path.count(".") > 2 else ""
        inspector = {"530602": users["zhaoyang"], "530627": users["zhenxiong"]}.get(county_code) or users["nameplates_owner"]
        reviewer = users["admin"] if inspector == users["nameplates_owner"] else users["nameplates_owner"]
        plans.append((village, story, rng, inspector, reviewer))

    inspections, details = [], []
    for village, story, rng, inspector, reviewer in plans:
        if story == "uninspected":
            continue
        recent = story == "rectifying"
        # The campaign ran through 2025 (the city's review): first inspections from spring 2025 on.
        first_day = today - dt.timedelta(days=rng.randint(2, 14) if recent else rng.randint(60, 600))
        findings = story in ("rectified", "rectifying")
        extra_plaques = rng.sample(REMOVED_PLAQUES, rng.randint(1, 2)) if findings else []
        certs = [rng.choice(certificates)] if findings and certificates and rng.random() < 0.4 else []
        first = _inspection(village, first_day, "乡镇全面复核", inspector, reviewer, not (extra_plaques or certs))
        inspections.append(first)
        details.append((village, story, rng, first, extra_plaques, certs, False))
        if story == "rectified":
            # the follow-up review after the orders were closed off found the village clean
            follow = first_day + dt.timedelta(days=rng.randint(25, 50))
            inspections.append(_inspection(village, follow, "县级二次复核", inspector, reviewer, True))
            details.append((village, "clean", rng, inspections[-1], [], [], False))
        if story == "rebound":
            later = today - dt.timedelta(days=rng.randint(2, 20))
            plaque = [rng.choice(REMOVED_PLAQUES)]
            second = _inspection(village, later, "县级随机抽查", inspector, reviewer, False, rebound=True)
            inspections.append(second)
            details.append((village, story, rng, second, plaque, [], True))

    if not inspections:
        return 0
    ids = session.execute(
        insert(Inspection).returning(Inspection.id, sort_by_parameter_order=True),
        [{**row, "whitelist_version_id": version.id} for row in inspections],
    ).scalars().all()

    plaques, cert_rows, orders, reinspections = [], [], [], []
    ledger: dict[int, dict] = {}
    for inspection_id, (village, story, rng, row, extra, certs, rebound) in zip(ids, details):
        for name, position in WHITELIST:
            plaques.append({"inspection_id": inspection_id, "name": name, "position": position,
                            "on_whitelist": True, "unregistered": False, "action": "keep"})
        for name in extra:
            plaques.append({"inspection_id": inspection_id, "name": name, "position": rng.choice(["outside", "inside"]),
                            "on_whitelist": False, "unregistered": False, "action": rng.choice(["remove", "merge"])})
        for cert in certs:
            cert_rows.append({"inspection_id": inspection_id, "name": cert.name, "cancelled": True,
                              "cancelled_id": cert.id})
        opened = row["inspected_on"] + dt.timedelta(days=2)
        entry = ledger.setdefault(village.id, {"region_id": village.id, "inspections": 0, "open_orders": 0,
                                               "closed_orders": 0, "rebounds": 0, "next_deadline": None})
        entry["inspections"] += 1
        entry["last_inspection_id"] = inspection_id
        entry["last_inspected_on"] = row["inspected_on"]
        closed = story == "rectified"
        subjects = [("plaque", f"{n}（应摘除或合并）") for n in extra] + [("certificate", f"仍出具“{c.name}”") for c in certs]
        for finding_type, subject in subjects:
            deadline = opened + dt.timedelta(days=DEADLINES[finding_type])
            order = {"region_id": village.id, "inspection_id": inspection_id, "finding_type": finding_type,
                     "subject": subject, "responsible_person": "村党组织书记", "opened_on": opened,
                     "deadline": deadline, "status": "closed" if closed else "open"}
            if closed:
                done = opened + dt.timedelta(days=rng.randint(2, DEADLINES[finding_type]))
                order.update(rectified_on=done, closed_on=done + dt.timedelta(days=1), measures="已按要求摘除",
                             reinspection_note="复查通过")
                entry["closed_orders"] += 1
            else:
                entry["open_orders"] += 1
                if entry["next_deadline"] is None or deadline < entry["next_deadline"]:
                    entry["next_deadline"] = deadline
            orders.append(order)
        if rebound:
            entry["rebounds"] += 1
            reinspections.append({"region_id": village.id, "source_inspection_id": inspection_id,
                                  "reason": "反弹：" + "、".join(f"牌子“{n}”" for n in extra),
                                  "due_on": today + dt.timedelta(days=30), "status": "scheduled"})
        entry["status"] = ("rebound" if entry["rebounds"] else "rectifying" if entry["open_orders"]
                           else "rectified" if entry["closed_orders"] else "clean")

    for table, rows in ((PlaqueFinding, plaques), (CertificateFinding, cert_rows),
                        (RectificationOrder, orders), (Reinspection, reinspections)):
        if rows:
            session.execute(insert(table), rows)
    existing = {r for (r,) in session.query(VillageLedger.region_id)}
    rows = [r for r in ledger.values() if r["region_id"] not in existing]
    if rows:
        session.execute(insert(VillageLedger), rows)
    session.flush()
    return len(ids)


def _inspection(village, day, level, inspector, reviewer, compliant, rebound=False) -> dict:
    return {
        "client_id": f"{PREFIX}{village.code}-{day.isoformat()}",
        "region_id": village.id, "level": level, "inspected_on": day, "inspector_id": inspector,
        "wall_boards": 6, "wall_boards_ok": True, "status": "accepted", "reviewer_id": reviewer,
        "reviewed_at": dt.datetime.combine(day + dt.timedelta(days=2), dt.time(10)),
        "review_comment": None, "compliant": compliant, "rebound": rebound,
        "created_at": dt.datetime.combine(day, dt.time(9)),
    }


def counts(session) -> dict[str, int]:
    return dict(session.query(VillageLedger.status, func.count(VillageLedger.id)).group_by(VillageLedger.status))
