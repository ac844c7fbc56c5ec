"""Today's allowance: one object for the daily limits (global and per deck) that the queue,
the review header, the summary and the glance all read; and counts that cost no query."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event

import collection_sql
from conftest import NOW
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.review import Action, scheduled_session
from recall1924.store import Scope

PINNED = NOW.isoformat()


def recall(*args: str, keys: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "recall1924", *args],
        input=keys,
        capture_output=True,
        text=True,
        env={**os.environ, "RECALL_NOW": PINNED},
        timeout=60,
        check=True,
    )
    return done.stdout


def test_a_decks_own_new_card_limit_is_what_every_count_says(db_path: Path) -> None:
    recall("config", "set", "--deck", "stalin-1924", "new_per_day", "2")

    assert "0 reviews, 0 learning, 2 new" in recall()
    out = recall("review", keys=" 3 3 3 q")

    assert "done 0 · left 2 (2 new, 0 due)" in out
    assert "Session: 3 answers on 2 cards" in out  # the two new cards, one of them twice
    assert "Still to do today: 1 (0 review, 1 learning, 0 new)" in out
    assert "0 reviews, 1 learning, 0 new" in recall()


def session_for(db_path: Path):  # type: ignore[no-untyped-def]
    app = App(collection_sql.location(db_path), FixedClock(NOW))
    store = app.store
    review = scheduled_session(
        store,
        app.scheduler_for,
        app.settings,
        app.clock,
        scope=Scope(),
        deck_limits=app.deck_limits(),
    )
    return app, review


def test_counting_what_is_left_reads_no_database(db_path: Path) -> None:
    app, review = session_for(db_path)
    try:
        review.start()
        review.apply(Action.REVEAL)  # the first answer reads the deck's settings, once
        review.apply(Action.GOOD)
        statements: list[str] = []
        event.listen(
            app.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        for _ in range(10):  # every redraw of the header: a scroll, a resize, Space
            review.remaining()
        review.apply(Action.REVEAL)
        review.remaining()
        assert statements == []
    finally:
        app.close()


def test_an_answer_and_its_undo_move_the_counts_as_the_store_would(db_path: Path) -> None:
    app, review = session_for(db_path)
    try:
        review.start()
        assert review.remaining().new == 20
        review.apply(Action.REVEAL)
        review.apply(Action.EASY)  # learnt at once: out of today's queue
        assert (review.remaining().new, review.remaining().learning) == (19, 0)
        review.apply(Action.REVEAL)
        review.apply(Action.AGAIN)  # learning again within the day
        assert (review.remaining().new, review.remaining().learning) == (18, 1)
        review.apply(Action.UNDO)
        assert (review.remaining().new, review.remaining().learning) == (19, 0)
        # A fresh queue read from the store agrees with the one kept in memory.
        _app2, fresh = session_for(db_path)
        try:
            fresh.start()
            assert fresh.remaining() == review.remaining()
        finally:
            _app2.close()
    finally:
        app.close()
