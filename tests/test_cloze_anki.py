"""Clozes and Anki, checked with the official ``anki`` package: a deck file's cloze leaves as
one note of a Cloze note type with a card per number and comes back with its ids; an Anki
Cloze note comes in keeping its cloze and leaves as that Cloze note again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anki_fixtures import CLOZE, AnkiBuilder, anki_collection
from recall1924.importers.apkg import read_apkg
from recall1924.scheduling import Rating
from test_cloze import DECK, answers_in, cards_in, recall, study
from test_csv_roundtrip import summary

pytest.importorskip("anki")


@pytest.fixture
def anki(tmp_path: Path) -> Iterator[AnkiBuilder]:
    with anki_collection(tmp_path / "anki") as builder:
        yield builder


def notes_of(anki: AnkiBuilder) -> list[tuple[str, int, str, list[str], list[int]]]:
    """Each note Anki holds: its note type's name and kind (1: cloze), GUID, fields, and its
    cards' template ordinals."""
    col = anki.col
    found = []
    for nid in sorted(col.find_notes("")):
        note = col.get_note(nid)
        kind = note.note_type()
        ordinals = sorted(card.ord for card in note.cards())
        found.append((kind["name"], kind["type"], note.guid, list(note.fields), ordinals))
    return found


def test_a_deck_files_cloze_is_a_cloze_note_in_anki_and_comes_back(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    source = tmp_path / "soviet.toml"
    source.write_text(DECK, encoding="utf-8")
    recall("import", str(source))
    study(db_path, "lenin-death-c1", [Rating.Good, Rating.Good])
    before = cards_in(db_path), answers_in(db_path)
    package = tmp_path / "soviet.apkg"
    recall("export", "--deck", "soviet", "-o", str(package))

    anki.import_package(package)

    cloze_notes = [note for note in notes_of(anki) if note[1] == 1]
    assert cloze_notes == [
        (
            "Cloze (recall)",
            1,
            "recall:soviet:lenin-death",
            [
                "Lenin died in {{c1::January 1924}}; {{c2::Stalin::who?}} spoke at his funeral.",
                "",
                "Trotsky was away in the Caucasus.",
            ],
            [0, 1],
        )
    ]
    assert anki.col.card_count() == 3
    first = anki.col.get_card(anki.col.find_cards("card:1 note:Cloze*")[0])
    assert "[...]" in first.question() and "January 1924" in first.answer()
    # what Anki writes back is the same cards, with their ids and answers
    from_anki = anki.export(tmp_path / "from-anki.apkg")
    out = recall("import", str(from_anki))
    assert summary(out)["cards unchanged"] == [3]
    assert summary(out)["answers added"] == [0]
    assert (cards_in(db_path), answers_in(db_path)) == before


def test_an_anki_cloze_note_keeps_its_cloze_and_leaves_as_that_note(
    anki: AnkiBuilder, tmp_path: Path, db_path: Path
) -> None:
    first, _second = anki.add(
        CLOZE, ["{{c1::Paris}} is the capital of {{c2::France::a country}}.", "Geography"]
    )
    anki.answer(first, 3)
    original = anki.export(tmp_path / "original.apkg")
    [deck] = read_apkg(original).decks
    one, two = deck.cards
    assert (one.cloze_ord, two.cloze_ord) == (1, 2)
    assert one.cloze == "{{c1::Paris}} is the capital of {{c2::France::a country}}."
    assert one.answer == "[Paris] is the capital of France.\nGeography"  # as before

    recall("import", str(original))
    package = tmp_path / "recall.apkg"
    recall("export", "-o", str(package))
    guid = anki.note_guid(first)
    with anki_collection(tmp_path / "check") as check:
        check.import_package(package)
        [note] = [note for note in notes_of(check) if note[1] == 1]
    assert note == (
        "Cloze (recall)",
        1,
        guid,
        ["{{c1::Paris}} is the capital of {{c2::France::a country}}.", "Geography", ""],
        [0, 1],
    )
    out = recall("import", str(package))
    assert summary(out)["cards unchanged"] == [2]


def test_an_anki_cloze_shown_with_more_than_its_cloze_stays_as_its_text(
    anki: AnkiBuilder, tmp_path: Path
) -> None:
    # a Cloze note type whose front shows a title above the cloze: recall cannot write the
    # card back as that cloze, so it keeps the text Anki showed and no cloze
    models = anki.col.models
    kind = models.copy(models.by_name(CLOZE))
    kind["name"] = "Titled cloze"
    models.add_field(kind, models.new_field("Title"))
    kind["tmpls"][0]["qfmt"] = "{{Title}}<br>{{cloze:Text}}"
    models.update_dict(kind)
    anki.add("Titled cloze", ["{{c1::Paris}} is in France.", "", "Capitals"])
    [card] = read_apkg(anki.export(tmp_path / "titled.apkg")).decks[0].cards
    assert card.question == "Capitals\n[...] is in France."
    assert card.cloze is None and card.cloze_ord is None
