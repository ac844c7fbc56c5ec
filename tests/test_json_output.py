"""Every ``--json`` output is safe to print to a terminal and still the same JSON: C1 controls,
bidirectional overrides and isolates and other invisible format characters in deck text come
out as ``\\uXXXX`` escapes, ordinary non-ASCII text stays readable, and ``json.loads`` gives
back exactly the stored strings."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import NOW
from recall1924.cli import app
from recall1924.deck import CardSpec, DeckSpec, SectionSpec
from recall1924.importing import import_deck
from recall1924.store import Store
from recall1924.ui.text import visible_json

runner = CliRunner()

# What must never reach the terminal raw, whatever the Unicode version: controls other than
# the newline JSON's own layout uses, format characters, line and paragraph separators and
# surrogates.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
HOSTILE = (
    "csi\x9b2J nel\x85 st\x9c del\x7f esc\x1b[31m "
    "rlo\u202eevil\u202c lri\u2066x\u2069 fsi\u2068y\u2069 lrm\u200e alm\u061c "
    "zwsp\u200b bom\ufeff shy\xad wj\u2060 ls\u2028ps\u2029 tag\U000e0041\U000e007f"
)
READABLE = "Café, Кремль, 中文, ελληνικά, emoji 🎓"
TEXT = f"{READABLE} | {HOSTILE}"


def unsafe(text: str) -> list[str]:
    return [
        f"U+{ord(char):04X}"
        for char in text
        if char != "\n" and unicodedata.category(char) in UNSAFE_CATEGORIES
    ]


def recall(*args: str) -> str:
    result = runner.invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def hostile_store(store: Store) -> Store:
    deck = DeckSpec(
        key="d",
        title=f"Deck {TEXT}",
        sections=(SectionSpec("s", f"Section {TEXT}", (CardSpec("k", TEXT, TEXT, TEXT),)),),
    )
    import_deck(store, deck, now=NOW)
    return store


def check(out: str) -> Any:
    """The output is clean for a terminal, keeps readable text, and is valid JSON."""
    assert unsafe(out) == []
    assert READABLE in out
    assert "\\u202e" in out and "\\u009b" in out and "\\udb40\\udc41" in out
    return json.loads(out)


@pytest.mark.usefixtures("hostile_store")
def test_cards_json() -> None:
    (row,) = check(recall("cards", "--json"))
    assert row["question"] == TEXT


@pytest.mark.usefixtures("hostile_store")
def test_card_json() -> None:
    data = check(recall("card", "k", "--json"))
    assert data["question"] == data["answer"] == data["note"] == TEXT
    assert data["deck_title"] == f"Deck {TEXT}"


@pytest.mark.usefixtures("hostile_store")
def test_decks_stats_and_the_rest_go_through_the_same_printer() -> None:
    (deck,) = check(recall("decks", "--json"))
    assert deck["title"] == f"Deck {TEXT}"
    data = check(recall("stats", "--json"))
    assert data["decks"][0]["sections"][0]["title"] == f"Section {TEXT}"


def test_the_escaped_set_covers_unicodedata() -> None:
    """Written out by hand in recall: every control, format character, separator and surrogate
    Python's Unicode database knows is escaped."""
    missing = [
        f"U+{code:04X}"
        for code in range(0x7F, 0x110000)
        if unicodedata.category(chr(code)) in UNSAFE_CATEGORIES
        and visible_json(json.dumps(chr(code), ensure_ascii=False)) == f'"{chr(code)}"'
    ]
    assert missing == []


# Surrogates included (Hypothesis leaves them out unless told): a lone one must round-trip too.
@given(st.text(st.characters(exclude_categories=())))
def test_any_text_round_trips_and_prints_clean(text: str) -> None:
    out = visible_json(json.dumps({"t": text, "list": [text]}, indent=2, ensure_ascii=False))
    assert unsafe(out) == []
    assert json.loads(out) == {"t": text, "list": [text]}


@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    dumped = json.dumps(text, ensure_ascii=False)
    assert visible_json(dumped) == dumped
