"""The ``recall`` command: parse the command line, build the :class:`App`, call one service,
print the result (or ``--json``). No SQL and no scheduling here.

Imports are lazy: ``recall --help`` and ``--version`` load typer and nothing of the database,
scheduler or terminal stack.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from recall1924 import __version__

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.stats import StatsReport


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


def _report(app_obj: App, deck: str | None = None) -> StatsReport:
    from recall1924.scheduling import decay_of
    from recall1924.stats import build_report

    start, _end = app_obj.day()
    return build_report(
        app_obj.store,
        now=app_obj.clock.now(),
        day_start=start,
        decay=decay_of(app_obj.scheduler),
        scope=app_obj.store.scope(deck),
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


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section (its id).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many different cards.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Review the cards due today, one keypress at a time.

    Space or Enter shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy rate it (each key shows
    the interval it gives); u undoes the last answer; q or Ctrl-C ends the session. Every answer
    is saved the moment it is given.
    """
    from recall1924.review import ReviewSession, run
    from recall1924.ui.reports import print_summary
    from recall1924.ui.review import StreamKeys, TerminalKeys, TerminalReviewUI

    app_obj = _app(ctx, db)
    scope = app_obj.store.scope(deck, section)
    session = ReviewSession(
        app_obj.store,
        app_obj.scheduler,
        app_obj.settings,
        app_obj.clock,
        scope=scope,
        limit=limit,
    )
    _notices(app_obj)
    keys = TerminalKeys() if sys.stdin.isatty() else StreamKeys()
    with keys:
        summary = run(session, TerminalReviewUI(app_obj.console, keys))
    print_summary(app_obj.console, summary, app_obj.store.next_due(scope), app_obj.clock.now())


@app.command()
def stats(
    ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False, db: DbOption = None
) -> None:
    """Per-section mastery and retention, totals and reviews today."""
    from recall1924.ui.reports import print_stats

    app_obj = _app(ctx, db)
    report = _report(app_obj, deck)
    _notices(app_obj)
    if as_json:
        _print_json(report.to_json())
    else:
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
        bool, typer.Option("--bundled", help="Import the deck that ships with recall.")
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
        store = app_obj.store
        first = store.deck_count() == 0
        report = import_decks(
            store,
            read.decks,
            now=app_obj.clock.now(),
            replay=app_obj.replay,
            prune=prune,
            dry_run=dry_run,
            skipped=read.skipped,
            backup=None if first else app_obj.backup,
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
        _print_json([asdict(deck) for deck in found])
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
        if not sys.stdin.isatty():
            raise typer.BadParameter("not a terminal to ask in: add --yes", param_hint="--yes")
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
    typer.echo(f"Wrote {len(specs)} deck(s), {cards} cards, to {output} ({written})")


@config_app.callback()
def config(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Show every setting and its value."""
    if ctx.invoked_subcommand is not None:
        return
    from recall1924.ui.reports import print_settings

    app_obj = _app(ctx, db)
    settings = app_obj.settings  # a stored value it cannot read is a notice, not an error
    changed = set(app_obj.store.settings())
    _notices(app_obj)
    if as_json:
        _print_json(settings.as_text())
    else:
        print_settings(app_obj.console, settings.as_display(), changed)


# Unknown options pass through as arguments so that a negative value (`new_per_day -1`)
# reaches the setting's own validation instead of "No such option: -1".
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting, e.g. new_per_day.")],
    value: Annotated[str, typer.Argument(help="Its new value, e.g. 30 or '1m 10m'.")],
    db: DbOption = None,
) -> None:
    """Change a setting."""
    from recall1924.settings import canonical_text

    stored = canonical_text(key, value)  # validated before the database is opened
    app_obj = _app(ctx, db)
    app_obj.store.save_setting(key, stored)
    _notices(app_obj)
    typer.echo(f"{key} = {stored}")


@config_app.command("reset")
def config_reset(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The setting to put back to its default.")],
    db: DbOption = None,
) -> None:
    """Put a setting back to its default."""
    from recall1924.settings import definition

    item = definition(key)
    app_obj = _app(ctx, db)
    app_obj.store.save_setting(key, None)
    _notices(app_obj)
    typer.echo(f"{key} = {item.default} (default)")


def main() -> None:
    """Entry point of the ``recall`` command."""
    app(prog_name="recall")
