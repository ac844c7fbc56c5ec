"""recall1924.aside: work done in a forked copy of the process, and where that cannot be."""

from __future__ import annotations

import os
import threading
import time

import pytest

from recall1924 import aside


def test_the_work_runs_in_another_process_and_its_result_comes_back() -> None:
    parent = os.getpid()
    result = aside.started(lambda: (os.getpid(), [1.5, float("nan"), "x" * 200_000]))
    pid, payload = result()
    assert pid != parent  # in the copy, on another core
    assert payload[0] == 1.5 and payload[1] != payload[1] and len(payload[2]) == 200_000


def test_without_fork_the_work_is_done_here_when_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "fork")
    ran: list[int] = []
    result = aside.started(lambda: ran.append(os.getpid()) or 7)
    assert ran == []  # not yet
    assert result() == 7 and ran == [os.getpid()]


def test_a_copy_that_fails_leaves_the_work_to_this_process(tmp_path: os.PathLike[str]) -> None:
    marker = os.path.join(tmp_path, "tries")
    parent = os.getpid()

    def work() -> int:
        with open(marker, "a") as tries:
            tries.write(f"{os.getpid()}\n")
        if os.getpid() != parent:
            raise RuntimeError("the copy fails")
        return 3

    assert aside.started(work)() == 3
    with open(marker) as tries:
        pids = [int(line) for line in tries]
    assert len(pids) == 2 and pids[-1] == parent and pids[0] != parent


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
    # the system lists a joined thread until it has quite finished
    deadline = time.monotonic() + 5
    while len(os.listdir("/proc/self/task")) > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert aside.started(os.getpid)() != os.getpid()
