"""Counts the dashboard and the briefing share: visits, enterprises covered, problems
raised / solved / overdue, solve rate and satisfaction rate, for a region and a period.

A period is ``[start, end)`` in dates; ``region`` None means the whole city (or, inside a
request, the signed-in user's scope).  Every function counts in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from console import Region, scope

from .models import Enterprise, Problem, Visit, department_member
from .services.common import today
from .services.problems import (
    ASSIGNED,
    CLOSED,
    DISSATISFIED,
    OPEN,
    SATISFACTION,
    closed_between,
    overdue_clause,
)


def _scoped(session, model, region, *columns):
    return scope.restrict(session.query(*columns), model, region=region)


def year_bounds(year: int | None = None) -> tuple[dt.date, dt.date]:
    year = year or today().year
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def enterprises(session, region: Region | None = None) -> int:
    return _scoped(session, Enterprise, region, func.count(Enterprise.id)).scalar()


def enterprises_unvisited(session, region=None, since: dt.date | None = None) -> int:
    """Enterprises with no visit on or after ``since``: the home page's 待走访企业 and the
    enterprise list's ``unvisited_since`` filter count the same rows."""
    visited = select(Visit.enterprise_id).where(Visit.visit_date >= since)
    return (_scoped(session, Enterprise, region, func.count(Enterprise.id))
            .filter(~Enterprise.id.in_(visited)).scalar())


def problems_awaiting(session, user, region=None, as_of: dt.date | None = None,
                      soon_days: int = 3) -> tuple[int, int, int]:
    """Problems handed (已交办) to a department ``user`` belongs to and not yet taken up:
    ``(how many, of them overdue, of them due within soon_days)``."""
    as_of = as_of or today()
    mine = select(department_member.c.department_id).where(department_member.c.user_id == user.id)
    due = Problem.due_date
    row = (_scoped(session, Problem, region, func.count(Problem.id),
                   func.count(Problem.id).filter(due < as_of),
                   func.count(Problem.id).filter(due >= as_of, due <= as_of + dt.timedelta(days=soon_days)))
           .filter(Problem.status == ASSIGNED, Problem.department_id.in_(mine)).one())
    return row[0], row[1], row[2]


def visits(session, region=None, start=None, end=None) -> int:
    q = _scoped(session, Visit, region, func.count(Visit.id))
    return _period(q, Visit.visit_date, start, end).scalar()


def enterprises_covered(session, region=None, start=None, end=None) -> int:
    q = _scoped(session, Visit, region, func.count(func.distinct(Visit.enterprise_id)))
    return _period(q, Visit.visit_date, start, end).scalar()


def problems_raised(session, region=None, start=None, end=None) -> int:
    q = _scoped(session, Problem, region, func.count(Problem.id))
    return _period(q, Problem.raised_on, start, end).scalar()


def problems_solved(session, region=None, start=None, end=None) -> int:
    """Closed off (已办结) within the period, whenever they were raised."""
    return _scoped(session, Problem, region, func.count(Problem.id)).filter(
        closed_between(start, end)).scalar()


def problems_open(session, region=None) -> int:
    return _scoped(session, Problem, region, func.count(Problem.id)).filter(
        Problem.status.in_(OPEN)).scalar()


def problems_overdue(session, region=None, as_of: dt.date | None = None) -> int:
    return _scoped(session, Problem, region, func.count(Problem.id)).filter(
        overdue_clause(as_of)).scalar()


def solve_rate(session, region=None, start=None, end=None) -> float | None:
    """Share of the problems raised in the period that are closed off now; None if none."""
    q = _period(_scoped(session, Problem, region, func.count(Problem.id),
                        func.count(Problem.id).filter(Problem.status == CLOSED)),
                Problem.raised_on, start, end)
    total, closed = q.one()
    return round(closed / total, 4) if total else None


def satisfaction_rate(session, region=None, start=None, end=None) -> float | None:
    """(满意 + 基本满意) / problems rated, of the problems raised in the period."""
    q = _period(_scoped(session, Problem, region, func.count(Problem.id),
                        func.count(Problem.id).filter(Problem.satisfaction != DISSATISFIED))
                .filter(Problem.satisfaction.in_(SATISFACTION)), Problem.raised_on, start, end)
    rated, satisfied = q.one()
    return round(satisfied / rated, 4) if rated else None


def _period(query, column, start, end):
    if start:
        query = query.filter(column >= start)
    if end:
        query = query.filter(column < end)
    return query


@dataclass
class CountyFigures:
    county_id: int
    county: str
    visits: int = 0
    enterprises_covered: int = 0
    problems_raised: int = 0
    problems_solved: int = 0
    problems_overdue: int = 0
    solve_rate: float | None = None
    satisfaction_rate: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def by_county(session, region=None, start=None, end=None, as_of=None) -> list[CountyFigures]:
    """Every figure above, one row per county inside ``region``, in county-code order."""
    counties = scope.restrict(session.query(Region).filter(Region.level == "county"), Region,
                              region=region, column="id").order_by(Region.code).all()
    if region is not None and region.level in ("township", "village"):
        counties = []
    rows = {c.id: CountyFigures(c.id, c.name) for c in counties}

    for cid, n in _period(_scoped(session, Visit, region, Visit.county_id, func.count(Visit.id)),
                          Visit.visit_date, start, end).group_by(Visit.county_id):
        if cid in rows:
            rows[cid].visits = n
    for cid, n in _period(_scoped(session, Visit, region, Visit.county_id,
                                  func.count(func.distinct(Visit.enterprise_id))),
                          Visit.visit_date, start, end).group_by(Visit.county_id):
        if cid in rows:
            rows[cid].enterprises_covered = n
    raised = _period(_scoped(session, Problem, region, Problem.county_id, func.count(Problem.id),
                             func.count(Problem.id).filter(Problem.status == CLOSED),
                             func.count(Problem.id).filter(Problem.satisfaction.in_(SATISFACTION)),
                             func.count(Problem.id).filter(Problem.satisfaction.in_(SATISFACTION[:2]))),
                     Problem.raised_on, start, end).group_by(Problem.county_id)
    for cid, total, closed, rated, satisfied in raised:
        if cid in rows:
            rows[cid].problems_raised = total
            rows[cid].solve_rate = round(closed / total, 4) if total else None
            rows[cid].satisfaction_rate = round(satisfied / rated, 4) if rated else None
    solved = _scoped(session, Problem, region, Problem.county_id, func.count(Problem.id)).filter(
        closed_between(start, end))
    for cid, n in solved.group_by(Problem.county_id):
        if cid in rows:
            rows[cid].problems_solved = n
    for cid, n in _scoped(session, Problem, region, Problem.county_id, func.count(Problem.id)).filter(
            overdue_clause(as_of)).group_by(Problem.county_id):
        if cid in rows:
            rows[cid].problems_overdue = n
    return list(rows.values())


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"
