"""What recall's PostgreSQL forms do for speed, and that they still count what Python counts:
each connection's planner settings (``db.SESSION_SETTINGS``), review days read through Python's
own offsets rather than the server's zone conversions, whole review days not truncated again,
days between two times in doubles rather than numerics, and a collection moved in by
``migrate-store`` vacuumed and analysed at once (benchmarks/README.md, "On PostgreSQL", for
what each bought at 100,000 cards).

Each test gets a fresh database on the session's throwaway server (tests/postgres.py).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from recall1924 import clock, db
from recall1924.cli import app
from recall1924.clock import review_date
from recall1924.location import DatabaseLocation
from recall1924.scheduling import review_day
from recall1924.store import dialect
from recall1924.store.base import sql_time
from recall1924.store.zone import review_days

pytestmark = pytest.mark.postgres

PG = dialect.POSTGRESQL


WANTED = {"jit": "off", "max_parallel_workers_per_gather": "0", "random_page_cost": "1.1"}


def _settings(connection: Any) -> dict[str, str]:
    return {name: connection.exec_driver_sql(f"SHOW {name}").scalar() for name in WANTED}


def test_every_connection_to_a_server_takes_recalls_planner_settings(postgres_url: str) -> None:
    engine = db.make_server_engine(DatabaseLocation.parse(postgres_url))
    wanted = WANTED
    assert not engine.dialect.use_native_hstore  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            assert _settings(connection) == wanted
            connection.rollback()  # what the pool does to a connection it takes back
            assert _settings(connection) == wanted
        with engine.connect() as connection:  # the same connection, from the pool
            assert _settings(connection) == wanted
        engine.dispose()
        with engine.connect() as connection:  # a new one
            assert _settings(connection) == wanted
    finally:
        engine.dispose()


def test_a_plain_engine_has_the_servers_defaults(postgres_url: str) -> None:
    # So the test above sees recall's settings, not a server configured that way already.
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert all(value != WANTED[name] for name, value in _settings(connection).items())
    finally:
        engine.dispose()


def _scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT {sql}"), params).scalar()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC"])
def test_review_days_count_as_python_counts_them_across_daylight_saving(
    postgres_url: str, zone: str
) -> None:
    # The zone is the setting's, not the process's (TZ is UTC here) nor the server's.
    clock.use_zone(ZoneInfo(zone))
    engine = create_engine(postgres_url)
    try:
        horizon = datetime(2026, 4, 2, 12, tzinfo=UTC)
        sql, params = review_days("CAST(:at AS timestamp)", review_date(horizon, 4), 4, name=PG)
        assert set(params) == {"horizon", "shift"}  # no zone name for the server to convert by
        assert "AT TIME ZONE" not in sql
        start = datetime(2026, 3, 6, 0, tzinfo=UTC)
        with engine.connect() as connection:
            statement = text(f"SELECT {sql}")
            # Every half hour over the spring changes (8 and 29 March 2026), both sides of 4
            # o'clock, and a day a year before them.
            for step in [*range(-48, 0), *range(26 * 48)]:
                at = start + timedelta(minutes=30 * step) - timedelta(days=365 if step < 0 else 0)
                found = connection.execute(statement, {**params, "at": sql_time(at)}).scalar()
                assert found == review_day(horizon, 4) - review_day(at, 4), at
    finally:
        engine.dispose()
        clock.use_zone(None)


def test_a_time_a_microsecond_before_a_review_day_is_on_the_day_before(postgres_url: str) -> None:
    zone = ZoneInfo("America/New_York")
    clock.use_zone(zone)
    engine = create_engine(postgres_url)
    try:
        start = clock.day_start(datetime(2026, 3, 8).date(), 0)  # the clocks go forward
        sql, params = review_days("CAST(:at AS timestamp)", start.date(), 0, name=PG)
        for at in (start - timedelta(microseconds=1), start, start + timedelta(hours=5)):
            at_text = at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
            found = _scalar(engine, sql, **params, at=at_text)
            assert found == review_date(start, 0).toordinal() - review_day(at, 0), at
    finally:
        engine.dispose()
        clock.use_zone(None)


def test_whole_review_days_are_not_truncated_again_and_give_the_same_curve(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url)
    try:
        for days, stability in ((0, 1.0), (3, 2.5), (40, 17.25), (-1, 3.0), (5, 0.0)):
            elapsed = "CAST(:days AS integer)"
            forms = [
                dialect.retrievability(elapsed, native=True, whole=whole, name=PG).replace(
                    "stability", "CAST(:stability AS double precision)"
                )
                for whole in (False, True)
            ]
            assert "trunc" in forms[0] and "trunc" not in forms[1]
            found = [
                _scalar(engine, form, days=days, stability=stability, decay=-0.1542)
                for form in forms
            ]
            assert found[0] == found[1]
    finally:
        engine.dispose()


def test_days_between_counts_in_doubles_what_python_counts(postgres_url: str) -> None:
    between = dialect.days_between(
        "CAST(:later AS timestamp)", "CAST(:earlier AS timestamp)", name=PG
    )
    assert "EXTRACT" not in between  # a numeric per row, cast to a double by its text
    engine = create_engine(postgres_url)
    rng = random.Random(20)
    origin = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        with engine.connect() as connection:
            statement = text(f"SELECT {between}, pg_typeof({between})")
            for _ in range(300):
                earlier = origin + timedelta(milliseconds=rng.randrange(10**11))
                later = earlier + timedelta(milliseconds=rng.randrange(-(10**9), 10**10))
                found, kind = connection.execute(
                    statement, {"later": sql_time(later), "earlier": sql_time(earlier)}
                ).one()
                assert kind == "double precision"
                exact = (later - earlier) / timedelta(days=1)
                assert found == pytest.approx(exact, rel=1e-15, abs=1e-15)
                assert int(found) == int(exact)  # the whole days a curve reads
    finally:
        engine.dispose()


def test_a_collection_moved_in_is_vacuumed_and_analysed_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    start = tmp_path / "start.db"
    for args in (["cards", "--db", str(start)], ["migrate-store", "--db", str(start)]):
        extra = ["--to", postgres_url] if args[0] == "migrate-store" else []
        result = CliRunner().invoke(app, [*args, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                    "FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                    "AND relname IN ('card', 'review_log', 'section')"
                )
            ).all()
            # The server's autovacuum would come a minute later: these are the move's own.
            assert sorted(tuple(row) for row in found) == [
                ("card", True, True),
                ("review_log", True, True),
                ("section", True, True),
            ]
    finally:
        engine.dispose()
