"""recall's own TOML deck format. Pure.

Holds :func:`parse_deck` / :func:`read_deck_file`, which read a TOML deck (see
``docs/deck-format.md``) into the neutral :mod:`recall1924.deck` dataclasses. Validation
collects every problem, each with its line, before failing, so one run shows everything to
fix; a file with any problem yields nothing.

A deck is parsed with toml-rs (Rust) held to TOML 1.0, which is what tomllib reads: for a
100,000-card deck that is a fraction of a second instead of tomllib's seconds. tomllib still
has the last word on a file toml-rs refuses, so a syntax error reads exactly as it always has.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import toml_rs

from recall1924 import cloze
from recall1924.collector import collector_paused
from recall1924.deck import ID_PATTERN, ID_RULE, CardSpec, DeckSpec, SectionSpec
from recall1924.errors import DeckFileError

__all__ = ["CardSpec", "DeckSpec", "SectionSpec", "parse_deck", "read_deck_file"]

DECK_KEYS = ("id", "title", "version", "description")
SECTION_KEYS = ("id", "title", "cards")
CARD_KEYS = ("id", "question", "answer", "cloze", "note", "tags", "source")
_CARD_KEY_SET = frozenset(CARD_KEYS)


_HEADER = re.compile(r"^\s*\[")
_DECK_HEADER = re.compile(r"^\s*\[\s*deck\s*\]\s*(#.*)?$")
_SECTION_HEADER = re.compile(r"^\s*\[\[\s*sections\s*\]\]\s*(#.*)?$")
_CARD_HEADER = re.compile(r"^\s*\[\[\s*sections\s*\.\s*cards\s*\]\]\s*(#.*)?$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class _Lines:
    """Finds the lines of tables and keys in the source, to point errors at them.

    TOML parsers do not keep positions, so this reads the text for the table headers of the
    documented layout ([deck], [[sections]], [[sections.cards]]) in document order. Decks
    written another way (inline tables) still validate; their errors just carry no line. The
    text is only read for its lines once a problem needs one: a valid deck never pays for it.
    """

    def __init__(self, text: str) -> None:
        self._text = text

    @cached_property
    def _headers(self) -> tuple[list[str], int | None, list[int], list[int]]:
        lines = self._text.splitlines()
        deck: int | None = None
        sections: list[int] = []
        cards: list[int] = []
        for number, line in enumerate(lines, start=1):
            if _CARD_HEADER.match(line):
                cards.append(number)
            elif _SECTION_HEADER.match(line):
                sections.append(number)
            elif _DECK_HEADER.match(line) and deck is None:
                deck = number
        return lines, deck, sections, cards

    @property
    def deck(self) -> int | None:
        return self._headers[1]

    def section(self, index: int) -> int | None:
        """The line of the ``index``-th ``[[sections]]`` header."""
        return self._nth(self._headers[2], index)

    def card(self, index: int) -> int | None:
        """The line of the ``index``-th ``[[sections.cards]]`` header, counted over the file."""
        return self._nth(self._headers[3], index)

    @staticmethod
    def _nth(headers: list[int], index: int) -> int | None:
        return headers[index] if index < len(headers) else None

    def key(self, table_line: int | None, key: str) -> int | None:
        """The line of ``key = …`` in the table starting at ``table_line``, else the table's."""
        if table_line is None:
            return None
        lines = self._headers[0]
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(table_line + 1, len(lines) + 1):
            line = lines[number - 1]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return table_line


class _Problems:
    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int | None, message: str) -> None:
        where = f"{self.path}:{line}" if line else self.path
        self.items.append(f"{where}: {message}")


def _unknown_keys(
    table: Mapping[str, Any], allowed: tuple[str, ...], what: str, line_of: Any, out: _Problems
) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
            out.add(line_of(key), f"{what}: unknown key {key!r}{hint}")


def _text(
    table: Mapping[str, Any],
    key: str,
    what: str,
    line_of: Any,
    out: _Problems,
    *,
    required: bool = True,
    may_be_empty: bool = False,
) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            out.add(line_of(key), f"{what}: missing required field {key!r}")
        return None
    if not isinstance(value, str):
        out.add(line_of(key), f"{what}: field {key!r} must be a string")
        return None
    if required and not may_be_empty and not value.strip():
        out.add(line_of(key), f"{what}: field {key!r} must not be empty")
        return None
    return value


def _positive_int(
    table: Mapping[str, Any], key: str, what: str, line_of: Any, out: _Problems
) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    # TOML booleans are not numbers here, though Python's bool is an int.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        out.add(line_of(key), f"{what}: field {key!r} must be a positive integer")
        return None
    return value


def _ident(table: Mapping[str, Any], what: str, line_of: Any, out: _Problems) -> str | None:
    value = _text(table, "id", what, line_of, out)
    if value is not None and not ID_PATTERN.match(value):
        out.add(line_of("id"), f"{what}: id {value!r} is not valid ({ID_RULE})")
        return None
    return value


def _parse_card(
    raw: Any, index: int, lines: _Lines, seen: dict[str, int], made: set[str], out: _Problems
) -> list[CardSpec]:
    """The cards one ``[[sections.cards]]`` table gives: one, or one per number of a cloze.
    ``seen`` maps each card id taken so far to the table (by index) that took it; ``made``
    holds those a cloze's cards took."""
    card = _well_formed_card(raw)
    if card is not None and card.key not in seen:
        seen[card.key] = index
        return [card]
    if not isinstance(raw, dict):
        out.add(lines.card(index), f"card #{index + 1}: must be a table")
        return []

    def line_of(key: str, index: int = index) -> int | None:
        return lines.key(lines.card(index), key)

    label = f"card {raw['id']!r}" if isinstance(raw.get("id"), str) else f"card #{index + 1}"
    _unknown_keys(raw, CARD_KEYS, label, line_of, out)
    key = _ident(raw, label, line_of, out)
    is_cloze = "cloze" in raw
    if is_cloze:
        text = _text(raw, "cloze", label, line_of, out)
        for name in ("question", "answer"):
            if name in raw:
                out.add(line_of(name), f"{label}: a cloze card has no {name!r}: its cloze gives it")
        question = answer = None
    else:
        question = _text(raw, "question", label, line_of, out)
        # An empty answer is a card's of Anki's or a spreadsheet's, kept by their importers:
        # what recall exports of it must read back.
        answer = _text(raw, "answer", label, line_of, out, may_be_empty=True)
    note = _text(raw, "note", label, line_of, out, required=False)
    _text(raw, "source", label, line_of, out, required=False)  # where recall draft found it
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        out.add(line_of("tags"), f"{label}: field 'tags' must be a list of non-empty strings")
        tags = []
    if key is not None:
        # By card index: the first card's line is looked up only if there is a duplicate.
        first_index = seen.setdefault(key, index)
        if first_index != index:
            first = line_of("id", first_index)
            where = f" (first at line {first})" if first else ""
            if key in made:  # an id a cloze's card took, not one a table gave
                where = f" (a card of the cloze at line {first})" if first else ""
            out.add(line_of("id"), f"{label}: duplicate card id{where}")
    kept_note = note.strip() or None if note else None
    kept_tags = tuple(tag.strip() for tag in tags)
    if is_cloze:
        if key is None or text is None:
            return []
        return _cloze_cards(
            text.strip(),
            key=key,
            note=kept_note,
            tags=kept_tags,
            where=(index, label, line_of),
            seen=seen,
            made=made,
            out=out,
        )
    if key is None or question is None or answer is None:
        return []
    return [
        CardSpec(
            key=key,
            question=question.strip(),
            answer=answer.strip(),
            note=kept_note,
            tags=kept_tags,
        )
    ]


def _cloze_cards(
    text: str,
    *,
    key: str,
    note: str | None,
    tags: tuple[str, ...],
    where: tuple[int, str, Any],
    seen: dict[str, int],
    made: set[str],
    out: _Problems,
) -> list[CardSpec]:
    """The cards of a cloze table: one per number, ``<id>-c<number>``, each its own card with
    its own history. An id one of them would take that another card of the deck has (or one
    too long) refuses the file: the cards must stay told apart on every import. ``where`` is
    the table's index, its label in messages and how to find a key's line."""
    index, label, line_of = where
    wrong = cloze.problems(text)
    for problem in wrong:
        out.add(line_of("cloze"), f"{label}: field 'cloze': {problem}")
    if wrong:
        return []
    cards = []
    for number in sorted(cloze.numbers(text)):
        card_key = cloze.card_key(key, number)
        if not ID_PATTERN.match(card_key):
            out.add(
                line_of("id"),
                f"{label}: id too long for its cloze cards ({card_key!r} is over 64 characters)",
            )
            return []
        first_index = seen.setdefault(card_key, index)
        made.add(card_key)
        if first_index != index:
            first = line_of("id", first_index)
            at = f" at line {first}" if first else ""
            out.add(
                line_of("id"),
                f"{label}: its cloze c{number} would be card {card_key!r}, an id the deck has "
                f"already{at}; rename one of them",
            )
            continue
        cards.append(
            CardSpec(
                key=card_key,
                question=cloze.question(text, number),
                answer=cloze.answer(text, number),
                note=note,
                tags=tags,
                cloze=text,
                cloze_ord=number,
            )
        )
    return cards


def _well_formed_card(raw: Any) -> CardSpec | None:
    """The card ``raw`` holds if it has no problem at all (else None, and :func:`_parse_card`
    finds them): the checks of the full validation in one expression, since a big deck has
    100,000 cards and nearly all of them are fine."""
    if type(raw) is not dict or not raw.keys() <= _CARD_KEY_SET or "cloze" in raw:
        return None
    key, question, answer = raw.get("id"), raw.get("question"), raw.get("answer")
    note, tags = raw.get("note"), raw.get("tags", [])
    if not (
        type(key) is str
        and ID_PATTERN.match(key)
        and type(question) is str
        and question.strip()
        and type(answer) is str
        and (note is None or type(note) is str)
        and type(raw.get("source", "")) is str
        and type(tags) is list
        and all(type(tag) is str and tag.strip() for tag in tags)
    ):
        return None
    return CardSpec(
        key=key,
        question=question.strip(),
        answer=answer.strip(),
        note=note.strip() or None if note else None,
        tags=tuple(tag.strip() for tag in tags),
    )


def _load(text: str, source: str) -> dict[str, Any]:
    """The TOML document in ``text``, as tomllib reads it.

    Raises:
        DeckFileError: tomllib's syntax error, with its line and column.
    """
    # tomllib refuses a byte-order mark (read_deck_file strips one); toml-rs would skip it.
    if not text.startswith("\ufeff"):
        try:
            return toml_rs.loads(text, toml_version="1.0.0")
        except toml_rs.TOMLDecodeError:
            pass  # tomllib says what is wrong, in the words recall has always used
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            message = _TOML_POSITION.sub("", message)
            where = f"{source}:{position.group(1)}:{position.group(2)}"
        else:
            where = source
        raise DeckFileError(source, [f"{where}: TOML syntax error: {message}"]) from None


def parse_deck(text: str, source: str = "<deck>") -> DeckSpec:
    """Parse and validate a TOML deck.

    Args:
        text: the file's text.
        source: the name used in error messages and kept as the deck's source.

    Returns:
        The deck, sections and cards in file order.

    Raises:
        DeckFileError: listing every problem found, each with its line where known.
    """
    out = _Problems(source)
    data = _load(text, source)
    lines = _Lines(text)
    _unknown_keys(data, ("deck", "sections"), "top level", lambda _key: None, out)

    deck_raw = data.get("deck")
    deck_key = title = description = None
    version: int | None = None
    if not isinstance(deck_raw, dict):
        out.add(None, "missing [deck] table with id and title")
    else:

        def deck_line(key: str) -> int | None:
            return lines.key(lines.deck, key)

        _unknown_keys(deck_raw, DECK_KEYS, "[deck]", deck_line, out)
        deck_key = _ident(deck_raw, "[deck]", deck_line, out)
        title = _text(deck_raw, "title", "[deck]", deck_line, out)
        description = _text(deck_raw, "description", "[deck]", deck_line, out, required=False)
        version = _positive_int(deck_raw, "version", "[deck]", deck_line, out)

    sections_raw = data.get("sections")
    sections: list[SectionSpec] = []
    if not isinstance(sections_raw, list) or not sections_raw:
        out.add(None, "no sections: add at least one [[sections]] table")
        sections_raw = []
    seen_sections: set[str] = set()
    seen_cards: dict[str, int] = {}
    made_cards: set[str] = set()
    card_index = 0
    for index, raw in enumerate(sections_raw):

        def section_line(key: str, index: int = index) -> int | None:
            return lines.key(lines.section(index), key)

        if not isinstance(raw, dict):
            out.add(lines.section(index), f"section #{index + 1}: must be a table")
            continue
        label = (
            f"section {raw['id']!r}" if isinstance(raw.get("id"), str) else f"section #{index + 1}"
        )
        _unknown_keys(raw, SECTION_KEYS, label, section_line, out)
        section_key = _ident(raw, label, section_line, out)
        section_title = _text(raw, "title", label, section_line, out)
        if section_key is not None:
            if section_key in seen_sections:
                out.add(section_line("id"), f"{label}: duplicate section id")
            seen_sections.add(section_key)
        cards_raw = raw.get("cards", [])
        if not isinstance(cards_raw, list):
            out.add(section_line("cards"), f"{label}: 'cards' must be an array of tables")
            cards_raw = []
        cards: list[CardSpec] = []
        for card_raw in cards_raw:
            cards += _parse_card(card_raw, card_index, lines, seen_cards, made_cards, out)
            card_index += 1
        if section_key is not None and section_title is not None:
            sections.append(SectionSpec(section_key, section_title.strip(), tuple(cards)))

    if out.items:
        raise DeckFileError(source, out.items)
    assert deck_key is not None and title is not None
    return DeckSpec(
        key=deck_key,
        title=title.strip(),
        description=description.strip() or None if description else None,
        sections=tuple(sections),
        source=source,
        version=version,
    )


def read_deck_file(path: Path) -> DeckSpec:
    """Read and parse the TOML deck at ``path``.

    Raises:
        DeckFileError: if the file cannot be read, is not UTF-8, or is not a valid deck.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeckFileError(str(path), [f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is not part of the deck
    except UnicodeDecodeError as exc:
        raise DeckFileError(
            str(path), [f"{path}: not UTF-8 text (byte {exc.start}); save the deck as UTF-8"]
        ) from None
    # A big deck is a table and a card for each of 100,000 cards, in no cycle: the collector
    # would walk them again and again as they are made (0.1 s of a re-import's 0.7 s read).
    with collector_paused():
        return parse_deck(text, str(path))
