"""Time, injected, and the zone review days are counted in.

Holds :class:`Clock` (the protocol every service receives), :class:`SystemClock`,
:class:`FixedClock` and :func:`clock_from_env`, which pins the clock from ``RECALL_NOW``.
Every datetime handed out is timezone-aware UTC.

The review day (:func:`review_date`, :func:`day_start`) is local: it is counted in
:func:`review_zone`, the zone of the ``timezone`` setting (an IANA name, which PostgreSQL
needs to count days in SQL), or by default this machine's (:func:`machine_zone`). A command
names it once, when it reads its settings (:func:`use_zone`), so that Python and both stores'
SQL count the same days.
"""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recall1924.errors import ClockError


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


def whole_milliseconds(moment: datetime) -> datetime:
    """``moment`` truncated to its millisecond: the precision recall stores a time in (Anki's
    too; ``db.UTCMillis``, ``db.UTCDateTime``), so that a time read back from one column equals
    the same time read from another, and a time kept in memory equals itself read back."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class SystemClock:
    """The real time, to the millisecond (:func:`whole_milliseconds`)."""

    def now(self) -> datetime:
        return whole_milliseconds(datetime.now(UTC))


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


LOCAL = "local"
"""The ``timezone`` setting that means this machine's zone (:func:`machine_zone`)."""

_ZONEINFO = "zoneinfo/"

_zone: tzinfo | None = None
"""The zone :func:`use_zone` named for this command; None: the machine's, looked up each time."""


def zone_named(name: str) -> tzinfo:
    """The zone a ``timezone`` setting names: :data:`LOCAL` (this machine's), or an IANA name.

    Raises:
        ValueError: ``name`` is neither, in the user's words.
    """
    if name == LOCAL:
        return machine_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"expected an IANA time zone name such as Europe/London, or {LOCAL!r} for this "
            "machine's"
        ) from None


def use_zone(zone: tzinfo | None) -> None:
    """Count review days in ``zone`` from now on (a command, from its settings); None: in the
    machine's zone again, as when the command ends."""
    global _zone
    _zone = zone


def review_zone() -> tzinfo:
    """The zone review days are counted in: the one :func:`use_zone` named, else this
    machine's."""
    return _zone if _zone is not None else machine_zone()


def machine_zone() -> tzinfo:
    """This machine's zone, as the C library finds it, by name where it can be named: ``TZ``
    (a name, ``:name``, or a zone file's path), else the zone ``/etc/localtime`` links to (or
    ``/etc/timezone`` names, or that file itself, nameless), else UTC. A ``TZ`` that is none
    of those (a POSIX rule such as ``CET-1CEST``) is read as UTC: name the zone in the
    ``timezone`` setting instead."""
    return _machine_zone(os.environ.get("TZ"))


@lru_cache(maxsize=16)
def _machine_zone(tz: str | None) -> tzinfo:
    if tz is not None:
        return _zone_of(tz.removeprefix(":")) or _utc()
    localtime = Path("/etc/localtime")
    named = _zone_of(str(localtime.resolve())) if localtime.is_symlink() else None
    if named is None:
        with suppress(OSError, ValueError):
            named = _zone_of(Path("/etc/timezone").read_text().strip())
    if named is None and localtime.is_file():
        with suppress(OSError, ValueError), localtime.open("rb") as file:
            named = ZoneInfo.from_file(file)
    return named or _utc()


def _zone_of(text: str) -> tzinfo | None:
    """The zone ``text`` names (an IANA name, or the path of one in a zone folder)."""
    if _ZONEINFO in text:
        text = text[text.rindex(_ZONEINFO) + len(_ZONEINFO) :]
    if not text or text.startswith("/"):
        return None
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _utc() -> tzinfo:
    try:
        return ZoneInfo("UTC")
    except ZoneInfoNotFoundError:  # no zone database at all: still a named zone
        return UTC


def review_date(at: datetime, starts_at: int) -> date:
    """The review day holding ``at``: its local date (in :func:`review_zone`), the day before
    until ``starts_at`` o'clock, so a late-night session still counts for the day before."""
    local = at.astimezone(review_zone())
    day = local.date()
    return day - timedelta(days=1) if local.hour < starts_at else day


def day_start(day: date, starts_at: int) -> datetime:
    """When review day ``day`` begins (local ``starts_at`` o'clock, in :func:`review_zone`),
    in UTC.

    If the clocks skip that hour that day (a spring daylight-saving change), the day begins
    when they land, at the first moment after the gap; if they repeat it, at its first pass.
    """
    zone = review_zone()
    wall = datetime.combine(day, time(starts_at))
    passes = [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    shown = [moment for moment in passes if moment.astimezone(zone).replace(tzinfo=None) == wall]
    if shown:
        return min(shown)
    # In the gap: between the two readings of the wall time lies the moment the clocks jump
    # past it (a whole number of seconds, as every zone's changes are).
    early, late = min(passes), max(passes)
    while late - early > timedelta(seconds=1):
        middle = (early + (late - early) / 2).replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            late = middle
        else:
            early = middle
    return late


def day_bounds(now: datetime, starts_at: int) -> tuple[datetime, datetime]:
    """The review day containing ``now``: its start and end in UTC (across a daylight-saving
    change the day is 23 or 25 hours long)."""
    day = review_date(now, starts_at)
    return day_start(day, starts_at), day_start(day + timedelta(days=1), starts_at)


_QUARTER = 900

_OFFSET_STEP = 3 * 86400
"""How far apart (seconds) :func:`utc_offsets` looks: less than half the shortest time between
two changes of any zone since 1971 (7 days, Brazil's in 1999), so that none is missed."""


def utc_offsets(zone: tzinfo, since: datetime, until: datetime) -> tuple[tuple[datetime, int], ...]:
    """``zone``'s offsets from UTC (whole seconds) from ``since`` to ``until``, oldest first,
    each with the moment it begins (the first: ``since``, to the second): for SQL with no
    zones of its own (SQLite has only the C library's) to read a stored time's local time by.
    A few milliseconds for a century; kept for the next statement."""
    return _utc_offsets(zone, int(since.timestamp()), int(until.timestamp()))


@lru_cache(maxsize=64)
def _utc_offsets(zone: tzinfo, since: int, until: int) -> tuple[tuple[datetime, int], ...]:
    stamp = datetime.fromtimestamp
    first = stamp(since, zone).utcoffset()
    found: list[tuple[int, timedelta | None]] = [(since, first)]
    before, offset = since, first
    # The loop is the cost (a century: 12,000 looks, a few ms), so it is kept bare.
    for after in [*range(since + _OFFSET_STEP, until, _OFFSET_STEP), until]:
        now = stamp(after, zone).utcoffset()
        if now != offset:
            found.append((_change(zone, before, after, _seconds(now)), now))
            offset = now
        before = after
    return tuple((datetime.fromtimestamp(at, UTC), _seconds(offset)) for at, offset in found)


def _seconds(offset: timedelta | None) -> int:
    assert offset is not None
    return int(offset.total_seconds())


def _offset(zone: tzinfo, at: int) -> int:
    return _seconds(datetime.fromtimestamp(at, zone).utcoffset())


def _change(zone: tzinfo, before: int, after: int, offset: int) -> int:
    """The first second after ``before`` with ``after``'s ``offset`` (changes are on whole
    seconds in every zone, and on a quarter of an hour in nearly all)."""
    quarters = before // _QUARTER, -(-after // _QUARTER)  # whole quarters around the change
    low, high = quarters
    while high - low > 1:  # the first quarter past the change
        middle = (low + high) // 2
        if _offset(zone, max(before, middle * _QUARTER)) == offset:
            high = middle
        else:
            low = middle
    end = min(after, high * _QUARTER)
    if end - 1 <= before or _offset(zone, end - 1) != offset:
        return end
    start = max(before, end - _QUARTER)
    while end - start > 1:  # not on a quarter: to the second
        middle = (start + end) // 2
        if _offset(zone, middle) == offset:
            end = middle
        else:
            start = middle
    return end
