"""Per-worker copies of what every page reads and almost nothing changes: plugin switches and
settings, the county list.

Each worker process, on any host, keeps its copies together with the token they were read
under.  A change to a watched table through the ORM writes a new random token in the same
transaction, as its last statement before the commit; each request reads the token once (one
primary-key SELECT), and a worker whose copies carry another token drops them.  Random rather
than a counter: a restored backup brings back the token of its own data, so no worker can take
another state for the one it copied.  Rows changed with plain SQL outside the console are seen
after the next change made through it, or a restart.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable

from flask import Flask, current_app, g, has_app_context
from flask_appbuilder import Model
from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

WATCHED = frozenset({"plugin_state", "plugin_setting", "region"})
_KEY = "console.worker_cache"
_CHANGED = "console.cache_changed"  # session.info: a watched table was written
_NEW_TOKEN = "console.cache_token_written"  # session.info: this transaction wrote a token


class CacheToken(Model):
    """A single row (id 1): the token of the current contents of the watched tables."""

    __tablename__ = "cache_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def install(app: Flask) -> None:
    # Registered before any check that reads the copies: each request reads the token anew.
    app.before_request(_forget_token)


def cached(name: str, load: Callable[[], Any]) -> Any:
    """``load()``'s result, kept by this worker until the shared token changes.  The caller
    must not change what it gets (copy it first)."""
    token = _token()
    entry = current_app.extensions.get(_KEY)
    if entry is None or entry[0] != token:
        # A new pair rather than clearing the old one: a thread still reading it is unaffected.
        entry = (token, {})
        current_app.extensions[_KEY] = entry
    values = entry[1]
    if name not in values:
        values[name] = load()
    return values[name]


def _token() -> str | None:
    # Once per request, or per app context outside requests (a job, a command).
    if "cache_token" not in g:
        g.cache_token = db.session.execute(select(CacheToken.token).where(CacheToken.id == 1)).scalar()
    return g.cache_token


def _forget_token() -> None:
    g.pop("cache_token", None)


# -- writing the token ----------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _note_objects(session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in WATCHED:
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state) -> None:
    # insert(Region).values(...) and the like skip the flush.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _write_token(session) -> None:
    session.flush()  # commit flushes after this hook: see what it will write now
    if not session.info.pop(_CHANGED, False):
        return
    # Last statement of the transaction: the row lock is held only until the commit.
    token = secrets.token_hex(16)
    if session.execute(update(CacheToken).where(CacheToken.id == 1).values(token=token)).rowcount == 0:
        session.execute(insert(CacheToken).values(id=1, token=token))
    session.info[_NEW_TOKEN] = True


@event.listens_for(Session, "after_commit")
def _drop_own_copies(session) -> None:
    # The other workers see the new token on their next request; this one at once, even
    # within the request (or command) that made the change.
    if session.info.pop(_NEW_TOKEN, False) and has_app_context():
        current_app.extensions.pop(_KEY, None)
        g.pop("cache_token", None)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_NEW_TOKEN, None)
