"""Idle timeout, besides the absolute lifetime of a session (PERMANENT_SESSION_LIFETIME) or a token
(JWT_ACCESS_TOKEN_EXPIRES): a browser session or an API token unused for AUTH_IDLE_MINUTES is
refused.

The last request of each is kept in the database (``login_activity``, keyed by the session's
``_sid`` or the token's ``jti``), not in the cookie: every worker and host sees the same time,
and a copy of an old cookie cannot claim a more recent activity than the server saw.  The row
is written at most once a minute per session, not on every request.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from console.foundation.clock import utcnow
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.security.models import LoginActivity

# An idle limit is counted in minutes: a write per minute is precise enough and spares the
# database a write on every request.
WRITE_EVERY = dt.timedelta(seconds=60)


class TokenIdle(ConsoleError):
    status = 401


def idle_limit() -> dt.timedelta | None:
    minutes = current_app.config.get("AUTH_IDLE_MINUTES")
    return dt.timedelta(minutes=minutes) if minutes else None


def idle_message(what: str = "已自动退出") -> str:
    return f"超过 {current_app.config['AUTH_IDLE_MINUTES']} 分钟未操作，{what}，请重新登录"


def is_idle(last_seen: dt.datetime | None) -> bool:
    """Whether a session or token last seen at ``last_seen`` (None: never) has been idle too long."""
    limit = idle_limit()
    if limit is None:
        return False
    return last_seen is None or utcnow() - last_seen > limit


def touch(key: str, user_id: int, last_seen: dt.datetime | None = None) -> None:
    """Note a request of session or token ``key`` now (unless the stored time is recent).

    Written on a connection of its own, committed at once: this is bookkeeping of the request,
    not part of whatever the request itself changes (and a refusal later on must not undo it)."""
    now = utcnow()
    if last_seen is not None and now - last_seen < WRITE_EVERY:
        return
    table = LoginActivity.__table__
    with db.engine.begin() as conn:
        updated = conn.execute(table.update().where(table.c.key == key).values(last_seen_at=now)).rowcount
    if not updated:
        try:
            with db.engine.begin() as conn:
                conn.execute(table.insert().values(key=key, user_id=user_id, last_seen_at=now))
        except sa.exc.IntegrityError:
            pass  # another worker noted a request of the same session first


def start(key: str, user_id: int) -> None:
    """A new session or token: noted now; the user's rows that are idle anyway are dropped."""
    limit = idle_limit() or dt.timedelta(days=1)
    table = LoginActivity.__table__
    with db.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.user_id == user_id,
                                          table.c.last_seen_at < utcnow() - limit))
    touch(key, user_id)


def forget(key: str) -> None:
    table = LoginActivity.__table__
    with db.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.key == key))


def token_key(jwt_data: dict) -> str:
    """The ``login_activity`` key of an API token: its jti ("" for a token without one)."""
    return str(jwt_data.get("jti") or "")[:64]


def check_token(jwt_data: dict, user_id: int, last_seen: dt.datetime | None) -> None:
    """Refuse a token idle for too long (TokenIdle, answered 401), else note its use.
    ``last_seen`` is the token's stored last request (None: none stored), which the user loader
    reads with the user; a token not used yet counts from when it was issued."""
    if idle_limit() is None:
        return
    key = token_key(jwt_data)
    if last_seen is None and key and "iat" in jwt_data:
        last = dt.datetime.fromtimestamp(int(jwt_data["iat"]), dt.UTC).replace(tzinfo=None)
    else:
        last = last_seen
    if is_idle(last):
        raise TokenIdle(idle_message("登录凭证已失效"))
    touch(key, user_id, last_seen)
