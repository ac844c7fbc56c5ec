"""The CSV round trip: ``recall export --format csv``, an edit in a spreadsheet, ``recall import``
back. It must update exactly the cards that changed and keep every deck's id, title,
description, version and sections; the bundled deck must stay the bundled deck."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import collection_sql
import strategies
from conftest import SHARED_TESTDATA
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.errors import DeckFileError
from recall1924.exporters import write_csv
from recall1924.importers.csv import read_csv

NOW = "2026-11-27T09:00:00+00:00"
SPANISH = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"
BUNDLED_SECTIONS = [
    ("lenins-legacy", "Lenin's legacy"),
    ("stalins-position", "Stalin's position"),
    ("trotsky", "Leon Trotsky"),
    ("nep-dispute", "The NEP dispute"),
    ("defeat-of-the-left", "Stalin's defeat of the Left"),
    ("defeat-of-the-right", "Stalin's defeat of the Right"),
    ("interpretations", "Historians and the argument"),
]


def recall(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app_(), list(args), input=input, env={"RECALL_NOW": NOW}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def app_() -> Any:
    from recall1924.cli import app

    return app


def ok(*args: str, input: str | None = None) -> tuple[str, str]:
    code, out, err = recall(*args, input=input)
    assert code == 0, err
    return out, err


def summary(out: str) -> dict[str, list[int]]:
    """The import table's rows: name -> one count per deck."""
    rows = {}
    for line in out.splitlines():
        found = re.match(r"\s*(cards \w+(?: \w+)*|answers added)\s+([\d ]+)$", line)
        if found:
            rows[found.group(1)] = [int(count) for count in found.group(2).split()]
    return rows


def decks_in(db_path: Path) -> list[tuple[Any, ...]]:
    with collection_sql.connect(db_path) as conn:
        return conn.execute(
            "SELECT key, title, description, version FROM deck ORDER BY id"
        ).fetchall()


def sections_in(db_path: Path) -> list[tuple[str, str, str]]:
    with collection_sql.connect(db_path) as conn:
        return conn.execute(
            "SELECT deck.key, section.key, section.title FROM section JOIN deck "
            "ON deck.id = section.deck_id ORDER BY deck.id, section.position"
        ).fetchall()


def cards_in(db_path: Path) -> list[tuple[Any, ...]]:
    with collection_sql.connect(db_path) as conn:
        return conn.execute(
            "SELECT deck.key, section.key, card.key, question, answer, note, tags, source_id, "
            "suspended, state, stability FROM card JOIN section ON section.id = card.section_id "
            "JOIN deck ON deck.id = card.deck_id ORDER BY card.id"
        ).fetchall()


def edit_as_a_spreadsheet(
    path: Path, change: dict[str, str], *, delimiter: str = ",", encoding: str = "utf-8"
) -> None:
    """Open the file as a spreadsheet would, change the answers of the cards in ``change``
    (by id), and save it again in the spreadsheet's own dialect."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    answer, card_id = header.index("answer"), header.index("id")
    for row in rows[1:]:
        if row[card_id] in change:
            row[answer] = change.pop(row[card_id])
    assert not change, f"no such cards: {change}"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


# --- the bundled deck -------------------------------------------------------------------------


@pytest.mark.parametrize("deck_option", [[], ["--deck", "stalin-1924"]])
def test_an_unchanged_round_trip_of_the_bundled_deck_changes_nothing(
    tmp_path: Path, db_path: Path, deck_option: list[str]
) -> None:
    ok("decks")  # the first run brings the bundled deck
    before = decks_in(db_path), sections_in(db_path), cards_in(db_path)
    path = tmp_path / "deck.csv"
    ok("export", "--deck", "stalin-1924", "--format", "csv", "-o", str(path))

    out, _ = ok("import", str(path), *deck_option)
    assert summary(out) == {
        "cards added": [0],
        "cards updated": [0],
        "cards unchanged": [141],
        "cards not in file": [0],
        "answers added": [0],
    }
    assert "stalin-1924: Why did Stalin gain power from 1924?" in out
    assert (decks_in(db_path), sections_in(db_path), cards_in(db_path)) == before
    assert [(key, title) for _deck, key, title in sections_in(db_path)] == BUNDLED_SECTIONS
    out, _ = ok("decks", "--json")
    assert [deck["id"] for deck in json.loads(out)] == ["stalin-1924"]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-8")],
    ids=["comma", "semicolon-with-bom", "tab"],
)
def test_a_spreadsheet_edit_of_one_answer_updates_that_card_only(
    tmp_path: Path, db_path: Path, delimiter: str, encoding: str
) -> None:
    out, _ = ok("review", "--limit", "1", input=" 3q")  # the first card has a history
    assert "Session: 1 answer on 1 card" in out
    before = {row[2]: row for row in cards_in(db_path)}
    path = tmp_path / "deck.csv"
    ok("export", "--deck", "stalin-1924", "--format", "csv", "-o", str(path))
    new_answer = "Lenin's notes on his successors, dictated 1922-23."
    edit_as_a_spreadsheet(
        path, {"testament-what": new_answer}, delimiter=delimiter, encoding=encoding
    )

    out, _ = ok("import", str(path))
    counts = summary(out)
    assert (counts["cards added"], counts["cards updated"], counts["cards unchanged"]) == (
        [0],
        [1],
        [140],
    )
    after = {row[2]: row for row in cards_in(db_path)}
    assert after["testament-what"][4] == new_answer
    # Everything but that answer is as it was, the card's memory state included.
    assert after["testament-what"][:4] + after["testament-what"][5:] == (
        before["testament-what"][:4] + before["testament-what"][5:]
    )
    assert before["testament-what"][9] != 0  # it had been answered
    assert {key: row for key, row in after.items() if key != "testament-what"} == {
        key: row for key, row in before.items() if key != "testament-what"
    }
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM review_log").fetchone() == (1,)
    assert [(key, title) for _deck, key, title in sections_in(db_path)] == BUNDLED_SECTIONS


def test_a_round_trip_keeps_the_bundled_decks_version(tmp_path: Path, db_path: Path) -> None:
    ok("decks")
    path = tmp_path / "deck.csv"
    ok("export", "--deck", "stalin-1924", "--format", "csv", "-o", str(path))
    ok("import", str(path))
    assert [(key, version) for key, _title, _about, version in decks_in(db_path)] == [
        ("stalin-1924", 3)
    ]
    # An older version recorded would make the next start offer (or apply) an update.
    out, err = ok("decks")
    assert err == ""


def test_the_bundled_deck_still_updates_after_an_unchanged_round_trip(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall1924 import bundled, importers

    ok("decks")
    path = tmp_path / "deck.csv"
    ok("export", "--deck", "stalin-1924", "--format", "csv", "-o", str(path))
    ok("import", str(path))
    assert [deck[0] for deck in decks_in(db_path)] == ["stalin-1924"]  # no copy beside it

    shipped = importers.read_bundled()
    first = shipped.sections[0]
    reworded = replace(first.cards[0], answer="Reworded in version 4.")
    newer = replace(
        shipped,
        version=4,
        sections=(replace(first, cards=(reworded, *first.cards[1:])), *shipped.sections[1:]),
    )
    monkeypatch.setattr(bundled, "SHIPPED_VERSION", 4)
    monkeypatch.setattr(importers, "read_bundled", lambda: newer)
    _out, err = ok("decks")
    assert "Updated the bundled deck to version 4: 1 card updated" in err


# --- several decks, and a real Anki package ---------------------------------------------------

EXTRA = """\
[deck]
id = "extra"
title = "Extra deck"
description = "Two sections, one card each."

[[sections]]
id = "first-one"
title = "First: one"

[[sections.cards]]
id = "testament-what"
question = "The same id as a bundled card, in another deck"
answer = "Yes"
tags = ["x", "y"]

[[sections]]
id = "main"
title = "Extra deck"

[[sections.cards]]
id = "two"
question = "Two?"
answer = "2"
note = "A note, with a comma"
"""


def test_an_export_of_every_deck_comes_back_as_the_same_decks(
    tmp_path: Path, db_path: Path
) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text(EXTRA)
    ok("import", "--bundled")
    ok("import", str(extra))
    before = decks_in(db_path), sections_in(db_path), cards_in(db_path)
    path = tmp_path / "all.csv"
    out, _ = ok("export", "--format", "csv", "-o", str(path))
    assert out.startswith("Wrote 2 decks (143 cards)")

    out, _ = ok("import", str(path))
    assert summary(out)["cards unchanged"] == [141, 2]
    assert summary(out)["cards added"] == [0, 0]
    assert (decks_in(db_path), sections_in(db_path), cards_in(db_path)) == before


@pytest.mark.corpus
@pytest.mark.skipif(not SPANISH.is_file(), reason=f"{SPANISH} is absent")
def test_a_round_trip_of_an_anki_package_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    ok("import", str(SPANISH))
    before = decks_in(db_path), sections_in(db_path), cards_in(db_path)
    path = tmp_path / "spanish.csv"
    out, _ = ok("export", "--format", "csv", "-o", str(path))
    assert out.startswith("Wrote 3 decks (2887 cards)")

    out, _ = ok("import", str(path))
    assert summary(out) == {
        "cards added": [0, 0, 0],
        "cards updated": [0, 0, 0],
        "cards unchanged": [4, 2576, 307],
        "cards not in file": [0, 0, 0],
        "answers added": [0, 0, 0],
    }
    # The Anki identity (source_id) of every card is kept, so an .apkg exported after the
    # round trip still updates the notes it came from.
    assert (decks_in(db_path), sections_in(db_path), cards_in(db_path)) == before
    with collection_sql.connect(db_path) as conn:
        # every answer (the two cram answers too) stays
        assert conn.execute("SELECT COUNT(*) FROM review_log").fetchone() == (31363,)

    deck, _section, card = cards_in(db_path)[-1][:3]
    edit_as_a_spreadsheet(path, {card: "an answer edited in a spreadsheet"})
    out, _ = ok("import", str(path))
    updated = [int(key == deck) for key in ("example-deck", "old-decks", "spanish")]
    assert summary(out)["cards updated"] == updated
    assert sum(summary(out)["cards unchanged"]) == 2886


# --- the reader's side of recall's columns ----------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "deck.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "question,answer,section,id,section_title,deck,deck_title,deck_description,deck_version"


def test_deck_and_section_columns_name_them_by_id(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        "Q1,A1,s-one,c1,Section one,d,Deck D,About D,3\n"
        "Q2,A2,s-one,c2,,d,,,\n"  # a row that leaves the deck's columns empty says nothing
        "Q3,A3,,c3,,,,,\n"  # no section: main; no deck: the file's one deck
    )
    [deck], skipped = read_csv(write(tmp_path, text))
    assert skipped == []
    assert (deck.key, deck.title, deck.description, deck.version) == ("d", "Deck D", "About D", 3)
    assert [(s.key, s.title, [c.key for c in s.cards]) for s in deck.sections] == [
        ("s-one", "Section one", ["c1", "c2"]),
        ("main", "Deck D", ["c3"]),
    ]


def test_rows_that_contradict_each_other_are_errors(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        "Q1,A1,s,c1,S,d,Deck D,About,1\n"
        "Q2,A2,s,c2,Not S,d,Deck E,Other,2\n"
        "Q3,A3,s,c3,S,Bad Id,Deck D,About,x\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(DeckFileError) as caught:
        read_csv(path)
    assert caught.value.problems == [
        f"{path}:3: deck 'd' is titled 'Deck E' here but 'Deck D' on line 2; give it one title",
        f"{path}:3: deck 'd' has another deck_description here than on line 2; give it one",
        f"{path}:3: deck 'd' has deck_version 2 here but 1 on line 2; give it one",
        f"{path}:3: section 's' of deck 'd' is titled 'Not S' here but 'S' on line 2; give it "
        "one title",
        f"{path}:4: deck id 'Bad Id' is not valid: lowercase letters, digits and '-', starting "
        "with a letter or digit, at most 64",
    ]


def test_a_row_without_a_deck_in_a_file_of_several_is_skipped(tmp_path: Path) -> None:
    text = f"{HEADER}\nQ1,A1,,c1,,a,A,,\nQ2,A2,,c2,,b,B,,\nQ3,A3,,c3,,,,,\n"
    decks, skipped = read_csv(write(tmp_path, text))
    assert [(deck.key, len(deck.cards)) for deck in decks] == [("a", 1), ("b", 1)]
    assert skipped == ["line 4: no deck, and the file has several (a, b)"]


def test_deck_key_puts_several_decks_into_one_with_their_titles(tmp_path: Path) -> None:
    text = f"{HEADER}\nQ1,A1,s,c1,S,a,Deck A,,\nQ2,A2,s,c2,S,b,Deck B,,\nQ3,A3,s,c1,S,b,Deck B,,\n"
    [deck], skipped = read_csv(write(tmp_path, text, "both.csv"), deck_key="one")
    assert (deck.key, deck.title) == ("one", "both")
    assert [(s.key, s.title) for s in deck.sections] == [
        ("a-s", "Deck A :: S"),
        ("b-s", "Deck B :: S"),
    ]
    assert skipped == ["line 4: duplicate of line 2"]
    [single], _ = read_csv(
        write(tmp_path, f"{HEADER}\nQ1,A1,s,c1,S,a,Deck A,About,2\n"), deck_key="x"
    )
    assert (single.key, single.title, single.description, single.version) == (
        "x",
        "Deck A",
        "About",
        2,
    )
    assert [(s.key, s.title) for s in single.sections] == [("s", "S")]


def test_a_hand_made_section_column_is_still_a_title(tmp_path: Path) -> None:
    [deck], _ = read_csv(write(tmp_path, "question,answer,section\nQ,A,Lenin's legacy\n"))
    assert [(s.key, s.title) for s in deck.sections] == [("lenin-s-legacy", "Lenin's legacy")]


def test_source_id_is_kept_and_gives_the_key_of_an_anki_card(tmp_path: Path) -> None:
    from recall1924.identity import anki_card_key

    text = "question,answer,id,source_id\nQ1,A1,own-id,anki:Ab:c:1\nQ2,A2,,anki:Xy:0\n"
    [deck], _ = read_csv(write(tmp_path, text))
    assert [(c.key, c.source_id) for c in deck.cards] == [
        ("own-id", "anki:Ab:c:1"),
        (anki_card_key("Xy", 0), "anki:Xy:0"),
    ]


# Text as the store holds it: stripped, with "\n" for line breaks (the reader takes a
# spreadsheet's "\r\n" for one). Tags are words: that is how the column holds them.
_TEXT = (
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
_IDS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
_TAGS = st.from_regex(r"[^\s\x00]{1,10}", fullmatch=True)


@st.composite
def _decks(draw: st.DrawFn) -> DeckSpec:
    deck = draw(strategies.decks(_IDS, _TEXT, max_cards=8))
    sections = tuple(
        replace(
            section,
            cards=tuple(
                replace(card, tags=tuple(dict.fromkeys(draw(st.lists(_TAGS, max_size=3)))))
                for card in section.cards
            ),
        )
        for section in deck.sections
        if section.cards  # a section without cards has no row to be written in
    )
    return replace(deck, sections=sections)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(decks=st.lists(_decks(), min_size=1, max_size=3, unique_by=lambda deck: deck.key))
def test_write_then_read_gives_back_the_same_decks(tmp_path: Path, decks: list[DeckSpec]) -> None:
    decks = [deck for deck in decks if deck.cards]
    if not decks:
        return
    path = tmp_path / "decks.csv"
    path.write_bytes(write_csv(decks).encode("utf-8"))
    back, skipped = read_csv(path)
    assert skipped == []
    assert [replace(deck, source=None) for deck in back] == decks
    assert [card.source_id for deck in back for card in deck.cards] == [
        card.source_id for deck in decks for card in deck.cards
    ]


def test_a_quoted_line_starting_with_a_hash_leaves_the_delimiter_a_comma(tmp_path: Path) -> None:
    # the delimiter's guess skipped every line starting with "#", the second line of a quoted
    # field too: "," then split the rows unevenly (the quote ran on to the next quoted field)
    # and the ";" in the description won
    cards = (CardSpec("c", "Hashtags:\n#nep", "Yes"),) + tuple(
        CardSpec(f"c{n}", "Which, then?", "A") for n in range(3)
    )
    deck = DeckSpec("d", "D", (SectionSpec("main", "Main", cards),), "a; b")
    path = write(tmp_path, write_csv([deck]))
    [back], _ = read_csv(path)
    assert replace(back, source=None) == deck


def test_every_card_field_and_the_deck_come_back(tmp_path: Path) -> None:
    deck = DeckSpec(
        "d",
        'Title, with "quotes"',
        (
            SectionSpec(
                "main",
                "Main",
                (
                    CardSpec("a", "Q,1", "Line one\nline two", "note", ("t,1", "t2"), "anki:G:0"),
                    CardSpec("b", "#2 not a comment", "=1+1 stays text", None, ()),
                ),
            ),
        ),
        description="Several\nlines",
        version=7,
    )
    path = tmp_path / "d.csv"
    path.write_bytes(write_csv([deck]).encode("utf-8"))
    [back], skipped = read_csv(path)
    assert skipped == []
    assert replace(back, source=None) == deck
    assert [card.source_id for card in back.cards] == ["anki:G:0", None]
