"""The in-app inbox's table."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from console.foundation.clock import utcnow


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at"),
        # "Remind once": a reminder with a key reaches each user once, whoever sends it again.
        Index("ux_notification_user_once", "user_id", "once_key", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(64))  # the plugin or core part that sent it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by notify(once=...): what the notice is about and for when, e.g. "visits.problem:7:2026-12-06".
    once_key: Mapped[str | None] = mapped_column(String(200))
