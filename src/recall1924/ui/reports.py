"""Tables and short reports: stats, today's overview, decks, settings, imports, summaries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from recall1924.scheduling import ReviewKind
from recall1924.settings import DEFINITIONS, format_duration
from recall1924.ui.text import fit_widths, safe
from recall1924.words import plural

if TYPE_CHECKING:
    # Types only: the glance and a notice print from here and need none of these modules
    # (the import service, the review session and its key bindings) loaded.
    from recall1924.importing import ImportReport
    from recall1924.review import Summary
    from recall1924.stats import StatsReport
    from recall1924.store import DeckSummary, QueueCounts


def _mastery_bar(value: float, width: int = 5) -> Text:
    filled = round(value * width)
    return Text.assemble(("█" * filled, "green"), ("░" * (width - filled), "dim"), f"{value:5.0%}")


def plain_table(title: str | None = None) -> Table:
    """recall's plain table: a rule under the header, no frame; deck text in titles escaped."""
    return Table(
        title=None if title is None else safe(title, "bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )


def print_notices(console: Console, notices: list[str]) -> None:
    """Things that happened on the way (a first run, a database upgrade), dimmed."""
    for notice in notices:
        console.print(Text(notice, style="dim"))


def _when(moment: datetime, now: datetime) -> str:
    local = moment.astimezone().strftime("%a %d %b %H:%M")
    return f"in {format_duration(moment - now)} ({local})"


def print_overview(
    console: Console,
    report: StatsReport,
    waiting: QueueCounts,
    next_due: datetime | None,
    now: datetime,
) -> None:
    """Today at a glance: what is waiting per section, and what to do next."""
    for deck in report.decks:
        table = plain_table(deck.title)
        table.add_column("Section")
        table.add_column("Due now", justify="right")
        table.add_column("New", justify="right")
        table.add_column("Mastery")
        for section in deck.sections:
            table.add_row(
                safe(section.title),
                str(section.due_now),
                str(section.new),
                _mastery_bar(section.mastery),
            )
        console.print(table)
    total = waiting.learning + waiting.review + waiting.new
    if total:
        console.print(
            f"To do today: {waiting.review} reviews, {waiting.learning} learning, "
            f"{waiting.new} new. Next: [bold]recall review[/bold]"
        )
    else:
        console.print(f"{_nothing_now(next_due, now)} See progress with [bold]recall stats[/bold]")
    if waiting.new_stopped:  # as the review itself says it
        console.print(
            f"Today's budget has no room for more new cards: {waiting.new_held} wait for "
            "another day."
        )


_DECK_FLOORS = {"Title": 12, "Sections": 8, "Cards": 5, "Source": 10}
"""The narrowest each column of :func:`print_decks` beside the key is shown."""
_DROPPED_FIRST = ("Source", "Sections", "Title")
"""Those columns in the order a narrow terminal goes without them (the count stays)."""
_SHARED = ("Title", "Source")
"""The columns that share the room the key and the counts leave (the title wraps, the source
is cut)."""
_COLUMN_GAP = 3
"""The room a column takes beyond its text in :func:`plain_table`: its padding and rule."""


def print_decks(console: Console, decks: list[DeckSummary]) -> None:
    """The decks, each key whole: it is what ``--deck`` takes, and a key cut short with "…"
    names no deck. Where the terminal has no room for every column at its narrowest beside the
    longest key, the source goes, then the sections' count, then the title. The title and
    the source share the room the counts leave (:func:`~recall1924.ui.text.fit_widths`): the
    title wraps in its part, the source, a path, is cut to its own."""
    key_width = max((cell_len(deck.key) for deck in decks), default=len("Deck"))
    shown = list(_DECK_FLOORS)
    for name in _DROPPED_FIRST:
        room = key_width + sum(_DECK_FLOORS[column] + _COLUMN_GAP for column in shown)
        if room <= console.width:
            break
        shown.remove(name)
    cells: dict[str, Callable[[DeckSummary], str]] = {
        "Title": lambda deck: deck.title,
        "Sections": lambda deck: str(deck.sections),
        "Cards": lambda deck: str(deck.cards),
        "Source": lambda deck: deck.source or "",
    }
    widths = {
        name: max([cell_len(name), *(cell_len(cells[name](deck)) for deck in decks)])
        for name in shown
    }
    shared = [name for name in shown if name in _SHARED]
    free = console.width - key_width - _COLUMN_GAP * (len(shown) + 1)
    free -= sum(widths[name] for name in shown if name not in _SHARED)
    fitted = fit_widths(
        [widths[name] for name in shared],
        [1] * len(shared),
        [_DECK_FLOORS[name] for name in shared],
        free,
    )
    widths |= dict(zip(shared, fitted, strict=True))
    table = plain_table()
    # Folded, not cut, where even the key alone is wider than the terminal.
    table.add_column("Deck", overflow="fold", width=key_width)
    for name in shown:
        if name == "Source":
            table.add_column(name, no_wrap=True, overflow="ellipsis", width=widths[name])
        elif name == "Title":
            table.add_column(name, width=widths[name])
        else:
            table.add_column(name, justify="right", width=widths[name])
    for deck in decks:
        table.add_row(safe(deck.key), *(safe(cells[name](deck)) for name in shown))
    console.print(table)


def print_settings(
    console: Console,
    values: Mapping[str, str],
    changed: set[str],
    *,
    deck: str | None = None,
    own: set[str] | None = None,
    section: str | None = None,
    section_own: set[str] | None = None,
    sections: Mapping[str, float] | None = None,
) -> None:
    """Every setting and its value; bold where it differs from the default. For one deck
    (``deck``), also where each value comes from: the deck's own (``own``), the collection's,
    or the default; for one of its sections (``section``, ``deck/section``) also the
    section's own (``section_own``). ``sections``: the sections with a desired retention of
    their own and its value, listed under the table."""
    table = plain_table()
    table.add_column("Setting")
    table.add_column("Value")
    if deck is not None:
        table.add_column("From")
    table.add_column("Meaning", style="dim")
    own = own or set()
    section_own = section_own or set()
    for key, value in values.items():
        bold = key in own | section_own if deck is not None else key in changed
        row: list[Text | str] = [key, Text(value, style="bold" if bold else "")]
        if deck is not None:
            row.append(
                "section"
                if key in section_own
                else "deck"
                if key in own
                else "global"
                if key in changed
                else "default"
            )
        table.add_row(*row, DEFINITIONS[key].help)
    console.print(table)
    if sections:
        listed = ", ".join(f"{name} {value:g}" for name, value in sections.items())
        console.print(Text(f"Sections with their own desired_retention: {listed}", style="dim"))
    if section is not None:
        console.print(
            Text.assemble(
                "Change its retention with: recall config set --section ",
                safe(section),
                " desired_retention VALUE",
                style="dim",
            )
        )
    elif deck is None:
        console.print(
            Text("Change one with: recall config set KEY VALUE (bold: changed)", style="dim")
        )
    else:
        console.print(
            Text.assemble(
                "Change one for this deck with: recall config set --deck ",
                safe(deck),
                " KEY VALUE",
                style="dim",
            )
        )


SKIPPED_SHOWN = 10


def print_import(console: Console, report: ImportReport, *, dry_run: bool) -> None:
    """What an import did (or would do) to each deck: a table, then what was skipped or left
    out, and what else changed."""
    # One column per deck, one row per kind of change: narrow enough for 60 columns.
    table = plain_table("Would import" if dry_run else "Imported")
    table.add_column("")
    for plan in report.decks:
        label = safe(plan.deck_key, "bold")
        if plan.new_deck:
            label.append(" (new)", style="green")
        table.add_column(label, justify="right")
    rows = {
        "cards added": [len(plan.added) for plan in report.decks],
        "cards updated": [len(plan.updated) for plan in report.decks],
        "cards unchanged": [len(plan.unchanged) for plan in report.decks],
        "cards not in file": [len(plan.missing) for plan in report.decks],
        "answers added": [plan.answers_added for plan in report.decks],
    }
    for name, counts in rows.items():
        table.add_row(name, *map(str, counts))
    console.print(table)
    for plan in report.decks:
        console.print(Text.assemble(safe(plan.deck_key, "bold"), ": ", safe(plan.deck_title)))
        if plan.missing:
            fate = "deleted with their history" if plan.pruned else "kept (use --prune to delete)"
            if dry_run and plan.pruned:
                fate = "would be deleted with their history"
            shown = ", ".join(plan.missing[:SKIPPED_SHOWN])
            more = (
                f" and {len(plan.missing) - SKIPPED_SHOWN} more"
                if len(plan.missing) > SKIPPED_SHOWN
                else ""
            )
            console.print(safe(f"{plan.deck_key}: no longer in file, {fate}: {shown}{more}"))
        kept = plan.kept_notice()
        if kept is not None:
            console.print(safe(f"{plan.deck_key}: {kept}"))
        if plan.answers_known:
            console.print(
                f"{plan.deck_key}: {plural(plan.answers_known, 'answer')} already in the "
                "collection, not added again"
            )
    if report.skipped:
        console.print(f"Skipped {plural(len(report.skipped), 'row')}:")
        for line in report.skipped[:SKIPPED_SHOWN]:
            console.print(safe(f"  {line}"))
        if len(report.skipped) > SKIPPED_SHOWN:
            console.print(f"  … and {len(report.skipped) - SKIPPED_SHOWN} more")
    if report.left_out:  # one line per reason, each with its count
        console.print("Left out:")
        for line in report.left_out:
            console.print(safe(f"  {line}"))
    for notice in report.notices:
        console.print(Text(notice, style="dim"))
    if report.backup is not None:
        console.print(
            Text(f"The collection before this import is kept at {report.backup}", style="dim")
        )
    if dry_run:
        console.print(Text("Dry run: nothing was written.", style="dim"))


def _nothing_now(next_due: datetime | None, now: datetime) -> str:
    later = f" Next card due {_when(next_due, now)}." if next_due else ""
    return f"Nothing to review now.{later}"


def _points(moved: float) -> str:
    """A change of mastery in percentage points, signed; under half a point is no change
    (not "-0 pts")."""
    points = round(moved * 100)
    return f"{points:+d} pts" if points else "0 pts"


def print_summary(
    console: Console,
    summary: Summary,
    next_due: datetime | None,
    now: datetime,
    *,
    tomorrow: int | None = None,
) -> None:
    """The end-of-session report: answers, accuracy per section, time, what is left today
    and what is due tomorrow."""
    from recall1924.review.allowance import budget_note
    from recall1924.ui.bindings import RATING_STYLE

    left = summary.remaining
    total = left.total
    cram = summary.kind is ReviewKind.Cram
    if summary.answers == 0 and not total:
        if summary.budget is not None and left.new_stopped:
            console.print(budget_note(summary.budget, left))
        console.print(_nothing_now(next_due, now))
        return
    if summary.answers == 0:
        console.print("No answers this session.")
    else:
        ratings = Text()
        for rating, count in summary.ratings.items():
            ratings.append(f"{rating.name} {count}", style=RATING_STYLE[rating])
            ratings.append("  ")
        what = "Cram practice" if cram else "Session"
        console.print(
            f"{what}: {plural(summary.answers, 'answer')} on {plural(summary.cards, 'card')} "
            f"in {format_duration(summary.elapsed)}."
        )
        console.print(ratings)
        table = plain_table()
        table.add_column("Section")
        table.add_column("Answers", justify="right")
        table.add_column("Recalled", justify="right")
        if summary.mastery_moved:
            table.add_column("Mastery", justify="right")
        for section, (right, answers) in summary.sections.items():
            row: list[Text | str] = [safe(section), str(answers), f"{right / answers:.0%}"]
            if summary.mastery_moved:
                moved = summary.mastery_moved.get(section)
                row.append("" if moved is None else _points(moved))
            table.add_row(*row)
        console.print(table)
    if summary.budget is not None and left.new_stopped:
        console.print(budget_note(summary.budget, left))
    if cram:
        console.print("Cram answers leave every card's schedule as it was.")
    elif total:
        console.print(
            f"Still to do today: {total} ({left.review} review, {left.learning} learning, "
            f"{left.new} new). Every answer is saved; run recall review to go on."
        )
    else:
        console.print(f"All done for today. Every answer is saved. {_nothing_now(next_due, now)}")
    if tomorrow is not None and not cram:
        console.print(f"Coming due tomorrow: {plural(tomorrow, 'card')}.")
