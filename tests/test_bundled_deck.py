"""The bundled deck: complete, valid, and corrected where the source notes are wrong."""

from __future__ import annotations

import re
import statistics

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
    assert all(card.note and card.note.startswith("Correction: ") for card in corrections)
    answers = " ".join(card.answer for card in deck.cards)
    assert "South America" not in answers
    for fact in ("Alma-Ata", "Turkey", "Mexico", "1940", "Caucasus"):
        assert fact in answers, fact
    left = next(card for card in deck.cards if card.key == "nep-left-view")
    assert "industrial" in left.answer.lower()


def test_every_question_is_a_question_or_an_instruction(deck: DeckSpec) -> None:
    for card in deck.cards:
        assert card.question.endswith("?") or card.question.endswith("."), card.key


# -- Cards that can be recalled ----------------------------------------------------------------
# Word counts are len(answer.split()). Non-essay cards ask for one thing, so their answers stay
# short; essay cards (tag "essay") are argument plans of two or three numbered points written
# "1. ...; 2. ...; 3. ..." (no other "; " inside a point).

MAX_ANSWER_WORDS = 25
MAX_MEDIAN_ANSWER_WORDS = 15
MAX_ESSAY_POINTS = 3
MAX_ESSAY_POINT_WORDS = 20
ESSAY_PLAN = re.compile(r"1\. [^;]+(?:; 2\. [^;]+)(?:; 3\. [^;]+)?")
YEAR = re.compile(r"\b1[89]\d\d\b")


def words(text: str) -> int:
    return len(text.split())


def test_non_essay_answers_are_short(deck: DeckSpec) -> None:
    counts = {card.key: words(card.answer) for card in deck.cards if "essay" not in card.tags}
    too_long = {key: n for key, n in counts.items() if n > MAX_ANSWER_WORDS}
    assert not too_long
    assert statistics.median(counts.values()) <= MAX_MEDIAN_ANSWER_WORDS


def test_essay_answers_are_plans_of_at_most_three_points(deck: DeckSpec) -> None:
    essays = [card for card in deck.cards if "essay" in card.tags]
    assert essays
    for card in essays:
        assert ESSAY_PLAN.fullmatch(card.answer), card.key
        points = card.answer.split("; ")
        assert 2 <= len(points) <= MAX_ESSAY_POINTS, card.key
        for number, point in enumerate(points, start=1):
            assert point.startswith(f"{number}. "), card.key
            assert words(point) <= MAX_ESSAY_POINT_WORDS, (card.key, number)


def test_no_two_cards_ask_the_same_question(deck: DeckSpec) -> None:
    seen: dict[str, str] = {}
    for card in deck.cards:
        question = " ".join(card.question.lower().split())
        assert question not in seen, (card.key, seen.get(question))
        seen[question] = card.key


# -- Labels ------------------------------------------------------------------------------------


def test_correction_tag_if_and_only_if_the_note_corrects_the_notes(deck: DeckSpec) -> None:
    for card in deck.cards:
        note = card.note or ""
        if "correction" in card.tags:
            assert note.startswith("Correction: "), card.key
        else:
            assert not note.lower().startswith("correction"), card.key
            # Only a correction talks about what the student's notes say.
            assert "your notes" not in note.lower(), card.key


def test_date_tag_only_where_the_answer_is_a_date(deck: DeckSpec) -> None:
    for card in deck.cards:
        if "date" in card.tags:
            assert YEAR.search(card.answer), card.key
        if card.question.startswith("When "):
            assert "date" in card.tags, card.key


def test_fixed_imprecisions_stay_fixed(deck: DeckSpec) -> None:
    cards = {card.key: card for card in deck.cards}
    text = text_of(deck)
    # The Testament was not published at the time: abroad in 1926, in the USSR in 1956.
    assert "never published" not in text
    assert "1926" in cards["testament-published-abroad"].answer
    assert "1956" in cards["testament-published-ussr"].answer
    assert "died before" not in cards["testament-why-harmless"].answer
    # The General Secretary's title was abolished in 1952; Stalin led until 1953.
    assert "kept the post until his death" not in text
    assert "1952" in (cards["gensec-appointed-year"].note or "")
    # January 1928 brought the emergency measures; the Urals-Siberian method is 1929.
    for card in deck.cards:
        if "Urals-Siberian" in f"{card.question} {card.answer}":
            assert "1929" in card.question, card.key
    # The state sought foreign loans but could not get large ones.
    assert "would not borrow" not in " ".join(card.answer for card in deck.cards)
    # The oath speech was to the Congress of Soviets, not at the funeral.
    assert "speaker" not in cards["funeral-stalin-role"].answer
    # The First Five-Year Plan was approved in 1929 and backdated to October 1928.
    assert "1929" in cards["first-five-year-plan-approved"].answer


def test_the_excerpt_in_the_deck_format_docs_is_the_real_deck(deck: DeckSpec) -> None:
    from pathlib import Path

    from recall1924.deckfile import parse_deck

    docs = (Path(__file__).resolve().parents[1] / "docs" / "deck-format.md").read_text()
    excerpt = re.search(r"This excerpt shows.*?```toml\n(.*?)```", docs, re.S)
    assert excerpt is not None
    shown = parse_deck(excerpt.group(1))
    real = {card.key: card for card in deck.cards}
    assert shown.cards and all(real[card.key] == card for card in shown.cards)
