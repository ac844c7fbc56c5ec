"""The ``recall`` command: parse the command line, build the :class:`App`, call one service,
print the result (or ``--json``). No SQL and no scheduling here.

Imports are lazy: ``recall --help`` and ``--version`` load typer and nothing of the database,
scheduler or terminal stack.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from recall1924 import __version__
from recall1924.words import plural

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.review import ReviewSession
    from recall1924.stats import StatsReport
    from recall1924.store import Scope


class RecallGroup(TyperGroup):
    """Turns recall's own errors into one line each on stderr and their exit code."""

    def invoke(self, ctx: Any) -> Any:
        from recall1924.errors import RecallError

        try:
            return super().invoke(ctx)
        except RecallError as exc:
            for line in str(exc).splitlines() or [type(exc).__name__]:
                typer.echo(f"recall: {line}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            # SQLite saying no (locked past the busy timeout, disk full, read-only file, a
            # constraint another recall got to first) is the user's environment, not a bug:
            # one line; the transaction was rolled back.
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import DBAPIError

                if isinstance(exc, DBAPIError):
                    typer.echo(f"recall: database error: {exc.orig}", err=True)
                    ctx.exit(1)
            raise


app = typer.Typer(
    name="recall",
    cls=RecallGroup,
    help="Spaced-repetition flashcards in the terminal, scheduled by FSRS.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(
    help="Show or change settings (scheduler, daily limits, day start).",
    invoke_without_command=True,
)
app.add_typer(config_app, name="config")
decks_app = typer.Typer(
    help="List the decks in the collection, or remove one.", invoke_without_command=True
)
app.add_typer(decks_app, name="decks")

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Database file [env: RECALL_DB; default: the user data folder].",
        dir_okay=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
DeckOption = Annotated[str | None, typer.Option("--deck", help="Only this deck (its id).")]


def _app(ctx: typer.Context, db: Path | None, *, bundled: bool = True) -> App:
    """The App for this command.

    The database is ``--db`` after the command, else ``--db`` before it, else ``RECALL_DB``,
    else the user data folder. ``bundled``: a new collection starts with the bundled deck.
    """
    from recall1924.clock import clock_from_env
    from recall1924.context import App
    from recall1924.paths import resolve_db_path

    chosen = db or ctx.find_root().params.get("db") or os.environ.get("RECALL_DB")
    app_obj = App(
        resolve_db_path(chosen), clock_from_env(os.environ.get("RECALL_NOW")), bundled=bundled
    )
    ctx.call_on_close(app_obj.close)
    return app_obj


def _notices(app_obj: App) -> None:
    from recall1924.ui.reports import print_notices

    print_notices(app_obj.err_console, app_obj.notices)
    app_obj.notices.clear()


def _report(
    app_obj: App, deck: str | None = None, *, full: bool = False, sort: str = "deck"
) -> StatsReport:
    from recall1924.scheduling import decay_of
    from recall1924.stats import build_report, find_exam

    start, _end = app_obj.day()
    # One deck's stats use its own parameters and settings (recall config set --deck).
    settings = app_obj.settings if deck is None else app_obj.settings_for(deck)
    scheduler = app_obj.scheduler if deck is None else app_obj.scheduler_for(deck)
    return build_report(
        app_obj.store,
        now=app_obj.clock.now(),
        day_start=start,
        decay=decay_of(scheduler),
        scope=app_obj.store.scope(deck),
        settings=settings,
        exam=find_exam(app_obj.store, deck),
        sort="mastery" if sort == "mastery" else "deck",
        full=full,
    )


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"recall {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Spaced-repetition flashcards in the terminal, scheduled by FSRS.

    Run with no command for today at a glance.
    """
    if ctx.invoked_subcommand is None:
        overview(ctx, db)


def overview(ctx: typer.Context, db: Path | None) -> None:
    """Today at a glance: due and new cards per section, and the next step."""
    from recall1924.review import todays_queue
    from recall1924.store import Scope
    from recall1924.ui.reports import print_overview

    app_obj = _app(ctx, db)
    report = _report(app_obj)
    now = app_obj.clock.now()
    waiting = todays_queue(app_obj.store, app_obj.settings, Scope(), now)
    next_due = app_obj.store.next_due(Scope())
    _notices(app_obj)
    print_overview(app_obj.console, report, waiting, next_due, now)


SectionOption = Annotated[str | None, typer.Option("--section", help="Only this section (its id).")]
LimitOption = Annotated[
    int | None, typer.Option("--limit", min=1, help="At most this many different cards.")
]
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
    _notices(app_obj)
    # From a pipe, newlines are only separators, but they submit a typed answer.
    keys = TerminalKeys() if sys.stdin.isatty() else StreamKeys(keep_enter=typing)
    with keys:
        summary = run(session, TerminalReviewUI(app_obj.console, keys))
    now = app_obj.clock.now()
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

    from recall1924.exam import exam_start
    from recall1924.review import scheduled_session
    from recall1924.scheduling import decay_of
    from recall1924.stats import find_exam

    app_obj = _app(ctx, db)
    scope = app_obj.store.scope(deck, section)
    exam_for = cache(lambda deck_key: find_exam(app_obj.store, deck_key))
    # With an exam set, reviews come weakest-on-exam-day first.
    first = exam_for(deck) if deck else find_exam(app_obj.store)
    exam_order = (
        None
        if first is None
        else (exam_start(first.day, app_obj.settings.day_starts_at), decay_of(app_obj.scheduler))
    )
    session = scheduled_session(
        app_obj.store,
        app_obj.scheduler_for,
        app_obj.settings,
        app_obj.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=type_answers or (lambda deck_key: app_obj.settings_for(deck_key).type_answers),
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

    app_obj = _app(ctx, db)
    scope = app_obj.store.scope(deck, section)
    session = cram_session(
        app_obj.store,
        app_obj.settings,
        app_obj.clock,
        scope=scope,
        limit=limit,
        minutes=minutes,
        typed=type_answers or (lambda deck_key: app_obj.settings_for(deck_key).type_answers),
    )
    _run_session(app_obj, session, scope, typing=type_answers or app_obj.settings.type_answers)


def _suspend(
    ctx: typer.Context, keys: list[str], deck: str | None, db: Path | None, on: bool
) -> None:
    app_obj = _app(ctx, db)
    ids = app_obj.store.card_ids(keys, deck)
    app_obj.store.set_suspended(ids.values(), on)
    _notices(app_obj)
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


@app.command()
def stats(
    ctx: typer.Context,
    deck: DeckOption = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort", help="Section order: deck (as in the deck) or mastery (weakest first)."
        ),
    ] = "deck",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Per-section mastery and retention, the 30-day forecast, history and, once an exam is
    set, exam readiness."""
    if sort not in ("deck", "mastery"):
        raise typer.BadParameter("expected deck or mastery", param_hint="--sort")
    app_obj = _app(ctx, db)
    report = _report(app_obj, deck, full=True, sort=sort)
    _notices(app_obj)
    if as_json:
        _print_json(report.to_json())
    else:
        from recall1924.ui.stats import print_stats

        print_stats(app_obj.console, report)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="The deck file: recall TOML, CSV/TSV (Anki text exports too), or an Anki "
            "package (.apkg, .colpkg, .anki2).",
            show_default=False,
        ),
    ] = None,
    deck: Annotated[
        str | None, typer.Option("--deck", help="Put every card into the deck with this id.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="toml, csv or apkg [default: told from the file's content]."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete cards no longer in the file, with their history."),
    ] = False,
    bundled: Annotated[
        bool,
        typer.Option(
            "--bundled",
            help="Import the deck that ships with recall (cards it no longer has are "
            "suspended, history kept).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import decks from a file, or update them from a newer or edited copy.

    Cards are matched by id (Anki notes by their GUID), so reworded cards keep their review
    history, and an Anki package's review history comes along. All or nothing: a file with any
    error changes nothing, and the database is backed up before anything is written.
    """
    from recall1924.importers import (
        FORMATS,
        ImportReport,
        ReadResult,
        import_decks,
        plan_import,
        read_bundled,
        read_decks,
    )
    from recall1924.ui.reports import print_import

    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    if (path is None) == (not bundled):
        raise typer.BadParameter("give a deck file, or --bundled (not both)", param_hint="PATH")
    # Read before opening the database: a bad file changes nothing, not even a new collection.
    read = (
        ReadResult((read_bundled(),)) if path is None else read_decks(path, fmt=fmt, deck_key=deck)
    )
    app_obj = _app(ctx, db, bundled=False)
    if dry_run and not app_obj.db_path.exists():
        # Opening would create the collection: a dry run must not.
        plans = tuple(plan_import(spec, None, prune=prune) for spec in read.decks)
        report = ImportReport(plans, read.skipped)
    else:
        from recall1924.ui.progress import delayed_progress

        store = app_obj.store
        first = store.deck_count() == 0
        if bundled:
            from recall1924.bundled import import_bundled

            # As the automatic update does: cards gone from the shipped deck are retired
            # (suspended, history kept) unless --prune deletes them.
            update = import_bundled(
                store,
                read.decks[0],
                now=app_obj.clock.now(),
                prune=prune,
                dry_run=dry_run,
                backup=None if first else app_obj.backup,
            )
            report = ImportReport((update.plan,), backup=update.backup)
            if update.retired or update.restored:
                app_obj.notices.append(update.notice())
        else:
            with delayed_progress(app_obj.err_console, "Importing") as progress:
                report = import_decks(
                    store,
                    read.decks,
                    now=app_obj.clock.now(),
                    replay=app_obj.replay,
                    prune=prune,
                    dry_run=dry_run,
                    skipped=read.skipped,
                    backup=None if first else app_obj.backup,
                    progress=progress,
                )
        if first and not bundled and not dry_run:
            app_obj.notices.append(
                "This new collection holds only what you imported; "
                "add the bundled deck with: recall import --bundled"
            )
    _notices(app_obj)
    print_import(app_obj.console, report, dry_run=dry_run)


@decks_app.callback()
def decks(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the decks in the collection."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict

    from recall1924.ui.reports import print_decks

    app_obj = _app(ctx, db)
    found = app_obj.store.decks()
    _notices(app_obj)
    if as_json:
        # "key" was this list's name for the deck's id; it stays, as an alias, for one release.
        _print_json([{"id": deck.key} | asdict(deck) for deck in found])
    else:
        print_decks(app_obj.console, found)


@decks_app.command("remove")
def decks_remove(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The deck's id (see recall decks).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a deck with its cards and their review history (backed up first)."""
    app_obj = _app(ctx, db, bundled=False)
    deck = next((found for found in app_obj.store.decks() if found.key == key), None)
    if deck is None:
        app_obj.store.scope(key)  # raises, naming the decks there are
        return
    if not yes:
        typer.confirm(
            f"Delete deck {deck.key!r} ({deck.title}) with its {deck.cards} cards and their "
            "history?",
            abort=True,
        )
    saved = app_obj.backup()
    cards = app_obj.store.remove_deck(key)
    _notices(app_obj)
    typer.echo(
        f"Deleted deck {key!r} and its {cards} cards; the collection before is kept at {saved}"
    )


# The browser's choices, spelled here so that --help and a bad value are caught before the
# database stack loads; tests/test_browse.py checks they match browse.StateFilter and SortKey.
CARD_STATES = ("new", "learning", "relearning", "review", "suspended", "leech")
CARD_SORTS = ("due", "retrievability", "lapses")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


@app.command()
def cards(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section (its id).")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            metavar="TEXT",
            help="Only cards whose question or answer holds TEXT (any case).",
        ),
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            metavar="STATE",
            callback=_one_of(CARD_STATES),
            help="Only new, learning (with relearning), relearning, review, suspended or leech "
            "(forgotten leech_threshold times or more) cards.",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="ORDER",
            callback=_one_of(CARD_SORTS),
            help="due (soonest first), retrievability (weakest first) or lapses (most first) "
            "[default: deck order].",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            metavar="N",
            help="At most N cards, 0 for all [default: 200 in the table, all with --json].",
        ),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List cards with their memory state, one per line: filter, search and sort them."""
    from recall1924.browse import TABLE_ROWS, SortKey, StateFilter, list_cards
    from recall1924.scheduling import decay_of
    from recall1924.ui.browser import print_cards

    app_obj = _app(ctx, db)
    scope = app_obj.store.scope(deck, section)
    now = app_obj.clock.now()
    listing = list_cards(
        app_obj.store.card_records(scope),
        now=now,
        day_starts_at=app_obj.settings.day_starts_at,
        decay=decay_of(app_obj.scheduler),
        search=search,
        state=None if state is None else StateFilter(state),
        sort=None if sort is None else SortKey(sort),
        limit=(None if as_json else TABLE_ROWS) if limit is None else (limit or None),
        leech_threshold=app_obj.settings.leech_threshold,
    )
    _notices(app_obj)
    if as_json:
        # One card per line: the indented form takes seconds to print for a large collection.
        encode = json.JSONEncoder(ensure_ascii=False).encode
        rows = [encode(row.to_json()) for row in listing.rows]
        typer.echo("[\n" + ",\n".join(rows) + "\n]" if rows else "[]")
    else:
        print_cards(app_obj.console, listing, now=now)


@app.command()
def leeches(
    ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False, db: DbOption = None
) -> None:
    """List the leeches: cards forgotten leech_threshold times or more, to rewrite or split.

    The same as recall cards --state leech --sort lapses.
    """
    cards(ctx, deck=deck, state="leech", sort="lapses", as_json=as_json, db=db)


@app.command()
def card(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The card's id in its deck (see recall cards).")],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="The card's deck (its id), when several decks have KEY."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One card in full: its text, its memory state now and every answer given to it."""
    from recall1924.browse import card_report
    from recall1924.scheduling import decay_of
    from recall1924.ui.browser import print_card

    app_obj = _app(ctx, db)
    store = app_obj.store
    if deck is not None:
        store.scope(deck)  # raises, naming the decks there are
    card_id = store.card_ids([key], deck)[key]
    now = app_obj.clock.now()
    report = card_report(
        store.card_detail(card_id),
        store.card_history(card_id),
        now=now,
        day_starts_at=app_obj.settings.day_starts_at,
        decay=decay_of(app_obj.scheduler),
    )
    _notices(app_obj)
    if as_json:
        _print_json(report.to_json())
    else:
        print_card(app_obj.console, report, now=now)


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The file to write.", dir_okay=False),
    ],
    deck: DeckOption = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="toml, csv or apkg [default: from the file's suffix]."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write decks to a file: recall TOML, CSV for a spreadsheet, or an Anki package with the
    review history."""
    from recall1924.exporters import export_decks

    app_obj = _app(ctx, db)
    specs = app_obj.store.deck_specs(deck)
    written = export_decks(specs, output, fmt=fmt, now=app_obj.clock.now())
    _notices(app_obj)
    cards = sum(len(spec.cards) for spec in specs)
    typer.echo(
        f"Wrote {plural(len(specs), 'deck')} ({plural(cards, 'card')}) to {output} as {written}"
    )


@app.command()
def exam(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Argument(help="The exam date, YYYY-MM-DD.", show_default=False),
    ] = None,
    deck: Annotated[
        str | None, typer.Option("--deck", help="For this deck only (its id); else every deck.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Chance of recall to reach by then, e.g. 0.9 or 90%."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the exam date.")] = False,
    db: DbOption = None,
) -> None:
    """Set the exam date: recall stats then predicts recall on the day and plans the reviews.

    With no date, shows the exam set (for --deck, or for every deck).
    """
    from recall1924.exam import (
        DEFAULT_TARGET,
        EXAM_DATE_KEY,
        EXAM_TARGET_KEY,
        day_of,
        parse_day,
        parse_target,
    )
    from recall1924.store import GLOBAL_SCOPE

    if clear and (day is not None or target is not None):
        raise typer.BadParameter("--clear takes no date or target", param_hint="--clear")
    chosen = parse_day(day) if day is not None else None
    goal = parse_target(target) if target is not None else None
    app_obj = _app(ctx, db)
    where = GLOBAL_SCOPE
    if deck is not None:
        app_obj.store.scope(deck)  # raises for an unknown deck
        where = deck
    label = f"deck {deck!r}" if deck else "every deck"
    if clear:
        app_obj.store.save_setting(EXAM_DATE_KEY, None, where)
        app_obj.store.save_setting(EXAM_TARGET_KEY, None, where)
        _notices(app_obj)
        typer.echo(f"No exam set for {label}.")
        return
    if chosen is None:
        if goal is not None:
            raise typer.BadParameter("give the exam date with the target", param_hint="DAY")
        from recall1924.exam import read_exam

        found = read_exam(app_obj.store.settings(where))
        _notices(app_obj)
        if found is None:
            typer.echo(f"No exam set for {label}. Set one with: recall exam YYYY-MM-DD")
        else:
            typer.echo(f"Exam for {label}: {found.day.isoformat()}, target {found.target:.0%}")
        return
    today = day_of(app_obj.clock.now(), app_obj.settings.day_starts_at)
    if chosen <= today:
        raise typer.BadParameter(
            f"{chosen.isoformat()} is not after today ({today.isoformat()})", param_hint="DAY"
        )
    goal = DEFAULT_TARGET if goal is None else goal
    app_obj.store.save_setting(EXAM_DATE_KEY, chosen.isoformat(), where)
    app_obj.store.save_setting(EXAM_TARGET_KEY, repr(goal), where)
    _notices(app_obj)
    typer.echo(
        f"Exam for {label}: {chosen.isoformat()} (in {(chosen - today).days} days), "
        f"target {goal:.0%}. See the plan with: recall stats" + (f" --deck {deck}" if deck else "")
    )


@app.command()
def optimize(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Fit this deck's own parameters [default: the collection's]."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fit and report; save and change nothing.")
    ] = False,
    retention: Annotated[
        bool,
        typer.Option(
            "--retention",
            help="Instead, simulate a year's workload at desired retentions 0.70-0.97 and "
            "suggest one.",
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Fit the FSRS parameters to your own answers and use them if they predict better.

    Prints log loss and RMSE(bins) of the current and the fitted parameters on the same
    answers. Saving recomputes every card's memory state and due date from its history (the
    database is backed up first).
    """
    from recall1924.optimize import optimize as run_optimize
    from recall1924.optimize import suggest_retention

    app_obj = _app(ctx, db, bundled=False)
    if retention:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        settings = app_obj.settings if deck is None else app_obj.settings_for(deck)
        cards = sum(
            found.cards for found in app_obj.store.decks() if deck is None or found.key == deck
        )
        suggested, rows = suggest_retention(settings, cards=cards)
        _notices(app_obj)
        if as_json:
            _print_json(
                {
                    "suggested": suggested,
                    "current": settings.desired_retention,
                    "rows": [
                        {
                            "retention": row.retention,
                            "reviews_per_day": row.reviews_per_day,
                            "minutes_per_day": row.minutes_per_day,
                            "remembered": row.remembered,
                            "introduced": row.introduced,
                        }
                        for row in rows
                    ],
                }
            )
        else:
            from recall1924.ui.optimize import print_retention

            print_retention(app_obj.console, suggested, rows, settings.desired_retention)
        return
    report = run_optimize(
        app_obj.store,
        deck_key=deck,
        global_settings=app_obj.settings,
        settings_for=app_obj.settings_for,
        dry_run=dry_run,
        backup=app_obj.backup,
    )
    _notices(app_obj)
    if as_json:
        _print_json(report.to_json())
    else:
        from recall1924.ui.optimize import print_optimize

        print_optimize(app_obj.console, report)


@config_app.callback()
def config(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Show this deck's effective settings, marking its own."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show every setting and its value."""
    if ctx.invoked_subcommand is not None:
        return
    from recall1924.ui.reports import print_settings

    app_obj = _app(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        deck_settings = app_obj.settings_for(deck)
        own = set(app_obj.store.settings(deck))
        _notices(app_obj)
        if as_json:
            _print_json({"deck": deck, "settings": deck_settings.as_json(), "own": sorted(own)})
        else:
            changed = set(app_obj.store.settings())
            print_settings(app_obj.console, deck_settings.as_display(), changed, deck=deck, own=own)
        return
    settings = app_obj.settings  # a stored value it cannot read is a notice, not an error
    changed = set(app_obj.store.settings())
    _notices(app_obj)
    if as_json:
        _print_json(settings.as_json())
    else:
        print_settings(app_obj.console, settings.as_display(), changed)


# Unknown options pass through as arguments so that a negative value (`new_per_day -1`)
# reaches the setting's own validation instead of "No such option: -1".
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting, e.g. new_per_day.")],
    value: Annotated[str, typer.Argument(help="Its new value, e.g. 30 or '1m 10m'.")],
    deck: Annotated[str | None, typer.Option("--deck", help="Only for this deck (its id).")] = None,
    db: DbOption = None,
) -> None:
    """Change a setting (for every deck, or with --deck for one)."""
    from recall1924.settings import canonical_text, check_deck_setting

    stored = canonical_text(key, value)  # validated before the database is opened
    if deck is not None:
        check_deck_setting(key)
    app_obj = _app(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
    app_obj.store.save_setting(key, stored, *(() if deck is None else (deck,)))
    _notices(app_obj)
    typer.echo(f"{key} = {stored}" + ("" if deck is None else f" (deck {deck})"))


@config_app.command("reset")
def config_reset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting to put back to its default.")],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Only this deck's own value: it follows the collection again."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Put a setting back to its default (with --deck: to the collection's value)."""
    from recall1924.settings import definition

    item = definition(key)
    app_obj = _app(ctx, db)
    if deck is not None:
        app_obj.store.scope(deck)  # names the decks there are when there is no such deck
        app_obj.store.save_setting(key, None, deck)
        shown = item.format(getattr(app_obj.settings, key))
        _notices(app_obj)
        typer.echo(f"{key} = {shown} (deck {deck} follows the collection)")
        return
    app_obj.store.save_setting(key, None)
    _notices(app_obj)
    typer.echo(f"{key} = {item.default} (default)")


def main() -> None:
    """Entry point of the ``recall`` command."""
    app(prog_name="recall")
