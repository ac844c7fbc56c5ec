"""The review day's zone as the store's SQL reads it, and times bound as each database compares
them.

Holds :func:`review_days` (the SQL for whole review days from a stored time to a horizon day,
with what it binds) and :func:`time_param`. The zone is the command's
(:func:`recall1924.clock.review_zone`, from the ``timezone`` setting), the one Python counts
review days in, so both agree: each database is given its offsets from UTC
(:func:`recall1924.clock.utc_offsets`), SQLite because its only zone is the C library's,
PostgreSQL because adding an offset costs a row far less than converting it by the zone's name,
and its zone database may not be Python's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from recall1924 import clock
from recall1924.store.base import sql_time
from recall1924.store.dialect import POSTGRESQL, Name, review_day_shift, review_days_to

__all__ = ["review_days", "time_param"]

_CENTURY = timedelta(days=36525)
_EARLIEST = datetime(clock.FIRST_YEAR, 1, 1, tzinfo=UTC)


def review_days(
    column: str,
    horizon_day: date,
    day_starts_at: int,
    *,
    name: Name,
    literal: bool = False,
) -> tuple[str, dict[str, Any]]:
    """SQL for the whole review days from the one holding the stored time ``column`` to
    ``horizon_day`` (:func:`~recall1924.store.dialect.review_days_to`), and the parameters it
    binds (``horizon``, ``shift``).

    ``literal``: the values written into the SQL instead, and no parameters, for a clause
    that a query of its own builds on (a search term).

    The zone's offsets cover the century before the horizon (not before 1971, the first year
    recall's clock takes): a stored time before that is read at its first offset.
    """
    until = clock.day_start(horizon_day + timedelta(days=2), day_starts_at)
    params: dict[str, Any] = {
        "horizon": horizon_day.isoformat(),
        "shift": review_day_shift(day_starts_at, name=name),
    }
    since = max(_EARLIEST, until - _CENTURY)
    zone = clock.review_zone()
    fixed = zone.utcoffset(None)
    if fixed is not None:
        # A zone of one offset (UTC, Etc/GMT+5: zoneinfo answers for no moment only
        # then): no century of look-ups for changes it has none of (5 ms a statement).
        offsets: tuple[tuple[str, int], ...] = ((sql_time(since), int(fixed.total_seconds())),)
    else:
        offsets = tuple(
            (sql_time(at), offset) for at, offset in clock.utc_offsets(zone, since, until)
        )
    if not literal:
        return review_days_to(column, offsets=offsets, name=name), params
    written = {key: "'" + str(value).replace("'", "''") + "'" for key, value in params.items()}
    sql = review_days_to(column, written["horizon"], written["shift"], offsets=offsets, name=name)
    return sql, {}


def time_param(moment: datetime, *, name: Name) -> str | datetime:
    """``moment`` bound to compare with stored times, or to subtract from them: SQLite's
    stored text (:func:`~recall1924.store.base.sql_time`); PostgreSQL's naive UTC
    ``timestamp`` (an aware one goes as ``timestamptz``, which the server would read in its
    own zone)."""
    if name == POSTGRESQL:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return sql_time(moment)
