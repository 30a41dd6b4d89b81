"""The extension point of a second login factor (a certificate or USB key, a one-time code).

``AUTH_SECOND_FACTOR`` names a callable, as ``"package.module:function"`` (or the callable
itself, in a configuration file).  It is called after the password has been accepted, on the
login form and on the REST login alike, as ``check(user=user, request=request)``:

- it returns ``None`` to let the user in;
- it returns a message (Chinese, shown to the user) to refuse; the refusal counts as a failed
  attempt towards the account lock and is audited like a wrong password.

What it reads is its own business: a field of the form or of the JSON body (``request.form``,
``request.get_json(silent=True)``), or the client certificate the TLS terminator passes on
(``request.environ``, e.g. ``SSL_CLIENT_CERT``).  An exception inside it refuses the login
rather than letting the user in (and is logged).
"""

from __future__ import annotations

import logging

from flask import current_app, request
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

FAILED = "第二重身份验证出错，暂时无法登录，请联系系统管理员"


def configured():
    hook = current_app.config.get("AUTH_SECOND_FACTOR")
    if not hook:
        return None
    return import_string(hook.replace(":", ".")) if isinstance(hook, str) else hook


def refusal(user) -> str | None:
    """None when no second factor is configured or it accepts ``user``; else why not."""
    if not current_app.config.get("AUTH_SECOND_FACTOR"):
        return None
    try:
        answer = configured()(user=user, request=request)
    except Exception:
        log.exception("the second factor check failed for %s", user.username)
        return FAILED
    return str(answer) if answer else None
