"""Alembic environment for recall.

recall runs migrations itself when it opens a database (``recall1924.db.open_database``) and
hands over its connection; the ``alembic`` command line (``alembic -c migrations/alembic.ini``)
works too, on the file named by ``sqlalchemy.url``.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def _target_metadata():  # type: ignore[no-untyped-def]
    # Imported only here, for autogenerate: recall's own upgrade path does not need the models.
    from sqlmodel import SQLModel

    import recall1924.models  # noqa: F401

    return SQLModel.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite can only change most of a table by copying it.
    context.configure(
        connection=connection,
        target_metadata=_target_metadata() if config.cmd_opts else None,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run(conn)
