"""Exam day: when it is, how much will be remembered then, and the work it takes. Pure.

Holds :class:`Exam` (a date and a target chance of recall), :func:`read_exam` (from stored
settings), :func:`recall_on` (a card's chance of recall at the start of a
review day), :func:`simulate` (one card's reviews on schedule) and :func:`plan` (per section:
recall on exam day with no more reviews, recall if the schedule is kept, and the reviews per day
it takes to stay above the target); and, for a daily budget (:mod:`recall1924.budget`),
:func:`keep_to_budget` (the plan day by day within it: its schedule, each day's answers and each
section's recall on exam day) and :func:`advise_budget` (that plan and, when it falls short of
the target, what would reach it, each found by running the plan again).

The exam is "at" the start of its review day (``day_starts_at`` o'clock local time): what is
remembered then is what the student walks in with.

The plan is a forward simulation of the FSRS schedule, one card at a time. A card is reviewed
when it falls due (today if it is overdue) and answered Good, the expected answer at the
desired retention; no fuzz. New cards come in ``new_per_day`` a day in deck order and go
through their learning steps with Good. *On schedule* uses the collection's desired retention;
*reviews per day needed* reruns the same simulation with the target as the desired retention,
so every card is reviewed before its chance of recall falls under the target, and counts the
reviews that fall before exam day, spread over the days left. Assuming Good every time makes
both figures a little optimistic: a lapse costs extra reviews.

Within a budget the cards are no longer independent: each review day the cards due take the
day's answers, those that would be recalled least on exam day first (the order a review shows
them in before an exam), and the rest wait; new cards come in only in the room left (the rule
today's review session follows, :func:`~recall1924.budget.new_cards_within`). Intervals are
deadline-aware as a review's are (:func:`keep_for_exam`). The answers are the scheduler's own
(:class:`GoodAnswers`), so replaying the plan's schedule through :func:`scheduling.answer`
gives the same recall on exam day.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from fsrs import Scheduler

from recall1924.budget import (
    MAX_MINUTES,
    MAX_REVIEWS,
    AnswerTime,
    DailyBudget,
    answers_per_new_card,
    day_share,
    new_cards_within,
)
from recall1924.clock import day_start, review_date
from recall1924.errors import SettingError
from recall1924.scheduling import (
    MemoryState,
    Rating,
    State,
    answer,
    build_scheduler,
    days_until,
    retrievability,
    review_day,
)
from recall1924.settings import Settings

EXAM_DATE_KEY = "exam_date"
EXAM_TARGET_KEY = "exam_target"
DEFAULT_TARGET = 0.9
MAX_REVIEWS_PER_CARD = 400
"""A bound on one card's simulated reviews (only reached with very short steps)."""


@dataclass(frozen=True)
class Exam:
    """An exam day and the chance of recall to reach by then."""

    day: date
    target: float = DEFAULT_TARGET


def parse_target(text: str) -> float:
    """A target chance of recall, ``0.9`` or ``90%``, between 0.5 and 0.99.

    Raises:
        SettingError: if it is not one.
    """
    stripped = text.strip()
    try:
        value = float(stripped.rstrip("%")) / (100 if stripped.endswith("%") else 1)
    except ValueError:
        value = -1.0
    if not 0.5 <= value <= 0.99:
        raise SettingError(f"invalid target {text!r}: expected a number from 0.50 to 0.99")
    return value


def parse_day(text: str) -> date:
    """An exam date written ``YYYY-MM-DD``.

    Raises:
        SettingError: if it is not one.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SettingError(f"invalid exam date {text!r}: expected YYYY-MM-DD") from None


def read_exam(stored: Mapping[str, str]) -> Exam | None:
    """The exam kept in a scope's stored settings, or None (also when what is stored is not
    readable: an exam is a prediction, never a reason for a command to fail)."""
    text = stored.get(EXAM_DATE_KEY)
    if text is None:
        return None
    try:
        day = parse_day(text)
        target = parse_target(stored.get(EXAM_TARGET_KEY, str(DEFAULT_TARGET)))
    except SettingError:
        return None
    return Exam(day, target)


def recall_on(memory: MemoryState, day: date, decay: float, day_starts_at: int) -> float:
    """The chance of recalling a card at the start of review day ``day`` with no review
    before then: 0 for a card never answered.

    Days are whole review days since the last review, as :func:`scheduling.elapsed_days`
    counts them, so the figure agrees with the one an answer on that day would use.
    """
    if memory.last_review is None:
        return 0.0
    elapsed = day.toordinal() - review_day(memory.last_review, day_starts_at)
    return retrievability(max(0, elapsed), memory.stability, decay)


@dataclass(frozen=True)
class Simulated:
    """One card's simulated reviews (their review days) and its memory state after them."""

    review_days: list[date]
    memory: MemoryState


def simulate(
    answers: GoodAnswers,
    memory: MemoryState,
    *,
    retention: float,
    card_id: int,
    start: datetime,
    until: datetime,
) -> Simulated:
    """Review a card every time it falls due from ``start`` to ``until``, answering Good, at
    desired retention ``retention`` (:class:`GoodAnswers`: as :func:`scheduling.answer` with no
    fuzz, each answer worked out once).

    A card never answered is introduced at ``start``. An overdue card is reviewed at ``start``.
    """
    days: list[date] = []
    if memory.last_review is None:
        memory = replace(memory, due=start)
    while memory.due < until and len(days) < MAX_REVIEWS_PER_CARD:
        at = max(memory.due, start)
        memory = answers.good(memory, at, retention, card_id)
        days.append(date.fromordinal(answers.day(at)))
    return Simulated(days, memory)


@dataclass(frozen=True)
class PlanInput:
    """A card as the plan needs it: its id, its section (any hashable key), its memory state
    and whether it is suspended (a suspended card is never reviewed)."""

    id: int
    section: tuple[str, str]
    memory: MemoryState
    suspended: bool = False


@dataclass
class SectionPlan:
    """One section's exam figures (means over all its cards, new ones counting 0)."""

    cards: int = 0
    recall_if_no_reviews: float = 0.0
    recall_on_schedule: float = 0.0
    reviews_needed: int = 0
    reviews_per_day_needed: float = 0.0


@dataclass
class Plan:
    """What the exam asks for."""

    exam: Exam
    days_left: int
    sections: dict[tuple[str, str], SectionPlan] = field(default_factory=dict)
    reviews_per_day_needed: float = 0.0
    busiest_day: int = 0
    new_left: int = 0
    new_possible: int = 0

    @property
    def too_many_new(self) -> bool:
        """More new cards left than ``new_per_day`` lets in before the exam."""
        return self.new_left > self.new_possible


def _introduction(start: datetime, day_index: int, day_starts_at: int) -> datetime:
    # New cards of later days come in at the start of their review day.
    if day_index == 0:
        return start
    return day_start(review_date(start, day_starts_at) + timedelta(days=day_index), day_starts_at)


def plan(
    cards: Iterable[PlanInput],
    *,
    exam: Exam,
    now: datetime,
    settings: Settings,
    decay: float,
    new_today: int = 0,
    retentions: Mapping[tuple[str, str], float] | None = None,
) -> Plan:
    """Exam-day figures per section, from a forward simulation of the schedule (see the module
    docstring).

    Args:
        cards: every card in the plan's scope, new ones in the order they are introduced.
        exam: the exam day and target.
        now: the present.
        settings: the collection's settings (desired retention, steps, new cards per day, day
            start).
        decay: the forgetting curve's decay.
        new_today: new cards already introduced today.
        retentions: desired retention of the sections that have their own: their cards are
            simulated on schedule at it (to the target, every card at the target).
    """
    starts = settings.day_starts_at
    until = day_start(exam.day, starts)
    today = review_date(now, starts)
    days_left = max(0, (exam.day - today).days)
    own = retentions or {}
    answers = GoodAnswers(settings)
    result = Plan(exam, days_left)
    per_day: dict[date, int] = {}
    sums: dict[tuple[str, str], list[float]] = {}
    capacity = [max(0, settings.new_per_day - new_today)] + [settings.new_per_day] * max(
        0, days_left - 1
    )
    result.new_possible = sum(capacity) if days_left else 0
    day_index = 0
    for card in cards:
        section = result.sections.setdefault(card.section, SectionPlan())
        totals = sums.setdefault(card.section, [0.0, 0.0])
        section.cards += 1
        memory = card.memory
        totals[0] += answers.recall_on(memory, exam.day, decay)
        if card.suspended:
            totals[1] += answers.recall_on(memory, exam.day, decay)
            continue
        start = now
        if memory.last_review is None:
            result.new_left += 1
            while day_index < days_left and capacity[day_index] == 0:
                day_index += 1
            if day_index >= days_left:
                continue  # not introduced before the exam: counts 0
            capacity[day_index] -= 1
            start = _introduction(now, day_index, starts)
        kept = own.get(card.section, settings.desired_retention)
        on_schedule = simulate(
            answers, memory, retention=kept, card_id=card.id, start=start, until=until
        )
        totals[1] += answers.recall_on(on_schedule.memory, exam.day, decay)
        to_target = simulate(
            answers, memory, retention=exam.target, card_id=card.id, start=start, until=until
        )
        section.reviews_needed += len(to_target.review_days)
        for day in to_target.review_days:
            per_day[day] = per_day.get(day, 0) + 1
    for key, section in result.sections.items():
        no_reviews, kept_up = sums[key]
        section.recall_if_no_reviews = no_reviews / section.cards
        section.recall_on_schedule = kept_up / section.cards
        section.reviews_per_day_needed = section.reviews_needed / days_left if days_left else 0.0
    total = sum(section.reviews_needed for section in result.sections.values())
    result.reviews_per_day_needed = total / days_left if days_left else 0.0
    result.busiest_day = max(per_day.values(), default=0)
    return result


def keep_for_exam(
    memory: MemoryState,
    exam: Exam,
    decay: float,
    day_starts_at: int,
    at: datetime,
    recall: float | None = None,
) -> MemoryState:
    """``memory`` with its due date brought forward for the exam: a card that would be
    recalled on exam day with less than the target chance comes back when its chance falls to
    the target, at the latest on the eve of the exam; ``memory`` itself (the same object) when
    it is left as it is. ``recall`` is the card's chance of recall on exam day, when the caller
    knows it. The rule of deadline-aware scheduling: a review
    (``review.policies.before_exam``) balances the day it gives, the plan does not."""
    start = day_start(exam.day, day_starts_at)
    if memory.due <= start or at >= start or memory.stability is None:
        return memory
    if recall is None:
        recall = recall_on(memory, exam.day, decay, day_starts_at)
    if recall >= exam.target:
        return memory
    days = days_until(exam.target, memory.stability, decay)
    eve = start - timedelta(days=1)
    return replace(memory, due=min(memory.due, max(at + timedelta(days=days), at), max(eve, at)))


_Outcome = tuple[State, int | None, float | None, float | None, timedelta]


class GoodAnswers:
    """Answers rated Good, as :func:`scheduling.answer` gives them with no fuzz, each worked
    out once: with no fuzz an answer's outcome depends only on the card's state, step, memory,
    the review days since its last review and its last interval, so every new card (and every
    card a budget delays the same way) takes the same path, and a re-run of the plan (the
    search for what reaches the target) reuses the answers of the runs before."""

    def __init__(self, settings: Settings) -> None:
        self._settings = replace(settings, enable_fuzzing=False)
        self.day_starts_at = settings.day_starts_at
        self._schedulers: dict[float, Scheduler] = {}
        self._known: dict[tuple[object, ...], _Outcome] = {}
        self._days: dict[datetime, int] = {}

    def day(self, at: datetime) -> int:
        """:func:`scheduling.review_day` of ``at``, remembered: a plan's answers fall on few
        distinct moments (the start of each day, and steps and intervals from there)."""
        found = self._days.get(at)
        if found is None:
            found = self._days[at] = review_day(at, self.day_starts_at)
        return found

    def recall_on(self, memory: MemoryState, day: date, decay: float) -> float:
        """:func:`recall_on`, its days counted by :meth:`day`."""
        if memory.last_review is None:
            return 0.0
        elapsed = day.toordinal() - self.day(memory.last_review)
        return retrievability(max(0, elapsed), memory.stability, decay)

    def scheduler(self, retention: float) -> Scheduler:
        """The scheduler at desired retention ``retention``."""
        found = self._schedulers.get(retention)
        if found is None:
            found = build_scheduler(replace(self._settings, desired_retention=retention))
            self._schedulers[retention] = found
        return found

    def good(
        self, memory: MemoryState, at: datetime, retention: float, card_id: int
    ) -> MemoryState:
        """The state after a Good answer at ``at`` (as :func:`scheduling.answer`)."""
        starts = self.day_starts_at
        elapsed = scheduled = -1
        if memory.last_review is not None:
            last = self.day(memory.last_review)
            elapsed = self.day(at) - last
            if memory.state is State.Review:
                scheduled = max(0, self.day(memory.due) - last)
        key = (
            retention,
            memory.state,
            memory.step,
            memory.stability,
            memory.difficulty,
            elapsed,
            scheduled,
        )
        found = self._known.get(key)
        if found is None:
            after = answer(
                self.scheduler(retention),
                card_id=card_id,
                memory=memory,
                rating=Rating.Good,
                at=at,
                day_starts_at=starts,
            )
            found = (after.state, after.step, after.stability, after.difficulty, after.due - at)
            self._known[key] = found
        state, step, stability, difficulty, wait = found
        return MemoryState(state, step, stability, difficulty, at + wait, at)


MAX_ANSWERS_A_DAY = 50
"""A bound on one card's answers in a day (only reached with very many short steps)."""


@dataclass(frozen=True)
class BudgetRun:
    """The plan kept to a daily budget: when each card is answered, each day's answers, and
    each section's mean chance of recall at the start of exam day (new cards never begun
    counting 0)."""

    answers_per_day: int
    new_per_day: int
    today: date
    day_starts_at: int
    schedule: dict[int, list[datetime]]
    """Card id -> the times of its answers, oldest first (cards never answered left out)."""
    day_answers: list[int]
    """Answers the plan gives on each review day from today to the eve of the exam (today's
    beside those already given)."""
    recall: dict[tuple[str, str], float]
    cards: dict[tuple[str, str], int]
    section_answers: dict[tuple[str, str], int]
    """Answers each section's cards take in the plan."""
    introduced: int
    waiting: int
    """Cards due before the exam that the budget never reached."""
    held_back: bool = False
    """The budget held some card (due or new) back on some day: with more, the plan
    differs."""

    def review_days(self, card_id: int) -> list[date]:
        """The review days a card is answered on (a day once however many steps)."""
        days = [review_date(at, self.day_starts_at) for at in self.schedule.get(card_id, [])]
        return sorted(set(days))

    def short_of(self, target: float) -> list[tuple[str, str]]:
        """The sections whose recall on exam day is under ``target``."""
        return [key for key, value in self.recall.items() if value < target]

    def reaches(self, target: float) -> bool:
        """Every section reaches ``target`` on exam day."""
        return not self.short_of(target)

    @property
    def busiest_day(self) -> int:
        return max(self.day_answers, default=0)


def _day_of(
    answers: GoodAnswers,
    memory: MemoryState,
    *,
    at: datetime,
    closes: datetime,
    until: datetime,
    retention: float,
    card_id: int,
    exam: Exam,
    decay: float,
) -> list[MemoryState]:
    """One card's answers on one review day from ``at``: Good, then every step that falls
    due before the day ``closes``, each state as deadline-aware scheduling leaves it."""
    states: list[MemoryState] = []
    while len(states) < MAX_ANSWERS_A_DAY:
        memory = answers.good(memory, at, retention, card_id)
        if memory.due > until:
            recall = answers.recall_on(memory, exam.day, decay)
            memory = keep_for_exam(memory, exam, decay, answers.day_starts_at, at, recall)
        states.append(memory)
        if memory.due >= closes:
            break
        at = max(memory.due, at)
    return states


def keep_to_budget(
    cards: Sequence[PlanInput],
    *,
    exam: Exam,
    now: datetime,
    settings: Settings,
    decay: float,
    answers_per_day: int,
    retentions: Mapping[tuple[str, str], float] | None = None,
    new_per_day: int | None = None,
    answers_today: int = 0,
    reviews_today: int = 0,
    new_today: int = 0,
    answers: GoodAnswers | None = None,
) -> BudgetRun:
    """The schedule a student keeping to ``answers_per_day`` answers a day follows to the
    exam, day by day.

    Each review day holds its share of the budget (all of it, or less on an easy day:
    :func:`~recall1924.budget.day_share`). The cards due (by its end) are answered, those that
    would be recalled least on exam day first, each Good with every learning step it has that
    day, while the budget holds all of the card's answers and ``reviews_per_day`` allows; the
    rest wait for the next day. Then new cards come in, in deck order, as many as
    :func:`~recall1924.budget.new_cards_within` allows (the reviews still due come first), each
    Good through its learning steps. Intervals are the scheduler's at each section's desired
    retention, brought forward before the exam as :func:`keep_for_exam` does.

    Args:
        cards: every card in the plan's scope, new ones in the order they are introduced.
        exam: the exam day and target.
        now: the present; today's answers start then.
        settings: the scope's settings (retention, steps, limits, day start).
        decay: the forgetting curve's decay.
        answers_per_day: the budget, in answers (every step counted).
        retentions: desired retention of the sections that have their own.
        new_per_day: new cards a day at most; by default the settings'.
        answers_today, reviews_today, new_today: already given today (answers, answers to
            cards due, new cards begun): today's budget and limits are what is left.
        answers: the answers worked out so far (shared between runs).
    """
    starts = settings.day_starts_at
    until = day_start(exam.day, starts)
    today = review_date(now, starts)
    days_left = max(0, (exam.day - today).days)
    own = retentions or {}
    answers = answers or GoodAnswers(settings)
    new_limit = settings.new_per_day if new_per_day is None else new_per_day
    per_new_card = answers_per_new_card(settings)
    memories = [card.memory for card in cards]
    retention = [own.get(card.section, settings.desired_retention) for card in cards]
    waiting_new: deque[int] = deque()
    due: list[tuple[datetime, int]] = []
    for index, card in enumerate(cards):
        if card.suspended:
            continue
        if card.memory.last_review is None:
            waiting_new.append(index)
        elif card.memory.due < until:
            due.append((card.memory.due, index))
    heapq.heapify(due)
    ready: list[tuple[float, datetime, int]] = []
    schedule: dict[int, list[datetime]] = {}
    section_answers: dict[tuple[str, str], int] = {}
    day_answers: list[int] = []
    introduced = 0
    held_back = False

    def take(index: int, states: list[MemoryState]) -> None:
        card = cards[index]
        memories[index] = states[-1]
        times = schedule.setdefault(card.id, [])
        times.extend(state.last_review for state in states if state.last_review is not None)
        section_answers[card.section] = section_answers.get(card.section, 0) + len(states)
        if states[-1].due < until:
            heapq.heappush(due, (states[-1].due, index))

    def answered(index: int, at: datetime, closes: datetime) -> list[MemoryState]:
        # the card's answers from `at` to the day's close, as the plan would give them
        return _day_of(
            answers,
            memories[index],
            at=at,
            closes=closes,
            until=until,
            retention=retention[index],
            card_id=cards[index].id,
            exam=exam,
            decay=decay,
        )

    for offset in range(days_left):
        day = today + timedelta(days=offset)
        opens = now if offset == 0 else day_start(day, starts)
        closes = min(until, day_start(day + timedelta(days=1), starts))

        while due and due[0][0] < closes:
            moment, index = heapq.heappop(due)
            weakest = answers.recall_on(memories[index], exam.day, decay)
            heapq.heappush(ready, (weakest, moment, index))
        day_budget = math.floor(answers_per_day * day_share(settings.easy_days, day))
        left = day_budget - (answers_today if offset == 0 else 0)
        reviews_left = settings.reviews_per_day - (reviews_today if offset == 0 else 0)
        given = 0
        while ready and reviews_left > 0 and left > 0:
            _weakest, moment, index = ready[0]
            states = answered(index, max(moment, opens), closes)
            if len(states) > left:
                break
            heapq.heappop(ready)
            take(index, states)
            left -= len(states)
            given += len(states)
            reviews_left -= 1
        held_back = held_back or bool(ready and reviews_left > 0)
        new_left = new_limit - (new_today if offset == 0 else 0)
        allowed = min(max(0, new_left), len(waiting_new))
        room = new_cards_within(max(0, left), len(ready), per_new_card, allowed)
        held_back = held_back or room < allowed
        while room > 0 and waiting_new:
            index = waiting_new[0]
            states = answered(index, opens, closes)
            if len(states) > left:
                held_back = True
                break
            waiting_new.popleft()
            take(index, states)
            left -= len(states)
            given += len(states)
            room -= 1
            introduced += 1
        day_answers.append(given)
    sums: dict[tuple[str, str], float] = {}
    counts: dict[tuple[str, str], int] = {}
    for card, memory in zip(cards, memories, strict=True):
        sums[card.section] = sums.get(card.section, 0.0) + answers.recall_on(
            memory, exam.day, decay
        )
        counts[card.section] = counts.get(card.section, 0) + 1
    return BudgetRun(
        answers_per_day=answers_per_day,
        new_per_day=new_limit,
        today=today,
        day_starts_at=starts,
        schedule=schedule,
        day_answers=day_answers,
        recall={key: sums[key] / counts[key] for key in counts},
        cards=counts,
        section_answers=section_answers,
        introduced=introduced,
        waiting=len(ready),
        held_back=held_back,
    )


LOWEST_RETENTION = 0.70
"""The lowest desired retention a suggestion lowers a section to (the settings' own floor)."""
RETENTION_STEP = 0.05
SECTIONS_TRIED = 1
"""Sections (the costliest in answers) whose desired retention a suggestion tries lowering."""


@dataclass(frozen=True)
class Suggestion:
    """A change the re-run plan shows reaches the target.

    ``more_budget``: the least budget (``value`` minutes or reviews a day, the budget's unit)
    that reaches it; ``fewer_new``: the most new cards a day (``value``) that does;
    ``lower_section_retention``: ``section``'s desired retention lowered to ``value``, with
    which every other section reaches it (``section`` itself then reaches what ``run`` says).
    """

    kind: Literal["more_budget", "fewer_new", "lower_section_retention"]
    value: float
    run: BudgetRun
    section: tuple[str, str] | None = None


@dataclass(frozen=True)
class BudgetAdvice:
    """The plan kept to the student's budget, and what would reach the target if it falls
    short."""

    budget: DailyBudget
    time: AnswerTime
    run: BudgetRun
    suggestions: list[Suggestion]

    @property
    def answers_per_day(self) -> int:
        return self.run.answers_per_day


def advise_budget(
    cards: Sequence[PlanInput],
    *,
    exam: Exam,
    now: datetime,
    settings: Settings,
    decay: float,
    budget: DailyBudget,
    time: AnswerTime,
    retentions: Mapping[tuple[str, str], float] | None = None,
    answers_today: int = 0,
    reviews_today: int = 0,
    new_today: int = 0,
) -> BudgetAdvice:
    """The plan kept to ``budget`` (:func:`keep_to_budget`) and, when some section falls short
    of the target, what reaches it, each found by running the plan again and suggested only
    when that run reaches it: the least budget (doubled, then bisected), the most new cards a
    day (bisected down to none), or the costliest section's desired retention lowered (by
    steps down to :data:`LOWEST_RETENTION`) so that every other section reaches it. The runs
    share their answers (:class:`GoodAnswers`).
    """
    cards = list(cards)
    own = dict(retentions or {})
    answers = GoodAnswers(settings)

    def run(
        per_day: int,
        new_per_day: int | None = None,
        retentions: Mapping[tuple[str, str], float] = own,
    ) -> BudgetRun:
        return keep_to_budget(
            cards,
            exam=exam,
            now=now,
            settings=settings,
            decay=decay,
            answers_per_day=per_day,
            retentions=retentions,
            new_per_day=new_per_day,
            answers_today=answers_today,
            reviews_today=reviews_today,
            new_today=new_today,
            answers=answers,
        )

    kept = run(budget.answers(time))
    suggestions: list[Suggestion] = []
    if not kept.reaches(exam.target):
        more = _more_budget(run, budget, time, exam.target)
        fewer = _fewer_new(run, kept, cards, settings, exam.target)
        lower = _lower_section(run, kept, settings, own, exam.target)
        suggestions = [found for found in (more, fewer, lower) if found is not None]
    return BudgetAdvice(budget, time, kept, suggestions)


def _more_budget(
    run: _Run, budget: DailyBudget, time: AnswerTime, target: float
) -> Suggestion | None:
    """The least whole number of minutes (or reviews) a day that reaches ``target``: the
    budget doubled until a run reaches it (none, once a run's budget holds nothing back and
    still falls short: the daily limits or the days left stop it then, not the budget), then
    bisection between a run that falls short and one that reaches it, so the figure found
    reaches it and one fewer does not."""
    ceiling = MAX_REVIEWS if budget.reviews is not None else MAX_MINUTES
    low = budget.amount
    high = max(math.floor(low) + 1, math.ceil(low * 2))
    while True:
        if high > ceiling:
            return None
        found = run(budget.of(high).answers(time))
        if found.reaches(target):
            break
        if not found.held_back:
            return None
        low, high = high, high * 2
    least, reached = _bisect(
        math.floor(low), high, lambda amount: run(budget.of(amount).answers(time)), target
    )
    return Suggestion("more_budget", least, reached or found)


def _bisect(
    short: int, reaches: int, run: Callable[[int], BudgetRun], target: float
) -> tuple[int, BudgetRun | None]:
    """The whole number nearest ``short`` (whose run falls short of ``target``) whose run
    still reaches it, starting from ``reaches`` (whose run does), by bisection: either may be
    the larger. Returns it and its run (None when no number between was tried)."""
    found: BudgetRun | None = None
    while abs(reaches - short) > 1:
        middle = (short + reaches) // 2
        tried = run(middle)
        if tried.reaches(target):
            reaches, found = middle, tried
        else:
            short = middle
    return reaches, found


def _fewer_new(
    run: _Run,
    kept: BudgetRun,
    cards: Sequence[PlanInput],
    settings: Settings,
    target: float,
) -> Suggestion | None:
    """The most new cards a day, fewer than now, that reach ``target`` within the budget;
    None when even none does."""
    if kept.new_per_day <= 0 or not any(
        card.memory.last_review is None and not card.suspended for card in cards
    ):
        return None
    best = run(kept.answers_per_day, 0)
    if not best.reaches(target):
        return None
    most, found = _bisect(kept.new_per_day, 0, lambda new: run(kept.answers_per_day, new), target)
    return Suggestion("fewer_new", most, found or best)


def _lower_section(
    run: _Run,
    kept: BudgetRun,
    settings: Settings,
    retentions: Mapping[tuple[str, str], float],
    target: float,
) -> Suggestion | None:
    """One section's desired retention lowered, by steps of :data:`RETENTION_STEP`, so that
    every other section reaches ``target`` within the budget: the costliest section tried.
    A section that is the only one short is not the one lowered (that would suggest nothing
    but accepting what it reaches, which the plan already shows)."""
    if len(kept.recall) < 2:
        return None
    short = kept.short_of(target)
    costliest = sorted(kept.section_answers, key=lambda key: -kept.section_answers[key])
    tried = [key for key in costliest if short != [key]][:SECTIONS_TRIED]
    for section in tried:
        current = retentions.get(section, settings.desired_retention)
        steps = [
            round(current - RETENTION_STEP * n, 2)
            for n in range(1, 100)
            if current - RETENTION_STEP * n >= LOWEST_RETENTION - 1e-9
        ]
        if not steps:
            continue

        def others_reach(lowered: float, section: tuple[str, str] = section) -> BudgetRun | None:
            found = run(kept.answers_per_day, None, {**retentions, section: lowered})
            return found if all(key == section for key in found.short_of(target)) else None

        # The lowest first (when even that does not do it, one run says so), then bisection
        # towards the current one: the step found works, the one above it did not.
        best = others_reach(steps[-1])
        if best is None:
            continue
        low, high = -1, len(steps) - 1  # steps[low] (or the current) falls short
        while high - low > 1:
            middle = (low + high) // 2
            found = others_reach(steps[middle])
            if found is None:
                low = middle
            else:
                high, best = middle, found
        return Suggestion("lower_section_retention", steps[high], best, section)
    return None


class _Run(Protocol):
    def __call__(
        self,
        per_day: int,
        new_per_day: int | None = None,
        retentions: Mapping[tuple[str, str], float] = ...,
    ) -> BudgetRun: ...
