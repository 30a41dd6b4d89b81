"""The login policy of an account: lockout after repeated failures, password age, history and the
forced change, and what the user is told about earlier logins.

The lock is per account, whatever the client address: the rate limit per address
(``LOGIN_RATE_LIMIT``) slows one client down, the lock stops a guess spread over many.  Every
failure, lock and unlock is written to the audit log.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, request
from werkzeug.security import check_password_hash

from console.audit import log as audit
from console.audit.models import AuditLog
from console.database.transaction import unit_of_work
from console.foundation.clock import localtime, utcnow
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.security.models import AccountState, PasswordHistory


class PasswordChangeRequired(ConsoleError):
    """An API request of an account that must first change its password."""

    status = 403


def _config(name: str):
    return current_app.config[name]


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def state_of(user) -> AccountState:
    """The account's state row, made (in the current transaction) when it has none yet."""
    state = user.account_state
    if state is None:
        state = AccountState(failed_attempts=0, failures_since_login=0, must_change_password=False,
                             password_changed_at=utcnow())
        user.account_state = state
    return state


def _audit_as(user, action: str, summary: str) -> None:
    """An entry in the name of the account itself: at login nobody is signed in yet."""
    db.session.add(AuditLog(at=utcnow(), user_id=user.id, username=user.username[:128], action=action,
                            entity="ab_user", entity_id=str(user.id), summary=summary, ip=_client_ip()))


# -- lockout --------------------------------------------------------------------------------


def lock_message(until: dt.datetime) -> str:
    return (f"账号因连续 {_config('AUTH_LOCKOUT_ATTEMPTS')} 次登录失败已被锁定，"
            f"{localtime(until)} 后可再次登录；如需提前解锁，请联系安全管理员")


@unit_of_work
def refusal_before_password(user) -> str | None:
    """Why ``user`` may not sign in now, before the password is even checked: a lock still
    running.  A lock whose time is up is lifted here (and audited)."""
    state = user.account_state
    if state is None or state.locked_until is None:
        return None
    if state.locked_until <= utcnow():
        state.locked_until = None
        state.failed_attempts = 0
        _audit_as(user, "account_unlocked", "锁定期满，自动解锁")
        return None
    state.failures_since_login += 1
    _audit_as(user, "login_failed", "登录失败：账号已锁定")
    return lock_message(state.locked_until)


@unit_of_work
def record_failure(user, reason: str = "密码错误") -> str | None:
    """One more failed attempt; returns the lock message when this one locks the account."""
    state = state_of(user)
    state.failed_attempts += 1
    state.failures_since_login += 1
    _audit_as(user, "login_failed", f"登录失败：{reason}")
    attempts = _config("AUTH_LOCKOUT_ATTEMPTS")
    if attempts and state.failed_attempts >= attempts:
        state.locked_until = utcnow() + dt.timedelta(minutes=_config("AUTH_LOCKOUT_MINUTES"))
        state.failed_attempts = 0
        _audit_as(user, "account_locked",
                  f"连续 {attempts} 次登录失败，锁定至 {localtime(state.locked_until)}")
        return lock_message(state.locked_until)
    return None


@unit_of_work
def record_success(user) -> dict:
    """The login went through: the counters start again and the previous login is returned,
    ``{"at", "ip", "failures"}``, to be shown to the user."""
    state = state_of(user)
    previous = {"at": state.last_login_at, "ip": state.last_login_ip, "failures": state.failures_since_login}
    state.failed_attempts = 0
    state.failures_since_login = 0
    state.locked_until = None
    state.last_login_at = utcnow()
    state.last_login_ip = (_client_ip() or "")[:64] or None
    _audit_as(user, "login", "登录成功")
    return previous


def login_notice(previous: dict) -> str:
    if previous["at"] is None:
        text = "这是该账号的首次登录"
    else:
        text = f"上次登录：{localtime(previous['at'])}，地址 {previous['ip'] or '未知'}"
    return f"{text}；此后登录失败 {previous['failures']} 次" + ("，如非本人操作请立即修改密码" if previous["failures"] else "")


def is_locked(user) -> bool:
    state = user.account_state
    return state is not None and state.locked_until is not None and state.locked_until > utcnow()


@unit_of_work
def unlock(user) -> bool:
    """Lift the lock of ``user`` (by the signed-in security admin); False when none was held."""
    state = user.account_state
    if state is None or state.locked_until is None:
        return False
    held = state.locked_until > utcnow()
    state.locked_until = None
    state.failed_attempts = 0
    if held:
        audit.record("account_unlocked", entity="ab_user", entity_id=user.id,
                     summary=f"解除账号 {user.username} 的锁定")
    return held


# -- passwords ------------------------------------------------------------------------------


def password_refusal(user) -> str | None:
    """Why ``user`` must change the password before anything else, or None."""
    state = user.account_state
    if state is None:
        return None
    if state.must_change_password:
        return "首次登录或密码被管理员重置后，须先修改密码才能继续使用"
    days = _config("AUTH_PASSWORD_MAX_AGE_DAYS")
    if days and state.password_changed_at is not None and state.password_changed_at + dt.timedelta(days=days) <= utcnow():
        return f"密码已超过 {days} 天未修改，已过期，请先修改密码"
    return None


def reused(user, password: str) -> bool:
    """Whether ``password`` is the current one or one of the last AUTH_PASSWORD_HISTORY."""
    keep = _config("AUTH_PASSWORD_HISTORY")
    if not keep:
        return False
    hashes = [row.password for row in _history(user)[:keep]]
    if user.password:
        hashes.append(user.password)
    return any(check_password_hash(h, password) for h in hashes)


def _history(user) -> list[PasswordHistory]:
    # Newest first; a row not flushed yet (no id) is the newest of all.
    return sorted(user.password_history, key=lambda row: (row.id is None, row.id or 0), reverse=True)


def note_new_password(user, hashed: str, by_owner: bool) -> None:
    """Called for every password set (at flush time): the age starts again, the hash joins the
    history, and a password set by anyone but its holder must be changed at the next login."""
    state = state_of(user)
    state.password_changed_at = utcnow()
    state.must_change_password = not by_owner
    user.password_history.append(PasswordHistory(password=hashed, set_at=utcnow()))
    # At least the current one is kept, so that history and password never disagree.
    keep = max(_config("AUTH_PASSWORD_HISTORY"), 1)
    for old in _history(user)[keep:]:
        user.password_history.remove(old)


@unit_of_work
def password_chosen_by_holder(user) -> None:
    """The password was chosen by the person who uses the account (``jiceng init`` given
    JICENG_ADMIN_PASSWORD, the demo accounts): no change is forced at the first login."""
    state_of(user).must_change_password = False
