"""The login form, the REST login and the password form with the console's login policy, and
the guard that keeps an account whose password must change away from everything else.

The classes keep Flask-AppBuilder's names, so their endpoints and permissions stay the ones the
roles grant (``ResetMyPasswordView``, ``AuthDBView``).
"""

from __future__ import annotations

import functools

from flask import current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_login import current_user

from console.foundation.clock import localtime
from console.security import accounts

# What an account that must change its password may still reach: the change itself, logging
# out, and the files the pages need.
_OPEN_WHILE_CHANGING = {"ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post",
                        "AuthDBView.logout", "AuthDBView.login", "static", "appbuilder.static"}


def refuse(message: str) -> None:
    """Why this login attempt was refused, for the form's flash and the API's answer."""
    g.login_refusal = message


class AuthDBView(FabAuthDBView):
    @property
    def invalid_login_message(self):
        return g.get("login_refusal") or FabAuthDBView.invalid_login_message

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        answer = super().login()
        # After login_user: the session was renewed at login and a flash from before is gone.
        previous = g.pop("previous_login", None)
        if previous is not None:
            flash(accounts.login_notice(previous), "info")
        return answer

    @expose("/logout/", methods=["GET", "POST"])
    @no_cache
    def logout(self):
        # Logging out ends every session and token of the account: a change, so never done by
        # a GET that any link, image or prefetch can send.  GET asks; the form POSTs, and the
        # app-wide CSRF protection refuses a POST without the page's token.
        if request.method == "GET":
            if not current_user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("console/logout.html", appbuilder=self.appbuilder)
        return super().logout()


class ResetMyPasswordView(FabResetMyPasswordView):
    form_title = "修改密码"
    message = "密码已修改"

    def form_get(self, form) -> None:
        reason = accounts.password_refusal(g.user)
        if reason:
            flash(reason, "warning")

    def form_post(self, form):
        if accounts.reused(g.user, form.password.data):
            keep = current_app.config["AUTH_PASSWORD_HISTORY"]
            form.password.errors.append(f"不能使用最近 {keep} 次用过的密码，请换一个新密码")
            widgets = self._get_edit_widget(form=form)
            return self.render_template(self.form_template, title=self.form_title, widgets=widgets,
                                        appbuilder=self.appbuilder)
        return super().form_post(form)


def api_login(view):
    """The REST login with the refusal said in Chinese (the lock and until when, a second factor
    that said no) and the previous login in the answer, as the form shows them."""

    @functools.wraps(view)
    def login(*args, **kwargs):
        answer = view(*args, **kwargs)
        refusal = g.pop("login_refusal", None)
        previous = g.pop("previous_login", None)
        if answer.status_code == 401 and refusal:
            return jsonify(message=refusal), 401
        if answer.status_code == 200 and previous is not None:
            body = answer.get_json()
            body["last_login"] = {"at": localtime(previous["at"], "%Y-%m-%d %H:%M:%S") or None,
                                  "ip": previous["ip"], "failures_since": previous["failures"],
                                  "message": accounts.login_notice(previous)}
            return jsonify(body), 200
        return answer

    return login


def install_guard(app) -> None:
    app.before_request(_password_first)


def _password_first():
    """An account whose password must change (first login, reset by an admin, expired) reaches
    nothing but the password form: pages are sent there, the API answers 403."""
    if (request.endpoint in _OPEN_WHILE_CHANGING or request.path.startswith("/api/v1/security/")
            or not current_user.is_authenticated):
        return None
    reason = accounts.password_refusal(current_user)
    if reason is None:
        return None
    if request.path.startswith("/api/"):
        return jsonify(message=reason + "（请在网页上修改密码后再调用接口）"), 403
    return redirect(url_for("ResetMyPasswordView.this_form_get"))
