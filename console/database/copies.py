"""Per-worker copies of what every page reads and almost nothing changes (plugin switches and
settings, the county list, the navbar's menu per set of roles), and of what is costly to
compute and read far more often than the data behind it changes (the home page's cards, the
large lists' totals and page maps).

Each worker process, on any host, keeps its copies together with the tokens they were read
under.  Two tokens, one row each in ``cache_token``: the settings token, new whenever a
watched table (WATCHED) is written through the ORM, and the data token, new whenever any
other table is (every module's records, imports included).  The new token is written in the
same transaction, as its last statement before the commit; each request reads both tokens
once (one SELECT), and a worker whose copies carry other tokens drops them.  Random rather
than a counter: a restored backup brings back the tokens of its own data, so no worker can
take another state for the one it copied.  Rows changed with plain SQL outside the console
are seen after the next change made through it, or a restart.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable

from flask import Flask, current_app, g, has_app_context
from flask_appbuilder import Model
from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from console.foundation.extensions import db

# Roles' stored permissions decide which menu entries a role sees (console/navigation.py).
WATCHED = frozenset({"plugin_state", "plugin_setting", "region", "ab_role", "ab_permission_view_role"})
SETTINGS, DATA = 1, 2  # cache_token rows
_KEY = "console.worker_cache"
_CHANGED = "console.cache_changed"  # session.info: the token rows to write at the commit
_NEW_TOKEN = "console.cache_token_written"  # session.info: this transaction wrote a token
# Copies per worker and token at most: a quiet night of many different searches (a page map
# each) starts afresh rather than growing.
MAX_ENTRIES = 1000
_MISSING = object()


class CacheToken(Model):
    """Two rows: SETTINGS, the token of the watched tables' contents, and DATA, of the rest."""

    __tablename__ = "cache_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def install(app: Flask) -> None:
    # Registered before any check that reads the copies: each request reads the tokens anew.
    app.before_request(_forget_tokens)


def cached(name: str, load: Callable[[], Any], *, data: bool = False) -> Any:
    """``load()``'s result, kept by this worker until the settings token changes, or either
    token with ``data`` (what ``load`` reads beyond the watched tables).  The caller must not
    change what it gets (copy it first)."""
    tokens = _tokens()
    key = (tokens[SETTINGS], tokens[DATA]) if data else tokens[SETTINGS]
    stores = current_app.extensions.setdefault(_KEY, {})
    entry = stores.get(data)
    if entry is None or entry[0] != key or len(entry[1]) >= MAX_ENTRIES:
        # A new pair rather than clearing the old one: a thread still reading it is unaffected.
        entry = (key, {})
        stores[data] = entry
    values = entry[1]
    value = values.get(name, _MISSING)
    if value is _MISSING:
        value = values[name] = load()
    return value


def data_changed(session: Session) -> None:
    """For writes that bypass the ORM's events (bulk inserts straight to the driver): the data
    token is renewed when the session's transaction commits."""
    session.info.setdefault(_CHANGED, set()).add(DATA)


def _tokens() -> dict[int, str | None]:
    # Once per request, or per app context outside requests (a job, a command).
    if "cache_tokens" not in g:
        rows = db.session.execute(select(CacheToken.id, CacheToken.token)
                                  .where(CacheToken.id.in_((SETTINGS, DATA))))
        g.cache_tokens = {SETTINGS: None, DATA: None, **dict(rows.all())}
    return g.cache_tokens


def _forget_tokens() -> None:
    g.pop("cache_tokens", None)


# -- writing the tokens ---------------------------------------------------------------------


def _kind(table_name: str | None) -> int | None:
    if table_name is None or table_name == CacheToken.__tablename__:
        return None
    return SETTINGS if table_name in WATCHED else DATA


@event.listens_for(Session, "before_flush")
def _note_objects(session, flush_context, instances) -> None:
    kinds = {_kind(getattr(obj, "__tablename__", None)) for obj in (*session.new, *session.dirty, *session.deleted)}
    kinds.discard(None)
    if kinds:
        session.info.setdefault(_CHANGED, set()).update(kinds)


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state) -> None:
    # insert(Region).values(...), update(Model).where(...) and the like skip the flush.
    if state.is_insert or state.is_update or state.is_delete:
        kind = _kind(getattr(getattr(state.statement, "table", None), "name", None))
        if kind is not None:
            state.session.info.setdefault(_CHANGED, set()).add(kind)


@event.listens_for(Session, "before_commit")
def _write_token(session) -> None:
    session.flush()  # commit flushes after this hook: see what it will write now
    kinds = session.info.pop(_CHANGED, None)
    if not kinds:
        return
    # Last statements of the transaction: the row locks are held only until the commit.
    for row in sorted(kinds):  # one order in every transaction: no deadlock between two
        token = secrets.token_hex(16)
        if session.execute(update(CacheToken).where(CacheToken.id == row).values(token=token)).rowcount == 0:
            session.execute(insert(CacheToken).values(id=row, token=token))
    session.info[_NEW_TOKEN] = True


@event.listens_for(Session, "after_commit")
def _drop_own_copies(session) -> None:
    # The other workers see the new tokens on their next request; this one at once, even
    # within the request (or command) that made the change.
    if session.info.pop(_NEW_TOKEN, False) and has_app_context():
        current_app.extensions.pop(_KEY, None)
        g.pop("cache_tokens", None)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_NEW_TOKEN, None)
