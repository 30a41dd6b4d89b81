"""The module's scheduled jobs, each run by the scheduler inside an app context (hooks.py wires
them through scheduled_jobs)."""

from __future__ import annotations

import datetime as dt

from .services.common import today
from .services.reminders import log_summary, send


def daily_reminders(on: dt.date | None = None) -> dict:
    """The daily expiry reminders (``on``: the day the run is for, default today)."""
    on = on or today()
    result = send(on)
    log_summary(on, result)
    return result
