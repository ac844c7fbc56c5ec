"""The card browser on the terminal: the list of cards (``recall cards``) and one card in full
(``recall card KEY``).

The list is one line per card at any width from 60 columns: narrower terminals get fewer
columns, and text that still does not fit is cut with "…", never wrapped. Every piece of deck
text goes through :func:`~recall1924.ui.text.safe`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich import box
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from recall1924.browse import CardPage, CardReport, CardRow, HistoryRow, status_name
from recall1924.models import ReviewKind
from recall1924.settings import format_duration
from recall1924.ui.text import fit_widths, safe, visible
from recall1924.words import plural

NONE = "–"

WIDE = 120
"""From this width the list shows every column."""
MEDIUM = 80
"""From this width the list adds the section and the question."""


def _one_line(text: str, limit: int) -> str:
    # Whitespace runs (newlines included) become one space: a card is one line of the list.
    return " ".join(text[: limit * 2].split())[:limit]


def _local(moment: datetime | None) -> str:
    return NONE if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _relative(moment: datetime, now: datetime) -> str:
    if abs(moment - now).total_seconds() < 60:
        return "now"
    if moment > now:
        return f"in {format_duration(moment - now)}"
    return f"{format_duration(now - moment)} ago"


def _percent(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def _days(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}d"


def _number(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


@dataclass(frozen=True)
class _Column:
    header: str
    cell: Callable[[CardRow], str]
    justify: JustifyMethod = "left"
    weight: int = 0
    """Deck text has a weight: it shares what width the other columns leave, in proportion,
    and is cut with "…". A column without one is as wide as its widest cell."""


def _state(row: CardRow, *, mark_suspended: bool) -> str:
    name = status_name(row.status)
    return f"{name}*" if mark_suspended and row.suspended else name


def _column_sets(width: int, now: datetime) -> list[list[_Column]]:
    """The sets of columns a table ``width`` wide may show, the fullest first: every column
    from ``WIDE`` cells, the section and question from ``MEDIUM``, and always the key, state,
    chance of recall and due date."""

    def due(row: CardRow) -> str:
        return NONE if row.last_review is None else _relative(row.due, now)

    def reviewed(row: CardRow) -> str:
        return NONE if row.last_review is None else _relative(row.last_review, now)

    def state(*, mark_suspended: bool) -> _Column:
        return _Column("State", lambda row: _state(row, mark_suspended=mark_suspended))

    deck = _Column("Deck", lambda row: row.deck, weight=1)
    section = _Column("Section", lambda row: row.section, weight=2)
    # never cut: the key is what card, edit, forget and suspend take, copied from here
    key = _Column("Key", lambda row: row.key)
    question = _Column("Question", lambda row: row.question, weight=6)
    recall = _Column("R", lambda row: _percent(row.retrievability), "right")
    due_column = _Column("Due", due, "right")
    narrow = [key, state(mark_suspended=True), recall, due_column]
    medium = [section, key, question, *narrow[1:]]
    wide = [
        deck,
        section,
        key,
        question,
        state(mark_suspended=False),
        _Column("Susp", lambda row: "yes" if row.suspended else ""),
        _Column("Stab.", lambda row: _days(row.stability), "right"),
        _Column("Diff.", lambda row: _number(row.difficulty), "right"),
        recall,
        due_column,
        _Column("Reviewed", reviewed, "right"),
        _Column("Revs", lambda row: str(row.reviews), "right"),
        _Column("Lapses", lambda row: str(row.lapses), "right"),
    ]
    if width >= WIDE:
        return [wide, medium, narrow]
    return [medium, narrow] if width >= MEDIUM else [narrow]


# A shared column is cut no narrower than this (or its header) while others have room.
_FLOOR = 8
# One space of padding and the box's blank rule between two columns.
_SPACING = 2


def cards_table(rows: Sequence[CardRow], *, width: int, now: datetime) -> Table:
    """The list of cards as a table at most ``width`` cells wide, one line per card."""
    # The fullest set of columns whose uncut ones and the others' floors fit: a long key
    # leaves out the columns a narrower terminal does without, rather than be cut.
    for columns in _column_sets(width, now):
        # escaped before measuring: a control character shows as several cells (\x1b)
        cells = [
            [visible(_one_line(column.cell(row), width)) for column in columns] for row in rows
        ]
        natural = [
            max([cell_len(column.header), *(cell_len(line[index]) for line in cells)])
            for index, column in enumerate(columns)
        ]
        shared = [index for index, column in enumerate(columns) if column.weight]
        floors = [max(_FLOOR, cell_len(columns[index].header)) for index in shared]
        fixed = sum(natural[index] for index in range(len(columns)) if index not in shared)
        available = width - _SPACING * (len(columns) - 1) - fixed
        least = sum(min(natural[index], floor) for index, floor in zip(shared, floors, strict=True))
        if least <= available:
            break
    widths = list(natural)
    shares = fit_widths(
        [natural[index] for index in shared],
        [columns[index].weight for index in shared],
        floors,
        available,
    )
    for index, share in zip(shared, shares, strict=True):
        widths[index] = share
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for column, column_width in zip(columns, widths, strict=True):
        table.add_column(
            column.header,
            justify=column.justify,
            width=column_width,
            no_wrap=True,
            overflow="ellipsis",
        )
    for line in cells:
        table.add_row(*(safe(cell) for cell in line))
    return table


def print_cards(console: Console, page: CardPage, *, now: datetime) -> None:
    """The cards found, one per line, then how many more there are and how to see them."""
    if not page.matched:
        console.print("No cards match.")
        return
    table = cards_table(page.rows, width=console.width, now=now)
    console.print(table)
    marked = all(column.header != "Susp" for column in table.columns)
    if marked and any(row.suspended for row in page.rows):
        console.print(Text("* suspended", style="dim"))
    if page.more:
        console.print(
            Text(
                f"Showing {len(page.rows)} of {page.matched} cards (--limit 0 for all)",
                style="dim",
            )
        )


def _history_table(history: Sequence[HistoryRow], width: int) -> Table:
    # The review screen's colours, imported here: with them comes the whole review session,
    # which listing cards (``recall cards --json`` above all) has no use for.
    from recall1924.ui.bindings import RATING_STYLE

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    medium = width >= MEDIUM
    table.add_column("When", no_wrap=True)
    if medium:
        table.add_column("Kind", no_wrap=True)
        table.add_column("Before", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Interval", justify="right", no_wrap=True)
    table.add_column("Stab.", justify="right", no_wrap=True)
    if width >= 100:
        table.add_column("Diff.", justify="right", no_wrap=True)
    if medium:
        table.add_column("Time", justify="right", no_wrap=True)
    for entry in history:
        cells: list[str | Text] = [_local(entry.reviewed_at)]
        if medium:
            cells += [entry.kind.name.lower(), status_name(entry.status_before)]
        if entry.kind is ReviewKind.Reschedule:  # no answer: the due date moved
            wait = entry.due - entry.reviewed_at
            # an overdue card's new due day may still be past: it is due at once
            interval = format_duration(wait) if wait.total_seconds() > 0 else "due now"
            table.add_row(*cells, Text("rescheduled", style="dim"), interval)
            continue
        if entry.rating is None:  # a reset: the answers above are an earlier life
            table.add_row(*cells, Text("reset to new", style="bold"))
            continue
        style = RATING_STYLE[entry.rating] if entry.kind is ReviewKind.Review else "dim"
        cells.append(Text(entry.rating.name, style=style))
        cells += [format_duration(entry.due - entry.reviewed_at), _days(entry.stability)]
        if width >= 100:
            cells.append(_number(entry.difficulty))
        if medium:
            seconds = None if entry.duration_ms is None else entry.duration_ms / 1000
            cells.append(NONE if seconds is None else f"{seconds:.1f}s")
        table.add_row(*cells)
    return table


def _wording_rows(fields: Table, report: CardReport) -> None:
    """Whose wording the card has, and the deck's own where it differs from the student's."""
    card, upstream = report.card, report.card.upstream
    if card.edited_at is None:
        return
    fields.add_row(
        "Wording", f"your own, since {_local(card.edited_at)}: updates of the deck keep it"
    )
    if upstream is None:
        return
    label = "Newer" if upstream.updated_at is not None else "Deck's"
    if upstream.updated_at is not None:
        fields.add_row(
            "Newer wording",
            f"the deck has one since {_local(upstream.updated_at)}; recall edit {card.key} "
            "shows it beside yours",
        )
    for name, mine, theirs in (
        ("question", card.question, upstream.question),
        ("answer", card.answer, upstream.answer),
        ("note", card.note or "", upstream.note or ""),
        ("tags", ", ".join(card.tags), ", ".join(upstream.tags)),
    ):
        if mine != theirs:
            fields.add_row(f"{label} {name}", safe(theirs or "(none)"))


def print_card(console: Console, report: CardReport, *, now: datetime) -> None:
    """One card: its text and place, its memory state now, then every answer given to it."""
    card, memory = report.card, report.memory
    console.print(Text.assemble(safe(card.deck_title, "bold"), " › ", safe(card.section_title)))
    fields = Table.grid(padding=(0, 1))
    fields.add_column(style="dim", no_wrap=True)
    fields.add_column()
    fields.add_row(
        "Card",
        Text.assemble(
            safe(card.key, "bold"),
            " in deck ",
            safe(card.deck),
            ", section ",
            safe(card.section),
        ),
    )
    fields.add_row("Question", safe(card.question))
    fields.add_row("Answer", safe(card.answer))
    if card.note:
        fields.add_row("Note", safe(card.note))
    if card.tags:
        fields.add_row("Tags", safe(", ".join(card.tags)))
    if card.source_id:
        fields.add_row("Source", safe(card.source_id))
    if card.flag:
        fields.add_row("Flagged", safe(card.flag_reason or "yes (no reason given)"))
    _wording_rows(fields, report)
    if card.suspended:
        fields.add_row("Suspended", "yes: never due until unsuspended")
    if card.buried_until is not None and card.buried_until > now:
        fields.add_row("Buried", f"until {_local(card.buried_until)}")
    state = status_name(report.status)
    if memory.last_review is None:
        # a card with history is new again after a reset
        why = "reset, not answered since" if report.history else "not answered yet"
        fields.add_row("State", f"{state}: {why}")
    else:
        fields.add_row(
            "State",
            f"{state} · stability {_days(memory.stability)} · difficulty "
            f"{_number(memory.difficulty)} · recall now {_percent(report.retrievability)}",
        )
        fields.add_row("Due", f"{_local(memory.due)} ({_relative(memory.due, now)})")
        fields.add_row(
            "Last review", f"{_local(memory.last_review)} ({_relative(memory.last_review, now)})"
        )
    fields.add_row(
        "Answers", f"{plural(report.reviews, 'review')}, {plural(report.lapses, 'lapse')}"
    )
    console.print(fields)
    if report.history:
        console.print(_history_table(report.history, console.width))
    else:
        console.print(Text("No answers yet.", style="dim"))
