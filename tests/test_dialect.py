"""The SQLite side of the dialect seam computes what the Python side does: review days in a
zone with daylight saving, intervals, truncation, the forgetting curve, and the enum values the
counters test."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recall1924 import clock
from recall1924.clock import review_date
from recall1924.models import ReviewKind
from recall1924.scheduling import Rating, State, retrievability, review_day
from recall1924.store import Store, dialect
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


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC"])
def test_review_days_count_as_python_counts_them_across_daylight_saving(
    connection: sqlite3.Connection, zone: str
) -> None:
    # The zone is named, not the process's (TZ is UTC here): SQLite reads its offsets.
    clock.use_zone(ZoneInfo(zone))
    try:
        horizon = datetime(2026, 4, 2, 12, tzinfo=UTC)
        # Every half hour over the spring changes (8 and 29 March 2026), both sides of 4
        # o'clock, and a year before them.
        start = datetime(2026, 3, 6, 0, tzinfo=UTC)
        offsets = [
            (sql_time(at), offset)
            for at, offset in clock.utc_offsets(
                ZoneInfo(zone), datetime(2025, 1, 1, tzinfo=UTC), horizon
            )
        ]
        sql = dialect.review_days_to(":at", offsets=offsets)
        for step in [*range(-48, 0), *range(26 * 48)]:
            at = start + timedelta(minutes=30 * step) - timedelta(days=365 if step < 0 else 0)
            found = one(
                connection,
                sql,
                at=sql_time(at),
                horizon=review_date(horizon, 4).isoformat(),
                shift=dialect.review_day_shift(4),
            )
            assert found == review_day(horizon, 4) - review_day(at, 4), at
    finally:
        clock.use_zone(None)


def test_a_time_on_a_review_days_very_start_is_on_that_day(
    connection: sqlite3.Connection,
) -> None:
    zone = ZoneInfo("America/New_York")
    clock.use_zone(zone)
    try:
        start = clock.day_start(date(2026, 3, 8), 0)  # midnight, the day the clocks go forward
        offsets = [
            (sql_time(at), offset)
            for at, offset in clock.utc_offsets(zone, start - timedelta(days=30), start)
        ]
        for at in (start - timedelta(microseconds=1), start):
            found = one(
                connection,
                dialect.review_days_to(":at", offsets=offsets),
                at=sql_time(at),
                horizon="2026-03-09",
                shift=dialect.review_day_shift(0),
            )
            assert found == date(2026, 3, 9).toordinal() - review_day(at, 0)
    finally:
        clock.use_zone(None)


def test_a_stored_time_is_written_into_the_statement_only_as_a_time() -> None:
    with pytest.raises(ValueError, match="not a stored time"):
        dialect.review_days_to(":at", offsets=[("x", 0), ("2026' OR '1", 3600)])


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


def test_the_store_gives_sqlite_the_python_curve_even_on_the_connection_that_created_it(
    tmp_path: Path,
) -> None:
    # The first open upgrades the new file on a connection made before any store existed,
    # which the engine then keeps: it must have the function too.
    store = Store.open(tmp_path / "new.db", datetime(2026, 11, 27, tzinfo=UTC))
    try:
        with store.engine.connect() as connection:
            sql = f"SELECT {dialect.PYTHON_RETRIEVABILITY}(3, 2.0, -0.1542)"
            assert connection.exec_driver_sql(sql).scalar() == retrievability(3, 2.0, -0.1542)
    finally:
        store.close()


def test_the_database_module_imports_nothing_of_the_domain() -> None:
    code = "import sys, recall1924.db; print(sorted(m for m in sys.modules if 'recall1924' in m))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    modules = found.stdout.split("'")[1::2]
    assert modules, found.stderr
    assert not {"recall1924.scheduling", "recall1924.store"} & set(modules)
