"""The summary of ``recall migrate-store``: the rows of each table on both sides, the media."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from recall1924.moving import MoveReport
from recall1924.ui.reports import plain_table


def print_move(console: Console, report: MoveReport) -> None:
    """One table (each table's rows in the source and in the target), then where it went, how
    long it took and the media files."""
    table = plain_table()
    table.add_column("Table", no_wrap=True)
    table.add_column("Source", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    for name, source, target in report.rows:
        table.add_row(name, f"{source:,}", f"{target:,}")
    console.print(table)
    lines = [
        f"Moved {report.source} to {report.target} in {report.seconds:.1f} s.",
        f"{report.source} was only upgraded to this recall's schema first, as any command does."
        if report.source_upgraded
        else f"{report.source} is unchanged.",
    ]
    media = report.media
    if media.copied or media.present or media.missing:
        parts = [f"Copied {media.copied} media files to {media.folder}"]
        if media.present:
            parts.append(f"{media.present} there already")
        if media.missing:
            parts.append(f"{media.missing} missing from the source's folder")
        lines.append("; ".join(parts) + ".")
    for line in lines:
        # Whole, never broken across lines: a path or a URL is there to be copied.
        console.print(Text(line), soft_wrap=True)
    if media.problem:
        console.print(
            Text(f"Not every media file was copied: {media.problem}", style="bold"), soft_wrap=True
        )
