"""基层治理控制台: the core.  ``create_app`` builds the console in named, ordered steps."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .plugins import PluginInfo, Setting, hookimpl

__all__ = ["create_app", "hookimpl", "PluginInfo", "Setting"]

log = logging.getLogger(__name__)


def _instance_path() -> str:
    return os.environ.get("JICENG_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while a writer commits; SQLite leaves foreign keys off by default.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def create_app(test_config: dict | None = None) -> Flask:
    # security first: plugins' models may relate to ConsoleUser by name.
    from . import security  # noqa: F401
    from . import audit, cli, errorpages, hardening, i18n, navigation, plugins, roles, schema, settings, timefmt, views
    from flask_appbuilder import AppBuilder

    from .extensions import db, migrate

    app = Flask(__name__, instance_path=_instance_path(), instance_relative_config=True)
    settings.load(app, test_config)
    i18n.ensure_compiled(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(schema.MIGRATIONS_DIR))
    if schema.configure not in migrate.configure_callbacks:
        migrate.configure(schema.configure)
    audit.install()

    with app.app_context():
        registry = plugins.load(app)
        app.config["FAB_ROLES"] = roles.builtin_roles(registry)
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        views.register(appbuilder)
        plugins.register_views(app, appbuilder)
        plugins.install_guard(app)
        navigation.install(app)
        errorpages.install(app)
        timefmt.install(app)
        hardening.install(app)
    cli.register(app)
    return app
