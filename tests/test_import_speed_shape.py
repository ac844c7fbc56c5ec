"""The shape of the work behind ``recall import``, which is what keeps it fast on a big deck: an
import that changes nothing writes nothing (no backup, no transaction), the collection's side
of the comparison is read in a few statements whatever the deck's size, and new cards go in by
executemany a chunk at a time, never as one statement per card or one list of every row.

Every statement the real code runs is recorded, as in ``test_stats_speed_shape.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from typer.testing import CliRunner

from conftest import NOW, make_deck
from recall1924.cli import app
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_decks
from recall1924.store import Store
from recall1924.store.decks import _CHUNK

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "CREATE", "DROP")


@contextmanager
def recorded() -> Iterator[list[tuple[str, Any, bool]]]:
    """Every statement run on any engine meanwhile: its text, parameters and executemany."""
    seen: list[tuple[str, Any, bool]] = []

    def record(*args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, many = args
        seen.append((statement, parameters, many))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def writes(seen: list[tuple[str, Any, bool]]) -> list[str]:
    return [sql for sql, _parameters, _many in seen if sql.lstrip().upper().startswith(WRITES)]


def big_deck(cards: int, sections: int = 5) -> DeckSpec:
    per = cards // sections
    return DeckSpec(
        key="big",
        title="Big",
        sections=tuple(
            SectionSpec(
                f"s{index}",
                f"Section {index}",
                tuple(
                    CardSpec(f"c{index}-{n}", f"Q {index} {n}?", f"A {n}", tags=("t",))
                    for n in range(per)
                ),
            )
            for index in range(sections)
        ),
        source="big.toml",
    )


class Backups:
    """A backup callable that counts its calls."""

    def __init__(self) -> None:
        self.taken = 0

    def __call__(self) -> Path | None:
        self.taken += 1
        return None


def test_an_unchanged_reimport_writes_nothing_and_takes_no_backup(store: Store) -> None:
    deck = big_deck(2_000)
    import_decks(store, [deck], now=NOW)
    backups = Backups()
    with recorded() as seen:
        report = import_decks(store, [deck], now=NOW + timedelta(days=1), backup=backups)
    assert writes(seen) == []
    assert backups.taken == 0 and report.backup is None
    plan = report.decks[0]
    assert (len(plan.unchanged), plan.added, plan.updated, plan.missing) == (2_000, (), (), ())
    # the comparison reads the deck, its sections and its cards: a few statements in all
    assert len(seen) <= 8


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda deck: replace(deck, title="Renamed"), id="deck title"),
        pytest.param(lambda deck: replace(deck, description="New"), id="deck description"),
        pytest.param(lambda deck: replace(deck, version=2), id="deck version"),
        pytest.param(lambda deck: replace(deck, source="elsewhere.toml"), id="deck source"),
        pytest.param(
            lambda deck: replace(
                deck, sections=(replace(deck.sections[0], title="Other"), *deck.sections[1:])
            ),
            id="section title",
        ),
        pytest.param(
            lambda deck: replace(deck, sections=(deck.sections[1], deck.sections[0])),
            id="section order",
        ),
        pytest.param(
            lambda deck: replace(
                deck,
                sections=(
                    replace(deck.sections[0], cards=deck.sections[0].cards[::-1]),
                    deck.sections[1],
                ),
            ),
            id="card order",
        ),
        pytest.param(
            lambda deck: replace(
                deck,
                sections=(
                    replace(
                        deck.sections[0],
                        cards=(
                            replace(deck.sections[0].cards[0], source_id="anki:x:0"),
                            *deck.sections[0].cards[1:],
                        ),
                    ),
                    deck.sections[1],
                ),
            ),
            id="source id",
        ),
    ],
)
def test_any_stored_difference_is_written(demo_store: Store, edit: Any) -> None:
    # Not a card added, updated or missing, yet the rows differ: the import saves them (with
    # a backup first), as it always did.
    deck = edit(make_deck())
    backups = Backups()
    with recorded() as seen:
        report = import_decks(demo_store, [deck], now=NOW, backup=backups)
    plan = report.decks[0]
    assert (plan.added, plan.updated, plan.missing) == ((), (), ())
    assert backups.taken == 1 and writes(seen)
    with recorded() as again:
        import_decks(demo_store, [deck], now=NOW, backup=backups)
    assert writes(again) == [] and backups.taken == 1  # now stored as the file has it


def test_new_cards_go_in_by_executemany_a_chunk_at_a_time(store: Store) -> None:
    cards = 2 * _CHUNK + 10
    with recorded() as seen:
        import_decks(store, [big_deck(cards)], now=NOW)
    inserts = [
        (parameters, many) for sql, parameters, many in seen if sql.startswith("INSERT INTO card")
    ]
    assert [len(parameters) for parameters, _many in inserts] == [_CHUNK, _CHUNK, 10]
    assert all(many for _parameters, many in inserts)
    assert store.decks()[0].cards == cards


def test_an_unchanged_reimport_of_a_file_takes_no_backup(tmp_path: Path, db_path: Path) -> None:
    # Through the command: its summary is the one it always printed, without the backup line.
    deck = tmp_path / "deck.toml"
    deck.write_text(
        '[deck]\nid = "d"\ntitle = "D"\n\n[[sections]]\nid = "s"\ntitle = "S"\n\n'
        '[[sections.cards]]\nid = "a"\nquestion = "Q?"\nanswer = "A"\n'
    )
    runner = CliRunner()
    env = {"RECALL_NOW": NOW.isoformat()}
    first = runner.invoke(app, ["import", str(deck)], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    backups = db_path.parent / "backups"
    before = set(backups.iterdir()) if backups.is_dir() else set()
    again = runner.invoke(app, ["import", str(deck)], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.stderr
    assert (set(backups.iterdir()) if backups.is_dir() else set()) == before
    rule = "─" * 21
    assert " ".join(again.stdout.split()) == (
        f"Imported d {rule} cards added 0 cards updated 0 cards unchanged 1 "
        "cards not in file 0 answers added 0 d: D"
    )


def test_a_reimport_of_a_deck_without_history_reads_no_review_log(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a card with answers in the file asks when its last review log row was: a TOML or
    # CSV deck has none, and the look-up read a row for every answered card of the deck.
    def unwanted(deck_key: str) -> Any:
        raise AssertionError(f"last_logged({deck_key!r}) read for a deck without history")

    monkeypatch.setattr(demo_store, "last_logged", unwanted)
    deck = make_deck()
    changed = replace(
        deck,
        sections=(
            replace(deck.sections[0], cards=(*deck.sections[0].cards, CardSpec("z", "Q?", "A"))),
            *deck.sections[1:],
        ),
    )
    (plan,) = import_decks(demo_store, [changed], now=NOW).decks
    assert (plan.added, len(plan.unchanged)) == (("z",), 5)
