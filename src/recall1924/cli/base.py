"""What every ``recall`` command shares: the typer app and its groups, the error handling that
turns recall's errors into one line, the common options, and building the
:class:`~recall1924.context.App` a command runs with. The output options (``--json``, notices)
are in :mod:`.output`, re-exported here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from recall1924 import __version__
from recall1924.cli.output import JsonOption, print_json, show_notices
from recall1924.collector import collector_paused

if TYPE_CHECKING:
    from recall1924.context import App

__all__ = [
    "DbOption",
    "DeckOption",
    "JsonOption",
    "LimitOption",
    "SectionOption",
    "app",
    "app_for",
    "config_app",
    "decks_app",
    "main",
    "print_json",
    "show_notices",
]


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
        except KeyboardInterrupt:
            # Ctrl-C (a review reads it as a key, and never gets here): every write is one
            # transaction, so the one it stopped is rolled back, whole. 130, as a shell says.
            typer.echo("\nrecall: interrupted; nothing half-written was kept", err=True)
            ctx.exit(130)
        except Exception as exc:
            # SQLite saying no (locked past the busy timeout, disk full, read-only file, a
            # constraint another recall got to first) is the user's environment, not a bug:
            # one line; the transaction was rolled back.
            if "sqlalchemy" in sys.modules:
                from sqlalchemy.exc import DBAPIError

                if isinstance(exc, DBAPIError):
                    typer.echo(f"recall: {_database_line(ctx, exc.orig or exc)}", err=True)
                    ctx.exit(1)
            # The same refusals raised by a driver's own cursor (the store reads some things
            # through it, below SQLAlchemy).
            if _driver_error(exc):
                typer.echo(f"recall: {_database_line(ctx, exc)}", err=True)
                ctx.exit(1)
            raise


def _driver_error(error: BaseException) -> bool:
    """Whether ``error`` is sqlite3's or psycopg's own (only modules already loaded are asked:
    a command that never touched a database imports no driver here)."""
    drivers = [sys.modules.get(name) for name in ("sqlite3", "psycopg")]
    return any(driver is not None and isinstance(error, driver.Error) for driver in drivers)


def _database_line(ctx: Any, error: BaseException) -> str:
    """What SQLite's refusal means for this command's database, in one line."""
    from recall1924.db import refusal
    from recall1924.errors import DamagedDatabaseError, ReadOnlyDatabaseError

    found = getattr(ctx.find_root(), "obj", None)
    path = getattr(found, "location", "the database")
    refused = refusal(error)
    if refused == "readonly":
        return str(ReadOnlyDatabaseError.at(path, "can show it but not change it"))
    if refused == "full":
        return f"the disk holding {path} is full: nothing was changed; free some space"
    first = str(error).strip().partition("\n")[0]
    if refused == "damaged":
        return str(DamagedDatabaseError.at(path, first))
    # A server's message goes on with the statement and a caret under it: the first line
    # says what was refused.
    return f"database error: {first or type(error).__name__}"


app = typer.Typer(
    name="recall",
    cls=RecallGroup,
    help="Spaced-repetition flashcards in the terminal, scheduled by FSRS.",
    no_args_is_help=False,
    add_completion=True,
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
    str | None,
    typer.Option(
        "--db",
        "--database-url",
        metavar="FILE|URL",
        help="The collection: a SQLite file, or postgresql://USER@HOST/DATABASE "
        "[env: RECALL_DATABASE_URL, RECALL_DB; default: a file in the user data folder].",
    ),
]
DeckOption = Annotated[str | None, typer.Option("--deck", help="Only this deck (its id).")]


def app_for(ctx: typer.Context, db: str | Path | None, *, bundled: bool = True) -> App:
    """The App for this command.

    The collection is ``--db``/``--database-url`` after the command, else before it, else
    ``RECALL_DATABASE_URL``, else ``RECALL_DB``, else the file in the user data folder
    (:func:`~recall1924.location.locate`). ``bundled``: a new collection starts with the
    bundled deck.
    """
    from recall1924.clock import clock_from_env
    from recall1924.context import App
    from recall1924.location import locate

    chosen = db or ctx.find_root().params.get("db")
    app_obj = App(
        locate(None if chosen is None else str(chosen), os.environ),
        clock_from_env(os.environ.get("RECALL_NOW")),
        bundled=bundled,
    )
    ctx.call_on_close(app_obj.close)
    ctx.find_root().obj = app_obj  # for the error lines, which name the database
    return app_obj


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


@collector_paused()
def overview(ctx: typer.Context, db: str | None) -> None:
    """Today at a glance: due and new cards per section, and the next step.

    With the cycle collector paused (:func:`~recall1924.collector.collector_paused`): what the
    glance makes is the modules it imports (the database stack, Rich's tables) and a row per
    section, which live to the end or are freed by reference counting, so the passes the
    collector made over them while they were built (40 ms of CPU on a 100,000-card
    collection, a third of the glance's own work) found nothing to free.
    """
    from recall1924.readiness import glance
    from recall1924.ui.reports import print_overview

    app_obj = app_for(ctx, db)
    found = glance(app_obj)
    show_notices(app_obj)
    print_overview(app_obj.console, found.report, found.waiting, found.next_due, found.now)


SectionOption = Annotated[str | None, typer.Option("--section", help="Only this section (its id).")]
LimitOption = Annotated[
    int | None, typer.Option("--limit", min=1, help="At most this many different cards.")
]


def main() -> None:
    """Entry point of the ``recall`` command."""
    app(prog_name="recall")
