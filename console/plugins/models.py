"""Plugin switches and settings, shared by every worker and host."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column


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
