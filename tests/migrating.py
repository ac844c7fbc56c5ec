"""One migration at a time on either store, for the tests of a migration's data
(``test_migration_*.py``): an empty database of each store, and moving it to a revision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine

from recall1924 import db
from recall1924.db import _alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of either store."""
    if request.param == "sqlite":
        made = db.make_engine(tmp_path / "collection.db")
    else:
        made = create_engine(request.getfixturevalue("postgres_url"))
    yield made
    made.dispose()


def migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    """Upgrade (or with ``down``, downgrade) the database to revision ``target``: a SQLite file
    upgraded as recall upgrades one (foreign keys off, one transaction), and downgraded with
    foreign keys off too (a table rebuilt with them on would take its rows' answers with it);
    anything else by Alembic's own command."""
    if engine.dialect.name == "sqlite" and not down:
        db.upgrade(engine, target)
        return
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            (command.downgrade if down else command.upgrade)(_alembic_config(connection), target)
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # as the engine connects
            connection.commit()
