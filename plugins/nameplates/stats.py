"""Counts the dashboard cards and a briefing section share: each takes a region (None: the
whole city) and, where it matters, a period ``[start, end]`` of inspection dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func

from console import Region, clock, scope

from .models import Inspection, RectificationOrder


def _accepted(session, region, start: dt.date, end: dt.date):
    q = session.query(Inspection).filter(
        Inspection.status == "accepted", Inspection.inspected_on >= start, Inspection.inspected_on <= end
    )
    return scope.restrict(q, Inspection, region=region) if region is not None else q


def villages_inspected(session, region, start: dt.date, end: dt.date) -> int:
    """Villages with at least one accepted inspection dated in the period."""
    q = _accepted(session, region, start, end)
    return q.with_entities(func.count(func.distinct(Inspection.region_id))).scalar() or 0


def compliance_rate(session, region, start: dt.date, end: dt.date) -> float | None:
    """Share of the villages inspected in the period whose latest accepted inspection in it was
    compliant; None when no village was inspected."""
    latest = (
        _accepted(session, region, start, end)
        .with_entities(Inspection.region_id, func.max(Inspection.id).label("last_id"))
        .group_by(Inspection.region_id)
        .subquery()
    )
    total, compliant = session.query(
        func.count(Inspection.id), func.count(Inspection.id).filter(Inspection.compliant.is_(True))
    ).join(latest, latest.c.last_id == Inspection.id).one()
    return (compliant / total) if total else None


def _orders(session, region):
    q = session.query(func.count(RectificationOrder.id)).filter(RectificationOrder.status != "closed")
    return scope.restrict(q, RectificationOrder, region=region) if region is not None else q


def open_orders(session, region) -> int:
    return _orders(session, region).scalar() or 0


def overdue_orders(session, region, day: dt.date | None = None) -> int:
    day = day or clock.today()
    return _orders(session, region).filter(RectificationOrder.deadline < day).scalar() or 0


def orders_due(session, region, by: dt.date, day: dt.date | None = None) -> tuple[int, int]:
    """Open orders whose deadline is ``by`` or earlier, and how many of them are overdue on ``day``."""
    day = day or clock.today()
    q = session.query(func.count(RectificationOrder.id),
                      func.count(RectificationOrder.id).filter(RectificationOrder.deadline < day))
    q = q.filter(RectificationOrder.status != "closed", RectificationOrder.deadline <= by)
    q = scope.restrict(q, RectificationOrder, region=region) if region is not None else q
    due, overdue = q.one()
    return due, overdue


def rebounds(session, region, start: dt.date, end: dt.date) -> int:
    """Accepted inspections in the period that the reverse check flagged as rebounds."""
    q = _accepted(session, region, start, end).filter(Inspection.rebound.is_(True))
    return q.with_entities(func.count(Inspection.id)).scalar() or 0


@dataclass(frozen=True)
class CountyRow:
    county: Region
    villages: int
    inspected: int
    compliance_rate: float | None
    open_orders: int
    overdue_orders: int
    rebounds: int


def by_county(session, region, start: dt.date, end: dt.date, day: dt.date | None = None) -> list[CountyRow]:
    """One row per county inside ``region`` (the county itself when ``region`` is one)."""
    q = session.query(Region).filter(Region.level == "county")
    if region is not None:
        if region.level in ("township", "village"):
            q = q.filter(Region.id == _county_of(session, region).id)
        else:
            q = scope.restrict(q, Region, region=region, column="id")
    rows = []
    for county in q.order_by(Region.code):
        # A township's user sees their county's row counted over their township only.
        within = county if region is None or region.level in ("city", "county") else region
        villages = (
            session.query(func.count(Region.id))
            .filter(Region.level == "village", Region.path.startswith(within.path)).scalar()
        )
        rows.append(CountyRow(
            county=county, villages=villages,
            inspected=villages_inspected(session, within, start, end),
            compliance_rate=compliance_rate(session, within, start, end),
            open_orders=open_orders(session, within),
            overdue_orders=overdue_orders(session, within, day),
            rebounds=rebounds(session, within, start, end),
        ))
    return rows


def _county_of(session, region: Region) -> Region:
    node = region
    while node.level != "county" and node.parent_id is not None:
        node = session.get(Region, node.parent_id)
    return node


def year_span(day: dt.date | None = None) -> tuple[dt.date, dt.date]:
    day = day or clock.today()
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
