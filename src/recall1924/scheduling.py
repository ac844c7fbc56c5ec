"""The FSRS adapter: memory states, answers, previews and retrievability. Pure.

Holds :class:`MemoryState` (what the database keeps of a card's memory), :func:`build_scheduler`,
:func:`answer`, :func:`answer_in_turn`, :func:`preview`, :func:`fuzz_draw`, :func:`review_day`,
:func:`elapsed_days` and :func:`retrievability`. Nothing here touches the database, the
terminal or the real clock: every time is passed in.

py-fsrs computes each answer's memory state (stability and difficulty); what state the card
goes to and when it comes back follow Anki's rules (rslib ``scheduler/states``), so the four
keys show what Anki's would for the same card and settings: learning and relearning steps as
Anki takes them, Hard, Good and Easy on a review card at least a day apart, a card leaving its
steps on Easy a day past Good, and every interval that leaves the steps fuzzed, or balanced over
the days ahead (:mod:`recall1924.balance`). ``tests/test_scheduling_anki.py`` holds them to the
official backend's answers.

Days between reviews are review days, as Anki counts them: a review day starts at
``day_starts_at`` o'clock local time (like ``clock.day_bounds``), so a review at 23:00 and one
at 08:00 the next morning are a day apart, while 02:00 still belongs to the day before. fsrs
itself counts whole 24-hour periods; :func:`answer` bridges the two when given
``day_starts_at``.

Fuzz is seeded from the card and its last review, so the interval shown on a rating key is the
interval that rating gives, and a replay of the same history gives the same schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import IntEnum
from functools import cached_property, lru_cache
from hashlib import blake2b

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from recall1924.balance import DayLoads, balanced, fuzz_bounds, fuzzed, round_half_up
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
    "fuzz_draw",
    "preview",
    "retrievability",
    "review_day",
]


class ReviewKind(IntEnum):
    """Why a review log row exists: a scheduled review, practice outside the schedule, an edit
    of the schedule by hand, a reset, or a reschedule.

    A reset (``recall forget``, Anki's Forget) sends the card back to new with its history
    kept: the row has rating 0, the card's state before it and a new card's after it. A card's
    memory state is computed from the answers after its last reset row, so an import marks
    there where Anki's own FSRS starts a card's memory state again.

    A reschedule (``--reschedule`` on a change of desired retention or parameters, Anki's
    "reschedule cards on change", its revlog kind Rescheduled) moves a review card's due date
    to its interval under the new settings: rating 0, the state before and after, which differ
    in the due date only. Like a reset it is no answer: the answer counters, stats, the
    optimizer and a replay of the answers leave it out (a replay keeps the due date it set).
    """

    Review = 0
    Cram = 1
    Manual = 2
    Reset = 3
    Reschedule = 4


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
    """The FSRS scheduler for ``settings``: the model, and the settings the rules read (steps,
    desired retention, maximum interval, fuzz)."""
    return Scheduler(
        parameters=settings.parameters or DEFAULT_PARAMETERS,
        desired_retention=settings.desired_retention,
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
        maximum_interval=settings.maximum_interval,
        enable_fuzzing=settings.enable_fuzzing,
    )


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


_DAY = 86400


def fuzz_draw(card_id: int, last_review: datetime | None) -> float:
    """The uniform draw in [0, 1) that fuzzes (or balances) the answer to a card last reviewed
    at ``last_review``: seeded by the card and that review, so the interval a key shows is the
    interval it gives, and a replay of a history gives the same schedule."""
    # a keyed hash rather than a seeded Random: a fifth of the cost of an answer less
    seed = f"{card_id}:{last_review.isoformat() if last_review else 'new'}".encode()
    return int.from_bytes(blake2b(seed, digest_size=7).digest()) / 2**56


def _first_hard_step(steps: tuple[int, ...]) -> int:
    # Hard on the first step must differ from Again: half way to the next step, or with one
    # step half as long again (at most a day more, so a 3-day step stays under a 4-day
    # graduation). Past a day it is whole days, as on the same key later in the day.
    if len(steps) > 1:
        seconds = (steps[0] + steps[1]) // 2
    else:
        seconds = min(steps[0] * 3 // 2, steps[0] + _DAY)
    return round_half_up(seconds / _DAY) * _DAY if seconds > _DAY else seconds


def _minimum_kept(interval: float, previous: int, maximum: int) -> int:
    # A passing review must not come back sooner than the last interval because of fuzz: longer
    # than it if FSRS asks for longer, as long if FSRS asks for about as long. Only an interval
    # that really shrank (new parameters or retention) may come back sooner.
    _lower, upper = fuzz_bounds(interval, 1, maximum)
    if round_half_up(interval) > previous:
        return previous + 1
    return previous if previous <= upper else 0


@dataclass
class _Answering:
    """One card answered at ``at``: the next state for each rating, by Anki's rules
    (rslib ``scheduler/states``: ``learning.rs``, ``review.rs``, ``relearning.rs``,
    ``steps.rs``), on the memory states py-fsrs computes.

    FSRS gives each rating a memory state and an interval in days; the rules turn those into
    the card's next state and due time. Learning and relearning steps are kept as set, Hard on
    the first step halfway to the next. A review card's Hard, Good and Easy are kept apart
    (Good at least a day past Hard, Easy a day past Good), and a passing review does not come
    back sooner than its last interval through fuzz. A card leaving its steps, and every passing
    review, gets the interval fuzzed, or balanced across the days ahead when ``loads`` is given.
    With no steps at all, an interval under half a day stays a same-day step, as Anki does with
    short-term FSRS parameters.
    """

    scheduler: Scheduler
    memory_scheduler: Scheduler
    card: Card
    memory: MemoryState
    at: datetime
    day_starts_at: int | None
    draw: float | None
    loads: DayLoads | None
    scheduled: int
    """The interval a review card was given, in days."""
    _memories: dict[Rating, tuple[float, float]] = field(default_factory=dict)

    def _memory(self, rating: Rating) -> tuple[float, float]:
        if rating not in self._memories:
            after, _log = self.memory_scheduler.review_card(
                self.card, rating, review_datetime=self.at
            )
            assert after.stability is not None and after.difficulty is not None
            self._memories[rating] = (after.stability, after.difficulty)
        return self._memories[rating]

    def _interval(self, rating: Rating) -> float:
        # FSRS's interval in days, unrounded (the rules round it)
        stability = self._memory(rating)[0]
        decay = decay_of(self.scheduler)
        return days_until(self.scheduler.desired_retention, stability, decay)

    def _bounds(self, minimum: int) -> tuple[int, int]:
        maximum = max(self.scheduler.maximum_interval, 1)
        return min(max(minimum, 1), maximum), maximum

    @cached_property
    def _today(self) -> date | None:
        return None if self.day_starts_at is None else review_date(self.at, self.day_starts_at)

    def _days(self, interval: float, minimum: int = 1) -> int:
        """Anki's ``with_review_fuzz``: balanced if there are loads, else fuzzed."""
        low, high = self._bounds(minimum)
        if self.loads is not None and self.draw is not None and self._today is not None:
            picked = balanced(
                interval,
                low,
                high,
                today=self._today,
                due=self.loads.due,
                easy_days=self.loads.easy_days,
                sibling_days=self.loads.sibling_days(self.card.card_id),
                draw=self.draw,
            )
            if picked is not None:
                return picked
        return fuzzed(interval, low, high, self.draw)

    def _short_term(self, steps: tuple[int, ...], interval: float) -> bool:
        # FSRS-6's same-day stability takes over from steps only where there are none
        parameters = self.scheduler.parameters
        allowed = parameters[17] > 0 and parameters[18] > 0
        return allowed and not steps and interval < 0.5

    def _state(
        self, rating: Rating, state: State, step: int | None, wait: timedelta
    ) -> MemoryState:
        stability, difficulty = self._memory(rating)
        return MemoryState(state, step, stability, difficulty, self.at + wait, self.at)

    def _review(self, rating: Rating, days: int) -> MemoryState:
        return self._state(rating, State.Review, None, timedelta(days=days))

    def _leave_steps(
        self, rating: Rating, state: State, step: int, steps: tuple[int, ...]
    ) -> MemoryState:
        """Past the last step (or with none): FSRS's interval, a same-day step if short."""
        interval = self._interval(rating)
        if self._short_term(steps, interval):
            return self._state(rating, state, step, timedelta(seconds=int(interval * _DAY)))
        return self._review(rating, self._days(max(round_half_up(interval), 1)))

    def _easy_out(self) -> MemoryState:
        # Easy leaves the steps a day past where Good would have left them
        good = self._days(self._interval(Rating.Good))
        easy = max(round_half_up(self._interval(Rating.Easy)), 1)
        return self._review(Rating.Easy, self._days(easy, good + 1))

    def _in_steps(self, rating: Rating, state: State, steps: tuple[int, ...]) -> MemoryState:
        # a step index past the steps (the steps were shortened since) counts as the last
        index = min(max(self.memory.step or 0, 0), max(len(steps) - 1, 0))
        if self.memory.last_review is None:
            index = 0
        if rating is Rating.Easy:
            return self._easy_out()
        if not steps:
            return self._leave_steps(rating, state, 0, steps)
        if rating is Rating.Again:
            return self._state(rating, state, 0, timedelta(seconds=steps[0]))
        if rating is Rating.Hard:
            wait = _first_hard_step(steps) if index == 0 else steps[index]
            return self._state(rating, state, index, timedelta(seconds=wait))
        if index + 1 < len(steps):
            return self._state(rating, state, index + 1, timedelta(seconds=steps[index + 1]))
        return self._leave_steps(rating, state, index, steps)

    def _passing_days(self, rating: Rating) -> int:
        # Hard, Good and Easy each at least a day past the one before: work out up to `rating`
        maximum = self.scheduler.maximum_interval
        days = 0
        for passing in (Rating.Hard, Rating.Good, Rating.Easy)[: rating - Rating.Hard + 1]:
            interval = self._interval(passing)
            floor = max(_minimum_kept(interval, self.scheduled, maximum), days + 1)
            days = self._days(interval, floor)
        return days

    def _from_review(self, rating: Rating) -> MemoryState:
        relearning = _seconds(self.scheduler.relearning_steps)
        if rating is Rating.Again:
            if relearning:
                return self._state(rating, State.Relearning, 0, timedelta(seconds=relearning[0]))
            interval = self._interval(rating)
            if self._short_term(relearning, interval):
                wait = timedelta(seconds=int(interval * _DAY))
                return self._state(rating, State.Relearning, 0, wait)
            days = min(max(round_half_up(interval), 1), max(self.scheduler.maximum_interval, 1))
            return self._review(rating, days)
        return self._review(rating, self._passing_days(rating))

    def next_state(self, rating: Rating) -> MemoryState:
        """The card's state after ``rating``."""
        memory = self.memory
        if memory.last_review is None or memory.stability is None:
            return self._in_steps(rating, State.Learning, _seconds(self.scheduler.learning_steps))
        if memory.state is State.Review:
            return self._from_review(rating)
        if memory.state is State.Relearning:
            steps = _seconds(self.scheduler.relearning_steps)
            return self._in_steps(rating, State.Relearning, steps)
        return self._in_steps(rating, State.Learning, _seconds(self.scheduler.learning_steps))


def _seconds(steps: tuple[timedelta, ...]) -> tuple[int, ...]:
    return tuple(int(step.total_seconds()) for step in steps)


@lru_cache(maxsize=32)
def _memory_scheduler(parameters: tuple[float, ...]) -> Scheduler:
    # py-fsrs computes the memory states only, which depend on the parameters alone; without
    # fuzz, as its own would draw from the module's random generator
    return Scheduler(parameters=parameters, enable_fuzzing=False)


def answer(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    rating: Rating,
    at: datetime,
    day_starts_at: int | None = None,
    loads: DayLoads | None = None,
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
        loads: the cards due on each day ahead: balance the interval over them (with fuzz on
            and ``day_starts_at`` given; see :mod:`recall1924.balance`).

    Returns:
        The state after the answer; its ``last_review`` is ``at``.
    """
    (after,) = answer_in_turn(
        scheduler,
        card_id=card_id,
        memory=memory,
        answers=[(rating, at)],
        day_starts_at=day_starts_at,
        loads=loads,
    )
    return after


def answer_in_turn(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    answers: Iterable[tuple[Rating, datetime]],
    day_starts_at: int | None = None,
    loads: DayLoads | None = None,
) -> list[MemoryState]:
    """The memory states after each of ``answers`` given in turn, starting from ``memory``.

    The same states as calling :func:`answer` on each result in turn, for a fraction of the
    cost (for replaying long histories).

    Args:
        scheduler: the FSRS scheduler.
        card_id: our id of the card.
        memory: the card's state before the first answer.
        answers: ``(rating, at)`` pairs, oldest first.
        day_starts_at: as for :func:`answer`.
        loads: as for :func:`answer`.

    Returns:
        One state per answer: the state after it.
    """
    # Each answer's review day is worked out once: an Anki history replays tens of thousands.
    states: list[MemoryState] = []
    memory_scheduler = _memory_scheduler(tuple(scheduler.parameters))
    last_review = memory.last_review
    last_day = 0
    if day_starts_at is not None and last_review is not None:
        last_day = review_day(last_review, day_starts_at)
    fuzz = scheduler.enable_fuzzing
    scheduled = 0  # the interval a review card was given: known after the first answer
    if memory.state is State.Review and last_review is not None:
        if day_starts_at is None:
            scheduled = max(0, (memory.due - last_review).days)
        else:
            scheduled = max(0, review_day(memory.due, day_starts_at) - last_day)
    for rating, at in answers:
        card = memory.to_fsrs(card_id)
        # py-fsrs's memory update is the same in every state but for a card with none yet
        card.state, card.step = State.Learning, 0
        if day_starts_at is not None:
            day = review_day(at, day_starts_at)
            if last_review is not None:
                # fsrs counts whole 24-hour periods since card.last_review. Hand it a last
                # review that lies exactly as many days before `at` as review days passed,
                # so its count is ours.
                card.last_review = at - timedelta(days=max(0, day - last_day))
            last_day = day
        answering = _Answering(
            scheduler,
            memory_scheduler,
            card,
            memory,
            at,
            day_starts_at,
            fuzz_draw(card_id, last_review) if fuzz else None,
            loads,
            scheduled,
        )
        memory = answering.next_state(rating)
        states.append(memory)
        last_review = at
        scheduled = (memory.due - at).days if memory.state is State.Review else 0
    return states


def preview(
    scheduler: Scheduler,
    *,
    card_id: int,
    memory: MemoryState,
    at: datetime,
    day_starts_at: int | None = None,
    loads: DayLoads | None = None,
) -> dict[Rating, timedelta]:
    """How long until the card comes back for each of the four ratings answered at ``at``.

    ``day_starts_at`` and ``loads`` are as in :func:`answer`; pass the same values to both so
    the interval shown on a key is the interval that key gives.
    """
    return {
        rating: answer(
            scheduler,
            card_id=card_id,
            memory=memory,
            rating=rating,
            at=at,
            day_starts_at=day_starts_at,
            loads=loads,
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
