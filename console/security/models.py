"""The security package's own table (users and roles are Flask-AppBuilder's)."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column


class SessionEpoch(Model):
    """Sessions made before ``epoch`` was last moved on are no longer valid."""

    __tablename__ = "session_epoch"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
