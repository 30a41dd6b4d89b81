"""Rectification orders and the reverse check (倒查).

An accepted inspection opens one order per non-compliant finding.  Before it does, the reverse
check asks whether the village was clean (an earlier accepted inspection and no order left
open) and now shows an excess plaque or a cancelled certificate again: that is a rebound,
flagged on the inspection, and a re-inspection is scheduled.
"""

from __future__ import annotations

import datetime as dt

from console import clock, notifications, scope, unit_of_work

from ..errors import Forbidden, NameplatesError, NotFound
from ..models import Inspection, RectificationOrder, Reinspection
from . import ledger, photos, registers

today = clock.today
SOURCE = "nameplates"


def findings(inspection: Inspection) -> list[tuple[str, str]]:
    """(finding type, subject) of every non-compliant finding of an inspection."""
    out = []
    for p in inspection.plaques:
        if not p.on_whitelist:
            out.append(("plaque", f"{p.name}（{p.position_title}，应{p.action_title}）"))
    for c in inspection.certificates:
        if c.cancelled:
            out.append(("certificate", f"仍出具“{c.name}”"))
    if not inspection.wall_boards_ok:
        out.append(("wallboard", inspection.wall_boards_note or f"上墙牌板 {inspection.wall_boards} 块，不规范"))
    return out


def _rebound_signs(inspection: Inspection) -> list[str]:
    signs = [f"牌子“{p.name}”" for p in inspection.plaques if not p.on_whitelist]
    signs += [f"证明“{c.name}”" for c in inspection.certificates if c.cancelled]
    return signs


def was_clean(session, village_id: int, before: Inspection) -> bool:
    """An earlier accepted inspection exists and no order of the village is still open."""
    earlier = (
        session.query(Inspection.id)
        .filter(Inspection.region_id == village_id, Inspection.status == "accepted",
                Inspection.id != before.id)
        .first()
    )
    if earlier is None:
        return False
    still_open = (
        session.query(RectificationOrder.id)
        .filter(RectificationOrder.region_id == village_id, RectificationOrder.status != "closed")
        .first()
    )
    return still_open is None


def on_accepted(session, inspection: Inspection) -> list[RectificationOrder]:
    """Reverse check, completion of scheduled re-inspections, and the new orders."""
    village_id = inspection.region_id
    signs = _rebound_signs(inspection)
    rebound = bool(signs) and was_clean(session, village_id, inspection)
    # This inspection is the re-inspection any earlier schedule was waiting for.
    for pending in session.query(Reinspection).filter(
        Reinspection.region_id == village_id, Reinspection.status == "scheduled",
        Reinspection.source_inspection_id != inspection.id,
    ):
        pending.status = "done"
        pending.done_inspection_id = inspection.id
    opened = []
    start = today()
    for finding_type, subject in findings(inspection):
        order = RectificationOrder(
            region_id=village_id, inspection_id=inspection.id, finding_type=finding_type,
            subject=subject[:200], responsible_person=inspection.responsible_person, opened_on=start,
            deadline=start + dt.timedelta(days=registers.deadline_days(finding_type)), status="open",
        )
        session.add(order)
        opened.append(order)
    inspection.compliant = not opened
    inspection.rebound = rebound
    if rebound:
        scheduled = schedule_reinspection(session, inspection, "反弹：" + "、".join(signs))
        _tell_the_county(session, inspection, scheduled)
    return opened


def _tell_the_county(session, inspection: Inspection, scheduled: Reinspection) -> None:
    """The inspectors whose scope covers the village learn of the rebound and the re-inspection."""
    recipients = notifications.users_with_role(session, "检查员", inspection.region_id)
    if recipients:
        notifications.notify(
            session, recipients, f"倒查发现反弹：{inspection.region.name}"[:200],
            body=f"{scheduled.reason}。已安排复查，期限 {scheduled.due_on.isoformat()}。",
            link=f"/nameplates/inspections/{inspection.id}", source="nameplates",
        )


def schedule_reinspection(session, inspection: Inspection, reason: str) -> Reinspection:
    """One scheduled re-inspection per rebound inspection."""
    existing = (
        session.query(Reinspection)
        .filter(Reinspection.source_inspection_id == inspection.id)
        .one_or_none()
    )
    if existing is not None:
        return existing
    row = Reinspection(
        region_id=inspection.region_id, source_inspection_id=inspection.id, reason=reason[:300],
        due_on=today() + dt.timedelta(days=int(registers.setting("reinspection_days"))),
        status="scheduled",
    )
    session.add(row)
    return row


@unit_of_work
def schedule_missing_reinspections(session) -> int:
    """The daily job's safety net: every rebound gets its re-inspection; one unit of work."""
    added = 0
    sources = (
        session.query(Inspection)
        .filter(Inspection.rebound.is_(True), Inspection.status == "accepted")
        .filter(~Inspection.id.in_(session.query(Reinspection.source_inspection_id)))
        .all()
    )
    for inspection in sources:
        schedule_reinspection(session, inspection, "反弹：补排复查")
        ledger.refresh(session, inspection.region_id)
        added += 1
    return added


@unit_of_work
def remind_overdue(session, day: dt.date) -> list[RectificationOrder]:
    """One notice a day per overdue order to the inspector who found it and to the inspectors
    whose scope covers the village; returns the orders reminded about (one unit of work)."""
    orders = (
        overdue_query(session, day)
        .filter((RectificationOrder.reminded_on.is_(None)) | (RectificationOrder.reminded_on < day))
        .all()
    )
    for order in orders:
        recipients = {u.id for u in notifications.users_with_role(session, "检查员", order.region_id)}
        inspector = session.get(Inspection, order.inspection_id).inspector_id
        if inspector:
            recipients.add(inspector)
        late = (day - order.deadline).days
        notifications.notify(
            session, sorted(recipients), f"整改逾期：{order.region.name} {order.subject}"[:200],
            body=f"整改期限 {order.deadline.isoformat()}，已逾期 {late} 天，请督促整改并复查销号。",
            link=f"/nameplates/orders/{order.id}", source=SOURCE,
        )
        order.reminded_on = day
    return orders


# -- working an order -----------------------------------------------------------------------


def most_urgent_first(query):
    """The ledger's order: orders still open (整改中, 待复查) before closed ones, the most overdue
    (earliest deadline) first among them; closed ones after, the latest closed first."""
    from sqlalchemy import case

    closed = RectificationOrder.status == "closed"
    return query.order_by(case((closed, 1), else_=0), case((closed, None), else_=RectificationOrder.deadline).asc(),
                          RectificationOrder.closed_on.desc(), RectificationOrder.id.desc())


EXPORT_COLUMNS = [
    ("县(市、区)", lambda o: o.county_name), ("村(社区)", lambda o: o.region.name),
    ("问题类型", lambda o: o.finding_title), ("问题", lambda o: o.subject),
    ("下达日期", lambda o: o.opened_on), ("整改期限", lambda o: o.deadline),
    ("是否逾期", lambda o: o.is_overdue()), ("状态", lambda o: o.status_title),
    ("责任人", lambda o: o.responsible_person), ("整改措施", lambda o: o.measures),
    ("整改完成日期", lambda o: o.rectified_on), ("复查意见", lambda o: o.reinspection_note),
    ("销号日期", lambda o: o.closed_on),
]


def get(session, order_id, user=None) -> RectificationOrder:
    try:
        ident = int(order_id)
    except (TypeError, ValueError):
        raise NotFound("记录不存在，或不在您的管辖范围内") from None
    row = session.get(RectificationOrder, ident)
    region = getattr(user, "scope_region", None) if user is not None else scope.current_region()
    if row is None or not scope.contains(row.region_id, region):
        raise NotFound("记录不存在，或不在您的管辖范围内")
    return row


@unit_of_work
def update(session, order_id, user, *, responsible_person=None, measures=None, before_files=(),
           after_files=(), rectified_on=None) -> RectificationOrder:
    """Name who answers for it, note the measures, add photos; with ``rectified_on`` the village
    reports the order done and it waits for re-inspection.  A refusal keeps none of it."""
    order = get(session, order_id, user)
    if order.status == "closed":
        raise Forbidden("该整改已销号，不能再修改")
    if responsible_person is not None:
        order.responsible_person = responsible_person.strip()[:100] or None
    if measures is not None:
        order.measures = measures.strip()[:500] or None
    uid = getattr(user, "id", None)
    photos.save(session, before_files, photos.ORDER_BEFORE, order.id, uid)
    after = photos.save(session, after_files, photos.ORDER_AFTER, order.id, uid)
    if rectified_on:
        day = _date(rectified_on)
        if not order.responsible_person:
            raise NameplatesError("请先填写整改责任人")
        if not after and not photos.of(session, photos.ORDER_AFTER, order.id):
            raise NameplatesError("报告整改完成须上传整改后照片")
        order.rectified_on = day
        order.status = "rectified"
    ledger.refresh(session, order.region_id)
    return order


@unit_of_work
def reinspect(session, order_id, user, passed: bool, note: str | None = None) -> RectificationOrder:
    """The re-inspection of a reported order: passed closes it off in the village ledger
    (台账销号); failed sends it back to the village."""
    order = get(session, order_id, user)
    note = (note or "").strip()
    if order.status != "rectified":
        raise NameplatesError("只有“待复查”的整改可以复查销号")
    if not passed and not note:
        raise NameplatesError("复查不通过须填写原因")
    order.reinspection_note = note[:500] or None
    order.reinspected_by_id = getattr(user, "id", None)
    if passed:
        order.status = "closed"
        order.closed_on = today()
    else:
        order.status = "open"
        order.rectified_on = None
    ledger.refresh(session, order.region_id)
    return order


def _date(value) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise NameplatesError("整改完成日期格式不正确（例如 2025-03-01）") from None
    if value > today():
        raise NameplatesError("整改完成日期不能晚于今天")
    return value


def overdue_query(session, day: dt.date | None = None):
    day = day or today()
    return session.query(RectificationOrder).filter(
        RectificationOrder.status != "closed", RectificationOrder.deadline < day
    )
