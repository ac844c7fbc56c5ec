"""Migration 0009 (an answer's times as integer milliseconds) keeps every answer, on SQLite and on
PostgreSQL: a 0008 collection full of answers, nulls among them, goes up, down and up again
with the same values, and the answer counters' triggers count right at each end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from migrating import engine, migrate
from recall1924 import db
from recall1924.db import to_millis
from recall1924.store import dialect

__all__ = ["engine"]  # the fixture, either store

TIMES = ("reviewed_at", "due_before", "last_review_before", "due_after", "last_review_after")
START = datetime(2026, 3, 1, 8, 15, 30, 123456, tzinfo=UTC)
"""With microseconds: the migration keeps them to the millisecond, rounded down."""

_COLUMNS = (
    "id, card_id, kind, rating, reviewed_at, duration_ms, state_before, step_before, "
    "stability_before, difficulty_before, due_before, last_review_before, state_after, "
    "step_after, stability_after, difficulty_after, due_after, last_review_after"
)


def _text(moment: datetime | None) -> str | None:
    """A time as 0008 stored it (UTCDateTime's text; PostgreSQL casts it to a timestamp)."""
    return None if moment is None else moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _answers(cards: int = 6, each: int = 5) -> list[dict[str, Any]]:
    """Each card's answers at growing intervals: the first from new (no last review, a null),
    later ones in the Review state at young and mature intervals, some Again; a reset row."""
    rows: list[dict[str, Any]] = []
    for card in range(1, cards + 1):
        at, due, last = START + timedelta(minutes=card), START, None
        for n in range(each):
            interval = timedelta(days=3**n, microseconds=card * 7919 + n)
            reviewing = last is not None
            rows.append(
                {
                    "card_id": card,
                    "kind": 3 if n == each - 1 and card == 1 else 0,  # a reset row
                    "rating": 1 if (card + n) % 3 == 0 else 3,
                    "reviewed_at": _text(at),
                    "duration_ms": None if n == 2 else 4000 + n,
                    "state_before": 2 if reviewing else 0,
                    "step_before": None if reviewing else 0,
                    "stability_before": None if not reviewing else 2.5 * n,
                    "difficulty_before": None if not reviewing else 5.0,
                    "due_before": _text(due),
                    "last_review_before": _text(last),
                    "state_after": 2,
                    "step_after": None,
                    "stability_after": 2.5 * (n + 1),
                    "difficulty_after": 5.0,
                    "due_after": _text(at + interval),
                    "last_review_after": _text(at),
                }
            )
            last, due = at, at + interval
            at = due + timedelta(hours=card, microseconds=n * 1001)
    return rows


def _fill(connection: Connection) -> None:
    """A deck, a section, cards, and their answers (the counters kept by 0007's triggers)."""
    now = _text(START)
    connection.execute(
        text(
            "INSERT INTO deck (id, key, title, created_at, updated_at) "
            "VALUES (1, 'd', 'D', :now, :now)"
        ),
        {"now": now},
    )
    connection.execute(
        text("INSERT INTO section (id, deck_id, key, title, position) VALUES (1, 1, 's', 'S', 0)")
    )
    for card in range(1, 7):
        connection.execute(
            text(
                "INSERT INTO card (id, deck_id, section_id, key, position, question, answer, "
                "tags, state, due, last_review, created_at, updated_at) VALUES (:id, 1, 1, "
                ":key, :id, 'Q', 'A', '[]', 2, :due, :last, :now, :now)"
            ),
            {
                "id": card,
                "key": f"c{card}",
                "due": _text(START + timedelta(days=90, microseconds=card)),
                "last": _text(START + timedelta(days=60, microseconds=card)),
                "now": now,
            },
        )
    names = [name.strip() for name in _COLUMNS.split(",")][1:]
    connection.execute(
        text(
            f"INSERT INTO review_log ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + name for name in names)})"
        ),
        _answers(),
    )


def _rows(connection: Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(text(f"SELECT {_COLUMNS} FROM review_log"))]


def _counters(connection: Connection) -> list[tuple[int, ...]]:
    counters = ", ".join(dialect.ANSWER_COUNTERS)
    return [
        tuple(row) for row in connection.execute(text(f"SELECT {counters} FROM card ORDER BY id"))
    ]


def _millis(value: Any) -> Any:
    """A time as 0008 gave it back (text on SQLite, a naive datetime on PostgreSQL), in
    milliseconds; anything else as it is."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return to_millis(value.replace(tzinfo=UTC))
    return value


def test_every_answer_goes_up_down_and_up_again_with_the_same_values(engine: Engine) -> None:
    migrate(engine, "0008")
    with engine.begin() as connection:
        _fill(connection)
        before = _rows(connection)
        counted = _counters(connection)
    assert any(row[11] is None for row in before)  # a null last_review_before
    assert any(count[2] for count in counted) and any(count[3] for count in counted)

    migrate(engine, "0009")
    with engine.connect() as connection:
        up = _rows(connection)
        assert _counters(connection) == counted
    assert up == [tuple(map(_millis, row)) for row in before]
    at = [name.strip() for name in _COLUMNS.split(",")].index("reviewed_at")
    assert all(isinstance(row[at], int) for row in up)

    migrate(engine, "0008", down=True)
    with engine.connect() as connection:
        down = _rows(connection)
        assert _counters(connection) == counted
    assert [tuple(map(_millis, row)) for row in down] == up

    migrate(engine, "0009")
    with engine.connect() as connection:
        assert _rows(connection) == up
        assert _counters(connection) == counted


def _answer(
    card: int, due_before: int, last_review_before: int | None, rating: int
) -> dict[str, Any]:
    return {
        "card_id": card,
        "rating": rating,
        "due_before": due_before,
        "last_review_before": last_review_before,
    }


def test_the_counters_triggers_count_integer_times_after_it(engine: Engine) -> None:
    migrate(engine, "0008")
    with engine.begin() as connection:
        _fill(connection)
    migrate(engine, "0009")
    day = 86_400_000
    base = to_millis(START)
    insert = text(
        "INSERT INTO review_log (card_id, kind, rating, reviewed_at, state_before, due_before, "
        "last_review_before, state_after, due_after) VALUES (:card_id, 0, :rating, 0, 2, "
        ":due_before, :last_review_before, 2, 0)"
    )
    with engine.begin() as connection:
        start = dict(enumerate(_counters(connection), start=1))
        connection.execute(
            insert,
            [
                # 20.5 days is mature (Anki rounds the interval), a millisecond less is not
                _answer(1, base + int(20.5 * day), base, 1),
                _answer(2, base + int(20.5 * day) - 1, base, 1),
                _answer(3, base + 5 * day, None, 3),  # no last review: not mature
            ],
        )
        after = dict(enumerate(_counters(connection), start=1))
        assert [
            tuple(a - b for a, b in zip(after[n], start[n], strict=True)) for n in (1, 2, 3)
        ] == [
            (1, 1, 1, 1),
            (1, 1, 0, 0),
            (1, 0, 0, 0),
        ]
        # an update that moves an answer across the line, and a delete, count too
        connection.execute(
            text(
                "UPDATE review_log SET due_before = due_before - 1 "
                "WHERE card_id = 1 AND reviewed_at = 0"
            )
        )
        assert _counters(connection)[0] == tuple(
            a + b for a, b in zip(start[1], (1, 1, 0, 0), strict=True)
        )
        connection.execute(text("DELETE FROM review_log WHERE reviewed_at = 0"))
        assert dict(enumerate(_counters(connection), start=1)) == start


@pytest.mark.sqlite_only
def test_opening_a_0008_file_gives_the_disk_back_what_the_upgrade_freed(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "recall.db"
    engine = db.make_engine(path)
    migrate(engine, "0008")
    with engine.begin() as connection:
        _fill(connection)
        names = [name.strip() for name in _COLUMNS.split(",")][1:]
        insert = text(
            f"INSERT INTO review_log ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + name for name in names)})"
        )
        for _ in range(200):  # 6,000 more answers: their text times fill pages 0009 frees
            connection.execute(insert, _answers())
    engine.dispose()

    db.open_database(path, START).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA freelist_count").fetchone() == (0,)
        assert connection.execute("SELECT COUNT(*) FROM review_log").fetchone() == (6030,)
