"""The module's scheduled jobs, each run by the scheduler inside an app context (hooks.py wires
them through scheduled_jobs)."""

from __future__ import annotations

from console import db

from .services.reminders import send_reminders


def daily_reminders() -> None:
    """The daily notice to responsible departments: problems due soon, and overdue ones."""
    send_reminders(db.session)
