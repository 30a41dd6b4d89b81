"""Times are stored as naive UTC and shown in the console's time zone (JICENG_TIMEZONE)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def today() -> dt.date:
    """Today in the console's time zone, not on the server's clock (UTC on most servers)."""
    return dt.datetime.now(zone()).date()


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
