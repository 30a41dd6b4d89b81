"""The audit log: every change of audited data, written in the transaction that makes it.

A session listener turns the flush of any :class:`console.Audited` object (and of
Flask-AppBuilder's users and roles) into ``audit_log`` rows on the same connection, so the
change and its record commit or roll back together.  Nothing updates or deletes a log row;
each row is sealed into the hash chain (``console.audit.chain``) as it is written, and the new
chain head is published outside the database once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from contextvars import ContextVar

from flask import g, has_request_context, request
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from console.audit import chain
from console.audit.models import FAB_TITLES, Audited, AuditLog
from console.foundation.clock import utcnow
from console.foundation.extensions import db

# Who acts outside a request: the CLI and the scheduler set this.
_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_actor", default=None)

MASK = "***"


class AuditLogImmutable(Exception):
    pass


def set_actor(name: str, user_id: int | None = None):
    """Name the actor of changes made outside a web request (``jiceng ...``, jobs)."""
    return _actor.set((user_id, name))


def current_actor() -> tuple[int | None, str]:
    if has_request_context():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, user.username
        return None, "匿名"
    return _actor.get() or (None, "系统")


def actor_name() -> str:
    return current_actor()[1]


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} 字节>"
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _masked(obj) -> set[str]:
    if isinstance(obj, User):
        return {"password"}
    return set(getattr(obj, "__audit_masked__", ()))


def _audited(obj) -> bool:
    return isinstance(obj, (Audited, User, Role)) and not isinstance(obj, AuditLog)


def _entity(obj) -> str:
    return obj.__table__.name


# Bookkeeping Flask-AppBuilder writes on every login; the login entry records the event itself.
_LOGIN_BOOKKEEPING = {"last_login", "login_count", "fail_login_count", "changed_on", "changed_by_fk"}


def _describe(obj, kind: str, pk: str) -> str:
    title = getattr(obj, "__audit_title__", None) or FAB_TITLES.get(_entity(obj), _entity(obj))
    label = {"insert": "新增", "update": "修改", "delete": "删除"}[kind]
    # Only a model's own __str__ says something; the default repr is a memory address.
    text = str(obj) if type(obj).__str__ is not object.__str__ or type(obj).__repr__ is not object.__repr__ else ""
    text = "" if " object at 0x" in text else text
    return f"{label}{title} #{pk}" + (f"：{text}" if text and text != pk else "")


def _changes(obj, kind: str) -> dict:
    state = inspect(obj)
    masked = _masked(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        hist = state.attrs[key].history
        if kind == "insert":
            value = getattr(obj, key, None)
            if value is not None:
                out[key] = [None, MASK if key in masked else _plain(value)]
        elif kind == "delete":
            value = getattr(obj, key, None)  # loads an expired row before it goes
            if value is not None:
                out[key] = [MASK if key in masked else _plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                out[key] = [MASK, MASK] if key in masked else [_plain(before), _plain(after)]
    if kind == "update":
        for rel in state.mapper.relationships:
            if rel.uselist and rel.secondary is not None:
                hist = state.attrs[rel.key].history
                if hist.added or hist.deleted:
                    out[rel.key] = [[str(x) for x in hist.deleted], [str(x) for x in hist.added]]
    if isinstance(obj, User):
        out.update(_access_changes(obj, state, kind))
    return out


def _region_text(region) -> str:
    # Names repeat across townships: the code says which one.
    return "全市" if region is None else f"{region}（{region.code}）"


def _access_changes(user, state, kind: str) -> dict:
    """What a user may see and do, before and after, in words: the roles and the scope region.
    Read here, in the flush, so the users page, ``jiceng users add`` and anything else that
    changes a user are recorded alike.  The form sets the region as an object, whose foreign key
    column changes only during the flush, after the column history above has been read."""
    from sqlalchemy.orm.attributes import NO_VALUE

    out = {}
    mapper = state.mapper
    if kind == "insert":
        if "roles" in mapper.relationships:
            out["roles"] = [None, sorted(str(r) for r in user.roles)]
        if "scope_region" in mapper.relationships:
            out["scope_region"] = [None, _region_text(user.scope_region)]
        return out
    if kind != "update" or "scope_region" not in mapper.relationships:
        return out
    hist = state.attrs["scope_region"].history
    if hist.added or hist.deleted:
        before = next((r for r in hist.deleted if r is not NO_VALUE), None)
        after = next((r for r in hist.added if r is not NO_VALUE), None)
        if before is not after:
            out["scope_region"] = [_region_text(before), _region_text(after)]
        return out
    ids = state.attrs["scope_region_id"].history
    if ids.added or ids.deleted:
        # The id set directly (a script): the regions by their ids.
        region_cls = mapper.relationships["scope_region"].mapper.class_
        session = state.session

        def region(ids):
            pk = next((i for i in ids if i is not None), None)
            return None if pk is None else session.get(region_cls, pk)

        before, after = region(ids.deleted), region(ids.added)
        if before is not after:
            out["scope_region"] = [_region_text(before), _region_text(after)]
    return out


def _row(action: str, entity: str | None, entity_id, summary: str | None, changes) -> dict:
    user_id, username = current_actor()
    return {
        "at": utcnow(),
        "user_id": user_id,
        "username": username,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "summary": (summary or "")[:500] or None,
        "changes": json.dumps(changes, ensure_ascii=False) if changes else None,
        "ip": _client_ip(),
    }


def _pk(obj) -> str:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in ident if v is not None)


def _before_flush(session: Session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog):
            raise AuditLogImmutable("审计日志不可修改或删除")
    pending = session.info.setdefault("audit_pending", [])
    # Deletes and updates are read before the flush, while the old values are still loaded.
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, _changes(obj, "delete"), _pk(obj)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            changes = _changes(obj, "update")
            if isinstance(obj, User):
                changes = {k: v for k, v in changes.items() if k not in _LOGIN_BOOKKEEPING}
            if changes:
                pending.append(("update", obj, changes, _pk(obj)))
    for obj in session.new:
        if _audited(obj):
            pending.append(("insert", obj, None, None))
    _seal_entries(session)


def _seal_entries(session: Session) -> None:
    """Entries added as objects (``record``, the login entries) get their links before they
    are inserted."""
    entries = sorted((obj for obj in session.new if isinstance(obj, AuditLog)), key=id)
    if not entries:
        return
    rows = []
    for entry in entries:
        if entry.at is None:
            entry.at = utcnow()
        rows.append({name: getattr(entry, name) for name in chain.FIELDS})
    chain.extend(session.connection(), session.info, rows)
    for entry, row in zip(entries, rows):
        entry.seq, entry.chain = row["seq"], row["chain"]


def _after_flush(session: Session, flush_context):
    pending = session.info.pop("audit_pending", [])
    rows = []
    for kind, obj, changes, pk in pending:
        if kind == "insert":
            changes, pk = _changes(obj, "insert"), _pk(obj)
        rows.append(_row(kind, _entity(obj), pk, _describe(obj, kind, pk), changes))
    if rows:
        chain.extend(session.connection(), session.info, rows)
        session.connection().execute(AuditLog.__table__.insert(), rows)


def _after_rollback(session: Session):
    session.info.pop("audit_pending", None)
    chain.forget(session.info)


def _after_commit(session: Session):
    chain.after_commit(session.info)


def _keep_old_values(mapper, cls) -> None:
    # Setting an attribute of an expired object (after a commit) would otherwise lose the old
    # value the log needs; active history loads it first.
    if issubclass(cls, (Audited, User, Role)) and not issubclass(cls, AuditLog):
        for attr in mapper.column_attrs:
            target = getattr(cls, attr.key)
            if not event.contains(target, "set", _noop):
                event.listen(target, "set", _noop, active_history=True)


def _noop(target, value, oldvalue, initiator):
    return value


def install() -> None:
    """Listen on every ORM session (the web's, the CLI's and the jobs')."""
    from flask_appbuilder import Model
    from sqlalchemy.orm import Mapper

    if not event.contains(Mapper, "mapper_configured", _keep_old_values):
        event.listen(Mapper, "mapper_configured", _keep_old_values)
    for mapper in list(Model.registry.mappers):  # those configured before we listened
        if mapper.configured:
            _keep_old_values(mapper, mapper.class_)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_soft_rollback", lambda s, p: _after_rollback(s))
        event.listen(Session, "after_commit", _after_commit)


def record(action: str, *, entity: str | None = None, entity_id=None, summary: str | None = None,
           changes: dict | None = None, session: Session | None = None) -> None:
    """Add an explicit entry (a login, a plugin switch) to the current transaction."""

    session = session or db.session
    session.add(AuditLog(**_row(action, entity, entity_id, summary, changes)))
