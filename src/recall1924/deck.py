"""Decks as plain data: what every importer returns and every exporter reads. Pure.

Holds :class:`DeckSpec`, :class:`SectionSpec`, :class:`CardSpec` and :class:`PastAnswer`, and
the one mark a card's text may carry: a hint line (:func:`hint_line`, :func:`read_hint`).
Whatever the file format (recall's TOML, CSV, an Anki package), an import yields these; the
store compares them with the collection and writes them. A card may carry where it came from
(``source_id``, e.g. an Anki note's GUID and template) and the answers it was given elsewhere
(``history``), which recall replays into its memory state.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from recall1924.scheduling import MemoryState, ReviewKind

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ID_RULE = "lowercase letters, digits and '-', starting with a letter or digit, at most 64"


@dataclass(frozen=True)
class PastAnswer:
    """One answer given to a card before it came to recall (e.g. in Anki), or a reset.

    Attributes:
        at: when it was given, timezone-aware UTC.
        rating: 1 Again, 2 Hard, 3 Good, 4 Easy; 0 for a reset.
        duration_ms: how long the answer took, if known.
        kind: a scheduled review; cram practice, which changed nothing; or a reset, after which
            the card was new again (the answers before it are its earlier life).
    """

    at: datetime
    rating: int
    duration_ms: int | None = None
    kind: ReviewKind = ReviewKind.Review


@dataclass(frozen=True)
class CardSpec:
    """A card as a deck file describes it. ``key`` is its stable id within the deck.

    ``source_id``, ``history`` and ``suspended`` are not content: two specs with the same text
    compare equal whatever history they carry, so an import only counts a card as updated when
    its text changed.

    A cloze card (:mod:`recall1924.cloze`) also keeps the whole ``cloze`` text and the number
    ``cloze_ord`` it asks; its question and answer are that deletion hidden and revealed, so
    everything that reads a card's text reads it as for any card.
    """

    key: str
    question: str
    answer: str
    note: str | None = None
    tags: tuple[str, ...] = ()
    source_id: str | None = field(default=None, compare=False)
    history: tuple[PastAnswer, ...] = field(default=(), compare=False)
    suspended: bool = field(default=False, compare=False)
    cloze: str | None = None
    cloze_ord: int | None = None
    memory: MemoryState | None = field(default=None, compare=False)
    """The card's memory state in the collection an export reads it from (its schedule: state,
    step, due, stability, difficulty), for a format that keeps one (an Anki package); None
    from a file, whose history the import replays instead. Not content."""


@dataclass(frozen=True)
class SectionSpec:
    """An ordered group of cards: a tuple, or for a big text file the cards it keeps out of
    memory (:class:`recall1924.spool.SpooledCards`), read back each time they are iterated."""

    key: str
    title: str
    cards: Sequence[CardSpec] = ()


@dataclass(frozen=True)
class DeckSpec:
    """A whole deck: what an import adds to or updates in the collection.

    ``version`` is the deck file's own version (a positive integer, None when the file gives
    none): recall brings a collection's copy of its bundled deck up to date when it ships a
    higher one. ``source`` says where the deck was read from; it is not content.
    """

    key: str
    title: str
    sections: tuple[SectionSpec, ...]
    description: str | None = None
    source: str | None = field(default=None, compare=False)
    version: int | None = None

    @property
    def cards(self) -> tuple[CardSpec, ...]:
        """Every card, section by section."""
        return tuple(card for section in self.sections for card in section.cards)


HINT_START, HINT_END = "[hint: ", "]"


def hint_line(hint: str) -> str:
    """A hint as a card's text carries it: a line of its own, ``[hint: …]``, its lines joined
    by `` / ``. The review screen shows it collapsed until the student asks, as Anki shows
    ``{{hint:Field}}`` as a link to click; anything else shows it as it is, still readable."""
    joined = " / ".join(line.strip() for line in hint.splitlines() if line.strip())
    return f"{HINT_START}{joined}{HINT_END}"


def read_hint(line: str) -> str | None:
    """The hint a line of a card's text carries (see :func:`hint_line`), or None if it is
    another line. The line is the whole hint, so brackets inside it (``[image: a.png]``) stay."""
    line = line.strip()
    if line.startswith(HINT_START) and line.endswith(HINT_END):
        hint = line[len(HINT_START) : -len(HINT_END)].strip()
        return hint or None
    return None


def make_key(text: str) -> str:
    """A valid id (see :data:`ID_PATTERN`) made from a name: ``"Mirage's Deck"`` gives
    ``mirage-s-deck``. Names with no letters or digits to keep get a short hash instead."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:64].rstrip("-")
    return key or "x-" + hashlib.sha1(text.encode()).hexdigest()[:10]
