"""From read notes to a drafted deck: every item through the card finders, each card with its
id. Pure.

Holds :func:`draft_deck`, which gives a :class:`Draft`: the deck's id and title, its sections
in the notes' order (an empty one too), each with its :class:`DraftCard` s, and what was left
out. A card's id is made from its text: the first words of it (as ``recall add`` makes one),
then a code of six hex digits from the notes' text it was drafted from, so that the same
line drafts the same id on every run whatever is added or taken away around it. Two cards
drafted from the same text are told apart by ``-2``, ``-3``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from recall1924.deck import make_key
from recall1924.deckedit import new_card_id
from recall1924.drafting.candidates import Lexicon, find_candidates, readable_heading
from recall1924.drafting.finders import (
    Found,
    Kind,
    find_cloze,
    find_outline,
    find_pair,
    find_question,
)
from recall1924.drafting.notes import Item, LeftOut, Notes, Shape

__all__ = ["DRAFT_TAG", "Draft", "DraftCard", "DraftSection", "code_of", "draft_deck"]

DRAFT_TAG = "draft"
_CODE_LENGTH = 6

_Finder = Callable[[Item], list[Found] | None]
# In this order: a cloze's "{{c1::…}}" holds "::", and a bullet with sub-bullets is an outline
# whether or not it ends in "?".
_FINDERS: tuple[tuple[_Finder, bool], ...] = (
    (find_cloze, False),
    (find_pair, False),
    (find_outline, True),  # True: the card's answer is the item's children
    (find_question, True),
)


@dataclass(frozen=True)
class DraftCard:
    """A drafted card: its id, the code its id ends with, and what was found."""

    key: str
    code: str
    found: Found

    @property
    def tags(self) -> tuple[str, ...]:
        return (DRAFT_TAG,) if self.found.kind is Kind.CANDIDATE else ()

    def fields(self, notes_name: str) -> list[tuple[str, str | tuple[str, ...]]]:
        """The card's keys in a deck file, in the order they are written."""
        found = self.found
        fields: list[tuple[str, str | tuple[str, ...]]] = [("id", self.key)]
        if found.back is None:
            fields.append(("cloze", found.front))
        else:
            fields += [("question", found.front), ("answer", found.back)]
        if self.tags:
            fields.append(("tags", self.tags))
        fields.append(("source", f"{notes_name}:{found.line}"))
        return fields


@dataclass(frozen=True)
class DraftSection:
    key: str
    title: str
    line: int
    cards: tuple[DraftCard, ...]


@dataclass(frozen=True)
class Draft:
    """A deck drafted from notes.

    Attributes:
        key: the deck's id.
        title: its title: the notes' own, else the file's name.
        sections: in the notes' order.
        shape: how the notes mark their sections.
        left_out: the lines no card was drafted from, with why, in line order.
    """

    key: str
    title: str
    sections: tuple[DraftSection, ...]
    shape: Shape
    left_out: tuple[LeftOut, ...]

    @property
    def cards(self) -> tuple[DraftCard, ...]:
        return tuple(card for section in self.sections for card in section.cards)


def code_of(basis: str) -> str:
    """The code a card's id ends with: from the notes' text, its spacing aside."""
    return hashlib.sha1(" ".join(basis.split()).encode()).hexdigest()[:_CODE_LENGTH]


def _found(
    item: Item, lexicon: Lexicon, section: str, heading: str | None, left_out: list[LeftOut]
) -> list[Found]:
    """The cards of one item, and of its children when they are not its answer."""
    found: list[Found] | None = None
    answers = False
    for finder, uses_children in _FINDERS:
        found = finder(item)
        if found is not None:
            answers = uses_children
            break
    if found is None:
        found = find_candidates(item, lexicon, section=section, heading=heading)
    if found is None:
        left_out.append(LeftOut(item.line, "nothing in it to ask", site=False))
        found = []
    if not answers:
        for child in item.children:
            found += _found(child, lexicon, section, heading, left_out)
    return found


def _unique(key: str, taken: set[str]) -> str:
    number, unique = 2, key
    while unique in taken:
        unique = f"{key}-{number}"
        number += 1
    taken.add(unique)
    return unique


def draft_deck(notes: Notes, *, name: str, deck_key: str | None = None) -> Draft:
    """Draft a deck from notes.

    Args:
        notes: as :func:`~recall1924.drafting.notes.read_notes` read them.
        name: the notes' file name, the title of notes that have none.
        deck_key: the deck's id; by default one made from its title.

    Returns:
        The draft: every section of the notes, with the cards found in it.
    """
    lexicon = Lexicon.of(notes)
    left_out = list(notes.left_out)
    title = notes.title or name
    section_keys: set[str] = set()
    card_keys: set[str] = set()
    sections = []
    for section in notes.sections:
        cards = []
        for item in section.items:
            heading = readable_heading(item.heading, lexicon) if item.heading else None
            for found in _found(item, lexicon, section.title, heading, left_out):
                code = code_of(found.basis)
                key = _unique(f"{new_card_id(found.words, ())}-{code}", card_keys)
                cards.append(DraftCard(key, code, found))
        # "Lenin's legacy" gives lenins-legacy, as recall add makes a card's id.
        joined = re.sub(r"['\u2019]", "", section.title)
        key = _unique(make_key(joined)[:60].rstrip("-"), section_keys)
        sections.append(DraftSection(key, section.title, section.line, tuple(cards)))
    return Draft(
        deck_key or make_key(title),
        title,
        tuple(sections),
        notes.shape,
        tuple(sorted(left_out, key=lambda one: one.line)),
    )
