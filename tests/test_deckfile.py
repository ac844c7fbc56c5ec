"""The TOML deck format: parsing, precise errors, and a round trip over generated decks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from recall1924.deckfile import CardSpec, DeckSpec, parse_deck, read_deck_file
from recall1924.errors import DeckFileError
from recall1924.exporters.toml import write_toml

GOOD = """\
[deck]
id = "demo"
title = "Demo deck"

[[sections]]
id = "first"
title = "First"

[[sections.cards]]
id = "capital"
question = "Capital of France?"
answer = "Paris"
note = "Since 987."
tags = ["geo"]

[[sections.cards]]
id = "river"
question = "River through Paris?"
answer = \"\"\"The
Seine\"\"\"

[[sections]]
id = "second"
title = "Second"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(DeckFileError) as caught:
        parse_deck(text, "deck.toml")
    return caught.value.problems


def test_parses_a_valid_deck_in_file_order() -> None:
    deck = parse_deck(GOOD, "deck.toml")
    assert deck.key == "demo"
    assert [section.key for section in deck.sections] == ["first", "second"]
    assert deck.sections[0].cards == (
        CardSpec("capital", "Capital of France?", "Paris", "Since 987.", ("geo",)),
        CardSpec("river", "River through Paris?", "The\nSeine"),
    )
    assert deck.sections[1].cards == ()


def test_syntax_error_has_line_and_column() -> None:
    assert problems(GOOD.replace('answer = "Paris"', "answer = Paris")) == [
        "deck.toml:12:10: TOML syntax error: Invalid value"
    ]


@pytest.mark.parametrize(
    ("toml_1_1", "error"),
    [
        (
            'tags = ["a",\n]\nnote = { text = "x",\n }',
            "deck.toml:16:21: TOML syntax error: Invalid initial character for a key part",
        ),
        ('note = "\\e"', "deck.toml:14:11: TOML syntax error: Unescaped '\\' in a string"),
    ],
)
def test_only_toml_1_0_is_read_and_errors_are_tomllibs(toml_1_1: str, error: str) -> None:
    # The fast parser is held to TOML 1.0, as tomllib is: a newline in an inline table or a
    # \e escape (TOML 1.1) is refused, and the message is the one tomllib has always given.
    assert problems(GOOD.replace('tags = ["geo"]', toml_1_1)) == [error]


def test_a_byte_order_mark_in_the_text_is_refused_as_before() -> None:
    # read_deck_file strips one; text handed to parse_deck with one is not TOML to tomllib.
    assert problems("\ufeff" + GOOD) == ["deck.toml:1:1: TOML syntax error: Invalid statement"]


def test_unknown_key_names_card_line_and_suggestion() -> None:
    text = GOOD.replace('answer = "Paris"', 'anwser = "Paris"')
    assert problems(text) == [
        "deck.toml:12: card 'capital': unknown key 'anwser'; did you mean 'answer'?",
        "deck.toml:9: card 'capital': missing required field 'answer'",
    ]


def test_empty_question_and_wrong_types_are_each_reported() -> None:
    text = GOOD.replace('question = "Capital of France?"', 'question = "   "').replace(
        'tags = ["geo"]', "tags = 3"
    )
    assert problems(text) == [
        "deck.toml:11: card 'capital': field 'question' must not be empty",
        "deck.toml:14: card 'capital': field 'tags' must be a list of non-empty strings",
    ]


def test_duplicate_card_id_points_at_both() -> None:
    text = GOOD.replace('id = "river"', 'id = "capital"')
    assert problems(text) == ["deck.toml:17: card 'capital': duplicate card id (first at line 10)"]


def test_duplicate_ids_across_sections_are_caught() -> None:
    text = GOOD + '\n[[sections.cards]]\nid = "river"\nquestion = "q"\nanswer = "a"\n'
    assert problems(text) == ["deck.toml:27: card 'river': duplicate card id (first at line 17)"]


def test_invalid_ids_and_missing_deck() -> None:
    text = GOOD.replace('id = "demo"', 'id = "Demo Deck"').replace('id = "second"', 'id = ""')
    assert problems(text) == [
        "deck.toml:2: [deck]: id 'Demo Deck' is not valid "
        "(lowercase letters, digits and '-', starting with a letter or digit, at most 64)",
        "deck.toml:23: section '': field 'id' must not be empty",
    ]
    assert problems('[[sections]]\nid = "a"\ntitle = "A"\n') == [
        "deck.toml: missing [deck] table with id and title"
    ]


def test_unknown_top_level_and_no_sections() -> None:
    assert problems('[deck]\nid = "d"\ntitle = "D"\n[decks]\n') == [
        "deck.toml: top level: unknown key 'decks'; did you mean 'deck'?",
        "deck.toml: no sections: add at least one [[sections]] table",
    ]


def test_inline_tables_validate_without_lines() -> None:
    text = '[deck]\nid = "d"\ntitle = "D"\n[[sections]]\nid = "s"\ntitle = "S"\n' + (
        'cards = [{id = "x", question = "q"}]\n'
    )
    assert problems(text) == ["deck.toml: card 'x': missing required field 'answer'"]


def test_deck_version_is_an_optional_positive_integer() -> None:
    assert parse_deck(GOOD).version is None
    versioned = GOOD.replace('title = "Demo deck"\n', 'title = "Demo deck"\nversion = 3\n')
    assert parse_deck(versioned).version == 3
    assert parse_deck(versioned) != parse_deck(GOOD)


@pytest.mark.parametrize("value", ["0", "-1", '"2"', "2.0", "true", "[1]"])
def test_deck_version_must_be_a_positive_integer(value: str) -> None:
    text = GOOD.replace('title = "Demo deck"\n', f'title = "Demo deck"\nversion = {value}\n')
    assert problems(text) == ["deck.toml:4: [deck]: field 'version' must be a positive integer"]


def test_misspelt_version_is_suggested() -> None:
    text = GOOD.replace('title = "Demo deck"\n', 'title = "Demo deck"\nversoin = 2\n')
    assert problems(text) == ["deck.toml:4: [deck]: unknown key 'versoin'; did you mean 'version'?"]


def test_read_deck_file_rejects_non_utf8_and_missing(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes(GOOD.replace("Paris", "Par\xeds").encode("latin-1"))
    with pytest.raises(DeckFileError, match=r"not UTF-8 text \(byte \d+\)"):
        read_deck_file(latin)
    with pytest.raises(DeckFileError, match="cannot read: No such file"):
        read_deck_file(tmp_path / "missing.toml")


# -- round trip --------------------------------------------------------------------------


def toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML wants DEL escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def write_deck(deck: DeckSpec) -> str:
    lines = [f"[deck]\nid = {toml_string(deck.key)}\ntitle = {toml_string(deck.title)}"]
    if deck.version is not None:
        lines.append(f"version = {deck.version}")
    for section in deck.sections:
        lines.append(f"[[sections]]\nid = {toml_string(section.key)}")
        lines.append(f"title = {toml_string(section.title)}")
        for card in section.cards:
            lines.append(f"[[sections.cards]]\nid = {toml_string(card.key)}")
            lines.append(f"question = {toml_string(card.question)}")
            lines.append(f"answer = {toml_string(card.answer)}")
            if card.note is not None:
                lines.append(f"note = {toml_string(card.note)}")
            if card.tags:
                lines.append(f"tags = [{', '.join(toml_string(tag) for tag in card.tags)}]")
    return "\n".join(lines) + "\n"


ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
texts = st.text(min_size=1).map(str.strip).filter(bool)


def decks() -> st.SearchStrategy[DeckSpec]:
    return strategies.decks(ids, texts, max_cards=12, descriptions=False)


@settings(max_examples=60, deadline=None)
@given(decks())
def test_round_trip(deck: DeckSpec) -> None:
    assert parse_deck(write_deck(deck)) == deck


@settings(max_examples=60, deadline=None)
@given(decks())
def test_round_trip_through_the_exporter_keeps_the_version(deck: DeckSpec) -> None:
    again = parse_deck(write_toml(deck))
    assert again == deck
    assert again.version == deck.version


def tomllib_only(text: str) -> DeckSpec | list[str]:
    """What parse_deck made of ``text`` when tomllib alone parsed it: the deck, or its
    problems."""
    import tomllib

    from recall1924 import deckfile

    def load(text: str, source: str) -> dict[str, object]:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return original(text, source)  # the same message, as before

    original = deckfile._load
    deckfile._load = load  # type: ignore[assignment]
    try:
        return parse_deck(text, "deck.toml")
    except DeckFileError as exc:
        return exc.problems
    finally:
        deckfile._load = original


@settings(max_examples=150, deadline=None)
@given(decks(), st.data())
def test_a_damaged_deck_reads_as_tomllib_reads_it(deck: DeckSpec, data: st.DataObject) -> None:
    # Whatever a file holds, the fast parser takes what tomllib takes and nothing else: cut,
    # duplicate or insert a few characters of a valid deck and both read it the same.
    text = write_toml(deck)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["cut", "insert", "repeat"]))
        if edit == "cut":
            text = text[:at] + text[at + data.draw(st.integers(1, 5)) :]
        elif edit == "insert":
            text = (
                text[:at]
                + data.draw(st.sampled_from(list("\"'[]{}=,.#\\\n \t\r\x7fé")))
                + text[at:]
            )
        else:
            text = text[:at] + text[max(0, at - 12) : at] + text[at:]
    try:
        read: DeckSpec | list[str] = parse_deck(text, "deck.toml")
    except DeckFileError as exc:
        read = exc.problems
    assert read == tomllib_only(text)
