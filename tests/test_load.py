"""Daily load and estimated total knowledge (store/load.py and the stats): Anki's sums over the
cards, checked against the sums written out by hand (on exam day too), against the exam plan's
own recall on exam day, in `recall stats --json` and its table, and the same on PostgreSQL as
on SQLite."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.clock import review_date
from recall1924.importing import import_deck
from recall1924.scheduling import MemoryState, Rating, State, retrievability, review_day
from recall1924.store import Store

DECAY = -DEFAULT_PARAMETERS[20]
EXAM_DAY = review_date(NOW, 4) + timedelta(days=20)


def state(
    stability: float, last: datetime, due: datetime, kind: State = State.Review
) -> MemoryState:
    return MemoryState(kind, None if kind == State.Review else 0, stability, 5.0, due, last)


# (card, its memory after one answer): a 10-day review card, another of 40 days, one in its
# learning steps (due in ten minutes: one review a day), one 3-day card suspended, one new.
CARDS = {
    "a": state(12.0, NOW - timedelta(days=4, hours=3), NOW + timedelta(days=6, hours=-3)),
    "b": state(35.5, NOW - timedelta(days=30), NOW + timedelta(days=10)),
    "c": state(0.4, NOW - timedelta(minutes=5), NOW + timedelta(minutes=5), State.Learning),
    "d": state(3.0, NOW - timedelta(days=2, hours=20), NOW + timedelta(hours=4)),
}
SUSPENDED = {"d"}


def fill(store: Store) -> None:
    import_deck(store, make_deck(), now=NOW - timedelta(days=60))
    ids = store.card_ids(list(CARDS), "demo")
    for key, after in CARDS.items():
        card_id = ids[key]
        assert after.last_review is not None
        store.record_answer(
            card_id,
            before=store.card(card_id).memory,
            after=after,
            rating=Rating.Good,
            at=after.last_review,
            duration_ms=5000,
        )
    store.set_suspended([ids[key] for key in SUSPENDED], True)


def by_hand() -> dict[str, tuple[float, float, float]]:
    """Per section: daily load, knowledge now and on exam day, summed here card by card."""
    sections = {"one": ("a", "b", "c"), "two": ("d", "e")}
    found = {}
    for section, keys in sections.items():
        load = now = on_day = 0.0
        for key in keys:
            memory = CARDS.get(key)
            if memory is None or memory.last_review is None:
                continue  # new: no load, known 0
            days = (memory.due - memory.last_review).total_seconds() / 86400
            if key not in SUSPENDED:
                load += 1 / max(1.0, days)
            hours = (NOW - memory.last_review).total_seconds() / 3600
            now += retrievability(hours // 24, memory.stability, DECAY)
            elapsed = EXAM_DAY.toordinal() - review_day(memory.last_review, 4)
            on_day += retrievability(elapsed, memory.stability, DECAY)
        found[section] = (load, now, on_day)
    return found


def test_the_sums_are_anki_sums_card_by_card(store: Store) -> None:
    fill(store)
    found = store.section_load(now=NOW, decay=DECAY)
    expected = by_hand()
    assert set(found) == {("demo", "one"), ("demo", "two")}
    for section, (load, now, _on_day) in expected.items():
        got = found["demo", section]
        assert got.daily_load == pytest.approx(load, rel=1e-12)
        assert got.knowledge == pytest.approx(now, rel=1e-12)
    # a 10-day card is a tenth of a review a day; the learning card one a day
    assert expected["one"][0] == pytest.approx(1 / 10 + 1 / 40 + 1)
    assert found["demo", "two"].daily_load == 0.0  # suspended, new
    assert found["demo", "two"].knowledge > 0  # the suspended card is still known


def test_one_deck_alone(store: Store) -> None:
    fill(store)
    import_deck(store, make_deck("other", {"x": ["p"]}), now=NOW)
    deck_id = store.scope("demo").deck_id
    found = store.section_load(now=NOW, decay=DECAY, deck_id=deck_id)
    assert found == {
        key: value
        for key, value in store.section_load(now=NOW, decay=DECAY).items()
        if key[0] == "demo"
    }
    assert set(found) == {("demo", "one"), ("demo", "two")}


def stats_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app, ["stats", "--json", *args], env={"RECALL_NOW": NOW.isoformat()}
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_stats_show_them_per_section_in_all_and_on_exam_day(db_location: Path | str) -> None:
    store = Store.open(db_location, NOW)
    try:
        fill(store)
        store.save_setting("exam_date", EXAM_DAY.isoformat())
    finally:
        store.close()
    data = stats_json("--deck", "demo")
    expected = by_hand()
    decks = data["decks"]
    assert isinstance(decks, list)
    sections = {s["id"]: s for s in decks[0]["sections"]}
    for section, (load, now, on_day) in expected.items():
        assert sections[section]["daily_load"] == pytest.approx(load)
        assert sections[section]["knowledge"] == pytest.approx(now)
        assert sections[section]["knowledge_on_exam_day"] == pytest.approx(on_day)
    totals = data["totals"]
    assert isinstance(totals, dict)
    assert totals["daily_load"] == pytest.approx(sum(v[0] for v in expected.values()))
    assert totals["knowledge"] == pytest.approx(sum(v[1] for v in expected.values()))
    assert totals["knowledge_on_exam_day"] == pytest.approx(sum(v[2] for v in expected.values()))
    # The same cards on exam day, counted by the exam plan in Python, card by card.
    exam = data["exam"]
    assert isinstance(exam, dict)
    for part in exam["sections"]:
        assert part["knowledge_if_no_reviews"] == pytest.approx(
            part["recall_if_no_reviews"] * part["cards"], rel=1e-9
        )
        assert part["knowledge_on_schedule"] == pytest.approx(
            part["recall_on_schedule"] * part["cards"], rel=1e-9
        )
    assert exam["knowledge_if_no_reviews"] == pytest.approx(totals["knowledge_on_exam_day"])


def test_without_an_exam_no_exam_day_figure(db_location: Path | str) -> None:
    store = Store.open(db_location, NOW)
    try:
        fill(store)
    finally:
        store.close()
    totals = stats_json("--deck", "demo")["totals"]
    assert isinstance(totals, dict)
    assert totals["knowledge_on_exam_day"] is None
    assert totals["daily_load"] == pytest.approx(1 / 10 + 1 / 40 + 1)


def test_the_table_shows_them(db_location: Path | str) -> None:
    store = Store.open(db_location, NOW)
    try:
        fill(store)
        store.save_setting("exam_date", EXAM_DAY.isoformat())
    finally:
        store.close()
    result = CliRunner().invoke(
        app, ["stats", "--deck", "demo"], env={"RECALL_NOW": NOW.isoformat(), "COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    load = sum(v[0] for v in by_hand().values())
    assert "Load" in out and "Known" in out
    assert f"daily load {load:.1f}/day" in out
    assert "known on exam day" in out
    assert "Known on exam day:" in out and "of 5 cards with no more reviews" in out


@pytest.mark.postgres
def test_the_same_sums_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    found = []
    for location in (postgres_url, tmp_path / "same.db"):
        store = Store.open(location, NOW)
        try:
            fill(store)
            found.append(store.section_load(now=NOW, decay=DECAY))
        finally:
            store.close()
    on_server, in_file = found
    assert set(on_server) == set(in_file)
    for key, load in in_file.items():
        other = on_server[key]
        assert math.isclose(other.daily_load, load.daily_load, rel_tol=1e-12)
        assert math.isclose(other.knowledge, load.knowledge, rel_tol=1e-12)


def test_a_card_reviewed_before_the_day_starts_counts_a_day_more_on_exam_day(
    db_location: Path | str,
) -> None:
    """At 03:00 the review day is still yesterday's (the day starts at 4): one day more."""
    store = Store.open(db_location, NOW)
    late = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    try:
        import_deck(store, make_deck("late", {"s": ["x"]}), now=NOW - timedelta(days=10))
        card_id = store.card_ids(["x"], "late")["x"]
        store.record_answer(
            card_id,
            before=store.card(card_id).memory,
            after=state(5.0, late, late + timedelta(days=5)),
            rating=Rating.Good,
            at=late,
            duration_ms=None,
        )
        store.save_setting("exam_date", EXAM_DAY.isoformat())
    finally:
        store.close()
    totals = stats_json("--deck", "late")["totals"]
    assert isinstance(totals, dict)
    elapsed = EXAM_DAY.toordinal() - review_date(late, 4).toordinal()
    assert elapsed == (EXAM_DAY - NOW.date()).days + 1
    assert totals["knowledge_on_exam_day"] == pytest.approx(retrievability(elapsed, 5.0, DECAY))
    assert totals["knowledge"] == pytest.approx(retrievability(0, 5.0, DECAY))  # 6 hours ago
