"""Moving the collection to another store: ``recall migrate-store --to``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it


@app.command("migrate-store")
def migrate_store(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="FILE|URL",
            help="Where to: a new SQLite file (or sqlite:///FILE), or an empty PostgreSQL "
            "database, postgresql://USER@HOST/DATABASE.",
        ),
    ],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Copy the whole collection to another store (a SQLite file to PostgreSQL, or back), all
    or nothing, with the counts checked on both sides. The collection itself is not changed."""
    from recall1924.location import DatabaseLocation
    from recall1924.moving import move_collection

    app_obj = app_for(ctx, db, bundled=False)
    report = move_collection(app_obj.location, DatabaseLocation.parse(to), now=app_obj.clock.now())
    app_obj.notices.extend(report.notices)

    def table(console: Console) -> None:
        from recall1924.ui.moving import print_move

        print_move(console, report)

    emit(app_obj, as_json, json=report.to_json, table=table)
