"""The injected clock, RECALL_NOW, and where a review day starts and ends."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from recall1924.clock import FixedClock, SystemClock, clock_from_env, day_bounds, parse_instant
from recall1924.errors import ClockError


def test_recall_now_pins_the_clock() -> None:
    clock = clock_from_env("2026-03-01T10:30:00+02:00")
    assert isinstance(clock, FixedClock)
    assert clock.now() == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert isinstance(clock_from_env(None), SystemClock)
    assert isinstance(clock_from_env(""), SystemClock)


def test_naive_time_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    assert parse_instant("2026-07-01T12:00") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_bad_recall_now() -> None:
    with pytest.raises(ClockError, match="RECALL_NOW='yesterday' is not an ISO 8601 time"):
        clock_from_env("yesterday")


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_day_starts_at_the_rollover_hour() -> None:
    start, end = day_bounds(datetime(2026, 11, 27, 3, 59, tzinfo=UTC), 4)
    assert (start, end) == (
        datetime(2026, 11, 26, 4, tzinfo=UTC),
        datetime(2026, 11, 27, 4, tzinfo=UTC),
    )
    start, _ = day_bounds(datetime(2026, 11, 27, 4, 0, tzinfo=UTC), 4)
    assert start == datetime(2026, 11, 27, 4, tzinfo=UTC)


def test_day_follows_local_time_across_daylight_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    # Clocks go forward at 01:00 UTC on 29 March 2026, so the review day that began at 04:00
    # GMT on the 28th ends at 04:00 BST (03:00 UTC) on the 29th: 23 hours.
    start, end = day_bounds(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 4)
    assert start == datetime(2026, 3, 28, 4, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 3, tzinfo=UTC)
    assert (end - start).total_seconds() == 23 * 3600
