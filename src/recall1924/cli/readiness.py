"""How ready: stats and the exam."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, DeckOption, app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.exam import Exam
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


def _exam_day(exam: Exam) -> str:
    return f"{exam.day.isoformat()}, target {exam.target:.0%}"


def _exam_line(found: ExamSet, *, just_set: bool, cleared: bool = False) -> str:
    """The exam as one sentence: what was set, or what is set, with its daily budget."""
    from recall1924.words import plural

    if found.exam is None:
        set_one = "recall exam YYYY-MM-DD" + (f" --deck {found.deck}" if found.deck else "")
        if cleared:
            line = (
                f"Cleared the exam of {found.label} ({found.cleared.day.isoformat()})"
                if found.cleared is not None
                else f"No exam was set for {found.label}: nothing to clear"
            )
            if found.follows is None:
                return f"{line}."
            return f"{line}; it follows every deck's: {_exam_day(found.follows)}"
        if found.follows is not None:
            return (
                f"No exam of its own for {found.label}; it follows every deck's: "
                f"{_exam_day(found.follows)}. Set one for it with: {set_one}"
            )
        return f"No exam set for {found.label}. Set one with: {set_one}"
    budget = ""
    if found.budget is not None and found.time is not None:
        budget = f", budget {found.budget.label}"
        if found.budget.minutes is not None:
            budget += (
                f" (about {plural(found.budget.answers(found.time), 'answer')} at "
                f"{found.time.seconds:.1f} s each)"
            )
    if not just_set:
        return f"Exam for {found.label}: {_exam_day(found.exam)}{budget}"
    plan = "recall stats" + (f" --deck {found.deck}" if found.deck else "")
    return (
        f"Exam for {found.label}: {found.exam.day.isoformat()} "
        f"(in {plural(found.days_left or 0, 'day')}), target {found.exam.target:.0%}{budget}. "
        f"See the plan with: {plan}"
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
    minutes: Annotated[
        str | None,
        typer.Option(
            "--minutes",
            help="Daily budget: minutes a day for this exam (1-600).",
            show_default=False,
        ),
    ] = None,
    reviews: Annotated[
        str | None,
        typer.Option(
            "--reviews",
            help="Daily budget: answers a day for this exam, every learning step counted.",
            show_default=False,
        ),
    ] = None,
    no_budget: Annotated[
        bool, typer.Option("--no-budget", help="Forget the daily budget; keep the exam.")
    ] = False,
    clear: Annotated[
        bool, typer.Option("--clear", help="Forget the exam date and its budget.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Set the exam date: recall stats then predicts recall on the day and plans the reviews.

    With --minutes or --reviews, the plan keeps to that daily budget (minutes become answers
    at your own mean answer time) and stats says early what would reach the target. Setting a
    date alone keeps the budget set; --minutes or --reviews alone changes the budget of the
    exam set. With no date, shows the exam and budget set (for --deck, or for every deck).
    """
    from recall1924.budget import DailyBudget, parse_minutes, parse_reviews
    from recall1924.errors import SettingError
    from recall1924.exam import parse_day, parse_target
    from recall1924.readiness import clear_exam, exam_set, set_budget, set_exam

    budgeting = minutes is not None or reviews is not None or no_budget
    if clear and (day is not None or target is not None):
        raise SettingError("--clear takes no date or target")
    if clear and budgeting:
        raise SettingError("--clear takes no budget: it forgets the exam and its budget")
    if sum([minutes is not None, reviews is not None, no_budget]) > 1:
        raise SettingError("give one of --minutes, --reviews and --no-budget")
    chosen = parse_day(day) if day is not None else None
    goal = parse_target(target) if target is not None else None
    budget = (
        DailyBudget(minutes=parse_minutes(minutes))
        if minutes is not None
        else DailyBudget(reviews=parse_reviews(reviews))
        if reviews is not None
        else None
    )
    if chosen is None and goal is not None:
        raise SettingError("give the exam date with the target: recall exam YYYY-MM-DD --target")
    app_obj = app_for(ctx, db)
    if clear:
        found = clear_exam(app_obj, deck)
    elif chosen is not None:
        found = set_exam(app_obj, chosen, goal, deck, budget=budget, drop_budget=no_budget)
    elif budgeting:
        found = set_budget(app_obj, budget, deck)
    else:
        found = exam_set(app_obj, deck)
    line = _exam_line(found, just_set=chosen is not None or budgeting, cleared=clear)
    emit(app_obj, as_json, json=found.to_json, table=lambda _console: typer.echo(line))
