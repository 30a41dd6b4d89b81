"""The briefing engine's tables: schedules, runs (one per schedule slot and reader scope) and
the delivery log."""

from __future__ import annotations

import datetime as dt
import json

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from console.audit.models import Audited
from console.foundation.clock import utcnow
from console.regions.models import Region

RECURRENCES = {"daily": "每天", "weekly": "每周", "monthly": "每月", "cron": "自定义（高级）"}
PERIOD_KINDS = {"day": "前一天", "week": "上一周", "month": "上个月", "quarter": "上一季度",
                "year": "上一年"}
RUN_STATES = {"queued": "排队中", "running": "生成中", "succeeded": "已完成",
              "partial": "部分完成", "failed": "失败"}
FINISHED = ("succeeded", "partial", "failed")


class BriefingSchedule(Audited, Model):
    __tablename__ = "briefing_schedule"
    __audit_title__ = "简报计划"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    recurrence: Mapped[str] = mapped_column(String(10), default="monthly")
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday, for weekly
    day_of_month: Mapped[int | None] = mapped_column(Integer)  # for monthly
    time_of_day: Mapped[str] = mapped_column(String(5), default="08:00")  # HH:MM
    cron: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    period_kind: Mapped[str] = mapped_column(String(10), default="month")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    sections: Mapped[str] = mapped_column(Text, default="[]")  # JSON: plugin names
    recipient_users: Mapped[str] = mapped_column(Text, default="[]")  # JSON: user ids
    recipient_roles: Mapped[str] = mapped_column(Text, default="[]")  # JSON: role names
    skip_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    # Print the plugins' appendix ledgers (every village ...): dozens of pages, so opted into.
    appendix: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    region: Mapped[Region] = relationship(lazy="joined")

    def _list(self, attr: str) -> list:
        return json.loads(getattr(self, attr) or "[]")

    @property
    def section_names(self) -> list[str]:
        return self._list("sections")

    @property
    def user_ids(self) -> list[int]:
        return self._list("recipient_users")

    @property
    def role_names(self) -> list[str]:
        return self._list("recipient_roles")

    @property
    def recurrence_title(self) -> str:
        return describe(self)


class BriefingRun(Model):
    """One briefing document: a schedule's slot for one reader scope, or one made on demand.

    The unique (schedule, slot, region) row is how a slot is claimed: the runner that inserts
    the schedule's own row first owns the slot; any other gets an IntegrityError and stops.
    """

    __tablename__ = "briefing_run"
    __table_args__ = (
        UniqueConstraint("schedule_id", "slot_time", "region_id", name="uq_briefing_run_slot"),
        Index("ix_briefing_run_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("briefing_schedule.id", ondelete="CASCADE"), index=True)
    slot_time: Mapped[dt.datetime | None] = mapped_column(DateTime)  # naive UTC
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    period: Mapped[str] = mapped_column(String(20))  # e.g. 2025-12, 2025Q4, 2025, 2025-W49
    sections: Mapped[str | None] = mapped_column(Text)  # JSON plugin names; None = all enabled
    appendix: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[str | None] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    next_retry_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    # The figures the document shows, kept so a past briefing renders the same later.
    snapshot: Mapped[str | None] = deferred(mapped_column(Text))
    snapshot_id: Mapped[str | None] = mapped_column(String(16))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    region: Mapped[Region] = relationship(lazy="joined")
    schedule: Mapped[BriefingSchedule | None] = relationship(lazy="joined")

    @property
    def state_title(self) -> str:
        return RUN_STATES.get(self.state, self.state)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED and self.next_retry_at is None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None


class BriefingDelivery(Model):
    """Who received which briefing, and how."""

    __tablename__ = "briefing_delivery"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("briefing_run.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


WEEKDAYS = "一二三四五六日"


def describe(schedule: BriefingSchedule) -> str:
    """The schedule in words (每天 08:00 / 每周一 08:00 / 每月 1 日 08:00), a custom rule too."""
    if schedule.recurrence == "cron":
        return cron_words(schedule.cron or "")
    when = schedule.time_of_day
    if schedule.recurrence == "weekly":
        return f"每周{WEEKDAYS[schedule.weekday or 0]} {when}"
    if schedule.recurrence == "monthly":
        return f"每月 {schedule.day_of_month} 日 {when}"
    return f"每天 {when}"


def cron_words(expr: str) -> str:
    """A custom rule in words where it is one of the plain shapes; the expression itself stays in
    the schedule's advanced field."""
    parts = expr.split()
    if len(parts) == 5 and parts[0].isdigit() and parts[1].isdigit() and parts[3] == "*":
        minute, hour, day, _, weekday = parts
        when = f"{int(hour):02d}:{int(minute):02d}"
        if day == "*" and weekday == "*":
            return f"每天 {when}"
        if day == "*" and weekday.isdigit() and int(weekday) <= 7:
            return f"每周{WEEKDAYS[(int(weekday) - 1) % 7]} {when}"
        if day.isdigit() and weekday == "*":
            return f"每月 {int(day)} 日 {when}"
    if expr.strip() == "* * * * *":
        return "每分钟"
    return "按自定义规则"
