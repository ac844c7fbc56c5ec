"""Studying: review, cram, and suspending cards."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.clock import day_start
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.review import ReviewSession
    from recall1924.store import Scope

from recall1924.cli.base import (
    DbOption,
    DeckOption,
    LimitOption,
    SectionOption,
    app,
    app_for,
    show_notices,
)

TypeOption = Annotated[
    bool,
    typer.Option(
        "--type",
        help="Type each answer first, then see it beside the real one with a suggested "
        "rating (default: the type_answers setting of the card's deck).",
    ),
]
MinutesOption = Annotated[
    float | None, typer.Option("--minutes", min=0.1, help="End the session after N minutes.")
]


def _run_session(app_obj: App, session: ReviewSession, scope: Scope, *, typing: bool) -> None:
    """Run a session in this terminal (or on keys from a pipe), then print its summary."""
    from recall1924.review import run
    from recall1924.ui.keys import StreamKeys, TerminalKeys
    from recall1924.ui.reports import print_summary
    from recall1924.ui.review import TerminalReviewUI

    app_obj.store.check_writable()  # before the first card, not at the first answer
    show_notices(app_obj)
    # From a pipe, newlines are only separators, but they submit a typed answer.
    keys = TerminalKeys() if sys.stdin.isatty() else StreamKeys(keep_enter=typing)
    with keys:
        summary = run(session, TerminalReviewUI(app_obj.console, keys))
    now = app_obj.clock.now()
    if summary.answers:
        _backup_after_session(app_obj)
    _start, end = app_obj.day()
    # Cards that come due during tomorrow's review day (not today's leftovers).
    by_today, by_tomorrow = (
        app_obj.store.queue_counts(scope, day_end=day_end)
        for day_end in (end, end + timedelta(days=1))
    )
    print_summary(
        app_obj.console,
        summary,
        app_obj.store.next_due(scope),
        now,
        tomorrow=by_tomorrow.learning + by_tomorrow.review - by_today.learning - by_today.review,
    )


def _backup_after_session(app_obj: App) -> None:
    """Back up after a session with answers, unless the newest backup is recent; a backup
    that fails is a notice (every answer is already saved in the collection)."""
    from recall1924.backups import backup_if_due
    from recall1924.errors import BackupError

    try:
        backup_if_due(app_obj.db_path, app_obj.clock.now())
    except BackupError as exc:
        app_obj.notices.append(str(exc))
    show_notices(app_obj)


def _typed(app_obj: App, forced: bool) -> bool | Callable[[str], bool]:
    """Whether answers are typed: always with --type, else as each deck's setting says."""
    return forced or (lambda deck_key: app_obj.settings_for(deck_key).type_answers)


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: SectionOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    type_answers: TypeOption = False,
    db: DbOption = None,
) -> None:
    """Review the cards due today, one keypress at a time.

    Space or Enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy rate it (each key shows
    the interval it gives); s suspends, b buries until tomorrow; u undoes; ? lists every key;
    arrows and PgUp/PgDn scroll a long card; q or Ctrl-C ends the session. Every answer is
    saved the moment it is given. With --type, type the answer (Enter checks it, Alt-Enter
    starts a new line), then Enter takes the suggested rating or 1-4 change it.
    """
    from functools import cache

    from recall1924.review import scheduled_session
    from recall1924.scheduling import decay_of
    from recall1924.stats import find_exam

    app_obj = app_for(ctx, db)
    scope = app_obj.store.scope(deck, section)
    exam_for = cache(lambda deck_key: find_exam(app_obj.store, deck_key))
    # With an exam set, reviews come weakest-on-exam-day first.
    first = exam_for(deck) if deck else find_exam(app_obj.store)
    exam_order = (
        None
        if first is None
        else (day_start(first.day, app_obj.settings.day_starts_at), decay_of(app_obj.scheduler))
    )
    session = scheduled_session(
        app_obj.store,
        app_obj.scheduler_for,
        app_obj.settings,
        app_obj.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=_typed(app_obj, type_answers),
        exam_for=exam_for,
        exam_order=exam_order,
        deck_limits=app_obj.deck_limits(),
    )
    _run_session(app_obj, session, scope, typing=type_answers or app_obj.settings.type_answers)


@app.command()
def cram(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: SectionOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    type_answers: TypeOption = False,
    db: DbOption = None,
) -> None:
    """Practise any cards now, weakest first, without changing their schedule.

    For the night before an exam: every card in the deck or section comes up once (a card
    answered Again comes back at the end). Answers are logged as cram: they do not move due
    dates and do not count as reviews in stats or optimisation.
    """
    from recall1924.review import cram_session

    app_obj = app_for(ctx, db)
    scope = app_obj.store.scope(deck, section)
    session = cram_session(
        app_obj.store,
        app_obj.settings,
        app_obj.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=_typed(app_obj, type_answers),
    )
    _run_session(app_obj, session, scope, typing=type_answers or app_obj.settings.type_answers)


def _suspend(
    ctx: typer.Context, keys: list[str], deck: str | None, db: Path | None, on: bool
) -> None:
    app_obj = app_for(ctx, db)
    ids = app_obj.store.card_ids(keys, deck)
    app_obj.store.set_suspended(ids.values(), on)
    show_notices(app_obj)
    verb = "Suspended" if on else "Unsuspended"
    typer.echo(f"{verb} {plural(len(ids), 'card')}: {', '.join(ids)}")


CardKeys = Annotated[list[str], typer.Argument(help="Card ids (see recall cards).")]


@app.command()
def suspend(
    ctx: typer.Context, keys: CardKeys, deck: DeckOption = None, db: DbOption = None
) -> None:
    """Suspend cards: they are never due until unsuspended (their history is kept)."""
    _suspend(ctx, keys, deck, db, True)


@app.command()
def unsuspend(
    ctx: typer.Context, keys: CardKeys, deck: DeckOption = None, db: DbOption = None
) -> None:
    """Bring suspended cards back into the schedule."""
    _suspend(ctx, keys, deck, db, False)
