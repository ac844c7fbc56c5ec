"""Which recall card, deck and section an Anki one is, both ways. Pure.

Holds what the Anki package exporter writes so that recall knows its own work when the package
comes back (through Anki or not), and what the Anki readers (packages and text exports) make
keys from:

- card keys: made from a note's GUID and template (:func:`anki_card_key`), the same whether the
  card arrives in a package or in a text export, so a newer export updates it. A note that
  recall itself exported carries a GUID ``recall:<deck>:<card>`` (:func:`recall_guid`): it comes
  back as the same card, with the same key. Notes of one file that share a GUID (genanki derives
  GUIDs from fields, so duplicates share one) are told apart by their place among those notes.
  A card's ``source_id`` says which Anki card it came from (:func:`anki_source_id`,
  :func:`anki_identity`);
- deck and section ids: an HTML comment ending an Anki deck's description, which Anki keeps and
  does not show (:func:`deck_mark`, :func:`section_mark`, :func:`read_mark`);
- recall's note types (:func:`recall_note_type`, :func:`recall_note_type_cards`): its text is
  in their fields, which are read back as they were written (:func:`field_html`,
  :func:`field_text`) rather than rendered through templates a person may have changed. A
  cloze leaves as a note of "Cloze (recall)" (:data:`CLOZE_FIELDS`, :func:`is_recall_cloze`),
  Anki's Cloze note type with recall's note beside Back Extra; a cloze recall gave an id comes
  back with its cards' ids made from it (:func:`recall_cloze_key`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recall1924.deck import ID_PATTERN

RECALL_GUID_PREFIX = "recall:"
ANKI_SOURCE_PREFIX = "anki:"


# Cards
# ---------------------------------------------------------------------------------------------


def recall_guid(deck_key: str, card_key: str) -> str:
    """The GUID recall gives a note of its own when it exports it to Anki."""
    return f"{RECALL_GUID_PREFIX}{deck_key}:{card_key}"


def anki_card_key(guid: str, ordinal: int, *, copy: int = 0) -> str:
    """The key of the card of template ``ordinal`` of the note ``guid``.

    Args:
        guid: the note's GUID.
        ordinal: the card's template (0 for the first; for a cloze note, its cloze number - 1).
        copy: 0 for the first (oldest) note of the file with this GUID, 1 for the next, and so
            on: each gets cards of its own, as in Anki.
    """
    own = recall_card_key(guid, ordinal, copy=copy)
    return own if own is not None else hashed_card_key(guid, ordinal, copy=copy)


def recall_card_key(guid: str, ordinal: int, *, copy: int = 0) -> str | None:
    """The key of the recall card that a note recall exported stands for (GUID
    ``recall:<deck>:<card>``, first template, first note of that GUID), else None: a card
    that is recall's own come back, not one from elsewhere."""
    if copy == 0 and guid.startswith(RECALL_GUID_PREFIX) and ordinal == 0:
        _deck, _, card = guid[len(RECALL_GUID_PREFIX) :].partition(":")
        if ID_PATTERN.match(card):
            return card
    return None


def recall_cloze_key(guid: str, ordinal: int, *, copy: int = 0) -> str | None:
    """The key of the card of cloze number ``ordinal + 1`` of a cloze recall exported (GUID
    ``recall:<deck>:<cloze id>``, first note of that GUID): ``<cloze id>-c<number>``, as the
    deck file gave it; else None."""
    if copy == 0 and guid.startswith(RECALL_GUID_PREFIX):
        _deck, _, note = guid[len(RECALL_GUID_PREFIX) :].partition(":")
        key = f"{note}-c{ordinal + 1}"
        if ID_PATTERN.match(note) and ID_PATTERN.match(key):
            return key
    return None


def hashed_card_key(guid: str, ordinal: int, *, copy: int = 0) -> str:
    """The key made from the GUID's hash, never from a recall GUID's own card key: for a card
    whose :func:`anki_card_key` another card of the file already has."""
    name = guid if copy == 0 else f"{guid}\x1f{copy}"
    return f"a-{hashlib.sha1(name.encode()).hexdigest()[:14]}-{ordinal + 1}"


def anki_source_id(guid: str, ordinal: int) -> str:
    """The ``source_id`` of a card that came from template ``ordinal`` of Anki note ``guid``."""
    return f"{ANKI_SOURCE_PREFIX}{guid}:{ordinal}"


def anki_identity(source_id: str | None) -> tuple[str, int] | None:
    """The Anki GUID and template ordinal in a ``source_id`` of ``anki:<guid>:<ord>``."""
    if source_id is None or not source_id.startswith(ANKI_SOURCE_PREFIX):
        return None
    guid, _, ordinal = source_id[len(ANKI_SOURCE_PREFIX) :].rpartition(":")
    if not guid or not ordinal.isdigit():
        return None
    return guid, int(ordinal)


# Decks and sections
# ---------------------------------------------------------------------------------------------

# recall's ids, where Anki keeps them and shows nothing: an HTML comment at the end of a deck's
# description. Anki names decks by title, so without them a package read back would make ids
# from the titles ("stalin-1924" would come back as "why-did-stalin-gain-power-from-1924").
_MARK = re.compile(
    r"<!--\s*recall:(?P<kind>deck|section)\s+id=(?P<id>[a-z0-9][a-z0-9-]{0,63})"
    r"(?:\s+version=(?P<version>[1-9][0-9]{0,18}))?\s*-->\s*\Z"
)


def deck_mark(key: str, version: int | None = None) -> str:
    """What ends the description of the Anki deck a recall deck becomes: its id and version."""
    return f"<!-- recall:deck id={key}{'' if version is None else f' version={version}'} -->"


def section_mark(key: str) -> str:
    """The description of the Anki subdeck a section becomes: the section's id."""
    return f"<!-- recall:section id={key} -->"


@dataclass(frozen=True)
class RecallMark:
    """What :func:`read_mark` finds at the end of an Anki deck's description.

    Attributes:
        kind: ``deck`` (a top-level deck) or ``section`` (one of its subdecks).
        key: the recall id of that deck or section.
        version: the deck's version, if it had one.
        description: the description's HTML before the mark.
    """

    kind: str
    key: str
    version: int | None
    description: str


def read_mark(description: str) -> RecallMark | None:
    """The recall ids at the end of an Anki deck's description, if recall wrote them there
    (see :func:`deck_mark`, :func:`section_mark`)."""
    found = _MARK.search(description)
    if found is None:
        return None
    version = found.group("version")
    return RecallMark(
        found.group("kind"),
        found.group("id"),
        None if version is None else int(version),
        description[: found.start()],
    )


# Note types and fields
# ---------------------------------------------------------------------------------------------

NOTETYPE_ID = 1_700_000_000_001  # fixed, so a second export updates the same note type
NOTETYPE_NAME = "Basic (recall)"
MAX_CARDS_PER_NOTE = 500
"""The most templates a note type recall writes has: a card whose Anki template ordinal is
beyond it (a damaged or hand-made ``source_id``) leaves as a note of its own."""


@dataclass(frozen=True)
class RecallNoteType:
    """A note type recall writes: one template per card of a note.

    Attributes:
        id: fixed for each number of templates, so a second export updates the same one.
        name: what Anki shows.
        fields: question, answer and note of the first template's card, then the second's...
    """

    id: int
    name: str
    fields: tuple[str, ...]


def recall_note_type(cards: int) -> RecallNoteType:
    """The note type for notes of up to ``cards`` cards (1 to :data:`MAX_CARDS_PER_NOTE`).

    One card is "Basic (recall)" with Front, Back and Note; more (the cards of one Anki note
    sent back, say both sides of a reversed note) number them: Front_1, Back_1, Note_1,
    Front_2...
    """
    if not 1 <= cards <= MAX_CARDS_PER_NOTE:
        raise ValueError(f"a recall note type has 1 to {MAX_CARDS_PER_NOTE} templates")
    if cards == 1:
        return RecallNoteType(NOTETYPE_ID, NOTETYPE_NAME, ("Front", "Back", "Note"))
    fields = tuple(
        f"{name}_{number}" for number in range(1, cards + 1) for name in ("Front", "Back", "Note")
    )
    return RecallNoteType(NOTETYPE_ID + cards - 1, f"Basic (recall, {cards} cards)", fields)


def recall_note_type_cards(ntid: int, name: str, fields: Sequence[str]) -> int | None:
    """How many cards' text a note type recall wrote holds, or None for any other note type.

    It is recall's when it has recall's fields and recall's id or name: Anki gives a note type
    a new id when the collection it joins has another of that id, and a person may rename one.
    A template added in Anki finds no fields of its own here, and is rendered as any other.
    """
    if not fields or len(fields) % 3 or len(fields) // 3 > MAX_CARDS_PER_NOTE:
        return None
    cards = len(fields) // 3
    expected = recall_note_type(cards)
    if tuple(fields) != expected.fields or (expected.id != ntid and expected.name != name):
        return None
    return cards


CLOZE_NOTETYPE_ID = 1_700_000_001_000  # past every id recall_note_type gives
CLOZE_NOTETYPE_NAME = "Cloze (recall)"
CLOZE_FIELDS = ("Text", "Back Extra", "Note")
"""The fields of recall's cloze note type: Anki's Cloze (the cloze, then what its answer shows
below it), and recall's note."""


def is_recall_cloze(ntid: int, name: str, fields: Sequence[str]) -> bool:
    """Whether a cloze note type is the one recall writes: its fields, and its id or name (as
    for :func:`recall_note_type_cards`)."""
    return tuple(fields) == CLOZE_FIELDS and (
        ntid == CLOZE_NOTETYPE_ID or name == CLOZE_NOTETYPE_NAME
    )


def field_html(text: str) -> str:
    """recall's plain text as an Anki field: HTML-escaped, line breaks as ``<br>``."""
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def field_text(value: str) -> str | None:
    """The text :func:`field_html` made ``value`` from, or None if it made something else
    (the field was edited in Anki, say, and holds HTML of its own)."""
    text = html.unescape(value.replace("<br>", "\n"))
    return text if field_html(text) == value else None
