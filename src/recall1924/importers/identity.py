"""Which recall card an Anki card is: a key made from its note's GUID and template, the same
whether it arrives in a package or in a text export, so a newer export updates it.

A note that recall itself exported carries a GUID ``recall:<deck>:<card>`` (see
:mod:`recall1924.exporters.apkg`): it comes back as the same card, with the same key.
"""

from __future__ import annotations

import hashlib

from recall1924.deck import ID_PATTERN

RECALL_GUID_PREFIX = "recall:"


def recall_guid(deck_key: str, card_key: str) -> str:
    """The GUID recall gives a note of its own when it exports it to Anki."""
    return f"{RECALL_GUID_PREFIX}{deck_key}:{card_key}"


def anki_card_key(guid: str, ordinal: int) -> str:
    """The key of the card of template ``ordinal`` of the note ``guid``."""
    if guid.startswith(RECALL_GUID_PREFIX) and ordinal == 0:
        _deck, _, card = guid[len(RECALL_GUID_PREFIX) :].partition(":")
        if ID_PATTERN.match(card):
            return card
    return f"a-{hashlib.sha1(guid.encode()).hexdigest()[:14]}-{ordinal + 1}"
