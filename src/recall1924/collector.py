"""Pausing Python's cycle collector around work that builds many objects in no cycle, and
putting what a command built out of its reach."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
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


@contextmanager
def collector_off_until_started() -> Iterator[Callable[[], None]]:
    """The cycle collector paused while a long command (a review) sets up, until it calls the
    function this yields, as its own work begins; as it was again at the end.

    What the set-up builds is the modules it imports and today's queue, which live through the
    command or are freed by reference counting: the collector's passes over them found nothing
    (50 ms of CPU before a review's first card on a 100,000-card collection). When the work
    begins they are put out of the collector's reach (:func:`gc.freeze`), or its first pass
    would walk every one of them at once, and given back at the end (:func:`gc.unfreeze`),
    for a process that goes on after the command (a test's).
    """
    was_enabled = gc.isenabled()
    began = False

    def started() -> None:
        nonlocal began
        if was_enabled and not began:
            began = True
            gc.freeze()
            gc.enable()

    gc.disable()
    try:
        yield started
    finally:
        if began:
            gc.unfreeze()
        if was_enabled:
            gc.enable()
