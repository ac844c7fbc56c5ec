"""Migration 0011 (the card's id as an ``INCLUDE`` column of ``ix_card_due`` on PostgreSQL, whose
index entries do not hold it; SQLite's hold the rowid and are left alone), up and down on both
stores, and what it is for: a review's learning cards read from that index alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from typer.testing import CliRunner

from migrating import engine, migrate
from recall1924 import db
from recall1924.cli import app
from recall1924.db import OpenedDatabase, make_server_engine
from recall1924.location import DatabaseLocation
from recall1924.store import Store, dialect
from recall1924.store.base import Scope

__all__ = ["engine"]  # the fixture, either store

KEYS = [
    "due",
    "state",
    "last_review",
    "suspended",
    "buried_until",
    "deck_id",
    "section_id",
    "stability",
]
"""``ix_card_due``'s columns, as 0007 made it."""


def _due_index(engine: Engine) -> Any:
    """What the database says ``ix_card_due`` is: its definition on PostgreSQL; on SQLite its
    statement and the entries' columns (``index_xinfo``, the rowid last)."""
    with engine.connect() as connection:
        if engine.dialect.name == dialect.POSTGRESQL:
            return connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_card_due'")
            ).scalar_one()
        statement = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_card_due'")
        ).scalar_one()
        columns = connection.exec_driver_sql("PRAGMA index_xinfo(ix_card_due)").all()
        return statement, [(column[2], column[5]) for column in columns]  # (name, is a key)


def test_the_due_index_holds_the_cards_id_and_gives_it_back_down(engine: Engine) -> None:
    migrate(engine, "0010")
    before = _due_index(engine)
    migrate(engine, "0011")
    after = _due_index(engine)
    if engine.dialect.name == dialect.POSTGRESQL:
        assert before.endswith(f"USING btree ({', '.join(KEYS)})")
        assert after == f"{before} INCLUDE (id)"
    else:
        # The rowid, which is the card's id, is in every entry already: nothing to change.
        assert after[1] == [*((key, 1) for key in KEYS), (None, 0)]
        assert after == before
    migrate(engine, "0010", down=True)
    assert _due_index(engine) == before


@pytest.mark.sqlite_only
def test_sqlites_due_index_is_not_rebuilt(tmp_path: Path) -> None:
    # Rebuilding it would cost a large collection's upgrade time and give the same index.
    made = db.make_engine(tmp_path / "collection.db")
    sent: list[str] = []

    def keep(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    try:
        migrate(made, "0010")
        event.listen(made, "before_cursor_execute", keep)
        migrate(made, "0011")
    finally:
        made.dispose()
    assert any("alembic_version" in statement for statement in sent)  # it did run
    assert [statement for statement in sent if "ix_card_due" in statement] == []


def _learning_plan(url: str) -> str:
    """The server's plan for the review start's learning cards (``Store.learning_due``), as
    the store sends the statement, with the table's statistics and visibility up to date."""
    location = DatabaseLocation.parse(url)
    server = make_server_engine(location)
    sent: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    try:
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) card")
        now = datetime(2026, 12, 1, 12, tzinfo=UTC)
        store = Store(OpenedDatabase(server), location)
        event.listen(server, "before_cursor_execute", keep)
        store.learning_due(Scope(), now=now, day_end=now + timedelta(hours=16))
        event.remove(server, "before_cursor_execute", keep)
        statement, parameters = next(sql for sql in sent if sql[0].lstrip().startswith("SELECT"))
        with server.connect() as connection:
            # The bundled deck is small enough for a read of the whole table to be cheapest,
            # which would say nothing of the indexes.
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_bitmapscan = off")
            rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars()
            return "\n".join(rows)
    finally:
        server.dispose()


@pytest.mark.postgres
def test_a_reviews_learning_cards_are_read_from_the_due_index_alone(postgres_url: str) -> None:
    result = CliRunner().invoke(app, ["--db", postgres_url, "cards"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr  # the bundled deck, from the snapshot
    assert "Index Only Scan using ix_card_due on card" in _learning_plan(postgres_url)

    server = create_engine(postgres_url)
    try:
        migrate(server, "0010", down=True)
    finally:
        server.dispose()
    # Without the id the rows are visited: what the first plan showed is the migration's doing.
    assert "Index Only Scan" not in _learning_plan(postgres_url)


def test_the_models_say_what_the_server_holds_the_included_id_too(postgres_url: str) -> None:
    # Alembic's comparison of the models with a database (test_postgres) does not look at an
    # index's INCLUDE columns; the models set theirs only with a server's engine (models.py).
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    opened = db.open_database(DatabaseLocation.parse(postgres_url), datetime.now(UTC))
    try:
        found = {
            (table, index["name"]): index.get("dialect_options", {}).get("postgresql_include", [])
            for table in SQLModel.metadata.tables
            for index in inspect(opened.engine).get_indexes(table)
            if not index.get("duplicates_constraint")  # a UNIQUE constraint's own
        }
    finally:
        opened.close()
    said = {
        (name, index.name): list(index.dialect_options["postgresql"]["include"] or [])
        for name, table in SQLModel.metadata.tables.items()
        for index in table.indexes
    }
    assert said[("card", "ix_card_due")] == ["id"]
    assert found == said
