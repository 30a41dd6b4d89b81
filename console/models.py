"""The core's tables: regions, plugin state and settings, audit log, notifications,
attachments, import jobs and the scheduler heartbeat.  Users and roles are Flask-AppBuilder's
(``console.security`` adds the scope region to the user)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Audited:
    """Marker: inserts, updates and deletes of this model are written to the audit log."""

    # Columns whose values never reach the audit log (personal data, secrets).
    __audit_masked__: tuple[str, ...] = ()
    # What a row is, in words a user reads in the log (the table name otherwise).
    __audit_title__: str | None = None


REGION_LEVELS = {"city": "市", "county": "县(市、区)", "township": "乡镇(街道)", "village": "村(社区)"}


class Region(Audited, Model):
    """A node of the city -> county -> township -> village tree.

    ``path`` is the codes from the root down, each followed by a dot; "everything inside a
    region" is then a prefix match that an index serves.
    """

    __tablename__ = "region"
    __audit_title__ = "行政区划"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True)
    # Township and village names are invented for the demo; marked so nobody mistakes them.
    example: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Region | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def level_title(self) -> str:
        return REGION_LEVELS.get(self.level, self.level)

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__


class PluginState(Model):
    """Whether an installed plugin is switched on, shared by every worker and host."""

    __tablename__ = "plugin_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The last failure of one of its hooks, seen by every worker (load failures are per process).
    error: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PluginSetting(Model):
    __tablename__ = "plugin_setting"
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


class AuditLog(Model):
    """Append-only: written in the same transaction as the change it records."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str | None] = mapped_column(String(64), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[str | None] = mapped_column(Text)  # JSON: {field: [before, after]}
    ip: Mapped[str | None] = mapped_column(String(64))

    @property
    def action_title(self) -> str:
        from .views.audit import ACTIONS

        return ACTIONS.get(self.action, self.action)

    @property
    def entity_title(self) -> str:
        from .audit import entity_titles

        return entity_titles().get(self.entity, self.entity or "")


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(64))  # the plugin or core part that sent it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)


class Attachment(Model):
    """A file stored in the database, so every host sees it (the embedded default)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner", "owner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))  # e.g. "nameplates.inspection"
    owner_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


IMPORT_STATES = {
    "queued": "排队中",
    "running": "导入中",
    "succeeded": "已完成",
    "rejected": "已拒绝",  # validation found bad rows; nothing written (all-or-nothing)
    "partial": "部分导入",  # bad rows skipped on request, the good ones written
    "failed": "失败",
}


class ImportJob(Model):
    __tablename__ = "import_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # .xlsx of rejected rows
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Whose worker runs it, so a job whose process died can be told from one still running.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def state_title(self) -> str:
        return IMPORT_STATES.get(self.state, self.state)


class Heartbeat(Model):
    """The scheduler writes its beat here; /health reads it."""

    __tablename__ = "heartbeat"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
