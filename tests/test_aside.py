"""recall1924.aside: work done in a forked copy of the process, and where that cannot be."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from recall1924 import aside


def in_fresh_python(code: str) -> str:
    """What ``code`` prints, run by a Python of its own: one thread, whatever threads this
    test process holds (fsrs-rs's time-series check leaves a pool of them)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_the_work_runs_in_another_process_and_its_result_comes_back() -> None:
    out = in_fresh_python(
        """
        import os
        from recall1924 import aside
        result = aside.started(lambda: (os.getpid(), [1.5, float("nan"), "x" * 200_000]))
        pid, payload = result()
        assert payload[0] == 1.5 and payload[1] != payload[1] and len(payload[2]) == 200_000
        print(pid != os.getpid())  # in the copy, on another core
        """
    )
    assert out == "True"


def test_what_the_copy_must_let_go_of_is_let_go_of_there_only() -> None:
    out = in_fresh_python(
        """
        import os
        from recall1924 import aside
        released = []
        result = aside.started(lambda: released[:], in_copy=lambda: released.append(os.getpid()))
        seen_in_copy = result()
        print(len(seen_in_copy) == 1 and seen_in_copy[0] != os.getpid() and released == [])
        """
    )
    assert out == "True"


def test_without_fork_the_work_is_done_here_when_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "fork")
    ran: list[int] = []
    result = aside.started(lambda: ran.append(os.getpid()) or 7)
    assert ran == []  # not yet
    assert result() == 7 and ran == [os.getpid()]


def test_a_copy_that_fails_leaves_the_work_to_this_process() -> None:
    out = in_fresh_python(
        """
        import os
        from recall1924 import aside
        parent = os.getpid()
        tries = []
        def work():
            if os.getpid() != parent:
                raise RuntimeError("the copy fails")
            tries.append(os.getpid())
            return 3
        print(aside.started(work)() == 3 and tries == [parent])
        """
    )
    assert out == "True"


def test_an_error_of_the_work_itself_is_raised_here() -> None:
    def work() -> int:
        raise ValueError("broken history")

    with pytest.raises(ValueError, match="broken history"):
        aside.started(work)()


def test_a_process_with_a_second_thread_does_the_work_itself() -> None:
    # a copy would get only the forking thread, and could wait forever on another's lock
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert aside.started(os.getpid)() == os.getpid()
    finally:
        stop.set()
        other.join()
