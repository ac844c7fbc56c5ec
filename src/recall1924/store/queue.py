"""The due queue: which card comes next, how many are left today, and a card as shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    TextClause,
    and_,
    func,
    literal_column,
    text,
    type_coerce,
)
from sqlalchemy import select as sql_select
from sqlmodel import col, select

from recall1924 import clock
from recall1924.errors import CardGoneError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.scheduling import MemoryState, State
from recall1924.store import dialect
from recall1924.store.base import (
    LEARNING_STATES,
    Scope,
    StoreBase,
    available,
    memory_of,
    stored_moment,
)
from recall1924.store.zone import time_param


@dataclass(frozen=True)
class CardView:
    """A card as the review screen needs it."""

    id: int
    key: str
    deck_key: str
    deck_title: str
    section_id: int
    section_title: str
    question: str
    answer: str
    note: str | None
    tags: tuple[str, ...]
    memory: MemoryState
    suspended: bool = False
    buried_until: datetime | None = None
    flag: int = 0
    """Non-zero for a card the student flagged (with ``flag_reason`` if they gave one)."""
    flag_reason: str | None = None
    version: int = field(default=0, compare=False)
    """The card's row version when it was read: an answer to it names it, and is not saved if
    the card was answered elsewhere since (see :meth:`~recall1924.store.Store.record_answer`).
    Not compared: two reads that show the same card are equal, an undo in between or not."""
    cloze: str | None = None
    """A cloze card's whole cloze text, and the number it asks (see :mod:`recall1924.cloze`)."""
    cloze_ord: int | None = None

    def available(self, at: datetime) -> bool:
        """Whether the card may be shown at ``at``: not suspended, not buried past it."""
        return not self.suspended and (self.buried_until is None or self.buried_until <= at)


@dataclass(frozen=True)
class QueueCounts:
    """Cards waiting in a scope today: learning (of which ``learning_later`` are not due yet,
    coming back later today), review, never seen; and ``new_held``, new cards the daily limits
    would allow but today's budget has no room for (none before a budget is applied)."""

    learning: int
    review: int
    new: int
    learning_later: int = 0
    new_held: int = 0

    @property
    def due(self) -> int:
        """Cards that can be answered now: learning cards due and reviews."""
        return self.learning - self.learning_later + self.review

    @property
    def total(self) -> int:
        return self.learning + self.review + self.new

    @property
    def new_stopped(self) -> bool:
        """Whether today's budget stops new cards: none left to show, and some held back."""
        return self.new == 0 and self.new_held > 0


class Waiting(NamedTuple):
    """A card waiting in today's queue; waiting cards sort by ``order`` (their due time, or
    what the queue shows them by), then id."""

    order: tuple[Any, ...]
    id: int
    deck_id: int


@dataclass(frozen=True)
class DayCounts:
    """What was done on one review day: new cards introduced, answers to review cards, all
    answers, and the time they took (the answer times recorded, in milliseconds)."""

    new_introduced: int
    reviews: int
    answers: int
    milliseconds: int = 0


class QueueStore(StoreBase):
    def _view_query(self) -> Any:
        return (
            select(Card, Deck.key, Deck.title, Section.title)
            .join(Deck, col(Card.deck_id) == col(Deck.id))
            .join(Section, col(Card.section_id) == col(Section.id))
        )

    @staticmethod
    def _view(row: Sequence[Any]) -> CardView:
        card, deck_key, deck_title, section_title = row
        assert card.id is not None
        return CardView(
            id=card.id,
            key=card.key,
            deck_key=deck_key,
            deck_title=deck_title,
            section_id=card.section_id,
            section_title=section_title,
            question=card.question,
            answer=card.answer,
            note=card.note,
            tags=tuple(card.tags),
            memory=memory_of(card),
            suspended=card.suspended,
            buried_until=card.buried_until,
            flag=card.flag,
            flag_reason=card.flag_reason,
            version=card.version,
            cloze=card.cloze,
            cloze_ord=card.cloze_ord,
        )

    def card(self, card_id: int) -> CardView:
        """One card by its database id."""
        with self._session() as session:
            row = session.exec(self._view_query().where(Card.id == card_id)).first()
            if row is None:
                raise CardGoneError("that card was deleted in another window meanwhile")
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
        weakest_at: tuple[datetime, float] | None = None,
        no_new_from: set[int] | None = None,
        no_reviews_from: set[int] | None = None,
    ) -> CardView | None:
        """The card to show next, or None when nothing is left for now.

        Order: learning cards due now; review cards due today (oldest due first); new cards in
        deck order; then learning cards coming due before ``learn_ahead_until``, shown early
        rather than ending the session to wait a few minutes for them.

        Args:
            only: when given, only these card ids (a session that reached its --limit).
            weakest_at: a moment and the forgetting curve's decay: reviews due today come
                in order of their chance of recall then, lowest first (an exam's start).
            no_new_from, no_reviews_from: deck ids whose own daily limit of new cards, or of
                reviews, is used up.
        """
        seen = col(Card.last_review).is_not(None)
        learning = and_(seen, col(Card.state).in_(LEARNING_STATES))
        candidates: list[tuple[ColumnElement[bool], Sequence[Any]]] = [
            (and_(learning, col(Card.due) <= now), [col(Card.due)])
        ]
        if allow_reviews:
            review = and_(seen, col(Card.state) == int(State.Review), col(Card.due) < day_end)
            if no_reviews_from:
                review = and_(review, col(Card.deck_id).not_in(no_reviews_from))
            review_order: list[Any] = [col(Card.due)]
            if weakest_at is not None:
                review_order = [self._recall_at(*weakest_at), col(Card.due)]
            candidates.append((review, review_order))
        if allow_new:
            new: ColumnElement[bool] = col(Card.last_review).is_(None)
            if no_new_from:
                new = and_(new, col(Card.deck_id).not_in(no_new_from))
            candidates.append(
                (
                    new,
                    [col(Card.deck_id), col(Section.position), col(Card.position)],
                )
            )
        candidates.append((and_(learning, col(Card.due) <= learn_ahead_until), [col(Card.due)]))
        with self._session() as session:
            for condition, order in candidates:
                query = self._view_query().where(condition, available(now), *scope.where())
                if only is not None:
                    query = query.where(col(Card.id).in_(only))
                row = session.exec(query.order_by(*order, col(Card.id)).limit(1)).first()
                if row is not None:
                    return self._view(row)
        return None

    def queue_counts(
        self, scope: Scope, *, day_end: datetime, due_by: datetime | None = None
    ) -> QueueCounts:
        """Cards in ``scope`` still to answer before ``day_end``: learning (and of those, the
        ones not due by ``due_by``), review, and new (before any daily limit). Suspended
        cards, and cards buried for the rest of the day, are not counted."""
        by_deck = self.queue_counts_by_deck(scope, day_end=day_end, due_by=due_by)
        return QueueCounts(
            sum(counts.learning for counts in by_deck.values()),
            sum(counts.review for counts in by_deck.values()),
            sum(counts.new for counts in by_deck.values()),
            sum(counts.learning_later for counts in by_deck.values()),
        )

    def queue_counts_by_deck(
        self, scope: Scope, *, day_end: datetime, due_by: datetime | None = None
    ) -> dict[int, QueueCounts]:
        """:meth:`queue_counts` for each deck in ``scope`` (by deck id), so that each deck's
        own daily limits can be applied to its own cards."""
        seen = col(Card.last_review).is_not(None)
        learning = and_(seen, col(Card.state).in_(LEARNING_STATES))
        due_today = col(Card.due) < day_end
        later = col(Card.due) > (due_by or day_end)
        query = (
            sql_select(
                col(Card.deck_id),
                func.count().filter(learning, due_today),
                func.count().filter(seen, col(Card.state) == int(State.Review), due_today),
                func.count().filter(col(Card.last_review).is_(None)),
                func.count().filter(learning, due_today, later),
            )
            .where(available(day_end - timedelta(microseconds=1)), *scope.where())
            .group_by(col(Card.deck_id))
        )
        with self._session() as session:
            return {
                deck_id: QueueCounts(learning_count, review, new, learning_later)
                for deck_id, learning_count, review, new, learning_later in session.execute(query)
            }

    def learning_due(self, scope: Scope, *, now: datetime, day_end: datetime) -> list[Waiting]:
        """Learning and relearning cards in ``scope`` due before ``day_end``, soonest first."""
        query = (
            sql_select(col(Card.id), col(Card.deck_id), _stored(col(Card.due)))
            .where(
                col(Card.last_review).is_not(None),
                col(Card.state).in_(LEARNING_STATES),
                col(Card.due) < day_end,
                available(now),
                *scope.where(),
            )
            .order_by(col(Card.due), col(Card.id))
        )
        with self._session() as session:
            return [
                Waiting((stored_moment(due),), card_id, deck_id)
                for card_id, deck_id, due in session.execute(query)
            ]

    def reviews_due(
        self,
        scope: Scope,
        *,
        now: datetime,
        day_end: datetime,
        limit: int,
        weakest_at: tuple[datetime, float] | None = None,
    ) -> list[Waiting]:
        """The first ``limit`` review cards of ``scope`` due before ``day_end``: the longest
        overdue first, or with ``weakest_at`` (a moment and the forgetting curve's decay) the
        least likely to be recalled then first."""
        order: list[Any] = [col(Card.due)]
        where = scope.where()
        if weakest_at is not None:
            order = [self._recall_at(*weakest_at), col(Card.due)]
        else:
            # Read in due order until enough are found: with the deck (or section) tested
            # from an index, SQLite would rather take every card of the deck from the index
            # that starts with deck_id, and sort them.
            where = _tested_after_reading(scope)
        query = (
            sql_select(col(Card.id), col(Card.deck_id), *order[:-1], _stored(col(Card.due)))
            .where(
                col(Card.last_review).is_not(None),
                col(Card.state) == int(State.Review),
                col(Card.due) < day_end,
                available(now),
                *where,
            )
            .order_by(*order, col(Card.id))
            .limit(limit)
        )
        with self._session() as session:
            return [
                Waiting((*row[2:-1], stored_moment(row[-1])), row[0], row[1])
                for row in session.execute(query)
            ]

    def new_cards(self, scope: Scope, *, now: datetime, limit: int) -> list[Waiting]:
        """The first ``limit`` never-seen cards of ``scope`` in deck order."""
        query = (
            sql_select(col(Card.id), col(Card.deck_id), col(Section.position), col(Card.position))
            .join(Section, col(Card.section_id) == col(Section.id))
            .where(col(Card.last_review).is_(None), available(now), *scope.where())
            .order_by(col(Card.deck_id), col(Section.position), col(Card.position), col(Card.id))
            .limit(limit)
        )
        with self._session() as session:
            return [
                Waiting((deck_id, section, position), card_id, deck_id)
                for card_id, deck_id, section, position in session.execute(query)
            ]

    def cram_cards(self, scope: Scope, *, now: datetime, limit: int | None = None) -> list[int]:
        """Cards to practise outside the schedule, weakest first: seen cards by stability
        (least first), then new cards in deck order. Suspended and buried cards stay out."""
        query = (
            select(Card.id)
            .join(Section, col(Card.section_id) == col(Section.id))
            .where(available(now), *scope.where())
            .order_by(
                col(Card.last_review).is_(None),
                col(Card.stability),
                col(Card.deck_id),
                col(Section.position),
                col(Card.position),
                col(Card.id),
            )
        )
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return [card_id for card_id in session.exec(query) if card_id is not None]

    def next_due(self, scope: Scope) -> datetime | None:
        """When the next card already seen comes due in ``scope`` (None if none has been);
        suspended cards never come due."""
        query = select(func.min(Card.due)).where(
            col(Card.last_review).is_not(None), col(Card.suspended).is_(False), *scope.where()
        )
        with self._session() as session:
            value = session.exec(query).one()
        # func.min bypasses the column type, so the stored text comes back as text.
        if isinstance(value, str):
            return stored_moment(value)
        return value

    def _recall_at(self, moment: datetime, decay: float) -> TextClause:
        """SQL for each card's chance of recall at ``moment`` on the curve of ``decay``, for
        the exam order: on SQLite through the store's Python function, on PostgreSQL in SQL
        (:func:`~recall1924.store.dialect.retrievability`), the very same double."""
        which = self.dialect
        elapsed = dialect.days_between(":moment", "card.last_review", name=which)
        return text(dialect.retrievability(elapsed, native=False, name=which)).bindparams(
            moment=time_param(moment, name=which), decay=decay
        )

    def day_counts(
        self,
        day_start: datetime,
        scope: Scope | None = None,
        *,
        day_end: datetime | None = None,
    ) -> DayCounts:
        """Answers given on the review day from ``day_start`` to before ``day_end`` (in
        ``scope``, or anywhere): cards seen for the first time, answers to review cards, all
        answers, and the time they took (what today's budget in minutes spends).

        Bounded above as well as below: an answer stamped on a later day (a clock that was
        wrong, or ``RECALL_NOW`` set ahead) belongs to that day, not to today's counts and
        limits.

        Args:
            day_start: when the review day begins (UTC).
            scope: only cards in this scope.
            day_end: when it ends; by default the same local hour on the next day: the next
                review day's start, unless a daylight-saving gap moved ``day_start`` itself off
                its hour (pass the end from ``clock.day_bounds`` to be exact).
        """
        end = day_end or _next_day_start(day_start)
        reviewed_at = col(ReviewLog.reviewed_at)
        query = (
            select(
                func.count(func.distinct(ReviewLog.card_id)).filter(
                    col(ReviewLog.last_review_before).is_(None)
                ),
                func.count().filter(col(ReviewLog.state_before) == int(State.Review)),
                func.count(),
                func.coalesce(func.sum(ReviewLog.duration_ms), 0),
            )
            .select_from(ReviewLog)
            .where(reviewed_at >= day_start, reviewed_at < end, ReviewLog.kind == ReviewKind.Review)
        )
        if scope is not None and scope.where():
            query = query.join(Card, col(Card.id) == col(ReviewLog.card_id)).where(*scope.where())
        with self._session() as session:
            new, reviews, answers, milliseconds = session.exec(query).one()
            return DayCounts(new, reviews, answers, int(milliseconds or 0))


def _next_day_start(day_start: datetime) -> datetime:
    # Some callers know only the day's start; the review day that starts then ends when the
    # next one starts, at the same local hour a day later.
    local = day_start.astimezone(clock.review_zone())
    return clock.day_start(local.date() + timedelta(days=1), local.hour)


def _stored(column: Any) -> Any:
    """``column`` (a stored time) as the stored text, for :func:`stored_moment`: the column
    type's own parsing costs ten times as much, which shows over thousands of rows."""
    return type_coerce(column, String)


def _tested_after_reading(scope: Scope) -> list[ColumnElement[bool]]:
    """:meth:`Scope.where`, with its deck and section tested on each row read rather than
    looked up in an index (:func:`~recall1924.store.dialect.unindexed`)."""
    clauses = Scope(match=scope.match).where()
    for name, value in (("deck_id", scope.deck_id), ("section_id", scope.section_id)):
        if value is not None:
            clauses.append(literal_column(dialect.unindexed(f"card.{name}")) == value)
    return clauses
