"""Decks: listing them, naming a scope, and writing an import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from recall1924.deck import CardSpec, DeckSpec, PastAnswer, SectionSpec
from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.scheduling import MemoryState
from recall1924.store.base import (
    CONTENT_COLUMNS,
    MEMORY_FIELDS,
    Scope,
    StoreBase,
    insert_many,
    memory_columns,
    memory_of,
)


@dataclass(frozen=True)
class ExistingCard:
    """What an import compares a deck file's card with."""

    id: int
    key: str
    section_key: str
    content: CardSpec
    memory: MemoryState


@dataclass(frozen=True)
class LoggedAnswer:
    """An answer given elsewhere, with the memory state it found and the one it left."""

    at: datetime
    rating: int
    duration_ms: int | None
    before: MemoryState
    after: MemoryState


@dataclass(frozen=True)
class DeckChange:
    """What an import writes for one deck: the deck as the file has it, which existing cards
    changed, which to delete, and the answers to add to each card (by key, oldest first)."""

    spec: DeckSpec
    changed: frozenset[str] = frozenset()
    prune: frozenset[str] = frozenset()
    answers: Mapping[str, Sequence[LoggedAnswer]] = field(default_factory=dict)


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
                sa_select(
                    *CONTENT_COLUMNS,
                    *(col(getattr(Card, name)) for name in MEMORY_FIELDS),
                    col(Section.key).label("section_key"),
                )
                .join(Section, col(Card.section_id) == col(Section.id))
                .where(col(Card.deck_id) == deck_id)
            )
            return {
                row.key: ExistingCard(
                    row.id,
                    row.key,
                    row.section_key,
                    CardSpec(row.key, row.question, row.answer, row.note, tuple(row.tags)),
                    memory_of(row),
                )
                for row in session.execute(query)
            }

    def save_decks(self, changes: Sequence[DeckChange], *, now: datetime) -> None:
        """Write every deck of an import in one transaction: all of them, or nothing.

        Cards match on deck, section and card keys, so a card's memory state and review
        history survive any change to its text.
        """
        with self._session() as session:
            for change in changes:
                self._write_deck(session, change, now)
            session.commit()

    def _write_deck(self, session: Session, change: DeckChange, now: datetime) -> None:
        spec = change.spec
        deck = session.exec(select(Deck).where(Deck.key == spec.key)).first()
        if deck is None:
            deck = Deck(key=spec.key, title=spec.title, created_at=now, updated_at=now)
        deck.title = spec.title
        deck.description = spec.description
        deck.source = spec.source
        deck.version = spec.version
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
                sa_select(*CONTENT_COLUMNS, col(Card.updated_at), col(Card.source_id)).where(
                    col(Card.deck_id) == deck_id
                )
            )
        }
        if change.prune:
            doomed = [cards.pop(key).id for key in change.prune]
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
                    "source_id": card_spec.source_id,
                }
                row = cards.get(card_spec.key)
                answers = change.answers.get(card_spec.key)
                if row is None:
                    memory = answers[-1].after if answers else MemoryState.new(now)
                    added.append(
                        content
                        | memory_columns(memory)
                        | {"deck_id": deck_id, "key": card_spec.key}
                        | {"suspended": card_spec.suspended}
                        | {"created_at": now, "updated_at": now}
                    )
                elif answers or any(
                    getattr(row, column) != value for column, value in content.items()
                ):
                    stamp = now if card_spec.key in change.changed else row.updated_at
                    memory_now = memory_columns(answers[-1].after) if answers else {}
                    edited.append(content | memory_now | {"card_id": row.id, "updated_at": stamp})
        if added:
            insert_many(session, "card", added)
        # Several shapes of update (with or without a new memory state): one executemany each.
        table: Table = Card.__table__  # type: ignore[attr-defined]
        for shape in {tuple(sorted(values)) for values in edited}:
            rows = [values for values in edited if tuple(sorted(values)) == shape]
            columns: dict[str, Any] = {name: bindparam(name) for name in shape if name != "card_id"}
            session.execute(
                update(table).where(table.c.id == bindparam("card_id")).values(columns), rows
            )
        if change.answers:
            ids = dict(
                session.execute(
                    sa_select(col(Card.key), col(Card.id)).where(col(Card.deck_id) == deck_id)
                ).all()
            )
            logs = [
                {
                    "card_id": ids[key],
                    "kind": int(ReviewKind.Review),
                    "rating": logged.rating,
                    "reviewed_at": logged.at,
                    "duration_ms": logged.duration_ms,
                }
                | memory_columns(logged.before, "_before")
                | memory_columns(logged.after, "_after")
                for key, answers in change.answers.items()
                for logged in answers
            ]
            if logs:
                insert_many(session, "review_log", logs)
        if change.prune:
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

    def remove_deck(self, key: str) -> int:
        """Delete deck ``key`` with its sections, cards and their history. Returns its cards.

        Raises:
            NotFoundError: if there is no such deck.
        """
        with self._session() as session:
            deck = session.exec(select(Deck).where(Deck.key == key)).first()
            if deck is None:
                known = ", ".join(session.exec(select(Deck.key)).all()) or "none"
                raise NotFoundError(f"no deck {key!r} (decks: {known})")
            cards = session.exec(
                select(func.count()).select_from(Card).where(Card.deck_id == deck.id)
            ).one()
            session.delete(deck)
            session.commit()
            return cards

    def deck_specs(self, deck_key: str | None = None) -> list[DeckSpec]:
        """Every deck (or deck ``deck_key``) as the neutral specs an export writes: sections
        and cards in order, each card with its source id, suspension and review answers.

        Raises:
            NotFoundError: if there is no such deck.
        """
        if deck_key is not None:
            self.scope(deck_key)  # names the decks there are when this one is not
        with self.engine.connect() as connection:
            deck_query = sa_select(
                col(Deck.id),
                col(Deck.key),
                col(Deck.title),
                col(Deck.description),
                col(Deck.version),
            ).order_by(col(Deck.id))
            if deck_key is not None:
                deck_query = deck_query.where(col(Deck.key) == deck_key)
            decks = connection.execute(deck_query).all()
            history: dict[int, list[PastAnswer]] = {}
            log_query = (
                sa_select(
                    col(ReviewLog.card_id),
                    col(ReviewLog.reviewed_at),
                    col(ReviewLog.rating),
                    col(ReviewLog.duration_ms),
                )
                .where(col(ReviewLog.kind) == int(ReviewKind.Review))
                .order_by(col(ReviewLog.card_id), col(ReviewLog.reviewed_at), col(ReviewLog.id))
            )
            for card_id, at, rating, duration in connection.execute(log_query):
                history.setdefault(card_id, []).append(PastAnswer(at, rating, duration))
            specs = []
            for deck_id, key, title, description, version in decks:
                sections = connection.execute(
                    sa_select(col(Section.id), col(Section.key), col(Section.title))
                    .where(col(Section.deck_id) == deck_id)
                    .order_by(col(Section.position))
                ).all()
                cards: dict[int | None, list[CardSpec]] = {row[0]: [] for row in sections}
                card_query = (
                    sa_select(*CONTENT_COLUMNS, col(Card.source_id), col(Card.suspended))
                    .where(col(Card.deck_id) == deck_id)
                    .order_by(col(Card.section_id), col(Card.position), col(Card.id))
                )
                for row in connection.execute(card_query):
                    cards[row.section_id].append(
                        CardSpec(
                            row.key,
                            row.question,
                            row.answer,
                            row.note,
                            tuple(row.tags),
                            source_id=row.source_id,
                            history=tuple(history.get(row.id, ())),
                            suspended=bool(row.suspended),
                        )
                    )
                specs.append(
                    DeckSpec(
                        key=key,
                        title=title,
                        description=description,
                        version=version,
                        sections=tuple(
                            SectionSpec(section_key, section_title, tuple(cards[section_id]))
                            for section_id, section_key, section_title in sections
                        ),
                    )
                )
        return specs

    def deck_origin(self, key: str) -> tuple[str | None, int | None] | None:
        """Where deck ``key`` was imported from and its file's version, as (source, version);
        None if there is no such deck. One small query: it runs each time recall starts."""
        query = sa_select(col(Deck.source), col(Deck.version)).where(col(Deck.key) == key)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.source, row.version)
