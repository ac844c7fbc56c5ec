"""The list of backups."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console

from recall1924.backups import Backup, BackupContents
from recall1924.ui.reports import plain_table
from recall1924.ui.text import safe


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError


def print_backups(
    console: Console, backups: list[tuple[Backup, BackupContents | None]], folder: str
) -> None:
    """Each backup, newest first: when (local time), size, what it holds, its file."""
    if not backups:
        console.print(f"No backups yet; they go in {folder}. recall backup makes one now.")
        return
    table = plain_table()
    for name in ("Taken", "Size", "Cards", "Answers"):
        table.add_column(name, justify="left" if name == "Taken" else "right", no_wrap=True)
    table.add_column("File", overflow="fold")  # its end tells two backups of a second apart
    for backup, contents in backups:
        local: datetime = backup.taken_at.astimezone()
        table.add_row(
            local.strftime("%Y-%m-%d %H:%M:%S"),
            _size(backup.size),
            "?" if contents is None else str(contents.cards),
            "unreadable" if contents is None else str(contents.answers),
            safe(backup.path.name),
        )
    console.print(table)
    console.print(f"In {folder}. Restore one with: recall restore FILE (or latest)")
