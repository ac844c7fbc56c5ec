"""The SQLite side of the dialect seam computes what the Python side does: review days in a
zone with daylight saving, intervals, truncation, the forgetting curve, and the enum values the
counters test."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from recall1924.clock import review_date
from recall1924.models import ReviewKind
from recall1924.scheduling import Rating, State, retrievability, review_day
from recall1924.store import dialect
from recall1924.store.base import sql_time


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(":memory:")) as opened:
        opened.create_function("fsrs_retrievability", 3, retrievability, deterministic=True)
        yield opened


def one(connection: sqlite3.Connection, sql: str, **params: object) -> object:
    return connection.execute(f"SELECT {sql}", params).fetchone()[0]


def test_the_counters_test_the_enums_the_store_writes() -> None:
    assert dialect._KIND_REVIEW == int(ReviewKind.Review)
    assert dialect._STATE_REVIEW == int(State.Review)
    assert dialect._AGAIN == int(Rating.Again)


def test_review_days_count_as_python_counts_them_across_daylight_saving(
    connection: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        horizon = datetime(2026, 4, 2, 12, tzinfo=UTC)
        # Every half hour over the spring change (29 March 2026), both sides of 4 o'clock.
        start = datetime(2026, 3, 27, 0, tzinfo=UTC)
        for step in range(5 * 48):
            at = start + timedelta(minutes=30 * step)
            found = one(
                connection,
                dialect.review_days_to(":at"),
                at=sql_time(at),
                horizon=review_date(horizon, 4).isoformat(),
                shift=dialect.review_day_shift(4),
            )
            assert found == review_day(horizon, 4) - review_day(at, 4), at
    finally:
        monkeypatch.undo()
        time.tzset()


def test_days_between_is_fractional_and_null_without_both(connection: sqlite3.Connection) -> None:
    later, earlier = datetime(2026, 1, 21, 12, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    between = dialect.days_between(":later", ":earlier")
    assert one(connection, between, later=sql_time(later), earlier=sql_time(earlier)) == 20.5
    assert one(connection, between, later=sql_time(later), earlier=None) is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (dialect.truncate("-2.7"), -2),
        (dialect.truncate("2.7"), 2),
        (dialect.greatest("3", "5"), 5),
        (dialect.least("3", "5"), 3),
    ],
)
def test_scalar_helpers(connection: sqlite3.Connection, sql: str, expected: int) -> None:
    assert one(connection, sql) == expected


@pytest.mark.parametrize("native", [True, False])
def test_the_forgetting_curve_is_the_very_same_double(
    connection: sqlite3.Connection, native: bool
) -> None:
    try:
        one(connection, "power(2.0, 0.5)")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no math functions")
    for elapsed, stability in ((0, 1.0), (3.9, 2.5), (40.2, 17.25), (-1, 3.0), (5, 0.0)):
        sql = dialect.retrievability(":elapsed", native=native).replace("stability", ":stability")
        found = one(connection, sql, elapsed=elapsed, stability=stability, decay=-0.1542)
        assert found == retrievability(elapsed, stability, -0.1542)


def test_an_unindexed_column_is_not_looked_up_in_its_index(
    connection: sqlite3.Connection,
) -> None:
    connection.execute("CREATE TABLE t (a, b)")
    connection.execute("CREATE INDEX t_a ON t (a)")
    connection.execute("CREATE INDEX t_b ON t (b)")
    plan = connection.execute(
        f"EXPLAIN QUERY PLAN SELECT a FROM t WHERE {dialect.unindexed('a')} = 1 ORDER BY b"
    ).fetchall()
    assert "USING INDEX t_b" in plan[0][3]
