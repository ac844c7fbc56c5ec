"""Stats, the glance, the exam order and the retrievability search give the same results on
PostgreSQL as on SQLite, for the same history.

One history is written into both stores once for the module: a deck of 48 cards answered over
ten weeks before ``NOW``, in a zone with daylight saving (its autumn change inside the
heatmap), with answers a minute either side of local midnight and of the day's start on the
change day, practice answers, an answer stamped two days ahead by a wrong clock, and two
suspended cards. The commands then run on each store, and their outputs are compared whole.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from conftest import NOW, make_deck
from postgres import PostgresServer
from recall1924 import clock
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.importing import import_deck
from recall1924.location import DatabaseLocation
from recall1924.models import Card, ReviewLog
from recall1924.review import Action, run
from recall1924.review.service import start_review
from recall1924.scheduling import Rating, ReviewKind, answer, build_scheduler
from recall1924.settings import Settings

pytestmark = pytest.mark.postgres

ZONE = "America/New_York"
CHANGE_DAY = datetime(2026, 11, 1, tzinfo=ZoneInfo(ZONE))  # clocks go back at 2:00
SCHEDULER = build_scheduler(replace(Settings.from_stored({}), enable_fuzzing=False))
SECTIONS = {f"s{n}": [f"h{n}{m:02}" for m in range(12)] for n in range(4)}


@dataclass(frozen=True)
class Both:
    """The same history in a PostgreSQL database and in a SQLite file."""

    server: str
    file: Path

    def run(self, *args: str, now: datetime = NOW) -> tuple[str, str]:
        """``recall ARGS`` on the server and on the file: each one's output."""
        found = []
        for where in (["--database-url", self.server], ["--db", str(self.file)]):
            result = CliRunner().invoke(
                app, [*args, *where], env={"RECALL_NOW": now.isoformat()}, catch_exceptions=False
            )
            assert result.exit_code == 0, (where, result.stderr)
            found.append(result.stdout)
        return found[0], found[1]

    def json(self, *args: str) -> tuple[Any, Any]:
        on_server, in_file = self.run(*args, "--json")
        return json.loads(on_server), json.loads(in_file)


def _local(day: datetime, hour: int, minute: int, second: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=second).astimezone(UTC)


# Answers half a minute either side of local midnight and of 4 o'clock, on the change day.
_EDGES = [
    _local(CHANGE_DAY - timedelta(days=1), 23, 59, 30),
    _local(CHANGE_DAY, 0, 0, 30),
    _local(CHANGE_DAY, 3, 59, 30),
    _local(CHANGE_DAY, 4, 0, 30),
]


def _fill(location: DatabaseLocation) -> None:
    """The module's history, written the same way into the store at ``location``."""
    opened = App(location, FixedClock(NOW))
    try:
        store = opened.store  # with the bundled deck, as a first command leaves it
        clock.use_zone(ZoneInfo(ZONE))  # the answers' review days, as the setting will say
        import_deck(store, make_deck("hist", SECTIONS), now=NOW - timedelta(days=80))
        keys = [key for cards in SECTIONS.values() for key in cards]
        ids = store.card_ids(keys, "hist")
        rng = random.Random(15)
        ratings = [Rating.Again, Rating.Hard, Rating.Good, Rating.Good, Rating.Good, Rating.Easy]
        for index, key in enumerate(keys[:40]):
            card_id = ids[key]
            memory = store.card(card_id).memory
            at = NOW - timedelta(days=rng.uniform(15, 70), seconds=rng.randrange(86400))
            times = [at + timedelta(days=3 * n, hours=rng.uniform(0, 30)) for n in range(5)]
            if index < len(_EDGES):  # the edges, each a first answer
                times = [_EDGES[index], *times[2:]]
            for at in times[: rng.randint(1, 5)]:
                if at >= NOW:
                    break
                rating = rng.choice(ratings)
                after = answer(
                    SCHEDULER,
                    card_id=card_id,
                    memory=memory,
                    rating=rating,
                    at=at,
                    day_starts_at=4,
                )
                duration = rng.randrange(2000, 20000)
                store.record_answer(
                    card_id, before=memory, after=after, rating=rating, at=at, duration_ms=duration
                )
                memory = after
            if index % 9 == 0:  # practice, which changes no schedule
                store.record_answer(
                    card_id,
                    before=memory,
                    after=memory,
                    rating=Rating.Good,
                    at=NOW - timedelta(hours=index + 1),
                    duration_ms=3000,
                    kind=ReviewKind.Cram,
                )
        late = ids[keys[40]]
        memory = store.card(late).memory
        ahead = NOW + timedelta(days=2)  # a wrong clock's answer: not today's
        after = answer(SCHEDULER, card_id=late, memory=memory, rating=Rating.Good, at=ahead)
        store.record_answer(
            late, before=memory, after=after, rating=Rating.Good, at=ahead, duration_ms=4000
        )
        store.set_suspended([ids[keys[1]], ids[keys[44]]], True)
    finally:
        clock.use_zone(None)
        opened.close()


@pytest.fixture(scope="module")
def both(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Both]:
    name = postgres_server.create_database()
    try:
        found = Both(postgres_server.url(name), tmp_path_factory.mktemp("same") / "same.db")
        for where in (found.server, f"sqlite:///{found.file}"):
            _fill(DatabaseLocation.parse(where))
        found.run("config", "set", "timezone", ZONE)
        yield found
    finally:
        postgres_server.drop_database(name)


def test_the_history_is_the_same_on_both_stores(both: Both) -> None:
    histories = []
    for where in (both.server, f"sqlite:///{both.file}"):
        opened = App(DatabaseLocation.parse(where), FixedClock(NOW))
        try:
            with Session(opened.store.engine) as session:
                rows = select(Card.key, ReviewLog.reviewed_at, ReviewLog.kind, ReviewLog.rating)
                rows = rows.join(Card, col(Card.id) == col(ReviewLog.card_id))
                histories.append(list(session.exec(rows.order_by(col(ReviewLog.id)))))
        finally:
            opened.close()
    assert histories[0] == histories[1]
    assert len(histories[0]) > 80


LOAD_FIGURES = {"daily_load", "knowledge", "knowledge_on_exam_day", "knowledge_if_no_reviews"}
"""Stats' figures from ``store/load.py`` (issue 17): summed as integers of 2**-40
(``dialect.in_units``), the same to the last bit on both (checked below)."""


def _apart(found: Any) -> tuple[Any, list[float]]:
    """``found`` without :data:`LOAD_FIGURES`, and those figures, in order."""
    taken: list[float] = []

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                if key in LOAD_FIGURES:
                    taken.append(item)
                else:
                    kept[key] = walk(item)
            return kept
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(found), taken


def _assert_close(found: list[float | None], expected: list[float | None]) -> None:
    assert [value is None for value in found] == [value is None for value in expected]
    assert [value for value in found if value is not None] == pytest.approx(
        [value for value in expected if value is not None], rel=1e-12
    )


@pytest.mark.parametrize(
    "args",
    [["stats"], ["stats", "--deck", "hist"], ["stats", "--deck", "stalin-1924"]],
    ids=["all", "hist", "bundled"],
)
def test_stats_json_is_the_same_on_both_stores(both: Both, args: list[str]) -> None:
    on_server, in_file = both.json(*args)
    (server_rest, server_load), (file_rest, file_load) = _apart(on_server), _apart(in_file)
    assert server_rest == file_rest
    _assert_close(server_load, file_load)
    assert any(day["reviews"] for day in in_file["heatmap"]) == (args[-1] != "stalin-1924")


def test_the_load_figures_are_the_same_to_the_last_bit(both: Both) -> None:
    on_server, in_file = both.json("stats")
    assert _apart(on_server)[1] == _apart(in_file)[1]


def test_the_heatmap_has_the_edges_on_their_local_days(both: Both) -> None:
    _, in_file = both.json("stats", "--deck", "hist")
    heatmap = {day["date"]: day["reviews"] for day in in_file["heatmap"]}
    # 23:59:30 and 00:00:30 are both on the 31st's review day (it starts at 4); 03:59:30 on
    # the change day still is; 04:00:30 is the 1st's, in EST by then.
    assert heatmap.get("2026-10-31", 0) >= 3
    assert heatmap.get("2026-11-01", 0) >= 1


def test_the_glance_is_the_same_on_both_stores(both: Both) -> None:
    on_server, in_file = both.run()
    assert on_server == in_file
    assert "hist" in in_file.lower() or "Deck hist" in in_file


@pytest.mark.parametrize(
    "query",
    ["prop:r<0.9", "prop:r>=0.6 deck:hist", "-prop:r<0.8", "prop:r>0.95 OR is:new", "prop:r=1"],
)
def test_a_retrievability_search_finds_the_same_cards_on_both_stores(
    both: Both, query: str
) -> None:
    on_server, in_file = both.json("cards", query)
    assert on_server == in_file


def test_the_exam_orders_the_review_the_same_on_both_stores(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    name = postgres_server.create_database()
    try:
        exam_day = "2026-12-20"
        shown: list[list[str]] = []
        for where in (postgres_server.url(name), f"sqlite:///{tmp_path / 'exam.db'}"):
            location = DatabaseLocation.parse(where)
            _fill(location)
            for command in (["config", "set", "timezone", ZONE], ["exam", exam_day]):
                result = CliRunner().invoke(
                    app,
                    [*command, "--db", where],
                    env={"RECALL_NOW": NOW.isoformat()},
                    catch_exceptions=False,
                )
                assert result.exit_code == 0, result.stderr
            opened = App(location, FixedClock(NOW))
            try:
                session = start_review(opened, opened.store.scope("hist"), deck="hist")
                run(session, _Answering(12))
                with Session(opened.store.engine) as db_session:
                    answered = (
                        select(Card.key)
                        .join(ReviewLog, col(Card.id) == col(ReviewLog.card_id))
                        .where(col(ReviewLog.reviewed_at) == NOW)
                        .order_by(col(ReviewLog.id))
                    )
                    shown.append(list(db_session.exec(answered)))
            finally:
                opened.close()
        assert shown[0] == shown[1]
        assert len(shown[0]) == 12
    finally:
        postgres_server.drop_database(name)


def test_stats_with_an_exam_set_are_the_same_on_both_stores(both: Both) -> None:
    both.run("exam", "2026-12-20", "--deck", "hist")
    try:
        on_server, in_file = both.json("stats", "--deck", "hist")
        assert in_file["horizon"]["kind"] == "exam"
        assert in_file["exam"]["sections"]  # planned from every card's memory state
        (server_rest, server_load), (file_rest, file_load) = _apart(on_server), _apart(in_file)
        assert server_rest == file_rest
        _assert_close(server_load, file_load)
    finally:
        both.run("exam", "--clear", "--deck", "hist")


class _Answering:
    """A student who answers Good to the first ``count`` cards shown, then stops."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.revealed = False

    def show(self, session: object) -> None:
        pass

    def next_action(self, session: object) -> Action:
        if self.left == 0:
            return Action.QUIT
        if not self.revealed:
            self.revealed = True
            return Action.REVEAL
        self.revealed = False
        self.left -= 1
        return Action.GOOD
