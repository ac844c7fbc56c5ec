"""The injected clock, RECALL_NOW, and where a review day starts and ends."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from recall1924.cli import app
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


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01",
        "0001-01-01T00:00:00+01:00",
        "1970-12-31T23:59:59+00:00",
        "9001-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
    ],
)
def test_recall_now_outside_the_years_recall_can_count_in(text: str) -> None:
    with pytest.raises(ClockError, match="is out of range: .* years 1971 to 9000"):
        clock_from_env(text)


# Through the real command: no traceback, one line, a non-zero exit. Both ends of the range
# work, in time zones on either side of UTC (local time decides the review day).
@pytest.mark.parametrize("now", ["0001-01-01", "1970-06-01T12:00", "9999-12-31T00:00:00+00:00"])
@pytest.mark.parametrize("command", [["stats"], ["review"], []])
def test_recall_now_out_of_range_is_one_line(now: str, command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env={"RECALL_NOW": now}, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr == (
        f"recall: RECALL_NOW={now!r} is out of range: recall works with times in the years "
        "1971 to 9000\n"
    )


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("now", ["1971-01-01T00:00:00", "9000-12-31T23:59:59"])
def test_recall_works_at_both_ends_of_the_range(
    zone: str, now: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    runner = CliRunner()
    env = {"RECALL_NOW": now}
    for command in ("decks", "stats", "config"):
        result = runner.invoke(app, [command], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    # The longest interval after the latest day still fits in a datetime.
    runner.invoke(app, ["config", "set", "learning_steps", "36500d"], catch_exceptions=False)
    result = runner.invoke(app, ["review"], input=" 4 3 1 q", env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "Session: 3 answers" in result.stdout


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
