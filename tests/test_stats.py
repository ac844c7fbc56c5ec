"""Stats: mastery at the horizon, true retention (young and mature), forecast, history, streak
and the JSON shape, checked against figures computed here from the FSRS formula and the raw
review log, never against the code's own output."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import text

from conftest import NOW, make_deck
from recall1924.clock import review_date as clock_review_date
from recall1924.db import to_millis
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, Rating, State, answer, decay_of
from recall1924.stats import build_report
from recall1924.store import Scope, Store

DECAY = decay_of(Scheduler())
DAY_STARTS_AT = 4
SCHEDULER = Scheduler(enable_fuzzing=False)


def fsrs_recall(days: int, stability: float) -> float:
    """R = (1 + factor * t / S) ^ -decay, with fsrs's own decay (its last parameter)."""
    decay = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (1 / -decay) - 1
    return float((1 + factor * days / stability) ** -decay)


def review_date(moment: datetime) -> date:
    """The review day of a UTC time (the tests run in UTC), counted here by hand."""
    return (moment - timedelta(hours=DAY_STARTS_AT)).date()


def report(store: Store, at: datetime = NOW, **options):  # type: ignore[no-untyped-def]
    return build_report(store, now=at, decay=DECAY, day_starts_at=DAY_STARTS_AT, **options)


def give(store: Store, key: str, rating: Rating, at: datetime, deck: str = "demo") -> None:
    cards = store.existing_cards(deck)
    assert cards is not None
    card_id = cards[key].id
    give_to(store, card_id, store.card(card_id).memory, rating, at)


def give_to(
    store: Store, card_id: int, before: MemoryState, rating: Rating, at: datetime
) -> MemoryState:
    """Answer through the store, as a review session does; returns the new memory state."""
    after = answer(
        SCHEDULER,
        card_id=card_id,
        memory=before,
        rating=rating,
        at=at,
        day_starts_at=DAY_STARTS_AT,
    )
    store.record_answer(card_id, before=before, after=after, rating=rating, at=at, duration_ms=6000)
    return after


def test_a_fresh_deck(demo_store: Store) -> None:
    stats = report(demo_store)
    assert stats.totals.cards == stats.totals.new == 5
    assert stats.totals.mastery == 0.0
    (deck,) = stats.decks
    assert [(s.id, s.cards, s.new, s.mastery, s.retention) for s in deck.sections] == [
        ("one", 3, 3, 0.0, None),
        ("two", 2, 2, 0.0, None),
    ]
    assert stats.horizon is not None and stats.horizon.kind == "next_day"
    assert stats.horizon.at == datetime(2026, 11, 28, 4, tzinfo=UTC)


def test_again_a_minute_ago_counts_one_review_day_at_tomorrows_start(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Again, NOW - timedelta(minutes=1))
    card = demo_store.card(demo_store.existing_cards("demo")["a"].id)  # type: ignore[index]
    assert card.memory.stability is not None
    one = report(demo_store).decks[0].sections[0]
    # Today it would count as certain (0 days since); at tomorrow's start it is one day old.
    assert one.mastery == pytest.approx(fsrs_recall(1, card.memory.stability) / 3)
    assert one.mastery < 1 / 3


def test_mastery_rises_with_reviews_and_decays_with_time(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW)
    give(demo_store, "a", Rating.Good, NOW + timedelta(minutes=10))
    now = NOW + timedelta(minutes=11)
    one = report(demo_store, now).decks[0].sections[0]
    assert (one.new, one.learning, one.review) == (2, 0, 1)
    memory = demo_store.card(demo_store.existing_cards("demo")["a"].id).memory  # type: ignore[index]
    assert memory.stability is not None
    assert one.mastery == pytest.approx(fsrs_recall(1, memory.stability) / 3)
    later = report(demo_store, now + timedelta(days=20)).decks[0].sections[0]
    assert later.mastery == pytest.approx(fsrs_recall(21, memory.stability) / 3)
    assert later.due_now == 1


def test_retention_counts_answers_to_review_cards(demo_store: Store) -> None:
    give(demo_store, "d", Rating.Easy, NOW - timedelta(days=30))  # review card, due long ago
    give(demo_store, "d", Rating.Again, NOW - timedelta(days=2))  # a lapse
    give(demo_store, "e", Rating.Easy, NOW - timedelta(days=30))
    give(demo_store, "e", Rating.Good, NOW - timedelta(days=2))  # recalled
    two = report(demo_store).decks[0].sections[1]
    assert two.retention == pytest.approx(0.5)
    assert report(demo_store).decks[0].sections[0].retention is None
    card = demo_store.card(demo_store.existing_cards("demo")["d"].id)  # type: ignore[index]
    assert card.memory.state == State.Relearning


def months_of_history(store: Store, *, days: int = 150, seed: int = 7) -> datetime:
    """Answer every card of a 3-section deck through the store, day by day, as a student
    would: the cards due that evening, each recalled with its real chance. Returns now."""
    import_deck(
        store,
        make_deck(
            "hist",
            {
                "alpha": [f"a{n}" for n in range(8)],
                "beta": [f"b{n}" for n in range(6)],
                "gamma": [f"g{n}" for n in range(5)],
            },
        ),
        now=NOW - timedelta(days=days + 1),
    )
    rng = random.Random(seed)
    cards = store.existing_cards("hist")
    assert cards is not None
    memories = {existing.id: existing.memory for existing in cards.values()}
    for offset in range(days, 0, -1):
        evening = NOW - timedelta(days=offset) + timedelta(hours=10, minutes=rng.randrange(60))
        if offset > 10 and rng.random() < 0.15:
            continue
        at = evening
        for card_id in sorted(memories):
            for _step in range(4):  # learning steps come back within the evening
                memory = memories[card_id]
                if memory.last_review is not None and memory.due > at + timedelta(minutes=30):
                    break
                at = max(at, memory.due) + timedelta(seconds=20)
                if memory.state == State.Review and memory.last_review is not None:
                    days_since = (review_date(at) - review_date(memory.last_review)).days
                    assert memory.stability is not None
                    recalled = rng.random() < fsrs_recall(days_since, memory.stability)
                    rating = rng.choice((Rating.Good, Rating.Good, Rating.Hard, Rating.Easy))
                    rating = rating if recalled else Rating.Again
                else:
                    rating = rng.choice((Rating.Good, Rating.Good, Rating.Again))
                memories[card_id] = give_to(store, card_id, memory, rating, at)
    return NOW


def test_months_of_history_mastery_and_retention_match_the_formula(store: Store) -> None:
    now = months_of_history(store)
    stats = report(store, now)
    horizon_day = review_date(datetime(2026, 11, 28, 4, tzinfo=UTC))
    cards = store.existing_cards("hist")
    assert cards is not None
    expected: dict[str, list[float]] = {}
    for existing in cards.values():
        memory = store.card(existing.id).memory
        r = 0.0
        if memory.last_review is not None:
            assert memory.stability is not None
            days = (horizon_day - review_date(memory.last_review)).days
            r = fsrs_recall(days, memory.stability)
        expected.setdefault(existing.section_key, []).append(r)
    sections = {s.id: s for s in stats.decks[0].sections}
    for key, values in expected.items():
        assert sections[key].mastery == pytest.approx(sum(values) / len(values), rel=1e-9)
    everything = [r for values in expected.values() for r in values]
    assert stats.totals.mastery == pytest.approx(sum(everything) / len(everything))

    # Young and mature true retention, from the raw log.
    counts = {"young": [0, 0], "mature": [0, 0]}
    by_id = {existing.id: existing.section_key for existing in cards.values()}
    per_section: dict[str, dict[str, list[int]]] = {}
    for log in store.answers():
        if log.state_before != 2 or log.kind != ReviewKind.Review:
            continue
        assert log.last_review_before is not None
        interval = round((log.due_before - log.last_review_before).total_seconds() / 86400)
        kind = "mature" if interval >= 21 else "young"
        for bucket in (counts, per_section.setdefault(by_id[log.card_id], {})):
            pair = bucket.setdefault(kind, [0, 0])
            pair[0] += log.rating > 1
            pair[1] += 1
    assert counts["young"][1] > 20 and counts["mature"][1] > 5  # the history has both
    assert stats.totals.retention_young == pytest.approx(counts["young"][0] / counts["young"][1])
    assert stats.totals.retention_mature == pytest.approx(counts["mature"][0] / counts["mature"][1])
    for key, bucket in per_section.items():
        if "mature" in bucket:
            recalled, attempts = bucket["mature"]
            assert sections[key].retention_mature == pytest.approx(recalled / attempts)


def test_forecast_counts_due_cards_per_review_day_with_overdue_today(store: Store) -> None:
    months_of_history(store, days=60)
    stats = report(store, full=True)
    assert len(stats.forecast) == 30
    assert stats.forecast[0].day == date(2026, 11, 27)
    cards = store.existing_cards("hist")
    assert cards is not None
    expected = [0] * 30
    for existing in cards.values():
        memory = store.card(existing.id).memory
        offset = (review_date(memory.due) - date(2026, 11, 27)).days
        if memory.last_review is not None and offset < 30:
            expected[max(0, offset)] += 1
    assert [day.count for day in stats.forecast] == expected
    assert sum(expected) > 0


def test_heatmap_minutes_and_streak(demo_store: Store) -> None:
    # Answers on the last three review days (one at 02:00, which belongs to the day before).
    give(demo_store, "a", Rating.Good, NOW - timedelta(days=2))
    give(demo_store, "b", Rating.Good, datetime(2026, 11, 26, 2, tzinfo=UTC))  # day of 25th
    give(demo_store, "c", Rating.Good, NOW - timedelta(days=1))
    # Before today's first answer, yesterday's streak still stands.
    assert report(demo_store, full=True).history.streak == 2  # type: ignore[union-attr]
    give(demo_store, "d", Rating.Good, NOW - timedelta(hours=1))
    give(demo_store, "e", Rating.Good, NOW - timedelta(days=40))
    stats = report(demo_store, full=True)
    history = stats.history
    assert history is not None
    assert len(history.days) == 84 and history.days[-1].day == date(2026, 11, 27)
    by_day = {day.day: day for day in history.days}
    assert by_day[date(2026, 11, 25)].count == 2
    assert by_day[date(2026, 11, 25)].minutes == pytest.approx(0.2)
    assert by_day[date(2026, 10, 18)].count == 1
    assert history.streak == 3
    assert history.today.count == 1
    # Seen earlier the same review day (a clock set back), today's answer is still today's.
    earlier = report(demo_store, NOW - timedelta(hours=2), full=True).history
    assert earlier is not None and earlier.streak == 3 and earlier.today.count == 1


def test_sort_by_mastery_puts_the_weakest_first(demo_store: Store) -> None:
    give(demo_store, "d", Rating.Easy, NOW - timedelta(hours=1))
    assert [s.id for s in report(demo_store).decks[0].sections] == ["one", "two"]
    assert [s.id for s in report(demo_store, sort="mastery").decks[0].sections] == ["one", "two"]
    give(demo_store, "a", Rating.Easy, NOW - timedelta(hours=1))
    give(demo_store, "b", Rating.Easy, NOW - timedelta(hours=1))
    assert [s.id for s in report(demo_store, sort="mastery").decks[0].sections] == ["two", "one"]


def test_suspended_cards_are_counted_and_never_due(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW - timedelta(days=30))
    card_id = demo_store.existing_cards("demo")["a"].id  # type: ignore[index]
    assert report(demo_store).totals.due_now == 1
    demo_store.set_suspended([card_id], True)
    stats = report(demo_store, full=True)
    assert stats.totals.suspended == 1 and stats.totals.due_now == 0
    assert sum(day.count for day in stats.forecast) == 0


def test_reviews_today_and_json_shape(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW - timedelta(hours=1))
    give(demo_store, "b", Rating.Good, NOW - timedelta(days=1))
    stats = report(demo_store, full=True)
    assert stats.totals.reviews_today == 1
    data = stats.to_json()
    assert set(data["totals"]) >= {
        "cards",
        "new",
        "learning",
        "review",
        "due_now",
        "reviews_today",
        "mastery",
    }
    section = data["decks"][0]["sections"][0]
    assert set(section) >= {
        "id",
        "title",
        "cards",
        "new",
        "learning",
        "review",
        "due_now",
        "mastery",
        "retention",
    }
    assert data["decks"][0]["id"] == "demo"
    assert data["horizon"] == {
        "at": "2026-11-28T04:00:00Z",
        "day": "2026-11-28",
        "kind": "next_day",
    }
    assert len(data["forecast"]) == 30 and set(data["forecast"][0]) == {"date", "due"}
    assert len(data["heatmap"]) == 84
    assert data["heatmap"][-1] == {"date": "2026-11-27", "reviews": 1, "minutes": 0.1}
    assert data["streak"] == 2
    assert set(data["distributions"]) == {"stability", "difficulty", "retrievability"}
    assert "exam" not in data
    scoped = build_report(demo_store, now=NOW, decay=DECAY, scope=Scope(deck_id=999))
    assert scoped.decks == [] and scoped.totals.cards == 0


def answer_at_interval(store: Store, key: str, interval: timedelta, rating: Rating) -> None:
    """One scheduled answer, now, to card ``key`` in the Review state with ``interval`` between
    its last review and its due time (the interval before the answer)."""
    card_id = store.card_ids([key])[key]
    before = store.card(card_id).memory
    last = NOW - timedelta(days=40)
    review = MemoryState(State.Review, None, 10.0, 5.0, last + interval, last)
    store.record_answer(
        card_id, before=before, after=review, rating=Rating.Good, at=last, duration_ms=None
    )
    after = MemoryState(State.Review, None, 12.0, 5.0, NOW + timedelta(days=5), NOW)
    store.record_answer(
        card_id, before=review, after=after, rating=rating, at=NOW, duration_ms=None
    )


def test_mature_is_an_interval_of_twenty_and_a_half_days_or_more(demo_store: Store) -> None:
    """As Anki counts it, rounded to whole days half away from zero: 20.5 days is 21."""
    answer_at_interval(demo_store, "a", timedelta(days=20, hours=12), Rating.Good)
    answer_at_interval(demo_store, "b", timedelta(days=20, hours=12, seconds=-1), Rating.Good)
    answer_at_interval(demo_store, "c", timedelta(days=30), Rating.Again)
    answer_at_interval(demo_store, "d", timedelta(days=21), Rating.Hard)
    answer_at_interval(demo_store, "e", timedelta(days=3), Rating.Again)
    one, two = demo_store.section_rows(now=NOW, decay=DECAY)
    assert (one.mature_attempts, one.mature_recalled, one.young_attempts) == (2, 1, 1)
    assert (two.mature_attempts, two.mature_recalled) == (1, 1)
    assert (two.young_attempts, two.young_recalled) == (1, 0)
    stats = report(demo_store)
    assert stats.totals.retention_mature == pytest.approx(2 / 3)
    assert stats.totals.retention_young == pytest.approx(1 / 2)


def test_retrievability_in_sql_is_the_python_function_to_the_last_bit(store: Store) -> None:
    """Written out with SQL's power, or through the registered Python function where the
    database has no power: the very same sums and buckets."""
    now = months_of_history(store, days=90)
    native = report(store, now, full=True)
    assert store.has_power  # Python's SQLite has its math functions
    store.__dict__["has_power"] = False
    fallback = report(store, now, full=True)
    assert fallback.to_json() == native.to_json()
    assert [s.mastery for s in fallback.decks[0].sections] == [
        s.mastery for s in native.decks[0].sections
    ]


def test_the_glance_sums_only_what_it_shows(store: Store) -> None:
    now = months_of_history(store, days=60)
    whole = report(store, now)
    glance = report(store, now, glance=True)
    assert [(s.id, s.due_now, s.new, s.mastery) for s in glance.decks[0].sections] == [
        (s.id, s.due_now, s.new, s.mastery) for s in whole.decks[0].sections
    ]
    assert whole.totals.retention is not None
    assert glance.totals.retention is None and glance.totals.learning == 0


def test_a_streak_longer_than_the_heatmap_is_counted_back_to_its_first_day(
    demo_store: Store,
) -> None:
    days = 200
    for offset in range(days - 1, -1, -1):
        give(demo_store, "abcde"[offset % 5], Rating.Good, NOW - timedelta(days=offset))
    assert report(demo_store, full=True).history.streak == days  # type: ignore[union-attr]
    # A day without answers 150 days ago: the streak stops after it.
    gap = NOW - timedelta(days=150)
    with demo_store.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM review_log WHERE reviewed_at >= :start AND reviewed_at < :end"),
            {
                "start": to_millis(gap - timedelta(hours=1)),
                "end": to_millis(gap + timedelta(hours=1)),
            },
        )
    assert report(demo_store, full=True).history.streak == 150  # type: ignore[union-attr]


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kathmandu"])
def test_days_across_a_daylight_saving_change_count_as_python_counts_them(
    store: Store, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heatmap and the forecast count between review-day starts worked out in Python: each
    answer and due card on the day ``clock.review_date`` gives it, the week the clocks change
    included."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    now = datetime(2026, 11, 3, 12, tzinfo=UTC)  # after the autumn changes of 2026
    import_deck(store, make_deck("dst", {"s": [f"c{n}" for n in range(40)]}), now=now)
    rng = random.Random(3)
    answers = []
    for card_id in store.card_ids([f"c{n}" for n in range(40)]).values():
        at = now - timedelta(hours=rng.randrange(1, 24 * 14))
        due = now + timedelta(hours=rng.randrange(-24 * 5, 24 * 20))
        after = MemoryState(State.Review, None, 5.0, 5.0, due, at)
        store.record_answer(
            card_id,
            before=store.card(card_id).memory,
            after=after,
            rating=Rating.Good,
            at=at,
            duration_ms=1000,
        )
        answers.append((at, due))
    stats = report(store, now, full=True)
    assert stats.history is not None
    today = clock_review_date(now, DAY_STARTS_AT)
    heatmap = {day.day: day.count for day in stats.history.days}
    expected_answers: dict[date, int] = {}
    for at, _due in answers:
        day = clock_review_date(at, DAY_STARTS_AT)
        expected_answers[day] = expected_answers.get(day, 0) + 1
    assert {day: n for day, n in heatmap.items() if n} == expected_answers
    expected_due = [0] * 30
    for _at, due in answers:
        offset = (clock_review_date(due, DAY_STARTS_AT) - today).days
        if offset < 30:
            expected_due[max(0, offset)] += 1
    assert [day.count for day in stats.forecast] == expected_due
