"""The shape of the work behind ``recall optimize``, which is what keeps it near the cost of its
fit at a million answers (issue 14) without a million answers here:

- a dry run reads each answer once, its rating and time only, in one statement: a sorted scan
  of ``review_log`` for the collection (not a lookup per answer), the index for a small deck;
- each answer becomes one fsrs-rs review, however many training items share it (a card of n
  answers is in n - 1 items of up to n answers), and the items exist only while fsrs-rs copies
  them, so Python's memory in the fit is that of the answers, not of the items;
- saving reads and rewrites a chunk of cards at a time, so its memory is a chunk's, not the
  whole history's.

Statements are recorded with SQLite's own trace (the store reads the history through the
driver's cursor), and memory with tracemalloc, which sees Python's objects and not fsrs-rs's.
"""

from __future__ import annotations

import sqlite3
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fsrs_rs_python
import pytest
from sqlalchemy import event
from sqlmodel import Session

import recall1924.optimize as optimizing
import recall1924.store.history as stored_history
from conftest import make_deck
from recall1924.importing import import_deck
from recall1924.models import ReviewKind, ReviewLog
from recall1924.optimize import TrainingSet, fit, optimize
from recall1924.scheduling import MemoryState, State
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.base import memory_columns
from recall1924.store.history import CardHistory

DEFAULT = Settings.from_stored({})
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def bulk_history(store: Store, deck: str, cards: int, answers: int) -> list[int]:
    """A deck of ``cards`` cards with ``answers`` answers each, a day or two apart, written in
    one transaction (a real history's states are beside the point here)."""
    keys = [f"{deck}{index}" for index in range(cards)]
    import_deck(store, make_deck(deck, {"all": keys}), now=START - timedelta(days=1))
    ids = list(store.card_ids(keys, deck).values())
    rows = []
    for number, card_id in enumerate(ids):
        memory = MemoryState.new(START)
        at = START + timedelta(minutes=number)
        for step in range(answers):
            rating = 1 if (number + step) % 7 == 0 else 3
            after = MemoryState(State.Review, None, 2.0 + step, 5.0, at + timedelta(days=2), at)
            rows.append(
                ReviewLog(
                    card_id=card_id,
                    rating=rating,
                    reviewed_at=at,
                    **memory_columns(memory, "_before"),
                    **memory_columns(after, "_after"),
                )
            )
            memory = after
            at += timedelta(days=1 + (number + step) % 2)
    with Session(store.engine) as session:
        session.add_all(rows)
        session.commit()
    return ids


@contextmanager
def traced(store: Store) -> Iterator[list[str]]:
    """Every statement SQLite runs for ``store`` meanwhile, its parameters filled in."""
    seen: list[str] = []

    def on_checkout(dbapi_connection: sqlite3.Connection, *_: Any) -> None:
        dbapi_connection.set_trace_callback(seen.append)

    def on_checkin(dbapi_connection: sqlite3.Connection, *_: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    event.listen(store.engine, "checkout", on_checkout)
    event.listen(store.engine, "checkin", on_checkin)
    try:
        yield seen
    finally:
        event.remove(store.engine, "checkout", on_checkout)
        event.remove(store.engine, "checkin", on_checkin)


def plans(db: Path, statements: list[str]) -> list[tuple[str, str]]:
    """Each statement that reads review_log rows, with its query plan."""
    found = []
    with closing(sqlite3.connect(db)) as connection:
        for statement in statements:
            text = statement.lstrip()
            if not text.upper().startswith("SELECT") or "FROM review_log" not in text:
                continue
            plan = " | ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {text}"))
            found.append((text, plan))
    return found


def dry_run(store: Store, deck_key: str | None) -> None:
    report = optimize(
        store,
        deck_key=deck_key,
        global_settings=DEFAULT,
        settings_for=lambda _key: DEFAULT,
        dry_run=True,
    )
    assert report.fitted is not None and not report.saved


@pytest.mark.sqlite_only  # SQLite's query plan
@pytest.mark.parametrize("scope", [None, "side"])
def test_a_dry_run_reads_the_answers_in_order_from_one_index(
    store: Store, db_path: Path, scope: str | None
) -> None:
    # Every column read is in the (card_id, reviewed_at, state_before, kind, rating) index,
    # which holds each row's id too: the rows come out of it in order, no table read, no sort
    # (a sort by id as well took 0.3 s of a million answers); answers of one millisecond are
    # put in id order in Python (test_history).
    bulk_history(store, "main", cards=60, answers=12)
    bulk_history(store, "side", cards=10, answers=60)
    with traced(store) as seen:
        dry_run(store, scope)
    # the two halves' reads (the later one in a forked copy when there is one, untraced): the
    # same statement but for its bound on the card ids
    reads = [(text, plan) for text, plan in plans(db_path, seen) if "rating" in text]
    assert reads and all("card_id <" in text or "card_id >=" in text for text, _ in reads)
    for text, plan in reads:
        assert "_before" not in text and "_after" not in text  # no memory state is read
        # every deck in scope: no row checked against the scope's card ids
        assert ("deck.key IN" in text) == (scope is not None)
        assert "review_log USING COVERING INDEX ix_review_log_card_time" in plan
        assert "TEMP B-TREE" not in plan


def test_only_a_card_with_a_reset_is_searched_for_its_last(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a million answers, a few resets: finding where a card's last life starts is work for the
    # cards that have one, not a pass over every card's answers
    ids = bulk_history(store, "main", cards=30, answers=5)
    reset_at = START + timedelta(days=2, hours=12)
    new = MemoryState.new(reset_at)
    with Session(store.engine) as session:
        session.add(
            ReviewLog(
                card_id=ids[7],
                kind=ReviewKind.Reset,
                rating=0,
                reviewed_at=reset_at,
                **memory_columns(new, "_before"),
                **memory_columns(new, "_after"),
            )
        )
        session.commit()
    searched: list[int] = []
    real = stored_history.last_life

    def last_life(kinds: Sequence[int]) -> int:
        searched.append(len(kinds))
        return real(kinds)

    monkeypatch.setattr(stored_history, "last_life", last_life)
    found = dict(store.answer_days(["main"], day_starts_at=4))
    assert searched == [6]  # its five answers and the reset
    assert len(found) == 30 and len(found[ids[7]]) == 3 and len(found[ids[8]]) == 5


def counting(
    monkeypatch: pytest.MonkeyPatch, name: str, counts: dict[str, int]
) -> Callable[..., Any]:
    real = getattr(fsrs_rs_python, name)

    def made(*args: Any) -> Any:
        counts[name] = counts.get(name, 0) + 1
        return real(*args)

    monkeypatch.setattr(fsrs_rs_python, name, made)
    return made


def test_each_answer_is_one_fsrs_review_and_the_items_are_made_as_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cards, answers = 40, 120
    sequences = [[(3 if step % 5 else 1, 0 if step == 0 else 1) for step in range(answers)]] * cards
    counts: dict[str, int] = {}
    counting(monkeypatch, "FSRSReview", counts)
    counting(monkeypatch, "FSRSItem", counts)
    training = TrainingSet.of(sequences)
    assert counts == {"FSRSReview": cards * answers}
    items = cards * (answers - 1)
    assert training.items == items
    # Made ahead, the 4,760 items would be 230 KB of Python objects (their 290,360 reviews in
    # fsrs-rs's memory besides, which tracemalloc does not see); made as fsrs-rs reads them,
    # one is alive at a time.
    tracemalloc.start()
    try:
        fit(training)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000, f"{peak:,} bytes of Python objects while fitting"
    assert counts == {"FSRSReview": cards * answers, "FSRSItem": items}
    training.evaluate(fsrs_rs_python.DEFAULT_PARAMETERS)
    assert counts == {"FSRSReview": cards * answers, "FSRSItem": items + cards}


def unchanged(card: CardHistory) -> tuple[MemoryState, list[tuple[int, MemoryState, MemoryState]]]:
    return card.memory, [(row.id, row.before, row.after) for row in card.rows]


def peak_of(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_saving_reads_and_rewrites_a_chunk_of_cards_at_a_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk_history(store, "main", cards=300, answers=10)
    monkeypatch.setattr(stored_history, "_CHUNK", 20)
    whole = peak_of(lambda: store.card_histories(["main"]))
    chunked = peak_of(lambda: store.recompute_memory(["main"], unchanged))
    assert chunked < whole / 4, f"{chunked:,} bytes in chunks, {whole:,} for the whole history"
    assert store.recompute_memory(["main"], unchanged) == (300, 3000)


@pytest.mark.parametrize("days", [False, True])
def test_the_training_set_read_in_two_halves_is_the_one_read_at_once(
    store: Store, days: bool
) -> None:
    # the later half read in a forked copy on its own connections (both stores), put together
    # after the first: the same answers, items and fit as one read; bins numbered in another
    # order, so the RMSE's sum over them is the same to rounding
    bulk_history(store, "main", cards=40, answers=9)
    bulk_history(store, "side", cards=25, answers=3)
    decks = ["main", "side"]
    middle = store.middle_answered_card(decks)
    assert store.middle_answered_card(["side"]) > middle  # the deck's own middle
    ids = sorted(card_id for card_id, _ in store.answer_days(decks, day_starts_at=4))
    assert middle is not None and ids[0] < middle <= ids[-1]
    halves = optimizing._training(store, decks, day_starts_at=4, days=days)
    whole = TrainingSet(days=days)
    whole.add_cards(answered for _id, answered in store.answer_days(decks, day_starts_at=4))
    assert (halves.answers, halves.items) == (whole.answers, whole.items)
    assert [repr(item) for item in halves.fsrs_items()] == [
        repr(item) for item in whole.fsrs_items()
    ]
    assert [repr(item) for item in halves.time_ordered_items()] == [
        repr(item) for item in whole.time_ordered_items()
    ]
    assert (halves.rated, halves.follows) == (whole.rated, whole.follows)
    parameters = fsrs_rs_python.DEFAULT_PARAMETERS
    scored, expected = halves.evaluate(parameters), whole.evaluate(parameters)
    assert scored.log_loss == expected.log_loss and scored.reviews == expected.reviews
    assert scored.rmse_bins == pytest.approx(expected.rmse_bins, rel=1e-12)
    # a scope with nothing logged: nothing read, no copy
    assert store.middle_answered_card(["nothing"]) is None
    assert optimizing._training(store, ["nothing"], day_starts_at=4, days=days).answers == 0
