"""A plugin's periodic job, as the scheduler process runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Job:
    """A plugin's periodic job. ``trigger`` and ``trigger_args`` are APScheduler's, e.g.
    ``Job("reminders", "到期提醒", send_reminders, "cron", {"hour": 8})``."""

    id: str
    title: str
    func: Callable[[], Any]
    trigger: str = "cron"
    trigger_args: dict = field(default_factory=dict)
