"""The FSRS adapter: memory states, answers, previews and retrievability. Pure.

Holds :class:`MemoryState` (what the database keeps of a card's memory), :func:`build_scheduler`,
:func:`answer`, :func:`preview` and :func:`retrievability`. Nothing here touches the database,
the terminal or the real clock: every time is passed in.

Fuzz is seeded from the card and its last review, so the interval shown on a rating key is the
interval that rating gives, and a replay of the same history gives the same schedule.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from recall1924.settings import Settings

__all__ = [
    "CardStatus",
    "MemoryState",
    "Rating",
    "State",
    "answer",
    "build_scheduler",
    "decay_of",
    "preview",
    "retrievability",
]


class CardStatus(IntEnum):
    """Where a card is in its life, as recall reports it (FSRS itself has no 'new')."""

    New = 0
    Learning = 1
    Review = 2
    Relearning = 3


@dataclass(frozen=True)
class MemoryState:
    """A card's FSRS memory state, as stored with the card and in each review log."""

    state: State
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    @classmethod
    def new(cls, due: datetime) -> MemoryState:
        """The state of a card never answered, due from ``due``."""
        return cls(State.Learning, 0, None, None, due, None)

    @property
    def status(self) -> CardStatus:
        """New until the first answer, then the FSRS state."""
        if self.last_review is None:
            return CardStatus.New
        return CardStatus(int(self.state))

    def to_fsrs(self, card_id: int) -> Card:
        """An fsrs card for this state (our id passed, so fsrs does not sleep to make one)."""
        return Card(
            card_id=card_id,
            state=self.state,
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    @classmethod
    def from_fsrs(cls, card: Card) -> MemoryState:
        """The memory state of an fsrs card."""
        return cls(
            State(card.state),
            card.step,
            card.stability,
            card.difficulty,
            card.due,
            card.last_review,
        )


def build_scheduler(settings: Settings) -> Scheduler:
    """The FSRS scheduler for ``settings``."""
    return Scheduler(
        parameters=settings.parameters or DEFAULT_PARAMETERS,
        desired_retention=settings.desired_retention,
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
        maximum_interval=settings.maximum_interval,
        enable_fuzzing=settings.enable_fuzzing,
    )


@contextmanager
def _seeded_fuzz(card_id: int, memory: MemoryState) -> Iterator[None]:
    # fsrs draws its fuzz from the module-level random generator; seed it per card and review
    # so the same answer always gives the same interval, then give the caller's state back.
    saved = random.getstate()
    last = memory.last_review.isoformat() if memory.last_review else "new"
    random.seed(f"{card_id}:{last}")
    try:
        yield
    finally:
        random.setstate(saved)


def answer(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    rating: Rating,
    at: datetime,
) -> MemoryState:
    """The memory state after answering ``rating`` at ``at`` (UTC). The input is not changed."""
    with _seeded_fuzz(card_id, memory):
        card, _log = scheduler.review_card(memory.to_fsrs(card_id), rating, review_datetime=at)
    return MemoryState.from_fsrs(card)


def preview(
    scheduler: Scheduler, *, card_id: int, memory: MemoryState, at: datetime
) -> dict[Rating, timedelta]:
    """How long until the card comes back for each of the four ratings answered at ``at``."""
    return {
        rating: answer(scheduler, card_id=card_id, memory=memory, rating=rating, at=at).due - at
        for rating in Rating
    }


def decay_of(scheduler: Scheduler) -> float:
    """The forgetting curve's decay (FSRS-6 learns it as its last parameter)."""
    return -scheduler.parameters[20]


def retrievability(elapsed_days: float, stability: float | None, decay: float) -> float:
    """Chance of recall ``elapsed_days`` whole days after the last review (0 for a new card).

    The FSRS-6 power forgetting curve, as fsrs computes it; also registered as the SQL function
    ``fsrs_retrievability`` so stats can aggregate it in the database.
    """
    if stability is None or stability <= 0:
        return 0.0
    factor = 0.9 ** (1 / decay) - 1
    return float((1 + factor * max(0, int(elapsed_days)) / stability) ** decay)
