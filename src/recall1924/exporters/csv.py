"""Decks as a CSV file that a spreadsheet opens and recall imports again as the same decks.
Pure.

Holds :func:`write_csv`. The columns are the ones recall's CSV importer reads from a header
row: the hand-made ``question,answer,section,tags,note,id``, then what makes importing the file
back update the same decks, sections and cards instead of making copies:

- ``section_title``: the section's title. With it, ``section`` holds the section's id.
- ``deck``, ``deck_title``: the deck's id and title, so a file of several decks is several
  decks again.
- ``deck_description``, ``deck_version``: only when a deck has one. The bundled deck's version
  is what recall compares with the one it ships, so a round trip must keep it.
- ``source_id``: only when a card has one (``anki:<guid>:<template>`` for a card from Anki), so
  an Anki package exported after the round trip updates the same Anki notes.
- ``cloze``: only when the decks have a cloze. A cloze is one row, as in a TOML deck: its text
  in this column, question and answer empty, its own id in ``id`` (its cards are
  ``<id>-c<number>``) or, for a cloze from an Anki note, that note's identity in ``source_id``
  (see :mod:`recall1924.exporters.clozes`).

Deck columns are repeated on every row, as a spreadsheet keeps data: rows can be sorted,
filtered or deleted and each still says where its card belongs. Quoting is the stdlib ``csv``
module's, as in RFC 4180 (CRLF line ends, fields with commas, quotes or line breaks in double
quotes). Tags are words: inner whitespace in a tag becomes ``_``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from recall1924.deck import CardSpec, DeckSpec
from recall1924.exporters.clozes import ClozeNote, cloze_notes, section_items
from recall1924.importers.csv import HEADER_NAMES

# The columns recall's own CSV has, named once, where the reader knows them: the first nine
# on every export, then deck_description, deck_version and source_id where needed.
HEADER = HEADER_NAMES[: HEADER_NAMES.index("deck_title") + 1]
"""The columns every export has, in order; see :func:`columns` for the rest."""

_WHITESPACE = re.compile(r"\s+")


def csv_tag(tag: str) -> str:
    """A tag as one word: tags are space-separated in the column, so inner spaces become ``_``."""
    return _WHITESPACE.sub("_", tag.strip())


def columns(decks: Sequence[DeckSpec], *, clozes: bool = False) -> tuple[str, ...]:
    """The header row of an export of ``decks``: :data:`HEADER`, then ``deck_description``,
    ``deck_version`` and ``source_id`` when some deck or card has one, and ``cloze`` when
    ``clozes`` are written."""
    names = list(HEADER)
    if any(deck.description is not None for deck in decks):
        names.append("deck_description")
    if any(deck.version is not None for deck in decks):
        names.append("deck_version")
    if any(card.source_id for deck in decks for card in deck.cards):
        names.append("source_id")
    if clozes:
        names.append("cloze")
    return tuple(names)


def write_csv(decks: Sequence[DeckSpec]) -> str:
    """The decks' cards as CSV text, one row per card after a header row.

    Args:
        decks: the decks, written in order, section by section. Sections without cards have
            no row to be written in, so they are not in the file.

    Returns:
        The file's text; write it as UTF-8 with ``newline=""`` so its CRLFs are kept.
    """
    notes = [cloze_notes(deck, package=False, from_anki=True) for deck in decks]
    names = columns(decks, clozes=any(notes))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    for deck, deck_notes in zip(decks, notes, strict=True):
        for section in deck.sections:
            for item in section_items(section, deck_notes):
                card: CardSpec
                if isinstance(item, ClozeNote):
                    card = item.first
                    question = answer = ""
                    key, text = item.key or "", item.text
                else:
                    card = item
                    question, answer, key, text = card.question, card.answer, card.key, ""
                values = {
                    "question": question,
                    "answer": answer,
                    "section": section.key,
                    "tags": " ".join(filter(None, map(csv_tag, card.tags))),
                    "note": card.note or "",
                    "id": key,
                    "section_title": section.title,
                    "deck": deck.key,
                    "deck_title": deck.title,
                    "deck_description": deck.description or "",
                    "deck_version": "" if deck.version is None else str(deck.version),
                    "source_id": card.source_id or "",
                    "cloze": text,
                }
                writer.writerow(values[name] for name in names)
    return buffer.getvalue()
