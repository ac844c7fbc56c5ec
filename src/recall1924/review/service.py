"""A review or a cram as a command (or any other front end) starts and ends one, from an App.

Holds :func:`start_review` (today's schedule: each deck's own scheduler and whether it types
its answers, each deck's exam for deadline-aware intervals, and with an exam the reviews that
would be recalled least on exam day first, see :func:`exam_order`), :func:`start_cram`, and
:func:`finish` (after a session: the backup when one is due, and the :class:`Outlook` the
summary ends with, with :func:`coming_due_tomorrow`).

The session itself (:mod:`.session`) knows nothing of an App; this is where the App's
settings, schedulers and store are handed to it, so that the CLI only parses and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.review.allowance import BudgetRule
    from recall1924.review.session import ReviewSession, Summary
    from recall1924.store import Scope, Store

__all__ = [
    "Outlook",
    "budget_rule",
    "coming_due_tomorrow",
    "exam_order",
    "finish",
    "start_cram",
    "start_review",
]


def _typed(app: App, forced: bool) -> bool | Callable[[str], bool]:
    """Whether answers are typed: always when ``forced`` (``--type``), else as each deck's
    ``type_answers`` setting says."""
    return forced or (lambda deck_key: app.settings_for(deck_key).type_answers)


def exam_order(app: App, deck: str | None = None) -> tuple[datetime, float] | None:
    """With an exam set (``deck``'s, else every deck's), its start and the forgetting curve's
    decay, so that a review shows the reviews recalled least on exam day first; None without
    an exam."""
    from recall1924.clock import day_start
    from recall1924.readiness import find_exam
    from recall1924.scheduling import decay_of

    found = find_exam(app.store, deck)
    if found is None:
        return None
    return day_start(found.day, app.settings.day_starts_at), decay_of(app.scheduler)


def budget_rule(app: App, deck: str | None = None) -> BudgetRule | None:
    """Today's budget for a review of ``deck`` (or of every deck): the one kept beside the
    exam that ``deck`` follows (:func:`~recall1924.readiness.find_budget`), or None. Its
    answers count where that exam is set (the deck's own, else every deck), the student's
    answer time turns minutes into answers, and a new card takes the answers the deck's
    learning steps ask for.

    Raises:
        NotFoundError: there is no deck ``deck``.
    """
    from recall1924.budget import answers_per_new_card, day_share
    from recall1924.clock import review_date
    from recall1924.readiness import budget_time, exam_deck, find_budget
    from recall1924.review.allowance import BudgetRule
    from recall1924.store import Scope

    budget = find_budget(app.store, deck)
    if budget is None:
        return None
    own = exam_deck(app.store, deck)
    scope = app.store.scope(own) if own is not None else Scope()
    settings = app.settings if deck is None else app.settings_for(deck)
    answers = answers_per_new_card(settings)
    # The pace of the cards to come: the deck's own when it has enough timed answers, as the
    # exam plan for the deck reckons it.
    today = review_date(app.clock.now(), app.settings.day_starts_at)
    share = day_share(app.settings.easy_days, today)
    return BudgetRule(budget, budget_time(app, deck), answers, scope, share)


def start_review(
    app: App,
    scope: Scope,
    *,
    deck: str | None = None,
    limit: int | None = None,
    minutes: float | None = None,
    typed: bool = False,
) -> ReviewSession:
    """A review of today's schedule in ``scope`` (``deck``: the deck it names, whose exam
    orders the reviews); ``typed`` types every answer, else each deck's setting decides."""
    from functools import cache

    from recall1924.readiness import find_exam
    from recall1924.review.session import scheduled_session

    return scheduled_session(
        app.store,
        app.scheduler_for,
        app.settings,
        app.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=_typed(app, typed),
        exam_for=cache(lambda deck_key: find_exam(app.store, deck_key)),
        exam_order=exam_order(app, deck),
        deck_limits=app.deck_limits(),
        budget=budget_rule(app, deck),
        section_schedulers=app.section_schedulers(),
    )


def start_cram(
    app: App,
    scope: Scope,
    *,
    limit: int | None = None,
    minutes: float | None = None,
    typed: bool = False,
) -> ReviewSession:
    """Practice of the cards in ``scope``, weakest first, leaving their schedule as it is."""
    from recall1924.review.session import cram_session

    return cram_session(
        app.store,
        app.settings,
        app.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=_typed(app, typed),
    )


@dataclass(frozen=True)
class Outlook:
    """What comes after a session: when the next card is due, and how many come due during
    tomorrow's review day."""

    next_due: datetime | None
    now: datetime
    tomorrow: int


def coming_due_tomorrow(store: Store, scope: Scope, day_end: datetime) -> int:
    """Cards in ``scope`` (learning and review) that come due during the review day after
    the one ending at ``day_end``: not today's leftovers, which the summary counts apart."""
    by_today, by_tomorrow = (
        store.queue_counts(scope, day_end=end) for end in (day_end, day_end + timedelta(days=1))
    )
    return by_tomorrow.learning + by_tomorrow.review - by_today.learning - by_today.review


def finish(app: App, summary: Summary, scope: Scope) -> Outlook:
    """After a session in ``scope``: a backup if it had answers and the newest backup is
    old (one that fails is a notice: every answer is already saved), then the outlook."""
    now = app.clock.now()
    if summary.answers and app.location.is_sqlite:  # a server keeps its own backups
        from recall1924.backups import backup_if_due
        from recall1924.errors import BackupError

        try:
            backup_if_due(app.db_path, app.clock.now())
        except BackupError as exc:
            app.notices.append(str(exc))
    _start, end = app.day()
    return Outlook(app.store.next_due(scope), now, coming_due_tomorrow(app.store, scope, end))
