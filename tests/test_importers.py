"""Importing decks: what an import reports, and that history survives rewording."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fsrs import Scheduler

from conftest import NOW, make_deck
from recall1924.deckfile import CardSpec, SectionSpec
from recall1924.errors import DeckFileError, UnsupportedFormatError
from recall1924.importers import detect_format, read_decks
from recall1924.importing import import_deck, import_decks, plan_import
from recall1924.scheduling import Rating, answer
from recall1924.store import Store


def reword(deck, key: str, question: str):  # type: ignore[no-untyped-def]
    sections = tuple(
        replace(
            section,
            cards=tuple(
                replace(card, question=question) if card.key == key else card
                for card in section.cards
            ),
        )
        for section in deck.sections
    )
    return replace(deck, sections=sections)


def test_first_import_adds_everything(store: Store) -> None:
    plan = import_deck(store, make_deck(), now=NOW)
    assert plan.new_deck
    assert plan.added == ("a", "b", "c", "d", "e")
    assert plan.updated == plan.unchanged == plan.missing == ()
    assert store.decks()[0].cards == 5


def test_reimport_reports_each_kind_of_change(demo_store: Store) -> None:
    deck = reword(make_deck(sections={"one": ["a", "b", "x"], "two": ["d"]}), "a", "New?")
    plan = import_deck(demo_store, deck, now=NOW)
    assert not plan.new_deck
    assert (plan.added, plan.updated, plan.unchanged, plan.missing) == (
        ("x",),
        ("a",),
        ("b", "d"),
        ("c", "e"),
    )
    assert demo_store.decks()[0].cards == 6  # missing cards are kept without --prune


def test_moving_a_card_to_another_section_is_an_update(demo_store: Store) -> None:
    plan = plan_import(
        make_deck(sections={"one": ["a", "b"], "two": ["c", "d", "e"]}),
        demo_store.existing_cards("demo"),
    )
    assert plan.updated == ("c",)


def test_rewording_keeps_memory_and_history(demo_store: Store) -> None:
    cards = demo_store.existing_cards("demo")
    assert cards is not None
    a = cards["a"].id
    before = demo_store.card(a).memory
    after = answer(Scheduler(), card_id=a, memory=before, rating=Rating.Good, at=NOW)
    demo_store.record_answer(
        a, before=before, after=after, rating=Rating.Good, at=NOW, duration_ms=900
    )

    import_deck(demo_store, reword(make_deck(), "a", "Reworded?"), now=NOW + timedelta(days=1))

    card = demo_store.card(a)
    assert card.question == "Reworded?"
    assert card.memory == after
    assert len(demo_store.answers(a)) == 1


def test_prune_deletes_missing_cards_and_empty_sections(demo_store: Store) -> None:
    deck = make_deck(sections={"one": ["a"]})
    dry = import_deck(demo_store, deck, now=NOW, prune=True, dry_run=True)
    assert dry.missing == ("b", "c", "d", "e")
    assert demo_store.decks()[0].cards == 5  # a dry run writes nothing
    import_deck(demo_store, deck, now=NOW, prune=True)
    summary = demo_store.decks()[0]
    assert (summary.sections, summary.cards) == (1, 1)


def test_section_titles_and_order_follow_the_file(demo_store: Store) -> None:
    deck = make_deck()
    deck = replace(
        deck,
        sections=(
            SectionSpec("two", "Renamed", deck.sections[1].cards),
            SectionSpec("one", "Section one", deck.sections[0].cards + (CardSpec("f", "Q", "A"),)),
        ),
    )
    import_deck(demo_store, deck, now=NOW)
    view = demo_store.card(demo_store.existing_cards("demo")["d"].id)  # type: ignore[index]
    assert view.section_title == "Renamed"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deck.toml", b"[deck]\nid = 'x'\n", "toml"),
        ("deck", b"\xef\xbb\xbf[deck]\nid = 'x'\n", "toml"),
        ("cards.txt", b"#separator:tab\nq\ta\n", "csv"),
        ("cards", b"question,answer\nq,a\n", "csv"),
        ("deck.bin", b"PK\x03\x04rest", "apkg"),
        ("collection", b"SQLite format 3\x00rest", "apkg"),
    ],
)
def test_format_is_told_from_content(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


def test_a_file_that_is_not_what_its_name_claims_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "deck.apkg"
    fake.write_text("question,answer\n")
    with pytest.raises(DeckFileError, match="not an Anki package"):
        read_decks(fake)
    binary = tmp_path / "picture.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(UnsupportedFormatError, match="not a deck recall can read"):
        read_decks(binary)


def test_the_progress_bar_waits_a_second_before_showing(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from recall1924.ui.progress import delayed_progress

    monkeypatch.setenv("TERM", "xterm")  # Rich draws no live display on a dumb terminal
    out = io.StringIO()
    now = [0.0]
    with delayed_progress(
        Console(file=out, force_terminal=True, width=60), "Importing", clock=lambda: now[0]
    ) as progress:
        progress(100, 1000)
        assert out.getvalue() == ""  # a quick import prints nothing extra
        now[0] = 1.5
        progress(500, 1000)
        assert "500/1000" in out.getvalue()


def test_import_reports_progress_per_hundred_cards(store: Store) -> None:
    seen: list[tuple[int, int]] = []
    deck = make_deck(sections={"one": [f"c{n}" for n in range(250)]})
    import_decks(store, [deck], now=NOW, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(100, 250), (200, 250)]


def test_existing_cards_read_the_memory_state_as_stored(demo_store: Store) -> None:
    # The comparison decodes a card's memory only when asked: the same state the card has.
    cards = demo_store.existing_cards("demo")
    assert cards is not None
    a = cards["a"].id
    before = demo_store.card(a).memory
    after = answer(Scheduler(), card_id=a, memory=before, rating=Rating.Good, at=NOW)
    demo_store.record_answer(
        a, before=before, after=after, rating=Rating.Good, at=NOW, duration_ms=900
    )
    cards = demo_store.existing_cards("demo")
    assert cards is not None
    assert cards["a"].memory == after == demo_store.card(a).memory
    assert cards["b"].memory == demo_store.card(cards["b"].id).memory
    assert cards["a"].content == CardSpec("a", "Question a?", "Answer a")
    assert (cards["d"].section_key, cards["d"].position) == ("two", 0)
