"""Alembic, as the console uses it: the core's revisions plus one branch per plugin."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from console.foundation.extensions import db
from jiceng import migrations

# The repository's migrations/, installed as jiceng.migrations: found the same way from a checkout
# and from a wheel.
MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


_LOCATIONS = "console.schema_locations"


def add_locations(app, locations: dict[str, str]) -> None:
    """Record the versions folders of loaded plugins (``{plugin: folder}``); the plugin
    manager calls this as it loads them, so the schema never has to know what a plugin is."""
    app.extensions.setdefault(_LOCATIONS, {}).update(
        {name: str(Path(folder).resolve()) for name, folder in locations.items()})


def _plugin_locations(app=None) -> dict[str, str]:
    return (app or current_app).extensions.get(_LOCATIONS, {})


def version_locations(app=None) -> list[str]:
    """The core's versions folder and each loaded plugin's."""
    return [str(MIGRATIONS_DIR / "versions"), *_plugin_locations(app).values()]


def configure(config: Config) -> Config:
    """Flask-Migrate calls this for every ``jiceng db ...`` command."""
    # os.pathsep-separated; set the separator explicitly so Alembic does not warn.
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations()))
    return config


def include_object(dialect: str):
    """Autogenerate's filter, shared by migrations/env.py and the test that models and
    migrations agree: leave alone tables of plugins not installed here, and objects meant for
    another database (``Index(...).ddl_if(dialect="postgresql")``)."""

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table" and reflected and compare_to is None:
            return False
        condition = getattr(obj, "_ddl_if", None)
        if condition is not None and condition.dialect and condition.dialect != dialect:
            return False
        return True

    return include


def script_directory() -> ScriptDirectory:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(configure(cfg))


def _applied(script: ScriptDirectory) -> set[str]:
    with db.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    applied = set()
    for rev in script.iterate_revisions(heads, "base"):
        applied.add(rev.revision)
    return applied


def is_current() -> bool:
    """Every known head, the core's and each plugin's, has been applied."""
    script = script_directory()
    applied = _applied(script)
    return all(head in applied for head in script.get_heads())


def plugin_schema_behind(name: str) -> bool:
    """The plugin's branch has revisions the database lacks."""
    if name not in _plugin_locations():
        return False
    script = script_directory()
    # Alembic carries a branch label down to every revision of the branch, heads included.
    heads = [r.revision for r in script.get_revisions("heads") if name in r.branch_labels]
    applied = _applied(script)
    return not all(h in applied for h in heads)


def upgrade() -> None:
    """Apply every head (the core's and all plugins'), as ``jiceng db upgrade`` does."""
    from flask_migrate import upgrade as fm_upgrade

    fm_upgrade(directory=str(MIGRATIONS_DIR), revision="heads")


