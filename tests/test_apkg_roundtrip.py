"""The Anki package round trip: ``recall export --format apkg``, then ``recall import`` of the
package, straight back or through Anki (the official ``anki`` package). Every card comes back
unchanged, in its deck and section with their ids, with its answers once; and the cards of one
Anki note leave as that one note, each in its template's place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import collection_sql
from anki_fixtures import (
    BASIC,
    CLOZE,
    OPTIONAL_REVERSED,
    REVERSED,
    AnkiBuilder,
    anki_collection,
    package_contents,
)
from conftest import NOW, SHARED_TESTDATA
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.scheduling import Rating, answer
from test_apkg import EXPECTED
from test_csv_roundtrip import cards_in, decks_in, sections_in, summary

pytest.importorskip("anki")

BUNDLED = "stalin-1924"
APKG = SHARED_TESTDATA / "apkg"


def recall(*args: str) -> str:
    result = CliRunner().invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def answers_in(db_path: Path) -> list[tuple[object, ...]]:
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT deck.key, card.key, kind, rating, reviewed_at, duration_ms FROM review_log "
            "JOIN card ON card.id = review_log.card_id JOIN deck ON deck.id = card.deck_id "
            "ORDER BY deck.key, card.key, reviewed_at"
        ).fetchall()
    conn.close()
    return rows


def everything(db_path: Path) -> tuple[object, ...]:
    return decks_in(db_path), sections_in(db_path), cards_in(db_path), answers_in(db_path)


def study(db_path: Path, ratings: dict[str, list[Rating]]) -> None:
    """Answer cards of the bundled deck, a day apart, as a review would (one after another:
    no two answers at one moment)."""
    app = App(collection_sql.location(db_path), FixedClock(NOW))
    try:
        store = app.store
        cards = store.existing_cards(BUNDLED)
        assert cards is not None
        for number, (key, sequence) in enumerate(ratings.items()):
            card_id, memory = cards[key].id, cards[key].memory
            for index, rating in enumerate(sequence):
                at = NOW - timedelta(days=10 - index, minutes=number)
                after = answer(app.scheduler, card_id=card_id, memory=memory, rating=rating, at=at)
                store.record_answer(
                    card_id, before=memory, after=after, rating=rating, at=at, duration_ms=4_200
                )
                memory = after
    finally:
        app.close()


@pytest.fixture
def studied(db_path: Path) -> Path:
    """A collection holding the bundled deck, three of its cards answered."""
    recall("decks")  # the first run brings the bundled deck
    study(
        db_path,
        {
            "testament-what": [Rating.Good, Rating.Good],
            "testament-krupskaya": [Rating.Again, Rating.Good, Rating.Easy],
            "funeral-stalin-role": [Rating.Hard],
        },
    )
    return db_path


# -- straight back -------------------------------------------------------------------------


def test_the_bundled_deck_comes_back_unchanged_into_the_same_collection(
    studied: Path, tmp_path: Path
) -> None:
    before = everything(studied)
    assert len(answers_in(studied)) == 6
    package = tmp_path / "deck.apkg"
    recall("export", "--deck", BUNDLED, "--format", "apkg", "-o", str(package))

    out = recall("import", str(package))

    assert summary(out) == {
        "cards added": [0],
        "cards updated": [0],
        "cards unchanged": [141],
        "cards not in file": [0],
        "answers added": [0],
    }
    # the same id, title, description, version, source, sections (in order), cards and answers
    assert everything(studied) == before


def test_the_bundled_deck_comes_back_whole_into_a_fresh_collection(
    studied: Path, tmp_path: Path
) -> None:
    package = tmp_path / "deck.apkg"
    recall("export", "--deck", BUNDLED, "--format", "apkg", "-o", str(package))
    fresh = tmp_path / "fresh.db"

    out = recall("import", str(package), "--db", str(fresh))

    assert summary(out)["cards added"] == [141]
    assert [row[:2] + row[3:] for row in decks_in(fresh)] == [
        row[:2] + row[3:] for row in decks_in(studied)
    ]  # all but the description's source: the package
    assert decks_in(fresh)[0][2] == decks_in(studied)[0][2]
    assert sections_in(fresh) == sections_in(studied)
    # text, note, tags and section of every card; the memory state replayed from the answers
    assert [row[:9] for row in cards_in(fresh)] == [row[:9] for row in cards_in(studied)]
    assert answers_in(fresh) == answers_in(studied)


# -- through Anki --------------------------------------------------------------------------


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiBuilder]:
    with anki_collection(tmp_path / "anki") as builder:
        yield builder


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "anki21"])
def test_the_bundled_deck_comes_back_unchanged_through_anki(
    studied: Path, tmp_path: Path, anki: AnkiBuilder, legacy: bool
) -> None:
    # Anki keeps the ids in the decks' descriptions (schema 18 keeps them in protobuf) and the
    # fields of recall's note type; it gives the decks ids of its own
    before = everything(studied)
    package = tmp_path / "deck.apkg"
    recall("export", "--deck", BUNDLED, "--format", "apkg", "-o", str(package))
    anki.import_package(package)
    from_anki = anki.export(tmp_path / "from-anki.apkg", legacy=legacy)

    out = recall("import", str(from_anki))

    assert summary(out)["cards unchanged"] == [141]
    assert summary(out)["answers added"] == [0]
    assert everything(studied) == before


def build_notes(anki: AnkiBuilder) -> None:
    """Notes of one, two and three cards, a card of a note moved to another deck, a reverse
    that Anki did not make (its field is empty), and answers."""
    at = NOW - timedelta(days=20)
    forward, backward = anki.add(REVERSED, ["perro", "dog"], deck="Lang::Spanish", tags=["pet"])
    anki.add(CLOZE, ["{{c1::Paris}} is in {{c2::France}}, {{c3::Europe}}", "geo"], deck="Lang")
    _, moved = anki.add(REVERSED, ["gato", "cat"], deck="Lang::Spanish")
    anki.col.set_deck([moved], anki.deck("Other"))
    anki.add(OPTIONAL_REVERSED, ["uno", "one", ""], deck="Other")
    anki.add(BASIC, ["q", "a"], deck="Other")
    for index, (card_id, rating) in enumerate([(forward, 3), (backward, 1), (forward, 4)]):
        anki.answer(card_id, rating, at=at + timedelta(days=index))


def test_the_cards_of_one_anki_note_leave_as_that_note(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    build_notes(anki)
    original = anki.export(tmp_path / "original.apkg")
    recall("import", str(original))
    before = everything(db_path)
    package = tmp_path / "recall.apkg"
    recall("export", "--format", "apkg", "-o", str(package))

    found = package_contents(package, folder=tmp_path / "check-recall")
    expected = package_contents(original, folder=tmp_path / "check-original")

    assert (found.notes, found.cards) == (expected.notes, expected.cards) == (5, 9)
    # each card in its note (by GUID), template and Anki deck, with its answers
    assert found.placed == expected.placed
    assert found.answers == expected.answers == 3
    out = recall("import", str(package))
    assert sum(summary(out)["cards unchanged"]) == 9
    assert summary(out)["answers added"] == [0, 0]
    assert everything(db_path) == before


def test_notes_sharing_a_guid_come_back_as_the_same_cards(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    # genanki derives a GUID from fields, so two notes may share one: Anki imports both, and
    # recall tells their cards apart by the notes' order in the file
    first = anki.add(REVERSED, ["uno", "one"])[0]
    second = anki.add(BASIC, ["dos", "two"])[0]
    anki.col.db.execute(
        "UPDATE notes SET guid = ? WHERE id = ?",
        anki.note_guid(first),
        anki.col.get_card(second).nid,
    )
    recall("import", str(anki.export(tmp_path / "genanki.apkg")))
    before = everything(db_path)
    package = tmp_path / "recall.apkg"
    recall("export", "--format", "apkg", "-o", str(package))

    assert package_contents(package, folder=tmp_path / "check").notes == 2
    out = recall("import", str(package))
    assert summary(out)["cards unchanged"] == [3]
    assert everything(db_path) == before


@pytest.mark.corpus
@pytest.mark.skipif(not APKG.is_dir(), reason="../shared/testdata is absent")
@pytest.mark.parametrize(
    "name", ["latex2anki_example.apkg", "skinatro_collection.anki21", "openrussian_test.apkg"]
)
def test_real_packages_leave_with_their_notes_and_come_back_unchanged(
    tmp_path: Path, db_path: Path, name: str
) -> None:
    notes, cards, answers, *_ = EXPECTED[name]
    recall("import", str(APKG / name))
    before = everything(db_path)
    package = tmp_path / "recall.apkg"
    recall("export", "--format", "apkg", "-o", str(package))

    found = package_contents(package, folder=tmp_path / "check")

    assert (found.notes, found.cards, found.answers) == (notes, cards, answers)
    # each card in its note, template and deck (the deck tree four levels deep in one), with
    # its answers, as in the file recall read
    assert found.placed == package_contents(APKG / name, folder=tmp_path / "original").placed
    out = recall("import", str(package))
    assert sum(summary(out)["cards unchanged"]) == cards
    assert sum(summary(out)["answers added"]) == 0
    assert everything(db_path) == before


SPANISH = APKG / "pedscoffee_SpanishAnkiExportReal.apkg"


@pytest.mark.corpus
@pytest.mark.skipif(not SPANISH.is_file(), reason="../shared/testdata is absent")
def test_the_spanish_package_goes_to_anki_and_back_with_every_card_and_answer(
    tmp_path: Path, db_path: Path
) -> None:
    import json

    recall("import", str(SPANISH))
    before = everything(db_path)
    listing = json.loads(recall("cards", "--json", "--limit", "0"))
    package = tmp_path / "spanish-again.apkg"
    recall("export", "--format", "apkg", "-o", str(package))

    # Into the same collection: every card unchanged, no answer twice.
    out = recall("import", str(package))
    assert sum(summary(out)["cards unchanged"]) == len(listing) == 2887
    assert sum(summary(out)["answers added"]) == 0
    assert everything(db_path)[2:] == before[2:]  # the cards and answers (the source moved)

    # Into a new collection: the same cards with the same memory states and history.
    fresh = tmp_path / "fresh.db"
    recall("--db", str(fresh), "import", str(package))
    again = json.loads(recall("--db", str(fresh), "cards", "--json", "--limit", "0"))
    drop = {"id"}
    assert [{k: v for k, v in card.items() if k not in drop} for card in again] == [
        {k: v for k, v in card.items() if k not in drop} for card in listing
    ]
    # every answer, the two cram answers as cram
    assert len(answers_in(fresh)) == len(answers_in(db_path)) == 31363
    assert Counter(row[2] for row in answers_in(fresh)) == {0: 31361, 1: 2}


@pytest.mark.corpus
@pytest.mark.skipif(not SPANISH.is_file(), reason="../shared/testdata is absent")
def test_in_anki_the_spanish_cards_stand_where_recall_has_them(
    tmp_path: Path, db_path: Path, anki: AnkiBuilder
) -> None:
    """Learning and relearning cards stay so (they were exported as reviews), each card with
    recall's FSRS memory state."""
    import json

    recall("import", str(SPANISH))
    listing = json.loads(recall("cards", "--json", "--limit", "0"))
    package = tmp_path / "spanish.apkg"
    recall("export", "--format", "apkg", "-o", str(package))
    anki.import_package(package)
    col = anki.col
    types = {"new": 0, "learning": 1, "review": 2, "relearning": 3}
    queues = {"new": 0, "learning": 1, "review": 2, "relearning": 1}
    expected = Counter(
        (types[card["state"]], -1 if card["suspended"] else queues[card["state"]])
        for card in listing
    )
    found = Counter(
        (kind, 1 if queue == 3 else queue)  # a day-long step waits in queue 3
        for kind, queue in col.db.all("SELECT type, queue FROM cards")
    )
    assert found == expected
    # the package has both to lose (its one learning card is suspended)
    assert expected[(1, -1)] and expected[(3, 1)]
    memory = sorted(
        (card["stability"], card["difficulty"]) for card in listing if card["stability"] is not None
    )
    states = [col.get_card(card_id).memory_state for card_id in col.find_cards("")]
    kept = sorted((s.stability, s.difficulty) for s in states if s is not None)
    assert len(kept) == len(memory)
    # Anki keeps them as 32-bit floats, to the digits it is given (recall's listing rounds too)
    for (stability, difficulty), (ours, our_difficulty) in zip(kept, memory, strict=True):
        assert stability == pytest.approx(ours, rel=1e-6, abs=1.5e-4)
        assert difficulty == pytest.approx(our_difficulty, abs=1.5e-3)
