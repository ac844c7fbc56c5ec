"""A progress bar for work that may take a while: shown only once it has taken a second, so
quick commands print nothing extra; on stderr, so stdout stays the command's output.

:mod:`rich.progress` is imported when a bar is first drawn: most runs (quick ones, and any
whose stderr is not a terminal) never draw one."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

SHOW_AFTER = 1.0
"""Seconds of work before the bar appears."""


@contextmanager
def delayed_progress(
    console: Console, description: str, *, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[int, int], None]]:
    """A callback ``(done, total)`` that draws a bar once the work has taken a second."""
    began = clock()
    bar: Progress | None = None
    task = None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            if clock() - began < SHOW_AFTER or not console.is_terminal:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            bar = Progress(
                TextColumn(description),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar.start()
            task = bar.add_task(description, total=total)
        assert task is not None
        bar.update(task, completed=done, total=total, refresh=True)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
