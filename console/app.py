"""The app factory: ``create_app`` builds the console in named, ordered steps.  It is the one
module that imports view modules: each feature package's views are registered here, in one
place, never as a side effect of an import."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from console.audit import log as audit_log
from console.audit.views import AuditLogView
from console.briefings.views import BriefingFilesView, BriefingsView
from console.database import schema
from console.files import attachments
from console.files.views import AttachmentView
from console.foundation import clock, crypto, settings
from console.foundation.extensions import db, migrate
from console.audit import models as audit_models
from console.imports import catalog as import_catalog
from console.imports.views import ImportsView
from console.notifications.views import InboxView
from console.operations import cli
from console.plugins import manager as plugins
from console.plugins.views import PluginsView
from console.regions.views import RegionView
from console.security import (
    hardening,
    passwords,
    permissions,
    roles,
    users,  # noqa: F401  (plugins' models may relate to ConsoleUser by name)
)
from console.web import errorpages, i18n, listargs, navigation, openapi, watermark
from console.web.views import FieldAppView, HealthView

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


def register_core_views(appbuilder) -> None:
    openapi.register(appbuilder)
    appbuilder.add_view(PluginsView, "console_plugins", label="插件管理", icon="fa-puzzle-piece",
                        category="console_admin", category_label="系统管理", category_icon="fa-cogs")
    appbuilder.add_view(RegionView, "console_regions", label="行政区划", icon="fa-sitemap",
                        category="console_admin")
    appbuilder.add_view(AuditLogView, "console_audit", label="审计日志", icon="fa-history",
                        category="console_admin")
    appbuilder.add_view_no_menu(HealthView)
    appbuilder.add_view_no_menu(FieldAppView)
    # The inbox's menu entry is the bell in the navbar (templates/appbuilder/navbar_right.html).
    appbuilder.add_view_no_menu(InboxView)
    appbuilder.add_view_no_menu(AttachmentView)
    # Templates link a file by its key through the one function that knows the address.
    appbuilder.app.jinja_env.globals["attachment_url"] = attachments.url
    appbuilder.add_view(ImportsView, "console_imports", label="数据导入", icon="fa-upload",
                        category="console_admin")
    appbuilder.add_view(BriefingsView, "console_briefings", label="工作简报", icon="fa-file-pdf-o",
                        category="console_admin")
    appbuilder.add_view_no_menu(BriefingFilesView)
    appbuilder.add_link("console_my_briefings", label="我的简报", href="/briefings/mine", icon="fa-file-pdf-o")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask("console", root_path=str(Path(__file__).resolve().parent),
                instance_path=_instance_path(), instance_relative_config=True)
    settings.load(app, test_config)
    settings.check(app.config)
    crypto.install(app)
    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = passwords.validate
    i18n.ensure_compiled(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(schema.MIGRATIONS_DIR))
    if schema.configure not in migrate.configure_callbacks:
        migrate.configure(schema.configure)
    audit_log.install()

    with app.app_context():
        registry = plugins.load(app)
        # The audit log names plugins and importers, which its layer cannot import, in words.
        audit_models.register_titles(plugins.audit_title)
        audit_models.register_titles(import_catalog.audit_title)
        app.config["FAB_ROLES"] = roles.builtin_roles(registry)
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        register_core_views(appbuilder)
        plugins.register_views(app, appbuilder)
        plugins.install_guard(app)
        navigation.install(app)
        errorpages.install(app)
        listargs.install(app)
        clock.install(app)
        permissions.install(app)
        hardening.install(app)
        watermark.install(app)
    cli.register(app)
    return app
