"""Each card's answer counters (what true retention sums) agree with its answers, whatever
writes them: a review, an undo, cram practice, an import with history, a rewritten history,
a repair that deletes answers; and a collection upgraded to them is counted from its log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

import collection_sql
from conftest import NOW
from recall1924 import db
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.db import _alembic_config
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.importing import import_decks
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.store import Store
from recall1924.store.dialect import ANSWER_COUNTERS, MATURE_DAYS
from test_stats import answer_at_interval, give


def expected_counters(store: Store) -> dict[int, tuple[int, int, int, int]]:
    """Each card's counters worked out in Python from its review log rows."""
    counts: dict[int, list[int]] = {}
    for log in store.answers():
        if log.kind != ReviewKind.Review or log.state_before != int(State.Review):
            continue
        assert log.last_review_before is not None
        mature = log.due_before - log.last_review_before >= timedelta(days=MATURE_DAYS - 0.5)
        lapse = log.rating == int(Rating.Again)
        found = counts.setdefault(log.card_id, [0, 0, 0, 0])
        for index, part in enumerate((True, lapse, mature, lapse and mature)):
            found[index] += part
    return {card_id: (a, b, c, d) for card_id, (a, b, c, d) in counts.items()}


def stored_counters(path: Path) -> dict[int, tuple[int, int, int, int]]:
    """Each card's counters as the database holds them (cards with all four 0 left out)."""
    with collection_sql.connect(path) as connection:
        rows = connection.execute(f"SELECT id, {', '.join(ANSWER_COUNTERS)} FROM card")
        return {card_id: tuple(values) for card_id, *values in rows if any(values)}  # type: ignore[misc]


def a_history(demo_store: Store) -> None:
    """Answers of every kind the counters tell apart: young and mature, Again or not, to
    learning and review cards, scheduled and cram."""
    answer_at_interval(demo_store, "a", timedelta(days=30), Rating.Again)  # mature lapse
    answer_at_interval(demo_store, "b", timedelta(days=20, hours=12), Rating.Good)  # mature
    answer_at_interval(demo_store, "c", timedelta(days=20, hours=11), Rating.Good)  # young
    answer_at_interval(demo_store, "d", timedelta(days=3), Rating.Again)  # young lapse
    give(demo_store, "e", Rating.Good, NOW - timedelta(days=2))  # a new card: not counted
    card_id = demo_store.card_ids(["b"])["b"]
    memory = demo_store.card(card_id).memory
    demo_store.record_answer(  # practice: not counted
        card_id,
        before=memory,
        after=memory,
        rating=Rating.Again,
        at=NOW,
        duration_ms=None,
        kind=ReviewKind.Cram,
    )


def test_answers_given_are_counted_on_their_card(demo_store: Store, db_path: Path) -> None:
    a_history(demo_store)
    found = stored_counters(db_path)
    assert found == expected_counters(demo_store)
    ids = demo_store.card_ids(["a", "b", "c", "d"])
    assert [found[ids[key]] for key in "abcd"] == [
        (1, 1, 1, 1),
        (1, 0, 1, 0),
        (1, 0, 0, 0),
        (1, 1, 0, 0),
    ]


def test_an_undone_answer_is_no_longer_counted(demo_store: Store, db_path: Path) -> None:
    a_history(demo_store)
    card_id = demo_store.card_ids(["a"])["a"]
    demo_store.undo_answer(demo_store.answers(card_id)[-1].id or 0)
    assert stored_counters(db_path) == expected_counters(demo_store)
    assert card_id not in stored_counters(db_path)


def test_a_rewritten_history_is_counted_again(demo_store: Store, db_path: Path) -> None:
    a_history(demo_store)
    logs = {}
    for log in demo_store.answers():
        if log.state_before == int(State.Review) and log.last_review_before is not None:
            # every review interval now 40 days: all mature; and one answer made a new card's
            before = MemoryState(
                State.Review, None, 10.0, 5.0, log.last_review_before + timedelta(days=40),
                log.last_review_before,
            )  # fmt: skip
        else:
            before = MemoryState(State.Learning, 0, None, None, log.due_before, None)
        after = MemoryState(
            State(log.state_after), log.step_after, log.stability_after, log.difficulty_after,
            log.due_after, log.last_review_after,
        )  # fmt: skip
        assert log.id is not None
        logs[log.id] = (before, after)
    demo_store.rewrite_memory({}, logs)
    found = stored_counters(db_path)
    assert found == expected_counters(demo_store)
    assert sorted(found.values()) == [(1, 0, 1, 0), (1, 0, 1, 0), (1, 1, 1, 1), (1, 1, 1, 1)]


def test_answers_deleted_by_a_repair_or_with_their_deck_leave_no_count(
    demo_store: Store, db_path: Path
) -> None:
    a_history(demo_store)
    card_id = demo_store.card_ids(["a"])["a"]
    with collection_sql.connect(db_path) as connection:
        connection.execute("DELETE FROM review_log WHERE card_id = ?", (card_id,))
    assert stored_counters(db_path) == expected_counters(demo_store)
    demo_store.remove_deck("demo")
    assert stored_counters(db_path) == {}


def test_an_imported_history_is_counted(db_path: Path) -> None:
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    start = NOW - timedelta(days=200)
    history = tuple(
        PastAnswer(start + timedelta(days=day), rating)
        for day, rating in ((0, 3), (1, 3), (5, 3), (20, 1), (21, 3), (25, 3), (60, 3), (150, 1))
    )
    deck = DeckSpec(
        "anki",
        "From Anki",
        (SectionSpec("s", "S", (CardSpec("c", "Q?", "A", history=history),)),),
    )
    try:
        import_decks(app.store, [deck], now=NOW, replay=app.replay)
        expected = expected_counters(app.store)
        assert stored_counters(db_path) == expected
        ((answers, lapses, _mature, _mature_lapses),) = expected.values()
        assert answers >= 5 and lapses >= 1  # the check above compared something
    finally:
        app.close()


@pytest.mark.sqlite_only  # a SQLite file downgraded; tests/test_postgres.py has the server's
def test_an_upgraded_collection_is_counted_from_its_answers(
    demo_store: Store, db_path: Path
) -> None:
    a_history(demo_store)
    expected = expected_counters(demo_store)
    demo_store.close()
    # Back to the release before the counters (foreign keys off, as for an upgrade: the card
    # table is copied), with every answer kept; then opened by this recall again.
    before_counters = ScriptDirectory.from_config(_alembic_config()).get_revision("0007")
    assert isinstance(before_counters.down_revision, str)
    engine = db.make_engine(db_path)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        command.downgrade(_alembic_config(connection), before_counters.down_revision)
        connection.commit()
    engine.dispose()
    with collection_sql.connect(db_path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(card)")}
        assert not columns & set(ANSWER_COUNTERS)
        assert connection.execute("SELECT count(*) FROM review_log").fetchone() == (10,)
    Store.open(collection_sql.location(db_path), NOW + timedelta(days=1)).close()
    assert stored_counters(db_path) == expected
    assert len(expected) == 4
