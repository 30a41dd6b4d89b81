"""The module's daily jobs: reminders about overdue orders and the reverse check's safety net.

Each job calls a service, which owns its unit of work."""

from __future__ import annotations

import datetime as dt

from console import clock, db

from .services import rectification


def remind_overdue(day: dt.date | None = None) -> int:
    """One notice a day per overdue order to the inspector who found it and to the inspectors
    whose scope covers the village; returns the number of orders reminded about."""
    return len(rectification.remind_overdue(db.session, day or clock.today()))


def schedule_reinspections() -> int:
    return rectification.schedule_missing_reinspections(db.session)
