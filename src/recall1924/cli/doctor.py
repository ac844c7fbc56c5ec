"""Checking the collection for damage and lost answers: doctor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it


@app.command()
def doctor(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Back the database up, then fix what is safe: restore lost answers, delete "
            "orphaned rows, re-derive drifted memory states.",
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Check the collection for damage, drifted memory states and answers lost in an upgrade.

    Without --repair nothing is changed. Exits 1 while problems remain.
    """
    from recall1924.doctor import examine

    app_obj = app_for(ctx, db, bundled=False)
    # On a server the file's own checks say they do not apply (recall1924.doctor).
    report = examine(app_obj, repair=repair)

    def table(console: Console) -> None:
        from recall1924.ui.doctor import print_doctor

        print_doctor(console, report)

    emit(app_obj, as_json, json=report.to_json, table=table)
    if not report.ok:
        raise typer.Exit(1)
