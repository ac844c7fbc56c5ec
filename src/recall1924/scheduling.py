"""The FSRS adapter: memory states, answers, previews and retrievability. Pure.

Holds :class:`MemoryState` (what the database keeps of a card's memory), :func:`build_scheduler`,
:func:`answer`, :func:`answer_in_turn`, :func:`preview`, :func:`fuzz_draw`, :func:`review_day`,
:func:`elapsed_days` and :func:`retrievability`. Nothing here touches the database, the
terminal or the real clock: every time is passed in.

FSRS-6 gives each answer's memory state (stability and difficulty; :mod:`recall1924.fsrs_memory`
computes it as py-fsrs does, float for float, without py-fsrs's cost); what state the card
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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from functools import lru_cache
from hashlib import blake2b

from fsrs import Card, Rating, Scheduler, State

from recall1924.balance import DayLoads, balanced, fuzz_bounds, fuzzed, round_half_up
from recall1924.clock import review_date, review_zone
from recall1924.fsrs_memory import memory_model
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
        parameters=settings.model_parameters,
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
    # clock.review_date's day, counted without building it (a replay asks once per answer)
    local = at.astimezone(review_zone())
    return local.toordinal() - (local.hour < day_starts_at)


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
    # a keyed hash rather than a seeded Random: a fifth of the cost of an answer less; copied
    # from a hash made once, which is the hash made afresh, set up for a tenth less
    hashed = _FUZZ_HASH.copy()
    hashed.update(f"{card_id}:{last_review.isoformat() if last_review else 'new'}".encode())
    return int.from_bytes(hashed.digest()) / 2**56


_FUZZ_HASH = blake2b(digest_size=7)


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
    if round_half_up(interval) > previous:
        return previous + 1
    _lower, upper = fuzz_bounds(interval, 1, maximum)
    return previous if previous <= upper else 0


class _Steps:
    """Learning or relearning steps as the rules read them: whole seconds, and the waits."""

    __slots__ = ("first_hard", "seconds", "waits")

    def __init__(self, steps: tuple[timedelta, ...]) -> None:
        self.seconds = tuple(int(step.total_seconds()) for step in steps)
        self.waits = tuple(timedelta(seconds=seconds) for seconds in self.seconds)
        self.first_hard = timedelta(seconds=_first_hard_step(self.seconds)) if steps else None


class _Rules:
    """What Anki's rules read of one scheduler's settings, worked out once for every answer
    given under them (:func:`_rules_of`): the memory model, the steps, the interval's terms."""

    __slots__ = (
        "_curve_factor",
        "_retention_term",
        "fuzz",
        "learning",
        "maximum",
        "model",
        "parameters",
        "relearning",
        "short_term",
        "top",
    )

    def __init__(
        self,
        parameters: tuple[float, ...],
        desired_retention: float,
        learning_steps: tuple[timedelta, ...],
        relearning_steps: tuple[timedelta, ...],
        maximum_interval: int,
        enable_fuzzing: bool,
    ) -> None:
        self.parameters = parameters
        self.model = memory_model(parameters)
        self.learning = _Steps(learning_steps)
        self.relearning = _Steps(relearning_steps)
        self.maximum = maximum_interval
        self.top = max(maximum_interval, 1)
        """The longest interval a fuzzed or rounded one may take."""
        self.fuzz = enable_fuzzing
        # FSRS-6's same-day stability takes over from steps only where there are none
        self.short_term = parameters[17] > 0 and parameters[18] > 0
        decay = -parameters[20]
        # days_until's terms, in its order: stability * retention term / curve factor
        self._retention_term: float = desired_retention ** (1 / decay) - 1
        self._curve_factor = _factor(decay)

    def interval(self, stability: float) -> float:
        """FSRS's interval in days for ``stability``, unrounded (:func:`days_until`)."""
        return stability * self._retention_term / self._curve_factor


_rules = lru_cache(maxsize=32)(_Rules)
"""The rules of a set of settings, worked out once per command for each set."""


def _rules_of(scheduler: Scheduler) -> _Rules:
    # read afresh on every call: a Scheduler's settings may be changed in place
    return _rules(
        tuple(scheduler.parameters),
        scheduler.desired_retention,
        tuple(scheduler.learning_steps),
        tuple(scheduler.relearning_steps),
        scheduler.maximum_interval,
        scheduler.enable_fuzzing,
    )


class _Answering:
    """One card's answers, one at a time (:meth:`next_state`): the next state for each rating,
    by Anki's rules (rslib ``scheduler/states``: ``learning.rs``, ``review.rs``,
    ``relearning.rs``, ``steps.rs``), on FSRS-6's memory states (:mod:`recall1924.fsrs_memory`).

    FSRS gives each rating a memory state and an interval in days; the rules turn those into
    the card's next state and due time. Learning and relearning steps are kept as set, Hard on
    the first step halfway to the next. A review card's Hard, Good and Easy are kept apart
    (Good at least a day past Hard, Easy a day past Good), and a passing review does not come
    back sooner than its last interval through fuzz. A card leaving its steps, and every passing
    review, gets the interval fuzzed, or balanced across the days ahead when ``loads`` is given.
    With no steps at all, an interval under half a day stays a same-day step, as Anki does with
    short-term FSRS parameters.

    One object serves all of a card's answers (an Anki history replays tens of thousands): each
    answer works out only what its rating needs, the memory update of each passing rating
    sharing its terms (``MemoryModel.recalled``), and the fuzz draw only where it is used.
    """

    __slots__ = (
        "_draw",
        "_recalled",
        "_today",
        "at",
        "card_id",
        "day_starts_at",
        "days",
        "loads",
        "memory",
        "rules",
        "scheduled",
    )

    def __init__(
        self, rules: _Rules, card_id: int, day_starts_at: int | None, loads: DayLoads | None
    ) -> None:
        self.rules = rules
        self.card_id = card_id
        self.day_starts_at = day_starts_at
        self.loads = loads

    def next_state(
        self, memory: MemoryState, rating: int, at: datetime, days: int | None, scheduled: int
    ) -> MemoryState:
        """The card's state after ``rating`` at ``at``.

        Args:
            memory: the state before.
            rating: the answer.
            at: when.
            days: whole days since the last review as FSRS is to count them (``None`` for a
                card never reviewed).
            scheduled: the interval a review card was given, in days.
        """
        self.memory = memory
        self.at = at
        self.days = days
        self.scheduled = scheduled
        self._draw: float | None = None
        self._recalled: tuple[float, float, float] | None = None
        self._today: date | None = None
        rules = self.rules
        if memory.last_review is None or memory.stability is None:
            return self._in_steps(rating, State.Learning, rules.learning)
        if memory.state is State.Review:
            return self._from_review(rating)
        if memory.state is State.Relearning:
            return self._in_steps(rating, State.Relearning, rules.relearning)
        return self._in_steps(rating, State.Learning, rules.learning)

    def _stability(self, rating: int) -> float:
        memory = self.memory
        stability, difficulty = memory.stability, memory.difficulty
        model = self.rules.model
        if stability is None or difficulty is None:
            return model.initial[rating - 1][0]
        if rating == Rating.Again:
            return model.forgotten(stability, difficulty, self.days)
        recalled = self._recalled
        if recalled is None:
            recalled = self._recalled = model.recalled(stability, difficulty, self.days)
        return recalled[rating - 2]

    def _difficulty(self, rating: int) -> float:
        memory = self.memory
        model = self.rules.model
        if memory.stability is None or memory.difficulty is None:
            return model.initial[rating - 1][1]
        return model.difficulty(memory.difficulty, rating)

    def _days(self, interval: float, minimum: int = 1) -> int:
        """Anki's ``with_review_fuzz``: balanced if there are loads, else fuzzed."""
        # min() and max() written out, and the draw made here once per answer and only where
        # an interval is fuzzed (not on a step): this runs for each passing rating
        top = self.rules.top
        low = 1 if minimum < 1 else minimum
        if top < low:
            low = top
        if not self.rules.fuzz:
            return fuzzed(interval, low, top, None)
        draw = self._draw
        if draw is None:
            draw = self._draw = fuzz_draw(self.card_id, self.memory.last_review)
        loads, day_starts_at = self.loads, self.day_starts_at
        if loads is not None and day_starts_at is not None:
            if self._today is None:
                self._today = review_date(self.at, day_starts_at)
            picked = balanced(
                interval,
                low,
                top,
                today=self._today,
                due=loads.due,
                easy_days=loads.easy_days,
                sibling_days=loads.sibling_days(self.card_id),
                draw=draw,
            )
            if picked is not None:
                return picked
        return fuzzed(interval, low, top, draw)

    def _short_term(self, steps: _Steps, interval: float) -> bool:
        return self.rules.short_term and not steps.seconds and interval < 0.5

    def _state(
        self, rating: int, state: State, step: int | None, wait: timedelta, stability: float
    ) -> MemoryState:
        at = self.at
        return MemoryState(state, step, stability, self._difficulty(rating), at + wait, at)

    def _step(self, rating: int, state: State, step: int, wait: timedelta) -> MemoryState:
        return self._state(rating, state, step, wait, self._stability(rating))

    def _review(self, rating: int, days: int, stability: float) -> MemoryState:
        # _state's, a call less for most answers
        at = self.at
        difficulty = self._difficulty(rating)
        return MemoryState(State.Review, None, stability, difficulty, at + timedelta(days=days), at)

    def _leave_steps(self, rating: int, state: State, step: int, steps: _Steps) -> MemoryState:
        """Past the last step (or with none): FSRS's interval, a same-day step if short."""
        stability = self._stability(rating)
        interval = self.rules.interval(stability)
        if self._short_term(steps, interval):
            wait = timedelta(seconds=int(interval * _DAY))
            return self._state(rating, state, step, wait, stability)
        return self._review(rating, self._days(max(round_half_up(interval), 1)), stability)

    def _easy_out(self) -> MemoryState:
        # Easy leaves the steps a day past where Good would have left them
        interval = self.rules.interval
        good = self._days(interval(self._stability(Rating.Good)))
        stability = self._stability(Rating.Easy)
        easy = max(round_half_up(interval(stability)), 1)
        return self._review(Rating.Easy, self._days(easy, good + 1), stability)

    def _in_steps(self, rating: int, state: State, steps: _Steps) -> MemoryState:
        if rating == Rating.Easy:
            return self._easy_out()
        seconds = steps.seconds
        if not seconds:
            return self._leave_steps(rating, state, 0, steps)
        if rating == Rating.Again:
            return self._step(rating, state, 0, steps.waits[0])
        # a step index past the steps (the steps were shortened since) counts as the last
        memory = self.memory
        index = min(max(memory.step or 0, 0), len(seconds) - 1)
        if memory.last_review is None:
            index = 0
        if rating == Rating.Hard:
            wait = steps.first_hard if index == 0 else steps.waits[index]
            assert wait is not None  # there are steps
            return self._step(rating, state, index, wait)
        if index + 1 < len(seconds):
            return self._step(rating, state, index + 1, steps.waits[index + 1])
        return self._leave_steps(rating, state, index, steps)

    def _passing(self, rating: int) -> MemoryState:
        # Hard, Good and Easy each at least a day past the one before: work out up to `rating`
        maximum, scheduled, interval = self.rules.maximum, self.scheduled, self.rules.interval
        days = 0
        stability = 0.0
        for passing in range(Rating.Hard, rating + 1):
            stability = self._stability(passing)
            wanted = interval(stability)
            floor = _minimum_kept(wanted, scheduled, maximum)
            days = self._days(wanted, floor if floor > days else days + 1)
        return self._review(rating, days, stability)

    def _from_review(self, rating: int) -> MemoryState:
        if rating != Rating.Again:
            return self._passing(rating)
        relearning = self.rules.relearning
        if relearning.seconds:
            return self._step(rating, State.Relearning, 0, relearning.waits[0])
        stability = self._stability(rating)
        interval = self.rules.interval(stability)
        if self._short_term(relearning, interval):
            wait = timedelta(seconds=int(interval * _DAY))
            return self._state(rating, State.Relearning, 0, wait, stability)
        days = min(max(round_half_up(interval), 1), self.rules.top)
        return self._review(rating, days, stability)


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

    Raises:
        ValueError: ``at`` is not timezone-aware UTC.
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
    answers: Iterable[tuple[int, datetime]],
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
        answers: ``(rating, at)`` pairs, oldest first; a rating is a ``Rating`` or the int
            it is (1 to 4).
        day_starts_at: as for :func:`answer`.
        loads: as for :func:`answer`.

    Returns:
        One state per answer: the state after it.

    Raises:
        ValueError: an answer's time is not timezone-aware UTC, or its rating not 1 to 4.
    """
    # Each answer's review day is worked out once: an Anki history replays tens of thousands.
    states: list[MemoryState] = []
    answering = _Answering(_rules_of(scheduler), card_id, day_starts_at, loads)
    last_review = memory.last_review
    last_day = 0
    if day_starts_at is not None and last_review is not None:
        last_day = review_day(last_review, day_starts_at)
    scheduled = 0  # the interval a review card was given: known after the first answer
    if memory.state is State.Review and last_review is not None:
        if day_starts_at is None:
            scheduled = max(0, (memory.due - last_review).days)
        else:
            scheduled = max(0, review_day(memory.due, day_starts_at) - last_day)
    for rating, at in answers:
        zone = at.tzinfo
        if zone is not UTC and (zone is None or zone != UTC):
            raise ValueError("datetime must be timezone-aware and set to UTC")  # as fsrs says
        if not 1 <= rating <= 4:
            raise ValueError(f"Unknown rating: {rating}")
        # FSRS counts whole 24-hour periods since the last review; with day_starts_at, review
        # days passed instead, as Anki does
        days = None
        if day_starts_at is not None:
            day = review_day(at, day_starts_at)
            if last_review is not None:
                days = day - last_day if day > last_day else 0
            last_day = day
        elif last_review is not None:
            days = (at - last_review).days
        memory = answering.next_state(memory, rating, at, days, scheduled)
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
