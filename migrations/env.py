"""Alembic environment: the core's revisions plus each plugin's branch, on SQLite and PostgreSQL."""

from alembic import context
from flask import current_app

from console.database.schema import include_object

config = context.config
db = current_app.extensions["migrate"].db


def run_migrations_offline():
    context.configure(url=str(db.engine.url), target_metadata=db.metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object(db.engine.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            # SQLite alters tables by copying them; batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object(connection.dialect.name),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
