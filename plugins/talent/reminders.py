"""Registration expiry reminders: 90, 60, 30 and 7 days before (configurable), once each.

Who is told: the 检查员 whose scope covers the worker's region (the county or township staff
who manage that worker) get one notice per registration and threshold; the module's owners
(模块负责人·社会工作人才, city-wide) get one digest per run that lists what is new, the newly
expired included, so nobody is flooded with thousands of single notices.

Each notice is recorded in ``talent_reminder`` (unique per registration and threshold) in the
same transaction, so a second run on the same day, or a second scheduler by mistake, sends
nothing new.  ``on`` is the day the job runs for: tests and catch-up pass it explicitly.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import url_for

from console import db, notifications, roles

from . import services, stats
from .models import Registration, Reminder

log = logging.getLogger(__name__)

EXPIRED = 0  # the ``days`` of the reminder row that says "has expired"
SOURCE = "talent"


def threshold(days_left: int, days: list[int]) -> int | None:
    """The reminder due when ``days_left`` remain: the smallest threshold not yet passed.
    A run missed for a while sends the current one only, not every one it skipped."""
    if days_left < 0:
        return EXPIRED
    due = [d for d in days if d >= days_left]
    return min(due) if due else None


def _link(reg: Registration) -> str:
    try:
        return url_for("TalentRegistrationView.show", pk=reg.id)
    except RuntimeError:  # no request: the scheduler builds links without a server name
        return f"/talentregistrationview/show/{reg.id}"


def _line(reg: Registration, on: dt.date) -> str:
    cert = reg.certificate
    left = (reg.expires_on - on).days
    when = f"还剩 {left} 天" if left >= 0 else f"已过期 {-left} 天"
    return (f"{cert.person.name}（{cert.level}，管理号 {cert.management_number}，"
            f"{cert.person.region.name}）登记有效期至 {reg.expires_on:%Y-%m-%d}，{when}")


def send(on: dt.date) -> dict:
    """Send what is due on ``on`` and record it; the caller commits.

    Returns ``{"reminded": [(registration, days)], "newly_expired": [...], "expired": [...]}``:
    ``expired`` lists every current registration past its expiry, new or not."""
    days = services.reminder_days()
    horizon = max(days) if days else 0
    sent = {(r, d) for r, d in db.session.query(Reminder.registration_id, Reminder.days)}
    candidates = stats.current_registrations().filter(
        Registration.expires_on <= on + dt.timedelta(days=horizon)).all()
    reminded, newly_expired, expired = [], [], []
    for reg in sorted(candidates, key=lambda r: (r.expires_on, r.id)):
        left = (reg.expires_on - on).days
        if left < 0:
            expired.append(reg)
        due = threshold(left, days)
        if due is None or (reg.id, due) in sent:
            continue
        managers = notifications.users_with_role(db.session, roles.INSPECTOR, reg.region_id)
        if due == EXPIRED:
            title = f"社工登记已过期：{reg.certificate.person.name}"
            newly_expired.append(reg)
        else:
            title = f"社工登记 {due} 天内到期：{reg.certificate.person.name}"
            reminded.append((reg, due))
        if managers:
            notifications.notify(db.session, managers, title, _line(reg, on) + "。请提醒其办理延续登记。",
                                 _link(reg), SOURCE)
        db.session.add(Reminder(registration_id=reg.id, region_id=reg.region_id, days=due,
                                sent_on=on, recipients=len(managers)))
        sent.add((reg.id, due))
    if reminded or newly_expired:
        _digest(on, reminded, newly_expired, len(expired))
    db.session.flush()
    return {"reminded": reminded, "newly_expired": newly_expired, "expired": expired}


def _digest(on: dt.date, reminded, newly_expired, expired_total: int) -> None:
    from . import TITLE

    owners = notifications.users_with_role(db.session, f"模块负责人·{TITLE}")
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
    notifications.notify(db.session, owners, title, "\n".join(lines), "/talent/expiring/", SOURCE)


def run_daily(on: dt.date | None = None) -> dict:
    """The scheduled job: send, commit, log a summary without personal data."""
    on = on or services.today()
    result = send(on)
    db.session.commit()
    log.info("talent reminders for %s: %d reminders, %d newly expired, %d expired in all",
             on, len(result["reminded"]), len(result["newly_expired"]), len(result["expired"]))
    return result


__all__ = ["send", "run_daily", "threshold", "EXPIRED"]
