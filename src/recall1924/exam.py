"""Exam day: when it is, how much will be remembered then, and the work it takes. Pure.

Holds :class:`Exam` (a date and a target chance of recall), :func:`read_exam` (from stored
settings), :func:`recall_on` (a card's chance of recall at the start of a
review day), :func:`simulate` (one card's reviews on schedule) and :func:`plan` (per section:
recall on exam day with no more reviews, recall if the schedule is kept, and the reviews per day
it takes to stay above the target).

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from fsrs import Scheduler

from recall1924.clock import day_start, review_date
from recall1924.errors import SettingError
from recall1924.scheduling import (
    MemoryState,
    Rating,
    answer,
    build_scheduler,
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
    scheduler: Scheduler,
    memory: MemoryState,
    *,
    card_id: int,
    start: datetime,
    until: datetime,
    day_starts_at: int,
) -> Simulated:
    """Review a card every time it falls due from ``start`` to ``until``, answering Good.

    A card never answered is introduced at ``start``. An overdue card is reviewed at ``start``.
    """
    days: list[date] = []
    if memory.last_review is None:
        memory = replace(memory, due=start)
    while memory.due < until and len(days) < MAX_REVIEWS_PER_CARD:
        at = max(memory.due, start)
        memory = answer(
            scheduler,
            card_id=card_id,
            memory=memory,
            rating=Rating.Good,
            at=at,
            day_starts_at=day_starts_at,
        )
        days.append(review_date(at, day_starts_at))
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
    """
    starts = settings.day_starts_at
    until = day_start(exam.day, starts)
    today = review_date(now, starts)
    days_left = max(0, (exam.day - today).days)
    kept = build_scheduler(replace(settings, enable_fuzzing=False))
    needed = build_scheduler(replace(settings, enable_fuzzing=False, desired_retention=exam.target))
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
        totals[0] += recall_on(memory, exam.day, decay, starts)
        if card.suspended:
            totals[1] += recall_on(memory, exam.day, decay, starts)
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
        on_schedule = simulate(
            kept, memory, card_id=card.id, start=start, until=until, day_starts_at=starts
        )
        totals[1] += recall_on(on_schedule.memory, exam.day, decay, starts)
        to_target = simulate(
            needed, memory, card_id=card.id, start=start, until=until, day_starts_at=starts
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
