"""Changing cards where the deck lives (issue 16): the student's TOML file in place, else the
collection as the student's own wording, which imports and updates of the deck keep."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import collection_sql
from conftest import NOW, SHARED_TESTDATA, make_deck
from recall1924.deck import CardSpec
from recall1924.deckfile import read_deck_file
from recall1924.editing import (
    card_to_add,
    card_to_edit,
    deck_file,
    flag_card,
    restore_flag,
    save_edit,
    save_new,
    undo_edit,
)
from recall1924.errors import DeckFileError, NotFoundError, ReadOnlyDatabaseError
from recall1924.exporters import export_decks
from recall1924.importers import read_decks
from recall1924.importing import import_deck, import_decks
from recall1924.scheduling import Rating, answer
from recall1924.store import Store
from recall1924.store.edits import Upstream
from test_storage_faults import read_only_collection  # noqa: F401 - a fixture

LATER = NOW + timedelta(days=3)

DECK = """\
# The student's own deck: comments and layout are theirs.
[deck]
id = "mine"
title = "My deck"

[[sections]]
id = "one"
title = "One"

# the first card
[[sections.cards]]
id = "a"
question = "What is A?"   # keep this comment
answer = "A."

[[sections.cards]]
id = "b"
question = '''
Multi
line'''
answer = 'B \\ literal'
tags = ["x"]

[[sections]]
id = "two"
title = "Two"

[[sections.cards]]
id = "c"
question = "What is C?"
answer = "C."
"""


def import_file(store: Store, path: Path) -> Any:
    return import_decks(store, read_decks(path).decks, now=NOW).decks[0]


@pytest.fixture
def deck_path(tmp_path: Path, store: Store) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(DECK, encoding="utf-8")
    import_file(store, path)
    return path


def row(db: Path, key: str) -> dict[str, Any]:
    with collection_sql.connect(db, dicts=True) as connection:
        found = connection.execute("SELECT * FROM card WHERE key = ?", (key,)).fetchone()
    assert found is not None, key
    return dict(found)


def answer_once(store: Store, key: str) -> None:
    from fsrs import Scheduler

    card_id = store.card_ids([key])[key]
    before = store.card(card_id).memory
    after = answer(
        Scheduler(enable_fuzzing=False), card_id=card_id, memory=before, rating=Rating.Good, at=NOW
    )
    store.record_answer(
        card_id, before=before, after=after, rating=Rating.Good, at=NOW, duration_ms=1000
    )


MEMORY = ("state", "step", "stability", "difficulty", "due", "last_review", "id", "position")


# --- where a deck lives ----------------------------------------------------------------------


def test_a_deck_lives_in_its_toml_file_only_while_it_is_there(
    deck_path: Path, tmp_path: Path
) -> None:
    assert deck_file(str(deck_path)) == deck_path
    assert deck_file(None) is None
    assert deck_file("bundled with recall") is None
    csv = tmp_path / "cards.csv"
    csv.write_text("question,answer\nQ,A\n", encoding="utf-8")
    assert deck_file(str(csv)) is None
    deck_path.rename(tmp_path / "moved.toml")
    assert deck_file(str(deck_path)) is None


# --- editing in the student's file -----------------------------------------------------------


def test_an_edit_goes_into_the_file_in_place_and_a_reimport_changes_nothing(
    store: Store, deck_path: Path, db_path: Path
) -> None:
    answer_once(store, "a")
    kept = {name: row(db_path, "a")[name] for name in MEMORY}
    target = card_to_edit(store, "a")
    assert target.file == deck_path
    saved = save_edit(
        store, target, "one", replace(target.shown, answer="  A, reworded.  "), now=LATER
    )
    assert saved.changed and saved.file == deck_path
    # Only the answer's line changed: its comment, the others' lines, the layout all stay.
    assert deck_path.read_text(encoding="utf-8") == DECK.replace(
        'answer = "A."', 'answer = "A, reworded."'
    )
    stored = row(db_path, "a")
    assert stored["answer"] == "A, reworded."
    assert stored["edited_at"] is None and stored["upstream"] is None
    assert {name: stored[name] for name in MEMORY} == kept
    assert len(store.answers()) == 1
    plan = import_file(store, deck_path)
    assert (plan.added, plan.updated, plan.kept) == ((), (), ())
    assert set(plan.unchanged) == {"a", "b", "c"}


def test_an_added_card_goes_at_the_end_of_its_section_in_the_file(
    store: Store, deck_path: Path
) -> None:
    target = card_to_add(store, "mine", "one")
    card = CardSpec("", "What was Lenin's Testament?", "A letter.", tags=("essay",))
    saved = save_new(store, target, "one", card, now=LATER)
    assert (saved.key, saved.file) == ("lenins-testament", deck_path)
    text = deck_path.read_text(encoding="utf-8")
    assert text.startswith(DECK.split('[[sections]]\nid = "two"')[0].rstrip("\n"))
    held = read_deck_file(deck_path)
    assert [card.key for card in held.sections[0].cards] == ["a", "b", "lenins-testament"]
    plan = import_file(store, deck_path)
    assert (plan.added, plan.updated) == ((), ())
    assert "lenins-testament" in plan.unchanged
    # The same question again gets an id of its own.
    again = save_new(store, card_to_add(store, "mine", "one"), "one", card, now=LATER)
    assert again.key == "lenins-testament-2"


def test_the_file_is_not_touched_when_the_database_refuses(
    store: Store, deck_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall1924.errors import DatabaseBusyError

    target = card_to_edit(store, "a")

    def busy(*_args: object, **_kwargs: object) -> None:
        raise DatabaseBusyError("the database is busy in another recall")

    monkeypatch.setattr(Store, "save_wording", busy)
    with pytest.raises(DatabaseBusyError):
        save_edit(store, target, "one", replace(target.shown, answer="New"), now=LATER)
    assert deck_path.read_text(encoding="utf-8") == DECK


def test_a_file_that_cannot_be_written_leaves_the_collection_as_it_was(
    store: Store, deck_path: Path, db_path: Path
) -> None:
    target = card_to_edit(store, "a")
    # The card left the file after it was read: the edit is refused, and the row rolled back.
    deck_path.write_text(DECK.replace('id = "a"', 'id = "a2"'), encoding="utf-8")
    with pytest.raises(DeckFileError):
        save_edit(store, target, "one", replace(target.shown, answer="New"), now=LATER)
    assert row(db_path, "a")["answer"] == "A."


def test_a_crash_after_the_file_leaves_it_ahead_and_the_next_import_catches_up(
    store: Store, deck_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file is replaced before the commit: a crash in between leaves the file ahead, which
    # is the deck; the next import brings the change in as an ordinary update.
    from sqlmodel import Session

    target = card_to_edit(store, "a")

    def crash(_self: Session) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        save_edit(store, target, "one", replace(target.shown, answer="New"), now=LATER)
    monkeypatch.undo()
    assert 'answer = "New"' in deck_path.read_text(encoding="utf-8")
    assert row(db_path, "a")["answer"] == "A."
    plan = import_file(store, deck_path)
    assert plan.updated == ("a",)
    assert row(db_path, "a")["answer"] == "New"


def test_the_files_wording_is_what_is_edited_and_an_unchanged_edit_writes_nothing(
    store: Store, deck_path: Path, db_path: Path
) -> None:
    # A change made by hand in the file and not imported yet is the deck: it is edited.
    deck_path.write_text(DECK.replace('answer = "A."', 'answer = "A by hand."'), encoding="utf-8")
    target = card_to_edit(store, "a")
    assert target.shown.answer == "A by hand."
    before = deck_path.read_bytes()
    saved = save_edit(store, target, "one", target.shown, now=LATER)
    assert saved.changed  # the collection takes the file's wording
    assert deck_path.read_bytes() == before
    assert row(db_path, "a")["answer"] == "A by hand."
    again = save_edit(store, card_to_edit(store, "a"), "one", target.shown, now=LATER)
    assert not again.changed


def test_undo_puts_the_file_and_the_collection_back(
    store: Store, deck_path: Path, db_path: Path
) -> None:
    target = card_to_edit(store, "b")
    saved = save_edit(
        store, target, "one", replace(target.shown, question="One line now"), now=LATER
    )
    assert "One line now" in deck_path.read_text(encoding="utf-8")
    undo_edit(store, saved, now=LATER)
    assert deck_path.read_text(encoding="utf-8") == DECK
    assert row(db_path, "b")["question"] == "Multi\nline"


# --- editing in the collection ---------------------------------------------------------------


@pytest.fixture
def collection_deck(store: Store) -> Store:
    """The demo deck, imported from no file of the student's (as from CSV or Anki)."""
    import_deck(store, make_deck(), now=NOW)
    return store


def test_a_deck_without_a_file_keeps_the_edit_as_the_students_wording(
    collection_deck: Store, db_path: Path
) -> None:
    store = collection_deck
    answer_once(store, "a")
    kept = {name: row(db_path, "a")[name] for name in MEMORY}
    target = card_to_edit(store, "a")
    assert target.file is None
    save_edit(store, target, "one", replace(target.shown, answer="Mine"), now=LATER)
    stored = row(db_path, "a")
    assert stored["answer"] == "Mine"
    assert stored["edited_at"] is not None
    upstream = store.card_detail(store.card_ids(["a"])["a"]).upstream
    assert upstream == Upstream("Question a?", "Answer a")  # the deck's own, nothing newer
    assert {name: stored[name] for name in MEMORY} == kept
    # Worded as the deck words it again: the card is the deck's again.
    save_edit(
        store, card_to_edit(store, "a"), "one", CardSpec("a", "Question a?", "Answer a"), now=LATER
    )
    stored = row(db_path, "a")
    assert stored["edited_at"] is None and stored["upstream"] is None


def test_an_import_keeps_the_students_wording_and_records_the_newer_one(
    collection_deck: Store, db_path: Path
) -> None:
    store = collection_deck
    save_edit(
        store, card_to_edit(store, "a"), "one", CardSpec("a", "Question a?", "Mine"), now=LATER
    )
    # The same deck again: nothing newer, the student's wording stays, nothing to announce.
    plan = import_deck(store, make_deck(), now=LATER)
    assert (plan.kept, plan.newer, plan.updated) == (("a",), (), ())
    assert plan.kept_notice() == "1 card keeps your wording (the file has the deck's own)"
    newer = make_deck()
    one = newer.sections[0]
    newer = replace(
        newer,
        sections=(
            replace(
                one, cards=(replace(one.cards[0], answer="Answer a, improved"), *one.cards[1:])
            ),
            *newer.sections[1:],
        ),
    )
    plan = import_deck(store, newer, now=LATER)
    assert (plan.kept, plan.newer, plan.updated) == (("a",), ("a",), ())
    assert plan.kept_notice() == (
        "1 card keeps your wording; a newer wording exists: recall card a shows it"
    )
    assert row(db_path, "a")["answer"] == "Mine"
    detail = store.card_detail(store.card_ids(["a"])["a"])
    assert detail.upstream is not None and detail.upstream.answer == "Answer a, improved"
    assert detail.upstream.updated_at == LATER
    # The file now words it as the student does: the card is the file's again.
    plan = import_deck(
        store,
        replace(
            newer,
            sections=(
                replace(one, cards=(CardSpec("a", "Question a?", "Mine"), *one.cards[1:])),
                *newer.sections[1:],
            ),
        ),
        now=LATER,
    )
    assert plan.kept == () and "a" in plan.unchanged
    assert row(db_path, "a")["edited_at"] is None and row(db_path, "a")["upstream"] is None


def test_a_card_the_student_added_is_never_missing_from_the_deck(collection_deck: Store) -> None:
    store = collection_deck
    target = card_to_add(store, "demo", "two")
    saved = save_new(store, target, "two", CardSpec("", "Mine?", "Yes"), now=LATER)
    assert saved.file is None and saved.key == "mine"
    plan = import_deck(store, make_deck(), now=LATER, prune=True)
    assert plan.missing == ()
    assert "mine" in store.card_ids(["mine"])


def test_export_includes_the_students_wording(collection_deck: Store, tmp_path: Path) -> None:
    store = collection_deck
    save_edit(
        store, card_to_edit(store, "a"), "one", CardSpec("a", "Question a?", "Mine"), now=LATER
    )
    out = tmp_path / "out.toml"
    export_decks(store.deck_specs("demo"), out, fmt="toml", now=LATER, force=False)
    exported = {card.key: card for card in read_deck_file(out).cards}
    assert exported["a"].answer == "Mine"


# --- what is refused -------------------------------------------------------------------------


def test_bad_edits_are_refused_and_nothing_is_written(
    collection_deck: Store, db_path: Path
) -> None:
    store = collection_deck
    target = card_to_edit(store, "a")
    before = row(db_path, "a")
    with pytest.raises(DeckFileError, match="must not be empty"):
        save_edit(store, target, "one", replace(target.shown, answer="   "), now=LATER)
    with pytest.raises(DeckFileError, match="would lose its review history"):
        save_edit(store, target, "one", replace(target.shown, key="z"), now=LATER)
    with pytest.raises(DeckFileError, match="cannot move"):
        save_edit(store, target, "two", target.shown, now=LATER)
    with pytest.raises(DeckFileError, match="already used"):
        save_new(store, card_to_add(store, "demo"), "one", CardSpec("b", "Q", "A"), now=LATER)
    with pytest.raises(DeckFileError, match="no section 'nine'"):
        save_new(store, card_to_add(store, "demo"), "nine", CardSpec("", "Q", "A"), now=LATER)
    with pytest.raises(NotFoundError):
        card_to_edit(store, "nope")
    with pytest.raises(NotFoundError):
        card_to_add(store, "demo", "nine")
    assert row(db_path, "a") == before


@pytest.mark.sqlite_only  # a SQLite file in a read-only folder
def test_a_read_only_collection_is_refused_before_any_editing(
    read_only_collection: Path,  # noqa: F811 - the fixture
) -> None:
    opened = Store.open(read_only_collection, NOW)
    try:
        assert opened.read_only
        with pytest.raises(ReadOnlyDatabaseError):
            card_to_edit(opened, "testament-what")
        with pytest.raises(ReadOnlyDatabaseError):
            card_to_add(opened)
        with pytest.raises(ReadOnlyDatabaseError):
            flag_card(opened, opened.card_ids(["testament-what"])["testament-what"])
    finally:
        opened.close()


# --- flags -----------------------------------------------------------------------------------


def test_a_flag_with_a_reason_and_its_undo(collection_deck: Store, db_path: Path) -> None:
    store = collection_deck
    card_id = store.card_ids(["b"])["b"]
    change = flag_card(store, card_id, "  ask in\nclass ")
    assert (row(db_path, "b")["flag"], row(db_path, "b")["flag_reason"]) == (1, "ask in class")
    assert [(card.key, card.reason) for card in store.flagged_cards()] == [("b", "ask in class")]
    again = flag_card(store, card_id, None, on=False)
    assert (row(db_path, "b")["flag"], row(db_path, "b")["flag_reason"]) == (0, None)
    restore_flag(store, again)
    assert row(db_path, "b")["flag_reason"] == "ask in class"
    restore_flag(store, change)
    assert row(db_path, "b")["flag"] == 0
    assert store.flagged_cards() == []


def test_edits_and_new_cards_keep_the_search_columns_up_to_date(
    collection_deck: Store, db_path: Path
) -> None:
    from recall1924.store.search import search_columns

    store = collection_deck
    card = CardSpec("a", "Question a?", "Évidemment", "Une note", ("Tag-One",))
    save_edit(store, card_to_edit(store, "a"), "one", card, now=LATER)
    added = save_new(
        store, card_to_add(store, "demo"), "two", CardSpec("", "Café?", "Oui"), now=LATER
    )
    for key, spec in (("a", card), (added.key, CardSpec("", "Café?", "Oui"))):
        stored = row(db_path, key)
        expected = search_columns(spec.question, spec.answer, spec.note, spec.tags)
        assert {name: stored[name] for name in expected} == expected, key


ANKI_UPDATE = (
    SHARED_TESTDATA / "apkg" / "ankitects_update1.apkg",
    SHARED_TESTDATA / "apkg" / "ankitects_update2.apkg",
)


@pytest.mark.corpus
@pytest.mark.skipif(not ANKI_UPDATE[1].is_file(), reason="../shared/testdata is absent")
def test_a_newer_anki_package_keeps_the_students_wording(store: Store, db_path: Path) -> None:
    # Anki's own update test: the same note, its text changed in the second package.
    first, second = (read_decks(path) for path in ANKI_UPDATE)
    import_decks(store, first.decks, now=NOW)
    (key,) = [card.key for card in first.decks[0].cards]
    target = card_to_edit(store, key)
    assert target.file is None  # an Anki package is no file of the student's to edit
    save_edit(store, target, target.section, replace(target.shown, answer="Mine"), now=NOW)
    plan = import_decks(store, second.decks, now=LATER).decks[0]
    assert (plan.kept, plan.newer, plan.updated) == ((key,), (key,), ())
    assert row(db_path, key)["answer"] == "Mine"
    upstream = store.card_detail(store.card_ids([key])[key]).upstream
    assert upstream is not None
    assert upstream.same_wording(second.decks[0].cards[0])
