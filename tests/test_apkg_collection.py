"""What a whole Anki collection brings besides its cards: its day rollover hour (a ``.colpkg``
or a bare collection; an ``.apkg`` follows the destination's, as in Anki) and its buried cards.

Imports run as ``recall import`` runs them: the file is read first, then imported into the
collection with the replay of :class:`~recall1924.context.App`, which reads the collection's
settings when it first replays an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import collection_sql
from anki_fixtures import BASIC, AnkiBuilder, anki_collection, v1_package
from anki_memory import Memory, anki_memory_states, collection_memory_states
from conftest import NOW
from recall1924.clock import FixedClock, day_bounds
from recall1924.context import App
from recall1924.deck import PastAnswer
from recall1924.importers import read_decks
from recall1924.importing import ImportReport, import_decks
from recall1924.settings import GLOBAL_SCOPE

pytest.importorskip("anki")

ROLLOVER = 12  # noon, far from recall's 4 am: answers either side of it are a day apart


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiBuilder]:
    with anki_collection(tmp_path / "anki") as builder:
        yield builder


def import_file(
    path: Path, db_path: Path, *, now: datetime = NOW, dry_run: bool = False
) -> ImportReport:
    """``recall import PATH`` as the command runs it at ``now``: the file read first, then
    imported with everything the reader found beside the decks."""
    read = read_decks(path)
    app = App(collection_sql.location(db_path), FixedClock(now), bundled=False)
    try:
        return import_decks(
            app.store,
            read.decks,
            now=now,
            replay=app.replay,
            dry_run=dry_run,
            skipped=read.skipped,
            left_out=read.left_out,
            day_starts_at=read.day_starts_at,
            buried=read.buried,
        )
    finally:
        app.close()


def stored_setting(db_path: Path, key: str) -> str | None:
    with collection_sql.connect(db_path) as connection:
        row = connection.execute(
            "SELECT value FROM setting WHERE scope = ? AND key = ?", (GLOBAL_SCOPE, key)
        ).fetchone()
    connection.close()
    return None if row is None else str(row[0])


def recall_memory(db_path: Path) -> dict[str, Memory]:
    with collection_sql.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT key, stability, difficulty FROM card WHERE stability IS NOT NULL"
        ).fetchall()
    connection.close()
    return {key: (stability, difficulty) for key, stability, difficulty in rows}


def close(found: Memory, expected: Memory) -> bool:
    return found == pytest.approx(expected, rel=0.01)


# Day rollover
# ---------------------------------------------------------------------------------------------

START = datetime(2026, 9, 1, tzinfo=UTC)  # TZ is UTC in the tests: local hours are UTC's
# (day, hour) of each answer: pairs either side of noon, hours apart
TIMES: dict[str, list[tuple[int, float]]] = {
    "a": [(0, 10), (0, 13), (3, 11), (9, 13)],
    "b": [(0, 11), (0, 12.5), (1, 11), (1, 12.2), (5, 10)],
    "c": [(0, 9), (1, 11.5), (1, 14), (6, 11.9), (6, 12.1)],
}


def answer_across_noon(anki: AnkiBuilder) -> dict[str, int]:
    cards = {}
    for name, times in TIMES.items():
        [card] = anki.add(BASIC, [f"q {name}", "a"])
        for day, hour in times:
            anki.answer(card, 3, at=START + timedelta(days=day, hours=hour))
        cards[name] = card
    return cards


def key_of(anki: AnkiBuilder, card_id: int) -> str:
    from recall1924.identity import anki_card_key

    return anki_card_key(anki.note_guid(card_id), anki.col.get_card(card_id).ord)


def noon_collection(
    anki: AnkiBuilder, target: Path
) -> tuple[Path, dict[str, Memory], dict[str, Memory]]:
    """A ``.colpkg`` whose day starts at noon, with Anki's states for its noon day and for a
    4 am day (the latter from a fresh collection: Anki keeps the hour it first read)."""
    anki.col.set_config("rollover", ROLLOVER)  # before anything asks Anki what day it is
    cards = answer_across_noon(anki)
    keys = {name: key_of(anki, card) for name, card in cards.items()}
    at_noon = collection_memory_states(anki.col, cards.values())
    histories = {
        index: [PastAnswer(START + timedelta(days=day, hours=hour), 3) for day, hour in times]
        for index, times in enumerate(TIMES.values())
    }
    at_four = anki_memory_states(histories, folder=target.parent / "at-four", rollover=4)
    noon = {keys[name]: at_noon[card] for name, card in cards.items()}
    four = {keys[name]: at_four[index] for index, name in enumerate(TIMES)}
    # the test means something only if the hour changes some card's state by more than 1%
    assert any(not close(noon[key], four[key]) for key in noon)  # type: ignore[arg-type]
    return anki.export(target), defined(noon), defined(four)


def defined(states: dict[str, Memory | None]) -> dict[str, Memory]:
    assert all(state is not None for state in states.values())
    return {key: state for key, state in states.items() if state is not None}


def test_a_new_collection_takes_the_anki_collections_day_rollover(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    package, at_noon, _ = noon_collection(anki, tmp_path / "noon.colpkg")

    report = import_file(package, db_path)

    assert stored_setting(db_path, "day_starts_at") == str(ROLLOVER)
    [notice] = report.notices
    assert "12:00" in notice and "4:00" in notice
    found = recall_memory(db_path)
    assert {key: close(found[key], state) for key, state in at_noon.items()} == dict.fromkeys(
        at_noon, True
    )


def test_an_existing_collection_keeps_its_day_start_and_says_what_that_changes(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    with anki_collection(tmp_path / "other") as other:
        other.add(BASIC, ["already here", "a"], deck="Other")
        first = other.export(tmp_path / "first.apkg")
    package, _, at_four = noon_collection(anki, tmp_path / "noon.colpkg")
    import_file(first, db_path)

    report = import_file(package, db_path)

    assert stored_setting(db_path, "day_starts_at") is None  # still the default, 4
    [notice] = report.notices
    assert "12:00" in notice and "4:00" in notice and "stability" in notice
    found = recall_memory(db_path)
    assert {key: close(found[key], state) for key, state in at_four.items()} == dict.fromkeys(
        at_four, True
    )


def test_a_dry_run_says_it_would_take_the_hour_and_stores_nothing(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    package, _, _ = noon_collection(anki, tmp_path / "noon.colpkg")

    report = import_file(package, db_path, dry_run=True)

    assert stored_setting(db_path, "day_starts_at") is None
    [notice] = report.notices
    assert "would" in notice and "12:00" in notice


def test_an_apkg_follows_the_destinations_day_start_as_in_anki(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    answer_across_noon(anki)
    anki.col.set_config("rollover", ROLLOVER)
    package = anki.export(tmp_path / "noon.apkg", legacy=True)

    assert read_decks(package).day_starts_at is None
    report = import_file(package, db_path)
    assert report.notices == () and stored_setting(db_path, "day_starts_at") is None


@pytest.mark.parametrize("legacy", [False, True])
def test_a_colpkg_carries_its_rollover_in_either_format(
    anki: AnkiBuilder, tmp_path: Path, legacy: bool
) -> None:
    anki.add(BASIC, ["q", "a"])
    anki.col.set_config("rollover", ROLLOVER)
    package = anki.export(tmp_path / "noon.colpkg", legacy=legacy)
    assert read_decks(package).day_starts_at == ROLLOVER


def test_a_bare_collection_carries_its_rollover(tmp_path: Path) -> None:
    with anki_collection(tmp_path / "anki") as anki:
        anki.add(BASIC, ["q", "a"])
        anki.col.set_config("rollover", ROLLOVER)
    assert read_decks(tmp_path / "anki" / "collection.anki2").day_starts_at == ROLLOVER


def test_a_v1_collection_without_a_rollover_starts_its_days_at_4(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    [card] = anki.add(BASIC, ["q", "a"])
    anki.answer(card, 3)
    anki.col.set_config("rollover", ROLLOVER)  # v1 had no such setting: the rewrite drops it
    package = v1_package(anki.export(tmp_path / "v2.colpkg", legacy=True), tmp_path / "v1.colpkg")
    assert read_decks(package).day_starts_at == 4


# Burial
# ---------------------------------------------------------------------------------------------


def test_buried_cards_stay_buried_until_the_next_review_day(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    buried, plain = (anki.add(BASIC, [f"q{n}", "a"])[0] for n in range(2))
    anki.bury([buried])
    keys = {key_of(anki, buried): True, key_of(anki, plain): False}
    package = anki.export(tmp_path / "buried.apkg")

    import_file(package, db_path)

    _, day_end = day_bounds(NOW, 4)
    app = App(collection_sql.location(db_path), FixedClock(NOW), bundled=False)
    try:
        store = app.store
        ids = store.card_ids(keys)
        assert {key: store.card_detail(ids[key]).buried_until for key in keys} == {
            key: day_end if flag else None for key, flag in keys.items()
        }
        scope = store.scope(None)
        assert store.queue_counts(scope, day_end=day_end).new == 1
        assert store.queue_counts(scope, day_end=day_end + timedelta(days=1)).new == 2
    finally:
        app.close()
