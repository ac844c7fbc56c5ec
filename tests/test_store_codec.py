"""The store's codecs that both drivers go through: a stored time as either driver hands it
back, an answer's time as integer milliseconds, and the placeholders of a bulk write in either
driver's style."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine

from recall1924.db import UTCDateTime, UTCMillis, from_millis, to_millis
from recall1924.store.base import (
    driver_marks,
    millis_moment,
    sql_time,
    stored_millis,
    stored_moment,
)

MOMENT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
MILLISECOND = MOMENT.replace(microsecond=123000)


def test_a_stored_time_reads_back_the_same_from_sqlites_text_and_psycopgs_datetime() -> None:
    # sqlite3 hands back the text UTCDateTime stores; psycopg a naive datetime (timestamp).
    assert stored_moment(sql_time(MOMENT)) == MILLISECOND
    assert stored_moment(MOMENT.replace(tzinfo=None)) == MOMENT
    assert stored_moment(MOMENT.replace(tzinfo=None)).tzinfo is UTC


def test_every_stored_time_is_to_the_millisecond_whichever_codec_stores_it() -> None:
    # A card's last review (text) and its last answer's time (an integer) read back equal.
    assert sql_time(MOMENT) == "2026-03-29 01:30:15.123000"
    assert to_millis(MOMENT) == 1_774_747_815_123
    assert from_millis(to_millis(MOMENT)) == MILLISECOND == stored_moment(sql_time(MOMENT))
    assert from_millis(to_millis(MOMENT)).tzinfo is UTC
    assert millis_moment(stored_millis(MOMENT) or 0) == MILLISECOND
    assert stored_millis(None) is None
    # Rounded down, before the epoch too; exact at either end of a millisecond.
    before = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert to_millis(before) == -1
    assert to_millis(MOMENT.replace(microsecond=999)) == 1_774_747_815_000
    assert to_millis(MOMENT.replace(microsecond=1000)) == 1_774_747_815_001


def test_the_integer_codec_refuses_a_naive_time_and_keeps_null() -> None:
    codec = UTCMillis()
    assert codec.process_bind_param(None, None) is None
    assert codec.process_result_value(None, None) is None
    assert codec.process_bind_param(MOMENT, None) == 1_774_747_815_123
    with pytest.raises(ValueError, match="naive"):
        codec.process_bind_param(MOMENT.replace(tzinfo=None), None)
    # The text codec keeps its form, to the millisecond.
    assert UTCDateTime().process_bind_param(MOMENT, None) == MILLISECOND.replace(tzinfo=None)


def test_bulk_write_placeholders_are_each_drivers_own() -> None:
    # Only the dialect is read: psycopg's is seen without a server to connect to.
    for url, mark in (("sqlite://", "?"), ("postgresql+psycopg://", "%s")):
        connection = SimpleNamespace(dialect=create_engine(url).dialect)
        assert driver_marks(connection, 3) == f"{mark}, {mark}, {mark}"  # type: ignore[arg-type]
