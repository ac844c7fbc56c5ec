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


def _app(ctx: typer.Context, db: Path | None) -> App:
    """The App for this command.

    The database is ``--db`` after the command, else ``--db`` before it, else ``RECALL_DB``,
    else the user data folder.
    """
    from recall1924.clock import clock_from_env
    from recall1924.context import App
    from recall1924.paths import resolve_db_path

    chosen = db or ctx.find_root().params.get("db") or os.environ.get("RECALL_DB")
    app_obj = App(resolve_db_path(chosen), clock_from_env(os.environ.get("RECALL_NOW")))
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
    path: Annotated[Path, typer.Argument(help="The deck file (.toml).", show_default=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete cards no longer in the file, with their history."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a deck file, or update a deck from its edited file.

    Cards are matched by id, so reworded cards keep their review history. Nothing is written
    if the file has any error.
    """
    from recall1924.importers import import_deck, plan_import, read_deck
    from recall1924.ui.reports import print_import

    deck_spec = read_deck(path)  # before opening the database: a bad file changes nothing
    app_obj = _app(ctx, db)
    if dry_run and not app_obj.db_path.exists():
        # Opening would create the collection (and import the bundled deck): a dry run must not.
        plan = plan_import(deck_spec, None, prune=prune)
    else:
        plan = import_deck(
            app_obj.store, deck_spec, now=app_obj.clock.now(), prune=prune, dry_run=dry_run
        )
    _notices(app_obj)
    print_import(app_obj.console, plan, dry_run=dry_run)


@app.command()
def decks(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the decks in the collection."""
    from dataclasses import asdict

    from recall1924.ui.reports import print_decks

    app_obj = _app(ctx, db)
    found = app_obj.store.decks()
    _notices(app_obj)
    if as_json:
        _print_json([asdict(deck) for deck in found])
    else:
        print_decks(app_obj.console, found)


@config_app.callback()
def config(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Show every setting and its value."""
    if ctx.invoked_subcommand is not None:
        return
    from recall1924.ui.reports import print_settings

    app_obj = _app(ctx, db)
    values = app_obj.settings.as_text()
    changed = set(app_obj.store.settings())
    _notices(app_obj)
    if as_json:
        _print_json(values)
    else:
        print_settings(app_obj.console, values, changed)


@config_app.command("set")
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
