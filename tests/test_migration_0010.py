"""Migration 0010 (the collection's settings under the scope '*', no longer 'global', which is
also a deck id) moves only those rows, up and down, on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, text

from migrating import engine, migrate
from recall1924.settings import GLOBAL_SCOPE

__all__ = ["engine"]  # the fixture, either store

OTHERS = {
    ("spanish", "new_per_day", "3"),
    ("section:spanish/verbs", "desired_retention", "0.95"),
    ("recall:bundled", "notice_version", "3"),
}
"""A deck's, a section's and recall's own rows: none of them moves."""


def _settings(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT scope, key, value FROM setting"))
        return {(scope, key, value) for scope, key, value in rows}


def _insert(engine: Engine, rows: set[tuple[str, str, str]]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO setting (scope, key, value) VALUES (:scope, :key, :value)"),
            [{"scope": scope, "key": key, "value": value} for scope, key, value in rows],
        )


def test_the_collections_settings_move_to_their_own_scope_and_back(engine: Engine) -> None:
    assert GLOBAL_SCOPE == "*"  # what the migration writes
    migrate(engine, "0009")
    collections = {("global", "new_per_day", "7"), ("global", "day_starts_at", "5")}
    _insert(engine, collections | OTHERS)

    migrate(engine, "0010")
    assert _settings(engine) == {("*", key, value) for _, key, value in collections} | OTHERS

    migrate(engine, "0009", down=True)
    assert _settings(engine) == collections | OTHERS


def test_down_a_deck_called_global_gives_way_to_the_collection(engine: Engine) -> None:
    migrate(engine, "0010")
    _insert(
        engine,
        {
            ("*", "new_per_day", "7"),
            ("global", "new_per_day", "2"),  # the deck global's own, since the upgrade
            ("global", "learning_steps", "5m"),
        },
    )
    migrate(engine, "0009", down=True)
    assert _settings(engine) == {
        ("global", "new_per_day", "7"),
        ("global", "learning_steps", "5m"),
    }
