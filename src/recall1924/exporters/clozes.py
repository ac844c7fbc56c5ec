"""Cloze cards gathered back into the clozes they came from, for the writers that hold a cloze
once (a TOML table, a CSV row, an Anki Cloze note). Pure.

Holds :class:`ClozeNote` and :func:`cloze_notes`. A cloze card (``cloze`` and ``cloze_ord``
set) belongs to the cloze named by its id (``lenin-death-c2`` is card 2 of ``lenin-death``,
see :func:`recall1924.cloze.card_key`) or, for one that came from an Anki Cloze note, by that
note's GUID (its ``source_id`` and the id the Anki reader gave it). A card joins its cloze only
if reading the cloze back gives it again exactly: its question and answer are the ones its
cloze makes, it has its cloze's text, note and tags, and it sits in its cloze's section when
the format keeps a cloze in one. A cloze with one card that does not fit is no cloze for that
writer: its cards are written as cards, each with its own text, so nothing is lost or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from recall1924 import cloze
from recall1924.deck import ID_PATTERN, CardSpec, DeckSpec, SectionSpec
from recall1924.identity import anki_card_key, anki_identity

__all__ = ["ClozeNote", "cloze_notes", "section_items"]


@dataclass(frozen=True)
class ClozeNote:
    """One cloze and the cards of it the deck holds, in the deck's order.

    Attributes:
        key: the cloze's own id (its cards are ``<key>-c<number>``), or None for a cloze from
            an Anki note, whose cards the reader keyed from ``guid``.
        guid: the Anki note's GUID, for a cloze from Anki; else None.
        text: the whole cloze text.
        cards: its cards.
    """

    key: str | None
    guid: str | None
    text: str
    cards: tuple[CardSpec, ...]

    @property
    def first(self) -> CardSpec:
        return self.cards[0]

    def extra(self) -> str:
        """What its cards' answers hold after the cloze (an Anki Back Extra), the same for
        each by :func:`cloze_notes`' rule."""
        card = self.first
        assert card.cloze_ord is not None
        return cloze.answer_extra(self.text, card.cloze_ord, card.answer) or ""


Identity = tuple[str | None, str | None]


def _identity(card: CardSpec) -> Identity | None:
    """(recall id, Anki GUID) of the cloze ``card`` comes from, or None for a card that is
    not a cloze card or whose id says no cloze."""
    if card.cloze is None or card.cloze_ord is None:
        return None
    anki = anki_identity(card.source_id)
    if anki is not None:
        guid, ordinal = anki
        if ordinal == card.cloze_ord - 1 and card.key == anki_card_key(guid, ordinal):
            return None, guid
        return None
    key = cloze.note_key(card.key, card.cloze_ord)
    return (key, None) if key is not None and ID_PATTERN.match(key) else None


def _fits(card: CardSpec, first: CardSpec, *, extra: bool) -> bool:
    """Whether reading ``card``'s cloze back gives ``card`` again (the cloze's text, note and
    tags are ``first``'s); ``extra``: the format keeps text after the revealed cloze."""
    assert card.cloze is not None and card.cloze_ord is not None
    if (card.cloze, card.note, card.tags) != (first.cloze, first.note, first.tags):
        return False
    if not cloze.shows(card.cloze, card.cloze_ord, card.question, card.answer):
        return False
    rest = cloze.answer_extra(card.cloze, card.cloze_ord, card.answer)
    if rest and not extra:
        return False
    first_rest = cloze.answer_extra(card.cloze, first.cloze_ord or 0, first.answer)
    return rest == first_rest


def cloze_notes(deck: DeckSpec, *, package: bool, from_anki: bool) -> dict[Identity, ClozeNote]:
    """The clozes ``deck``'s cloze cards come from, by (recall id, Anki GUID).

    Args:
        package: for an Anki package, whose notes keep a card's text after the revealed cloze
            (Back Extra), put each card in its own deck and hold only the cards they have.
            A text file writes a cloze once, where its cards are, and reading it back gives a
            card for every number: there a cloze is one only if its cards are all in one
            section, with no text after the cloze, one card for each of its numbers.
        from_anki: gather the clozes of Anki notes too (a format that keeps their GUIDs).
    """
    found: dict[Identity, list[CardSpec]] = {}
    sections: dict[Identity, str] = {}
    broken: set[Identity] = set()
    for section in deck.sections:
        for card in section.cards:
            identity = _identity(card)
            if identity is None or (identity[0] is None and not from_anki):
                continue
            cards = found.setdefault(identity, [])
            place = sections.setdefault(identity, section.key)
            if (not package and place != section.key) or not _fits(
                card, cards[0] if cards else card, extra=package
            ):
                broken.add(identity)
            cards.append(card)
    if not package:
        for identity, cards in found.items():
            asked = [card.cloze_ord or 0 for card in cards]
            if sorted(asked) != sorted(cloze.numbers(cards[0].cloze or "")):
                broken.add(identity)  # read back, it would give other cards than these
    return {
        identity: ClozeNote(identity[0], identity[1], cards[0].cloze or "", tuple(cards))
        for identity, cards in found.items()
        if identity not in broken
    }


def section_items(
    section: SectionSpec, notes: dict[Identity, ClozeNote]
) -> Iterator[CardSpec | ClozeNote]:
    """The section's cards as a writer that holds a cloze once writes them: each card not of
    one of ``notes``, and each of ``notes`` where its first card is (its other cards
    skipped)."""
    written: set[Identity] = set()
    for card in section.cards:
        identity = _identity(card)
        note = None if identity is None else notes.get(identity)
        if note is None:
            yield card
        elif identity not in written:
            assert identity is not None
            written.add(identity)
            yield note
