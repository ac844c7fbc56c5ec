"""The shortcuts an import's writing takes over a million cards give the same result as the long
way: ASCII text folded without a substitution, the page cache it writes through given back, a
new card's search columns made once for each set of tags, a first import's pages written once
(the rollback journal, with the write-ahead log back after it), and a card compared on its
text alone when the file gives it no cloze."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import string
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import NOW, make_deck
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.folding import _SPACES, FIELD_SEPARATOR, fold, folded_text
from recall1924.importing import import_decks
from recall1924.store import Store, decks, dialect
from recall1924.store.base import dialect_of
from recall1924.store.decks import (
    _WRITE_CACHE_KIB,
    DeckStore,
    ExistingCard,
    _kept_cloze,
    _page_cache,
)
from recall1924.store.search import search_columns


@given(st.text(alphabet=string.printable + "\x00\x1f\x7f", max_size=40))
def test_ascii_folds_as_the_substitution_does(text: str) -> None:
    assert fold(text) == _SPACES.sub(" ", text.lower())


parts = st.text(alphabet=string.printable + "\x00\x1fÉé ", max_size=12)


@given(parts, parts, st.one_of(st.none(), parts))
def test_a_cards_text_folds_as_its_three_parts_do(
    question: str, answer: str, note: str | None
) -> None:
    assert folded_text(question, answer, note) == FIELD_SEPARATOR.join(
        (fold(question), fold(answer), fold(note or ""))
    )


def cache_size(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())


@pytest.mark.sqlite_only  # SQLite's page cache
def test_an_import_writes_through_a_big_page_cache_and_gives_it_back(store: Store) -> None:
    before = cache_size(store)
    with store._session() as session, _page_cache(session, _WRITE_CACHE_KIB):
        during = session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one()
    assert during == -_WRITE_CACHE_KIB
    import_decks(store, [make_deck()], now=NOW)
    assert cache_size(store) == before
    assert [deck.key for deck in store.decks()] == ["demo"]


def test_only_sqlite_sizes_a_cache_per_connection() -> None:
    from recall1924.store import dialect

    assert dialect.page_cache_size("sqlite") == "PRAGMA cache_size"
    assert dialect.page_cache_size("postgresql") is None
    assert dialect.set_page_cache(-65536) == "PRAGMA cache_size = -65536"


def tagged_deck() -> DeckSpec:
    """Cards sharing some sets of tags and not others, with notes, accents and spacing that
    folding changes."""
    cards = [
        CardSpec("a", "Émile  Zola?", "Naturalism", tags=("Lit", "fr")),
        CardSpec("b", "Second", "answer", note="A  note", tags=("Lit", "fr")),
        CardSpec("c", "Third", "ÄÖÜ", tags=("fr", "Lit")),
        CardSpec("d", "Fourth", "ﬁne", tags=()),
        CardSpec("e", "Fifth", "x", note="n", tags=("Straße",)),
        CardSpec("f", "Sixth", "y", tags=("Lit", "fr")),
    ]
    return DeckSpec(
        "tagged",
        "Tagged",
        (SectionSpec("one", "One", tuple(cards[:4])), SectionSpec("two", "Two", tuple(cards[4:]))),
        source="test",
    )


def test_new_cards_store_the_columns_search_columns_gives(store: Store) -> None:
    deck = tagged_deck()
    import_decks(store, [deck], now=NOW)
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT key, CAST(tags AS TEXT), search_text, search_tags FROM card ORDER BY id"
        ).all()
    cards = [card for section in deck.sections for card in section.cards]
    assert [row[0] for row in rows] == [card.key for card in cards]
    for (_key, tags, text, folded_tags), card in zip(rows, cards, strict=True):
        assert json.loads(tags) == list(card.tags)
        assert {"search_text": text, "search_tags": folded_tags} == search_columns(
            card.question, card.answer, card.note, card.tags
        )


def journal(store: Store) -> str:
    with store.engine.connect() as connection:
        return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one())


def journal_while_writing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal mode of the connection each deck of an import is written on, as it writes."""
    seen: list[str] = []
    write = DeckStore._write_deck

    def spy(self: DeckStore, session: Any, change: Any, now: Any) -> None:
        mode = session.connection().connection.driver_connection.execute("PRAGMA journal_mode")
        seen.append(mode.fetchone()[0])
        write(self, session, change, now)

    monkeypatch.setattr(DeckStore, "_write_deck", spy)
    return seen


@pytest.mark.sqlite_only  # SQLite's journal modes
def test_a_first_import_writes_its_pages_once_and_leaves_the_log_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = journal_while_writing(monkeypatch)
    assert journal(store) == "wal"
    import_decks(store, [make_deck()], now=NOW)
    assert seen == ["delete"] and journal(store) == "wal"
    # A collection with cards may be open elsewhere (a review): its writes stay in the log.
    import_decks(store, [make_deck("other")], now=NOW)
    assert seen == ["delete", "wal"] and journal(store) == "wal"
    assert [deck.cards for deck in store.decks()] == [5, 5]


@pytest.mark.sqlite_only
def test_a_first_import_with_the_file_open_elsewhere_writes_through_the_log(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite refuses to leave the log while another connection has the file ("database is
    # locked"): the import goes on in the log, as any other write.
    seen = journal_while_writing(monkeypatch)
    with contextlib.closing(sqlite3.connect(db_path)) as other:
        other.execute("SELECT count(*) FROM card").fetchone()
        import_decks(store, [make_deck()], now=NOW)
        assert other.execute("SELECT count(*) FROM card").fetchone() == (5,)
    assert seen == ["wal"] and journal(store) == "wal"


@pytest.mark.sqlite_only
def test_a_failed_first_import_writes_nothing_and_leaves_the_log_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Any, rows: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr("recall1924.store.decks._insert_cards", broken)
    with pytest.raises(RuntimeError, match="disk gone"):
        import_decks(store, [make_deck()], now=NOW)
    assert journal(store) == "wal"
    assert store.decks() == []
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM section").scalar_one() == 0


def test_only_sqlite_has_a_journal_mode_to_choose() -> None:
    assert dialect.journal_mode("sqlite") == "PRAGMA journal_mode"
    assert dialect.journal_mode("postgresql") is None
    assert dialect.set_journal_mode("wal") == "PRAGMA journal_mode = wal"
    with pytest.raises(ValueError):
        dialect.set_journal_mode("wal; DROP TABLE card")


clozes = st.one_of(st.none(), st.sampled_from(["{{c1::Paris}} is big", "{{c1::a}} {{c2::b}}"]))
texts = st.sampled_from(["Q", "A", "[...] is big", "Paris is big", ""])


@given(
    stored_cloze=clozes,
    stored_ord=st.one_of(st.none(), st.integers(1, 2)),
    stored_sides=st.tuples(texts, texts),
    sides=st.tuples(texts, texts),
    ord_given=st.one_of(st.none(), st.integers(1, 2)),
    tags=st.sampled_from([(), ("t",)]),
)
def test_a_card_without_cloze_in_the_file_compares_as_the_long_rule_does(
    stored_cloze: str | None,
    stored_ord: int | None,
    stored_sides: tuple[str, str],
    sides: tuple[str, str],
    ord_given: int | None,
    tags: tuple[str, ...],
) -> None:
    stored = ExistingCard(
        1,
        "k",
        "s",
        0,
        *stored_sides,
        None,
        ("t",),
        None,
        (),
        cloze=stored_cloze,
        cloze_ord=stored_ord,
    )
    card = CardSpec("k", *sides, tags=tags, cloze_ord=ord_given)
    long_rule = (
        stored_sides == sides
        and tags == ("t",)
        and _kept_cloze((stored_cloze, stored_ord), stored_sides, (None, ord_given), sides)
        == (stored_cloze, stored_ord)
    )
    assert stored.same_content(card) == long_rule


def _statements_of(store: Store) -> list[str]:
    """Every statement sent through the store's engine from now on, as sent."""
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(
        store.engine, "before_cursor_execute", lambda *args: sent.append(" ".join(args[2].split()))
    )
    return sent


def _card_indexes(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as connection:
        statement = dialect.table_indexes("card", name=dialect_of(connection))
        return [tuple(row) for row in connection.exec_driver_sql(statement)]


def test_a_first_import_makes_the_card_indexes_after_its_cards(store: Store) -> None:
    indexes = _card_indexes(store)
    assert [name for name, _ in indexes] == [
        "ix_card_deck_key",
        "ix_card_due",
        "ix_card_memory",
        "ix_card_section_id",
    ]
    sent = _statements_of(store)
    import_decks(store, [make_deck("one"), make_deck("two")], now=NOW)

    inserts = [at for at, sql in enumerate(sent) if sql.startswith("INSERT INTO card ")]
    drops = [at for at, sql in enumerate(sent) if sql.startswith("DROP INDEX")]
    makes = [at for at, sql in enumerate(sent) if sql in {statement for _, statement in indexes}]
    assert len(inserts) == 2 and len(drops) == len(makes) == 4
    assert max(drops) < min(inserts) and max(inserts) < min(makes)
    assert _card_indexes(store) == indexes  # made again as they were
    with pytest.raises(Exception, match="(?i)unique"):  # and the key's is unique still
        with store.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO card (deck_id, section_id, key, position, question, answer, tags, "
                "state, due, created_at, updated_at) SELECT deck_id, section_id, key, 9, 'Q', "
                "'A', tags, state, due, created_at, updated_at FROM card LIMIT 1"
            )

    # A collection holding cards keeps its indexes: making them again would read every card.
    sent.clear()
    import_decks(store, [make_deck("three")], now=NOW)
    assert any(sql.startswith("INSERT INTO card ") for sql in sent)
    assert not [sql for sql in sent if sql.startswith(("DROP INDEX", "CREATE"))]


def test_a_failed_first_import_leaves_the_card_indexes_as_they_were(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexes = _card_indexes(store)
    real = decks._insert_cards

    def broken(session: Any, rows: Any) -> None:
        real(session, rows)  # the first deck's cards are written, into a table without indexes
        raise RuntimeError("disk gone")

    monkeypatch.setattr("recall1924.store.decks._insert_cards", broken)
    with pytest.raises(RuntimeError, match="disk gone"):
        import_decks(store, [make_deck()], now=NOW)
    assert _card_indexes(store) == indexes and len(indexes) == 4
    assert store.decks() == []


def test_a_first_imports_answers_go_to_their_own_decks_cards(db_location: Path | str) -> None:
    # Each new deck's cards are found by their ids past the ones before (the first import has
    # no index by deck while it writes): the same keys in two decks, each with its answers.
    def answered(key: str, ratings: list[int]) -> DeckSpec:
        deck = make_deck(key, {"s": ["a", "b"]})
        history = tuple(
            PastAnswer(NOW - timedelta(days=30 - day), rating) for day, rating in enumerate(ratings)
        )
        cards = tuple(replace(card, history=history) for card in deck.sections[0].cards)
        return replace(deck, sections=(replace(deck.sections[0], cards=cards),))

    app = App(db_location, FixedClock(NOW), bundled=False)
    try:
        decks = [answered("one", [3]), answered("two", [1, 3, 3])]
        import_decks(app.store, decks, now=NOW, replay=app.replay)
        with app.store.engine.connect() as connection:
            counts = connection.exec_driver_sql(
                "SELECT deck.key, card.key, count(review_log.id) FROM card "
                "JOIN deck ON deck.id = card.deck_id LEFT JOIN review_log ON card_id = card.id "
                "GROUP BY deck.key, card.key ORDER BY deck.key, card.key"
            ).all()
    finally:
        app.close()
    assert [tuple(row) for row in counts] == [
        ("one", "a", 1),
        ("one", "b", 1),
        ("two", "a", 3),
        ("two", "b", 3),
    ]


def test_an_import_interrupted_in_a_statement_says_so_and_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Ctrl-C inside the driver's executemany: SQLAlchemy closes that connection, and the page
    # cache's and the journal's restoring then raised sqlite3's "Cannot operate on a closed
    # database" in place of the interrupt: "recall: database error: ...", exit 1.
    from sqlalchemy.engine.default import DefaultDialect
    from typer.testing import CliRunner

    from recall1924.cli import app

    deck = tmp_path / "cards.csv"
    deck.write_text("question,answer\n" + "".join(f"Q{n}?,A{n}\n" for n in range(50)))

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(DefaultDialect, "do_executemany", interrupted)
    result = CliRunner().invoke(app, ["import", str(deck)], env={"RECALL_NOW": NOW.isoformat()})
    assert result.exit_code == 130
    assert result.stderr.strip() == "recall: interrupted; nothing half-written was kept"
    monkeypatch.undo()
    assert [deck.key for deck in store.decks()] == []
