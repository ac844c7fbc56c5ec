"""What an answer does: schedule the card, deadline-aware before an exam, or only log the
practice (the answer-policy seam)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from fsrs import Scheduler

from recall1924 import exam
from recall1924.balance import DayLoads, balanced
from recall1924.clock import review_date
from recall1924.models import ReviewKind
from recall1924.scheduling import (
    MemoryState,
    Rating,
    answer,
    decay_of,
    fuzz_draw,
    preview,
)
from recall1924.store import CardView

if TYPE_CHECKING:
    pass


class AnswerPolicy(Protocol):
    """What an answer does to a card."""

    kind: ReviewKind

    def preview(self, card: CardView, at: datetime) -> dict[Rating, timedelta]:
        """How long until the card comes back for each rating (empty: not scheduled)."""
        ...

    def after(self, card: CardView, rating: Rating, at: datetime) -> MemoryState:
        """The card's memory state after ``rating`` at ``at``."""
        ...

    def recall_on(self, deck_key: str, memory: MemoryState, day: date) -> float | None:
        """The chance of recalling a card of ``deck_key`` in ``memory`` at the start of review
        day ``day`` (None: answers here do not move it)."""
        ...


@dataclass
class Schedule:
    """Answers schedule the card with FSRS (the scheduler of the card's deck), counting
    elapsed time in review days that start at ``day_starts_at``.

    With an exam set for the card's deck (``exam_for``), scheduling is deadline-aware: an
    interval never reaches past the exam day when that would leave the card's chance of recall
    on the day below the exam's target. The card comes back when its chance of recall falls
    to the target instead, and at the latest on the review day before the exam.
    """

    scheduler_for: Callable[[str], Scheduler]
    day_starts_at: int
    exam_for: Callable[[str], exam.Exam | None] = field(default=lambda _deck: None)
    kind: ReviewKind = ReviewKind.Review
    loads: DayLoads | None = None
    """The cards due on each day ahead, to balance intervals over (None: fuzz only)."""
    siblings: Callable[[CardView, datetime, int], Collection[date]] | None = None
    """The days a card's siblings are due on, which balancing avoids (``Store.sibling_days``)."""
    section_schedulers: Mapping[int, Scheduler] = field(default_factory=dict)
    """By section id, the scheduler of each section with a desired retention of its own
    (``App.section_schedulers``, built once): its cards' previews and answers use it."""

    def scheduler(self, card: CardView) -> Scheduler:
        """The scheduler ``card`` is answered with: its section's own, else its deck's."""
        own = self.section_schedulers.get(card.section_id)
        return own if own is not None else self.scheduler_for(card.deck_key)

    def _find_siblings(self, card: CardView, at: datetime) -> None:
        if self.loads is not None and self.siblings is not None:  # once for preview and answer
            find = self.siblings
            self.loads.find_siblings(card.id, lambda: find(card, at, self.day_starts_at))

    def preview(self, card: CardView, at: datetime) -> dict[Rating, timedelta]:
        self._find_siblings(card, at)
        if self.exam_for(card.deck_key) is None:
            return preview(
                self.scheduler(card),
                card_id=card.id,
                memory=card.memory,
                at=at,
                day_starts_at=self.day_starts_at,
                loads=self.loads,
            )
        return {rating: self.after(card, rating, at).due - at for rating in Rating}

    def after(self, card: CardView, rating: Rating, at: datetime) -> MemoryState:
        self._find_siblings(card, at)
        scheduler = self.scheduler(card)
        memory = answer(
            scheduler,
            card_id=card.id,
            memory=card.memory,
            rating=rating,
            at=at,
            day_starts_at=self.day_starts_at,
            loads=self.loads,
        )
        deadline = self.exam_for(card.deck_key)
        if deadline is None:
            return memory
        balance = self.loads if scheduler.enable_fuzzing else None
        draw = fuzz_draw(card.id, card.memory.last_review)
        decay = decay_of(scheduler)
        return before_exam(memory, deadline, decay, self.day_starts_at, at, balance, draw)

    def recall_on(self, deck_key: str, memory: MemoryState, day: date) -> float | None:
        decay = decay_of(self.scheduler_for(deck_key))
        return exam.recall_on(memory, day, decay, self.day_starts_at)


def before_exam(
    memory: MemoryState,
    deadline: exam.Exam,
    decay: float,
    day_starts_at: int,
    at: datetime,
    loads: DayLoads | None = None,
    draw: float = 0.0,
) -> MemoryState:
    """``memory`` with its due date brought forward if, left as it is, the card would be
    recalled on exam day with less than the target chance (see :class:`Schedule`).

    With ``loads``, a card brought forward goes to one of the few days up to that date, the
    least busy likeliest (as load balancing picks, with ``draw``), so the cards brought forward
    do not pile up on the days just before the exam."""
    kept = exam.keep_for_exam(memory, deadline, decay, day_starts_at, at)
    if kept is memory:  # left as it is
        return memory
    due = kept.due
    today = review_date(at, day_starts_at)
    latest = (review_date(due, day_starts_at) - today).days
    if loads is not None and latest > 1:
        picked = balanced(
            latest, 1, latest, today=today, due=loads.due, easy_days=loads.easy_days, draw=draw
        )
        if picked is not None and picked < latest:
            due = at + timedelta(days=picked)
    return replace(memory, due=due)


@dataclass
class PracticeOnly:
    """Answers are logged as cram and change nothing: the card's memory state and due date
    stay as the schedule left them, and stats and the optimizer leave cram out."""

    kind: ReviewKind = ReviewKind.Cram

    def preview(self, card: CardView, at: datetime) -> dict[Rating, timedelta]:
        return {}

    def after(self, card: CardView, rating: Rating, at: datetime) -> MemoryState:
        return card.memory

    def recall_on(self, deck_key: str, memory: MemoryState, day: date) -> float | None:
        return None
