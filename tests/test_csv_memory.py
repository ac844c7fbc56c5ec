"""A big CSV or text file is read and imported without holding its cards: each card's text goes
to the reader's spool (:mod:`recall1924.spool`) as it is read and comes back once, to be
written; only the keys stay in memory. Issue 14's figure is a million rows under 400 MB
(``benchmarks/run.py --only csv-import``); here the same shape at 20,000 rows, measured with
tracemalloc, per card."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from conftest import NOW
from recall1924 import spool
from recall1924.cli import app
from recall1924.importers.csv import read_csv
from recall1924.importing import import_decks
from recall1924.spool import SpooledCards
from recall1924.store import Store

ROWS = 20_000
T = TypeVar("T")


def big_csv(path: Path, rows: int = ROWS, sections: int = 2) -> Path:
    """Rows of the benchmark's shape: a question of about 70 characters, an answer of about
    110, a section column and tags; the sections taken in turn."""
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    with path.open("w", encoding="utf-8") as file:
        file.write("question,answer,section,tags\n")
        for number in range(rows):
            question = " ".join(words[(number + k) % 12] for k in range(10)) + f" {number}?"
            answer = " ".join(words[(number * 7 + k) % 12] for k in range(18))
            file.write(f"{question},{answer},Part {number % sections},t{number % 5}\n")
    return path


def peak(work: Callable[[], T]) -> tuple[T, int]:
    """What ``work`` returns, and the most memory it held at once (bytes, as Python allocates
    them)."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(autouse=True)
def small_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    # Past 64 KiB on disk: as a million rows are, without writing a million.
    monkeypatch.setattr(spool, "IN_MEMORY", 64 * 1024)


def test_reading_holds_the_keys_not_the_cards(tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv")
    (decks, skipped), held = peak(lambda: read_csv(path))
    assert skipped == [] and len(decks) == 1
    # Held as CardSpecs, the cards took 550 bytes each; the keys, the duplicate check and the
    # chunks not yet written, 230.
    assert held / ROWS < 300
    sections = decks[0].sections
    assert all(isinstance(section.cards, SpooledCards) for section in sections)
    assert sum(len(section.cards) for section in sections) == ROWS


def test_importing_a_new_deck_reads_its_cards_back_once(tmp_path: Path, store: Store) -> None:
    path = big_csv(tmp_path / "big.csv")
    (decks, _skipped) = read_csv(path)
    reads = 0
    real_rows = SpooledCards._rows

    def counted(self: SpooledCards):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return real_rows(self)

    SpooledCards._rows = counted  # type: ignore[method-assign]
    try:
        report, held = peak(lambda: import_decks(store, decks, now=NOW))
    finally:
        SpooledCards._rows = real_rows  # type: ignore[method-assign]
    # The rows go to the database a chunk at a time (about 4 MB), whatever the deck's size; all
    # of them at once would be 14 MB here.
    assert held < ROWS * 150 + 6_000_000
    assert len(report.decks[0].added) == ROWS
    assert reads == len(decks[0].sections)  # to write them; the comparison took the keys
    listed = store.deck_specs("big")[0]
    assert [section.key for section in listed.sections] == ["part-0", "part-1"]
    assert listed.sections[1].cards[0].question.endswith(" 1?")
    assert [card.key for card in listed.sections[0].cards] == list(decks[0].sections[0].cards.keys)


def test_the_cards_come_back_in_their_sections_and_order(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool, "CHUNK", 3)  # many chunks, sections interleaved in the file
    path = big_csv(tmp_path / "small.csv", rows=40, sections=3)
    decks, _ = read_csv(path)
    import_decks(store, decks, now=NOW)
    listed = store.deck_specs("small")[0]
    by_section = {
        section.key: [card.question for card in section.cards] for section in listed.sections
    }
    rows = path.read_text().splitlines()[1:]
    for part in range(3):
        wanted = [row.split(",")[0] for row in rows if row.split(",")[2] == f"Part {part}"]
        assert by_section[f"part-{part}"] == wanted
    assert listed.sections[0].cards[1].tags == ("t3",)


def test_a_temporary_folder_without_room_refuses_the_file_and_writes_nothing(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    path = big_csv(tmp_path / "big.csv", rows=5000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    result = CliRunner().invoke(app, ["import", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = " ".join(result.stderr.split())
    assert line.startswith(f"recall: {path}: cannot write the temporary file")
    assert "set TMPDIR to a folder with room" in line
    assert not db_path.exists()
