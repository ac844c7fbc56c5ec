"""Migration 0012 (a card's key unique in its deck by the index ``ix_card_deck_key``, not the
table's constraint) keeps every card and every answer on both stores, up, down and up again;
and what it is for: a first import makes the card table's indexes after its cards, and a
failed one leaves them as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from migrating import engine, migrate
from recall1924.store import dialect
from recall1924.store.base import dialect_of

__all__ = ["engine"]  # the fixture, either store

_NOW = "2026-03-01 08:15:30.123000"
_CARD_INDEXES = ["ix_card_deck_key", "ix_card_due", "ix_card_memory", "ix_card_section_id"]


def _fill(connection: Connection) -> None:
    """Two decks whose cards share keys, in an order their ids do not follow, each answered."""
    for deck in (1, 2):
        connection.execute(
            text(
                "INSERT INTO deck (id, key, title, created_at, updated_at) "
                "VALUES (:id, :key, 'D', :now, :now)"
            ),
            {"id": deck, "key": f"d{deck}", "now": _NOW},
        )
        connection.execute(
            text(
                "INSERT INTO section (id, deck_id, key, title, position) "
                "VALUES (:id, :id, 's', 'S', 0)"
            ),
            {"id": deck},
        )
    for card in range(1, 9):
        connection.execute(
            text(
                "INSERT INTO card (id, deck_id, section_id, key, position, question, answer, "
                "tags, state, due, last_review, created_at, updated_at, search_text) VALUES "
                "(:id, :deck, :deck, :key, :id, :q, 'A', '[]', 2, :now, :now, :now, :now, :q)"
            ),
            {
                "id": card * 10,
                "deck": 1 + card % 2,
                "key": f"k{9 - card // 2}",
                "q": f"Q{card}",
                "now": _NOW,
            },
        )
        connection.execute(
            text(
                "INSERT INTO review_log (card_id, kind, rating, reviewed_at, state_before, "
                "due_before, state_after, due_after) VALUES (:card, 0, 3, 1, 2, 1, 2, 2)"
            ),
            {"card": card * 10},
        )


def _contents(connection: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    cards = connection.execute(text("SELECT * FROM card ORDER BY id")).all()
    answers = connection.execute(text("SELECT * FROM review_log ORDER BY id")).all()
    return [tuple(row) for row in cards], [tuple(row) for row in answers]


def _card_indexes(connection: Connection) -> list[str]:
    statement = dialect.table_indexes("card", name=dialect_of(connection))
    return [row[0] for row in connection.exec_driver_sql(statement)]


def _duplicate(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO card (deck_id, section_id, key, position, question, answer, tags, "
            "state, due, created_at, updated_at) "
            "VALUES (1, 1, 'k8', 99, 'Q', 'A', '[]', 0, :now, :now, :now)"
        ),
        {"now": _NOW},
    )


def test_every_card_and_answer_goes_up_down_and_up_again(engine: Engine) -> None:
    migrate(engine, "0011")
    with engine.begin() as connection:
        _fill(connection)
        before = _contents(connection)
    assert len(before[0]) == 8 and len(before[1]) == 8

    migrate(engine, "0012")
    with engine.connect() as connection:
        assert _contents(connection) == before  # the answers too: no cascade from the copy
        assert _card_indexes(connection) == _CARD_INDEXES
    with engine.connect() as connection, pytest.raises(IntegrityError):
        _duplicate(connection)  # still one key per deck

    migrate(engine, "0011", down=True)
    with engine.connect() as connection:
        assert _contents(connection) == before
        assert "ix_card_deck_key" not in _card_indexes(connection)
    with engine.connect() as connection, pytest.raises(IntegrityError):
        _duplicate(connection)  # by the constraint again

    migrate(engine, "0012")
    with engine.connect() as connection:
        assert _contents(connection) == before
        # The counters' triggers were made again: a new answer is counted.
        counters = text("SELECT review_answers, review_lapses FROM card WHERE id = 10")
        answers, lapses = connection.execute(counters).one()
        connection.execute(
            text(
                "INSERT INTO review_log (card_id, kind, rating, reviewed_at, state_before, "
                "due_before, state_after, due_after) VALUES (10, 0, 1, 5, 2, 1, 2, 2)"
            )
        )
        assert tuple(connection.execute(counters).one()) == (answers + 1, lapses + 1)
        assert answers == 1  # and 0011's answer was counted before


@pytest.mark.sqlite_only  # SQLite's rebuild of the table; PostgreSQL drops a constraint
def test_the_rebuild_refuses_to_run_with_foreign_keys_on(tmp_path: Path) -> None:
    # With them on, dropping the old card table would delete every answer (as 0002 once did).
    from alembic import command

    from recall1924 import db
    from recall1924.db import _alembic_config

    engine = db.make_engine(tmp_path / "collection.db")  # connects with foreign keys on
    try:
        migrate(engine, "0012")
        with engine.begin() as connection:
            _fill(connection)
            before = _contents(connection)
        with engine.connect() as connection:
            with pytest.raises(RuntimeError, match="foreign keys off"), connection.begin():
                command.downgrade(_alembic_config(connection), "0011")
        with engine.connect() as connection:
            assert _contents(connection) == before
            assert "ix_card_deck_key" in _card_indexes(connection)
    finally:
        engine.dispose()
