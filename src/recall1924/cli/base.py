"""What every ``recall`` command shares: the typer app and its groups, the error handling that
turns recall's errors into one line, the common options, and building the
:class:`~recall1924.context.App` a command runs with.
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
                    typer.echo(f"recall: {_database_line(ctx, exc.orig or exc)}", err=True)
                    ctx.exit(1)
            raise


def _database_line(ctx: Any, error: BaseException) -> str:
    """What SQLite's refusal means for this command's database, in one line."""
    from recall1924.db import refusal
    from recall1924.errors import ReadOnlyDatabaseError

    found = getattr(ctx.find_root(), "obj", None)
    path = getattr(found, "db_path", "the database")
    refused = refusal(error)
    if refused == "readonly":
        return str(ReadOnlyDatabaseError.at(path, "can show it but not change it"))
    if refused == "full":
        return f"the disk holding {path} is full: nothing was changed; free some space"
    return f"database error: {error}"


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


def app_for(ctx: typer.Context, db: Path | None, *, bundled: bool = True) -> App:
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
    ctx.find_root().obj = app_obj  # for the error lines, which name the database
    return app_obj


def show_notices(app_obj: App) -> None:
    from recall1924.ui.reports import print_notices

    print_notices(app_obj.err_console, app_obj.notices)
    app_obj.notices.clear()


def report_for(
    app_obj: App,
    deck: str | None = None,
    *,
    full: bool = False,
    sort: str = "deck",
    glance: bool = False,
) -> StatsReport:
    """The stats of every deck, or of ``deck``, now (``full`` and ``glance``: see
    :func:`~recall1924.stats.build_report`)."""
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
        deck_decays=app_obj.deck_decays() if deck is None else None,
        glance=glance,
    )


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, readable in any script (é, Кремль) and inert on a
    terminal: controls and invisible format characters in deck text are ``\\uXXXX`` escapes."""
    from recall1924.ui.text import visible_json

    typer.echo(visible_json(json.dumps(data, indent=2, ensure_ascii=False)))


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

    app_obj = app_for(ctx, db)
    # Due, new and mastery per section are all the glance shows: only those are summed over
    # the cards, and no answer is read (retention reads every one ever given).
    report = report_for(app_obj, glance=True)
    now = app_obj.clock.now()
    waiting = todays_queue(app_obj.store, app_obj.settings, Scope(), now, app_obj.deck_limits())
    next_due = app_obj.store.next_due(Scope())
    show_notices(app_obj)
    print_overview(app_obj.console, report, waiting, next_due, now)


SectionOption = Annotated[str | None, typer.Option("--section", help="Only this section (its id).")]
LimitOption = Annotated[
    int | None, typer.Option("--limit", min=1, help="At most this many different cards.")
]


def main() -> None:
    """Entry point of the ``recall`` command."""
    app(prog_name="recall")
