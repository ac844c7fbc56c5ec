"""How ready: stats and the exam."""

from __future__ import annotations

from typing import Annotated

import typer

from recall1924.cli.base import (
    DbOption,
    DeckOption,
    JsonOption,
    app,
    app_for,
    print_json,
    report_for,
    show_notices,
)
from recall1924.clock import review_date


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
    app_obj = app_for(ctx, db)
    report = report_for(app_obj, deck, full=True, sort=sort)
    if app_obj.notices:  # printing none would still load the report tables
        show_notices(app_obj)
    if as_json:
        print_json(report.to_json())
    else:
        from recall1924.ui.stats import print_stats

        print_stats(app_obj.console, report)


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
        parse_day,
        parse_target,
    )
    from recall1924.store import GLOBAL_SCOPE

    if clear and (day is not None or target is not None):
        raise typer.BadParameter("--clear takes no date or target", param_hint="--clear")
    chosen = parse_day(day) if day is not None else None
    goal = parse_target(target) if target is not None else None
    app_obj = app_for(ctx, db)
    where = GLOBAL_SCOPE
    if deck is not None:
        app_obj.store.scope(deck)  # raises for an unknown deck
        where = deck
    label = f"deck {deck!r}" if deck else "every deck"
    if clear:
        app_obj.store.save_setting(EXAM_DATE_KEY, None, where)
        app_obj.store.save_setting(EXAM_TARGET_KEY, None, where)
        show_notices(app_obj)
        typer.echo(f"No exam set for {label}.")
        return
    if chosen is None:
        if goal is not None:
            raise typer.BadParameter("give the exam date with the target", param_hint="DAY")
        from recall1924.exam import read_exam

        found = read_exam(app_obj.store.settings(where))
        show_notices(app_obj)
        if found is None:
            typer.echo(f"No exam set for {label}. Set one with: recall exam YYYY-MM-DD")
        else:
            typer.echo(f"Exam for {label}: {found.day.isoformat()}, target {found.target:.0%}")
        return
    today = review_date(app_obj.clock.now(), app_obj.settings.day_starts_at)
    if chosen <= today:
        raise typer.BadParameter(
            f"{chosen.isoformat()} is not after today ({today.isoformat()})", param_hint="DAY"
        )
    goal = DEFAULT_TARGET if goal is None else goal
    app_obj.store.save_setting(EXAM_DATE_KEY, chosen.isoformat(), where)
    app_obj.store.save_setting(EXAM_TARGET_KEY, repr(goal), where)
    show_notices(app_obj)
    typer.echo(
        f"Exam for {label}: {chosen.isoformat()} (in {(chosen - today).days} days), "
        f"target {goal:.0%}. See the plan with: recall stats" + (f" --deck {deck}" if deck else "")
    )
