"""Today's allowance: how many new cards and reviews the daily limits still allow.

The collection's limits count every deck together; a deck with limits of its own (``recall
config set --deck``) is held to those as well. One :class:`Allowance` is read from the day's
answers once, then spent as answers happen, and everything that says how much is left — the
queue choosing the next card, the review header, the summary, the glance — reads the same
object, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from recall1924.settings import Settings
from recall1924.store import QueueCounts, Scope, Store


@dataclass
class Allowance:
    """What the daily limits still allow on one review day."""

    new_per_day: int
    reviews_per_day: int
    new_done: int = 0
    reviews_done: int = 0
    deck_limits: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Decks with limits of their own, by id: (new per day, reviews per day)."""
    deck_done: dict[int, list[int]] = field(default_factory=dict)
    """For those decks: [new cards introduced, reviews answered] so far today."""

    @classmethod
    def today(
        cls,
        store: Store,
        settings: Settings,
        *,
        day_start: datetime,
        day_end: datetime,
        deck_limits: Mapping[int, tuple[int, int]] | None = None,
    ) -> Allowance:
        """The allowance left on the review day from ``day_start`` to ``day_end``."""
        limits = dict(deck_limits or {})
        done = store.day_counts(day_start, day_end=day_end)
        deck_done = {}
        for deck_id in limits:
            counted = store.day_counts(day_start, Scope(deck_id=deck_id), day_end=day_end)
            deck_done[deck_id] = [counted.new_introduced, counted.reviews]
        return cls(
            settings.new_per_day,
            settings.reviews_per_day,
            done.new_introduced,
            done.reviews,
            limits,
            deck_done,
        )

    def new_left(self, deck_id: int | None = None) -> int:
        """New cards still allowed today (in deck ``deck_id``, or in all)."""
        left = max(0, self.new_per_day - self.new_done)
        if deck_id is not None and deck_id in self.deck_limits:
            left = min(left, max(0, self.deck_limits[deck_id][0] - self.deck_done[deck_id][0]))
        return left

    def reviews_left(self, deck_id: int | None = None) -> int:
        """Answers to review cards still allowed today (in deck ``deck_id``, or in all)."""
        left = max(0, self.reviews_per_day - self.reviews_done)
        if deck_id is not None and deck_id in self.deck_limits:
            left = min(left, max(0, self.deck_limits[deck_id][1] - self.deck_done[deck_id][1]))
        return left

    def spend(
        self, deck_id: int, *, new: bool = False, review: bool = False, count: int = 1
    ) -> None:
        """An answer to a new card (``new``) or a review card (``review``) in ``deck_id``;
        ``count=-1`` gives one back (an undone answer)."""
        if new:
            self.new_done += count
        if review:
            self.reviews_done += count
        if deck_id in self.deck_done:
            self.deck_done[deck_id][0] += count if new else 0
            self.deck_done[deck_id][1] += count if review else 0

    def apply(self, by_deck: Mapping[int, QueueCounts]) -> QueueCounts:
        """Cards waiting per deck, cut to what the limits allow: each deck to its own, all
        of them together to the collection's."""
        learning = sum(counts.learning for counts in by_deck.values())
        later = sum(counts.learning_later for counts in by_deck.values())
        review = sum(
            min(counts.review, self.reviews_left(deck)) for deck, counts in by_deck.items()
        )
        new = sum(min(counts.new, self.new_left(deck)) for deck, counts in by_deck.items())
        return QueueCounts(
            learning, min(review, self.reviews_left()), min(new, self.new_left()), later
        )
