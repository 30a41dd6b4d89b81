"""The village ledger (台账): one row per village, kept in step by the services, and the city
ledger of every village with paging, filters and its export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_

from console import Region, clock, regions, scope

from ..models import (
    VILLAGE_STATES,
    Inspection,
    RectificationOrder,
    Reinspection,
    VillageLedger,
)

PAGE_SIZE = 50


def status_of(accepted: int, open_orders: int, closed_orders: int, rebound_pending: bool) -> str:
    if rebound_pending:
        return "rebound"
    if not accepted:
        return "uninspected"
    if open_orders:
        return "rectifying"
    if closed_orders:
        return "rectified"
    return "clean"


def refresh(session, village_id: int) -> VillageLedger:
    """Recount one village from its inspections, orders and re-inspections (same transaction)."""
    session.flush()
    last = (
        session.query(Inspection)
        .filter(Inspection.region_id == village_id, Inspection.status == "accepted")
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        .first()
    )
    accepted = (
        session.query(func.count(Inspection.id))
        .filter(Inspection.region_id == village_id, Inspection.status == "accepted")
        .scalar()
    )
    open_orders, closed_orders, next_deadline = (
        session.query(
            func.count(RectificationOrder.id).filter(RectificationOrder.status != "closed"),
            func.count(RectificationOrder.id).filter(RectificationOrder.status == "closed"),
            func.min(RectificationOrder.deadline).filter(RectificationOrder.status != "closed"),
        )
        .filter(RectificationOrder.region_id == village_id)
        .one()
    )
    rebounds = (
        session.query(func.count(Inspection.id))
        .filter(Inspection.region_id == village_id, Inspection.rebound.is_(True))
        .scalar()
    )
    pending = (
        session.query(Reinspection.id)
        .filter(Reinspection.region_id == village_id, Reinspection.status == "scheduled")
        .first()
        is not None
    )
    row = session.query(VillageLedger).filter(VillageLedger.region_id == village_id).one_or_none()
    if row is None:
        row = VillageLedger(region_id=village_id)
        session.add(row)
    row.status = status_of(accepted, open_orders, closed_orders, pending)
    row.last_inspection_id = last.id if last else None
    row.last_inspected_on = last.inspected_on if last else None
    row.inspections = accepted
    row.open_orders = open_orders
    row.closed_orders = closed_orders
    row.rebounds = rebounds
    row.next_deadline = next_deadline
    return row


# -- the city ledger ------------------------------------------------------------------------

STATUS_FILTERS = {**VILLAGE_STATES, "overdue": "有逾期整改"}


@dataclass
class LedgerRow:
    village: Region
    township: str
    county: str
    entry: VillageLedger | None
    overdue: bool

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else "uninspected"

    @property
    def status_title(self) -> str:
        return VILLAGE_STATES.get(self.status, self.status)


def _query(session, region=None, county_id: int | None = None, status: str | None = None,
           name: str | None = None, day: dt.date | None = None, inspected_from: dt.date | None = None,
           inspected_to: dt.date | None = None):
    day = day or clock.today()
    q = (
        session.query(Region, VillageLedger)
        .outerjoin(VillageLedger, VillageLedger.region_id == Region.id)
        .filter(Region.level == "village")
    )
    q = scope.restrict(q, Region, region=region, column="id")
    if county_id:
        county = session.get(Region, int(county_id))
        if county is not None:
            q = q.filter(Region.path.startswith(county.path))
    if name:
        q = q.filter(Region.name.contains(name.strip()))
    if inspected_from or inspected_to:
        # Villages with an accepted inspection dated in the range: stats.villages_inspected's rule.
        accepted = session.query(Inspection.region_id).filter(Inspection.status == "accepted")
        if inspected_from:
            accepted = accepted.filter(Inspection.inspected_on >= inspected_from)
        if inspected_to:
            accepted = accepted.filter(Inspection.inspected_on <= inspected_to)
        q = q.filter(Region.id.in_(accepted))
    if status == "uninspected":
        q = q.filter(or_(VillageLedger.id.is_(None), VillageLedger.status == "uninspected"))
    elif status == "overdue":
        q = q.filter(and_(VillageLedger.open_orders > 0, VillageLedger.next_deadline < day))
    elif status in VILLAGE_STATES:
        q = q.filter(VillageLedger.status == status)
    return q


def _rows(session, pairs, day) -> list[LedgerRow]:
    parent_ids = {v.parent_id for v, _ in pairs}
    parents = {r.id: r for r in session.query(Region).filter(Region.id.in_(parent_ids))} if parent_ids else {}
    counties = {c.id: c for c in regions.counties(session)}  # the worker's copy: no query per row
    rows = []
    for village, entry in pairs:
        township = parents.get(village.parent_id)
        county = counties.get(township.parent_id) if township is not None else None
        overdue = bool(entry and entry.open_orders and entry.next_deadline and entry.next_deadline < day)
        rows.append(LedgerRow(village, township.name if township else "", county.name if county else "",
                              entry, overdue))
    return rows


def page(session, *, region=None, number: int = 1, size: int = PAGE_SIZE, day: dt.date | None = None,
         **filters) -> tuple[list[LedgerRow], int]:
    """One page of the city ledger inside ``region`` and how many villages match in all
    (``filters``: those of ``_query``)."""
    day = day or clock.today()
    q = _query(session, region, day=day, **filters)
    total = q.order_by(None).count()
    number = max(int(number or 1), 1)
    pairs = q.order_by(Region.path).offset((number - 1) * size).limit(size).all()
    return _rows(session, pairs, day), total


def all_rows(session, *, region=None, day=None, **filters):
    """Every matching village, in chunks, for the export and the briefing's appendix."""
    day = day or clock.today()
    q = _query(session, region, day=day, **filters).order_by(Region.path)
    offset = 0
    while True:
        pairs = q.offset(offset).limit(500).all()
        if not pairs:
            return
        yield from _rows(session, pairs, day)
        offset += len(pairs)


EXPORT_HEADERS = ["县(市、区)", "乡镇(街道)", "村(社区)", "区划代码", "台账状态", "最近检查日期",
                  "已通过检查次数", "未销号整改", "已销号整改", "反弹次数", "最早整改期限", "是否逾期"]


def export_values(row: LedgerRow) -> list:
    e = row.entry
    return [
        row.county, row.township, row.village.name, row.village.code, row.status_title,
        e.last_inspected_on if e else None, e.inspections if e else 0, e.open_orders if e else 0,
        e.closed_orders if e else 0, e.rebounds if e else 0, e.next_deadline if e else None,
        "是" if row.overdue else "否",
    ]


def village_detail(session, village: Region) -> dict:
    """What the per-village ledger page shows."""
    entry = session.query(VillageLedger).filter(VillageLedger.region_id == village.id).one_or_none()
    inspections = (
        session.query(Inspection).filter(Inspection.region_id == village.id)
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()).all()
    )
    orders = (
        session.query(RectificationOrder).filter(RectificationOrder.region_id == village.id)
        .order_by(RectificationOrder.opened_on.desc(), RectificationOrder.id.desc()).all()
    )
    reinspections = (
        session.query(Reinspection).filter(Reinspection.region_id == village.id)
        .order_by(Reinspection.due_on.desc()).all()
    )
    return {"entry": entry, "inspections": inspections, "orders": orders, "reinspections": reinspections}
