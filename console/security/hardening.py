"""Security headers on every answer, browser sessions that end at logout, and 404 instead of
a 500 from Flask-AppBuilder's generic routes.

Content-Security-Policy: scripts only from the console itself or inline ones carrying this
request's nonce (Flask-AppBuilder's templates print ``nonce="{{ baselib.get_nonce() }}"``, which
calls a ``csp_nonce`` template global when one exists).  A few templates keep a static inline
handler (``onsubmit="return confirm(...)"``); rather than open ``'unsafe-inline'`` for them, the
exact text of each is allowed by hash (``'unsafe-hashes'``), so an injected handler never runs.
Styles allow ``'unsafe-inline'``: the templates use ``style=`` attributes throughout.

Sessions: Flask's session is a signed cookie kept by the browser, so the server cannot delete
it.  Each user has a session epoch in the database; a session remembers the epoch it was made
in, logging out or a new password moves the epoch on, and a cookie from an older epoch is
treated as signed out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets

from flask import Flask, flash, g, has_request_context, session
from flask_login import user_logged_in, user_logged_out

from console.foundation.extensions import db
from console.security import accounts, activity, login
from console.security.models import SessionEpoch
from console.security.users import ConsoleUser

EPOCH_KEY = "_epoch"
# What flask-login put in the session at login; everything else from before login is dropped.
LOGIN_KEYS = ("_user_id", "_fresh", "_id")
# A static inline handler in a template: no Jinja inside, so its text is the same every time.
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"([^"{}%]*)"|'([^'{}%]*)')""")


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce
    app.after_request(_set_headers)
    app.before_request(_refuse_what_fab_cannot_answer)
    _install_session_epochs(app)
    _install_password_listener()
    login.install_guard(app)


# -- Flask-AppBuilder's generic routes --------------------------------------------------------


def _refuse_what_fab_cannot_answer():
    """Every model view has ``/action/<name>/<pk>``, ``/action_post`` and ``/download/<filename>``
    routes.  An unknown action name makes Flask-AppBuilder fail with a 500 before it checks
    permissions (so does a multiple-row action sent to the one-row route), and downloads read
    files from ``UPLOAD_FOLDER``, which the console never uses (its files live in the database):
    all of these are answered as not found."""
    from flask import abort, current_app, request

    view_name, _, method = (request.endpoint or "").rpartition(".")
    if method not in ("action", "action_post", "download"):
        return None
    views = current_app.extensions.get("console.views_by_endpoint")
    if views is None:
        views = {v.endpoint: v for v in current_app.appbuilder.baseviews}
        current_app.extensions["console.views_by_endpoint"] = views
    view = views.get(view_name)
    if view is None:
        return None
    actions = getattr(view, "actions", None) or {}
    if method == "action":
        action = actions.get((request.view_args or {}).get("name"))
        # A multiple-row action called on one row gets a row where it expects a list.
        if action is None or not getattr(action, "single", True):
            abort(404)
    if method == "action_post" and request.form.get("action") not in actions:
        abort(404)
    if method == "download" and not current_app.config.get("UPLOAD_FOLDER"):
        abort(404)
    return None


# -- headers --------------------------------------------------------------------------------


def nonce() -> str:
    """This request's nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(app: Flask) -> str:
    scripts = ["'self'", f"'nonce-{nonce()}'"]
    hashes = inline_handler_hashes(app)
    if hashes:
        scripts += ["'unsafe-hashes'", *(f"'{h}'" for h in hashes)]
    return "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(scripts),
        "style-src 'self' 'unsafe-inline'",
        # Bootstrap, select2 and Swagger UI draw small images and fonts from data: URLs.
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def inline_handler_hashes(app: Flask) -> list[str]:
    """sha256 sources of every static inline event handler in the templates, found once."""
    found = app.extensions.get("console.inline_handler_hashes")
    if found is None:
        env = app.jinja_env
        texts = set()
        for name in env.list_templates(extensions=("html",)):
            source = env.loader.get_source(env, name)[0]
            for double, single in _HANDLER.findall(source):
                texts.add(html.unescape(double or single))
        found = sorted(
            "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            for text in texts
        )
        app.extensions["console.inline_handler_hashes"] = found
    return found


def _set_headers(response):
    from flask import current_app

    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


# -- sessions -------------------------------------------------------------------------------


def current_epoch(user_id: int) -> int:
    row = db.session.get(SessionEpoch, user_id)
    return row.epoch if row is not None else 0


def _epoch_of(user) -> int:
    # The console's user loader reads the epoch with the user (one statement per request).
    loaded = getattr(user, "session_epoch", None)
    return loaded if loaded is not None else current_epoch(user.id)


def end_sessions(user_id: int) -> None:
    """Every session the user holds, on any device, stops working from the next request."""
    row = db.session.get(SessionEpoch, user_id)
    if row is None:
        db.session.add(SessionEpoch(user_id=user_id, epoch=1))
    else:
        row.epoch += 1
    db.session.commit()


def _install_session_epochs(app: Flask) -> None:
    sm = app.appbuilder.sm
    # flask-login keeps one loader; Flask-AppBuilder's is wrapped rather than replaced.
    load_user = sm.lm._user_callback

    def load_user_of_this_epoch(pk):
        user = load_user(pk)
        # JWT requests carry no session: their tokens are checked by flask-jwt-extended.
        if user is None or not has_request_context():
            return user
        if session.get(EPOCH_KEY, 0) != _epoch_of(user):
            session.clear()
            return None
        sid = session.get("_sid")
        if activity.is_idle(user.last_seen_at):
            session.clear()
            if sid:
                activity.forget(sid)
            flash(activity.idle_message(), "warning")
            return None
        if sid:
            activity.touch(sid, user.id, user.last_seen_at)
        return user

    sm.lm.user_loader(load_user_of_this_epoch)
    _install_token_epochs(app)
    user_logged_in.connect(_fresh_session, app)
    user_logged_out.connect(_end_on_logout, app)


def _install_token_epochs(app: Flask) -> None:
    """API tokens carry the epoch they were made in, like session cookies: logging out in the
    browser, a new password or a disabled account also ends the tokens already handed out,
    instead of leaving them valid until they expire."""
    from flask import jsonify

    jwt = app.extensions["flask-jwt-extended"]
    sm = app.appbuilder.sm

    @jwt.additional_claims_loader
    def _epoch_claim(identity):
        return {"epoch": current_epoch(int(identity))}

    @jwt.user_lookup_loader
    def _load_user_of_this_epoch(jwt_header, jwt_data):
        # Flask-AppBuilder's load_user_jwt, with the token's last activity read in the user's
        # statement rather than in one of its own on every API request.
        user = sm.load_user(jwt_data["sub"], activity_key=activity.token_key(jwt_data))
        if user is None or not user.is_active:
            return None
        g.user = user
        if jwt_data.get("epoch", 0) != _epoch_of(user):
            return None
        # Both raise a ConsoleError, answered as JSON in Chinese (401 and 403).
        activity.check_token(jwt_data, user.id, user.last_seen_at)
        reason = accounts.password_refusal(user)
        if reason:
            raise accounts.PasswordChangeRequired(reason + "（请在网页上修改密码后再调用接口）")
        return user

    @jwt.user_lookup_error_loader
    def _ended(jwt_header, jwt_data):
        return jsonify(message="登录凭证已失效（已退出登录、修改了密码或账号已停用），请重新登录"), 401


def _install_password_listener() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session


    if not event.contains(ConsoleUser.password, "set", _password_set):
        event.listen(ConsoleUser.password, "set", _password_set)
        event.listen(Session, "before_flush", _end_sessions_of_new_passwords)


_NEW_PASSWORDS = "console.new_passwords"


def _password_set(target, value, oldvalue, initiator) -> None:
    """A new password (set by its owner, an admin or the command line) ends the sessions made
    with the old one: a stolen cookie does not outlive the password change it prompted.  It also
    restarts the password's age and joins its history (console.security.accounts)."""
    from sqlalchemy.orm import object_session

    if value == oldvalue or not value:
        return
    by_owner = (target.id is not None and has_request_context()
                and str(session.get("_user_id")) == str(target.id))
    # A new user is not in a session yet when FAB's add_user sets its password: noted on the
    # object and picked up when the session flushes it.
    target.__dict__["_policy_pending"] = (value, by_owner)
    owner_session = object_session(target)
    if target.id is not None and owner_session is not None:
        owner_session.info.setdefault(_NEW_PASSWORDS, set()).add(target.id)


def _end_sessions_of_new_passwords(db_session, flush_context, instances) -> None:
    from console.security import accounts

    with db_session.no_autoflush:
        for user in [*db_session.new, *db_session.dirty]:
            pending = user.__dict__.pop("_policy_pending", None) if isinstance(user, ConsoleUser) else None
            if pending is not None:
                accounts.note_new_password(user, *pending)
    user_ids = db_session.info.pop(_NEW_PASSWORDS, None)
    if not user_ids:
        return
    with db_session.no_autoflush:
        for user_id in user_ids:
            row = db_session.get(SessionEpoch, user_id)
            if row is None:
                row = SessionEpoch(user_id=user_id, epoch=0)
                db_session.add(row)
            row.epoch += 1
            # Who changed their own password stays signed in, on this device only.
            if has_request_context() and str(session.get("_user_id")) == str(user_id):
                session[EPOCH_KEY] = row.epoch


def _fresh_session(sender, user, **extra) -> None:
    """Nothing from before login survives in the session: the cookie a visitor had before
    signing in (perhaps planted) is not the one they are signed in with."""
    kept = {key: session[key] for key in LOGIN_KEYS if key in session}
    session.clear()
    session.update(kept)
    session["_sid"] = secrets.token_urlsafe(16)
    session[EPOCH_KEY] = current_epoch(user.id)
    activity.start(session["_sid"], user.id)


def _end_on_logout(sender, user, **extra) -> None:
    if session.get("_sid"):
        activity.forget(session["_sid"])
    if user is not None and getattr(user, "id", None) is not None:
        end_sessions(user.id)
