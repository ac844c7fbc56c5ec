"""The ``timezone`` setting: the zone review days are counted in, on both stores.

Review days are local. Before the setting they were counted in the process's zone (``TZ``,
SQLite's ``'localtime'``), which a server cannot know; now the setting names the zone (an IANA
name), the machine's by default, and Python, SQLite and PostgreSQL all count in it. The stats'
day grouping is checked here in zones with daylight saving, across their autumn change, with
answers and due times half a minute either side of local midnight and of the day's start on
the days around it, against an oracle that reads the wall clock with ``zoneinfo`` alone.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924 import clock
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.importing import import_deck
from recall1924.location import DatabaseLocation
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.settings import Settings, parse_value
from recall1924.store import Store, dialect
from recall1924.store.zone import review_days

# Where each zone's clocks go back in 2026 (UTC): the day grouping is checked around it.
CHANGES = {
    "UTC": datetime(2026, 11, 1, 6, tzinfo=UTC),
    "America/New_York": datetime(2026, 11, 1, 6, tzinfo=UTC),
    "Europe/London": datetime(2026, 10, 25, 1, tzinfo=UTC),
}
STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def recall(*args: str, now: datetime = NOW, tz: str = "UTC") -> Any:
    """``recall ARGS`` with the process in zone ``tz``."""
    os.environ["TZ"] = tz  # the autouse fixture puts it back to UTC
    result = CliRunner().invoke(
        app, list(args), env={"RECALL_NOW": now.isoformat()}, catch_exceptions=False
    )
    return result


def review_day(at: datetime, zone: str, starts: int) -> date:
    """The oracle: the wall clock's date ``starts`` hours earlier, by zoneinfo alone."""
    return (at.astimezone(ZoneInfo(zone)) - timedelta(hours=starts)).date()


def edges(zone: str, starts: int) -> list[datetime]:
    """Half a minute either side of local midnight and of the day's start, on the days around
    the change, and a minute either side of the change itself."""
    local = ZoneInfo(zone)
    change_day = CHANGES[zone].astimezone(local).date()
    found = {CHANGES[zone] - timedelta(minutes=1), CHANGES[zone] + timedelta(minutes=1)}
    for offset in (-1, 0, 1):
        day = change_day + timedelta(days=offset)
        for hour in {0, starts}:
            wall = datetime(day.year, day.month, day.day, hour, tzinfo=local)
            for seconds in (-30, 30):
                found.add((wall + timedelta(seconds=seconds)).astimezone(UTC))
    return sorted(found)


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'zone.db'}"


def fill(location: str, zone: str, starts: int) -> tuple[list[datetime], list[datetime]]:
    """One card answered at each edge (due months later), and one answered long before and
    due at each edge: the answers' and the due times."""
    answered, due = edges(zone, starts), edges(zone, starts)
    change = CHANGES[zone]
    store = Store.open(DatabaseLocation.parse(location), NOW)
    try:
        keys = [f"a{n}" for n in range(len(answered))] + [f"d{n}" for n in range(len(due))]
        import_deck(store, make_deck("zone", {"s": keys}), now=change - timedelta(days=120))
        ids = store.card_ids(keys)
        times = [(at, change + timedelta(days=200)) for at in answered]
        times += [(change - timedelta(days=100), at) for at in due]
        for key, (at, until) in zip(keys, times, strict=True):
            after = MemoryState(State.Review, None, 5.0, 5.0, until, at)
            store.record_answer(
                ids[key],
                before=store.card(ids[key]).memory,
                after=after,
                rating=Rating.Good,
                at=at,
                duration_ms=1000,
            )
    finally:
        store.close()
    return answered, due


@pytest.mark.parametrize(
    ("zone", "starts", "how"),
    [
        ("UTC", 4, "setting"),
        ("America/New_York", 0, "setting"),
        ("America/New_York", 4, "setting"),
        ("America/New_York", 4, "machine"),
        ("Europe/London", 0, "setting"),
        ("Europe/London", 4, "setting"),
        ("Europe/London", 4, "machine"),
    ],
)
def test_stats_count_each_answer_and_due_card_on_its_local_review_day(
    location: str, zone: str, starts: int, how: str
) -> None:
    # "setting": the zone is named and the process is elsewhere (Tokyo), which must not count;
    # "machine": no setting, and the process's zone (TZ) is the machine's.
    tz = "Asia/Tokyo" if how == "setting" else zone
    answered, due = fill(location, zone, starts)
    assert recall("config", "set", "day_starts_at", str(starts), "--db", location).exit_code == 0
    if how == "setting":
        assert recall("config", "set", "timezone", zone, "--db", location).exit_code == 0
    change = CHANGES[zone]

    after = recall("stats", "--json", "--db", location, now=change + timedelta(days=3), tz=tz)
    assert after.exit_code == 0, after.stderr
    heatmap = {day["date"]: day["reviews"] for day in json.loads(after.stdout)["heatmap"]}
    expected = Counter(review_day(at, zone, starts).isoformat() for at in answered)
    assert {day: n for day, n in heatmap.items() if n} == dict(expected)

    now = change - timedelta(days=3)
    before = recall("stats", "--json", "--db", location, now=now, tz=tz)
    assert before.exit_code == 0, before.stderr
    forecast = {day["date"]: day["due"] for day in json.loads(before.stdout)["forecast"]}
    expected = Counter(review_day(at, zone, starts).isoformat() for at in due)
    assert {day: n for day, n in forecast.items() if n} == dict(expected)
    # Midnight and the day's start half a minute either side: never all on one day.
    assert len(expected) > 1


def test_a_time_zone_is_set_by_its_iana_name_and_shown(db_location: str | Path) -> None:
    assert recall("config", "set", "timezone", "Europe/London").exit_code == 0
    shown = json.loads(recall("config", "--json").stdout)
    assert shown["timezone"] == "Europe/London"
    assert recall("config", "set", "timezone", "LOCAL").exit_code == 0
    assert json.loads(recall("config", "--json").stdout)["timezone"] == "local"


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "", "Europe/"])
def test_a_name_that_is_no_zone_is_one_line_and_nothing_is_saved(
    db_location: str | Path, bad: str
) -> None:
    result = recall("config", "set", "timezone", bad)
    assert result.exit_code != 0
    assert result.stderr.count("\n") == 1
    assert "expected an IANA time zone name such as Europe/London" in result.stderr
    assert json.loads(recall("config", "--json").stdout)["timezone"] == "local"


def test_a_deck_cannot_have_a_zone_of_its_own(db_location: str | Path) -> None:
    result = recall("config", "set", "--deck", "stalin-1924", "timezone", "UTC")
    assert result.exit_code != 0
    assert "applies to every deck" in result.stderr


def test_a_command_counts_in_the_setting_and_the_zone_ends_with_it(store: Store) -> None:
    store.save_setting("timezone", "Asia/Kathmandu")
    opened = App(store.location, FixedClock(NOW))
    try:
        opened.settings  # noqa: B018 - reading them names the zone
        assert clock.review_zone() == ZoneInfo("Asia/Kathmandu")
        # 18:14 UTC is 00:00 in Kathmandu (+05:45): the 28th's review day at day start 0.
        assert clock.review_date(datetime(2026, 11, 27, 18, 15, tzinfo=UTC), 0) == date(
            2026, 11, 28
        )
    finally:
        opened.close()
    assert clock.review_zone() == ZoneInfo("UTC")  # the machine's (TZ) again


def _name(zone: tzinfo) -> str | None:
    """The zone's IANA name, None for a zone read from a file no name leads to."""
    return "UTC" if zone is UTC else getattr(zone, "key", None)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        (":Europe/Paris", "Europe/Paris"),
        ("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo"),
        ("Not/A_Zone", "UTC"),
        ("", "UTC"),
    ],
)
def test_the_machines_zone_is_found_by_name_from_tz(
    monkeypatch: pytest.MonkeyPatch, tz: str, expected: str
) -> None:
    monkeypatch.setenv("TZ", tz)
    assert _name(clock.machine_zone()) == expected


def test_without_tz_the_machines_zone_is_the_one_etc_localtime_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    localtime = Path("/etc/localtime")
    if not localtime.is_symlink():
        pytest.skip("/etc/localtime is not a link to a named zone here")
    monkeypatch.delenv("TZ")
    target = str(localtime.resolve())
    assert _name(clock.machine_zone()) == target[target.rindex("zoneinfo/") + 9 :]


def test_a_zone_without_a_name_is_read_by_its_offsets_on_both_databases() -> None:
    # A server is given the zone's offsets, as SQLite is, not its name (store/zone.py).
    clock.use_zone(timezone(timedelta(hours=5)))  # a zone without a name
    try:
        sql, params = review_days("last_review", date(2026, 11, 27), 4, name=dialect.POSTGRESQL)
        assert "INTERVAL '+18000 seconds'" in sql and params["horizon"] == "2026-11-27"
        sql, params = review_days("last_review", date(2026, 11, 27), 4, name=dialect.SQLITE)
        assert "'+18000 seconds'" in sql and params["horizon"] == "2026-11-27"
    finally:
        clock.use_zone(None)


def test_the_setting_reads_back_as_stored() -> None:
    assert parse_value("timezone", " America/New_York ") == "America/New_York"
    assert Settings.from_stored({}).timezone == "local"
    assert Settings.from_stored({"timezone": "Asia/Kathmandu"}).timezone == "Asia/Kathmandu"
    settings, problems = Settings.load({"timezone": "Atlantis/Capital"})
    assert settings.timezone == "local" and "timezone" in problems[0]


def test_offsets_are_found_at_every_change_to_the_second() -> None:
    zone = ZoneInfo("Europe/London")
    found = clock.utc_offsets(
        zone, datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert found == (
        (datetime(2025, 1, 1, tzinfo=UTC), 0),
        (datetime(2025, 3, 30, 1, tzinfo=UTC), 3600),
        (datetime(2025, 10, 26, 1, tzinfo=UTC), 0),
        (datetime(2026, 3, 29, 1, tzinfo=UTC), 3600),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 0),
    )


@pytest.mark.parametrize(
    "zone", ["America/St_Johns", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kathmandu"]
)
def test_offsets_are_every_change_of_zones_that_change_off_the_hour(zone: str) -> None:
    # St John's changed at 00:01 local until 2011, Lord Howe moves by half an hour, Sao Paulo
    # had two changes a week apart in 1999 and stopped in 2019, Kathmandu moved 15 minutes.
    local = ZoneInfo(zone)
    since, until = datetime(1985, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)
    found = clock.utc_offsets(local, since, until)
    for (_, before), (at, after) in zip(found, found[1:], strict=False):
        assert (at - timedelta(seconds=1)).astimezone(local).utcoffset() == timedelta(
            seconds=before
        )
        assert at.astimezone(local).utcoffset() == timedelta(seconds=after) != before
    hour, index = since, 0
    while hour < until:  # none missed: each 6 hours' offset is the one the list gives
        while index + 1 < len(found) and found[index + 1][0] <= hour:
            index += 1
        assert hour.astimezone(local).utcoffset() == timedelta(seconds=found[index][1]), hour
        hour += timedelta(hours=6)
