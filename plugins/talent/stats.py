"""Counts over the register, restricted to a region: for the dashboard, the expiry pages and
the briefing section.  Each takes ``region`` (None: the whole city) and returns plain data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Date, and_, column, func, text

from console import Region, db, scope

from .services import common
from .services.registrations import current_registrations
from .models import Certificate, EducationEntry, Person, Registration


def _scoped(query, model, region):
    # An explicit None means "the whole city" here, whoever is signed in.
    if region is None:
        return query
    return scope.restrict(query, model, region)


def certified_by_level(region=None) -> dict[str, int]:
    """Holders of a valid (not revoked) certificate per level, in the configured level order."""
    q = (db.session.query(Certificate.level, func.count(func.distinct(Certificate.person_id)))
         .filter(Certificate.revoked.is_(False)).group_by(Certificate.level))
    found = dict(_scoped(q, Certificate, region).all())
    out = {level: found.pop(level, 0) for level in common.levels()}
    out.update(found)  # a level since removed from the settings still counts
    return out


def _county_of(path: str, codes: dict[str, str]) -> str | None:
    parts = path.split(".")
    return codes.get(parts[1]) if len(parts) > 2 else None


def certified_by_level_and_county(region=None) -> list[dict]:
    """``[{"county": 名称, "level": 等级, "count": n}, ...]`` of valid certificates, by county."""
    counties = dict(db.session.query(Region.code, Region.name).filter(Region.level == "county"))
    q = (db.session.query(Region.path, Certificate.level, func.count(Certificate.id))
         .join(Region, Region.id == Certificate.region_id)
         .filter(Certificate.revoked.is_(False)).group_by(Region.path, Certificate.level))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for path, level, count in _scoped(q, Certificate, region):
        county = _county_of(path, counties)
        if county:
            totals[(county, level)] += count
    order = {name: i for i, name in enumerate(counties.values())}
    return [{"county": c, "level": lv, "count": n}
            for (c, lv), n in sorted(totals.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1]))]


def _expiring(on: dt.date, days: int, region):
    return current_registrations(region).filter(
        Registration.expires_on >= on, Registration.expires_on <= on + dt.timedelta(days=days))


def expiring_registrations(on: dt.date, days: int = 90, region=None) -> list[Registration]:
    """Current registrations that expire within ``days`` from ``on`` (soonest first)."""
    return _expiring(on, days, region).order_by(Registration.expires_on, Registration.id).all()


def expiring_count(on: dt.date, days: int = 90, region=None) -> int:
    """How many :func:`expiring_registrations` there are, without loading them."""
    return _expiring(on, days, region).with_entities(func.count(Registration.id)).scalar()


def expired_registrations(on: dt.date, region=None) -> list[Registration]:
    """Current registrations already past their expiry (no renewal issued)."""
    q = current_registrations(region).filter(Registration.expires_on < on)
    return q.order_by(Registration.expires_on, Registration.id).all()


def education_compliance(on: dt.date, region=None) -> dict:
    """Of the registrations in force on ``on``, how many have their period's hours complete.

    Returns ``{"total": n, "compliant": n, "short": [(registration id, hours missing), ...]}``.
    """
    in_force = current_registrations(region).filter(Registration.expires_on >= on)
    days = [d for (d,) in in_force.with_entities(Registration.expires_on).distinct()]
    if not days:
        return {"total": 0, "compliant": 0, "short": []}
    # Each period's first day is worked out here, once per expiry day (far fewer than rows):
    # registrations.period_start_of's 29 February rule has no expression SQLite and PostgreSQL agree
    # on.  Same rule, the setting read once: read per day it costs more than the query.
    years = common.setting("registration_years")
    bounds = [(d, common.add_years(d + dt.timedelta(days=1), -years)) for d in days]
    # Dates written into the SQL: bound parameters (two per day) make SQLAlchemy spend longer
    # than the database.  isoformat() gives digits and dashes only; PostgreSQL needs them typed.
    typed = "DATE '{}'" if db.session.get_bind().dialect.name == "postgresql" else "'{}'"
    rows_sql = ", ".join(f"({typed.format(e.isoformat())}, {typed.format(s.isoformat())})" for e, s in bounds)
    period = (text(f"SELECT column1 AS ends_on, column2 AS starts_on FROM (VALUES {rows_sql}) AS v")
              .columns(column("ends_on", Date), column("starts_on", Date)).cte("period"))
    taken = and_(EducationEntry.person_id == Certificate.person_id,
                 EducationEntry.taken_on >= period.c.starts_on,
                 EducationEntry.taken_on <= Registration.expires_on)
    if region is not None:  # hours recorded outside the region are not counted in it
        taken = and_(taken, EducationEntry.region_id.in_(scope.region_ids_within(region)))
    rows = (in_force.join(period, period.c.ends_on == Registration.expires_on)
            .outerjoin(EducationEntry, taken)
            .with_entities(Registration.id, Certificate.level, func.sum(EducationEntry.hours))
            .group_by(Registration.id, Certificate.level)
            # Not kept in the compiled cache: the text changes with the days.
            .execution_options(compiled_cache=None))
    need = common.level_hours()
    compliant, short = 0, []
    for reg_id, level, done in rows:
        # Done to one decimal like registrations.hours_between: a float sum of tenths (0.1 × 10)
        # must not leave 0.0 hours missing, whatever order the database adds them in.
        missing = need.get(level, 90) - round(done or 0, 1)
        if missing <= 0:
            compliant += 1
        else:
            short.append((reg_id, round(missing, 1)))
    short.sort()
    return {"total": compliant + len(short), "compliant": compliant, "short": short}


def people_count(region=None) -> int:
    return _scoped(db.session.query(func.count(Person.id)), Person, region).scalar()


__all__ = ["certified_by_level", "certified_by_level_and_county",
           "expiring_registrations", "expiring_count", "expired_registrations", "education_compliance",
           "people_count"]
