"""Registration expiry reminders: 90, 60, 30 and 7 days before (configurable), once each.

Who is told: the 检查员 whose scope covers the worker's region (the county or township staff
who manage that worker) get one notice per registration and threshold; where no 检查员 covers
the region, the module's owners get that notice instead, so a reminder never goes unread.  The
owners (模块负责人·社会工作人才, city-wide) also get one digest per run that lists what is new,
the newly expired included, so nobody is flooded with thousands of single notices.

"Once" is the core's: every notice carries the key ``talent.registration:<id>:<expiry>:<days>``
(``notify(once=...)``), so a second run on the same day, or a second scheduler by mistake, tells
nobody twice, and what a run tells nobody new is not in its digest.  ``on`` is the day the job
runs for: tests and catch-up pass it explicitly.
"""

from __future__ import annotations

import datetime as dt
import logging

from console import db, notifications, roles, unit_of_work

from .. import TITLE
from ..models import Registration
from .common import reminder_days, today
from .registrations import current_registrations

log = logging.getLogger(__name__)

EXPIRED = 0  # the threshold that says "has expired"
SOURCE = "talent"


def threshold(days_left: int, days: list[int]) -> int | None:
    """The reminder due when ``days_left`` remain: the smallest threshold not yet passed.
    A run missed for a while sends the current one only, not every one it skipped."""
    if days_left < 0:
        return EXPIRED
    due = [d for d in days if d >= days_left]
    return min(due) if due else None


def once_key(reg: Registration, due: int) -> str:
    """What a reminder is about and for when: the registration, its expiry and the threshold."""
    return f"{SOURCE}.registration:{reg.id}:{reg.expires_on.isoformat()}:{due}"


def link_of(reg: Registration) -> str:
    return f"/talent/registrations/show/{reg.id}"


def _line(reg: Registration, on: dt.date) -> str:
    cert = reg.certificate
    left = (reg.expires_on - on).days
    when = f"还剩 {left} 天" if left >= 0 else f"已过期 {-left} 天"
    return (f"{cert.person.name}（{cert.level}，管理号 {cert.management_number}，"
            f"{cert.person.region.name}）登记有效期至 {reg.expires_on:%Y-%m-%d}，{when}")


@unit_of_work
def send(on: dt.date | None = None) -> dict:
    """Send what is due on ``on`` (default today), as one unit of work.

    Returns ``{"reminded": [(registration, days)], "newly_expired": [...], "expired": [...]}``:
    ``expired`` lists every current registration past its expiry, new or not."""
    on = on or today()
    session = db.session
    days = reminder_days()
    horizon = max(days) if days else 0
    owners = notifications.users_with_role(session, f"模块负责人·{TITLE}")
    candidates = current_registrations().filter(
        Registration.expires_on <= on + dt.timedelta(days=horizon)).all()
    reminded, newly_expired, expired = [], [], []
    for reg in sorted(candidates, key=lambda r: (r.expires_on, r.id)):
        left = (reg.expires_on - on).days
        if left < 0:
            expired.append(reg)
        due = threshold(left, days)
        if due is None:
            continue
        if due == EXPIRED:
            title = f"社工登记已过期：{reg.certificate.person.name}"
        else:
            title = f"社工登记 {due} 天内到期：{reg.certificate.person.name}"
        managers = notifications.users_with_role(session, roles.INSPECTOR, reg.region_id) or owners
        sent = notifications.notify(session, managers, title, _line(reg, on) + "。请提醒其办理延续登记。",
                                    link_of(reg), SOURCE, once=once_key(reg, due))
        if not sent:
            continue  # told before (or nobody to tell): not new
        if due == EXPIRED:
            newly_expired.append(reg)
        else:
            reminded.append((reg, due))
    if reminded or newly_expired:
        _digest(session, owners, on, reminded, newly_expired, len(expired))
    return {"reminded": reminded, "newly_expired": newly_expired, "expired": expired}


def _digest(session, owners, on: dt.date, reminded, newly_expired, expired_total: int) -> None:
    if not owners:
        return
    lines = [f"{on:%Y-%m-%d} 社工登记到期提醒："]
    if reminded:
        lines.append(f"新发出到期提醒 {len(reminded)} 条：")
        lines += [f"  {d} 天档：{_line(reg, on)}" for reg, d in reminded[:200]]
    if newly_expired:
        lines.append(f"新近过期 {len(newly_expired)} 条：")
        lines += [f"  {_line(reg, on)}" for reg in newly_expired[:200]]
    lines.append(f"目前已过期未延续的登记共 {expired_total} 条。")
    title = f"社工登记到期提醒：{len(reminded)} 条将到期，{len(newly_expired)} 条新近过期"
    notifications.notify(session, owners, title, "\n".join(lines), "/talent/expiring/", SOURCE)


def log_summary(on: dt.date, result: dict) -> None:
    """A line in the log without personal data."""
    log.info("talent reminders for %s: %d reminders, %d newly expired, %d expired in all",
             on, len(result["reminded"]), len(result["newly_expired"]), len(result["expired"]))
