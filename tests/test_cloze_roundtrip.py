"""An Anki Cloze note through a text file and back: a CSV or TOML export writes a cloze it
cannot hold as a card with its own text (an empty deletion, a Back Extra, any Anki note in
TOML), and importing that file again changes nothing: the card is unchanged and keeps its
cloze, so that it still leaves as its Cloze note."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import collection_sql
from anki_fixtures import BASIC, CLOZE, anki_collection
from recall1924.importers.apkg import read_apkg
from test_cloze import recall
from test_cloze_anki import notes_of
from test_csv_roundtrip import summary

pytest.importorskip("anki")

EMPTY = "{{c1::}}causes visceral larva migrans."
"""An Anki cloze whose deletion is empty (Anki makes its card: ``[...]`` and ``[]``)."""
EXTRA = "*Toxocara canis* causes visceral larva migrans."
PARIS = "{{c1::Paris}} is the capital of {{c2::France}}."


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """An Anki package of a Cloze note with an empty deletion and a Back Extra, a plain
    two-number Cloze note, and a Basic note."""
    with anki_collection(tmp_path / "anki") as anki:
        anki.add(CLOZE, [EMPTY, EXTRA], deck="Parasites")
        anki.add(CLOZE, [PARIS, ""], deck="Parasites")
        anki.add(BASIC, ["Ascaris?", "A roundworm."], deck="Parasites")
        yield anki.export(tmp_path / "parasites.apkg")


def stored(db_path: Path) -> dict[str, tuple[object, ...]]:
    """Each card's key: text, tags, source id, cloze and cloze number."""
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT key, question, answer, note, tags, source_id, cloze, cloze_ord FROM card"
        ).fetchall()
    conn.close()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_reader_keeps_an_empty_deletions_cloze(package: Path) -> None:
    [deck] = read_apkg(package).decks
    empty = deck.cards[0]
    assert (empty.question, empty.answer) == (
        "[...]causes visceral larva migrans.",
        f"[]causes visceral larva migrans.\n{EXTRA}",
    )
    assert (empty.cloze, empty.cloze_ord) == (EMPTY, 1)


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_a_text_export_of_anki_clozes_comes_back_unchanged_with_its_clozes(
    package: Path, tmp_path: Path, db_path: Path, suffix: str
) -> None:
    recall("import", str(package))
    before = stored(db_path)
    assert sum(row[5] is not None for row in before.values()) == 3  # three cloze cards
    exported = tmp_path / f"parasites{suffix}"
    recall("export", "--deck", "parasites", "-o", str(exported))

    out = recall("import", str(exported))
    assert summary(out)["cards updated"] == [0]
    assert summary(out)["cards unchanged"] == [4]
    after = stored(db_path)
    # TOML has no place for Anki's identity (source_id): the rest stays, clozes too
    assert {key: row[:4] + row[5:] for key, row in after.items()} == {
        key: row[:4] + row[5:] for key, row in before.items()
    }


def test_a_spreadsheet_edit_of_another_card_keeps_the_clozes_it_could_not_write(
    package: Path, tmp_path: Path, db_path: Path
) -> None:
    recall("import", str(package))
    before = stored(db_path)
    exported = tmp_path / "parasites.csv"
    recall("export", "--deck", "parasites", "-o", str(exported))
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
    # the empty deletion cannot be a cloze row: it is a card with its own text
    assert [row["cloze"] for row in rows] == ["", PARIS, ""]
    rows[2]["answer"] = "A roundworm (nematode)."
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    exported.write_text(buffer.getvalue(), encoding="utf-8", newline="")

    out = recall("import", str(exported))
    assert summary(out)["cards updated"] == [1]
    after = stored(db_path)
    changed = {key for key in before if after[key] != before[key]}
    assert [after[key][1] for key in changed] == ["A roundworm (nematode)."]

    # and the Anki package written now holds both Cloze notes again, the empty one too
    again = tmp_path / "again.apkg"
    recall("export", "--deck", "parasites", "-o", str(again))
    with anki_collection(tmp_path / "check") as check:
        check.import_package(again)
        clozes = [note[3][0] for note in notes_of(check) if note[1] == 1]
    assert sorted(clozes) == sorted([EMPTY, PARIS])


def test_a_reworded_cloze_card_loses_its_cloze(
    package: Path, tmp_path: Path, db_path: Path
) -> None:
    recall("import", str(package))
    exported = tmp_path / "parasites.csv"
    recall("export", "--deck", "parasites", "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert text.count("[...]causes") == 1
    exported.write_text(text.replace("[...]causes", "[...] causes"), encoding="utf-8", newline="")
    out = recall("import", str(exported))
    assert summary(out)["cards updated"] == [1]
    [row] = [
        row for row in stored(db_path).values() if row[0] == "[...] causes visceral larva migrans."
    ]
    assert row[5:] == (None, None)  # its text is no longer what the cloze makes
