"""Decks as a CSV file that a spreadsheet opens and recall imports again. Pure.

Holds :func:`write_csv`. The columns are those recall's CSV importer reads from hand-made
files: ``question,answer,section,tags,note,id``, quoted by the stdlib ``csv`` module as in
RFC 4180 (CRLF line ends, fields with commas, quotes or line breaks in double quotes).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from recall1924.deck import ID_PATTERN, DeckSpec

HEADER = ("question", "answer", "section", "tags", "note", "id")

_WHITESPACE = re.compile(r"\s+")


def csv_tag(tag: str) -> str:
    """A tag as one word: tags are space-separated in the column, so inner spaces become ``_``."""
    return _WHITESPACE.sub("_", tag.strip())


def write_csv(decks: Sequence[DeckSpec]) -> str:
    """The decks' cards as CSV text, one row per card after a header row.

    One deck per file is the usual case: the section column holds the section's title. With
    several decks, it holds ``Deck title::Section title`` (Anki's way of naming a subdeck) and a
    card id used by more than one deck is prefixed with its deck's id, so ids stay unique.

    Args:
        decks: the decks, written in order, section by section.

    Returns:
        The file's text; write it as UTF-8 with ``newline=""`` so its CRLFs are kept.
    """
    several = len(decks) > 1
    seen: dict[str, int] = {}
    for deck in decks:
        for card in deck.cards:
            seen[card.key] = seen.get(card.key, 0) + 1
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for deck in decks:
        for section in deck.sections:
            section_name = f"{deck.title}::{section.title}" if several else section.title
            for card in section.cards:
                key = card.key
                if seen[key] > 1 and ID_PATTERN.match(f"{deck.key}-{key}"):
                    key = f"{deck.key}-{key}"
                writer.writerow(
                    (
                        card.question,
                        card.answer,
                        section_name,
                        " ".join(csv_tag(tag) for tag in card.tags),
                        card.note or "",
                        key,
                    )
                )
    return buffer.getvalue()
