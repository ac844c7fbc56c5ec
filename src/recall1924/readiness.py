"""How ready the student is, as a command (or any other front end) asks it of an App.

Holds :func:`stats_report` (the stats of every deck, each section's mastery counted with its
own deck's FSRS parameters, or of one deck with its own settings), :class:`Glance` and
:func:`glance` (today at a glance, what a bare ``recall`` shows), and the exam date:
:class:`ExamSet`, :func:`exam_set`, :func:`find_exam`, :func:`set_exam` and :func:`clear_exam`.

These were worked out in the CLI; here a command is parse, one call, print, and a JSON or web
front end gets the same figures from the same function. Each takes the command's
:class:`~recall1924.context.App` and returns plain data; printing it is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.exam import Exam
    from recall1924.stats import SortOrder, StatsReport
    from recall1924.store import QueueCounts, Store

__all__ = [
    "ExamSet",
    "Glance",
    "clear_exam",
    "exam_set",
    "find_exam",
    "glance",
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
    from recall1924.stats import build_report

    start, _end = app.day()
    settings = app.settings if deck is None else app.settings_for(deck)
    scheduler = app.scheduler if deck is None else app.scheduler_for(deck)
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
    )


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
    from recall1924.store import Scope

    # Due, new and mastery per section are all the glance shows: only those are summed over
    # the cards, and no answer is read (retention reads every one ever given).
    report = stats_report(app, glance=True)
    now = app.clock.now()
    waiting = todays_queue(app.store, app.settings, Scope(), now, app.deck_limits())
    return Glance(report, waiting, app.store.next_due(Scope()), now)


@dataclass(frozen=True)
class ExamSet:
    """The exam set for one deck (``deck``) or for every deck (``deck`` None)."""

    deck: str | None
    exam: Exam | None
    """None when no exam is set there."""
    days_left: int | None
    """Review days from today to the exam (0 or less once it has passed); None without one."""

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


def exam_set(app: App, deck: str | None = None) -> ExamSet:
    """The exam set for ``deck`` itself, or for every deck (not the one a deck falls back
    on: this is what ``recall exam --deck`` would change)."""
    from recall1924.exam import read_exam

    found = read_exam(app.store.settings(_where(app, deck)))
    days_left = None if found is None else (found.day - _today(app)).days
    return ExamSet(deck, found, days_left)


def set_exam(app: App, day: date, target: float | None, deck: str | None = None) -> ExamSet:
    """Set the exam of ``deck`` (or of every deck) on ``day``, with ``target`` (by default
    :data:`~recall1924.exam.DEFAULT_TARGET`) as the chance of recall to reach by then.

    Raises:
        SettingError: ``day`` is not after today's review day; nothing is saved.
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.errors import SettingError
    from recall1924.exam import DEFAULT_TARGET, EXAM_DATE_KEY, EXAM_TARGET_KEY, Exam

    where = _where(app, deck)
    today = _today(app)
    if day <= today:
        raise SettingError(
            f"the exam date {day.isoformat()} is not after today ({today.isoformat()})"
        )
    goal = DEFAULT_TARGET if target is None else target
    app.store.save_setting(EXAM_DATE_KEY, day.isoformat(), where)
    app.store.save_setting(EXAM_TARGET_KEY, repr(goal), where)
    return ExamSet(deck, Exam(day, goal), (day - today).days)


def clear_exam(app: App, deck: str | None = None) -> ExamSet:
    """Forget the exam of ``deck`` (or of every deck); a deck then falls back on every
    deck's exam, if one is set.

    Raises:
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.exam import EXAM_DATE_KEY, EXAM_TARGET_KEY

    where = _where(app, deck)
    app.store.save_setting(EXAM_DATE_KEY, None, where)
    app.store.save_setting(EXAM_TARGET_KEY, None, where)
    return ExamSet(deck, None, None)
