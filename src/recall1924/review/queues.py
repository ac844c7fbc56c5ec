"""What comes next in a session: today's schedule, or cram practice (the queue seam)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from recall1924.clock import day_bounds
from recall1924.errors import CardGoneError
from recall1924.scheduling import (
    Rating,
)
from recall1924.settings import Settings
from recall1924.store import CardView, QueueCounts, Scope, Store

if TYPE_CHECKING:
    pass


LEARN_AHEAD = timedelta(minutes=20)
"""Learning cards due within this are shown early instead of ending the session."""


class Queue(Protocol):
    """Which card comes next, and how many are left."""

    def next_card(self, now: datetime, started: set[int]) -> CardView | None:
        """The card to show next (None: nothing left for now).

        Args:
            started: cards answered in this session so far.
        """
        ...

    def remaining(self, now: datetime, started: set[int]) -> QueueCounts:
        """Cards still to come in this session."""
        ...

    def answered(self, card_id: int, rating: Rating | None) -> None:
        """``card_id`` was answered (or set aside, with no rating): what comes next moves on."""
        ...

    def put_back(self, card_id: int) -> None:
        """An answer to ``card_id`` was undone: it may come again."""
        ...


@dataclass
class ScheduledQueue:
    """Today's schedule in a scope: learning cards due, reviews due today, new cards, within
    the daily limits and the session's ``limit`` of different cards."""

    store: Store
    settings: Settings
    scope: Scope = field(default_factory=Scope)
    limit: int | None = None
    exam_order: tuple[datetime, float] | None = None
    """With an exam: its start and the decay, to show the reviews that would be recalled
    least on exam day first (else the longest overdue first)."""
    deck_limits: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Decks with daily limits of their own, by deck id: (new per day, reviews per day)."""

    def next_card(self, now: datetime, started: set[int]) -> CardView | None:
        start, end = day_bounds(now, self.settings.day_starts_at)
        new_left, reviews_left = allowances(self.store, self.settings, start)
        full = self.limit is not None and len(started) >= self.limit
        no_new, no_reviews = self._decks_at_their_limits(start)
        return self.store.next_card(
            self.scope,
            now=now,
            day_end=end,
            learn_ahead_until=now + LEARN_AHEAD,
            allow_new=new_left > 0,
            allow_reviews=reviews_left > 0,
            only=started if full else None,
            weakest_at=self.exam_order,
            no_new_from=no_new,
            no_reviews_from=no_reviews,
        )

    def _decks_at_their_limits(self, day_start: datetime) -> tuple[set[int], set[int]]:
        """The decks whose own daily limits are used up today: no more new cards, no more
        reviews (within the collection's limits, which count for every deck together)."""
        no_new, no_reviews = set(), set()
        for deck_id, (new_per_day, reviews_per_day) in self.deck_limits.items():
            done = self.store.day_counts(day_start, Scope(deck_id=deck_id))
            if done.new_introduced >= new_per_day:
                no_new.add(deck_id)
            if done.reviews >= reviews_per_day:
                no_reviews.add(deck_id)
        return no_new, no_reviews

    def remaining(self, now: datetime, started: set[int]) -> QueueCounts:
        counts = todays_queue(self.store, self.settings, self.scope, now)
        if self.limit is None:
            return counts
        # Past the limit only the session's own learning cards come back; before it, at most
        # the cards the limit still allows, reviews before new ones as they are shown.
        room = max(0, self.limit - len(started))
        review = min(counts.review, room)
        new = min(counts.new, room - review)
        return QueueCounts(counts.learning, review, new, counts.learning_later)

    def answered(self, card_id: int, rating: Rating | None) -> None:
        """The store's schedule already has the card's new due date."""

    def put_back(self, card_id: int) -> None:
        """The store's schedule already has it back."""


@dataclass
class CramQueue:
    """Practice outside the schedule: every card in the scope once, weakest first; a card
    answered Again comes back at the end."""

    store: Store
    scope: Scope = field(default_factory=Scope)
    limit: int | None = None
    _order: list[int] = field(default_factory=list, init=False)
    _loaded: bool = field(default=False, init=False)

    def _cards(self, now: datetime) -> list[int]:
        if not self._loaded:
            self._order = self.store.cram_cards(self.scope, now=now, limit=self.limit)
            self._loaded = True
        return self._order

    def next_card(self, now: datetime, started: set[int]) -> CardView | None:
        order = self._cards(now)
        while order:
            try:
                return self.store.card(order[0])
            except CardGoneError:
                order.pop(0)
        return None

    def remaining(self, now: datetime, started: set[int]) -> QueueCounts:
        left = len(self._cards(now))
        return QueueCounts(0, left, 0)

    def answered(self, card_id: int, rating: Rating | None) -> None:
        if card_id in self._order:
            self._order.remove(card_id)
        if rating is Rating.Again:
            self._order.append(card_id)

    def put_back(self, card_id: int) -> None:
        if card_id in self._order:
            self._order.remove(card_id)
        self._order.insert(0, card_id)


def allowances(store: Store, settings: Settings, day_start: datetime) -> tuple[int, int]:
    """How many new cards, and answers to review cards, today's limits still allow (the limits
    are for the whole collection, whatever a session's scope)."""
    done = store.day_counts(day_start)
    return (
        max(0, settings.new_per_day - done.new_introduced),
        max(0, settings.reviews_per_day - done.reviews),
    )


def todays_queue(store: Store, settings: Settings, scope: Scope, now: datetime) -> QueueCounts:
    """Cards in ``scope`` still to answer today: learning (and of those, the ones not due
    within the learn-ahead time), review and new, within the limits."""
    start, end = day_bounds(now, settings.day_starts_at)
    counts = store.queue_counts(scope, day_end=end, due_by=now + LEARN_AHEAD)
    new_left, reviews_left = allowances(store, settings, start)
    return QueueCounts(
        counts.learning,
        min(counts.review, reviews_left),
        min(counts.new, new_left),
        counts.learning_later,
    )
