"""Per-worker copies of what every page reads and almost nothing changes (plugin switches and
settings, the county list, the navbar's menu per set of roles), and of what is costly to
compute and read far more often than the data behind it changes (the home page's cards, the
large lists' totals and page maps).

Each worker process, on any host, keeps its copies together with the tokens of the tables they
were read from, and drops a copy only when one of those tokens changes: a visit logged renews
the visit table's tokens, and the enterprise list's page map, read from other tables, stays.

The tokens (rows of ``table_token``), per table ``T``:

* ``T``: renewed by every write to the table.  A copy depends on it for each table its
  ``load`` read (recorded from the statements it ran through the session);
* ``T+``: renewed when rows are inserted or deleted, and ``T.column`` when an update changes
  that column.  A list's total and page map depend on these only, for the columns its filters
  and ORDER BY name: an update that leaves them alone keeps the map.

A transaction writes its new tokens in the same transaction as the rows, so a committed write
and its tokens become visible together; each request reads every token once (one SELECT).  The
tokens of a flush are written at once, before the audit log's entries of that flush: the audit
chain's head row queues every writer of the city until it commits (``console.audit.chain``),
and a statement run after it would lengthen that queue by a round trip per transaction
(``python -m bench.writers``).  Random rather than counters: a restored backup brings back the
tokens of its own data, so no worker can take another state for the one it copied.  On
PostgreSQL a token is spread over SLOTS rows and a writer renews the one of its thread (the
token is the set of them): the writers of one table do not queue on one row lock until they
commit.  One more row per token takes the writes of a transaction that already holds the audit
chain (``QUEUE_HELD``).  Rows changed with plain SQL outside the console are seen after the
next change made through it to the same tables, or a restart.
"""

from __future__ import annotations

import contextvars
import secrets
import threading
from collections import defaultdict
from typing import Any, Callable, Iterable

from flask import Flask, current_app, g, has_app_context
from flask_appbuilder import Model
from sqlalchemy import Integer, String, Table, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import visitors
from sqlalchemy.sql.schema import Column

from console.foundation.extensions import db

# Every copy made from what its load read depends on these too, read or not: the settings, switches, regions and roles that
# decide what a page shows around the data (a card's region name, the menu of a role).
WATCHED = frozenset({"plugin_state", "plugin_setting", "region", "ab_role", "ab_permission_view_role"})
ROWS = "+"  # suffix of the token renewed by inserts and deletes
ANY = "*"  # a copy whose load ran a statement of unknown tables: it depends on every token
# Rows per token on PostgreSQL.  SQLite has one writer at a time anyway: one row, fewer to read.
SLOTS = {"postgresql": 32}
_KEY = "console.worker_cache"
_CHANGED = "console.cache_changed"  # session.info: the tokens this transaction renews
_NEW_TOKEN = "console.cache_token_written"  # session.info: the tokens this transaction renewed
# Copies per worker at most: a quiet night of many different searches (a page map each)
# starts afresh rather than growing.
MAX_ENTRIES = 1000
# session.info: set by a writer that holds a lock every writer queues on until it commits (the
# audit chain's head row).  Its later tokens go to the extra slot kept for such holders: one at
# a time, they never wait there for a writer queued behind them (no deadlock).
QUEUE_HELD = "console.queue_held"
_MISSING = object()
_reading: contextvars.ContextVar[list | None] = contextvars.ContextVar("console_cache_reading", default=None)


class TableToken(Model):
    """One row per token name and slot (see the module's docstring)."""

    __tablename__ = "table_token"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


def install(app: Flask) -> None:
    # Registered before any check that reads the copies: each request reads the tokens anew.
    app.before_request(_forget_tokens)


def cached(name: str, load: Callable[[], Any], *, data: bool = True,
           depends: Iterable[str] | None = None) -> Any:
    """``load()``'s result, kept by this worker until a table it read is written.  The caller
    must not change what it gets (copy it first).

    What ``load`` reads is recorded from the statements it runs through the session (an
    object already in the session, read without a statement, is not: query it).  ``depends``
    names the tokens instead (paging's totals and maps).  ``data`` is accepted for callers
    written for the earlier two-token store and changes nothing."""
    del data
    tokens = _tokens()
    store = current_app.extensions.setdefault(_KEY, {})
    session = db.session()
    # What this session has written and not yet committed: a copy of the tables it wrote
    # is neither used nor made (a rollback would leave it showing rows that never were).
    written = session.info.get(_CHANGED) or set()
    entry = store.get(name, _MISSING)
    if entry is not _MISSING and _current(entry[1], tokens) and not _overlap(written, entry[1]):
        _note_read(entry[1])
        return entry[0]
    if depends is None:
        reads: set[str] = set()
        outer = _reading.get()
        mark = _reading.set([*(outer or ()), reads])
        try:
            value = load()
        finally:
            _reading.reset(mark)
        names = reads | WATCHED
    else:
        value = load()
        names = set(depends)
    seen = {n: tokens.get(n) for n in names} if ANY not in names else {ANY: _whole(tokens)}
    _note_read(seen)
    written = session.info.get(_CHANGED) or set()  # load may have flushed
    if _overlap(written, seen):
        return value
    if len(store) >= MAX_ENTRIES:
        # A new store rather than clearing the old one: a thread still reading it is unaffected.
        store = current_app.extensions[_KEY] = {}
    store[name] = (value, seen)
    return value


def rows_inserted(session: Session, table: Table) -> None:
    """For inserts that bypass the ORM's events (bulk inserts straight to the driver): the
    table's tokens are renewed when the session's transaction commits."""
    session.info.setdefault(_CHANGED, set()).update((table.name, table.name + ROWS))


def read_columns(statement) -> set[str]:
    """The tokens a total or page map of ``statement`` depends on: ``T+`` of every table it
    reads and ``T.column`` of every column it names (its filters and ORDER BY)."""
    names = set()
    for element in visitors.iterate(statement):
        if isinstance(element, Table):
            names.add(element.name + ROWS)
        elif isinstance(element, Column) and isinstance(element.table, Table):
            names.add(f"{element.table.name}.{element.name}")
            names.add(element.table.name + ROWS)
    return names


def _current(seen: dict, tokens: dict) -> bool:
    if ANY in seen:
        return seen[ANY] == _whole(tokens)
    return all(tokens.get(n) == token for n, token in seen.items())


def _overlap(written: set, seen: dict) -> bool:
    return bool(written) and (ANY in seen or not written.isdisjoint(seen))


def _whole(tokens: dict) -> frozenset:
    return frozenset(tokens.items())


def _note_read(seen: dict) -> None:
    # A copy used inside another's load: the outer one depends on what the inner one read.
    stack = _reading.get()
    if stack:
        for reads in stack:
            reads.update(seen)


def _tokens() -> dict[str, tuple]:
    # Once per request, or per app context outside requests (a job, a command).
    if "cache_tokens" not in g:
        grouped = defaultdict(list)
        for token_name, slot, token in db.session.execute(
                select(TableToken.name, TableToken.slot, TableToken.token)):
            grouped[token_name].append((slot, token))
        g.cache_tokens = {n: tuple(sorted(slots)) for n, slots in grouped.items()}
    return g.cache_tokens


def _forget_tokens() -> None:
    g.pop("cache_tokens", None)


# -- what a load reads ------------------------------------------------------------------------


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    stack = _reading.get()
    if stack and state.is_select:
        tables = {el.name for el in visitors.iterate(state.statement) if isinstance(el, Table)}
        found = tables or {ANY}  # text(): which tables it reads is not known
        for reads in stack:
            reads.update(found)
    elif state.is_insert or state.is_update or state.is_delete:
        # insert(Region).values(...), update(Model).where(...) and the like skip the flush.
        table = getattr(state.statement, "table", None)
        if isinstance(table, Table):
            _written(state.session, _statement_tokens(state, table))
    elif stack:
        for reads in stack:
            reads.add(ANY)


def _statement_tokens(state, table: Table) -> set[str]:
    if not state.is_update:
        return {table.name, table.name + ROWS} | _cascaded(table) if state.is_delete else \
            {table.name, table.name + ROWS}
    values = getattr(state.statement, "_values", None) or {}
    named = {getattr(k, "key", k) for k in values}
    columns = [c for c in table.c if c.key in named or c.name in named] if named else list(table.c)
    # ORM bulk updates by primary key (execute(update(Model), [rows])) carry no values here.
    return {table.name, *(f"{table.name}.{c.name}" for c in columns or table.c)}


# -- what a transaction writes --------------------------------------------------------------


# First of the flush's listeners: the tokens are written before the audit log's listener
# takes the chain's head row (see the module's docstring).
@event.listens_for(Session, "after_flush", insert=True)
def _note_objects(session, flush_context) -> None:
    # After the flush, so that cascaded objects and foreign keys set from relationships are
    # seen; the session's lists and the attributes' history are still those before it.
    names: set[str] = set()
    for obj in (*session.new, *session.deleted):
        mapper = inspect(obj).mapper
        for table in mapper.tables:
            names.update((table.name, table.name + ROWS))
        names.update(_secondaries(mapper, obj, every=True))
    for obj in session.deleted:
        for table in inspect(obj).mapper.tables:
            names.update(_cascaded(table))
    for obj in session.dirty:
        state = inspect(obj)
        mapper = state.mapper
        changed = set()
        for attr in mapper.column_attrs:
            if state.attrs[attr.key].history.has_changes():
                changed.update(attr.columns)
        for rel in mapper.relationships:
            if rel.secondary is None and state.attrs[rel.key].history.has_changes():
                changed.update(rel.local_columns)
        names.update(_secondaries(mapper, obj))
        for column in changed:
            if isinstance(column, Column) and isinstance(column.table, Table):
                names.update((column.table.name, f"{column.table.name}.{column.name}"))
    names.discard(TableToken.__tablename__)
    names.discard(TableToken.__tablename__ + ROWS)
    _written(session, names)
    _flush_tokens(session)


def _flush_tokens(session: Session) -> None:
    # Its own function so that ``bench.writers`` can measure the tokens written only at the
    # commit, as they were before they moved to the flush.
    _write_tokens(session, session.connection())


def _secondaries(mapper, obj, every: bool = False) -> set[str]:
    # A many-to-many collection changed writes rows of its association table.
    state = inspect(obj)
    out = set()
    for rel in mapper.relationships:
        if isinstance(rel.secondary, Table) and (every or state.attrs[rel.key].history.has_changes()):
            out.update((rel.secondary.name, rel.secondary.name + ROWS))
    return out


def _cascaded(table: Table) -> set[str]:
    # A delete can reach the rows that refer to it (ON DELETE CASCADE or SET NULL) unseen.
    out = set()
    for other in table.metadata.tables.values():
        if other is not table and any(fk.column.table is table for fk in other.foreign_keys
                                      if fk.ondelete):
            out.update((other.name, other.name + ROWS, *(f"{other.name}.{c.name}" for c in other.c)))
    return out


def _written(session: Session, names: set[str]) -> None:
    if names:
        session.info.setdefault(_CHANGED, set()).update(names)


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    session.flush()  # commit flushes after this hook: its tokens are written now
    # What statements and bulk inserts wrote since the last flush.
    _write_tokens(session, session.connection())


def _write_tokens(session: Session, connection) -> None:
    """Renew the tokens named since the last call, in the session's transaction."""
    done = session.info.setdefault(_NEW_TOKEN, set())
    names = (session.info.get(_CHANGED) or set()) - done
    if not names:
        return
    dialect = connection.dialect
    slots = SLOTS.get(dialect.name, 1)
    # One slot for all the names of a transaction, by the writing thread: two writers queue
    # only when their threads share a slot (thread ids are unique across a host's processes
    # and mostly consecutive, so a host's workers rarely do), never because of a random draw.
    slot = slots if session.info.get(QUEUE_HELD) and slots > 1 else threading.get_native_id() % slots
    rows = [{"name": n, "slot": slot, "token": secrets.token_hex(16)} for n in sorted(names)]
    # One statement, its rows locked in one order in every transaction (no deadlock between
    # two).  On the connection: no ORM event takes the token table for a table written.
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(TableToken).values(rows)
    connection.execute(statement.on_conflict_do_update(index_elements=["name", "slot"],
                                                       set_={"token": statement.excluded.token}))
    done.update(names)


@event.listens_for(Session, "after_commit")
def _read_tokens_again(session) -> None:
    # The other workers see the new tokens on their next request; this one at once, even
    # within the request (or command) that made the change.
    session.info.pop(_CHANGED, None)
    session.info.pop(QUEUE_HELD, None)
    if session.info.pop(_NEW_TOKEN, None) and has_app_context():
        g.pop("cache_tokens", None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_NEW_TOKEN, None)
        session.info.pop(QUEUE_HELD, None)
    elif previous_transaction.nested:
        # A savepoint rolled back takes the tokens written since it began with it; what the
        # transaction wrote before it stays to be committed: the commit writes every name the
        # transaction named again (after_rollback fires for a savepoint too, so not there).
        session.info.pop(_NEW_TOKEN, None)
