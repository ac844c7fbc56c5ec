"""The FSRS adapter: memory states, answers, previews and retrievability. Pure.

Holds :class:`MemoryState` (what the database keeps of a card's memory), :func:`build_scheduler`,
:func:`answer`, :func:`answer_in_turn`, :func:`preview`, :func:`review_day`,
:func:`elapsed_days` and :func:`retrievability`. Nothing here touches the database, the
terminal or the real clock: every time is passed in.

Days between reviews are review days, as Anki counts them: a review day starts at
``day_starts_at`` o'clock local time (like ``clock.day_bounds``), so a review at 23:00 and one
at 08:00 the next morning are a day apart, while 02:00 still belongs to the day before. fsrs
itself counts whole 24-hour periods; :func:`answer` bridges the two when given
``day_starts_at``.

Fuzz is seeded from the card and its last review, so the interval shown on a rating key is the
interval that rating gives, and a replay of the same history gives the same schedule.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from recall1924.clock import review_date
from recall1924.settings import Settings

__all__ = [
    "CardStatus",
    "MemoryState",
    "Rating",
    "ReviewKind",
    "State",
    "answer",
    "answer_in_turn",
    "build_scheduler",
    "days_until",
    "decay_of",
    "elapsed_days",
    "preview",
    "retrievability",
    "review_day",
]


class ReviewKind(IntEnum):
    """Why a review log row exists: a scheduled review, practice outside the schedule, an edit
    of the schedule by hand, or a reset.

    A reset (``recall forget``, Anki's Forget) sends the card back to new with its history
    kept: the row has rating 0, the card's state before it and a new card's after it. A card's
    memory state is computed from the answers after its last reset row, so an import marks
    there where Anki's own FSRS starts a card's memory state again.
    """

    Review = 0
    Cram = 1
    Manual = 2
    Reset = 3


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
        state = card.state
        return cls(
            # fsrs sets its own State members; the Enum call (a microsecond) only for others
            state if type(state) is State else State(state),
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
def _random_state_kept(scheduler: Scheduler) -> Iterator[None]:
    # fsrs draws its fuzz from the module-level random generator, which answer_in_turn seeds;
    # give the caller's state back afterwards. Saving it costs more than a review, so a run of
    # answers saves it once, and a scheduler without fuzz, which draws nothing, not at all.
    if not scheduler.enable_fuzzing:
        yield
        return
    saved = random.getstate()
    try:
        yield
    finally:
        random.setstate(saved)


def review_day(at: datetime, day_starts_at: int) -> int:
    """The number of the review day holding ``at``: consecutive days have consecutive numbers.

    A review day runs from ``day_starts_at`` o'clock local time (``TZ``) to the same hour the
    next day, as in ``clock.day_bounds``; the number is the ordinal of its local date.
    """
    return review_date(at, day_starts_at).toordinal()


def elapsed_days(last_review: datetime, at: datetime, *, day_starts_at: int | None = None) -> int:
    """Whole days from ``last_review`` to ``at``, never negative.

    Args:
        last_review: when the card was last answered (UTC).
        at: now, or the time of the next answer (UTC).
        day_starts_at: the local hour a review day starts: count review days passed, as Anki
            does. ``None`` counts whole 24-hour periods, as fsrs does on its own.
    """
    if day_starts_at is None:
        return max(0, (at - last_review).days)
    return max(0, review_day(at, day_starts_at) - review_day(last_review, day_starts_at))


def answer(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    rating: Rating,
    at: datetime,
    day_starts_at: int | None = None,
) -> MemoryState:
    """The memory state after answering ``rating`` at ``at`` (UTC). The input is not changed.

    Args:
        scheduler: the FSRS scheduler (see :func:`build_scheduler`).
        card_id: our id of the card, which also seeds its fuzz.
        memory: the card's state before the answer.
        rating: the answer.
        at: when it was given, timezone-aware UTC.
        day_starts_at: the local hour a review day starts. When given, the time since the last
            review counts in review days (see :func:`elapsed_days`); ``None`` keeps fsrs's
            24-hour periods.

    Returns:
        The state after the answer; its ``last_review`` is ``at``.
    """
    (after,) = answer_in_turn(
        scheduler,
        card_id=card_id,
        memory=memory,
        answers=[(rating, at)],
        day_starts_at=day_starts_at,
    )
    return after


def answer_in_turn(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    answers: Iterable[tuple[Rating, datetime]],
    day_starts_at: int | None = None,
) -> list[MemoryState]:
    """The memory states after each of ``answers`` given in turn, starting from ``memory``.

    The same states as calling :func:`answer` on each result in turn, at a fraction of the cost
    when fuzz is on (for replaying long histories).

    Args:
        scheduler: the FSRS scheduler.
        card_id: our id of the card.
        memory: the card's state before the first answer.
        answers: ``(rating, at)`` pairs, oldest first.
        day_starts_at: as for :func:`answer`.

    Returns:
        One state per answer: the state after it.
    """
    # One fsrs card carried through the run (review_card copies it, never changes it) and each
    # answer's review day worked out once: an Anki history replays tens of thousands of answers.
    states: list[MemoryState] = []
    card = memory.to_fsrs(card_id)
    last_review = memory.last_review
    last_day = 0
    if day_starts_at is not None and last_review is not None:
        last_day = review_day(last_review, day_starts_at)
    fuzz = scheduler.enable_fuzzing
    with _random_state_kept(scheduler):
        for rating, at in answers:
            if day_starts_at is not None:
                day = review_day(at, day_starts_at)
                if last_review is not None:
                    # fsrs counts whole 24-hour periods since card.last_review. Hand it a last
                    # review that lies exactly as many days before `at` as review days passed,
                    # so its count is ours; fsrs records `at` itself as the new last review.
                    card.last_review = at - timedelta(days=max(0, day - last_day))
                last_day = day
            if fuzz:
                # seeded per card and review, so the same answer always gives the same interval
                random.seed(f"{card_id}:{last_review.isoformat() if last_review else 'new'}")
            card, _log = scheduler.review_card(card, rating, review_datetime=at)
            states.append(MemoryState.from_fsrs(card))
            last_review = at
    return states


def preview(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    at: datetime,
    day_starts_at: int | None = None,
) -> dict[Rating, timedelta]:
    """How long until the card comes back for each of the four ratings answered at ``at``.

    ``day_starts_at`` counts days as in :func:`answer`; pass the same value to both so the
    interval shown on a key is the interval that key gives.
    """
    return {
        rating: answer(
            scheduler,
            card_id=card_id,
            memory=memory,
            rating=rating,
            at=at,
            day_starts_at=day_starts_at,
        ).due
        - at
        for rating in Rating
    }


def decay_of(scheduler: Scheduler) -> float:
    """The forgetting curve's decay (FSRS-6 learns it as its last parameter)."""
    return -scheduler.parameters[20]


def _factor(decay: float) -> float:
    # Chosen so that R is 0.9 when the elapsed time equals the stability.
    return float(0.9 ** (1 / decay) - 1)


def retrievability(elapsed_days: float, stability: float | None, decay: float) -> float:
    """Chance of recall ``elapsed_days`` whole days after the last review (0 for a new card).

    Count the days with :func:`elapsed_days` (review days, given ``day_starts_at``) so the
    figure agrees with the one the next answer will use.

    The FSRS-6 power forgetting curve, as fsrs computes it; also registered as the SQL function
    ``fsrs_retrievability`` so stats can aggregate it in the database.
    """
    if stability is None or stability <= 0:
        return 0.0
    return float((1 + _factor(decay) * max(0, int(elapsed_days)) / stability) ** decay)


def days_until(recall: float, stability: float, decay: float) -> float:
    """How many days after a review the same curve falls to the chance ``recall``."""
    return float(stability * (recall ** (1 / decay) - 1) / _factor(decay))
