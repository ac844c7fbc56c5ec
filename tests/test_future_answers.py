"""Answers stamped in the future (a clock set wrong when they were given, or ``RECALL_NOW``
later than now) count on their own review day, never on today's: in stats, the glance, the
daily limits of a review, the heatmap and streak, and retention.

Through the real commands (typer's CliRunner): answers are given with ``recall review`` under
one ``RECALL_NOW`` and read back under an earlier one, as a student whose clock was wrong sees
them.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import make_deck
from recall1924.cli import app
from recall1924.clock import day_bounds
from recall1924.importing import import_deck
from recall1924.scheduling import Rating
from recall1924.store import Scope, Store
from test_stats import give

runner = CliRunner()
TODAY = "2026-11-27T09:00:00+00:00"
LATER_TODAY = "2026-11-27T20:00:00+00:00"
IN_FIVE_DAYS = "2026-12-02T09:00:00+00:00"


def recall(*args: str, now: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input, env={"RECALL_NOW": now})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def stats_json(now: str) -> dict[str, Any]:
    return json.loads(recall("stats", "--json", now=now))  # type: ignore[no-any-return]


def answer_new_cards(count: int, *, now: str, rating: str = "3") -> None:
    out = recall("review", now=now, input=f" {rating}" * count + "q")
    assert re.search(rf"Session: {count} answers? on {count} cards? ", out), out


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Kolkata"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Review days are local: check the bounds away from UTC too (New York is behind it,
    Kolkata ahead by a half hour)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    return str(request.param)


def test_answers_on_a_later_day_are_not_todays(local_zone: str) -> None:
    answer_new_cards(6, now=IN_FIVE_DAYS)
    assert stats_json(TODAY)["totals"]["reviews_today"] == 0
    # On their own day they do count.
    assert stats_json(IN_FIVE_DAYS)["totals"]["reviews_today"] == 6


def test_the_stats_table_and_the_glance_say_none_today() -> None:
    recall("review", now=TODAY, input="q")  # the bundled deck, imported today
    answer_new_cards(6, now=IN_FIVE_DAYS)
    table = " ".join(recall("stats", now=TODAY).split())
    assert "today 0 answers mastery" in table
    glance = " ".join(recall(now=TODAY).split())
    # new_per_day is 20: none of it was used today.
    assert "To do today: 0 reviews, 0 learning, 20 new." in glance


def test_answers_on_a_later_day_do_not_use_up_todays_new_cards() -> None:
    recall("config", "set", "new_per_day", "3", now=TODAY)
    answer_new_cards(3, now=IN_FIVE_DAYS)
    out = recall("review", now=TODAY, input=" 3 3 3q")
    assert "Session: 3 answers on 3 cards" in out


def test_answers_on_a_later_day_do_not_use_up_todays_reviews() -> None:
    recall("config", "set", "new_per_day", "4", now=TODAY)
    recall("config", "set", "reviews_per_day", "2", now=TODAY)
    answer_new_cards(4, now=TODAY, rating="4")  # Easy: four review cards, due in a week or so
    # Two of them reviewed "a month later", by a wrong clock: that day's allowance is used up.
    month_later = "2026-12-27T09:00:00+00:00"
    out = recall("review", now=month_later, input=" 3 3q")
    assert "left 6 (4 new, 2 due)" in out
    assert "To do today: 0 reviews, 0 learning, 4 new." in " ".join(recall(now=month_later).split())
    # The day before, the other two are due and none of that day's allowance was used.
    day_before = "2026-12-26T09:00:00+00:00"
    assert stats_json(day_before)["totals"]["reviews_today"] == 0
    assert "To do today: 2 reviews, 0 learning, 4 new." in " ".join(recall(now=day_before).split())
    out = recall("review", now=day_before, input=" 3 3q")
    assert "left 6 (4 new, 2 due)" in out and "Session: 2 answers on 2 cards" in out


def test_deck_limits_count_only_todays_answers() -> None:
    # A deck's own limit goes through the per-deck count, not the collection's.
    recall("config", "set", "--deck", "stalin-1924", "new_per_day", "2", now=TODAY)
    answer_new_cards(2, now=IN_FIVE_DAYS)
    out = recall("review", now=TODAY, input=" 3 3q")
    assert "Session: 2 answers on 2 cards" in out


def test_answers_later_today_count_today_everywhere() -> None:
    """Answers stamped later the same review day belong to today: the count, the heatmap
    and the streak agree on them."""
    answer_new_cards(4, now=LATER_TODAY)
    data = stats_json(TODAY)
    assert data["totals"]["reviews_today"] == 4
    assert data["heatmap"][-1]["date"] == "2026-11-27"
    assert data["heatmap"][-1]["reviews"] == 4
    assert data["streak"] == 1
    assert " ".join(recall("stats", now=TODAY).split()).count("today 4 answers") == 2


def test_answers_on_a_later_day_are_not_in_the_heatmap_or_the_streak() -> None:
    answer_new_cards(2, now="2026-11-26T09:00:00+00:00")
    answer_new_cards(2, now="2026-11-28T09:00:00+00:00")  # tomorrow: not yet
    data = stats_json(TODAY)
    assert data["heatmap"][-1]["date"] == "2026-11-27"
    assert [day["reviews"] for day in data["heatmap"][-2:]] == [2, 0]
    assert sum(day["reviews"] for day in data["heatmap"]) == 2
    assert data["streak"] == 1  # yesterday's, still standing while today is open


def test_retention_leaves_out_answers_on_a_later_day() -> None:
    recall("config", "set", "new_per_day", "1", now=TODAY)
    answer_new_cards(1, now=TODAY, rating="4")  # a review card
    answer_new_cards(1, now="2026-12-27T09:00:00+00:00", rating="1")  # forgotten "later"
    totals = stats_json("2026-12-26T09:00:00+00:00")["totals"]
    assert totals["retention"] is None  # no answer to a review card yet, that day
    assert stats_json("2026-12-27T09:00:00+00:00")["totals"]["retention"] == 0.0


def test_the_store_counts_a_day_from_its_start_to_its_end(store: Store) -> None:
    """The bounds themselves: an answer at the day's end is the next day's."""
    import_deck(store, make_deck(), now=datetime(2026, 11, 27, 9, tzinfo=UTC))
    start, end = datetime(2026, 11, 27, 4, tzinfo=UTC), datetime(2026, 11, 28, 4, tzinfo=UTC)
    give(store, "a", Rating.Good, start)
    give(store, "b", Rating.Good, end - timedelta(seconds=1))
    give(store, "c", Rating.Good, end)
    assert store.day_counts(start, Scope(), day_end=end).answers == 2
    assert store.day_counts(start, day_end=end).new_introduced == 2
    # Without an end, the day that starts at ``start``.
    assert store.day_counts(start).answers == 2
    activity = store.activity(since=start, until=end, day_starts_at=4)
    assert [(day.day, day.reviews) for day in activity] == [(date(2026, 11, 27), 2)]


def test_a_day_that_the_clocks_shorten_ends_when_the_next_one_starts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an end, the store takes the next day's start: 23 hours on, where the clocks
    go forward (London, 29 March 2026, at 01:00)."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    import_deck(store, make_deck(), now=datetime(2026, 3, 28, 9, tzinfo=UTC))
    start, end = day_bounds(datetime(2026, 3, 28, 12, tzinfo=UTC), 4)
    assert end - start == timedelta(hours=23)
    give(store, "a", Rating.Good, end - timedelta(seconds=1))
    give(store, "b", Rating.Good, end)  # 04:00 BST on the 29th: the next review day
    assert store.day_counts(start).answers == store.day_counts(start, day_end=end).answers == 1
