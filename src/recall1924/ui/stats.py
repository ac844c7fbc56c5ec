"""The ``recall stats`` screen: per-section tables, totals, forecast, history, distributions and
exam readiness.

Holds :func:`print_stats`. Built from Rich's own renderables: tables whose columns never wrap
(narrow terminals drop the least important columns instead), ``Columns`` that put charts side by
side when they fit and stack them when they do not, and ``Text`` made of block characters for
bars. An output that cannot encode Unicode (``PYTHONIOENCODING=ascii``, a C locale) gets ASCII
rules and bars, and any character of deck text it cannot show is replaced, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from rich import box
from rich.cells import cell_len
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from recall1924.stats import (
    DayCount,
    Distribution,
    ExamBudget,
    ExamReport,
    History,
    SectionStats,
    StatsReport,
)
from recall1924.ui.text import safe
from recall1924.words import plural

ASCII_SIMPLE_HEAD = box.Box(
    "    \n    \n -- \n    \n    \n    \n    \n    \n",
    ascii=True,
)


@dataclass(frozen=True)
class Glyphs:
    """The characters bars, charts and separators are drawn with."""

    table_box: box.Box
    full: str
    empty: str
    rising: str
    """Nine characters: an empty cell, then a column filled one eighth more each."""
    shades: str
    """Five characters: no answers, then more and more."""
    dot: str
    dash: str
    at_least: str
    ellipsis: str
    """Where a title is cut: "..." where "…" cannot be encoded (it would print as "?")."""


UNICODE = Glyphs(box.SIMPLE_HEAD, "█", "░", " ▁▂▃▄▅▆▇█", "·░▒▓█", "·", "–", "≥", "…")
ASCII = Glyphs(ASCII_SIMPLE_HEAD, "#", ".", "   ..::##", ".:+*#", "|", "-", ">=", "...")


def glyphs_for(console: Console) -> Glyphs:
    """Unicode glyphs when the console's output can encode them, else ASCII."""
    return ASCII if console.options.ascii_only else UNICODE


def _percent(value: float | None, glyphs: Glyphs) -> str:
    return glyphs.dash if value is None else f"{value:.0%}"


def _days(value: float | None, glyphs: Glyphs) -> str:
    if value is None:
        return glyphs.dash
    return f"{value:.0f}d" if value >= 10 else f"{value:.1f}d"


def _count(value: float) -> str:
    """A sum of chances or of rates, as whole cards (one decimal under ten)."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def mastery_bar(value: float, width: int, glyphs: Glyphs) -> Text:
    """A bar of ``width`` cells filled to ``value`` (0 to 1), then the percentage."""
    filled = max(0, min(width, round(value * width)))
    return Text.assemble(
        (glyphs.full * filled, "green"),
        (glyphs.empty * (width - filled), "dim"),
        f"{value:5.0%}",
    )


@dataclass(frozen=True)
class _Column:
    header: str
    priority: int
    """Narrow screens drop the highest numbers first."""
    cell: Callable[[SectionStats], Text | str]
    justify: str = "right"


def _section_columns(glyphs: Glyphs, bar_width: int) -> list[_Column]:
    return [
        _Column("Cards", 5, lambda s: str(s.cards)),
        _Column("New", 2, lambda s: str(s.new)),
        _Column("Learn", 7, lambda s: str(s.learning)),
        _Column("Review", 6, lambda s: str(s.review)),
        _Column("Susp", 9, lambda s: str(s.suspended)),
        _Column("Due", 1, lambda s: str(s.due_now)),
        _Column("Mastery", 0, lambda s: mastery_bar(s.mastery, bar_width, glyphs), "left"),
        _Column("Retention", 3, lambda s: _percent(s.retention, glyphs)),
        _Column("Young", 4, lambda s: _percent(s.retention_young, glyphs)),
        _Column("Mature", 4, lambda s: _percent(s.retention_mature, glyphs)),
        _Column("Stab", 8, lambda s: _days(s.average_stability, glyphs)),
        _Column("Load", 10, lambda s: _count(s.daily_load)),
        _Column("Known", 10, lambda s: _count(s.knowledge)),
    ]


SECTION_MIN = 22
"""The narrowest the section column gets before other columns are dropped."""


COLUMN_GAP = 3
"""Between two columns: a space of padding each side of the (blank) divider."""


def _widths(columns: list[_Column], cells: list[list[str]]) -> list[int]:
    """Each column's width: its header's or its widest cell's."""
    return [
        max(cell_len(column.header), *(cell_len(row[i]) for row in cells))
        if cells
        else cell_len(column.header)
        for i, column in enumerate(columns)
    ]


def _fit(
    columns: list[_Column], cells: list[list[str]], width: int, first_min: int
) -> tuple[list[int], int]:
    """Indexes of the columns to keep so that the table fits ``width``, and the width left for
    the first column."""
    widths = _widths(columns, cells)
    kept = list(range(len(columns)))
    by_priority = sorted(kept, key=lambda i: columns[i].priority, reverse=True)

    def others() -> int:
        return sum(widths[i] + COLUMN_GAP for i in kept)

    for index in by_priority:
        if first_min + others() <= width:
            break
        if columns[index].priority == 0:
            continue
        kept.remove(index)
    return kept, max(first_min, width - others())


def _table(first: str, glyphs: Glyphs, first_width: int) -> Table:
    table = Table(box=glyphs.table_box, pad_edge=False, show_edge=False, expand=False)
    table.add_column(
        first, no_wrap=True, overflow="ellipsis", min_width=len(first), max_width=first_width
    )
    return table


def _sections_table(
    sections: Sequence[SectionStats], width: int, glyphs: Glyphs, text: Callable[[str], str]
) -> Table:
    bar_width = 10 if width >= 110 else 5
    columns = _section_columns(glyphs, bar_width)
    cells = [[_plain(column.cell(section)) for column in columns] for section in sections]
    longest = max((len(section.title) for section in sections), default=0)
    kept, first_width = _fit(columns, cells, width, min(SECTION_MIN, max(longest, len("Section"))))
    widths = _widths(columns, cells)
    table = _table("Section", glyphs, first_width)
    for index in kept:
        column = columns[index]
        table.add_column(
            column.header,
            justify="left" if column.justify == "left" else "right",
            no_wrap=True,
            # Known already: Rich need not measure every cell again (half the table's time).
            width=widths[index],
        )
    for section in sections:
        row: list[Text | str] = [safe(_squeeze(text(section.title), first_width, glyphs.ellipsis))]
        row += [columns[index].cell(section) for index in kept]
        table.add_row(*row)
    return table


def _squeeze(title: str, width: int, ellipsis: str = "…") -> str:
    """``title`` in ``width`` cells, cut in the middle (marked by ``ellipsis``) so that titles
    that differ only at the end ("... of the Left", "... of the Right") still read apart."""
    if len(title) <= width or width < 8:
        return title
    room = (width - len(ellipsis)) // 3 + 2
    words = title.split(" ")
    tail = words[-1][-room:]
    for word in reversed(words[:-1]):  # whole words from the end, as many as fit
        if len(word) + 1 + len(tail) > room:
            break
        tail = f"{word} {tail}"
    return f"{title[: width - len(ellipsis) - len(tail)]}{ellipsis}{tail}"


def _plain(cell: Text | str) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _item(label: str, value: str) -> Text:
    return Text.assemble((label, "dim"), " ", (value, "bold"))


def _totals(report: StatsReport, glyphs: Glyphs) -> Columns:
    totals = report.totals
    items = [
        Text("Total:", style="bold"),
        _item("cards", str(totals.cards)),
        _item("new", str(totals.new)),
        _item("learning", str(totals.learning)),
        _item("review", str(totals.review)),
        _item("suspended", str(totals.suspended)),
        _item("due now", str(totals.due_now)),
        _item("today", plural(totals.reviews_today, "answer")),
        _item("mastery", _percent(totals.mastery, glyphs)),
        _item("retention", _percent(totals.retention, glyphs)),
        _item("young", _percent(totals.retention_young, glyphs)),
        _item("mature", _percent(totals.retention_mature, glyphs)),
        _item("avg stability", _days(totals.average_stability, glyphs)),
        _item("daily load", f"{_count(totals.daily_load)}/day"),
        _item("known now", _count(totals.knowledge)),
    ]
    if totals.knowledge_on_exam_day is not None:
        items.append(_item("known on exam day", _count(totals.knowledge_on_exam_day)))
    return Columns(items, padding=(0, 2), title=None)


def column_chart(values: Sequence[int], height: int, glyphs: Glyphs) -> list[Text]:
    """One column per value, ``height`` lines tall, the tallest value filling it."""
    top = max(values, default=0)
    levels = [0 if top == 0 else math.ceil(value / top * height * 8) for value in values]
    lines = []
    for row in range(height, 0, -1):
        line = Text(style="cyan")
        for level in levels:
            part = level - (row - 1) * 8
            line.append(glyphs.rising[max(0, min(8, part))])
        lines.append(line)
    return lines


def _forecast(days: Sequence[DayCount], glyphs: Glyphs) -> RenderableType:
    values = [day.count for day in days]
    top = max(values, default=0)
    chart = column_chart(values, 4, glyphs)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    for index, line in enumerate(chart):
        grid.add_row(str(top) if index == 0 else ("0" if index == len(chart) - 1 else ""), line)
    axis = Text("today".ljust(len(values) - 4) + f"+{len(values) - 1}d", style="dim")
    grid.add_row("", axis)
    total = sum(values)
    title = Text.assemble(
        ("Due, next 30 days", "bold"), f"  {total} in all, {values[0] if values else 0} today"
    )
    return Group(title, grid)


def _heatmap(history: History, glyphs: Glyphs) -> RenderableType:
    days = history.days
    top = max((day.count for day in days), default=0)
    # Rows are weekdays; a column is a week, Monday on top, the last column holding today.
    first = days[0].day - timedelta(days=days[0].day.weekday())
    weeks = (days[-1].day - first).days // 7 + 1
    cells: dict[tuple[int, int], str] = {}
    for day in days:
        offset = (day.day - first).days
        level = 0 if day.count == 0 else max(1, math.ceil(day.count / top * 4))
        cells[offset % 7, offset // 7] = glyphs.shades[level]
    grid = Table.grid(padding=(0, 0))
    grid.add_column(no_wrap=True, style="dim")
    for _ in range(weeks):
        grid.add_column(no_wrap=True)
    for weekday, name in enumerate(("Mo ", "Tu ", "We ", "Th ", "Fr ", "Sa ", "Su ")):
        grid.add_row(
            name if weekday % 2 == 0 else "",
            *(Text(cells.get((weekday, week), " ") * 2, style="green") for week in range(weeks)),
        )
    answered = [day for day in days if day.count]
    reviews = sum(day.count for day in days)
    minutes = sum(day.minutes for day in days)
    active = len(answered) or 1
    title = Text("Last 12 weeks", style="bold")
    facts = [
        Text.assemble(("streak ", "dim"), (plural(history.streak, "day"), "bold")),
        Text.assemble(
            ("today ", "dim"),
            (f"{plural(history.today.count, 'answer')}, {history.today.minutes:.0f} min", "bold"),
        ),
        Text.assemble(
            ("per day ", "dim"),
            (f"{plural(round(reviews / active), 'answer')}, {minutes / active:.0f} min", "bold"),
            (" (days with answers)", "dim"),
        ),
    ]
    return Group(title, grid, *facts)


def _histogram(distribution: Distribution, glyphs: Glyphs, title: str) -> RenderableType:
    top = max(distribution.counts, default=0)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    width = 10
    for label, count in zip(distribution.labels, distribution.counts, strict=True):
        filled = 0 if top == 0 else round(count / top * width)
        if count and not filled:
            filled = 1
        grid.add_row(
            label, Text(glyphs.full * filled + " " * (width - filled), style="cyan"), str(count)
        )
    return Group(Text(title, style="bold"), grid)


DISTRIBUTION_TITLES = {
    "stability": "Stability",
    "difficulty": "Difficulty",
    "retrievability": "Recall at horizon",
}


def _exam(
    exam: ExamReport, width: int, glyphs: Glyphs, text: Callable[[str], str]
) -> list[RenderableType]:
    shown: list[RenderableType] = [
        Text.assemble(
            ("Exam ", "bold"),
            (exam.day.isoformat(), "bold"),
            f", in {plural(exam.days_left, 'day')} {glyphs.dot} target {exam.target:.0%}",
        )
    ]
    columns = [
        _Column("No reviews", 1, lambda s: ""),
        _Column("On schedule", 0, lambda s: ""),
        _Column("Per day", 0, lambda s: ""),
    ]
    values = [
        [
            _percent(s.recall_if_no_reviews, glyphs),
            _percent(s.recall_on_schedule, glyphs),
            f"{s.reviews_per_day_needed:.1f}",
        ]
        for s in exam.sections
    ]
    if exam.budget is not None:
        columns.insert(2, _Column("In budget", 0, lambda s: ""))
        for section, row in zip(exam.sections, values, strict=True):
            row.insert(2, _percent(section.recall_within_budget, glyphs))
    if any(section.desired_retention is not None for section in exam.sections):
        # A section (or deck) keeping a desired retention of its own: each one's, planned at.
        columns.append(_Column("Aim", 2, lambda s: ""))
        for section, row in zip(exam.sections, values, strict=True):
            aim = section.desired_retention
            row.append(_percent(exam.desired_retention if aim is None else aim, glyphs))
    longest = max((len(s.title) for s in exam.sections), default=0)
    kept, first_width = _fit(columns, values, width, min(SECTION_MIN, max(longest, len("Section"))))
    table = _table("Section", glyphs, first_width)
    for index in kept:
        table.add_column(columns[index].header, justify="right", no_wrap=True)
    for section, row in zip(exam.sections, values, strict=True):
        shown_recall = (
            section.recall_on_schedule
            if section.recall_within_budget is None
            else section.recall_within_budget
        )
        style = "red" if shown_recall < exam.target else ""
        table.add_row(
            safe(_squeeze(text(section.title), first_width, glyphs.ellipsis)),
            *(Text(row[index], style=style) for index in kept),
        )
    shown.append(table)
    cards = sum(section.cards for section in exam.sections)
    shown.append(
        Text(
            f"Known on exam day: {_count(exam.knowledge_if_no_reviews)} of "
            f"{plural(cards, 'card')} with no more reviews, "
            f"{_count(exam.knowledge_on_schedule)} on schedule."
        )
    )
    shown.append(
        Text(
            f"To keep every card {glyphs.at_least} {exam.target:.0%} on exam day: about "
            f"{plural(round(exam.reviews_per_day_needed), 'review')} a day "
            f"(busiest day {exam.busiest_day})."
        )
    )
    if exam.budget is not None:
        shown.extend(_budget(exam, exam.budget, glyphs, text))
    if exam.too_many_new:
        per_day = math.ceil(exam.new_left / exam.days_left) if exam.days_left else exam.new_left
        shown.append(
            Text(
                f"Warning: {exam.new_left} new cards left, but only {exam.new_possible} can "
                f"start before the exam at the current new_per_day; to meet them all: "
                f"recall config set new_per_day {per_day}",
                style="yellow",
            )
        )
    return shown


def _budget(
    exam: ExamReport, budget: ExamBudget, glyphs: Glyphs, text: Callable[[str], str]
) -> list[Text]:
    """The daily budget, whether the plan kept to it reaches the target, and if not what
    would (each checked by re-running the plan)."""
    if budget.budget.minutes is None:
        held = ""
    else:
        own = (
            f"your mean over {plural(budget.time.answers, 'timed answer')}"
            if budget.time.answers
            else "the default: too few timed answers of your own yet"
        )
        held = (
            f", about {plural(budget.answers_per_day, 'answer')} "
            f"({budget.time.seconds:.1f} s an answer, {own})"
        )
    lines = [
        Text(
            f"Budget: {budget.budget.label}{held}; busiest planned day "
            f"{plural(budget.busiest_day, 'answer')}."
        )
    ]
    label = budget.budget.label
    if budget.reached:
        lines.append(Text(f"Within {label} every section reaches {exam.target:.0%} on exam day."))
        return lines
    short = [s for s in exam.sections if (s.recall_within_budget or 0.0) < exam.target]
    named = ", ".join(
        f"{text(s.title)} {_percent(s.recall_within_budget, glyphs)}" for s in short[:3]
    )
    more = f" and {len(short) - 3} more" if len(short) > 3 else ""
    lines.append(
        Text(
            f"Warning: within {label}, {plural(len(short), 'section')} "
            f"{'falls' if len(short) == 1 else 'fall'} short of "
            f"{exam.target:.0%} on exam day ({named}{more}).",
            style="yellow",
        )
    )
    if not budget.hints:
        lines.append(
            Text(
                "Nothing tried reaches it: not more time (the daily limits or the days left "
                "stop it), not fewer new cards, not one section's retention lowered.",
                style="yellow",
            )
        )
        return lines
    lines.append(Text("What would reach it (each checked by re-running the plan):"))
    for hint in budget.hints:
        if hint.kind == "more_budget":
            what = f"{budget.budget.of(hint.value).label}"
        elif hint.kind == "fewer_new":
            what = f"at most {plural(int(hint.value), 'new card')} a day"
        else:
            title = text(hint.section_title or "")
            what = (
                f"desired retention {hint.value:.2f} for {title}, which then reaches "
                f"{_percent(hint.section_recall, glyphs)} while every other section reaches "
                f"{exam.target:.0%}"
            )
        lines.append(Text(f"  {glyphs.dot} {what}: {hint.command}"))
    return lines


def _footer(report: StatsReport, glyphs: Glyphs) -> Text:
    horizon = report.horizon
    if horizon is None:
        when = "now"
    else:
        local = horizon.at.astimezone().strftime("%a %d %b %H:%M")
        when = (
            f"the start of exam day ({local})"
            if horizon.kind == "exam"
            else f"the start of the next review day ({local})"
        )
    return Text(
        f"Mastery: the mean chance of recall at {when}, new cards counting 0. "
        f"Young/Mature: true retention of review answers (interval before <21d / "
        f"{glyphs.at_least}21d). Stab: mean stability. Load: reviews a day the seen cards "
        f"cost (sum of 1/interval). Known: cards you would recall now (sum of chances).",
        style="dim",
    )


def print_stats(console: Console, report: StatsReport) -> None:
    """The per-section table of each deck, the totals, the charts, and exam readiness."""
    glyphs = glyphs_for(console)
    encoding = console.encoding
    if glyphs is UNICODE:
        _render(console, report, glyphs, lambda title: title)
        return
    # Deck text may hold characters the output cannot encode: render, then replace them.
    with console.capture() as captured:
        _render(console, report, glyphs, _ascii)
    output = captured.get()
    console.file.write(output.encode(encoding, "replace").decode(encoding))
    console.file.flush()


def _ascii(title: str) -> str:
    return title.encode("ascii", "replace").decode("ascii")


def _render(
    console: Console, report: StatsReport, glyphs: Glyphs, text: Callable[[str], str]
) -> None:
    width = console.width
    for deck in report.decks:
        console.print(safe(text(deck.title), "bold"))
        console.print(_sections_table(deck.sections, width, glyphs, text))
    console.print(_totals(report, glyphs))
    if report.forecast and report.history is not None:
        console.print()
        console.print(
            Columns(
                [_forecast(report.forecast, glyphs), _heatmap(report.history, glyphs)],
                padding=(0, 4),
            )
        )
    if report.distributions:
        console.print()
        console.print(
            Columns(
                [
                    _histogram(d, glyphs, DISTRIBUTION_TITLES.get(d.name, d.name))
                    for d in report.distributions
                ],
                padding=(0, 3),
            )
        )
    if report.exam is not None:
        console.print()
        for part in _exam(report.exam, width, glyphs, text):
            console.print(part)
    console.print(_footer(report, glyphs))
