"""Import jobs: one row per uploaded file."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from console.foundation.clock import utcnow

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
    # What the job's pages show once it finished (pipeline.job_summary: counts and the first
    # problems, JSON); None for a job finished before summaries were kept.
    summary: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Whose worker runs it, so a job whose process died can be told from one still running.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def state_title(self) -> str:
        return IMPORT_STATES.get(self.state, self.state)
