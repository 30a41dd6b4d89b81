"""Alembic environment: the core's revisions plus each plugin's branch, on SQLite and PostgreSQL."""

from alembic import context
from flask import current_app

config = context.config
db = current_app.extensions["migrate"].db


def _include_object(obj, name, type_, reflected, compare_to):
    # Tables of plugins that are not installed here stay untouched by autogenerate.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_offline():
    context.configure(url=str(db.engine.url), target_metadata=db.metadata, literal_binds=True,
                      render_as_batch=True, include_object=_include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            # SQLite alters tables by copying them; batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=_include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
