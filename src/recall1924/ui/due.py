"""What comes due (``recall due``) on the terminal: one block of rows per review day, one row
per section with cards due that day, and the total."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console
from rich.text import Text

from recall1924.due import DueForecast
from recall1924.ui.reports import plain_table
from recall1924.ui.text import safe
from recall1924.words import plural


def day_name(day: date, today: date) -> str:
    """``today``, ``tomorrow``, then the weekday and date (``Sat 29 Nov``)."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"{day:%a} {day.day} {day:%b}"


def print_due(console: Console, found: DueForecast) -> None:
    """The forecast as a table; a day with nothing due shows a dash."""
    if not found.days:
        return
    today = found.days[0].day
    table = plain_table()
    table.add_column("Day")
    table.add_column("Deck")
    table.add_column("Section")
    table.add_column("Due", justify="right")
    for day in found.days:
        name = day_name(day.day, today)
        if not day.sections:
            table.add_row(name, "", Text("–", style="dim"), "0")
            continue
        for index, section in enumerate(day.sections):
            table.add_row(
                name if index == 0 else "",
                safe(section.deck)
                if index == 0 or section.deck != day.sections[index - 1].deck
                else "",
                safe(section.section_title or section.section),
                str(section.cards),
            )
        if len(day.sections) > 1:
            table.add_row("", "", Text("all", style="dim"), Text(str(day.cards), style="bold"))
    console.print(table)
    summary = f"{plural(found.cards, 'card')} due in {plural(len(found.days), 'day')}"
    if found.overdue:
        summary += f", {found.overdue} of them overdue (counted today)"
    console.print(Text(summary, style="dim"))
