"""An import's history is counted into its cards' answer counters in one statement after its
inserts (on SQLite: ``dialect.recounts_bulk_answers``), not by a trigger per answer: the same
counts the triggers give, on new cards and on cards that already had answers, with the
triggers back for every later answer, and back too when the import fails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import collection_sql
from conftest import NOW, SHARED_TESTDATA
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.importing import import_decks
from recall1924.scheduling import Rating
from recall1924.store import decks as deck_store
from recall1924.store import dialect
from test_answer_counters import expected_counters, stored_counters

START = NOW - timedelta(days=300)
# Good, Good, Good, a mature Again, relearnt, Good, Good, a young Again, ...: every counter
ANSWERS = ((0, 3), (1, 3), (5, 3), (40, 1), (41, 3), (45, 3), (80, 3), (83, 1), (84, 3))


def history(days: tuple[tuple[int, int], ...]) -> tuple[PastAnswer, ...]:
    return tuple(PastAnswer(START + timedelta(days=day), rating) for day, rating in days)


def deck_with(cards: dict[str, tuple[PastAnswer, ...]]) -> DeckSpec:
    return DeckSpec(
        "anki",
        "From Anki",
        (
            SectionSpec(
                "s",
                "S",
                tuple(CardSpec(key, f"{key}?", "A", history=past) for key, past in cards.items()),
            ),
        ),
    )


def imported(db_path: Path, deck: DeckSpec) -> None:
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        import_decks(app.store, [deck], now=NOW, replay=app.replay)
    finally:
        app.close()


def counters_and_expected(db_path: Path) -> tuple[dict[int, tuple[int, ...]], dict[int, tuple]]:
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        return stored_counters(db_path), expected_counters(app.store)
    finally:
        app.close()


def test_a_new_decks_history_is_counted_on_each_card(db_path: Path) -> None:
    imported(db_path, deck_with({"a": history(ANSWERS), "b": history(ANSWERS[:5]), "c": ()}))
    found, expected = counters_and_expected(db_path)
    assert found == expected
    assert sorted(found.values()) == [(2, 1, 1, 1), (5, 2, 2, 2)]  # c: no answers, no counts


def test_newer_answers_are_counted_on_top_of_the_ones_a_card_had(db_path: Path) -> None:
    imported(db_path, deck_with({"a": history(ANSWERS[:5]), "b": history(ANSWERS[:2])}))
    first, _ = counters_and_expected(db_path)
    imported(db_path, deck_with({"a": history(ANSWERS), "b": history(ANSWERS[:2])}))
    found, expected = counters_and_expected(db_path)
    assert found == expected
    assert list(first.values()) == [(2, 1, 1, 1)]  # b: no answer in the Review state
    assert list(found.values()) == [(5, 2, 2, 2)]


def triggers(db_path: Path) -> list[str]:
    """The answer counters' triggers the collection has (names; SQLite's: with their SQL)."""
    with collection_sql.connect(db_path) as connection:
        if isinstance(collection_sql.location(db_path), Path):
            rows = connection.execute(
                "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
            )
        else:
            rows = connection.execute(
                "SELECT DISTINCT trigger_name FROM information_schema.triggers "
                "WHERE event_object_table = 'review_log' ORDER BY 1"
            )
        return [row[0] for row in rows]


def created(db_path: Path) -> None:
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        assert app.store.deck_count() == 0
    finally:
        app.close()


def test_the_triggers_are_back_after_an_import_and_count_a_later_answer(db_path: Path) -> None:
    created(db_path)
    before = triggers(db_path)
    assert len(before) == len(dialect.COUNTER_TRIGGERS)
    imported(db_path, deck_with({"a": history(ANSWERS)}))
    assert triggers(db_path) == before
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        card_id = app.store.card_ids(["a"], "anki")["a"]
        card = app.store.card(card_id)
        after = app.replay([PastAnswer(NOW, int(Rating.Again))], card.memory)[0][1]
        app.store.record_answer(
            card_id, before=card.memory, after=after, rating=Rating.Again, at=NOW, duration_ms=None
        )
        assert stored_counters(db_path) == expected_counters(app.store)
    finally:
        app.close()
    assert stored_counters(db_path)[card_id][:2] == (6, 3)  # one answer more, a lapse


def test_an_import_that_fails_writing_answers_keeps_the_triggers(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created(db_path)
    before = triggers(db_path)
    insert = deck_store._insert_answers

    def fails(*args: object, **kwargs: object) -> None:
        insert(*args, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(deck_store, "_insert_answers", fails)
    with pytest.raises(OSError, match="disk full"):
        imported(db_path, deck_with({"a": history(ANSWERS)}))
    assert triggers(db_path) == before
    monkeypatch.undo()
    imported(db_path, deck_with({"a": history(ANSWERS)}))
    found, expected = counters_and_expected(db_path)
    assert list(found.values()) == [(5, 2, 2, 2)] and found == expected


def test_only_sqlite_sets_the_triggers_aside() -> None:
    assert dialect.recounts_bulk_answers(name=dialect.SQLITE)
    assert not dialect.recounts_bulk_answers(name=dialect.POSTGRESQL)


def test_a_recount_of_some_cards_names_them() -> None:
    everyone = dialect.recount_answers()
    some = dialect.recount_answers(cards="(SELECT 1)")
    assert "card_id IN (SELECT 1)" in some and "card_id IN" not in everyone


@pytest.mark.corpus
def test_the_spanish_packages_history_is_counted_as_its_answers_say(db_path: Path) -> None:
    from recall1924.importers import read_decks

    path = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"
    if not path.is_file():
        pytest.skip("../shared/testdata is absent")
    read = read_decks(path)
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        import_decks(app.store, read.decks, now=NOW, replay=app.replay)
        expected = expected_counters(app.store)
    finally:
        app.close()
    found = stored_counters(db_path)
    assert found == expected
    assert sum(counts[0] for counts in found.values()) > 10_000  # it compared something
