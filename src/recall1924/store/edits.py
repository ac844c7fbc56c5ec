"""Changing one card outside an import: its wording, a new card, its flag.

Holds :class:`Upstream` (the one codec of the ``upstream`` column: the deck's own wording of a
card whose wording is the student's), :class:`DeckPlace` (what adding a card to a deck needs to
know) and :class:`CardEditStore`. A write may carry ``then``: work that must succeed for the
write to stand (writing the student's deck file). It runs inside the transaction, after the row
is written and before the commit, so a database that refuses the write (read-only, busy) stops
it before the file is touched, and a file that cannot be written rolls the row back. Every write
of a card's text stores its folded search columns beside it
(:func:`~recall1924.store.search.search_columns`), or searches would no longer find it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from recall1924.deck import CardSpec
from recall1924.errors import CardGoneError, NotFoundError
from recall1924.scheduling import MemoryState
from recall1924.store.base import StoreBase, memory_columns, stored
from recall1924.store.search import search_columns


@dataclass(frozen=True)
class Upstream:
    """The deck's own wording of a card the student reworded.

    Attributes:
        updated_at: when an import brought this wording; None for the wording the card had
            when the student first changed it (nothing newer has come since).
    """

    question: str
    answer: str
    note: str | None = None
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None

    @classmethod
    def of(cls, card: CardSpec, updated_at: datetime | None = None) -> Upstream:
        return cls(card.question, card.answer, card.note, card.tags, updated_at)

    def card(self, key: str) -> CardSpec:
        """This wording as a card with ``key``."""
        return CardSpec(key, self.question, self.answer, self.note, self.tags)

    def same_wording(self, card: CardSpec) -> bool:
        """Whether ``card`` has this text and these tags."""
        return (self.question, self.answer, self.note, self.tags) == (
            card.question,
            card.answer,
            card.note,
            card.tags,
        )

    def to_text(self) -> str:
        """As the column stores it (JSON)."""
        return json.dumps(
            {
                "question": self.question,
                "answer": self.answer,
                "note": self.note,
                "tags": list(self.tags),
                "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_stored(cls, value: Any) -> Upstream | None:
        """The column's value (JSON text, or what the JSON type decoded) read back; None for
        none, or for a value recall did not write (edited by hand), rather than fail."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        if not isinstance(value, dict):
            return None
        question, answer = value.get("question"), value.get("answer")
        note, tags, at = value.get("note"), value.get("tags", []), value.get("updated_at")
        if not (isinstance(question, str) and isinstance(answer, str)):
            return None
        if note is not None and not isinstance(note, str):
            return None
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            return None
        try:
            updated_at = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            updated_at = None
        return cls(question, answer, note, tuple(tags), updated_at)


@dataclass(frozen=True)
class DeckPlace:
    """A deck as adding a card to it needs it: its sections in order and the ids its cards
    use."""

    id: int
    key: str
    source: str | None
    sections: tuple[tuple[int, str], ...]
    """Each section's database id and key, in order."""
    card_keys: frozenset[str]


@dataclass(frozen=True)
class FlaggedCard:
    """A card the student flagged, as ``recall flagged`` lists it."""

    deck: str
    key: str
    question: str
    reason: str | None


Then = Callable[[], None] | None


class CardEditStore(StoreBase):
    def deck_place(self, deck_key: str) -> DeckPlace:
        """Deck ``deck_key``'s sections and card ids.

        Raises:
            NotFoundError: there is no such deck (naming the decks there are).
        """
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id, source FROM deck WHERE key = :key"), {"key": deck_key}
            ).first()
            if found is None:
                known = [row[0] for row in connection.execute(text("SELECT key FROM deck"))]
                raise NotFoundError(f"no deck {deck_key!r} (decks: {', '.join(known) or 'none'})")
            deck_id, source = found
            sections = connection.execute(
                text("SELECT id, key FROM section WHERE deck_id = :deck ORDER BY position"),
                {"deck": deck_id},
            ).all()
            keys = connection.execute(
                text("SELECT key FROM card WHERE deck_id = :deck"), {"deck": deck_id}
            )
            return DeckPlace(
                deck_id,
                deck_key,
                source,
                tuple((row[0], row[1]) for row in sections),
                frozenset(row[0] for row in keys),
            )

    def save_wording(
        self,
        card_id: int,
        card: CardSpec,
        *,
        now: datetime,
        edited_at: datetime | None,
        upstream: Upstream | None,
        then: Then = None,
    ) -> None:
        """Give a card new text and tags; its id, place, memory state and history stay.

        Args:
            edited_at: when the wording became the student's own (None: it is the deck's, or
                lives in the student's deck file).
            upstream: the deck's own wording beside it, if any.
            then: runs before the commit; if it raises, nothing is written.

        Raises:
            CardGoneError: the card was deleted meanwhile.
        """
        values = {
            "id": card_id,
            **_content_columns(card, edited_at),
            "upstream": None if upstream is None else upstream.to_text(),
            "updated_at": stored(now),
        }
        with self._writing() as session:
            done = session.execute(
                text(
                    "UPDATE card SET question = :question, answer = :answer, note = :note, "
                    "tags = :tags, edited_at = :edited_at, upstream = :upstream, "
                    "updated_at = :updated_at, search_text = :search_text, "
                    "search_tags = :search_tags WHERE id = :id"
                ),
                values,
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise CardGoneError("that card no longer exists (deleted in another window?)")
            if then is not None:
                then()
            session.commit()

    def add_card(
        self,
        deck_id: int,
        section_id: int,
        card: CardSpec,
        *,
        now: datetime,
        edited_at: datetime | None,
        then: Then = None,
    ) -> int:
        """Add a new card, never answered, at the end of a section; returns its database id.

        Args:
            edited_at: set for a card that lives only in the collection (the student's own).
            then: runs before the commit; if it raises, nothing is written.
        """
        memory = {
            name: stored(value) for name, value in memory_columns(MemoryState.new(now)).items()
        }
        with self._writing() as session:
            connection = session.connection()
            position = connection.execute(
                text("SELECT COALESCE(MAX(position) + 1, 0) FROM card WHERE section_id = :section"),
                {"section": section_id},
            ).scalar_one()
            values = {
                "deck_id": deck_id,
                "section_id": section_id,
                "key": card.key,
                "position": position,
                **_content_columns(card, edited_at),
                "created_at": stored(now),
                "updated_at": stored(now),
                **memory,
            }
            names = ", ".join(values)
            marks = ", ".join(f":{name}" for name in values)
            # RETURNING, not the cursor's lastrowid: psycopg has none (SQLite 3.35+ has both).
            card_id = int(
                session.execute(
                    text(f"INSERT INTO card ({names}) VALUES ({marks}) RETURNING id"), values
                ).scalar_one()
            )
            if then is not None:
                then()
            session.commit()
        return card_id

    def set_flag(self, card_id: int, flag: int, reason: str | None) -> None:
        """Flag a card (``flag`` non-zero) with an optional reason, or unflag it (0).

        Raises:
            CardGoneError: the card was deleted meanwhile.
        """
        with self._writing() as session:
            done = session.execute(
                text("UPDATE card SET flag = :flag, flag_reason = :reason WHERE id = :id"),
                {"id": card_id, "flag": flag, "reason": reason if flag else None},
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise CardGoneError("that card no longer exists (deleted in another window?)")
            session.commit()

    def flagged_cards(self, deck_id: int | None = None) -> list[FlaggedCard]:
        """The flagged cards (of one deck, or of all), in deck order."""
        sql = (
            "SELECT deck.key, card.key, card.question, card.flag_reason FROM card "
            "JOIN deck ON deck.id = card.deck_id JOIN section ON section.id = card.section_id "
            "WHERE card.flag != 0"
        )
        if deck_id is not None:
            sql += " AND card.deck_id = :deck"
        sql += " ORDER BY deck.id, section.position, card.position, card.id"
        with self.engine.connect() as connection:
            return [FlaggedCard(*row) for row in connection.execute(text(sql), {"deck": deck_id})]


def _content_columns(card: CardSpec, edited_at: datetime | None) -> dict[str, Any]:
    """A card's text as its columns store it, with the folded search columns written with it
    (every write of the text writes them) and when the wording became the student's."""
    return {
        "question": card.question,
        "answer": card.answer,
        "note": card.note,
        "tags": json.dumps(list(card.tags)),
        "edited_at": None if edited_at is None else stored(edited_at),
        **search_columns(card.question, card.answer, card.note, card.tags),
    }
