"""What ``recall optimize`` prints: fit metrics before and after, and the retention
simulation."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from recall1924.optimize import OptimizeReport, RetentionRow
from recall1924.ui.reports import plain_table
from recall1924.ui.text import safe


def _scope(report: OptimizeReport) -> Text:
    if report.scope == "global":
        return Text("the collection's parameters")
    return Text.assemble("deck ", safe(report.scope, "bold"))


def print_optimize(console: Console, report: OptimizeReport) -> None:
    """The fit: how many answers, log loss and RMSE(bins) before and after, and what was saved."""
    scope = _scope(report)
    if report.needed:
        console.print(
            Text.assemble(
                "Not enough history to fit ",
                scope,
                f": {report.items} answers given on a later day than the card's answer before "
                f"({report.answers} answers in all); {report.needed} more are needed.",
            )
        )
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
    if not report.improved:
        console.print("The fitted parameters predict no better; the current ones are kept.")
    elif report.dry_run:
        console.print("Dry run: nothing saved. Run without --dry-run to use them.")
    elif report.saved:
        console.print(
            f"Saved. Recomputed {report.cards_updated} cards' memory states and due dates "
            f"from {report.answers_updated} logged answers."
        )
        if report.backup is not None:
            console.print(Text(f"The collection before is kept at {report.backup}", style="dim"))


def print_retention(
    console: Console, suggested: float, rows: Sequence[RetentionRow], current: float
) -> None:
    """The workload simulation, one row per desired retention, and the suggestion."""
    table = plain_table("A year's study of this deck, simulated")
    table.add_column("Retention", justify="right")
    table.add_column("Reviews/day", justify="right")
    table.add_column("Minutes/day", justify="right")
    table.add_column("Remembered", justify="right")
    table.add_column("Minutes/card", justify="right")
    for row in rows:
        style = "bold" if row.retention == suggested else ""
        table.add_row(
            f"{row.retention:.2f}",
            f"{row.reviews_per_day:.0f}",
            f"{row.minutes_per_day:.0f}",
            f"{row.remembered:.0f}",
            f"{row.minutes_per_card:.1f}",
            style=style,
        )
    console.print(table)
    console.print(
        f"Suggested desired retention: {suggested:.2f} (least study time per remembered card; "
        f"now {current:.2f}). Set it with: recall config set desired_retention {suggested:.2f}"
    )
