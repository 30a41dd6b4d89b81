"""Schedules: validation, their recurrence as an APScheduler trigger, the next run times and
the slot that is due now."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from console.briefings.models import (
    PERIOD_KINDS,
    RECURRENCES,
    BriefingSchedule,
)
from console.database.transaction import unit_of_work
from console.foundation import clock
from console.foundation.clock import utcnow
from console.foundation.errors import ConsoleError, NotFound
from console.plugins import manager as plugins
from console.plugins.manager import registry
from console.regions import scope
from console.regions.models import Region
from console.security.users import ConsoleUser

DEFAULT_TIMEZONE = "Asia/Shanghai"


class ScheduleError(ConsoleError):
    """A schedule the rules refuse."""


def trigger(schedule: BriefingSchedule) -> CronTrigger:
    tz = schedule.timezone or DEFAULT_TIMEZONE
    if schedule.recurrence == "cron":
        return CronTrigger.from_crontab(schedule.cron, timezone=tz)
    hour, minute = (int(x) for x in schedule.time_of_day.split(":"))
    if schedule.recurrence == "weekly":
        return CronTrigger(day_of_week=schedule.weekday, hour=hour, minute=minute, timezone=tz)
    if schedule.recurrence == "monthly":
        return CronTrigger(day=schedule.day_of_month, hour=hour, minute=minute, timezone=tz)
    return CronTrigger(hour=hour, minute=minute, timezone=tz)


def next_times(schedule: BriefingSchedule, count: int = 5, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The next ``count`` run times, in the schedule's time zone."""
    trig = trigger(schedule)
    current = (now or clock.now(dt.UTC)).astimezone(ZoneInfo(schedule.timezone or DEFAULT_TIMEZONE))
    times, previous = [], None
    while len(times) < count:
        fire = trig.get_next_fire_time(previous, current)
        if fire is None:
            break
        times.append(fire)
        previous, current = fire, fire + dt.timedelta(microseconds=1)
    return times


def due_slot(schedule: BriefingSchedule, now: dt.datetime, grace_seconds: float) -> dt.datetime | None:
    """The latest slot at or before ``now`` and no older than the grace window (and not
    before the schedule existed), as naive UTC; None when nothing is due.

    Only the latest counts: slots missed while the scheduler was down are caught up once.
    """
    trig = trigger(schedule)
    now = now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)
    since = now - dt.timedelta(seconds=grace_seconds)
    if schedule.created_at is not None:
        since = max(since, schedule.created_at.replace(tzinfo=dt.UTC))
    latest, previous, current = None, None, since
    while True:
        fire = trig.get_next_fire_time(previous, current)
        if fire is None or fire > now:
            break
        latest, previous, current = fire, fire, fire + dt.timedelta(microseconds=1)
    return latest.astimezone(dt.UTC).replace(tzinfo=None) if latest else None


# -- saving ---------------------------------------------------------------------------------


def briefing_plugins() -> dict[str, str]:
    """Installed plugins that contribute a briefing section: name -> title."""

    reg = registry()
    names = {impl.plugin_name for impl in reg.pm.hook.briefing_sections.get_hookimpls()}
    return {n: reg.infos[n].title for n in sorted(names) if n in reg.infos}


def _ints(values) -> list[int]:
    out = []
    for v in values or ():
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ScheduleError("收件人无效") from None
    return out


def validate(session, data: dict, actor_region: Region | None = None) -> dict:
    """Check a submitted schedule; returns the column values or raises ScheduleError."""
    from flask_appbuilder.security.sqla.models import Role


    out: dict = {}
    out["name"] = (data.get("name") or "").strip()[:100]
    if not out["name"]:
        raise ScheduleError("请填写简报计划的名称")
    recurrence = data.get("recurrence") or "monthly"
    if recurrence not in RECURRENCES:
        raise ScheduleError("重复方式须为每天、每周、每月或自定义（高级）")
    out["recurrence"] = recurrence
    tz = (data.get("timezone") or DEFAULT_TIMEZONE).strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"没有“{tz}”这个时区，请选择北京时间") from None
    out["timezone"] = tz
    out["time_of_day"], out["weekday"], out["day_of_month"], out["cron"] = "08:00", None, None, None
    if recurrence == "cron":
        expr = " ".join((data.get("cron") or "").split())
        try:
            trig = CronTrigger.from_crontab(expr, timezone=tz)
        except ValueError as exc:
            raise ScheduleError(f"自定义时间规则“{expr}”无效（五项依次为 分 时 日 月 周，例如 0 8 1 * * 即每月 1 日 08:00）") from None
        if trig.get_next_fire_time(None, clock.now(dt.UTC)) is None:
            raise ScheduleError(f"自定义时间规则“{expr}”永远不会触发，请检查日期")
        out["cron"] = expr
    else:
        text = (data.get("time_of_day") or "08:00").strip()
        match = re.match(r"^(\d{1,2}):(\d{2})$", text)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ScheduleError(f"时间“{text}”无效，请写成 时:分，例如 08:00")
        out["time_of_day"] = f"{int(match[1]):02d}:{match[2]}"
        if recurrence == "weekly":
            out["weekday"] = _bounded(data.get("weekday"), 0, 6, "每周的哪一天")
        if recurrence == "monthly":
            out["day_of_month"] = _bounded(data.get("day_of_month"), 1, 28,
                                           "每月的哪一天（1—28，每个月都有的日子）")
    kind = data.get("period_kind") or "month"
    if kind not in PERIOD_KINDS:
        raise ScheduleError("简报期间须为前一天、上一周、上个月、上一季度或上一年")
    out["period_kind"] = kind

    region = session.get(Region, _int_or_none(data.get("region_id")))
    if region is None or region.level not in ("city", "county"):
        raise ScheduleError("请选择简报范围：全市或一个县(市、区)")
    if not scope.contains(region.id, actor_region):
        raise ScheduleError(f"“{region.name}”不在您的管辖范围内，不能为它安排简报")
    out["region_id"] = region.id

    offered = briefing_plugins()
    sections = list(dict.fromkeys(data.get("sections") or ()))
    if not sections:
        raise ScheduleError("请至少选择一个简报内容（模块）")
    for name in sections:
        if name not in offered:
            raise ScheduleError(f"没有提供简报内容的模块“{name}”")
        if not plugins.is_enabled(name):
            raise ScheduleError(f"模块“{offered[name]}”已停用，不能把它的内容排入简报")
    out["sections"] = json.dumps(sections)

    user_ids = list(dict.fromkeys(_ints(data.get("recipient_users"))))
    found = {u.id for u in session.query(ConsoleUser).filter(ConsoleUser.id.in_(user_ids))} if user_ids else set()
    if set(user_ids) - found:
        raise ScheduleError("收件人中有不存在的用户")
    role_names = list(dict.fromkeys(r for r in (data.get("recipient_roles") or ()) if r))
    known = {r.name for r in session.query(Role).filter(Role.name.in_(role_names))} if role_names else set()
    if set(role_names) - known:
        raise ScheduleError(f"没有角色“{'、'.join(sorted(set(role_names) - known))}”")
    if not user_ids and not role_names:
        raise ScheduleError("请至少选择一位收件人或一个收件角色")
    out["recipient_users"], out["recipient_roles"] = json.dumps(user_ids), json.dumps(role_names)
    out["skip_empty"] = data.get("skip_empty") in (True, "on", "1", "true", "y")
    out["appendix"] = data.get("appendix") in (True, "on", "1", "true", "y")
    out["enabled"] = data.get("enabled", True) in (True, "on", "1", "true", "y")
    return out


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bounded(value, low: int, high: int, title: str) -> int:
    number = _int_or_none(value)
    if number is None or not low <= number <= high:
        raise ScheduleError(f"请选择{title}")
    return number


@unit_of_work
def save(session, data: dict, schedule: BriefingSchedule | None = None, *, actor=None) -> BriefingSchedule:
    """Create or change a schedule: one unit of work, nothing written when the rules refuse."""
    values = validate(session, data, getattr(actor, "scope_region", None))
    if schedule is None:
        schedule = BriefingSchedule(created_by_id=getattr(actor, "id", None), created_at=utcnow())
        session.add(schedule)
    for key, value in values.items():
        setattr(schedule, key, value)
    session.flush()
    return schedule


@unit_of_work
def delete(session, schedule: BriefingSchedule) -> None:
    """Delete a schedule and, with it, its runs and their files' rows (the model cascades)."""
    session.delete(schedule)


def get(session, schedule_id) -> BriefingSchedule:
    schedule = session.get(BriefingSchedule, _int_or_none(schedule_id))
    if schedule is None or not scope.contains(schedule.region_id):
        raise NotFound("简报计划不存在")
    return schedule
