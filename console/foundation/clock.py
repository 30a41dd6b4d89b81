"""The console's one clock: times are stored as naive UTC and shown in the console's time zone
(JICENG_TIMEZONE); "today" is the console's calendar day, never the server's (UTC on most
servers, eight hours behind Zhaotong).  Nothing else in the tree reads the system clock for a
date or a time of day (tests/test_layout.py holds it to that)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


DEFAULT_ZONE = "Asia/Shanghai"


def zone(name: str | None = None) -> ZoneInfo:
    """``name`` (a schedule's own zone), else the console's (JICENG_TIMEZONE); a name that is
    not a time zone falls back to Beijing time rather than failing a page."""
    name = name or (current_app.config.get("TIMEZONE") if has_app_context() else None) or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current instant, aware, in ``tz`` (the console's time zone by default)."""
    return dt.datetime.now(tz or zone())


def today() -> dt.date:
    """Today in the console's time zone, not on the server's clock (UTC on most servers)."""
    return now().date()


def local(value: dt.datetime | None, tz: str | None = None) -> dt.datetime | None:
    """A stored (naive UTC) or aware time, in the console's time zone (or ``tz``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone(tz))


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M", tz: str | None = None) -> str:
    """The one way a time is shown: the Jinja filter ``localtime``, list formatters, pages."""
    shown = local(value, tz)
    return shown.strftime(fmt) if shown else ""


def day_start(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) instant at which ``day`` begins in the console's time zone: a
    period of local days compared with stored times."""
    return dt.datetime.combine(day, dt.time(), zone()).astimezone(dt.UTC).replace(tzinfo=None)


def zone_title(name: str | None = None) -> str:
    """A time zone as a user reads it: 北京时间 (any zone now at UTC+8), never its code."""
    offset = now(zone(name)).utcoffset() or dt.timedelta()
    hours = offset.total_seconds() / 3600 - 8
    if hours == 0:
        return "北京时间"
    return f"当地时间（比北京时间{'早' if hours > 0 else '晚'} {abs(hours):g} 小时）"


def is_instant(value) -> bool:
    """A stored time (not a bare date): what the list and show cells pass through ``localtime``."""
    return isinstance(value, dt.datetime)


def install(app) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.tests["instant"] = is_instant
    app.jinja_env.filters["zone_title"] = zone_title
