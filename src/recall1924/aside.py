"""Work done aside on another core while this process does its own: :func:`started`.

``recall optimize`` scores the parameters in use while fsrs-rs fits new ones. The fit holds the
interpreter's lock from start to end on one core, so a thread would wait for it; a copy of the
process made by ``fork`` has everything the scoring needs already in memory (the answers read
from the store) and runs on the second core. Only the result travels back, pickled through a
pipe. The copy touches no file, connection or terminal it shares with its parent and leaves
through ``os._exit``, which runs no clean-up of theirs.

Where there is no ``fork`` (Windows), or it fails, or the copy dies or raises, the work is done
in this process when its result is asked for: the answer is the same, only later. So it is in a
process with a second thread (a native library's pool, say): a copy gets only the thread that
forked, and would wait forever on a lock another one held.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["started"]

T = TypeVar("T")


def started(work: Callable[[], T], *, in_copy: Callable[[], None] | None = None) -> Callable[[], T]:
    """Start ``work`` in a forked copy of this process; return what waits for its result.

    ``work`` must return something picklable and must not write to anything the process
    shares (the store, the terminal): its side effects stay in the copy. The returned function
    is to be called once.

    Args:
        work: what to do.
        in_copy: run in the copy first, never here: to let go of what the copy must not use,
            such as the parent's database connections (SQLAlchemy's
            ``engine.dispose(close=False)`` gives the copy connections of its own).
    """
    fork = getattr(os, "fork", None)
    if fork is None or not _single_threaded():
        return work
    read_end, write_end = os.pipe()
    try:
        pid = fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return work
    if pid == 0:  # the copy
        os.close(read_end)
        status = 0
        try:
            if in_copy is not None:
                in_copy()
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # the parent does the work itself: its error is the one shown
            status = 1
        os._exit(status)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            return work()
        value: T = pickle.loads(payload)
        return value

    return result


def _single_threaded() -> bool:
    """Whether this process runs one thread: native ones included where the system lists them
    (Linux), Python's own elsewhere."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1
