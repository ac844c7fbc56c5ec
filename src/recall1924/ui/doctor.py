"""What ``recall doctor`` prints: the repair, then one line per check, then what is left."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from recall1924.doctor import DoctorReport
from recall1924.ui.text import safe
from recall1924.words import plural


def print_doctor(console: Console, report: DoctorReport) -> None:
    """The report; each line whole (the terminal wraps it), since it names paths and cards."""

    def line(*parts: str | Text | tuple[str, str]) -> None:
        console.print(Text.assemble(*parts), soft_wrap=True)

    line("Checked ", safe(str(report.database)))
    repair = report.repair
    if repair is not None:
        if repair.refused is not None:
            line(("Nothing repaired: ", "bold"), repair.refused)
        if repair.backup is not None:
            line("Backed up the database to ", safe(str(repair.backup)), " first.")
        for action in repair.done:
            line(safe(action.summary))
    for finding in report.findings:
        mark = ("✓", "green") if finding.ok else ("✗", "red")
        line(mark, " ", (finding.title, "bold"), ": ", safe(finding.summary))
        if not finding.ok and finding.remedy:
            line("  ", safe(finding.remedy, "dim"))
    failing = [finding for finding in report.findings if not finding.ok]
    if not failing:
        line("Everything is in order." if repair is None or not repair.done else "All repaired.")
        return
    found = plural(len(failing), "check")
    if repair is not None:
        line(f"{found} still {'finds' if len(failing) == 1 else 'find'} problems.")
        return
    line(f"{found} {'finds' if len(failing) == 1 else 'find'} problems.")
    fixable = [finding.title for finding in report.repairable]
    if fixable:
        first = "backs the database up, then fixes" if report.backs_up else "fixes"
        line(f"recall doctor --repair {first}: ", ", ".join(fixable), ".")
