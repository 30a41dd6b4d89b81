"""The one scheduler process: plugins' jobs, the heartbeat /health reads.

APScheduler 3 cannot share a job store between processes (two schedulers on one store ran every
job twice), so jobs live in memory here and exactly one process runs them: ``jiceng scheduler``
in production, a child of ``jiceng serve`` in the embedded default.  Work that must happen once
per slot claims the slot in the database itself, so a second scheduler started by mistake
still does it once.
"""

from __future__ import annotations

import logging
import os
import socket

from console.audit import log as audit
from console.briefings import runs
from console.foundation import clock
from console.foundation.clock import utcnow
from console.foundation.extensions import db
from console.jobs.job import Job
from console.jobs.models import Heartbeat
from console.plugins import manager as plugins

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30




def beat(app) -> None:
    with app.app_context():
        row = db.session.get(Heartbeat, "scheduler") or Heartbeat(name="scheduler")
        row.at, row.host, row.pid = utcnow(), socket.gethostname(), os.getpid()
        db.session.add(row)
        db.session.commit()


def _run_job(app, plugin: str, job: Job) -> None:
    with app.app_context():
        token = audit.set_actor(f"定时任务:{plugin}.{job.id}")
        try:
            if not plugins.is_enabled(plugin):
                log.info("skipping %s.%s: plugin switched off", plugin, job.id)
                return
            job.func()
        except Exception:
            db.session.rollback()
            plugins.record_hook_failure(plugin, f"定时任务 {job.id}")
        finally:
            db.session.remove()
            audit._actor.reset(token)


def briefings(app) -> None:
    """Every minute: reap stuck briefing runs, retry, claim due schedule slots and run them.
    Each slot is claimed in the database, so a second scheduler by mistake runs nothing twice."""
    with app.app_context():
        try:
            runs.tick()
        except Exception:
            db.session.rollback()
            log.exception("briefing tick failed")
        finally:
            db.session.remove()


def jobs(app) -> list[tuple[str, Job]]:
    with app.app_context():
        found = []
        for plugin, plugin_jobs in plugins.call("scheduled_jobs", include_disabled=True):
            found.extend((plugin, job) for job in plugin_jobs or ())
        return found


def build(app, scheduler_class=None):
    """A scheduler with the heartbeat and every installed plugin's jobs."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    tz = app.config["TIMEZONE"]
    grace = app.config["MISFIRE_GRACE_SECONDS"]
    scheduler = (scheduler_class or BlockingScheduler)(
        timezone=tz, job_defaults={"coalesce": True, "misfire_grace_time": grace, "max_instances": 1}
    )
    scheduler.add_job(beat, "interval", seconds=HEARTBEAT_SECONDS, args=[app], id="heartbeat",
                      next_run_time=_now(tz))
    scheduler.add_job(briefings, "cron", second=0, args=[app], id="briefings", name="工作简报")
    for plugin, job in jobs(app):
        scheduler.add_job(_run_job, job.trigger, args=[app, plugin, job], id=f"{plugin}.{job.id}",
                          name=job.title, **job.trigger_args)
    return scheduler


def _now(tz):
    from zoneinfo import ZoneInfo

    return clock.now(ZoneInfo(tz))
