"""Fixtures: a migrated, initialised console per test, on SQLite or PostgreSQL.

The database under test is chosen by ``JICENG_TEST_DATABASE`` (``sqlite``, the default, or
``postgres``); ``make test`` runs the suite once for each.  PostgreSQL is found through
``JICENG_TEST_POSTGRES_URL`` or a local server (127.0.0.1:5432, user postgres); every run uses
throwaway databases of its own and drops them at the end.

Migrating and initialising takes seconds, so it happens once per run into a template; each
test then starts from a fresh copy of it (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE``
on PostgreSQL) under one fixed name, so the console built for the default configuration (the
``app`` fixture) is built once and reused.  ``make_app(**config)`` builds another on the same
database for a test that needs a different configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import (  # noqa: F401 - login_in_browser for the browser tests
    ADMIN_PASSWORD, DEMO_PASSWORD, login, login_in_browser, logout, start_server, stop_server,
)

os.environ.setdefault("JICENG_ADMIN_PASSWORD", ADMIN_PASSWORD)
os.environ.setdefault("JICENG_DEMO_PASSWORD", DEMO_PASSWORD)

BACKEND = os.environ.get("JICENG_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("JICENG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]
# One key for the template, every app and the live servers: protected data written by one must
# be readable by the others.  Long enough for JWT (HS256 wants 32 bytes).
SECRET_KEY = "jiceng-tests-" + uuid.uuid4().hex
# Likewise one data key (console.foundation.crypto), through the environment so that gunicorn
# and CLI subprocesses read it too: the audit chain sealed by one app must check in the others.
os.environ.setdefault("JICENG_DATA_KEY", "1:" + uuid.uuid4().hex + uuid.uuid4().hex)


EXAMPLE_PLUGIN = Path(__file__).parent / "example_plugin"


def pytest_configure(config):
    """Install the example plugin, a distribution of its own, the way a user would (pip), into a
    directory of this run only, so the console finds it through its entry point while the
    project's virtualenv (and so `make demo`) stays without it."""
    if os.environ.get("JICENG_EXAMPLE_SITE"):
        site = os.environ["JICENG_EXAMPLE_SITE"]  # a worker process of this same run
    else:
        site = tempfile.mkdtemp(prefix="jiceng-example-site-")
        # Built from a copy: setuptools reuses a build/ folder beside the sources and skips a
        # file whose change falls in the same second as its last copy.
        source = Path(tempfile.mkdtemp(prefix="jiceng-example-src-")) / "example_plugin"
        shutil.copytree(EXAMPLE_PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--target", site, str(source)],
            check=True, capture_output=True,
        )
        os.environ["JICENG_EXAMPLE_SITE"] = site
    if site not in sys.path:
        sys.path.insert(0, site)
    # gunicorn and CLI subprocesses started by tests find it too.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (site, os.environ.get("PYTHONPATH")) if p)


def _pg_admin():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _pg_url(dbname: str) -> str:
    return sa.engine.make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


def _pg_create(dbname: str, template: str | None = None) -> None:
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{dbname}"{clause}'))


def _pg_drop(dbname: str) -> None:
    with _pg_admin().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


def pytest_report_header(config):
    return f"jiceng database under test: {BACKEND}"


@pytest.fixture(scope="session")
def instance_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jiceng")


def _base_config(url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "INSTANCE_FOR_TESTS": str(instance),
    }


def build_app(url: str, instance: Path, **overrides):
    from console.app import create_app

    os.environ["JICENG_INSTANCE_PATH"] = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({**_base_config(url, instance), **overrides})


@pytest.fixture(scope="session")
def template_url(instance_root):
    """A database migrated to every head, initialised, with the region tree and demo users."""
    if BACKEND == "postgres":
        name = f"jiceng_tmpl_{RUN_ID}"
        _pg_create(name)
        url = _pg_url(name)
    else:
        url = "sqlite:///" + str(instance_root / "template.db")
    app = build_app(url, instance_root / "template")
    runner = app.test_cli_runner()
    for args in (["init"], ["demo", "--regions-only"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output + repr(result.exception)
    from console.foundation.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    yield url
    if BACKEND == "postgres":
        _pg_drop(name)


@pytest.fixture(scope="session")
def shared_url(template_url, instance_root):
    """The one database every test works on, reset from the template before each test."""
    if BACKEND == "postgres":
        name = f"jiceng_t_{RUN_ID}"
        yield _pg_url(name)
        _pg_drop(name)
    else:
        yield "sqlite:///" + str(instance_root / "test.db")


def _dispose(app) -> None:
    from console.foundation.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def shared_app(shared_url, instance_root):
    """The console with the default test configuration, built once: building one takes about
    a second, and most tests need nothing else."""
    holder = {}
    yield holder
    if "app" in holder:
        _dispose(holder["app"])


@pytest.fixture
def database_url(template_url, shared_url, shared_app):
    """This test's database: a fresh copy of the template under a fixed name."""
    if "app" in shared_app:
        _dispose(shared_app["app"])
    if BACKEND == "postgres":
        _pg_create(sa.engine.make_url(shared_url).database,
                   template=sa.engine.make_url(template_url).database)
    else:
        dst = Path(sa.engine.make_url(shared_url).database)
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        shutil.copy(sa.engine.make_url(template_url).database, dst)
    yield shared_url
    from console.audit import log as audit

    audit._actor.set(None)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build a console on this test's database with extra configuration."""
    made = []

    def _make(**overrides):
        app = build_app(database_url, tmp_path / "instance", **overrides)
        made.append(app)
        return app

    yield _make
    for app in made:
        _dispose(app)


@pytest.fixture
def app(database_url, shared_app, instance_root):
    if "app" not in shared_app:
        shared_app["app"] = build_app(database_url, instance_root / "shared")
    return shared_app["app"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Sign in as one of the template's accounts (admin and the demo users)."""

    def __init__(self, client):
        self.client = client

    def login(self, username="admin", password=None):
        return login(self.client, username, password)

    def logout(self):
        return logout(self.client)


@pytest.fixture
def auth(client):
    return Auth(client)


# -- a real server for browser tests --------------------------------------------------------


@pytest.fixture
def live_server(database_url, tmp_path):
    """The console served by gunicorn (2 workers) on this test's database, as a user runs it."""
    server = start_server(database_url, tmp_path / "live", secret_key=SECRET_KEY, workers=2)
    yield server.url
    stop_server(server)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    # Per test: a Playwright session left running would break the next test that starts its own.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
