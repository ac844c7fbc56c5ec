"""The only module that queries the database.

Holds :class:`Store`: decks and their import, the due queue, saving and undoing answers,
settings, and the aggregates behind stats. Every write is its own transaction, committed before
the method returns, so an answer is on disk before the next card is shown. Results come back as
frozen dataclasses, never as live ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    text,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from recall1924.db import open_database
from recall1924.deckfile import CardSpec, DeckSpec
from recall1924.errors import DatabaseError, NotFoundError, StaleCardError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section, Setting
from recall1924.scheduling import MemoryState, Rating, State

GLOBAL_SCOPE = "global"
_LEARNING_STATES = (int(State.Learning), int(State.Relearning))


@dataclass(frozen=True)
class Scope:
    """Which cards a command works on: all, one deck, or one section."""

    deck_id: int | None = None
    section_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.deck_id is not None:
            clauses.append(col(Card.deck_id) == self.deck_id)
        if self.section_id is not None:
            clauses.append(col(Card.section_id) == self.section_id)
        return clauses


@dataclass(frozen=True)
class CardView:
    """A card as the review screen needs it."""

    id: int
    key: str
    deck_title: str
    section_title: str
    question: str
    answer: str
    note: str | None
    tags: tuple[str, ...]
    memory: MemoryState


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


@dataclass(frozen=True)
class QueueCounts:
    """Cards waiting in a scope today: learning, review, never seen."""

    learning: int
    review: int
    new: int


@dataclass(frozen=True)
class DayCounts:
    """What was done since the day began: new cards introduced and review-card answers."""

    new_introduced: int
    reviews: int
    answers: int


@dataclass(frozen=True)
class SectionRow:
    """The raw per-section aggregates stats are computed from."""

    deck_key: str
    deck_title: str
    section_key: str
    section_title: str
    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    retrievability_sum: float
    recalled: int
    recall_attempts: int


def _sql_time(moment: datetime) -> str:
    # The text form UTCDateTime stores, for raw SQL comparisons and julianday().
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


_CONTENT_COLUMNS = (
    col(Card.id),
    col(Card.key),
    col(Card.section_id),
    col(Card.position),
    col(Card.question),
    col(Card.answer),
    col(Card.note),
    col(Card.tags),
)

_MEMORY_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")


def _memory_columns(memory: MemoryState, suffix: str = "") -> dict[str, Any]:
    """A memory state as the columns of a card (no suffix) or of a review log's side."""
    values = {f"{name}{suffix}": getattr(memory, name) for name in _MEMORY_FIELDS}
    values[f"state{suffix}"] = int(memory.state)
    return values


def _memory_of(row: Card | ReviewLog, suffix: str = "") -> MemoryState:
    """The memory state kept in a card's columns, or in one side of a review log."""
    values = {name: getattr(row, f"{name}{suffix}") for name in _MEMORY_FIELDS}
    values["state"] = State(values["state"])
    return MemoryState(**values)


def _set_memory(card: Card, memory: MemoryState) -> None:
    for column, value in _memory_columns(memory).items():
        setattr(card, column, value)


class Store:
    """The collection in one SQLite file."""

    def __init__(self, engine: Engine, backup: Path | None = None) -> None:
        self.engine = engine
        self.backup = backup
        """The copy taken before this open upgraded the database, if it did."""

    @classmethod
    def open(cls, path: Path, now: datetime) -> Store:
        """Open the database at ``path``, creating or upgrading it first."""
        engine, backup = open_database(path, now)
        return cls(engine, backup)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- decks ---------------------------------------------------------------------------

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
                sa_select(*_CONTENT_COLUMNS, col(Section.key).label("section_key"))
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
                    sa_select(*_CONTENT_COLUMNS, col(Card.updated_at)).where(
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
                            | _memory_columns(MemoryState.new(now))
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

    # -- settings ------------------------------------------------------------------------

    def settings(self, scope: str = GLOBAL_SCOPE) -> dict[str, str]:
        """The settings changed from their defaults, as stored text."""
        with self._session() as session:
            rows = session.exec(select(Setting).where(Setting.scope == scope)).all()
            return {row.key: row.value for row in rows}

    def save_setting(self, key: str, value: str | None, scope: str = GLOBAL_SCOPE) -> None:
        """Store ``value`` for ``key``; None removes it, so the default applies again."""
        with self._session() as session:
            row = session.get(Setting, (scope, key))
            if value is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(Setting(scope=scope, key=key, value=value))
            else:
                row.value = value
                session.add(row)
            session.commit()

    # -- the due queue -------------------------------------------------------------------

    def _view_query(self) -> Any:
        return (
            select(Card, Deck.title, Section.title)
            .join(Deck, col(Card.deck_id) == col(Deck.id))
            .join(Section, col(Card.section_id) == col(Section.id))
        )

    @staticmethod
    def _view(row: Sequence[Any]) -> CardView:
        card, deck_title, section_title = row
        assert card.id is not None
        return CardView(
            id=card.id,
            key=card.key,
            deck_title=deck_title,
            section_title=section_title,
            question=card.question,
            answer=card.answer,
            note=card.note,
            tags=tuple(card.tags),
            memory=_memory_of(card),
        )

    def card(self, card_id: int) -> CardView:
        """One card by its database id."""
        with self._session() as session:
            row = session.exec(self._view_query().where(Card.id == card_id)).first()
            if row is None:
                raise DatabaseError(f"card {card_id} no longer exists")
            return self._view(row)

    def next_card(
        self,
        scope: Scope,
        *,
        now: datetime,
        day_end: datetime,
        learn_ahead_until: datetime,
        allow_new: bool,
        allow_reviews: bool,
        only: set[int] | None = None,
    ) -> CardView | None:
        """The card to show next, or None when nothing is left for now.

        Order: learning cards due now; review cards due today (oldest due first); new cards in
        deck order; then learning cards coming due before ``learn_ahead_until``, shown early
        rather than ending the session to wait a few minutes for them.

        Args:
            only: when given, only these card ids (a session that reached its --limit).
        """
        seen = col(Card.last_review).is_not(None)
        learning = and_(seen, col(Card.state).in_(_LEARNING_STATES))
        candidates: list[tuple[ColumnElement[bool], Sequence[Any]]] = [
            (and_(learning, col(Card.due) <= now), [col(Card.due)])
        ]
        if allow_reviews:
            review = and_(seen, col(Card.state) == int(State.Review), col(Card.due) < day_end)
            candidates.append((review, [col(Card.due)]))
        if allow_new:
            candidates.append(
                (
                    col(Card.last_review).is_(None),
                    [col(Card.deck_id), col(Section.position), col(Card.position)],
                )
            )
        candidates.append((and_(learning, col(Card.due) <= learn_ahead_until), [col(Card.due)]))
        with self._session() as session:
            for condition, order in candidates:
                query = self._view_query().where(condition, *scope.where())
                if only is not None:
                    query = query.where(col(Card.id).in_(only))
                row = session.exec(query.order_by(*order, col(Card.id)).limit(1)).first()
                if row is not None:
                    return self._view(row)
        return None

    def queue_counts(self, scope: Scope, *, day_end: datetime) -> QueueCounts:
        """Cards in ``scope`` still to answer before ``day_end``: learning (including those
        coming back in a few minutes), review, and new (before any daily limit)."""
        seen = col(Card.last_review).is_not(None)
        due_today = col(Card.due) < day_end
        query = select(
            func.count().filter(seen, col(Card.state).in_(_LEARNING_STATES), due_today),
            func.count().filter(seen, col(Card.state) == int(State.Review), due_today),
            func.count().filter(col(Card.last_review).is_(None)),
        ).where(*scope.where())
        with self._session() as session:
            learning, review, new = session.exec(query).one()
            return QueueCounts(learning, review, new)

    def next_due(self, scope: Scope) -> datetime | None:
        """When the next card already seen comes due in ``scope`` (None if none has been)."""
        query = select(func.min(Card.due)).where(col(Card.last_review).is_not(None), *scope.where())
        with self._session() as session:
            value = session.exec(query).one()
        # func.min bypasses the column type, so the stored text comes back as text.
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value

    def day_counts(self, day_start: datetime, scope: Scope | None = None) -> DayCounts:
        """Answers since ``day_start`` (in ``scope``, or anywhere): cards seen for the first
        time, answers to review cards, and all answers."""
        query = (
            select(
                func.count(func.distinct(ReviewLog.card_id)).filter(
                    col(ReviewLog.last_review_before).is_(None)
                ),
                func.count().filter(col(ReviewLog.state_before) == int(State.Review)),
                func.count(),
            )
            .select_from(ReviewLog)
            .where(col(ReviewLog.reviewed_at) >= day_start, ReviewLog.kind == ReviewKind.Review)
        )
        if scope is not None and scope.where():
            query = query.join(Card, col(Card.id) == col(ReviewLog.card_id)).where(*scope.where())
        with self._session() as session:
            new, reviews, answers = session.exec(query).one()
            return DayCounts(new, reviews, answers)

    # -- answers -------------------------------------------------------------------------

    def record_answer(
        self,
        card_id: int,
        *,
        before: MemoryState,
        after: MemoryState,
        rating: Rating,
        at: datetime,
        duration_ms: int | None,
        kind: ReviewKind = ReviewKind.Review,
    ) -> int:
        """Save one answer and the card's new memory state, committed. Returns the log id.

        Raises:
            StaleCardError: if the card changed since it was shown (another session answered it).
        """
        with self._session() as session:
            card = session.get(Card, card_id)
            if card is None:
                raise DatabaseError(f"card {card_id} no longer exists")
            if _memory_of(card) != before:
                raise StaleCardError("this card was answered elsewhere meanwhile; not saved")
            _set_memory(card, after)
            log = ReviewLog(
                card_id=card_id,
                kind=kind,
                rating=int(rating),
                reviewed_at=at,
                duration_ms=duration_ms,
                **_memory_columns(before, "_before"),
                **_memory_columns(after, "_after"),
            )
            session.add(card)
            session.add(log)
            session.commit()
            assert log.id is not None
            return log.id

    def undo_answer(self, log_id: int) -> int:
        """Delete one answer and put its card back as it was before it. Returns the card id.

        Raises:
            DatabaseError: if the answer is gone, or the card was answered again since.
        """
        with self._session() as session:
            log = session.get(ReviewLog, log_id)
            if log is None:
                raise DatabaseError("that answer is no longer in the database")
            card = session.get(Card, log.card_id)
            assert card is not None
            later = session.exec(
                select(ReviewLog.id).where(
                    ReviewLog.card_id == log.card_id, col(ReviewLog.id) > log_id
                )
            ).first()
            if later is not None:
                raise DatabaseError("this card was answered again since; cannot undo")
            _set_memory(card, _memory_of(log, "_before"))
            session.add(card)
            session.delete(log)
            session.commit()
            return log.card_id

    def answers(self, card_id: int | None = None) -> list[ReviewLog]:
        """Review logs, oldest first (all, or one card's)."""
        query = select(ReviewLog).order_by(col(ReviewLog.id))
        if card_id is not None:
            query = query.where(ReviewLog.card_id == card_id)
        with self._session() as session:
            return list(session.exec(query).all())

    # -- stats ---------------------------------------------------------------------------

    def section_rows(
        self, *, now: datetime, decay: float, deck_id: int | None = None
    ) -> list[SectionRow]:
        """Per-section counts, summed retrievability and review-card recall, in deck order.

        Aggregated in SQLite (retrievability through the registered ``fsrs_retrievability``),
        so the cost does not grow with what Python has to hold.
        """
        sql = text(
            """
            WITH cards AS (
                SELECT section_id,
                       COUNT(*) AS cards,
                       SUM(last_review IS NULL) AS new,
                       SUM(last_review IS NOT NULL AND state IN (1, 3)) AS learning,
                       SUM(last_review IS NOT NULL AND state = 2) AS review,
                       SUM(last_review IS NOT NULL AND due <= :now) AS due_now,
                       SUM(CASE WHEN last_review IS NULL THEN 0.0 ELSE fsrs_retrievability(
                           julianday(:now) - julianday(last_review), stability, :decay) END)
                           AS r_sum
                FROM card GROUP BY section_id
            ), per_card AS (
                -- grouped by card first, from ix_review_log_recall alone
                SELECT card_id, SUM(rating > 1) AS recalled, COUNT(*) AS attempts
                FROM review_log
                WHERE state_before = 2 AND kind = :kind
                GROUP BY card_id
            ), recall AS (
                SELECT card.section_id,
                       SUM(per_card.recalled) AS recalled,
                       SUM(per_card.attempts) AS attempts
                FROM per_card JOIN card ON card.id = per_card.card_id
                GROUP BY card.section_id
            )
            SELECT deck.key, deck.title, section.key, section.title,
                   COALESCE(cards.cards, 0), COALESCE(cards.new, 0),
                   COALESCE(cards.learning, 0), COALESCE(cards.review, 0),
                   COALESCE(cards.due_now, 0), COALESCE(cards.r_sum, 0.0),
                   COALESCE(recall.recalled, 0), COALESCE(recall.attempts, 0)
            FROM section
            JOIN deck ON deck.id = section.deck_id
            LEFT JOIN cards ON cards.section_id = section.id
            LEFT JOIN recall ON recall.section_id = section.id
            WHERE :deck_id IS NULL OR deck.id = :deck_id
            ORDER BY deck.id, section.position
            """
        )
        params = {
            "now": _sql_time(now),
            "decay": decay,
            "kind": int(ReviewKind.Review),
            "deck_id": deck_id,
        }
        with self.engine.connect() as connection:
            return [SectionRow(*row) for row in connection.execute(sql, params)]
