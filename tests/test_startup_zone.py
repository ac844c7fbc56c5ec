"""The review days' SQL on SQLite for a zone of one offset (UTC, most machines and every
benchmark) skips the century of look-ups for clock changes (4.5 ms of every glance): the
statement and what it binds are the ones the look-ups give, for zones of one offset and of
several alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from recall1924 import clock
from recall1924.store import zone as store_zone
from recall1924.store.dialect import SQLITE
from recall1924.store.zone import review_days

DAY = date(2026, 11, 27)
ONE_OFFSET = ["UTC", "Etc/UTC", "Etc/GMT+5", "Etc/GMT-14"]
CHANGING = ["Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe"]


@pytest.fixture
def in_zone() -> Iterator[None]:
    yield
    clock.use_zone(None)


def looked_up(day_starts_at: int) -> tuple[str, dict[str, object]]:
    """The statement as the look-ups make it, the fast way turned off."""
    real = store_zone.clock.review_zone
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_zone.clock, "review_zone", lambda: _Changing(real()))
        return review_days("last_review", DAY, day_starts_at, name=SQLITE)


class _Changing(tzinfo):
    """A zone that will not say its offset for no moment, as if it changed its clocks."""

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None if moment is None else self._zone.utcoffset(moment)

    def dst(self, moment: datetime | None) -> timedelta | None:
        return self._zone.dst(moment)

    def fromutc(self, moment: datetime) -> datetime:
        return self._zone.fromutc(moment.replace(tzinfo=self._zone)).replace(tzinfo=self)


@pytest.mark.parametrize("name", ONE_OFFSET + CHANGING)
@pytest.mark.parametrize("day_starts_at", [0, 4])
def test_the_statement_is_the_looked_up_ones(name: str, day_starts_at: int, in_zone: None) -> None:
    clock.use_zone(ZoneInfo(name))
    assert review_days("last_review", DAY, day_starts_at, name=SQLITE) == looked_up(day_starts_at)


@pytest.mark.parametrize("name", ONE_OFFSET)
def test_a_zone_of_one_offset_looks_for_no_change(
    name: str, in_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.use_zone(ZoneInfo(name))

    def refused(*_args: object) -> None:
        raise AssertionError("looked for clock changes")

    monkeypatch.setattr(store_zone.clock, "utc_offsets", refused)
    sql, _params = review_days("last_review", DAY, 4, name=SQLITE)
    assert "CASE WHEN" not in sql  # one offset for every stored time
    clock.use_zone(ZoneInfo("Europe/Berlin"))
    with pytest.raises(AssertionError):
        review_days("last_review", DAY, 4, name=SQLITE)
