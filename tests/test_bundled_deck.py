"""The bundled deck: complete, valid, and corrected where the source notes are wrong."""

from __future__ import annotations

import pytest

from recall1924.deckfile import DeckSpec, read_deck_file
from recall1924.paths import bundled_deck_path

SECTIONS = [
    ("lenins-legacy", "Lenin's legacy"),
    ("stalins-position", "Stalin's position"),
    ("trotsky", "Leon Trotsky"),
    ("nep-dispute", "The NEP dispute"),
    ("defeat-of-the-left", "Stalin's defeat of the Left"),
    ("defeat-of-the-right", "Stalin's defeat of the Right"),
]


@pytest.fixture(scope="module")
def deck() -> DeckSpec:
    return read_deck_file(bundled_deck_path())


def text_of(deck: DeckSpec, section: str | None = None) -> str:
    return " ".join(
        f"{card.question} {card.answer} {card.note or ''}"
        for s in deck.sections
        if section is None or s.key == section
        for card in s.cards
    )


def test_six_sections_in_order_with_enough_cards(deck: DeckSpec) -> None:
    assert [(s.key, s.title) for s in deck.sections] == SECTIONS
    assert len(deck.cards) >= 60
    for section in deck.sections:
        essay = [card for card in section.cards if "essay" in card.tags]
        assert len(section.cards) >= 8, section.key
        assert len(essay) >= 2, section.key  # causal "why / give reasons" cards


def test_section_two_is_filled_from_the_standard_account(deck: DeckSpec) -> None:
    text = text_of(deck, "stalins-position")
    for term in (
        "General Secretary",
        "1922",
        "Orgburo",
        "Secretariat",
        "Rabkrin",
        "Nationalities",
        "nomenklatura",
        "congress",
    ):
        assert term.lower() in text.lower(), term


def test_the_notes_errors_are_corrected_and_explained(deck: DeckSpec) -> None:
    corrections = [card for card in deck.cards if "correction" in card.tags]
    assert len(corrections) >= 4
    assert all(card.note and card.note.startswith("Correction") for card in corrections)
    answers = " ".join(card.answer for card in deck.cards)
    assert "South America" not in answers
    for fact in ("Alma-Ata", "Turkey", "Mexico", "1940", "Caucasus"):
        assert fact in answers, fact
    left = next(card for card in deck.cards if card.key == "nep-left-view")
    assert "industrial" in left.answer.lower()


def test_cards_ask_one_short_thing(deck: DeckSpec) -> None:
    for card in deck.cards:
        if "essay" not in card.tags:
            assert len(card.answer) <= 300, card.key
        assert card.question.endswith("?") or card.question.endswith("."), card.key
