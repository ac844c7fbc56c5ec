"""Cards outside a review's answers: finding them by key, suspending, burying, and reading
them for the browser (every card with its answer counts, one card with its history)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, update
from sqlmodel import col, select

from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.store.base import Scope, StoreBase, memory_of


class CardRecord(NamedTuple):
    """One card as the browser lists it, with counts of its scheduled answers.

    A tuple rather than a dataclass: a listing holds every card of the collection, and a tuple
    is built several times faster.
    """

    deck: str
    section: str
    key: str
    question: str
    answer: str
    state: State
    suspended: bool
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int
    """Answers of kind Review (not cram practice, not schedule edits)."""
    lapses: int
    """Again answers given to the card in the Review state."""


@dataclass(frozen=True)
class CardDetail:
    """One card's content, place and memory state."""

    id: int
    deck: str
    deck_title: str
    section: str
    section_title: str
    key: str
    question: str
    answer: str
    note: str | None
    tags: tuple[str, ...]
    source_id: str | None
    suspended: bool
    buried_until: datetime | None
    memory: MemoryState


@dataclass(frozen=True)
class HistoryEntry:
    """One answer to a card, as its history shows it."""

    reviewed_at: datetime
    kind: ReviewKind
    rating: Rating
    duration_ms: int | None
    before: MemoryState
    after: MemoryState


def _utc(value: str) -> datetime:
    # Raw SQL hands back the stored naive-UTC text. Parsing it with its offset is ten times
    # cheaper than the column type's parser or .replace(tzinfo=UTC), which shows over a whole
    # collection.
    return datetime.fromisoformat(value + "+00:00")


class CardStore(StoreBase):
    def card_ids(self, keys: Iterable[str], deck_key: str | None = None) -> dict[str, int]:
        """The database ids of the cards with these keys (in one deck, or in any).

        Raises:
            NotFoundError: naming the keys no card has, or a key several decks share when no
                deck is given.
        """
        wanted = list(dict.fromkeys(keys))
        query = select(Card.key, Card.id, Deck.key).join(Deck, col(Card.deck_id) == col(Deck.id))
        query = query.where(col(Card.key).in_(wanted))
        if deck_key is not None:
            query = query.where(Deck.key == deck_key)
        found: dict[str, list[tuple[int, str]]] = {}
        with self._session() as session:
            for key, card_id, deck in session.exec(query):
                assert card_id is not None
                found.setdefault(key, []).append((card_id, deck))
        missing = [key for key in wanted if key not in found]
        if missing:
            where = f" in deck {deck_key!r}" if deck_key else ""
            raise NotFoundError(f"no card {', '.join(map(repr, missing))}{where}")
        shared = [key for key, cards in found.items() if len(cards) > 1]
        if shared:
            raise NotFoundError(
                f"card {shared[0]!r} is in several decks "
                f"({', '.join(deck for _id, deck in found[shared[0]])}); name one with --deck"
            )
        return {key: cards[0][0] for key, cards in found.items()}

    def set_suspended(self, card_ids: Iterable[int], suspended: bool) -> None:
        """Suspend cards (never due until unsuspended) or unsuspend them."""
        with self._session() as session:
            session.execute(
                update(Card).where(col(Card.id).in_(list(card_ids))).values(suspended=suspended)
            )
            session.commit()

    def set_buried(self, card_id: int, until: datetime | None) -> None:
        """Keep a card out of the queue until ``until`` (None: no longer buried)."""
        with self._session() as session:
            session.execute(update(Card).where(col(Card.id) == card_id).values(buried_until=until))
            session.commit()

    def card_records(self, scope: Scope | None = None) -> list[CardRecord]:
        """Every card in ``scope`` in deck order, with its answers and lapses counted.

        One query: the review log is aggregated per card in SQLite, from a covering index, so
        100,000 cards and a million answers cost one pass over each.
        """
        scope = scope or Scope()
        sql = """
            WITH answers AS (
                SELECT card_id,
                       COUNT(*) AS reviews,
                       SUM(state_before = :review_state AND rating = :again) AS lapses
                FROM review_log
                WHERE kind = :kind
                -- "+": group from a narrow covering index (state_before, kind, card_id,
                -- rating, ...); SQLite would rather walk ix_review_log_card_time in card order
                -- and look up every row, ten times slower on a million answers.
                GROUP BY +card_id
            )
            SELECT deck.key, section.key, card.key, card.question, card.answer, card.state,
                   card.suspended, card.stability, card.difficulty, card.due, card.last_review,
                   COALESCE(answers.reviews, 0), COALESCE(answers.lapses, 0)
            FROM card
            JOIN deck ON deck.id = card.deck_id
            JOIN section ON section.id = card.section_id
            LEFT JOIN answers ON answers.card_id = card.id
            WHERE (:deck_id IS NULL OR card.deck_id = :deck_id)
              AND (:section_id IS NULL OR card.section_id = :section_id)
            ORDER BY deck.id, section.position, card.position, card.id
        """
        params = {
            "review_state": int(State.Review),
            "again": int(Rating.Again),
            "kind": int(ReviewKind.Review),
            "deck_id": scope.deck_id,
            "section_id": scope.section_id,
        }
        states = {int(state): state for state in State}
        with self.engine.connect() as connection:
            # The driver's own cursor: SQLAlchemy's result rows would cost a second or so more
            # on a collection of 100,000 cards.
            driver = connection.connection.driver_connection
            assert driver is not None
            cursor = driver.execute(sql, params)
            return [
                CardRecord(
                    deck,
                    section,
                    key,
                    question,
                    answer,
                    states[state],
                    bool(suspended),
                    stability,
                    difficulty,
                    _utc(due),
                    None if last_review is None else _utc(last_review),
                    reviews,
                    lapses,
                )
                for (
                    deck,
                    section,
                    key,
                    question,
                    answer,
                    state,
                    suspended,
                    stability,
                    difficulty,
                    due,
                    last_review,
                    reviews,
                    lapses,
                ) in cursor.fetchall()
            ]

    def card_detail(self, card_id: int) -> CardDetail:
        """One card by its database id, with its deck and section.

        Raises:
            NotFoundError: if there is no such card (deleted meanwhile).
        """
        query = (
            select(Card, Deck, Section)
            .join(Deck, col(Card.deck_id) == col(Deck.id))
            .join(Section, col(Card.section_id) == col(Section.id))
            .where(Card.id == card_id)
        )
        with self._session() as session:
            row = session.exec(query).first()
        if row is None:
            raise NotFoundError(f"card {card_id} no longer exists")
        card, deck, section = row
        assert card.id is not None
        return CardDetail(
            id=card.id,
            deck=deck.key,
            deck_title=deck.title,
            section=section.key,
            section_title=section.title,
            key=card.key,
            question=card.question,
            answer=card.answer,
            note=card.note,
            tags=tuple(card.tags),
            source_id=card.source_id,
            suspended=card.suspended,
            buried_until=card.buried_until,
            memory=memory_of(card),
        )

    def card_history(self, card_id: int) -> list[HistoryEntry]:
        """Every answer to a card (of every kind), oldest first."""
        query = (
            select(ReviewLog)
            .where(ReviewLog.card_id == card_id)
            .order_by(col(ReviewLog.reviewed_at), col(ReviewLog.id))
        )
        with self._session() as session:
            logs = session.exec(query).all()
        return [
            HistoryEntry(
                reviewed_at=log.reviewed_at,
                kind=ReviewKind(log.kind),
                rating=Rating(log.rating),
                duration_ms=log.duration_ms,
                before=memory_of(log, "_before"),
                after=memory_of(log, "_after"),
            )
            for log in logs
        ]

    def section_sizes(self, section_ids: Iterable[int]) -> dict[int, int]:
        """How many cards each of these sections holds."""
        query = (
            select(Card.section_id, func.count())
            .where(col(Card.section_id).in_(list(section_ids)))
            .group_by(col(Card.section_id))
        )
        with self._session() as session:
            return dict(session.exec(query).all())
