"""Upgrading the bundled deck in a collection made by an older recall: text updated, cards
added, gone cards retired with their history, nothing lost, and a student's own copy left
alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs import Scheduler

import collection_sql
from conftest import NOW, ON_SERVER, make_deck
from recall1924 import bundled, paths
from recall1924.backups import list_backups
from recall1924.bundled import (
    BUNDLED_KEY,
    NOTICE_SETTING,
    RETIRED_SETTING,
    SHIPPED_VERSION,
    STATE_SCOPE,
    check_bundled,
    import_bundled,
)
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import DeckSpec, SectionSpec
from recall1924.deckfile import read_deck_file
from recall1924.exporters.toml import write_toml
from recall1924.importers import BUNDLED_SOURCE, read_decks
from recall1924.importing import import_decks
from recall1924.scheduling import Rating, answer
from recall1924.store import GLOBAL_SCOPE, Store

V1 = Path(__file__).parent / "data" / "deck_v1.toml"
SHIPPED = paths.bundled_deck_path()
LATER = NOW + timedelta(days=40)

GONE = "trotsky-internal-exile"  # in version 1, not in version 2
REWORDED = "testament-suppressed"  # in both, its text changed
SAME = "right-leaders"  # in every version, unchanged
ANSWERED = (GONE, REWORDED, SAME)


def card_rows(db: Path) -> dict[str, dict[str, Any]]:
    """Every card of the bundled deck by key, as stored (memory state, text, suspension)."""
    with collection_sql.connect(db, dicts=True) as connection:
        rows = connection.execute(
            "SELECT card.* FROM card JOIN deck ON deck.id = card.deck_id WHERE deck.key = ?",
            (BUNDLED_KEY,),
        ).fetchall()
    return {row["key"]: dict(row) for row in rows}


def log_rows(db: Path) -> list[tuple[Any, ...]]:
    with collection_sql.connect(db) as connection:
        return connection.execute(
            "SELECT card.key, review_log.* FROM review_log"
            " JOIN card ON card.id = review_log.card_id ORDER BY review_log.id"
        ).fetchall()


def deck_row(db: Path) -> tuple[Any, ...]:
    with collection_sql.connect(db) as connection:
        row = connection.execute(
            "SELECT source, version FROM deck WHERE key = ?", (BUNDLED_KEY,)
        ).fetchone()
    assert row is not None
    return tuple(row)


MEMORY = ("state", "step", "stability", "difficulty", "due", "last_review")


def memory(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in MEMORY)


def open_app(db: Path, at: Any = LATER, *, bundled_deck: bool = True) -> list[str]:
    """Open the collection as a command does; returns the notices it gave."""
    app = App(collection_sql.location(db), FixedClock(at), bundled=bundled_deck)
    try:
        app.store  # noqa: B018 - opening is what is tested
        return list(app.notices)
    finally:
        app.close()


def answer_cards(db: Path, keys: tuple[str, ...]) -> None:
    store = Store.open(collection_sql.location(db), NOW)
    try:
        ids = store.card_ids(keys, BUNDLED_KEY)
        for key in keys:
            for offset, rating in enumerate((Rating.Good, Rating.Again, Rating.Good)):
                at = NOW + timedelta(minutes=15 * offset)
                before = store.card(ids[key]).memory
                after = answer(
                    Scheduler(enable_fuzzing=False),
                    card_id=ids[key],
                    memory=before,
                    rating=rating,
                    at=at,
                )
                store.record_answer(
                    ids[key], before=before, after=after, rating=rating, at=at, duration_ms=900
                )
    finally:
        store.close()


@pytest.fixture
def shipping_v1(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While active, recall ships the first release's deck (no version key)."""
    with monkeypatch.context() as patch:
        patch.setattr(paths, "bundled_deck_path", lambda: V1)
        yield


@pytest.fixture
def v1_collection(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection made by the first release: its bundled deck, some cards answered."""
    with monkeypatch.context() as patch:
        patch.setattr(paths, "bundled_deck_path", lambda: V1)
        notices = open_app(db_path, NOW)
    assert notices[0].startswith("First run: imported the bundled deck")
    assert deck_row(db_path) == (BUNDLED_SOURCE, None)
    answer_cards(db_path, ANSWERED)
    return db_path


def expected_counts() -> tuple[int, int, int]:
    """(updated, added, retired) from version 1 to the shipped deck, computed from the files."""
    old, new = read_deck_file(V1), read_deck_file(SHIPPED)
    before = {card.key: (section.key, card) for section in old.sections for card in section.cards}
    after = {card.key: (section.key, card) for section in new.sections for card in section.cards}
    updated = sum(1 for key in after if key in before and before[key] != after[key])
    return updated, len(after.keys() - before.keys()), len(before.keys() - after.keys())


def test_the_shipped_deck_is_the_version_and_key_recall_checks_for() -> None:
    deck = read_deck_file(SHIPPED)
    assert (deck.key, deck.version) == (BUNDLED_KEY, SHIPPED_VERSION)
    assert read_deck_file(V1).version is None


def test_the_fixture_differs_from_the_shipped_deck_in_every_way_an_upgrade_handles() -> None:
    updated, added, retired = expected_counts()
    assert (updated, added, retired) == (69, 63, 12)  # as of version 3
    shipped = {card.key: card for card in read_deck_file(SHIPPED).cards}
    old = {card.key: card for card in read_deck_file(V1).cards}
    assert GONE not in shipped
    assert old[REWORDED] != shipped[REWORDED]
    assert old[SAME] == shipped[SAME]


def test_an_older_bundled_deck_is_upgraded_on_open_keeping_all_history(
    v1_collection: Path,
) -> None:
    db = v1_collection
    cards_before, logs_before = card_rows(db), log_rows(db)
    assert len(logs_before) == 3 * len(ANSWERED)

    notices = open_app(db)

    updated, added, retired = expected_counts()
    assert notices == [
        f"Updated the bundled deck to version {SHIPPED_VERSION}: {updated} cards updated, "
        f"{added} added, {retired} retired (suspended, history kept)"
    ]
    assert notices == [
        "Updated the bundled deck to version 3: 69 cards updated, 63 added, "
        "12 retired (suspended, history kept)"
    ]
    assert deck_row(db) == (BUNDLED_SOURCE, SHIPPED_VERSION)
    cards_after = card_rows(db)
    shipped = read_deck_file(SHIPPED)
    shipped_cards = {card.key: card for card in shipped.cards}
    assert cards_after.keys() == cards_before.keys() | shipped_cards.keys()
    # Nothing is deleted: every answer is still there, on the same card.
    assert log_rows(db) == logs_before
    # Every card kept from version 1 keeps its memory state; the answered ones were not new.
    for key, row in cards_before.items():
        assert memory(cards_after[key]) == memory(row), key
        assert cards_after[key]["id"] == row["id"]
    for key in ANSWERED:
        assert cards_after[key]["last_review"] is not None
    # The text is the new version's.
    assert cards_after[REWORDED]["question"] == shipped_cards[REWORDED].question
    assert cards_after[REWORDED]["answer"] == shipped_cards[REWORDED].answer
    # Cards gone from the file are retired: suspended, kept; the rest are not.
    gone = {key for key in cards_before if key not in shipped_cards}
    assert len(gone) == retired and GONE in gone
    assert {key for key, row in cards_after.items() if row["suspended"]} == gone
    # Added cards start new.
    for key in shipped_cards.keys() - cards_before.keys():
        assert cards_after[key]["last_review"] is None
    # The database was copied before the update wrote anything.
    assert bool(list_backups(db)) is not ON_SERVER  # a server is backed up by its own tools


def test_a_second_open_changes_nothing(v1_collection: Path) -> None:
    db = v1_collection
    open_app(db)
    cards, logs = card_rows(db), log_rows(db)
    assert open_app(db, LATER + timedelta(days=1)) == []
    assert card_rows(db) == cards
    assert log_rows(db) == logs


def test_an_up_to_date_collection_opens_without_reading_the_deck_file(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert open_app(db_path, NOW)[0].startswith("First run")
    assert deck_row(db_path) == (BUNDLED_SOURCE, SHIPPED_VERSION)

    def no_reading() -> DeckSpec:
        raise AssertionError("the deck file was read on an ordinary start")

    monkeypatch.setattr("recall1924.importers.read_bundled", no_reading)
    assert open_app(db_path) == []


def test_commands_that_skip_the_bundled_deck_do_not_upgrade_it(v1_collection: Path) -> None:
    # `recall import` and `recall decks remove` open the collection with bundled=False.
    assert open_app(v1_collection, bundled_deck=False) == []
    assert deck_row(v1_collection) == (BUNDLED_SOURCE, None)


def test_a_removed_bundled_deck_stays_removed(v1_collection: Path) -> None:
    store = Store.open(collection_sql.location(v1_collection), NOW)
    import_decks(store, [make_deck()], now=NOW)  # a collection with no deck is a new one
    store.remove_deck(BUNDLED_KEY)
    store.close()
    assert open_app(v1_collection) == []
    assert card_rows(v1_collection) == {}


def test_a_students_own_copy_is_left_alone_and_the_notice_given_once(
    v1_collection: Path, tmp_path: Path
) -> None:
    db = v1_collection
    copy = tmp_path / "my-deck.toml"
    text = V1.read_text(encoding="utf-8")
    copy.write_text(text.replace("What was Lenin's Testament?", "Lenin's Testament: what?"))
    store = Store.open(collection_sql.location(db), NOW)
    import_decks(store, read_decks(copy).decks, now=NOW)
    store.close()
    cards, logs = card_rows(db), log_rows(db)

    notices = open_app(db)

    assert notices == [
        f"recall now ships version 3 of the deck 'stalin-1924'; yours was imported from "
        f"{copy.resolve()}, so it was left as it is. To update it: recall import --bundled "
        "(this replaces your changes to its cards)"
    ]
    assert card_rows(db) == cards
    assert log_rows(db) == logs
    assert deck_row(db) == (str(copy.resolve()), None)
    assert open_app(db, LATER + timedelta(days=1)) == []  # said once, not on every start
    store = Store.open(collection_sql.location(db), NOW)
    assert store.settings(STATE_SCOPE) == {NOTICE_SETTING: "3"}
    assert store.settings(GLOBAL_SCOPE) == {}  # nothing among the student's settings
    store.close()


def test_import_bundled_replaces_a_students_copy_and_retires_what_is_not_shipped(
    v1_collection: Path, tmp_path: Path
) -> None:
    db = v1_collection
    copy = tmp_path / "my-deck.toml"
    copy.write_text(
        V1.read_text(encoding="utf-8")
        + '\n[[sections.cards]]\nid = "my-own-card"\nquestion = "Mine?"\nanswer = "Yes"\n'
    )
    store = Store.open(collection_sql.location(db), NOW)
    import_decks(store, read_decks(copy).decks, now=NOW)
    update = import_bundled(store, now=LATER)
    store.close()

    updated, added, retired = expected_counts()
    assert (len(update.plan.updated), len(update.plan.added)) == (updated, added)
    assert len(update.retired) == retired + 1 and "my-own-card" in update.retired
    assert deck_row(db) == (BUNDLED_SOURCE, SHIPPED_VERSION)
    rows = card_rows(db)
    assert rows["my-own-card"]["suspended"] and rows[GONE]["suspended"]
    assert open_app(db) == []


def test_a_dry_run_writes_nothing(v1_collection: Path) -> None:
    db = v1_collection
    cards = card_rows(db)
    store = Store.open(collection_sql.location(db), NOW)
    update = import_bundled(store, now=LATER, dry_run=True)
    store.close()
    assert len(update.retired) == expected_counts()[2]
    assert update.notice().startswith("Would update the bundled deck to version 3: 69 cards")
    assert card_rows(db) == cards
    assert deck_row(db) == (BUNDLED_SOURCE, None)


def test_prune_deletes_instead_of_retiring(v1_collection: Path) -> None:
    db = v1_collection
    store = Store.open(collection_sql.location(db), NOW)
    update = import_bundled(store, now=LATER, prune=True)
    store.close()
    assert update.retired == ()
    assert update.notice().endswith(
        "0 retired (suspended, history kept), 12 deleted with their history"
    )
    rows = card_rows(db)
    assert GONE not in rows
    assert not any(row["suspended"] for row in rows.values())
    assert [row[0] for row in log_rows(db)].count(GONE) == 0


def test_a_retired_card_that_comes_back_is_unsuspended(
    v1_collection: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = v1_collection
    open_app(db)  # to the shipped version: GONE retired
    store = Store.open(collection_sql.location(db), NOW)
    hand_suspended = store.card_ids([SAME], BUNDLED_KEY)[SAME]
    store.set_suspended([hand_suspended], True)  # the student's own choice: kept
    store.close()
    old = {card.key: card for card in read_deck_file(V1).cards}
    shipped = read_deck_file(SHIPPED)
    first, *rest = shipped.sections
    newer = replace(
        shipped,
        version=SHIPPED_VERSION + 1,
        sections=(replace(first, cards=(*first.cards, old[GONE])), *rest),
    )
    path = tmp_path / "deck.toml"
    path.write_text(write_toml(newer), encoding="utf-8")
    monkeypatch.setattr(paths, "bundled_deck_path", lambda: path)
    monkeypatch.setattr(bundled, "SHIPPED_VERSION", SHIPPED_VERSION + 1)
    logs = log_rows(db)

    notices = open_app(db, LATER + timedelta(days=1))

    assert notices == [
        f"Updated the bundled deck to version {SHIPPED_VERSION + 1}: 1 card updated, 0 added, "
        "0 retired (suspended, history kept), 1 back from retirement"
    ]
    rows = card_rows(db)
    assert not rows[GONE]["suspended"]
    assert rows[SAME]["suspended"]
    assert rows[GONE]["last_review"] is not None
    assert log_rows(db) == logs
    assert deck_row(db) == (BUNDLED_SOURCE, SHIPPED_VERSION + 1)
    # The other eleven cards retired in version 3 stay retired and are not counted again.
    assert sum(1 for row in rows.values() if row["suspended"]) == 11 + 1
    store = Store.open(collection_sql.location(db), NOW)
    assert GONE not in store.settings(STATE_SCOPE)[RETIRED_SETTING]
    assert store.settings(BUNDLED_KEY) == {}  # nothing among the deck's own settings
    store.close()


def test_check_bundled_says_nothing_without_a_bundled_deck(store: Store) -> None:
    assert check_bundled(store, now=NOW) is None
    bundled_deck = replace(read_deck_file(V1), source=BUNDLED_SOURCE)
    import_decks(store, [bundled_deck], now=NOW)
    assert store.deck_origin(BUNDLED_KEY) == (BUNDLED_SOURCE, None)
    assert store.deck_origin("nope") is None
    notice = check_bundled(store, now=LATER)
    assert notice is not None and notice.startswith("Updated the bundled deck to version 3")
    assert check_bundled(store, now=LATER) is None


def test_version_is_recorded_on_import(store: Store) -> None:
    section = SectionSpec("s", "S", ())
    import_decks(store, [DeckSpec("d", "D", (section,), version=7, source="x")], now=NOW)
    assert store.deck_origin("d") == ("x", 7)
    import_decks(store, [DeckSpec("d", "D", (section,), source="x")], now=NOW)
    assert store.deck_origin("d") == ("x", None)


# -- From version 2 to version 3 ---------------------------------------------------------------

V2 = Path(__file__).parent / "data" / "deck_v2.toml"
V2_GONE = "stalin-1928-decision"  # its fact was wrong: retired, two new cards instead
V2_REWORDED = "testament-krupskaya"  # same question, its note now a labelled correction
V2_ANSWERED = (V2_GONE, V2_REWORDED, SAME)


@contextmanager
def shipping_v2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While active, recall is the release that shipped version 2 of the deck."""
    with monkeypatch.context() as patch:
        patch.setattr(paths, "bundled_deck_path", lambda: V2)
        patch.setattr(bundled, "SHIPPED_VERSION", 2)
        yield


@pytest.fixture
def v2_collection(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection made by the release that shipped version 2, some cards answered."""
    with shipping_v2(monkeypatch):
        assert open_app(db_path, NOW)[0].startswith("First run: imported the bundled deck")
    assert deck_row(db_path) == (BUNDLED_SOURCE, 2)
    answer_cards(db_path, V2_ANSWERED)
    return db_path


def counts_between(old: Path, new: Path) -> tuple[int, int, int]:
    """(updated, added, retired) from one deck file to another."""
    before = {c.key: (s.key, c) for s in read_deck_file(old).sections for c in s.cards}
    after = {c.key: (s.key, c) for s in read_deck_file(new).sections for c in s.cards}
    updated = sum(1 for key in after if key in before and before[key] != after[key])
    return updated, len(after.keys() - before.keys()), len(before.keys() - after.keys())


def test_version_3_reaches_a_version_2_collection_with_its_history(v2_collection: Path) -> None:
    db = v2_collection
    cards_before, logs_before = card_rows(db), log_rows(db)
    assert len(logs_before) == 3 * len(V2_ANSWERED)

    notices = open_app(db)

    assert counts_between(V2, SHIPPED) == (36, 33, 3)
    assert notices == [
        "Updated the bundled deck to version 3: 36 cards updated, 33 added, "
        "3 retired (suspended, history kept)"
    ]
    assert deck_row(db) == (BUNDLED_SOURCE, 3)
    shipped = {card.key: card for card in read_deck_file(SHIPPED).cards}
    after = card_rows(db)
    assert after.keys() == cards_before.keys() | shipped.keys()
    # Every answer is kept, on the same card; every card keeps its id and memory state.
    assert log_rows(db) == logs_before
    for key, row in cards_before.items():
        assert (after[key]["id"], memory(after[key])) == (row["id"], memory(row)), key
    for key in V2_ANSWERED:
        assert after[key]["last_review"] is not None, key
    # The reworded card shows version 3's text; the retired ones are suspended, kept.
    assert after[V2_REWORDED]["note"] == shipped[V2_REWORDED].note
    assert after[V2_REWORDED]["note"].startswith("Correction: ")
    retired = {"stalin-1928-decision", "trotsky-1920-tax-proposal", "nep-dispute-loyalty"}
    assert {key for key, row in after.items() if row["suspended"]} == retired
    assert [row[0] for row in log_rows(db)].count(V2_GONE) == 3
    # The cards new in version 3 start new, in the queue.
    for key in shipped.keys() - cards_before.keys():
        assert after[key]["last_review"] is None and not after[key]["suspended"], key
    assert {"stalin-1928-turn", "collectivisation-decided-when", "historian-kotkin"} <= (
        shipped.keys() - cards_before.keys()
    )
    assert bool(list_backups(db)) is not ON_SERVER  # a server is backed up by its own tools
    assert open_app(db, LATER + timedelta(days=1)) == []  # once, not on every start


def test_a_collection_updated_to_2_then_meets_3_retires_only_what_3_dropped(
    v1_collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = v1_collection
    with shipping_v2(monkeypatch):
        assert open_app(db)[0].startswith("Updated the bundled deck to version 2")
    logs = log_rows(db)

    notices = open_app(db, LATER + timedelta(days=1))

    assert notices == [
        "Updated the bundled deck to version 3: 36 cards updated, 33 added, "
        "3 retired (suspended, history kept)"
    ]
    rows = card_rows(db)
    assert sum(1 for row in rows.values() if row["suspended"]) == 10 + 3
    assert rows[GONE]["suspended"] and rows[GONE]["last_review"] is not None
    assert log_rows(db) == logs
