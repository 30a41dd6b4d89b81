"""The security package's own tables (users and roles are Flask-AppBuilder's)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class SessionEpoch(Model):
    """Sessions made before ``epoch`` was last moved on are no longer valid."""

    __tablename__ = "session_epoch"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class AccountState(Model):
    """What the login policy knows about one account: its lock, its password's age and whether
    it must be changed, and the last successful login (shown at the next one)."""

    __tablename__ = "account_state"
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    # Consecutive failures towards the lock; back to 0 on success, on locking and on unlocking.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Every failure since the last successful login, locked or not: what the user is told.
    failures_since_login: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_login_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PasswordHistory(Model):
    """Hashes of an account's recent passwords, so that none of them is chosen again."""

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user", "user_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    password: Mapped[str] = mapped_column(String(256), nullable=False)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class LoginActivity(Model):
    """The last request of one signed-in browser session or one API token, for the idle
    timeout: kept in the database so every worker and host sees the same time."""

    __tablename__ = "login_activity"
    # The session's ``_sid`` or the token's ``jti``.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
