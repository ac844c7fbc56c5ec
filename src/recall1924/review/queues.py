"""What comes next in a session: today's schedule, or cram practice (the queue seam)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from recall1924.clock import day_bounds
from recall1924.errors import CardGoneError
from recall1924.review.allowance import Allowance, BudgetRule, BudgetSpent
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.settings import Settings
from recall1924.store import CardView, QueueCounts, Scope, Store, Waiting

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

    def answered(
        self,
        card_id: int,
        rating: Rating | None,
        after: MemoryState | None = None,
        milliseconds: int = 0,
    ) -> None:
        """``card_id`` was answered (its memory now ``after``, the answer taking
        ``milliseconds``), or set aside with no rating: what comes next moves on."""
        ...

    def put_back(self, card_id: int) -> None:
        """An answer to ``card_id`` was undone: it may come again."""
        ...

    def budget(self, now: datetime) -> BudgetSpent | None:
        """Where today's budget stands (None: no budget, or none that applies)."""
        ...


@dataclass
class _Taken:
    """A card that left today's queue in this session, and what that spent, so an undo can
    put both back."""

    entry: Waiting
    kind: str
    """Which list it came from: "learning", "review" or "new"."""
    spent: bool
    """Whether it was an answer (which spends today's allowance), not a card set aside."""
    milliseconds: int = 0
    relearning: Waiting | None = None
    """Its place among today's learning cards after the answer, if it got one."""


@dataclass
class ScheduledQueue:
    """Today's schedule in a scope: learning cards due, reviews due today, new cards, within
    the daily limits, today's budget (new cards only) and the session's ``limit`` of
    different cards.

    Today's cards are read once, when the session starts (and again if it runs into the next
    review day); then the queue keeps them, with today's :class:`Allowance`, up to date as
    answers happen. So choosing the next card and counting what is left read no database.
    A card another recall answered meanwhile is dropped when it comes up.
    """

    store: Store
    settings: Settings
    scope: Scope = field(default_factory=Scope)
    limit: int | None = None
    exam_order: tuple[datetime, float] | None = None
    """With an exam: its start and the decay, to show the reviews that would be recalled
    least on exam day first (else the longest overdue first)."""
    deck_limits: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Decks with daily limits of their own, by deck id: (new per day, reviews per day)."""
    budget_rule: BudgetRule | None = None
    """The exam's daily budget, which holds back new cards once it has no room for them."""
    allowance: Allowance | None = field(default=None, init=False)
    _day_end: datetime | None = field(default=None, init=False)
    _learning: list[Waiting] = field(default_factory=list, init=False)
    _reviews: list[Waiting] = field(default_factory=list, init=False)
    _new: list[Waiting] = field(default_factory=list, init=False)
    _counts: dict[int, list[int]] = field(default_factory=dict, init=False)
    """Per deck: [reviews due today, new cards] not yet answered (beyond the lists, which
    hold only as many as today's limits can reach)."""
    _taken: dict[int, list[_Taken]] = field(default_factory=dict, init=False)
    _fresh: bool = field(default=False, init=False)
    """Read from the store since the last answer: when it runs out, it is really empty."""

    def _today(self, now: datetime) -> Allowance:
        if self.allowance is None or self._day_end is None or now >= self._day_end:
            self._taken = {}
            self._load(now)
        assert self.allowance is not None
        return self.allowance

    def _load(self, now: datetime) -> None:
        start, end = day_bounds(now, self.settings.day_starts_at)
        allowance = Allowance.today(
            self.store,
            self.settings,
            day_start=start,
            day_end=end,
            deck_limits=self.deck_limits,
            budget=self.budget_rule,
        )
        by_deck = self.store.queue_counts_by_deck(self.scope, day_end=end)
        self._learning = self.store.learning_due(self.scope, now=now, day_end=end)
        self._reviews, self._new, self._counts = [], [], {}
        for deck_id, counts in by_deck.items():
            in_deck = replace(self.scope, deck_id=deck_id)  # the section and query kept
            self._counts[deck_id] = [counts.review, counts.new]
            reviews = min(counts.review, allowance.reviews_left(deck_id))
            if reviews:
                self._reviews += self.store.reviews_due(
                    in_deck, now=now, day_end=end, limit=reviews, weakest_at=self.exam_order
                )
            new = min(counts.new, allowance.new_left(deck_id))
            if new:
                self._new += self.store.new_cards(in_deck, now=now, limit=new)
        self._reviews.sort()
        self._new.sort()
        allowance.due_elsewhere = due_elsewhere(self.store, allowance, self.scope, by_deck, end)
        self.allowance, self._day_end, self._fresh = allowance, end, True

    def next_card(self, now: datetime, started: set[int]) -> CardView | None:
        allowance = self._today(now)
        full = self.limit is not None and len(started) >= self.limit
        while True:
            entry, kind = self._choose(now, allowance, started if full else None)
            if entry is None and not self._fresh:
                # Run out: read again, for cards another recall added or brought due.
                self._load(now)
                allowance = self._today(now)
                continue
            if entry is None:
                return None
            try:
                card = self.store.card(entry.id)
            except CardGoneError:
                card = None
            if card is not None and _still_waiting(card, kind, now, self._day_end):
                return card
            # Answered, suspended or deleted since the queue was read (a leech suspended, or
            # another recall at work): not today's any more.
            self._drop(entry, kind)

    def _choose(
        self, now: datetime, allowance: Allowance, only: set[int] | None
    ) -> tuple[Waiting | None, str]:
        def first(entries: list[Waiting], allowed: Callable[[Waiting], bool]) -> Waiting | None:
            return next(
                (
                    entry
                    for entry in entries
                    if (only is None or entry.id in only) and allowed(entry)
                ),
                None,
            )

        due_now = first(self._learning, lambda entry: entry.order[0] <= now)
        if due_now is not None:
            return due_now, "learning"
        review = first(self._reviews, lambda entry: allowance.reviews_left(entry.deck_id) > 0)
        if review is not None:
            return review, "review"
        # A new card only while today's budget has room for it after the cards due (the same
        # count the header shows).
        if allowance.budget is None or self._waiting(now, allowance).new > 0:
            new = first(self._new, lambda entry: allowance.new_left(entry.deck_id) > 0)
            if new is not None:
                return new, "new"
        soon = now + LEARN_AHEAD
        ahead = first(self._learning, lambda entry: entry.order[0] <= soon)
        return (ahead, "learning") if ahead is not None else (None, "")

    def _drop(self, entry: Waiting, kind: str) -> None:
        if kind == "learning":
            self._learning.remove(entry)
            return
        (self._reviews if kind == "review" else self._new).remove(entry)
        self._counts[entry.deck_id][0 if kind == "review" else 1] -= 1

    def _find(self, card_id: int) -> tuple[Waiting, str] | None:
        for kind, entries in (
            ("learning", self._learning),
            ("review", self._reviews),
            ("new", self._new),
        ):
            for entry in entries:
                if entry.id == card_id:
                    return entry, kind
        return None

    def _waiting(self, now: datetime, allowance: Allowance) -> QueueCounts:
        """Today's cards still waiting, within the limits and the budget (no session limit)."""
        soon = now + LEARN_AHEAD
        by_deck: dict[int, QueueCounts] = {}
        learning: dict[int, list[int]] = {}
        for entry in self._learning:
            counted = learning.setdefault(entry.deck_id, [0, 0])
            counted[0] += 1
            counted[1] += entry.order[0] > soon
        for deck_id in self._counts.keys() | learning.keys():
            reviews, new = self._counts.get(deck_id, [0, 0])
            waiting, later = learning.get(deck_id, [0, 0])
            by_deck[deck_id] = QueueCounts(waiting, reviews, new, later)
        return allowance.apply(by_deck)

    def remaining(self, now: datetime, started: set[int]) -> QueueCounts:
        counts = self._waiting(now, self._today(now))
        if self.limit is None:
            return counts
        # Past the limit only the session's own learning cards come back; before it, at most
        # the cards the limit still allows, reviews before new ones as they are shown (and
        # held back by the budget, of those the limit would have shown).
        room = max(0, self.limit - len(started))
        review = min(counts.review, room)
        new = min(counts.new, room - review)
        held = max(0, min(counts.new_held, room - review - new))
        return QueueCounts(counts.learning, review, new, counts.learning_later, held)

    def budget(self, now: datetime) -> BudgetSpent | None:
        return self._today(now).budget_spent()

    def answered(
        self,
        card_id: int,
        rating: Rating | None,
        after: MemoryState | None = None,
        milliseconds: int = 0,
    ) -> None:
        """``card_id`` left the queue: answered (``rating``, its memory now ``after``, taking
        ``milliseconds``), or set aside (no rating). An answer spends today's allowance as the
        store counts it: a new card, or an answer to a review card, and any answer today's
        budget; a card still learning today comes back."""
        self._fresh = False
        found = self._find(card_id)
        if found is None:
            return
        entry, kind = found
        self._drop(entry, kind)
        allowance = self.allowance
        assert allowance is not None and self._day_end is not None
        spent = rating is not None
        if spent:
            allowance.spend(
                entry.deck_id,
                new=kind == "new",
                review=kind == "review",
                milliseconds=milliseconds,
            )
        again = None
        if (
            rating is not None
            and after is not None
            and after.state in (State.Learning, State.Relearning)
            and after.due < self._day_end
        ):
            again = Waiting((after.due,), card_id, entry.deck_id)
            bisect.insort(self._learning, again)
        self._taken.setdefault(card_id, []).append(
            _Taken(entry, kind, spent, milliseconds if spent else 0, again)
        )

    def put_back(self, card_id: int) -> None:
        """The last answer to (or setting aside of) ``card_id`` was undone: it is waiting
        again where it was, and what the answer spent is given back."""
        self._fresh = False
        taken = self._taken.get(card_id)
        if not taken:
            return
        last = taken.pop()
        if last.relearning is not None and last.relearning in self._learning:
            self._learning.remove(last.relearning)
        if last.spent and self.allowance is not None:
            self.allowance.spend(
                last.entry.deck_id,
                new=last.kind == "new",
                review=last.kind == "review",
                count=-1,
                milliseconds=last.milliseconds,
            )
        if last.kind == "learning":
            bisect.insort(self._learning, last.entry)
            return
        bisect.insort(self._reviews if last.kind == "review" else self._new, last.entry)
        self._counts[last.entry.deck_id][0 if last.kind == "review" else 1] += 1


def _still_waiting(card: CardView, kind: str, now: datetime, day_end: datetime | None) -> bool:
    """Whether ``card``, as the store has it now, is still what the queue took it for."""
    if not card.available(now):
        return False
    memory = card.memory
    if kind == "new":
        return memory.last_review is None
    if memory.last_review is None or day_end is None:
        return False
    if kind == "review":
        return memory.state is State.Review and memory.due < day_end
    return memory.state in (State.Learning, State.Relearning) and memory.due <= now + LEARN_AHEAD


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

    def answered(
        self,
        card_id: int,
        rating: Rating | None,
        after: MemoryState | None = None,
        milliseconds: int = 0,
    ) -> None:
        if card_id in self._order:
            self._order.remove(card_id)
        if rating is Rating.Again:
            self._order.append(card_id)

    def put_back(self, card_id: int) -> None:
        if card_id in self._order:
            self._order.remove(card_id)
        self._order.insert(0, card_id)

    def budget(self, now: datetime) -> BudgetSpent | None:
        return None  # practice outside the schedule keeps to no budget


def todays_queue(
    store: Store,
    settings: Settings,
    scope: Scope,
    now: datetime,
    deck_limits: Mapping[int, tuple[int, int]] | None = None,
    budget: BudgetRule | None = None,
) -> QueueCounts:
    """Cards in ``scope`` still to answer today: learning (and of those, the ones not due
    within the learn-ahead time), review and new, within the collection's daily limits and
    each deck's own (``deck_limits``, by deck id: new per day, reviews per day), and the new
    cards within today's ``budget`` (those it holds back counted apart)."""
    start, end = day_bounds(now, settings.day_starts_at)
    allowance = Allowance.today(
        store, settings, day_start=start, day_end=end, deck_limits=deck_limits, budget=budget
    )
    by_deck = store.queue_counts_by_deck(scope, day_end=end, due_by=now + LEARN_AHEAD)
    allowance.due_elsewhere = due_elsewhere(store, allowance, scope, by_deck, end)
    return allowance.apply(by_deck)


def due_elsewhere(
    store: Store,
    allowance: Allowance,
    scope: Scope,
    by_deck: Mapping[int, QueueCounts],
    day_end: datetime,
) -> int:
    """Cards due today (learning and reviews, within the limits) where ``allowance``'s budget
    counts its answers but outside ``scope``, whose cards are ``by_deck``: under every deck's
    budget, a review of one deck leaves room for the other decks' reviews, as the glance
    does. Reads the store only when the budget's scope is not ``scope``."""
    rule = allowance.budget
    if rule is None or rule.scope == scope:
        return 0

    def due(counts: Mapping[int, QueueCounts]) -> int:
        applied = allowance.apply(counts)
        return applied.learning + applied.review

    return max(0, due(store.queue_counts_by_deck(rule.scope, day_end=day_end)) - due(by_deck))
