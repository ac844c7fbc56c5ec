"""Times are stored to the millisecond (migration 0009): an answer's time as an integer, a card's
as text, and what a file gives with microseconds is the same answer when it comes again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.importing import import_decks


def _deck() -> DeckSpec:
    start = NOW - timedelta(days=40, microseconds=-123_456)  # not a whole millisecond
    history = tuple(
        PastAnswer(start + timedelta(days=day, microseconds=day * 777), rating)
        for day, rating in ((0, 3), (2, 3), (9, 1), (10, 3))
    )
    card = CardSpec("c", "Q?", "A", history=history)
    return DeckSpec("anki", "From Anki", (SectionSpec("s", "S", (card,)),))


def test_a_history_with_microseconds_imported_again_adds_no_answer(db_location: Path) -> None:
    app = App(db_location, FixedClock(NOW), bundled=False)
    try:
        import_decks(app.store, [_deck()], now=NOW, replay=app.replay)
        first = app.store.answers()
        import_decks(app.store, [_deck()], now=NOW, replay=app.replay)
        again = app.store.answers()
    finally:
        app.close()
    assert len(first) == 4
    assert [(log.id, log.reviewed_at) for log in again] == [
        (log.id, log.reviewed_at) for log in first
    ]
    assert all(log.reviewed_at.microsecond % 1000 == 0 for log in again)
