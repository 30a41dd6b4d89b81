"""The peer: a bare Flask-AppBuilder app over the console's enterprise and region tables.

It is what a team would write with FAB alone: a default ``ModelView`` and ``ModelRestApi``,
FAB's own templates, no scope, database roles.  Its minimal models map onto the existing
tables, with the same eager loading of the county and region as the console's model, so the
two apps do the same work per row.

Its users, roles and permissions live apart from the console's, in a schema of their own
(``bare_auth``: an attached SQLite file next to the database, or a PostgreSQL schema), made by
its own ``init``.  Sharing the console's ``ab_*`` rows would make each app's permission sync
rewrite the other's permission rows (FAB deletes a view's permissions that its own view does
not declare), and the bare app would check the console's builtin roles instead of FAB's
database roles.  SQLAlchemy's ``schema_translate_map`` sends every table without a schema (FAB's
``ab_*``) to ``bare_auth`` and the tables marked ``shared`` to the default schema.

    BENCH_DATABASE_URL=... python -m bench.bare_app init     # tables, permissions, admin
    BENCH_DATABASE_URL=... gunicorn bench.bare_app:app       # serve
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder, Model, ModelRestApi, ModelView
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla import (
    models as _fab_security_models,  # noqa: F401 - ab_* tables
)
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, event, text
from sqlalchemy.orm import relationship

AUTH_SCHEMA = "bare_auth"
SHARED = "shared"  # a symbolic schema: translated to the database's default one
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Bench-Bare-2026!"
PAGE_SIZE = 25  # the console's page size, so both pages carry the same rows


class Region(Model):
    __tablename__ = "region"
    __table_args__ = {"schema": SHARED}
    id = Column(Integer, primary_key=True)
    code = Column(String(20))
    name = Column(String(100))
    level = Column(String(10))

    def __repr__(self):
        return self.name


class Enterprise(Model):
    __tablename__ = "visits_enterprise"
    __table_args__ = {"schema": SHARED}
    id = Column(Integer, primary_key=True)
    name = Column(String(200))
    credit_code = Column(String(18))
    region_id = Column(Integer, ForeignKey(f"{SHARED}.region.id"))
    county_id = Column(Integer, ForeignKey(f"{SHARED}.region.id"))
    industry = Column(String(50))
    size = Column(String(20))
    address = Column(String(200))
    contact_person = Column(String(50))
    contact_phone = Column(String(30))
    created_at = Column(DateTime)

    region = relationship(Region, foreign_keys=[region_id], lazy="joined")
    county = relationship(Region, foreign_keys=[county_id], lazy="joined")

    def __repr__(self):
        return self.name


class EnterpriseView(ModelView):
    datamodel = SQLAInterface(Enterprise)
    list_columns = ["name", "credit_code", "county", "region", "industry", "size"]
    search_columns = ["name", "credit_code", "county", "industry"]
    # FAB's search form would offer all 1,586 regions for the county filter: the 11 counties,
    # as a FAB developer would configure it.
    search_form_query_rel_fields = {"county": [["level", FilterEqual, "county"]]}
    base_order = ("name", "asc")
    page_size = PAGE_SIZE


class EnterpriseApi(ModelRestApi):
    resource_name = "enterprise"
    datamodel = SQLAInterface(Enterprise)
    list_columns = ["id", "name", "credit_code", "region_id", "county_id", "county.name",
                    "industry", "size"]
    show_columns = ["id", "name", "credit_code", "region_id", "county_id", "county.name",
                    "industry", "size", "address", "contact_person", "contact_phone"]
    search_columns = ["name", "credit_code", "county_id", "industry"]
    order_columns = ["name", "id"]
    base_order = ("name", "asc")


def _database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("JICENG_DATABASE_URL")
    if not url:
        sys.exit("BENCH_DATABASE_URL is not set")
    return url


def auth_file(url: str) -> str:
    """The SQLite file holding the bare app's own ``ab_*`` tables, next to the database."""
    return str(Path(url.split("///", 1)[1]).with_suffix(".bare_auth.db"))


def _engine_options(url: str) -> dict:
    options = {"execution_options": {"schema_translate_map": {None: AUTH_SCHEMA, SHARED: None}}}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return options


def create_app(update_perms: bool = False) -> Flask:
    url = _database_url()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-bare-app-secret-key-0123456789abcdef"),
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(url),
        AUTH_TYPE=1,  # AUTH_DB
        # A bare app syncs its permissions at its own init; the workers then leave them be.
        FAB_UPDATE_PERMS=update_perms,
        FAB_API_SWAGGER_UI=False,
    )
    db = SQLA(metadata=Model.metadata)
    db.init_app(app)
    if url.startswith("sqlite"):
        with app.app_context():
            _attach_auth_file(db.engine, auth_file(url))
    with app.app_context():
        appbuilder = AppBuilder(update_perms=update_perms)
        appbuilder.init_app(app, db.session)
        appbuilder.add_view(EnterpriseView, "Enterprises", category="Registry")
        appbuilder.add_api(EnterpriseApi)
    app.extensions["bench_db"] = db
    return app


def init() -> None:
    """What a bare FAB app's deployment does once: its tables, the permission sync, the admin."""
    from sqlalchemy import create_engine

    url = _database_url()
    engine = create_engine(url, **_engine_options(url))
    if url.startswith("sqlite"):
        _attach_auth_file(engine, auth_file(url))
    else:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {AUTH_SCHEMA}"))
    # FAB's own create_db looks for ab_user in the default schema, finds the console's and
    # would create nothing: the bare app's tables are made here, before FAB starts.
    Model.metadata.create_all(engine, tables=[t for t in Model.metadata.sorted_tables
                                              if t.schema is None])
    engine.dispose()
    app = create_app(update_perms=True)  # registering the views syncs them to the Admin role
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username=ADMIN_USER) is None:
            sm.add_user(ADMIN_USER, "Bench", "Admin", "admin@bench.invalid",
                        sm.find_role(sm.auth_role_admin), ADMIN_PASSWORD)
        app.extensions["bench_db"].session.commit()


def _attach_auth_file(engine, path: str) -> None:
    @event.listens_for(engine, "connect")
    def _attach(dbapi_connection, record):
        dbapi_connection.execute(f"ATTACH DATABASE '{path}' AS {AUTH_SCHEMA}")


def _wsgi_app():
    return create_app()


def __getattr__(name):
    # gunicorn imports ``bench.bare_app:app``; building it only then keeps ``init`` and the
    # tests free of a second app at import time.
    if name == "app":
        global app
        app = _wsgi_app()
        return app
    raise AttributeError(name)


if __name__ == "__main__":
    if sys.argv[1:] == ["init"]:
        init()
        print("bare FAB app initialised")
    else:
        sys.exit("usage: python -m bench.bare_app init")


