"""Decks: listing them, naming a scope, and writing an import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from recall1924.deck import CardSpec, DeckSpec
from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck, Section
from recall1924.scheduling import MemoryState
from recall1924.store.base import CONTENT_COLUMNS, Scope, StoreBase, memory_columns


@dataclass(frozen=True)
class ExistingCard:
    """What an import compares a deck file's card with."""

    id: int
    key: str
    section_key: str
    content: CardSpec


@dataclass(frozen=True)
class DeckSummary:
    """A deck in the collection."""

    key: str
    title: str
    source: str | None
    sections: int
    cards: int


class DeckStore(StoreBase):
    def deck_count(self) -> int:
        with self._session() as session:
            return session.exec(select(func.count()).select_from(Deck)).one()

    def decks(self) -> list[DeckSummary]:
        """Every deck, oldest first, with its section and card counts."""
        sections = (
            select(func.count())
            .where(col(Section.deck_id) == col(Deck.id))
            .correlate(Deck)
            .scalar_subquery()
        )
        cards = (
            select(func.count())
            .where(col(Card.deck_id) == col(Deck.id))
            .correlate(Deck)
            .scalar_subquery()
        )
        query = sa_select(
            col(Deck.key), col(Deck.title), col(Deck.source), sections, cards
        ).order_by(col(Deck.id))
        with self.engine.connect() as connection:
            return [DeckSummary(*row) for row in connection.execute(query)]

    def scope(self, deck_key: str | None = None, section_key: str | None = None) -> Scope:
        """The scope named by a deck key and/or section key.

        Raises:
            NotFoundError: if no deck or section has that key, or a section key is ambiguous.
        """
        with self._session() as session:
            deck_id = None
            if deck_key is not None:
                deck_id = session.exec(select(Deck.id).where(Deck.key == deck_key)).first()
                if deck_id is None:
                    known = ", ".join(session.exec(select(Deck.key)).all()) or "none"
                    raise NotFoundError(f"no deck {deck_key!r} (decks: {known})")
            if section_key is None:
                return Scope(deck_id=deck_id)
            query = select(Section.id, Section.deck_id).where(Section.key == section_key)
            if deck_id is not None:
                query = query.where(Section.deck_id == deck_id)
            found = session.exec(query).all()
            if not found:
                known_query = select(Section.key).order_by(
                    col(Section.deck_id), col(Section.position)
                )
                if deck_id is not None:
                    known_query = known_query.where(Section.deck_id == deck_id)
                known = ", ".join(session.exec(known_query).all()) or "none"
                raise NotFoundError(f"no section {section_key!r} (sections: {known})")
            if len(found) > 1:
                raise NotFoundError(
                    f"section {section_key!r} is in several decks; name one with --deck"
                )
            section_id, owner = found[0]
            return Scope(deck_id=owner, section_id=section_id)

    def existing_cards(self, deck_key: str) -> dict[str, ExistingCard] | None:
        """The cards of deck ``deck_key`` by key, or None if there is no such deck."""
        with self._session() as session:
            deck_id = session.exec(select(Deck.id).where(Deck.key == deck_key)).first()
            if deck_id is None:
                return None
            query: Any = (
                sa_select(*CONTENT_COLUMNS, col(Section.key).label("section_key"))
                .join(Section, col(Card.section_id) == col(Section.id))
                .where(col(Card.deck_id) == deck_id)
            )
            return {
                row.key: ExistingCard(
                    row.id,
                    row.key,
                    row.section_key,
                    CardSpec(row.key, row.question, row.answer, row.note, tuple(row.tags)),
                )
                for row in session.execute(query)
            }

    def save_deck(
        self, spec: DeckSpec, *, changed: Iterable[str], prune: Iterable[str], now: datetime
    ) -> None:
        """Write ``spec`` in one transaction: add new cards, update the rest in place.

        Args:
            spec: the deck as its file now is; matched on deck, section and card keys, so a
                card's memory state and review history survive any change to its text.
            changed: keys of existing cards whose content or section changed (their
                ``updated_at`` is set).
            prune: keys of cards to delete with their history (no longer in the file).
            now: the time of the import.
        """
        changed = set(changed)
        with self._session() as session:
            deck = session.exec(select(Deck).where(Deck.key == spec.key)).first()
            if deck is None:
                deck = Deck(key=spec.key, title=spec.title, created_at=now, updated_at=now)
            deck.title = spec.title
            deck.description = spec.description
            deck.source = spec.source
            deck.updated_at = now
            session.add(deck)
            session.flush()
            assert deck.id is not None
            deck_id = deck.id

            sections = {
                section.key: section
                for section in session.exec(select(Section).where(Section.deck_id == deck_id))
            }
            # Plain rows, not ORM objects: loading or building a SQLModel object costs about a
            # millisecond, and a big deck has tens of thousands of cards, most unchanged.
            cards = {
                row.key: row
                for row in session.execute(
                    sa_select(*CONTENT_COLUMNS, col(Card.updated_at)).where(
                        col(Card.deck_id) == deck_id
                    )
                )
            }
            prune = set(prune)
            if prune:
                doomed = [cards.pop(key).id for key in prune]
                session.execute(delete(Card).where(col(Card.id).in_(doomed)))
            added: list[dict[str, Any]] = []
            edited: list[dict[str, Any]] = []
            for position, section_spec in enumerate(spec.sections):
                section = sections.get(section_spec.key) or Section(
                    deck_id=deck_id, key=section_spec.key, title="", position=0
                )
                section.title = section_spec.title
                section.position = position
                session.add(section)
                session.flush()
                for card_position, card_spec in enumerate(section_spec.cards):
                    content = {
                        "section_id": section.id,
                        "position": card_position,
                        "question": card_spec.question,
                        "answer": card_spec.answer,
                        "note": card_spec.note,
                        "tags": list(card_spec.tags),
                    }
                    row = cards.get(card_spec.key)
                    if row is None:
                        added.append(
                            content
                            | memory_columns(MemoryState.new(now))
                            | {"deck_id": deck_id, "key": card_spec.key}
                            | {"created_at": now, "updated_at": now}
                        )
                    elif any(getattr(row, column) != value for column, value in content.items()):
                        stamp = now if card_spec.key in changed else row.updated_at
                        edited.append(content | {"card_id": row.id, "updated_at": stamp})
            if added:
                session.execute(insert(Card), added)
            if edited:
                columns: dict[str, Any] = {
                    name: bindparam(name) for name in edited[0] if name != "card_id"
                }
                # On the table, so this is one executemany and no ORM work.
                table: Table = Card.__table__  # type: ignore[attr-defined]
                session.execute(
                    update(table).where(table.c.id == bindparam("card_id")).values(columns),
                    edited,
                )
            if prune:
                session.flush()
                spec_sections = {section.key for section in spec.sections}
                for key, section in sections.items():
                    if (
                        key not in spec_sections
                        and not session.exec(
                            select(Card.id).where(Card.section_id == section.id)
                        ).first()
                    ):
                        session.delete(section)
            session.commit()
