"""What ``recall optimize`` prints: fit metrics before and after (or the current ones alone), the
health check, and the retention advice."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from recall1924.advice import RetentionAdvice
from recall1924.fitness import Health
from recall1924.optimize import OptimizeReport
from recall1924.ui.reports import plain_table
from recall1924.ui.text import safe
from recall1924.words import plural


def _scope(report: OptimizeReport) -> Text:
    if report.deck is None:
        return Text("the collection's parameters")
    return Text.assemble("deck ", safe(report.deck, "bold"))


def _health(console: Console, health: Health | None, *, said: frozenset[str] = frozenset()) -> None:
    """The health check's findings, or that it found nothing wrong; not those the lines
    before have ``said`` already."""
    if health is None:
        return
    findings = [finding for finding in health.findings if finding.code not in said]
    if health.split is not None and health.split.passed:
        console.print("Health check: FSRS can adapt to your memory well.")
    elif not findings:
        console.print("Health check: nothing wrong found in your answers.")
    for finding in findings:
        console.print(Text(f"Health check: {finding.text}", style="yellow"))


def print_optimize(console: Console, report: OptimizeReport) -> None:
    """The fit: how many answers, log loss and RMSE(bins) before and after, and what was saved;
    for ``--evaluate``, the current parameters' figures alone."""
    scope = _scope(report)
    if report.evaluate_only:
        _print_evaluation(console, report, scope)
        return
    if report.needed:
        console.print(
            Text.assemble(
                "Not enough history to fit ",
                scope,
                f": {report.items} answers given on a later day than the card's answer before "
                f"({report.answers} answers in all); {report.needed} more are needed.",
            )
        )
        _health(console, report.health, said=frozenset({"too_few_answers"}))
        return
    before, after = report.before, report.after
    assert before is not None and after is not None
    console.print(
        Text.assemble(
            "Fitted ",
            scope,
            f" to {report.items} answers ({report.answers} in all) in {report.fit_seconds:.2f} s.",
        )
    )
    table = plain_table()
    table.add_column("")
    table.add_column("Log loss", justify="right")
    table.add_column("RMSE (bins)", justify="right")
    table.add_row("current", f"{before.log_loss:.4f}", f"{before.rmse_bins:.2%}")
    table.add_row("fitted", f"{after.log_loss:.4f}", f"{after.rmse_bins:.2%}")
    console.print(table)
    _health(console, report.health)
    if not report.improved:
        console.print("The fitted parameters predict no better; the current ones are kept.")
    elif report.dry_run:
        console.print("Dry run: nothing saved. Run without --dry-run to use them.")
    elif report.saved:
        console.print(
            f"Saved. Recomputed {report.cards_updated} cards' memory states "
            f"from {report.answers_updated} logged answers."
        )
        if report.backup is not None:
            console.print(Text(f"The collection before is kept at {report.backup}", style="dim"))


def _print_evaluation(console: Console, report: OptimizeReport, scope: Text) -> None:
    before = report.before
    if before is None:
        console.print(
            Text.assemble(
                "Nothing to score for ",
                scope,
                f": no answer was given on a later day than the card's answer before "
                f"({report.answers} answers in all).",
            )
        )
        return
    console.print(
        Text.assemble(
            "Scored ",
            scope,
            f" on {report.items} answers ({report.answers} in all): log loss "
            f"{before.log_loss:.4f}, RMSE (bins) {before.rmse_bins:.2%}.",
        )
    )
    _health(console, report.health)


def print_retention(console: Console, advice: RetentionAdvice) -> None:
    """The simulation, one row per desired retention, and the advice."""
    exam = advice.exam
    if exam is not None:
        title = (
            f"Your cards to the exam on {exam.day.isoformat()} "
            f"({plural(advice.days, 'day')}), {advice.scope}, simulated"
        )
        remembered = "On exam day"
    else:
        title = f"A year of {advice.scope}, simulated"
        remembered = "Remembered"
    console.print(Text(title, style="bold"))
    table = plain_table()
    table.add_column("Retention", justify="right")
    table.add_column("Answers/day", justify="right")
    table.add_column(remembered, justify="right")
    if exam is None:
        table.add_column("Answers/card", justify="right")
    for row in advice.rows:
        # Tenths: a retention is best by a card or two, which whole numbers would hide.
        cells = [
            f"{row.retention:.2f}",
            f"{row.reviews_per_day:.1f}"
            if row.reviews_per_day < 10
            else f"{row.reviews_per_day:.0f}",
            f"{row.remembered:.1f}",
        ]
        if exam is None:
            cells.append(f"{row.answers_per_card:.1f}")
        table.add_row(*cells, style="bold" if row.retention == advice.best else "")
    console.print(table)
    console.print(_budget_line(advice))
    console.print(_advice_line(advice))
    if advice.matters_little:
        console.print(
            f"Every retention tried remembers within {advice.spread:.1f} cards of the others "
            f"(of {advice.cards}): within your budget the choice matters little."
        )


def _budget_line(advice: RetentionAdvice) -> Text:
    budget = advice.budget
    limits = "new_per_day and reviews_per_day"
    if budget.source == "set":
        said = (
            f"Daily budget: {plural(budget.answers or 0, 'answer')}, the budget set with the "
            f"exam (and at most {limits})."
        )
    elif budget.answers is not None:
        said = (
            f"Daily budget: {plural(budget.answers, 'answer')}, your mean over the last 4 weeks "
            f"(and at most {limits})."
        )
    elif advice.exam is not None:
        said = f"Daily budget: no answers in the last 4 weeks to go by, so only {limits}."
    else:
        said = f"Each day bounded by {limits}."
    return Text(
        f"{said} {advice.cards} cards; the mean of {plural(advice.runs, 'run')}.", style="dim"
    )


def _advice_line(advice: RetentionAdvice) -> str:
    best, now = advice.best, advice.current
    if advice.exam is not None:
        what = f"Most cards remembered on exam day: at {best:.2f}"
    else:
        what = f"Fewest answers per card remembered: at {best:.2f}"
    if advice.suggested is None:
        end = "lowest" if best == min(row.retention for row in advice.rows) else "highest"
        return (
            f"{what}, the {end} retention tried: the edge of the range tried, so the best may "
            f"lie beyond it and none is recommended. Choose from the table (now {now:.2f})."
        )
    return (
        f"{what}. Suggested desired retention: {best:.2f} (now {now:.2f}). Set it with: "
        f"recall config set desired_retention {best:.2f}"
        + ("" if advice.deck is None else f" --deck {advice.deck}")
    )
