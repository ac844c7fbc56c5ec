"""Stats: mastery from retrievability, retention of review cards, totals, JSON shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fsrs import Scheduler

from conftest import NOW
from recall1924.scheduling import Rating, State, answer, decay_of
from recall1924.stats import build_report
from recall1924.store import Scope, Store

DECAY = decay_of(Scheduler())


def report(store: Store, at=NOW):  # type: ignore[no-untyped-def]
    return build_report(store, now=at, day_start=NOW - timedelta(hours=5), decay=DECAY)


def give(store: Store, key: str, rating: Rating, at) -> None:  # type: ignore[no-untyped-def]
    cards = store.existing_cards("demo")
    assert cards is not None
    card_id = cards[key].id
    before = store.card(card_id).memory
    after = answer(
        Scheduler(enable_fuzzing=False), card_id=card_id, memory=before, rating=rating, at=at
    )
    store.record_answer(card_id, before=before, after=after, rating=rating, at=at, duration_ms=None)


def test_a_fresh_deck(demo_store: Store) -> None:
    stats = report(demo_store)
    assert stats.totals.cards == stats.totals.new == 5
    assert stats.totals.mastery == 0.0
    (deck,) = stats.decks
    assert [(s.id, s.cards, s.new, s.mastery, s.retention) for s in deck.sections] == [
        ("one", 3, 3, 0.0, None),
        ("two", 2, 2, 0.0, None),
    ]


def test_mastery_rises_with_reviews_and_decays_with_time(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW)
    give(demo_store, "a", Rating.Good, NOW + timedelta(minutes=10))
    now = NOW + timedelta(minutes=11)
    one = report(demo_store, now).decks[0].sections[0]
    assert (one.new, one.learning, one.review) == (2, 0, 1)
    assert one.mastery == pytest.approx(1 / 3)  # a is certain now; b and c are new
    later = report(demo_store, now + timedelta(days=20)).decks[0].sections[0]
    assert 0 < later.mastery < one.mastery
    assert later.due_now == 1


def test_retention_counts_answers_to_review_cards(demo_store: Store) -> None:
    give(demo_store, "d", Rating.Easy, NOW - timedelta(days=30))  # review card, due long ago
    give(demo_store, "d", Rating.Again, NOW - timedelta(days=2))  # a lapse
    give(demo_store, "e", Rating.Easy, NOW - timedelta(days=30))
    give(demo_store, "e", Rating.Good, NOW - timedelta(days=2))  # recalled
    two = report(demo_store).decks[0].sections[1]
    assert two.retention == pytest.approx(0.5)
    assert report(demo_store).decks[0].sections[0].retention is None
    assert (
        demo_store.card(demo_store.existing_cards("demo")["d"].id).memory.state == State.Relearning
    )  # type: ignore[index]


def test_reviews_today_and_json_shape(demo_store: Store) -> None:
    give(demo_store, "a", Rating.Good, NOW - timedelta(hours=1))
    give(demo_store, "b", Rating.Good, NOW - timedelta(days=1))
    stats = report(demo_store)
    assert stats.totals.reviews_today == 1
    data = stats.to_json()
    assert set(data["totals"]) >= {"cards", "new", "learning", "review", "due_now", "reviews_today"}
    section = data["decks"][0]["sections"][0]
    assert set(section) == {
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
    scoped = build_report(
        demo_store,
        now=NOW,
        day_start=NOW - timedelta(hours=5),
        decay=DECAY,
        scope=Scope(deck_id=999),
    )
    assert scoped.decks == [] and scoped.totals.cards == 0
