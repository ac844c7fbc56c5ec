"""The ``recall class`` screens: the class report (each student's mastery per section and exam
readiness, and the class's spread of them) and the register.

Holds :func:`print_class_stats` and :func:`print_students`. The figures are the class report's
(:mod:`recall1924.classroom`), which are each student's own ``recall stats`` figures: nothing is
computed here but where a column goes. Many students do not squeeze: the mastery table is
printed in as many tables as it takes, each as many students wide as the terminal holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from recall1924.classroom import ClassReport, Spread, StudentStats
from recall1924.store.classroom import Registered
from recall1924.ui.stats import Glyphs, glyphs_for
from recall1924.ui.text import safe
from recall1924.words import plural

SECTION_WIDTH = 28
"""The widest the section column gets (the bundled deck's titles fit)."""
GAP = 3
"""Between two columns: a space of padding each side of the (blank) divider."""
CELL = 4
"""The narrowest a figure's column is: ``100%``."""


def _percent(value: float | None, glyphs: Glyphs) -> str:
    return glyphs.dash if value is None else f"{value:.0%}"


def _spread(spread: Spread | None, glyphs: Glyphs) -> tuple[str, str]:
    if spread is None:
        return glyphs.dash, glyphs.dash
    return _percent(spread.mean, glyphs), _percent(spread.median, glyphs)


def _table(glyphs: Glyphs, first: str, width: int) -> Table:
    table = Table(box=glyphs.table_box, pad_edge=False, show_edge=False, expand=False)
    table.add_column(first, no_wrap=True, overflow="ellipsis", max_width=width)
    return table


def _mastery_of(student: StudentStats) -> dict[tuple[str, str], float]:
    assert student.report is not None
    return {
        (deck.id, section.id): section.mastery
        for deck in student.report.decks
        for section in deck.sections
    }


def _chunks(names: Sequence[str], room: int) -> list[list[str]]:
    """``names`` in runs whose columns fit ``room`` cells (at least one a run)."""
    runs: list[list[str]] = [[]]
    used = 0
    for name in names:
        wide = max(cell_len(name), CELL) + GAP
        if runs[-1] and used + wide > room:
            runs.append([])
            used = 0
        runs[-1].append(name)
        used += wide
    return runs if runs[0] else []


def _mastery_tables(console: Console, report: ClassReport, glyphs: Glyphs) -> None:
    readable = [student for student in report.students if student.report is not None]
    longest = max((cell_len(section.title) for section in report.sections), default=0)
    first = max(len("All sections"), min(SECTION_WIDTH, longest))
    class_columns = 2 * (len("Median") + GAP)
    mastery = {student.name: _mastery_of(student) for student in readable}
    totals = {s.name: s.report.totals.mastery for s in readable if s.report is not None}
    # The first table also holds the class's columns; the rest have that room for students.
    runs = _chunks([s.name for s in readable], console.width - first - class_columns)
    for index, run in enumerate(runs or [[]]):
        if index:
            console.print()
        table = _table(glyphs, "Section", first)
        if index == 0:
            table.add_column("Mean", justify="right", no_wrap=True)
            table.add_column("Median", justify="right", no_wrap=True)
        for name in run:
            table.add_column(name, justify="right", no_wrap=True)
        for section in report.sections:
            key = (section.deck, section.id)
            cells = list(_spread(section.mastery, glyphs)) if index == 0 else []
            cells += [_percent(mastery[name].get(key), glyphs) for name in run]
            table.add_row(safe(section.title), *cells)
        overall = list(_spread(report.mastery, glyphs)) if index == 0 else []
        table.add_row(
            Text("All sections", style="bold"),
            *(Text(cell, style="bold") for cell in overall),
            *(Text(_percent(totals[name], glyphs), style="bold") for name in run),
        )
        console.print(table)


def _exam_table(console: Console, report: ClassReport, glyphs: Glyphs) -> None:
    """One row per student with an exam: its day, the target, the cards known on exam day if
    they keep to the schedule, the reviews a day that takes, and whether they are on track."""
    table = _table(glyphs, "Student", max(len("Student"), console.width // 4))
    for header in ("Exam", "Days", "Target", "Known", "Per day", "On track"):
        table.add_column(header, justify="right", no_wrap=True)
    for student in report.students:
        exam = None if student.report is None else student.report.exam
        if exam is None:
            continue
        cards = sum(section.cards for section in exam.sections)
        table.add_row(
            safe(student.name),
            exam.day.isoformat(),
            str(exam.days_left),
            f"{exam.target:.0%}",
            f"{exam.knowledge_on_schedule:.0f} of {cards}",
            f"{exam.reviews_per_day_needed:.1f}",
            Text("yes", style="green") if student.on_track else Text("no", style="red"),
        )
    console.print(table)


def _names(students: Sequence[StudentStats]) -> Text:
    return Text(", ").join(safe(student.name) for student in students)


def print_class_stats(console: Console, report: ClassReport) -> None:
    """Mastery per section per student with the class's mean and median, each student's exam
    readiness, and who has no collection yet or could not be read."""
    glyphs = glyphs_for(console)
    opened = sum(student.report is not None for student in report.students)
    console.print(Text.assemble(("Class in ", "bold"), (report.database, "bold")))
    console.print(f"{plural(len(report.students), 'student')}, {opened} with a collection.")
    if not report.students:
        console.print("No students yet. Add one with: recall class add-student NAME")
        return
    if opened:
        console.print()
        console.print(Text("Mastery", style="bold"))
        _mastery_tables(console, report, glyphs)
        console.print()
        console.print(Text("Exam readiness", style="bold"))
        if report.with_exam:
            _exam_table(console, report, glyphs)
        without = [s for s in report.students if s.report is not None and s.report.exam is None]
        if without:
            console.print(Text.assemble("No exam set: ", _names(without), "."))
        console.print(
            f"On track: {report.on_track} of {plural(report.with_exam, 'student')} with an exam."
        )
    waiting = [student for student in report.students if student.status == "not_opened"]
    if waiting:
        console.print(Text.assemble("Not opened their collection yet: ", _names(waiting), "."))
    for student in report.students:
        if student.status == "unreadable":
            console.print(
                Text.assemble(
                    safe(student.name), ": could not be read: ", safe(student.problem or "")
                ),
                style="yellow",
            )
    console.print(
        Text(
            "Mastery: each student's own (recall stats): the mean chance of recall at the start "
            "of their next review day, or of exam day once they set one; new cards count 0. "
            "Known: cards recalled on exam day if they keep to the schedule. On track: then "
            "every section reaches the exam's target, and every new card can start before it.",
            style="dim",
        )
    )


def print_students(console: Console, register: Sequence[Registered]) -> None:
    """The register: each student, when they were added, and whether their collection exists."""
    if not register:
        console.print("No students yet. Add one with: recall class add-student NAME")
        return
    glyphs = glyphs_for(console)
    table = _table(glyphs, "Student", console.width)
    table.add_column("Added", no_wrap=True)
    table.add_column("Collection", no_wrap=True)
    for student in register:
        table.add_row(
            safe(student.name),
            student.added_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "opened" if student.opened else Text("not opened yet", style="dim"),
        )
    console.print(table)
