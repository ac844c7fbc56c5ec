"""Pausing Python's cycle collector around work that builds many objects in no cycle."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block, then restore it as it was.

    A big deck or a million answers are hundreds of thousands of small objects (cards, rows,
    reviews), none of them in a cycle; every collection their allocations set off walks all
    those made so far, a third of the time spent reading them. Reference counting frees them
    all the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
