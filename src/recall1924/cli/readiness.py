"""How ready: stats and the exam."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, DeckOption, app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.readiness import ExamSet


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
    from recall1924.readiness import stats_report

    if sort not in ("deck", "mastery"):
        raise typer.BadParameter("expected deck or mastery", param_hint="--sort")
    app_obj = app_for(ctx, db)
    report = stats_report(app_obj, deck, full=True, sort="mastery" if sort == "mastery" else "deck")

    def table(console: Console) -> None:
        from recall1924.ui.stats import print_stats

        print_stats(console, report)

    emit(app_obj, as_json, json=report.to_json, table=table)


def _exam_line(found: ExamSet, *, just_set: bool) -> str:
    """The exam as one sentence: what was set, or what is set."""
    from recall1924.words import plural

    if found.exam is None:
        return f"No exam set for {found.label}." + (
            "" if just_set else " Set one with: recall exam YYYY-MM-DD"
        )
    day, target = found.exam.day.isoformat(), f"{found.exam.target:.0%}"
    if not just_set:
        return f"Exam for {found.label}: {day}, target {target}"
    plan = "recall stats" + (f" --deck {found.deck}" if found.deck else "")
    return (
        f"Exam for {found.label}: {day} (in {plural(found.days_left or 0, 'day')}), "
        f"target {target}. See the plan with: {plan}"
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
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Set the exam date: recall stats then predicts recall on the day and plans the reviews.

    With no date, shows the exam set (for --deck, or for every deck).
    """
    from recall1924.errors import SettingError
    from recall1924.exam import parse_day, parse_target
    from recall1924.readiness import clear_exam, exam_set, set_exam

    if clear and (day is not None or target is not None):
        raise SettingError("--clear takes no date or target")
    chosen = parse_day(day) if day is not None else None
    goal = parse_target(target) if target is not None else None
    if chosen is None and goal is not None:
        raise SettingError("give the exam date with the target: recall exam YYYY-MM-DD --target")
    app_obj = app_for(ctx, db)
    if clear:
        found = clear_exam(app_obj, deck)
    elif chosen is None:
        found = exam_set(app_obj, deck)
    else:
        found = set_exam(app_obj, chosen, goal, deck)
    line = _exam_line(found, just_set=clear or chosen is not None)
    emit(app_obj, as_json, json=found.to_json, table=lambda _console: typer.echo(line))
