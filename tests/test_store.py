"""The store: import upserts, answers saved and undone exactly, the due queue, day counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fsrs import Scheduler

from conftest import NOW, make_deck
from recall1924.errors import DatabaseError, NotFoundError, StaleCardError
from recall1924.importing import import_deck
from recall1924.scheduling import MemoryState, Rating, State, answer
from recall1924.store import Scope, Store

LATER = NOW + timedelta(days=30)


def answer_card(store: Store, card_id: int, rating: Rating, at=NOW) -> int:  # type: ignore[no-untyped-def]
    before = store.card(card_id).memory
    after = answer(
        Scheduler(enable_fuzzing=False), card_id=card_id, memory=before, rating=rating, at=at
    )
    return store.record_answer(
        card_id, before=before, after=after, rating=rating, at=at, duration_ms=1500
    )


def first(store: Store, scope: Scope = Scope(), **kwargs: object) -> str | None:
    options = {
        "now": NOW,
        "day_end": NOW + timedelta(hours=19),
        "learn_ahead_until": NOW + timedelta(minutes=20),
        "allow_new": True,
        "allow_reviews": True,
    }
    options.update(kwargs)
    card = store.next_card(scope, **options)  # type: ignore[arg-type]
    return None if card is None else card.key


def card_id(store: Store, key: str) -> int:
    cards = store.existing_cards("demo")
    assert cards is not None
    return cards[key].id


def test_new_cards_come_in_deck_order(demo_store: Store) -> None:
    assert first(demo_store) == "a"
    assert first(demo_store, demo_store.scope("demo", "two")) == "d"
    assert first(demo_store, allow_new=False) is None


def test_answer_is_saved_with_states_before_and_after(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    log_id = answer_card(demo_store, a, Rating.Good)
    (log,) = demo_store.answers(a)
    assert log.id == log_id
    assert (log.rating, log.duration_ms, log.reviewed_at) == (3, 1500, NOW)
    assert log.last_review_before is None and log.last_review_after == NOW
    assert log.state_before == State.Learning and log.step_after == 1
    card = demo_store.card(a)
    assert card.memory.last_review == NOW
    assert card.memory.due == NOW + timedelta(minutes=10)


def test_undo_restores_the_exact_state(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    answer_card(demo_store, a, Rating.Good)
    before = demo_store.card(a).memory
    log_id = answer_card(demo_store, a, Rating.Again, at=NOW + timedelta(minutes=10))
    assert demo_store.card(a).memory != before
    assert demo_store.undo_answer(log_id) == a
    assert demo_store.card(a).memory == before
    assert len(demo_store.answers(a)) == 1
    with pytest.raises(DatabaseError, match="no longer in the database"):
        demo_store.undo_answer(log_id)


def test_undo_refuses_when_the_card_was_answered_again(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    first_log = answer_card(demo_store, a, Rating.Good)
    answer_card(demo_store, a, Rating.Good, at=NOW + timedelta(minutes=10))
    with pytest.raises(StaleCardError, match="answered again in another session since"):
        demo_store.undo_answer(first_log)


def test_an_answer_from_a_stale_screen_is_refused(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    shown = demo_store.card(a)
    stale = shown.memory
    answer_card(demo_store, a, Rating.Good)
    after = replace(stale, last_review=NOW)
    with pytest.raises(StaleCardError, match="answered elsewhere"):
        demo_store.record_answer(
            a,
            before=stale,
            after=after,
            rating=Rating.Good,
            at=NOW,
            duration_ms=None,
            version=shown.version,
        )
    assert len(demo_store.answers(a)) == 1


def test_queue_order_learning_then_reviews_then_new(demo_store: Store) -> None:
    a, b = card_id(demo_store, "a"), card_id(demo_store, "b")
    answer_card(demo_store, a, Rating.Again, at=NOW - timedelta(seconds=30))  # due in 30 s
    answer_card(demo_store, b, Rating.Easy, at=NOW - timedelta(days=10))  # a review card
    assert first(demo_store) == "b"
    assert first(demo_store, now=NOW + timedelta(minutes=1)) == "a"
    assert first(demo_store, allow_reviews=False) == "c"
    counts = demo_store.queue_counts(Scope(), day_end=NOW + timedelta(hours=19))
    assert (counts.learning, counts.review, counts.new) == (1, 1, 3)
    assert first(demo_store, only={a}) == "a"  # a --limit session shows learning ahead


def test_learning_cards_are_shown_ahead_rather_than_waited_for(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    answer_card(demo_store, a, Rating.Good)  # due in 10 minutes
    assert first(demo_store, allow_new=False) == "a"
    assert first(demo_store, allow_new=False, learn_ahead_until=NOW) is None


def test_day_counts(demo_store: Store) -> None:
    a, b = card_id(demo_store, "a"), card_id(demo_store, "b")
    answer_card(demo_store, a, Rating.Good)
    answer_card(demo_store, a, Rating.Good, at=NOW + timedelta(minutes=10))
    answer_card(demo_store, b, Rating.Good, at=NOW - timedelta(days=1))
    counts = demo_store.day_counts(NOW - timedelta(hours=1))
    assert (counts.new_introduced, counts.reviews, counts.answers) == (1, 0, 2)


def test_scope_errors_name_what_exists(demo_store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no deck 'nope' \(decks: demo\)"):
        demo_store.scope("nope")
    with pytest.raises(NotFoundError, match=r"no section 'x' \(sections: one, two\)"):
        demo_store.scope(None, "x")
    import_deck(demo_store, make_deck("other", {"one": ["z"]}), now=NOW)
    with pytest.raises(NotFoundError, match="in several decks"):
        demo_store.scope(None, "one")
    assert demo_store.scope("other", "one").deck_id is not None


def test_settings_are_stored_and_removed(store: Store) -> None:
    store.save_setting("new_per_day", "5")
    store.save_setting("new_per_day", "7")
    assert store.settings() == {"new_per_day": "7"}
    store.save_setting("new_per_day", None)
    assert store.settings() == {}


def test_memory_state_survives_the_database(demo_store: Store) -> None:
    a = card_id(demo_store, "a")
    answer_card(demo_store, a, Rating.Hard)
    memory = demo_store.card(a).memory
    assert isinstance(memory, MemoryState)
    assert memory.due.tzinfo is not None and memory.last_review == NOW
    assert demo_store.next_due(Scope()) == memory.due


def test_suspended_and_buried_cards_are_neither_shown_nor_counted(demo_store: Store) -> None:
    ids = demo_store.card_ids(["a", "b"])
    day_end = NOW + timedelta(hours=19)
    demo_store.set_suspended([ids["a"]], True)
    demo_store.set_buried(ids["b"], day_end)
    shown = demo_store.next_card(
        Scope(),
        now=NOW,
        day_end=day_end,
        learn_ahead_until=NOW,
        allow_new=True,
        allow_reviews=True,
    )
    assert shown is not None and shown.key == "c"
    assert demo_store.queue_counts(Scope(), day_end=day_end).new == 3
    # The next day the buried card is back; the suspended one stays away until unsuspended.
    later = day_end + timedelta(minutes=1)
    assert demo_store.queue_counts(Scope(), day_end=later + timedelta(days=1)).new == 4
    demo_store.set_suspended([ids["a"]], False)
    assert demo_store.queue_counts(Scope(), day_end=later + timedelta(days=1)).new == 5


def test_card_ids_name_what_is_missing(demo_store: Store) -> None:
    with pytest.raises(NotFoundError, match="no card 'zz'"):
        demo_store.card_ids(["a", "zz"])


def test_with_an_exam_the_weakest_review_on_exam_day_comes_first(demo_store: Store) -> None:
    from recall1924.scheduling import decay_of

    ids = demo_store.card_ids(["a", "b"])
    last = NOW - timedelta(days=10)
    for key, stability in (("a", 5.0), ("b", 50.0)):
        before = demo_store.card(ids[key]).memory
        after = MemoryState(State.Review, None, stability, 5.0, NOW, last)
        demo_store.record_answer(
            ids[key], before=before, after=after, rating=Rating.Good, at=last, duration_ms=None
        )

    def first(weakest_at: tuple | None) -> str:  # type: ignore[type-arg]
        card = demo_store.next_card(
            Scope(),
            now=NOW,
            day_end=NOW + timedelta(hours=1),
            learn_ahead_until=NOW,
            allow_new=False,
            allow_reviews=True,
            weakest_at=weakest_at,
        )
        assert card is not None
        return card.key

    exam = (NOW + timedelta(days=30), decay_of(Scheduler()))
    assert first(None) == "a"  # both due now: by id
    assert first(exam) == "a"  # a (S 5) would be recalled worse than b (S 50) on exam day
    before = demo_store.card(ids["a"]).memory
    demo_store.record_answer(
        ids["a"],
        before=before,
        after=replace(before, stability=500.0),
        rating=Rating.Good,
        at=last,
        duration_ms=None,
    )
    assert first(None) == "a" and first(exam) == "b"  # now b is the weaker one


def test_a_card_due_at_this_very_second_counts_as_due_now(demo_store: Store) -> None:
    from recall1924.scheduling import decay_of

    card_id = demo_store.card_ids(["a"])["a"]
    before = demo_store.card(card_id).memory
    due = NOW + timedelta(days=3)  # a whole second: stored as '... 09:00:00.000000'
    after = MemoryState(State.Review, None, 3.0, 5.0, due, NOW)
    demo_store.record_answer(
        card_id, before=before, after=after, rating=Rating.Good, at=NOW, duration_ms=None
    )
    rows = demo_store.section_rows(now=due, decay=decay_of(Scheduler()))
    assert sum(row.due_now for row in rows) == 1
