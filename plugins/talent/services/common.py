"""What every rule of the module shares: its settings, today's date, dates a period away, the
reading of submitted text and the lookup of a row inside the user's scope."""

from __future__ import annotations

import datetime as dt
import functools

from console import ConsoleError, Region, clock, db, plugin_settings, scope

from .. import NAME
from ..errors import NotFound, TalentError
from ..models import Person

FIRST_EXAM_YEAR = 2008  # the national social-work qualification exam started in 2008


def no_autoflush(func):
    """Rules run on objects a form or a constructor has just linked to loaded rows; their
    lookups must not flush those half-built objects first."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return func(*args, **kwargs)

    return wrapper


def checked(rule):
    """A rule run on a row that a Flask-AppBuilder form has just filled in (its ``pre_add`` or
    ``pre_update``): on a refusal the session is rolled back, because the form has already
    changed the row and nothing of it may reach a later commit."""

    @functools.wraps(rule)
    def wrapper(*args, **kwargs):
        try:
            return rule(*args, **kwargs)
        except ConsoleError:
            db.session.rollback()
            raise

    return wrapper


def setting(key: str):
    return plugin_settings.get(NAME, key)


def level_hours() -> dict[str, int]:
    """Level -> hours of continuing education required per registration period."""
    out = {}
    for line in setting("levels"):
        name, _, hours = line.partition("=")
        name = name.strip()
        if not name:
            continue
        try:
            out[name] = int(hours.strip())
        except ValueError:
            out[name] = 90  # a line without a number still names a level; the usual figure
    return out


def levels() -> list[str]:
    return list(level_hours())


def routes() -> list[str]:
    return list(setting("routes"))


def education_sources() -> list[str]:
    return list(setting("education_sources"))


def reminder_days() -> list[int]:
    days = set()
    for line in setting("reminder_days"):
        try:
            value = int(str(line).strip())
        except ValueError:
            continue
        if value > 0:
            days.add(value)
    return sorted(days)


today = clock.today  # where the console is used, not on the server's clock


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for dd in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def region_in_scope(region_id) -> Region:
    """The chosen region, refused when missing or outside the user's scope."""
    region = db.session.get(Region, region_id) if region_id else None
    if region is None:
        raise TalentError("请选择所在社区或单位所属区域")
    scope.require(region.id)
    return region


def text(value, title: str, limit: int, required: bool = False) -> str | None:
    """A submitted text field: stripped, None when empty, refused when missing or too long."""
    value = ("" if value is None else str(value)).strip()
    if not value:
        if required:
            raise TalentError(f"请填写{title}")
        return None
    if len(value) > limit:
        raise TalentError(f"{title}不能超过 {limit} 个字")
    return value


def person_of(row, message: str) -> Person:
    """The person a row being built (a certificate, a ledger line) belongs to, inside the user's
    scope; ``message`` says what to choose when there is none."""
    person = row.person or (db.session.get(Person, row.person_id) if row.person_id else None)
    if person is None:
        raise TalentError(message)
    scope.require(person.region_id)
    return person


def get(model, pk):
    """A row by id inside the user's scope, or :class:`NotFound` (outside looks the same)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("记录不存在") from None
    row = scope.restrict(db.session.query(model).filter(model.id == pk), model).first()
    if row is None:
        raise NotFound("记录不存在，或不在您的管辖范围内")
    return row

