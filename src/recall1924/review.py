"""A review session as a state machine, driven through a :class:`ReviewUI`.

Holds :class:`Action` (what the user can ask for), :class:`Phase`, :class:`ReviewSession` and
:func:`run`. The session knows nothing of keys or screens: a terminal UI, a test's scripted UI
or a future front end all drive it the same way. Every answer is committed by the store before
the next card is chosen.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from fsrs import Scheduler

from recall1924.clock import Clock, day_bounds
from recall1924.errors import StaleCardError
from recall1924.scheduling import Rating, answer, preview
from recall1924.settings import Settings
from recall1924.store import CardView, QueueCounts, Scope, Store

LEARN_AHEAD = timedelta(minutes=20)
"""Learning cards due within this are shown early instead of ending the session."""


class Action(Enum):
    """What the user asks the session to do."""

    REVEAL = "reveal"
    AGAIN = Rating.Again
    HARD = Rating.Hard
    GOOD = Rating.Good
    EASY = Rating.Easy
    UNDO = "undo"
    QUIT = "quit"


class Phase(Enum):
    """Where the session is: a question shown, its answer shown, nothing left to show (the
    last answer can still be undone), or over."""

    QUESTION = "question"
    ANSWER = "answer"
    FINISHED = "finished"
    DONE = "done"


@dataclass(frozen=True)
class Answered:
    """One answer given in this session (what undo takes back)."""

    log_id: int
    card_id: int
    rating: Rating


@dataclass(frozen=True)
class Summary:
    """The end of a session: what was done and what is left."""

    cards: int
    answers: int
    ratings: dict[Rating, int]
    elapsed: timedelta
    remaining: QueueCounts


@dataclass
class ReviewSession:
    """One sitting of reviews over a scope of cards.

    Args:
        store: the collection.
        scheduler: FSRS, configured from ``settings``.
        settings: daily limits and the day's start hour.
        clock: the time of every answer.
        scope: which cards to review.
        limit: at most this many different cards (None: no limit).
        timer: a monotonic clock for answer durations.
    """

    store: Store
    scheduler: Scheduler
    settings: Settings
    clock: Clock
    scope: Scope = field(default_factory=Scope)
    limit: int | None = None
    timer: Callable[[], float] = time.monotonic

    phase: Phase = field(default=Phase.QUESTION, init=False)
    card: CardView | None = field(default=None, init=False)
    intervals: dict[Rating, timedelta] = field(default_factory=dict, init=False)
    message: str | None = field(default=None, init=False)
    history: list[Answered] = field(default_factory=list, init=False)
    _started: set[int] = field(default_factory=set, init=False)
    _shown_at: float = field(default=0.0, init=False)
    _began_at: float = field(default=0.0, init=False)

    def start(self) -> None:
        """Show the first card (or finish at once when nothing is due)."""
        self._began_at = self.timer()
        self._advance()

    def apply(self, action: Action) -> None:
        """Do what the user asked, if it makes sense now; otherwise say why not."""
        self.message = None
        if action is Action.QUIT or (self.phase is Phase.FINISHED and action is not Action.UNDO):
            self.phase = Phase.DONE
        elif action is Action.UNDO:
            self._undo()
        elif action is Action.REVEAL:
            if self.phase is Phase.QUESTION:
                self._reveal()
        elif self.phase is Phase.ANSWER:
            self._rate(Rating(action.value))
        elif self.phase is Phase.QUESTION:
            self.message = "Show the answer first (Space)"

    def _now(self) -> datetime:
        return self.clock.now()

    def _reveal(self) -> None:
        assert self.card is not None
        self.intervals = preview(
            self.scheduler, card_id=self.card.id, memory=self.card.memory, at=self._now()
        )
        self.phase = Phase.ANSWER

    def _rate(self, rating: Rating) -> None:
        assert self.card is not None
        at = self._now()
        after = answer(
            self.scheduler, card_id=self.card.id, memory=self.card.memory, rating=rating, at=at
        )
        try:
            log_id = self.store.record_answer(
                self.card.id,
                before=self.card.memory,
                after=after,
                rating=rating,
                at=at,
                duration_ms=max(0, round((self.timer() - self._shown_at) * 1000)),
            )
        except StaleCardError:
            # Another recall answered this card while it was on screen: theirs stands.
            self._advance()
            self.message = "That card was answered in another session meanwhile; moved on"
            return
        self.history.append(Answered(log_id, self.card.id, rating))
        self._started.add(self.card.id)
        self._advance()

    def _undo(self) -> None:
        if not self.history:
            self.message = "Nothing to undo in this session"
            return
        last = self.history.pop()
        self.store.undo_answer(last.log_id)
        if all(answered.card_id != last.card_id for answered in self.history):
            self._started.discard(last.card_id)
        self._show(self.store.card(last.card_id))
        self.message = f"Undid {last.rating.name}"

    def _advance(self) -> None:
        now = self._now()
        start, end = day_bounds(now, self.settings.day_starts_at)
        new_left, reviews_left = allowances(self.store, self.settings, start)
        full = self.limit is not None and len(self._started) >= self.limit
        card = self.store.next_card(
            self.scope,
            now=now,
            day_end=end,
            learn_ahead_until=now + LEARN_AHEAD,
            allow_new=new_left > 0,
            allow_reviews=reviews_left > 0,
            only=self._started if full else None,
        )
        if card is None:
            self.card = None
            # After answers, stay a moment so the last one can still be undone.
            self.phase = Phase.FINISHED if self.history else Phase.DONE
        else:
            self._show(card)

    def _show(self, card: CardView) -> None:
        self.card = card
        self.intervals = {}
        self.phase = Phase.QUESTION
        self._shown_at = self.timer()

    def remaining(self) -> QueueCounts:
        """Cards still to come today in this scope, within the daily limits."""
        return todays_queue(self.store, self.settings, self.scope, self._now())

    def summary(self) -> Summary:
        """What this session did, and what is left."""
        ratings = Counter(answered.rating for answered in self.history)
        return Summary(
            cards=len({answered.card_id for answered in self.history}),
            answers=len(self.history),
            ratings={rating: ratings.get(rating, 0) for rating in Rating},
            elapsed=timedelta(seconds=max(0.0, self.timer() - self._began_at)),
            remaining=self.remaining(),
        )


def allowances(store: Store, settings: Settings, day_start: datetime) -> tuple[int, int]:
    """How many new cards, and answers to review cards, today's limits still allow (the limits
    are for the whole collection, whatever a session's scope)."""
    done = store.day_counts(day_start)
    return (
        max(0, settings.new_per_day - done.new_introduced),
        max(0, settings.reviews_per_day - done.reviews),
    )


def todays_queue(store: Store, settings: Settings, scope: Scope, now: datetime) -> QueueCounts:
    """Cards in ``scope`` still to answer today: learning, review and new, within the limits."""
    start, end = day_bounds(now, settings.day_starts_at)
    counts = store.queue_counts(scope, day_end=end)
    new_left, reviews_left = allowances(store, settings, start)
    return QueueCounts(counts.learning, min(counts.review, reviews_left), min(counts.new, new_left))


class ReviewUI(Protocol):
    """What drives a session: shows its state, and reads the user's next action."""

    def show(self, session: ReviewSession) -> None:
        """Display the session as it now is."""
        ...

    def next_action(self, session: ReviewSession) -> Action:
        """Wait for the user's next action."""
        ...


def run(session: ReviewSession, ui: ReviewUI) -> Summary:
    """Run ``session`` with ``ui`` until the user quits or nothing is left."""
    session.start()
    while session.phase is not Phase.DONE:
        ui.show(session)
        session.apply(ui.next_action(session))
    return session.summary()
