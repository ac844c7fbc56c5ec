"""Exporters: TOML that parses back to the same deck, CSV that a CSV reader reads back, and an
Anki package that the official ``anki`` package imports with its cards, tree and history."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tomllib
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.deckfile import parse_deck, read_deck_file
from recall1924.exporters import write_apkg, write_csv, write_toml
from recall1924.exporters.toml import toml_string
from recall1924.identity import (
    NOTETYPE_ID,
    NOTETYPE_NAME,
    RecallMark,
    anki_identity,
    deck_mark,
    field_html,
    read_mark,
    recall_guid,
    section_mark,
)
from recall1924.importers import read_decks
from recall1924.paths import bundled_deck_path

# Before Anki's clock would call the package's ids "in the future", and fixed: not the real clock.
EXPORTED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

SMALL = DeckSpec(
    "demo",
    "Demo deck",
    (
        SectionSpec(
            "first",
            "First",
            (
                CardSpec("capital", "Capital of France?", "Paris", "Since 987.", ("geo",)),
                CardSpec("path", "Where is it?", "C:\\decks\\demo", None, ("a b", "x")),
                CardSpec("river", 'The "river"?', "The\nSeine"),
            ),
        ),
        SectionSpec("second", "Second"),
    ),
    description="A demo.",
)


# -- TOML ----------------------------------------------------------------------------------


def test_toml_layout_is_the_documented_one() -> None:
    assert write_toml(SMALL) == (
        "[deck]\n"
        'id = "demo"\n'
        'title = "Demo deck"\n'
        'description = "A demo."\n'
        "\n"
        "[[sections]]\n"
        'id = "first"\n'
        'title = "First"\n'
        "\n"
        "[[sections.cards]]\n"
        'id = "capital"\n'
        'question = "Capital of France?"\n'
        'answer = "Paris"\n'
        'note = "Since 987."\n'
        'tags = ["geo"]\n'
        "\n"
        "[[sections.cards]]\n"
        'id = "path"\n'
        'question = "Where is it?"\n'
        "answer = 'C:\\decks\\demo'\n"
        'tags = ["a b", "x"]\n'
        "\n"
        "[[sections.cards]]\n"
        'id = "river"\n'
        'question = "The \\"river\\"?"\n'
        'answer = """\n'
        "The\n"
        'Seine"""\n'
        "\n"
        "[[sections]]\n"
        'id = "second"\n'
        'title = "Second"\n'
    )
    assert parse_deck(write_toml(SMALL)) == SMALL


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        'say "hi"',
        '"quoted"',
        'ends with quotes""',
        '"""',
        "it's",
        "C:\\it's",
        "back\\slash",
        "two\nlines\\n",
        "\nleading line break",
        "ends with a line break\n",
        'multi\n"""\nquotes"',
        "multi\n'''\nliteral\\",
        "multi\nends with 'quote\\'",
        "carriage\r\nreturn\rlone",
        "tab\there",
        "nul\x00 bell\x07 esc\x1b del\x7f nel\x85 sep\u2028\u2029",
        "unicode: é ß 日本 🙂 \U0010fffd",
        "trailing space ",
        "line end backslash\\\nnext",
    ],
)
def test_toml_string_reads_back_exactly(text: str) -> None:
    assert tomllib.loads(f"value = {toml_string(text)}\n") == {"value": text}


# Quotes, backslashes, line breaks and control characters, often, among all of Unicode.
_ALPHABET = st.one_of(
    st.sampled_from(['"', "'", "\\", "\n", "\r", "\t", " ", "\x00", "\x7f", "\x85", "\u2028"]),
    st.characters(codec="utf-8"),
)
ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True)
# parse_deck strips text, so only stripped, non-empty text can come back unchanged.
texts = st.text(_ALPHABET, min_size=1, max_size=40).map(str.strip).filter(bool)


def decks() -> st.SearchStrategy[DeckSpec]:
    return strategies.decks(ids, texts, max_cards=10)


@settings(max_examples=150, deadline=None)
@given(decks())
def test_toml_round_trip(deck: DeckSpec) -> None:
    text = write_toml(deck)
    assert parse_deck(text) == deck
    assert write_toml(parse_deck(text)) == text


def test_a_card_without_an_answer_reads_back(tmp_path: Path) -> None:
    # A spreadsheet's row (or an Anki note) with an empty back is kept as a card: recall's own
    # export of it was refused on the way back ("field 'answer' must not be empty").
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("question,answer\nWho?,\nWhat?,This\n")
    [deck] = read_decks(sheet).decks
    assert [card.answer for card in deck.cards] == ["", "This"]
    text = write_toml(deck)
    assert 'answer = ""' in text
    assert parse_deck(text) == deck


def test_toml_round_trip_of_the_bundled_deck() -> None:
    deck = read_deck_file(bundled_deck_path())
    text = write_toml(deck)
    again = parse_deck(text)
    assert again == deck
    assert again.description == deck.description
    assert write_toml(again) == text


# -- CSV -----------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_rows_read_back_with_the_importer_header() -> None:
    text = write_csv([SMALL])
    assert text.splitlines()[0] == (
        "question,answer,section,tags,note,id,section_title,deck,deck_title,deck_description"
    )
    deck = {"deck": "demo", "deck_title": "Demo deck", "deck_description": "A demo."}
    assert read_csv(text) == [
        {"question": "Capital of France?", "answer": "Paris", "section": "first",
         "tags": "geo", "note": "Since 987.", "id": "capital", "section_title": "First"} | deck,
        {"question": "Where is it?", "answer": "C:\\decks\\demo", "section": "first",
         "tags": "a_b x", "note": "", "id": "path", "section_title": "First"} | deck,
        {"question": 'The "river"?', "answer": "The\nSeine", "section": "first",
         "tags": "", "note": "", "id": "river", "section_title": "First"} | deck,
    ]  # fmt: skip
    assert '"The ""river""?"' in text  # RFC 4180 quoting
    assert "\r\n" in text


def test_csv_columns_for_versions_and_anki_identities_only_when_there_are_some() -> None:
    plain = replace(SMALL, description=None)
    assert write_csv([plain]).splitlines()[0].endswith(",deck,deck_title")
    card = replace(SMALL.cards[0], source_id="anki:G:0")
    versioned = replace(plain, version=2, sections=(replace(SMALL.sections[0], cards=(card,)),))
    header, row = write_csv([versioned]).splitlines()
    assert header.endswith(",deck,deck_title,deck_version,source_id")
    assert row.endswith(",demo,Demo deck,2,anki:G:0")


def test_csv_of_several_decks_says_which_deck_each_card_is_in() -> None:
    other = replace(SMALL, key="other", title="Other")
    rows = read_csv(write_csv([SMALL, other]))
    assert [(row["deck"], row["deck_title"], row["section"]) for row in rows] == [
        ("demo", "Demo deck", "first")] * 3 + [("other", "Other", "first")] * 3  # fmt: skip
    # Ids are unique within a deck: the deck column tells two decks' cards apart.
    assert [row["id"] for row in rows] == ["capital", "path", "river"] * 2


@settings(max_examples=60, deadline=None)
@given(decks())
def test_csv_round_trip_of_text(deck: DeckSpec) -> None:
    rows = read_csv(write_csv([deck]))
    assert [(row["question"], row["answer"], row["note"] or None, row["id"]) for row in rows] == [
        (card.question, card.answer, card.note, card.key) for card in deck.cards
    ]


# -- Anki package --------------------------------------------------------------------------


def answers(*ratings: int, start: datetime, every: timedelta = timedelta(days=3)) -> Any:
    return tuple(
        PastAnswer(start + every * index, rating, 4_000 * rating)
        for index, rating in enumerate(ratings)
    )


def history_deck() -> DeckSpec:
    start = EXPORTED_AT - timedelta(days=60)
    cards = [
        CardSpec(
            "new", "New <b>card</b> & co", "Line one\nline two", "A note.", ("geo", "two words")
        ),
        CardSpec("studied", "Studied?", "Yes", history=answers(3, 3, 1, 3, start=start)),
        CardSpec(
            "from-anki",
            "From Anki?",
            "Yes",
            source_id="anki:Ab:c/D{e:0",
            history=(
                PastAnswer(start, 4, 120_000),
                PastAnswer(start, 3, None),
                PastAnswer(start, 3),
            ),
            suspended=True,
        ),
        CardSpec("paused", "Suspended and new?", "Yes", suspended=True),
    ]
    return DeckSpec(
        "history",
        "History",
        (
            SectionSpec("one", "Section one", tuple(cards[:2])),
            SectionSpec("two", "Section two", tuple(cards[2:])),
        ),
    )


@pytest.fixture
def anki_collection(tmp_path: Path) -> Any:
    collection = pytest.importorskip("anki.collection")
    col = collection.Collection(str(tmp_path / "anki.anki2"))
    yield col
    col.close()


def import_into(col: Any, package: Path) -> Any:
    from anki.collection import ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    return col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package),
            options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False),
        )
    )


def test_apkg_is_a_legacy_package(tmp_path: Path) -> None:
    path = tmp_path / "out.apkg"
    write_apkg([SMALL], path, now=EXPORTED_AT)
    with zipfile.ZipFile(path) as package:
        assert package.namelist() == ["collection.anki2", "media"]
        assert package.read("media") == b"{}"
    assert not list(tmp_path.glob("*.partial"))


def test_apkg_imports_into_anki_with_cards_tree_and_history(
    tmp_path: Path, anki_collection: Any
) -> None:
    deck = history_deck()
    small = replace(SMALL, title="Small")
    path = tmp_path / "decks.apkg"
    write_apkg([deck, small], path, now=EXPORTED_AT)

    result = import_into(anki_collection, path)
    col = anki_collection
    cards = deck.cards + small.cards
    assert result.log.found_notes == len(cards)
    assert col.note_count() == len(cards)
    assert col.card_count() == len(cards)
    assert col.db.scalar("select count() from revlog") == sum(len(c.history) for c in cards)
    assert col.db.scalar("select count() from cards where queue = -1") == 2
    # Anki brings in the decks that hold cards, and their parents (not the empty "Second").
    assert sorted(name.name for name in col.decks.all_names_and_ids()) == [
        "Default",
        "History",
        "History::Section one",
        "History::Section two",
        "Small",
        "Small::First",
    ]

    by_front = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        by_front[note["Front"]] = note
    assert set(by_front) == {field_html(card.question) for card in cards}
    new = by_front["New &lt;b&gt;card&lt;/b&gt; &amp; co"]
    assert new["Back"] == "Line one<br>line two"
    assert new["Note"] == "A note."
    assert sorted(new.tags) == ["geo", "two_words"]
    assert col.decks.name(new.cards()[0].did) == "History::Section one"
    assert by_front["From Anki?"].guid == "Ab:c/D{e"
    assert by_front["Studied?"].guid == recall_guid("history", "studied")

    studied = by_front["Studied?"].cards()[0]
    assert (studied.type, studied.queue, studied.reps, studied.lapses) == (2, 2, 4, 1)
    rows = col.db.all(f"select ease, type, time from revlog where cid = {studied.id} order by id")
    assert rows == [[3, 0, 12_000], [3, 1, 12_000], [1, 1, 4_000], [3, 2, 12_000]]
    from_anki = by_front["From Anki?"].cards()[0]
    assert from_anki.queue == -1 and from_anki.type == 2
    rows = col.db.all(f"select id, ease, time from revlog where cid = {from_anki.id} order by id")
    at = int((EXPORTED_AT - timedelta(days=60)).timestamp() * 1000)
    # Three answers at the instant of another card's first: revlog ids (times) kept unique and
    # in order, each moved earlier, never later (an import adds answers later than a card's
    # last: moved later, one would come back twice).
    assert rows == [[at - 3, 4, 60_000], [at - 2, 3, 0], [at - 1, 3, 0]]
    paused = by_front["Suspended and new?"].cards()[0]
    assert (paused.type, paused.queue) == (0, -1)
    assert col.fix_integrity()[1]  # Anki's Check Database finds nothing to fix


def test_apkg_of_the_bundled_deck(tmp_path: Path, anki_collection: Any) -> None:
    deck = read_deck_file(bundled_deck_path())
    path = tmp_path / "bundled.apkg"
    write_apkg([deck], path, now=EXPORTED_AT)
    import_into(anki_collection, path)
    assert anki_collection.card_count() == len(deck.cards)
    names = {name.name for name in anki_collection.decks.all_names_and_ids()}
    assert names == {"Default", deck.title} | {
        f"{deck.title}::{section.title}" for section in deck.sections if section.cards
    }


def test_apkg_imported_twice_adds_nothing_the_second_time(
    tmp_path: Path, anki_collection: Any
) -> None:
    path = tmp_path / "decks.apkg"
    write_apkg([history_deck()], path, now=EXPORTED_AT)
    import_into(anki_collection, path)
    later = tmp_path / "later.apkg"
    write_apkg([history_deck()], later, now=EXPORTED_AT + timedelta(days=1))
    result = import_into(anki_collection, later)
    assert len(result.log.new) == 0
    assert anki_collection.note_count() == 4
    assert anki_collection.db.scalar("select count() from revlog") == 7


def test_apkg_review_types_follow_lapses_and_relearning(tmp_path: Path) -> None:
    card = CardSpec("c", "Q", "A", history=answers(1, 3, 3, 1, 1, 3, 3, start=EXPORTED_AT))
    path = tmp_path / "one.apkg"
    write_apkg([DeckSpec("d", "D", (SectionSpec("s", "S", (card,)),))], path, now=EXPORTED_AT)
    with zipfile.ZipFile(path) as package:
        (tmp_path / "c.anki2").write_bytes(package.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    try:
        assert [row[0] for row in db.execute("select type from revlog order by id")] == [
            0, 1, 1, 1, 2, 2, 1,
        ]  # fmt: skip
        assert db.execute("select type, queue, reps, lapses from cards").fetchone() == (2, 2, 7, 1)
    finally:
        db.close()


def package_rows(path: Path, tmp_path: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows of ``query`` on the package's collection."""
    with zipfile.ZipFile(path) as package:
        (tmp_path / "rows.anki2").write_bytes(package.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "rows.anki2")
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def test_cards_of_one_anki_note_leave_as_that_note_in_their_templates_places(
    tmp_path: Path, anki_collection: Any
) -> None:
    # a reversed note's two cards in two sections, and the third card of a cloze note whose
    # first two recall no longer has
    deck = DeckSpec(
        "lang",
        "Lang",
        (
            SectionSpec(
                "one",
                "One",
                (
                    CardSpec("perro", "perro", "dog", source_id="anki:G1:0", tags=("pet",)),
                    CardSpec("own", "Own card?", "Yes", "A note."),
                ),
            ),
            SectionSpec(
                "two",
                "Two",
                (
                    CardSpec("dog", "dog", "perro", "Reversed.", source_id="anki:G1:1"),
                    CardSpec("c3", "[...] c", "[3] c", source_id="anki:G2:2"),
                ),
            ),
        ),
    )
    path = tmp_path / "notes.apkg"
    write_apkg([deck], path, now=EXPORTED_AT)

    (decks_json,) = package_rows(path, tmp_path, "select decks from col")[0]
    deck_names = {item["id"]: item["name"] for item in json.loads(decks_json).values()}
    rows = [
        (guid, mid, ordinal, deck_names[did], fields, tags)
        for guid, mid, ordinal, did, fields, tags in package_rows(
            path,
            tmp_path,
            "select guid, mid, ord, did, flds, tags from cards join notes on notes.id = nid "
            "order by cards.id",
        )
    ]
    both = "perro\x1fdog\x1f\x1fdog\x1fperro\x1fReversed."  # card 1's fields, then card 2's
    own = recall_guid("lang", "own")
    assert rows == [
        ("G1", NOTETYPE_ID + 1, 0, "Lang::One", both, " pet "),
        ("G1", NOTETYPE_ID + 1, 1, "Lang::Two", both, " pet "),
        (own, NOTETYPE_ID, 0, "Lang::One", "Own card?\x1fYes\x1fA note.", ""),
        ("G2", NOTETYPE_ID + 2, 2, "Lang::Two", "\x1f" * 6 + "[...] c\x1f[3] c\x1f", ""),
    ]
    (models,) = package_rows(path, tmp_path, "select models from col")[0]
    names = {
        model["name"]: [field["name"] for field in model["flds"]]
        for model in json.loads(models).values()
    }
    assert names == {
        NOTETYPE_NAME: ["Front", "Back", "Note"],
        "Basic (recall, 2 cards)": ["Front_1", "Back_1", "Note_1", "Front_2", "Back_2", "Note_2"],
        "Basic (recall, 3 cards)": [
            f"{name}_{n}" for n in (1, 2, 3) for name in ("Front", "Back", "Note")
        ],
    }

    import_into(anki_collection, path)
    col = anki_collection
    assert (col.note_count(), col.card_count()) == (3, 4)
    reversed_note = col.get_note(col.find_notes("Front_1:perro")[0])
    assert [card.ord for card in reversed_note.cards()] == [0, 1]
    # Anki renders what recall would show: the question, then the answer and the note
    dog = reversed_note.cards()[1]
    assert dog.question().endswith("dog") and "Reversed." in dog.answer()
    assert col.fix_integrity()[1]


def test_an_anki_decks_own_cards_go_back_into_it_and_its_subdecks_paths_into_levels(
    tmp_path: Path,
) -> None:
    # how the Anki package reader names an Anki deck's own cards ("main", the deck's title)
    # and a subdeck two levels down (its path)
    deck = DeckSpec(
        "hsc",
        "HSC",
        (
            SectionSpec("main", "HSC", (CardSpec("a", "Q", "A"),)),
            SectionSpec("cs-one", "CS :: One", (CardSpec("b", "Q2", "A2"),)),
            SectionSpec("odd", "A::B", (CardSpec("c", "Q3", "A3"),)),
        ),
    )
    path = tmp_path / "tree.apkg"
    write_apkg([deck], path, now=EXPORTED_AT)
    assert package_decks(path, tmp_path) == {
        "Default": "",
        "HSC": deck_mark("hsc"),
        "HSC::CS::One": section_mark("cs-one"),
        "HSC::A:B": section_mark("odd"),  # "::" in a title of recall's own is no level
    }
    from recall1924.importers.apkg import read_apkg

    (back,) = read_apkg(path).decks
    odd = replace(deck.sections[2], title="A:B")
    assert back == replace(deck, sections=(*deck.sections[:2], odd))


def test_anki_identity_reads_guid_and_template() -> None:
    assert anki_identity("anki:Ab:c/D{e:1") == ("Ab:c/D{e", 1)
    assert anki_identity("anki:abc") is None
    assert anki_identity("deck.toml#card") is None
    assert anki_identity(None) is None


def test_a_recall_deck_sent_to_anki_comes_back_as_the_same_cards(tmp_path: Path) -> None:
    from recall1924.importers.apkg import read_apkg

    deck = read_deck_file(bundled_deck_path())
    package = tmp_path / "deck.apkg"
    write_apkg([deck], package, now=datetime(2026, 11, 27, tzinfo=UTC))
    (back,) = read_apkg(package, deck_key=deck.key).decks
    assert sorted(card.key for card in back.cards) == sorted(card.key for card in deck.cards)


# -- recall's ids in the package -----------------------------------------------------------


def package_decks(path: Path, tmp_path: Path) -> dict[str, str]:
    """The package's Anki decks: name -> description."""
    with zipfile.ZipFile(path) as package:
        (tmp_path / "c.anki2").write_bytes(package.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    try:
        (decks_json,) = db.execute("select decks from col").fetchone()
    finally:
        db.close()
    return {deck["name"]: deck["desc"] for deck in json.loads(decks_json).values()}


def test_apkg_carries_the_recall_ids_at_the_end_of_each_deck_description(tmp_path: Path) -> None:
    deck = replace(SMALL, version=3)
    path = tmp_path / "ids.apkg"
    write_apkg([deck], path, now=EXPORTED_AT)
    descriptions = package_decks(path, tmp_path)
    assert descriptions == {
        "Default": "",
        "Demo deck": "A demo.<!-- recall:deck id=demo version=3 -->",
        "Demo deck::First": "<!-- recall:section id=first -->",
        "Demo deck::Second": "<!-- recall:section id=second -->",
    }
    assert read_mark(descriptions["Demo deck"]) == RecallMark("deck", "demo", 3, "A demo.")
    assert read_mark(descriptions["Demo deck::First"]) == RecallMark("section", "first", None, "")


def test_read_mark_finds_only_a_mark_recall_wrote_at_the_end() -> None:
    assert read_mark(deck_mark("stalin-1924", 2)) == RecallMark("deck", "stalin-1924", 2, "")
    assert read_mark("About <b>it</b>" + deck_mark("d")) == RecallMark(
        "deck", "d", None, "About <b>it</b>"
    )
    assert read_mark(section_mark("s") + "\n") == RecallMark("section", "s", None, "")
    for other in ["", "A deck.", "<!-- a comment -->", "<!-- recall:deck id=Bad -->",
                  deck_mark("d") + " and text after it", "<!-- recall:card id=x -->"]:  # fmt: skip
        assert read_mark(other) is None, other


def test_anki_keeps_the_recall_ids(tmp_path: Path, anki_collection: Any) -> None:
    deck = read_deck_file(bundled_deck_path())
    path = tmp_path / "bundled.apkg"
    write_apkg([deck], path, now=EXPORTED_AT)
    import_into(anki_collection, path)
    marks = {
        name.name: read_mark(anki_collection.decks.get(name.id)["desc"])
        for name in anki_collection.decks.all_names_and_ids()
    }
    top = marks.pop(deck.title)
    assert top is not None and (top.kind, top.key, top.version) == ("deck", "stalin-1924", 3)
    assert marks.pop("Default") is None
    assert sorted(mark.key for mark in marks.values() if mark is not None) == sorted(
        section.key for section in deck.sections
    )


def test_a_recall_deck_sent_to_anki_comes_back_with_its_ids(tmp_path: Path) -> None:
    from recall1924.importers.apkg import read_apkg

    deck = read_deck_file(bundled_deck_path())
    package = tmp_path / "deck.apkg"
    write_apkg([deck], package, now=datetime(2026, 11, 27, tzinfo=UTC))
    (back,) = read_apkg(package).decks
    assert (back.key, back.title, back.version, back.description) == (
        deck.key,
        deck.title,
        deck.version,
        deck.description,
    )
    assert sorted(section.key for section in back.sections) == sorted(
        section.key for section in deck.sections
    )


def test_each_card_keeps_its_place_in_recalls_schedule(
    tmp_path: Path, anki_collection: Any
) -> None:
    """A learning or relearning card stays one in Anki, on its step, due when recall has it
    due; a review card keeps its due day and interval; each brings its FSRS memory state."""
    from fsrs import State

    from recall1924.exporters.apkg import apkg_bytes
    from recall1924.scheduling import MemoryState
    from recall1924.settings import Settings

    now = datetime.now(UTC).replace(microsecond=0)  # Anki counts its days from today's
    own = Settings.load({"learning_steps": "1m 10m 1h", "desired_retention": "0.85"})[0]
    earlier = now - timedelta(days=20)
    memories = {
        "learning": MemoryState(State.Learning, 1, 0.4, 6.0, now + timedelta(minutes=10), now),
        "relearning": MemoryState(State.Relearning, 0, 1.25, 8.5, now + timedelta(minutes=10), now),
        "tomorrow": MemoryState(State.Learning, 2, 0.9, 5.5, now + timedelta(days=2), now),
        "review": MemoryState(State.Review, None, 15.58991, 6.2043, now + timedelta(days=12), now),
        "new": MemoryState.new(now),
    }
    cards = tuple(
        CardSpec(
            key,
            f"{key}?",
            "A",
            history=() if key == "new" else (PastAnswer(earlier, 3), PastAnswer(now, 3)),
            memory=memory,
        )
        for key, memory in memories.items()
    )
    path = tmp_path / "placed.apkg"
    deck = DeckSpec("d", "D", (SectionSpec("main", "D", cards),))
    path.write_bytes(apkg_bytes([deck], now=now, settings={"d": own}))
    import_into(anki_collection, path)
    col = anki_collection
    assert col.sched.today == 0
    placed = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        placed[card.note()["Front"].rstrip("?")] = card
    seconds = int((now + timedelta(minutes=10)).timestamp())
    assert {key: (c.type, c.queue, c.left) for key, c in placed.items()} == {
        "learning": (1, 1, 2),  # step 1 of three: two to go
        "relearning": (3, 1, 1),
        "tomorrow": (1, 3, 1),  # a step past the day: due on a day, not a second
        "review": (2, 2, 0),
        "new": (0, 0, 0),
    }
    assert placed["learning"].due == placed["relearning"].due == seconds
    today = now.astimezone(UTC).date()
    assert placed["tomorrow"].due == ((now + timedelta(days=2)).date() - today).days
    assert (placed["review"].due, placed["review"].ivl) == (12, 12)
    state = placed["review"].memory_state
    assert (round(state.stability, 4), round(state.difficulty, 3)) == (15.5899, 6.204)
    assert placed["review"].desired_retention == pytest.approx(0.85)
    assert placed["new"].memory_state is None
    assert col.fix_integrity()[1]  # Anki's Check Database finds nothing to fix
