"""Checking the collection for damage and lost answers: doctor."""

from __future__ import annotations

from typing import Annotated

import typer

from recall1924.cli.base import DbOption, JsonOption, app, app_for, print_json, show_notices


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
    report = examine(app_obj, repair=repair)
    show_notices(app_obj)
    if as_json:
        print_json(report.to_json())
    else:
        from recall1924.ui.doctor import print_doctor

        print_doctor(app_obj.console, report)
    if not report.ok:
        raise typer.Exit(1)
