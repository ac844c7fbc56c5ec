"""The store's codecs that both drivers go through: a stored time as either driver hands it
back, and the placeholders of a bulk write in either driver's style."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import create_engine

from recall1924.store.base import driver_marks, sql_time, stored_moment

MOMENT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)


def test_a_stored_time_reads_back_the_same_from_sqlites_text_and_psycopgs_datetime() -> None:
    # sqlite3 hands back the text UTCDateTime stores; psycopg a naive datetime (timestamp).
    assert stored_moment(sql_time(MOMENT)) == MOMENT
    assert stored_moment(MOMENT.replace(tzinfo=None)) == MOMENT
    assert stored_moment(MOMENT.replace(tzinfo=None)).tzinfo is UTC


def test_bulk_write_placeholders_are_each_drivers_own() -> None:
    # Only the dialect is read: psycopg's is seen without a server to connect to.
    for url, mark in (("sqlite://", "?"), ("postgresql+psycopg://", "%s")):
        connection = SimpleNamespace(dialect=create_engine(url).dialect)
        assert driver_marks(connection, 3) == f"{mark}, {mark}, {mark}"  # type: ignore[arg-type]
