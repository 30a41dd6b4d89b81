"""Files stored in the database."""

from __future__ import annotations

import datetime as dt
import secrets

from flask_appbuilder import Model
from sqlalchemy import (
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from console.foundation.clock import utcnow


class Attachment(Model):
    """A file stored in the database, so every host sees it (the embedded default)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner", "owner_id"),
                      Index("ux_attachment_key", "key", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    # What a file's address names: 128 random bits, so that knowing one file's address says
    # nothing about another's (the ids are sequential).
    key: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
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
