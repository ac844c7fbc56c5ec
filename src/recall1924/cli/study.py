"""Studying: review, cram, suspending cards, and sending them back to new."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.query import QueryOption, parse_query, query_scope
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.query import Query
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
from recall1924.collector import collector_off_until_started

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


def _run_session(
    app_obj: App,
    session: ReviewSession,
    scope: Scope,
    *,
    typing: bool,
    started: Callable[[], None] = lambda: None,
) -> None:
    """Run a session in this terminal (or on keys from a pipe), then print its summary;
    ``started`` is called as the session begins."""
    from recall1924.review import run
    from recall1924.review.service import finish
    from recall1924.ui.reports import print_summary
    from recall1924.ui.review import TerminalReviewUI
    from recall1924.ui.terminal import StreamKeys, TerminalKeys

    app_obj.store.check_writable()  # before the first card, not at the first answer
    show_notices(app_obj)
    # From a pipe, newlines are only separators, but they submit a typed answer.
    keys = TerminalKeys() if sys.stdin.isatty() else StreamKeys(keep_enter=typing)
    with keys:
        started()
        summary = run(session, TerminalReviewUI(app_obj.console, keys))
    outlook = finish(app_obj, summary, scope)
    if summary.answers:  # a backup that failed says so (what the session said was shown)
        show_notices(app_obj)
    print_summary(
        app_obj.console, summary, outlook.next_due, outlook.now, tomorrow=outlook.tomorrow
    )


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: SectionOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    type_answers: TypeOption = False,
    query: QueryOption = None,
    db: DbOption = None,
) -> None:
    """Review the cards due today, one keypress at a time; with --query, only those it
    matches.

    Space or Enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy rate it (each key shows
    the interval it gives); s suspends, b buries until tomorrow; e edits the card in your
    editor, f flags it (with a reason if you type one); u undoes; ? lists every key;
    arrows and PgUp/PgDn scroll a long card; q or Ctrl-C ends the session. Every answer is
    saved the moment it is given. With --type, type the answer (Enter checks it, Alt-Enter
    starts a new line), then Enter takes the suggested rating or 1-4 change it.
    """
    from recall1924.review.service import start_review

    found = parse_query(query)  # a bad query stops here, before the collection is opened
    with collector_off_until_started() as started:
        app_obj = app_for(ctx, db)
        scope = query_scope(app_obj, found, deck, section)
        session = start_review(
            app_obj, scope, deck=deck, limit=limit, minutes=minutes, typed=type_answers
        )
        typing = type_answers or app_obj.settings.type_answers
        _run_session(app_obj, session, scope, typing=typing, started=started)


@app.command()
def cram(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: SectionOption = None,
    limit: LimitOption = None,
    minutes: MinutesOption = None,
    type_answers: TypeOption = False,
    query: QueryOption = None,
    db: DbOption = None,
) -> None:
    """Practise any cards now, weakest first, without changing their schedule.

    For the night before an exam: every card in the deck or section (that --query matches)
    comes up once (a card answered Again comes back at the end). Answers are logged as cram:
    they do not move due dates and do not count as reviews in stats or optimisation.
    """
    from recall1924.review.service import start_cram

    found = parse_query(query)
    app_obj = app_for(ctx, db)
    scope = query_scope(app_obj, found, deck, section)
    session = start_cram(app_obj, scope, limit=limit, minutes=minutes, typed=type_answers)
    _run_session(app_obj, session, scope, typing=type_answers or app_obj.settings.type_answers)


def _suspend(
    ctx: typer.Context,
    keys: list[str] | None,
    deck: str | None,
    query: str | None,
    db: str | None,
    on: bool,
) -> None:
    verb = "Suspended" if on else "Unsuspended"
    found = _keys_or_query(keys, query)
    app_obj = app_for(ctx, db)
    if query is not None and found is not None:
        changed = app_obj.store.set_suspended_where(query_scope(app_obj, found, deck), on)
        show_notices(app_obj)
        typer.echo(f"{verb} {plural(changed, 'card')} matching {query!r}")
        return
    ids = app_obj.store.card_ids(keys or [], deck)
    app_obj.store.set_suspended(ids.values(), on)
    show_notices(app_obj)
    typer.echo(f"{verb} {plural(len(ids), 'card')}: {', '.join(ids)}")


def _keys_or_query(keys: list[str] | None, query: str | None) -> Query | None:
    """The query of a command given card ids or ``--query`` (None for ids), read before the
    collection is opened, so that a bad one changes nothing.

    Raises:
        typer.BadParameter: both or neither given, or a query matching every card: an empty
            $QUERY in a script, say, would change every card (and unsuspending them again
            would lose which ones were suspended before).
    """
    if bool(keys) == (query is not None):
        raise typer.BadParameter("give card ids, or --query (not both)", param_hint="KEYS")
    if query is None:
        return None
    from recall1924.query import Everything

    found = parse_query(query)
    if isinstance(found, Everything):
        raise typer.BadParameter(
            "an empty query matches every card; name the cards (deck:ID, tag:NAME, "
            "is:suspended, ...)",
            param_hint="--query",
        )
    return found


CardKeys = Annotated[list[str], typer.Argument(help="Card ids (see recall cards).")]
SomeCardKeys = Annotated[
    list[str] | None,
    typer.Argument(help="Card ids (see recall cards), unless --query.", show_default=False),
]


@app.command()
def suspend(
    ctx: typer.Context,
    keys: SomeCardKeys = None,
    deck: DeckOption = None,
    query: QueryOption = None,
    db: DbOption = None,
) -> None:
    """Suspend cards, by id or every one --query matches: they are never due until
    unsuspended (their history is kept)."""
    _suspend(ctx, keys, deck, query, db, True)


@app.command()
def unsuspend(
    ctx: typer.Context,
    keys: SomeCardKeys = None,
    deck: DeckOption = None,
    query: QueryOption = None,
    db: DbOption = None,
) -> None:
    """Bring suspended cards back into the schedule, by id or every one --query matches."""
    _suspend(ctx, keys, deck, query, db, False)


@app.command()
def forget(
    ctx: typer.Context,
    keys: SomeCardKeys = None,
    deck: DeckOption = None,
    query: QueryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Send cards back to new, by id or every one --query matches, as Anki's Forget: their
    history is kept, a reset is logged, and their memory state starts again from their next
    answer. With --query, asks first and backs the collection up first."""
    found = _keys_or_query(keys, query)
    app_obj = app_for(ctx, db)
    if query is None or found is None:
        from recall1924.forgetting import forget as reset_to_new

        done = reset_to_new(app_obj.store, keys or [], deck_key=deck, now=app_obj.clock.now())
        show_notices(app_obj)
        typer.echo(done.summary())
        return
    from recall1924.forgetting import forget_matching

    card_ids = app_obj.store.card_ids_where(query_scope(app_obj, found, deck))
    if card_ids and not yes:
        whose = "its" if len(card_ids) == 1 else "their"
        typer.confirm(
            f"Reset the {plural(len(card_ids), 'card')} matching {query!r} to new ({whose} "
            "history is kept)?",
            abort=True,
        )
    matched = forget_matching(
        app_obj.store, card_ids, query, now=app_obj.clock.now(), backup=app_obj.backup
    )
    show_notices(app_obj)
    typer.echo(matched.summary())
