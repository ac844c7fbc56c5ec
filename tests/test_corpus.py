"""Real-world files from ../shared/testdata, imported end to end through ``recall import``: the
counts the official Anki backend reports for each (see that folder's README) must be what
recall's collection holds afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import collection_sql
from conftest import SHARED_TESTDATA
from recall1924.cli import app
from recall1924.models import ReviewKind
from test_apkg import EXPECTED
from test_csv import EXPECTED_CARDS

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not SHARED_TESTDATA.is_dir(), reason="../shared/testdata is absent"),
]

APKG = SHARED_TESTDATA / "apkg"
CSV = SHARED_TESTDATA / "csv"

# The counts the official backend gives (testdata README), and why recall's differ where they
# do, are kept once, beside each reader's own tests.
PACKAGES = EXPECTED
TEXT_EXPORTS = EXPECTED_CARDS


def recall(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def counts(db_path: Path) -> tuple[int, int, int, int, int]:
    with collection_sql.connect(db_path) as conn:
        cards = conn.execute("SELECT source_id, suspended FROM card").fetchall()
        # a reset is no answer
        answers, with_history = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT card_id) FROM review_log WHERE kind != ?",
            (ReviewKind.Reset,),
        ).fetchone()
    notes = {source.rsplit(":", 1)[0] for source, _suspended in cards}
    suspended = sum(flag for _source, flag in cards)
    return len(notes), len(cards), answers, with_history, suspended


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_anki_package_imports_with_the_backends_counts(name: str, db_path: Path) -> None:
    recall("import", str(APKG / name))
    assert counts(db_path) == PACKAGES[name]


@pytest.mark.parametrize("name", sorted(TEXT_EXPORTS))
def test_every_text_export_imports_with_the_backends_counts(name: str, db_path: Path) -> None:
    recall("import", str(CSV / name))
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM card").fetchone() == (TEXT_EXPORTS[name],)


def test_a_newer_export_of_the_same_note_updates_it(db_path: Path) -> None:
    recall("import", str(APKG / "ankitects_update1.apkg"))
    out = recall("import", str(APKG / "ankitects_update2.apkg"))
    assert " ".join(out.split()).count("cards added 0 cards updated 1") == 1
    with collection_sql.connect(db_path) as conn:
        rows = conn.execute("SELECT question, answer FROM card").fetchall()
    assert rows == [("goodbye", "world")]


def test_importing_the_same_history_twice_adds_nothing(db_path: Path) -> None:
    spanish = str(APKG / "pedscoffee_SpanishAnkiExportReal.apkg")
    recall("import", spanish)
    out = " ".join(recall("import", spanish).split())
    assert "answers added 0 0 0" in out and "cards unchanged 4 2576 307" in out
    with collection_sql.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM review_log").fetchone() == (31363,)


def test_imported_cards_show_ankis_stability_and_difficulty(db_path: Path, tmp_path: Path) -> None:
    # Someone moving from Anki expects the same memory state: what `recall cards --json` shows
    # for every reviewed card is within 1% of what the official backend computes from the same
    # package (FSRS on, default parameters, the same 4 am day start; TZ is UTC in the tests).
    pytest.importorskip("anki")
    import json

    from anki_memory import package_memory_states
    from recall1924.identity import anki_card_key

    spanish = APKG / "pedscoffee_SpanishAnkiExportReal.apkg"
    anki = package_memory_states(spanish, folder=tmp_path / "anki", rollover=4)
    expected = {
        anki_card_key(*anki.notes[card_id]): state
        for card_id, state in anki.states.items()
        if state is not None
    }
    recall("import", str(spanish))
    shown = {row["key"]: row for row in json.loads(recall("cards", "--json"))}
    assert len(expected) == 2878
    wrong = [
        (key, (shown[key]["stability"], shown[key]["difficulty"]), state)
        for key, state in expected.items()
        if shown[key]["stability"] != pytest.approx(state[0], rel=0.01)
        or shown[key]["difficulty"] != pytest.approx(state[1], rel=0.01)
    ]
    assert wrong == []
