"""Which recall card an Anki card is: a key made from its note's GUID and template, the same
whether it arrives in a package or in a text export, so a newer export updates it.

A note that recall itself exported carries a GUID ``recall:<deck>:<card>`` (see
:mod:`recall1924.exporters.apkg`): it comes back as the same card, with the same key. Notes of
one file that share a GUID (genanki derives GUIDs from fields, so duplicates share one) are told
apart by their place among those notes.
"""

from __future__ import annotations

import hashlib

from recall1924.deck import ID_PATTERN

RECALL_GUID_PREFIX = "recall:"


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
    if copy == 0 and guid.startswith(RECALL_GUID_PREFIX) and ordinal == 0:
        _deck, _, card = guid[len(RECALL_GUID_PREFIX) :].partition(":")
        if ID_PATTERN.match(card):
            return card
    return hashed_card_key(guid, ordinal, copy=copy)


def hashed_card_key(guid: str, ordinal: int, *, copy: int = 0) -> str:
    """The key made from the GUID's hash, never from a recall GUID's own card key: for a card
    whose :func:`anki_card_key` another card of the file already has."""
    name = guid if copy == 0 else f"{guid}\x1f{copy}"
    return f"a-{hashlib.sha1(name.encode()).hexdigest()[:14]}-{ordinal + 1}"
