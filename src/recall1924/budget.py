"""A daily budget for revising to an exam: the minutes (or answers) a day the student gives, in
answers, and the room that leaves for new cards. Pure.

``recall exam DATE --minutes 25`` (or ``--reviews 40``) keeps the budget beside the exam date,
in the exam's scope. Minutes become answers through the student's own answer times
(:class:`AnswerTime`). The exam plan and today's review session share one rule for new cards
(:func:`new_cards_within`): the reviews due come first, and a new card comes in only while the
day's budget still holds every answer its learning steps will take. On an easy day both hold
the day's share of the budget (:func:`day_share`).

Pure but for :func:`answer_time`, which reads the student's timed answers through the one
store query it names (``Store.timed_answers``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from recall1924.balance import EasyDay
from recall1924.clock import day_start, review_date
from recall1924.errors import SettingError
from recall1924.settings import Settings

BUDGET_MINUTES_KEY = "exam_minutes"
BUDGET_REVIEWS_KEY = "exam_reviews"
DEFAULT_ANSWER_SECONDS = 10.0
"""Seconds an answer takes for a student with too few timed answers of their own."""
MIN_TIMED_ANSWERS = 20
"""Timed answers needed before the student's own mean is used."""
ANSWER_TIME_DAYS = 30
"""The review days (today's included) whose timed answers make the student's answer time."""
MAX_MINUTES = 600
MAX_REVIEWS = 10_000


@dataclass(frozen=True)
class AnswerTime:
    """How long one answer takes this student, and how many timed answers say so (0: the
    default, :data:`DEFAULT_ANSWER_SECONDS`)."""

    seconds: float
    answers: int = 0

    @classmethod
    def of(cls, answers: int, milliseconds: int) -> AnswerTime:
        """The mean of ``answers`` timed answers taking ``milliseconds`` in all, or the
        default when there are fewer than :data:`MIN_TIMED_ANSWERS`."""
        if answers < MIN_TIMED_ANSWERS or milliseconds <= 0:
            return cls(DEFAULT_ANSWER_SECONDS, 0)
        return cls(milliseconds / answers / 1000, answers)


@dataclass(frozen=True)
class DailyBudget:
    """What the student gives a day: ``minutes`` or ``reviews`` (answers), one of the two."""

    minutes: float | None = None
    reviews: int | None = None

    def answers(self, time: AnswerTime) -> int:
        """The answers a day this budget holds (at least one)."""
        if self.reviews is not None:
            return self.reviews
        assert self.minutes is not None
        return max(1, int(self.minutes * 60 // time.seconds))

    @property
    def label(self) -> str:
        """The budget as a sentence names it: "25 minutes a day", "40 reviews a day"."""
        if self.reviews is not None:
            return f"{self.reviews} review{'s' if self.reviews != 1 else ''} a day"
        assert self.minutes is not None
        return f"{self.minutes:g} minute{'s' if self.minutes != 1 else ''} a day"

    @property
    def unit(self) -> Literal["minutes", "reviews"]:
        """What the budget counts: the option that sets it, without its dashes."""
        return "reviews" if self.reviews is not None else "minutes"

    @property
    def amount(self) -> float:
        """The number given with :attr:`unit`."""
        if self.reviews is not None:
            return self.reviews
        assert self.minutes is not None
        return self.minutes

    def of(self, amount: float) -> DailyBudget:
        """A budget of ``amount`` in the same unit."""
        if self.reviews is not None:
            return DailyBudget(reviews=int(amount))
        return DailyBudget(minutes=float(amount))

    def to_json(self, time: AnswerTime) -> dict[str, object]:
        """The budget as JSON-ready data (see docs/json.md)."""
        return {
            "minutes": self.minutes,
            "reviews": self.reviews,
            "answers_per_day": self.answers(time),
            "seconds_per_answer": time.seconds,
            "timed_answers": time.answers,
        }

    def stored(self) -> dict[str, str | None]:
        """The settings that keep this budget (the other key cleared)."""
        return {
            BUDGET_MINUTES_KEY: None if self.minutes is None else repr(self.minutes),
            BUDGET_REVIEWS_KEY: None if self.reviews is None else str(self.reviews),
        }


def _parsed(text: str, option: str, convert: Callable[[str], float], most: int, what: str) -> float:
    try:
        value = convert(text.strip())
    except ValueError:
        value = -1
    if not 1 <= value <= most:
        raise SettingError(f"invalid {option} {text!r}: expected {what} {most}")
    return value


def parse_minutes(text: str) -> float:
    """Minutes a day, a number from 1 to :data:`MAX_MINUTES`.

    Raises:
        SettingError: if it is not one.
    """
    return float(_parsed(text, "--minutes", float, MAX_MINUTES, "minutes a day, 1 to"))


def parse_reviews(text: str) -> int:
    """Answers a day, a whole number from 1 to :data:`MAX_REVIEWS`.

    Raises:
        SettingError: if it is not one.
    """
    return int(_parsed(text, "--reviews", int, MAX_REVIEWS, "answers a day, a whole number 1 to"))


def read_budget(stored: Mapping[str, str]) -> DailyBudget | None:
    """The budget kept in a scope's stored settings, or None (also when what is stored is not
    readable: like the exam, a budget never makes a command fail)."""
    try:
        if BUDGET_REVIEWS_KEY in stored:
            return DailyBudget(reviews=parse_reviews(stored[BUDGET_REVIEWS_KEY]))
        if BUDGET_MINUTES_KEY in stored:
            return DailyBudget(minutes=parse_minutes(stored[BUDGET_MINUTES_KEY]))
    except SettingError:
        return None
    return None


def day_share(easy_days: Sequence[EasyDay], day: date) -> float:
    """The share of the budget review day ``day`` holds under the week's easy days (``recall
    config set easy_days``): a normal day all of it, a reduced day half, a minimum day none,
    the shares Anki gives its easy days. The exam plan and today's review both use it."""
    return easy_days[day.weekday()].value


def answers_left_today(
    budget: DailyBudget,
    time: AnswerTime,
    *,
    answers: int,
    milliseconds: int,
    share: float = 1.0,
) -> int:
    """The answers today's budget (its ``share`` on an easy day, :func:`day_share`) still
    holds after ``answers`` given today taking ``milliseconds``: a budget in answers, what it
    has left; one in minutes, what the minutes not yet spent hold at the student's pace (the
    time recorded, when there is some, else the answers at that pace)."""
    if budget.reviews is not None:
        return max(0, math.floor(budget.reviews * share) - answers)
    assert budget.minutes is not None
    seconds = budget.minutes * 60 * share
    if not milliseconds:
        return max(0, int(seconds // time.seconds) - answers)
    return max(0, int((seconds - milliseconds / 1000) // time.seconds))


def answers_per_new_card(settings: Settings) -> int:
    """The answers a new card takes on its first day, answered Good through every learning
    step (one with no steps)."""
    return max(1, len(settings.learning_steps))


def new_cards_within(answers_left: int, reviews_due: int, per_new_card: int, new_left: int) -> int:
    """How many new cards the day's budget still has room for.

    Args:
        answers_left: answers the budget still holds today.
        reviews_due: reviews (and learning cards) still due today, which come first.
        per_new_card: answers one new card takes today (:func:`answers_per_new_card`).
        new_left: new cards the daily limits still allow.
    """
    room = answers_left - reviews_due
    return max(0, min(new_left, room // max(1, per_new_card)))


class TimedAnswers(Protocol):
    """What :func:`answer_time` reads: ``Store.timed_answers``."""

    def timed_answers(
        self, *, since: datetime, until: datetime, deck_id: int | None = None
    ) -> tuple[int, int]: ...


def answer_time(
    store: TimedAnswers, *, now: datetime, day_starts_at: int, deck_id: int | None = None
) -> AnswerTime:
    """How long an answer takes this student: the mean of the timed answers of the last
    :data:`ANSWER_TIME_DAYS` review days, today's included (answers with no duration, as some
    imports have, left out), in ``deck_id`` when it has enough of them, else in every deck,
    else :data:`DEFAULT_ANSWER_SECONDS`.

    A deck's own answers come first because answer times differ by deck (a vocabulary card is
    quicker than an essay plan); a deck just begun borrows the student's pace elsewhere.
    """
    today = review_date(now, day_starts_at)
    since = day_start(today - timedelta(days=ANSWER_TIME_DAYS - 1), day_starts_at)
    until = day_start(today + timedelta(days=1), day_starts_at)
    for scope in dict.fromkeys([deck_id, None]):
        found = AnswerTime.of(*store.timed_answers(since=since, until=until, deck_id=scope))
        if found.answers:
            return found
    return AnswerTime(DEFAULT_ANSWER_SECONDS, 0)
