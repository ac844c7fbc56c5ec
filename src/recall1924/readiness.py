"""How ready the student is, as a command (or any other front end) asks it of an App.

Holds :func:`stats_report` (the stats of every deck, each section's mastery counted with its
own deck's FSRS parameters, or of one deck with its own settings), :class:`Glance` and
:func:`glance` (today at a glance, what a bare ``recall`` shows), and the exam date and its
daily budget: :class:`ExamSet`, :func:`exam_set`, :func:`find_exam`, :func:`find_budget`,
:func:`budget_time`, :func:`set_exam`, :func:`set_budget` and :func:`clear_exam`.

These were worked out in the CLI; here a command is parse, one call, print, and a JSON or web
front end gets the same figures from the same function. Each takes the command's
:class:`~recall1924.context.App` and returns plain data; printing it is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recall1924.budget import AnswerTime, DailyBudget
    from recall1924.context import App
    from recall1924.exam import Exam
    from recall1924.stats import SortOrder, StatsReport
    from recall1924.store import QueueCounts, Store

__all__ = [
    "ExamSet",
    "Glance",
    "budget_time",
    "clear_exam",
    "exam_deck",
    "exam_set",
    "find_budget",
    "find_exam",
    "glance",
    "set_budget",
    "set_exam",
    "stats_report",
]


def stats_report(
    app: App,
    deck: str | None = None,
    *,
    full: bool = False,
    sort: SortOrder = "deck",
    glance: bool = False,
) -> StatsReport:
    """The stats of every deck, or of ``deck``, now.

    One deck's stats use its own settings and parameters (``recall config set --deck``);
    every deck's use the collection's, except that each deck with parameters of its own
    counts its sections' mastery with its own forgetting curve. The exam is the deck's, else
    the one set for every deck.

    Args:
        app: the command's App.
        deck: only this deck (its key).
        full: also the forecast, history and distributions (``recall stats``).
        sort: ``"mastery"`` puts each deck's weakest sections first.
        glance: only what the glance shows (see :func:`~recall1924.stats.build_report`).
    """
    from recall1924.scheduling import decay_of
    from recall1924.stats import BudgetScope, build_report

    start, _end = app.day()
    settings = app.settings if deck is None else app.settings_for(deck)
    scheduler = app.scheduler if deck is None else app.scheduler_for(deck)
    budget = find_budget(app.store, deck) if full and not glance else None
    return build_report(
        app.store,
        now=app.clock.now(),
        day_start=start,
        decay=decay_of(scheduler),
        scope=app.store.scope(deck),
        settings=settings,
        exam=find_exam(app.store, deck),
        sort=sort,
        full=full,
        deck_decays=app.deck_decays() if deck is None else None,
        glance=glance,
        budget=budget,
        answer_time=None if budget is None else budget_time(app, deck),
        budget_scope=BudgetScope(exam_deck(app.store, deck), deck),
        retentions=_retentions(app, deck) if full and not glance else {},
    )


def _retentions(app: App, deck: str | None) -> dict[tuple[str, str] | str, float]:
    """The desired retentions the exam plan keeps that are not the settings' it is given:
    with every deck, each deck's own (by deck key); each section's own (by deck and section
    key), over its deck's."""
    found: dict[tuple[str, str] | str, float] = {}
    if deck is None:
        for key in app.store.decks_setting(["desired_retention"]):
            found[key] = app.settings_for(key).desired_retention
    for section, retention in app.section_retentions(deck).items():
        found[section] = retention
    return found


@dataclass(frozen=True)
class Glance:
    """Today at a glance: due, new and mastery per section, what is left to do today, and
    when the next card comes due."""

    report: StatsReport
    waiting: QueueCounts
    """Still to answer today, within the daily limits (the collection's and each deck's)."""
    next_due: datetime | None
    now: datetime


def glance(app: App) -> Glance:
    """What a bare ``recall`` shows, for every deck."""
    from recall1924.review import todays_queue
    from recall1924.review.service import budget_rule
    from recall1924.store import Scope

    # Due, new and mastery per section are all the glance shows: only those are summed over
    # the cards, and no answer is read (retention reads every one ever given).
    report = stats_report(app, glance=True)
    now = app.clock.now()
    waiting = todays_queue(
        app.store, app.settings, Scope(), now, app.deck_limits(), budget_rule(app)
    )
    return Glance(report, waiting, app.store.next_due(Scope()), now)


@dataclass(frozen=True)
class ExamSet:
    """The exam set for one deck (``deck``) or for every deck (``deck`` None)."""

    deck: str | None
    exam: Exam | None
    """None when no exam is set there."""
    days_left: int | None
    """Review days from today to the exam (0 or less once it has passed); None without one."""
    budget: DailyBudget | None = None
    """The daily budget kept beside the exam; None without one."""
    time: AnswerTime | None = None
    """How long an answer takes the student (with a budget)."""
    follows: Exam | None = None
    """For a deck with no exam of its own: every deck's, which it follows (stats uses it)."""
    cleared: Exam | None = None
    """For ``recall exam --clear``: the exam it forgot, None if there was none."""

    @property
    def label(self) -> str:
        """Whom the exam is for, as a sentence names it."""
        return f"deck {self.deck!r}" if self.deck else "every deck"

    def to_json(self) -> dict[str, Any]:
        """The exam as JSON-ready data (see docs/json.md)."""
        return {
            "deck": self.deck,
            "date": None if self.exam is None else self.exam.day.isoformat(),
            "target": None if self.exam is None else self.exam.target,
            "days_left": self.days_left,
            "budget": None
            if self.budget is None or self.time is None
            else self.budget.to_json(self.time),
            "follows": None
            if self.follows is None
            else {"date": self.follows.day.isoformat(), "target": self.follows.target},
        }


def _where(app: App, deck: str | None) -> str:
    """Where the exam of ``deck`` (or of every deck) is stored.

    Raises:
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.store import GLOBAL_SCOPE

    if deck is None:
        return GLOBAL_SCOPE
    app.store.scope(deck)  # raises for an unknown deck, naming the decks there are
    return deck


def _today(app: App) -> date:
    from recall1924.clock import review_date

    return review_date(app.clock.now(), app.settings.day_starts_at)


def find_exam(store: Store, deck_key: str | None = None) -> Exam | None:
    """The exam set for ``deck_key``, else the one set for every deck, else None.

    Here rather than in :mod:`recall1924.stats`, so that a review (which orders its cards by
    the exam) starts without loading the stats.
    """
    from recall1924.exam import read_exam
    from recall1924.store import GLOBAL_SCOPE

    if deck_key is not None:
        exam = read_exam(store.settings(deck_key))
        if exam is not None:
            return exam
    return read_exam(store.settings(GLOBAL_SCOPE))


def exam_deck(store: Store, deck_key: str | None) -> str | None:
    """The deck whose own exam ``deck_key`` follows; None when it follows every deck's (or
    has none)."""
    from recall1924.exam import read_exam

    if deck_key is not None and read_exam(store.settings(deck_key)) is not None:
        return deck_key
    return None


def find_budget(store: Store, deck_key: str | None = None) -> DailyBudget | None:
    """The daily budget kept beside the exam :func:`find_exam` finds for ``deck_key`` (the
    deck's own, else every deck's), or None: a budget belongs to its exam, so a deck with an
    exam of its own never borrows every deck's budget."""
    from recall1924.budget import read_budget
    from recall1924.exam import read_exam
    from recall1924.store import GLOBAL_SCOPE

    where = exam_deck(store, deck_key)
    if where is None:
        stored = store.settings(GLOBAL_SCOPE)
        return read_budget(stored) if read_exam(stored) is not None else None
    return read_budget(store.settings(where))


def budget_time(app: App, deck: str | None = None) -> AnswerTime:
    """How long an answer takes the student (in ``deck``, if it has enough timed answers of
    its own): what turns a budget in minutes into answers."""
    from recall1924.budget import answer_time

    deck_id = None if deck is None else app.store.scope(deck).deck_id
    return answer_time(
        app.store, now=app.clock.now(), day_starts_at=app.settings.day_starts_at, deck_id=deck_id
    )


def exam_set(app: App, deck: str | None = None) -> ExamSet:
    """The exam and budget set for ``deck`` itself, or for every deck (not the one a deck
    falls back on: this is what ``recall exam --deck`` would change)."""
    from recall1924.budget import read_budget
    from recall1924.exam import read_exam

    stored = app.store.settings(_where(app, deck))
    found = read_exam(stored)
    if found is None:
        follows = None if deck is None else read_exam(app.store.settings(_where(app, None)))
        return ExamSet(deck, None, None, follows=follows)
    budget = read_budget(stored)
    time = None if budget is None else budget_time(app, deck)
    return ExamSet(deck, found, (found.day - _today(app)).days, budget, time)


def set_exam(
    app: App,
    day: date,
    target: float | None,
    deck: str | None = None,
    *,
    budget: DailyBudget | None = None,
    drop_budget: bool = False,
) -> ExamSet:
    """Set the exam of ``deck`` (or of every deck) on ``day``, with ``target`` (by default
    :data:`~recall1924.exam.DEFAULT_TARGET`) as the chance of recall to reach by then.

    The daily budget beside it becomes ``budget`` when one is given, is forgotten with
    ``drop_budget``, and otherwise stays as it was: a budget is the student's day, which a
    moved exam does not change.

    Raises:
        SettingError: ``day`` is not after today's review day; nothing is saved.
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.errors import SettingError
    from recall1924.exam import DEFAULT_TARGET, EXAM_DATE_KEY, EXAM_TARGET_KEY

    where = _where(app, deck)
    today = _today(app)
    if day <= today:
        raise SettingError(
            f"the exam date {day.isoformat()} is not after today ({today.isoformat()})"
        )
    goal = DEFAULT_TARGET if target is None else target
    app.store.save_setting(EXAM_DATE_KEY, day.isoformat(), where)
    app.store.save_setting(EXAM_TARGET_KEY, repr(goal), where)
    _save_budget(app, where, budget, drop=drop_budget)
    return exam_set(app, deck)


def set_budget(app: App, budget: DailyBudget | None, deck: str | None = None) -> ExamSet:
    """Keep ``budget`` beside the exam already set for ``deck`` (or every deck); None forgets
    the budget.

    Raises:
        SettingError: no exam is set there (a budget plans to an exam); nothing is saved.
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.errors import SettingError

    current = exam_set(app, deck)
    if current.exam is None:
        raise SettingError(
            f"no exam set for {current.label}: give its date too, "
            "e.g. recall exam YYYY-MM-DD --minutes 25"
        )
    _save_budget(app, _where(app, deck), budget, drop=budget is None)
    return exam_set(app, deck)


def _save_budget(app: App, where: str, budget: DailyBudget | None, *, drop: bool) -> None:
    from recall1924.budget import BUDGET_MINUTES_KEY, BUDGET_REVIEWS_KEY

    if budget is not None:
        for key, value in budget.stored().items():
            app.store.save_setting(key, value, where)
    elif drop:
        app.store.save_setting(BUDGET_MINUTES_KEY, None, where)
        app.store.save_setting(BUDGET_REVIEWS_KEY, None, where)


def clear_exam(app: App, deck: str | None = None) -> ExamSet:
    """Forget the exam of ``deck`` (or of every deck) and its budget; a deck then falls back
    on every deck's exam, if one is set.

    Raises:
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.exam import EXAM_DATE_KEY, EXAM_TARGET_KEY, read_exam

    where = _where(app, deck)
    cleared = read_exam(app.store.settings(where))  # the exam alone: no budget's answer time
    app.store.save_setting(EXAM_DATE_KEY, None, where)
    app.store.save_setting(EXAM_TARGET_KEY, None, where)
    _save_budget(app, where, None, drop=True)
    return replace(exam_set(app, deck), cleared=cleared)
