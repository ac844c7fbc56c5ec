"""The shape of the work behind ``recall stats`` and the glance, which is what keeps them fast at
a million answers: neither reads the answer history (retention comes from each card's own
counters; only answers stamped on a later day are looked up, by time), the card figures come
from narrow covering indexes, and a long streak costs a few statements, not one per day.

Every statement the real commands run is recorded and its SQLite query plan read back: a plan
that scans ``review_log`` or walks the retention index reads every answer ever given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.db import to_millis
from recall1924.importing import import_deck
from recall1924.scheduling import Rating, retrievability
from recall1924.store import Store
from test_stats import answer_at_interval, give

runner = CliRunner()


# What SQLite's planner and the file's statements do; the server pass checks the figures.
pytestmark = pytest.mark.sqlite_only


@contextmanager
def recorded() -> Iterator[list[tuple[str, Any]]]:
    """Every statement run on any engine meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, _many = args
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def reads_every_answer(db: Path, seen: list[tuple[str, Any]]) -> list[str]:
    """The recorded queries whose plan reads the whole of ``review_log``."""
    found = []
    with closing(sqlite3.connect(db)) as connection:
        connection.create_function("fsrs_retrievability", 3, retrievability)
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = " | ".join(
                row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            # a scan of the table or of an index of it (migration 0009 took the retention
            # index, ix_review_log_recall_interval, into ix_review_log_card_time)
            if "SCAN review_log" in plan:
                found.append(statement)
    return found


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"RECALL_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def history(db_path: Path) -> Path:
    """A collection with answers every day for 200 days, some to cards in review."""
    store = Store.open(db_path, NOW)
    try:
        import_deck(store, make_deck(), now=NOW - timedelta(days=300))
        for offset in range(199, 0, -1):
            give(store, "abc"[offset % 3], Rating.Good, NOW - timedelta(days=offset))
        answer_at_interval(store, "d", timedelta(days=30), Rating.Good)
        answer_at_interval(store, "e", timedelta(days=3), Rating.Again)
    finally:
        store.close()
    return db_path


def test_the_glance_reads_no_answer_history(history: Path) -> None:
    with recorded() as seen:
        out = run()
    assert "Section one" in out
    assert reads_every_answer(history, seen) == []


def test_stats_reads_no_answer_history(history: Path) -> None:
    with recorded() as seen:
        out = run("stats", "--json")
    assert '"retention_mature": 1.0' in out
    assert reads_every_answer(history, seen) == []


def test_stats_of_one_deck_reads_no_answer_history(history: Path) -> None:
    with recorded() as seen:
        out = run("stats", "--json", "--deck", "demo")
    assert '"retention_mature": 1.0' in out
    assert reads_every_answer(history, seen) == []


def test_answers_stamped_on_a_later_day_are_found_by_time_and_left_out(history: Path) -> None:
    store = Store.open(history, NOW)
    try:
        answer_at_interval(store, "a", timedelta(days=30), Rating.Again)  # mature, forgotten
        log_id = store.answers(store.card_ids(["a"])["a"])[-1].id
    finally:
        store.close()
    with closing(sqlite3.connect(history)) as connection, connection:
        connection.execute(
            "UPDATE review_log SET reviewed_at = ? WHERE id = ?",
            (to_millis(datetime(2026, 12, 4, 10, tzinfo=UTC)), log_id),
        )
    with recorded() as seen:
        out = run("stats", "--json")
    assert '"retention_mature": 1.0' in out  # the Again of next week is not in it
    assert reads_every_answer(history, seen) == []


def card_steps(db: Path, seen: list[tuple[str, Any]]) -> list[str]:
    """Each step of the recorded queries' plans that reads the card table."""
    steps = []
    with closing(sqlite3.connect(db)) as connection:
        connection.create_function("fsrs_retrievability", 3, retrievability)
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                steps += [
                    row[3]
                    for row in plan
                    if row[3].split()[:2] in (["SCAN", "card"], ["SEARCH", "card"])
                ]
    return steps


def reads_the_rows(step: str) -> bool:
    """Whether a step reads card rows, wide with every question and answer, for more than the
    one card a primary key finds."""
    return "COVERING INDEX" not in step and "INTEGER PRIMARY KEY" not in step


@pytest.mark.parametrize("args", [(), ("stats",), ("review",)], ids=["glance", "stats", "review"])
def test_every_pass_over_the_cards_reads_a_narrow_index_not_the_rows(
    history: Path, args: tuple[str, ...]
) -> None:
    with recorded() as seen:
        result = runner.invoke(app, list(args), input="q", env={"RECALL_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.output
    steps = card_steps(history, seen)
    assert any("COVERING INDEX" in step for step in steps)
    assert [step for step in steps if reads_the_rows(step)] == []


def test_a_long_streak_takes_a_few_statements_not_one_a_day(history: Path) -> None:
    with recorded() as seen:
        out = run("stats", "--json")
    assert '"streak": 200' in out
    on_answers = [statement for statement, _ in seen if "review_log" in statement]
    assert len(on_answers) <= 10
