"""Time, injected.

Holds :class:`Clock` (the protocol every service receives), :class:`SystemClock`,
:class:`FixedClock` and :func:`clock_from_env`, which pins the clock from ``RECALL_NOW``.
Every datetime handed out is timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from recall1924.errors import ClockError


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests, scripts and demos."""

    def __init__(self, at: datetime) -> None:
        self._at = to_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at``."""
        self._at = to_utc(at)


def to_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive datetime is taken as local time."""
    return moment.astimezone(UTC)


# RECALL_NOW is limited to years in which all of recall's date arithmetic works: the review
# day needs local time (platform-dependent before 1970) and a card may fall due up to
# maximum_interval (36,500 days) later, which must still be before year 10000.
FIRST_YEAR = 1971
LAST_YEAR = 9000


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time into UTC (naive means local time).

    Raises:
        ClockError: if ``text`` is not ISO 8601, or not in the years
            :data:`FIRST_YEAR` to :data:`LAST_YEAR`.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(
            f"RECALL_NOW={text!r} is not an ISO 8601 time (e.g. 2026-11-27T09:00:00+00:00)"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ClockError(
            f"RECALL_NOW={text!r} is out of range: recall works with times in the years "
            f"{FIRST_YEAR} to {LAST_YEAR}"
        )
    return to_utc(moment)


def clock_from_env(value: str | None) -> Clock:
    """The clock for a command: pinned by ``RECALL_NOW`` when it is set, else the real one."""
    if value:
        return FixedClock(parse_instant(value))
    return SystemClock()


def iso(moment: datetime | None) -> str | None:
    """A time as recall's JSON writes it: ISO 8601 in UTC to the second, ``Z`` for UTC."""
    if moment is None:
        return None
    # isoformat, not strftime: five times faster over a whole collection
    return moment.astimezone(UTC).isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


def review_date(at: datetime, starts_at: int) -> date:
    """The review day holding ``at``: its local date, the day before until ``starts_at`` o'clock,
    so a late-night session still counts for the day before. Local time is the machine's
    (``TZ``)."""
    local = at.astimezone()
    day = local.date()
    return day - timedelta(days=1) if local.hour < starts_at else day


def day_start(day: date, starts_at: int) -> datetime:
    """When review day ``day`` begins (local ``starts_at`` o'clock), in UTC.

    If the clocks skip that hour that day (a spring daylight-saving change), the day begins
    when they land, at the first moment after the gap; if they repeat it, at its first pass.
    """
    wall = datetime.combine(day, time(starts_at))
    start = wall.astimezone(UTC)
    if start.astimezone().replace(tzinfo=None) != wall:  # skipped: the gap's far side
        start = wall.replace(fold=1).astimezone(UTC)
    return start


def day_bounds(now: datetime, starts_at: int) -> tuple[datetime, datetime]:
    """The review day containing ``now``: its start and end in UTC (across a daylight-saving
    change the day is 23 or 25 hours long)."""
    day = review_date(now, starts_at)
    return day_start(day, starts_at), day_start(day + timedelta(days=1), starts_at)
