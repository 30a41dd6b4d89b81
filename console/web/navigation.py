"""The navbar's menu, laid out once per worker for each set of roles.

Flask-AppBuilder asks, on every page, whether each of about forty menu entries is visible to the
user: a permission check through the signed-in user's proxy for each, a third of a list page's
time (measured).  What is visible follows from the user's roles, the plugin switches, the roles'
stored permissions and the language alone, so the rendered menu is kept per worker under the
tokens of the tables it reads (worker_cache), among them the roles, permissions and plugin switches.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from console.database import copies as worker_cache


def install(app: Flask) -> None:
    app.jinja_env.globals["console_menu"] = menu_html


def menu_html() -> Markup:
    # Signed out, Flask-AppBuilder's public role, which may not exist (None).
    roles = sorted({role.name for role in current_app.appbuilder.sm.get_user_roles(current_user) if role})
    key = f"navbar_menu:{get_locale()}:{'|'.join(roles)}"
    return worker_cache.cached(key, lambda: Markup(render_template("console/navbar_menu.html",
                                                                   menu=current_app.appbuilder.menu)))
