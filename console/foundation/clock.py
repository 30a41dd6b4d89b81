"""The console's one clock: times are stored as naive UTC and shown in the console's time zone
(JICENG_TIMEZONE); "today" is the console's calendar day, never the server's (UTC on most
servers, eight hours behind Zhaotong).  Nothing else in the tree reads the system clock for a
date or a time of day (tests/test_layout.py holds it to that)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current instant, aware, in ``tz`` (the console's time zone by default)."""
    return dt.datetime.now(tz or zone())


def today() -> dt.date:
    """Today in the console's time zone, not on the server's clock (UTC on most servers)."""
    return now().date()


def local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone())


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The Jinja filter ``localtime`` and the list formatter of time columns."""
    shown = local(value)
    return shown.strftime(fmt) if shown else ""


def day_start(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) instant at which ``day`` begins in the console's time zone: a
    period of local days compared with stored times."""
    return dt.datetime.combine(day, dt.time(), zone()).astimezone(dt.UTC).replace(tzinfo=None)


def install(app) -> None:
    app.jinja_env.filters["localtime"] = localtime
