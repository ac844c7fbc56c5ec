"""``recall cards --json --limit 0``: a whole collection (or deck, or section) in deck order is
read section by section, its answers counted apart (issue 14's figure: 103,000 cards beside a
million answers). The records are the ones the general listing gives, cram practice, schedule
edits and resets left out of the counts; and no statement sorts the collection's rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fsrs import Scheduler
from sqlalchemy import Engine, event

from conftest import NOW
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import CardStatus, Rating, answer
from recall1924.store import Store
from recall1924.store import cards as store_cards
from recall1924.store.base import Scope
from recall1924.store.cards import CardOrder, CardQuery

SCHEDULER = Scheduler(enable_fuzzing=False)


def deck(key: str, sections: int, cards: int) -> DeckSpec:
    return DeckSpec(
        key,
        key.title(),
        tuple(
            SectionSpec(
                f"s{s}",
                f"S{s}",
                tuple(CardSpec(f"{key}{s}-{n}", f"Q {key} {s} {n}", "A") for n in range(cards)),
            )
            for s in range(sections)
        ),
        source="test",
    )


def give(store: Store, card_id: int, rating: Rating, minutes: int, kind: ReviewKind) -> None:
    before = store.card(card_id).memory
    at = (before.last_review or NOW) + timedelta(days=3, minutes=minutes)
    after = answer(SCHEDULER, card_id=card_id, memory=before, rating=rating, at=at)
    if kind is ReviewKind.Cram:
        after = before  # practice changes nothing
    store.record_answer(
        card_id, before=before, after=after, rating=rating, at=at, duration_ms=None, kind=kind
    )


def answered(store: Store) -> Store:
    import_deck(store, deck("beta", 3, 4), now=NOW)
    import_deck(store, deck("alpha", 2, 3), now=NOW)
    # sections out of id order: the listing follows positions
    import_deck(store, replace_sections(deck("alpha", 2, 3)), now=NOW)
    ids = store.card_ids([f"beta{s}-{n}" for s in range(3) for n in range(4)], "beta")
    ratings = [Rating.Good, Rating.Easy, Rating.Again, Rating.Good, Rating.Again, Rating.Hard]
    for number, card_id in enumerate(ids.values()):
        for step in range(number % 6):
            give(store, card_id, ratings[(number + step) % 6], step, ReviewKind.Review)
        if number % 4 == 1:
            give(store, card_id, Rating.Good, 50, ReviewKind.Cram)
    store.reset_cards([ids["beta0-3"], ids["beta2-1"]], at=NOW + timedelta(days=90))
    give(store, ids["beta0-3"], Rating.Good, 1, ReviewKind.Review)
    return store


def replace_sections(spec: DeckSpec) -> DeckSpec:
    return DeckSpec(spec.key, spec.title, tuple(reversed(spec.sections)), source=spec.source)


@contextmanager
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement run, through SQLAlchemy or the driver's own cursor (SQLite's listing
    reads a section's cards there)."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    read = store_cards.driver_rows

    def driver_rows(connection: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if connection.dialect.name == "sqlite":  # else it goes through SQLAlchemy's events
            seen.append(sql)
        return read(connection, sql, *args, **kwargs)

    monkeypatch.setattr(store_cards, "driver_rows", driver_rows)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_whole_listing_gives_the_general_listings_records(store: Store) -> None:
    answered(store)
    alpha = store.scope("alpha")
    every = frozenset(CardStatus)
    for scope in (Scope(), alpha, store.scope("beta", "s1")):
        whole = list(store.card_records(CardQuery(scope=scope)))
        # a filter (here one that keeps every card) takes the general way, counting each
        # chunk's answers from the log
        general = list(store.card_records(CardQuery(scope=scope, statuses=every)))
        assert whole == general and whole
        # a limit reads section by section too, counting each chunk's answers
        for limit in (1, 2, 3, 4, 5, 7, 10**6):
            assert list(store.card_records(CardQuery(scope=scope), limit=limit)) == whole[:limit]
            cut = store.card_records(CardQuery(scope=scope, statuses=every), limit=limit)
            assert list(cut) == whole[:limit]
    keys = [record.key for record in store.card_records(CardQuery(scope=alpha))]
    assert keys == ["alpha1-0", "alpha1-1", "alpha1-2", "alpha0-0", "alpha0-1", "alpha0-2"]
    counts = {record.key: (record.reviews, record.lapses) for record in store.card_records()}
    assert counts["beta0-1"] == (1, 0)  # and a cram answer, not counted
    assert counts["beta0-3"][0] == 4  # three before its reset, one after; the reset is none
    assert any(lapses for _reviews, lapses in counts.values())


def test_no_statement_sorts_or_joins_every_card(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered(store)
    with statements(monkeypatch) as seen:
        records = list(store.card_records())
    assert len(records) == 12 + 6
    card_reads = [sql for sql in seen if "FROM card" in sql]
    # one per section, each by its index; no join with the answers' counts
    assert len(card_reads) == 3 + 2
    assert all("WHERE section_id =" in sql and "JOIN" not in sql for sql in card_reads)


def test_a_limited_listing_in_deck_order_reads_only_the_sections_it_shows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``recall cards`` (200 rows): the first sections' cards, their answers counted by id,
    rather than every card sorted and every answer of the log counted."""
    answered(store)
    with statements(monkeypatch) as seen:
        records = list(store.card_records(limit=5))
    assert [record.key for record in records] == [f"beta0-{n}" for n in range(4)] + ["beta1-0"]
    card_reads = [sql for sql in seen if "FROM card" in sql]
    assert len(card_reads) == 2 and all("WHERE section_id =" in sql for sql in card_reads)
    answer_reads = [sql for sql in seen if "FROM review_log" in sql]
    assert answer_reads and all("card_id IN (" in sql for sql in answer_reads)


def test_the_json_pieces_pause_the_cycle_collector_until_the_last(store: Store) -> None:
    import gc

    from recall1924.browse import Listing, json_cards
    from recall1924.scheduling import decay_of

    answered(store)

    def pieces() -> Iterator[str]:
        listing = Listing(now=NOW, day_starts_at=4, decay=decay_of(SCHEDULER))
        return json_cards(store, listing, chunk=5)

    assert gc.isenabled()
    listing = pieces()
    seen = [gc.isenabled() for _piece in listing]
    # 18 cards in sections of 3 and 4, pieces of at least 5 cards, then "]"
    assert seen[:-1] == [False] * (len(seen) - 1) and len(seen) == 4
    assert gc.isenabled()
    abandoned = pieces()
    next(abandoned)
    assert not gc.isenabled()
    abandoned.close()  # a reader that stops early (a closed pipe) gives it back too
    assert gc.isenabled()


@pytest.mark.sqlite_only  # SQLite's query plan
def test_a_limited_sorted_listing_of_every_card_reads_the_table_not_an_index(
    store: Store,
) -> None:
    """``recall cards --sort due`` (200 rows of every deck) sorts every card whatever it reads
    them by: without a condition SQLite planned a walk of ix_card_due with a look-up per card,
    five times the cost of reading the table on 100,000 cards."""
    answered(store)
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        seen.append((args[2], args[3]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        records = list(store.card_records(CardQuery(order=CardOrder.Due), limit=5))
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(records) == 5
    ((listing, params),) = [(sql, params) for sql, params in seen if "card.question" in sql]
    driver = store.engine.raw_connection()
    try:
        plan = [row[3] for row in driver.execute(f"EXPLAIN QUERY PLAN {listing}", params)]
    finally:
        driver.close()
    (card_step,) = [step for step in plan if " card" in step and "TEMP" not in step]
    assert "USING INDEX" not in card_step, plan
