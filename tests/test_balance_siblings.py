"""Load balancing keeps a card off the days its siblings (the other cards of its note: a cloze's
cards, an Anki note's) are due, as Anki does (rslib ``scheduler/states/load_balancer.rs``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conftest import NOW, make_deck
from recall1924 import cloze
from recall1924.balance import DayLoads, balanced, fuzz_bounds
from recall1924.clock import FixedClock, review_date
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.models import Card, Deck
from recall1924.review import Action, ReviewSession, scheduled_session
from recall1924.review.policies import Schedule
from recall1924.scheduling import MemoryState, Rating, State, build_scheduler, preview
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.base import set_memory
from recall1924.store.load import sibling_keys
from recall1924.store.queue import CardView

TODAY = review_date(NOW, 4)
ANKI = "a-0123456789abcd-"  # an Anki note's cards: hashed_card_key's shape


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def _cloze(note: str, count: int) -> tuple[CardSpec, ...]:
    text = " ".join(f"{{{{c{number}::word{number}}}}}" for number in range(1, count + 1))
    return tuple(
        CardSpec(
            cloze.card_key(note, number),
            cloze.question(text, number),
            cloze.answer(text, number),
            cloze=text,
            cloze_ord=number,
        )
        for number in range(1, count + 1)
    )


def _anki(number: int) -> CardSpec:
    return CardSpec(f"{ANKI}{number}", f"Q {number}", f"A {number}", source_id=f"anki:G:{number}")


def _deck(key: str, *cards: CardSpec) -> DeckSpec:
    return DeckSpec(key, f"Deck {key}", (SectionSpec("main", "Main", cards),), source="test")


@pytest.fixture
def notes(store: Store) -> Store:
    """Deck ``d``: a cloze ``capital`` of 20 cards, plain cards ``x`` and ``y``, the first card
    of an Anki note; deck ``e``: its second card and another cloze ``capital``."""
    cards = (*_cloze("capital", 20), CardSpec("x", "X?", "X"), CardSpec("y", "Y?", "Y"))
    import_deck(store, _deck("d", *cards, _anki(1)), now=NOW)
    import_deck(store, _deck("e", _anki(2), *_cloze("capital", 2)), now=NOW)
    return store


def _memory(offset: int) -> MemoryState:
    last = NOW - timedelta(days=10)
    return MemoryState(State.Review, None, 10.0, 5.0, NOW + timedelta(days=offset), last)


def _due(store: Store, due: dict[tuple[str, str], int | None]) -> None:
    """Make the named ``(deck, card)`` review cards due ``due[...]`` days from now (None: left
    new), stability 10, last reviewed 10 days ago (:func:`_memory`)."""
    with Session(store.engine) as session:
        ids = {deck.id: deck.key for deck in session.exec(select(Deck)).all()}
        for card in session.exec(select(Card)).all():
            offset = due.get((ids[card.deck_id], card.key))
            if offset is not None:
                set_memory(card, _memory(offset))
                session.add(card)
        session.commit()


def _views(store: Store, deck_key: str) -> dict[str, CardView]:
    """Deck ``deck_key``'s cards as a review shows them, by key."""
    with Session(store.engine) as session:
        rows = session.exec(select(Card.id).join(Deck).where(Deck.key == deck_key)).all()
    views = [store.card(card_id) for card_id in rows if card_id is not None]
    return {view.key: view for view in views}


def _review(store: Store, settings: Settings, first: str) -> ReviewSession:
    """A fuzzed, balanced review, started, showing card ``first`` (its loads counted)."""
    fuzzed = replace(settings, enable_fuzzing=True)
    scheduler = build_scheduler(fuzzed)
    review = scheduled_session(store, lambda _deck: scheduler, fuzzed, FixedClock(NOW))
    assert review.loads is not None
    review.loads.due.clear()
    review.start()
    assert review.card is not None and review.card.key == first, review.card
    return review


def _good_range(settings: Settings) -> tuple[int, int]:
    """The fuzz range of Good for a card :func:`_due` made due now."""
    exact = build_scheduler(replace(settings, enable_fuzzing=False))
    shown = preview(exact, card_id=1, memory=_memory(0), at=NOW, day_starts_at=4)
    return fuzz_bounds(shown[Rating.Good].days, 1, 36500)


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """The statements run meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        seen.append((args[2], args[3]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


# --- which cards are siblings ----------------------------------------------------------------


def test_sibling_keys_are_a_note_s_keys() -> None:
    own = sibling_keys("capital-c2", 2)
    assert own is not None and not own.any_deck
    assert own.holds("capital-c1", 1) and own.holds("capital-c12", 12)
    # the cloze of a cloze named capital-c1, a plain card, a card asking another number
    assert not own.holds("capital-c1-c1", 1)
    assert not own.holds("capital-c3", None)
    assert not own.holds("capital-cx", None)
    anki = sibling_keys(f"{ANKI}1", None)
    assert anki is not None and anki.any_deck and anki.holds(f"{ANKI}2", None)
    assert not anki.holds(f"{ANKI}02", None)
    # cards of no note: a plain card, a cloze card whose id names no cloze
    assert sibling_keys("x", None) is None
    assert sibling_keys("my-own-id", 1) is None
    assert sibling_keys("capital-c2", 1) is None


def test_the_store_gives_the_days_a_card_s_siblings_are_due(
    notes: Store, settings: Settings
) -> None:
    _due(
        notes,
        {
            ("d", "capital-c1"): 0,
            ("d", "capital-c2"): 9,
            ("d", "capital-c3"): -3,  # overdue: not a day ahead, as Anki counts them
            ("d", "capital-c4"): 200,  # past the days balancing looks at
            ("e", "capital-c2"): 7,  # another deck's cloze of the same id: not a sibling
            ("d", "y"): 8,
            ("d", f"{ANKI}1"): 0,
            ("e", f"{ANKI}2"): 5,  # an Anki note's cards may be in two decks
        },
    )
    view = _views(notes, "d")
    assert notes.sibling_days(view["capital-c1"], NOW, 4) == {day(9)}
    assert notes.sibling_days(view[f"{ANKI}1"], NOW, 4) == {day(5)}
    with _statements() as seen:
        assert notes.sibling_days(view["y"], NOW, 4) == frozenset()
    assert seen == []  # a card of no note costs no statement


@pytest.mark.sqlite_only  # SQLite's query plan
def test_the_sibling_lookup_is_a_range_of_the_deck_and_key_index(
    notes: Store, settings: Settings
) -> None:
    # 3,000 cards due over the days ahead, and statistics: a range of due times would win then
    import_deck(notes, make_deck("big", {"s": [f"k{n}" for n in range(3000)]}), now=NOW)
    _due(notes, {("big", f"k{n}"): n % 90 for n in range(3000)})
    _due(notes, {("d", "capital-c1"): 0, ("d", f"{ANKI}1"): 0})
    with notes.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    view = _views(notes, "d")
    plans = []
    for key in ("capital-c1", f"{ANKI}1"):
        with _statements() as seen:
            notes.sibling_days(view[key], NOW, 4)
        ((sql, params),) = seen
        driver = notes.engine.raw_connection()
        try:
            plan = [row[3] for row in driver.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        finally:
            driver.close()
        plans.append(plan)
        (card_step,) = [step for step in plan if " card " in f"{step} "]
        assert "SEARCH card USING INDEX" in card_step and "key>? AND key<?" in card_step, plan
    assert all("SCAN card" not in step for plan in plans for step in plan), plans


# --- the review balances away from them --------------------------------------------------------


def test_answering_a_cloze_card_keeps_off_the_day_its_sibling_is_due(
    notes: Store, settings: Settings
) -> None:
    lower, upper = _good_range(settings)
    sibling = lower + 1
    # capital-c2 due on the one empty day of the range: without siblings it would be picked
    _due(notes, {("d", "capital-c1"): 0, ("d", "capital-c2"): sibling})
    review = _review(notes, settings, "capital-c1")
    assert review.loads is not None
    for offset in range(1, 100):
        review.loads.due[day(offset)] = 0 if offset == sibling else 40
    review.apply(Action.REVEAL)
    shown = review.intervals[Rating.Good].days
    assert lower <= shown <= upper and shown != sibling
    review.apply(Action.GOOD)
    due = notes.card(review.answers[0].card_id).memory.due
    assert lower <= (due - NOW).days <= upper
    assert review_date(due, 4) != day(sibling)


def _every_day(notes: Store, settings: Settings) -> tuple[int, int, int]:
    """capital-c1 due now and its siblings on every day of its Good range and four days
    beyond each end, so that every day of the range has the same factor. Returns the range and
    the one lighter day the loads will hold."""
    lower, upper = _good_range(settings)
    offsets = range(lower - 4, upper + 5)
    assert len(offsets) <= 19
    due: dict[tuple[str, str], int | None] = {("d", "capital-c1"): 0}
    due.update({("d", f"capital-c{n}"): offset for n, offset in enumerate(offsets, start=2)})
    _due(notes, due)
    return lower, upper, upper - 1


def test_with_a_sibling_on_every_day_of_the_range_balancing_goes_on_by_load(
    notes: Store, settings: Settings
) -> None:
    # Anki weighs a sibling's day down, never shuts it: alike factors leave the choice to load
    lower, upper, light = _every_day(notes, settings)
    loads = {day(offset): 400 for offset in range(1, 100)}
    loads[day(light)] = 1  # not empty: an empty day would weigh by its factor alone
    got = {}
    for siblings in (True, False):
        review = _review(notes, settings, "capital-c1")
        assert review.loads is not None and isinstance(review.policy, Schedule)
        if not siblings:
            review.policy.siblings = None
        review.loads.due.update(loads)
        review.apply(Action.REVEAL)
        got[siblings] = review.intervals
        assert len(review.loads.sibling_days(review.card.id if review.card else 0)) == (
            upper - lower + 9 if siblings else 0
        )
    assert got[True] == got[False]
    assert got[True][Rating.Good].days == light


def test_every_day_a_sibling_s_is_the_same_as_no_siblings_for_every_draw() -> None:
    lower, upper = fuzz_bounds(10.0, 1, 36500)
    loads = {day(offset): 30 - offset for offset in range(1, 30)}
    everywhere = {day(offset) for offset in range(lower - 4, upper + 5)}
    for draw in range(200):
        point = (draw + 0.5) / 200
        alone = balanced(10.0, 1, 36500, today=TODAY, due=loads, draw=point)
        kept = balanced(10.0, 1, 36500, today=TODAY, due=loads, sibling_days=everywhere, draw=point)
        assert kept == alone


def test_cards_of_other_notes_are_not_kept_apart(notes: Store, settings: Settings) -> None:
    lower, _upper = _good_range(settings)
    free = lower + 1
    # y, and the other deck's capital-c2, on the one empty day: x takes it all the same
    _due(notes, {("d", "x"): 0, ("d", "y"): free, ("e", "capital-c2"): free})
    review = _review(notes, settings, "x")
    assert review.loads is not None
    for offset in range(1, 100):
        review.loads.due[day(offset)] = 0 if offset == free else 40
    review.apply(Action.REVEAL)
    assert review.intervals[Rating.Good] == timedelta(days=free)
    assert review.loads.sibling_days(review.card.id if review.card else 0) == frozenset()


def test_the_siblings_are_looked_up_once_per_answer(notes: Store, settings: Settings) -> None:
    _due(notes, {("d", "capital-c1"): 0, ("d", "capital-c2"): 0, ("d", "capital-c3"): 9})
    review = _review(notes, settings, "capital-c1")
    found: list[int] = []
    assert isinstance(review.policy, Schedule) and review.policy.siblings is not None
    lookup = review.policy.siblings

    def counted(*args: Any) -> frozenset[date]:
        found.append(args[0].id)
        return frozenset(lookup(*args))

    review.policy.siblings = counted
    review.apply(Action.REVEAL)
    review.apply(Action.GOOD)
    assert review.card is not None and review.card.key == "capital-c2"
    review.apply(Action.REVEAL)  # the next card asks again: capital-c1 has moved
    assert found == [review.answers[0].card_id, review.card.id]  # reveal and answer: once
    assert review.loads is not None and day(9) in review.loads.sibling_days(review.card.id)


def test_a_move_drops_the_kept_siblings() -> None:
    loads = DayLoads({}, 4)
    loads.find_siblings(1, lambda: {day(3)})
    loads.find_siblings(1, lambda: pytest.fail("asked twice"))
    assert loads.sibling_days(1) == {day(3)} and loads.sibling_days(2) == frozenset()
    loads.move(NOW, NOW + timedelta(days=2))
    assert loads.sibling_days(1) == frozenset()
