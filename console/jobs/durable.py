"""Durable jobs: work recorded as a row (an import, a briefing run) that any process can see,
claim once, keep alive with a heartbeat and, when its process has died, tell from live work.

A row's state changes go through a connection of their own, so that other workers see them at
once while the work's own transaction is still open, and a change ``where`` the row still holds
given values is a claim: of two processes, one changes the row and the other is told it lost.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select, update

from console.foundation.clock import utcnow
from console.foundation.extensions import db

RUNNING = "running"


def update_row(model, row_id: int | None, where: dict | None = None, **values) -> bool:
    """Change the row ``row_id`` of ``model`` at once, visibly to every process; with ``where``
    only if the row still has those values.  True when the row changed."""
    if row_id is None:
        return False
    stmt = update(model).where(model.id == row_id)
    for key, value in (where or {}).items():
        column = getattr(model, key)
        stmt = stmt.where(column.is_(None) if value is None else column == value)
    with db.engine.begin() as conn:
        return conn.execute(stmt.values(**values)).rowcount == 1


def is_stale(last_beat: dt.datetime | None, after: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """The work's process stopped beating more than ``after`` ago."""
    return last_beat is not None and (now or utcnow()) - last_beat > after


def stale_rows(model, after: dt.timedelta, now: dt.datetime | None = None, *columns):
    """Running rows of ``model`` whose heartbeat is older than ``after``: (id, heartbeat_at, ...)."""
    now = now or utcnow()
    return db.session.execute(
        select(model.id, model.heartbeat_at, *columns)
        .where(model.state == RUNNING, model.heartbeat_at < now - after)
    ).all()


class Heartbeat:
    """Beats for a running row from a thread of its own while the work runs; stops with it, or
    with the process (a daemon thread), which is how a dead run is later told from a live one."""

    def __init__(self, app, model, row_id: int, every_seconds: float):
        self.app, self.model, self.row_id, self.every = app, model, row_id, every_seconds
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"{model.__tablename__}-{row_id}-beat",
                                       daemon=True)

    def _loop(self):
        with self.app.app_context():
            while not self.stop.wait(self.every):
                update_row(self.model, self.row_id, {"state": RUNNING}, heartbeat_at=utcnow())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
