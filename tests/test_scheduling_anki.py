"""The four rating keys give what Anki's own backend gives, for cards in every state.

``tests/data/anki_intervals.json`` holds what the official backend (PyPI ``anki``,
``get_scheduling_states``) says Again, Hard, Good and Easy would do to a card in each of 35
situations: new; learning or relearning at a step, the same day or the next; review cards early,
on time, overdue, with tiny and large stabilities; no steps, one step, day-long steps, a low
maximum interval and other desired retentions. Regenerate it with
``.venv/bin/python tests/make_anki_intervals.py`` (see its docstring). Fuzz is off on both sides
(its draw is each program's own); the fuzz range itself is checked in ``test_balance.py``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conftest import NOW
from recall1924.scheduling import MemoryState, Rating, State, answer, build_scheduler, preview
from recall1924.settings import Settings

FIXTURE = json.loads((Path(__file__).parent / "data" / "anki_intervals.json").read_text())
STATES = {"learning": State.Learning, "relearning": State.Relearning, "review": State.Review}
NAMES = {state: name for name, state in STATES.items()}


def _settings(case: dict[str, Any]) -> Settings:
    given_ = case["settings"]
    return replace(
        Settings.from_stored({}),
        learning_steps=tuple(timedelta(seconds=s) for s in given_["learning_steps"]),
        relearning_steps=tuple(timedelta(seconds=s) for s in given_["relearning_steps"]),
        maximum_interval=given_["maximum_interval"],
        desired_retention=given_["desired_retention"],
        enable_fuzzing=False,
        day_starts_at=FIXTURE["rollover"],
    )


def _memory(card: dict[str, Any]) -> MemoryState:
    if card["state"] == "new":
        return MemoryState.new(NOW)
    # NOW is 09:00 UTC, after the 04:00 rollover: whole days back are as many review days
    last = NOW - timedelta(days=card["elapsed_days"])
    due = last + timedelta(days=card.get("scheduled_days", 0))
    return MemoryState(
        STATES[card["state"]], card.get("step"), card["stability"], card["difficulty"], due, last
    )


def test_the_fixture_was_made_with_fsrs_own_defaults() -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    assert FIXTURE["parameters"] == list(DEFAULT_PARAMETERS)
    assert len(FIXTURE["cases"]) >= 30
    made = {case["card"]["state"] for case in FIXTURE["cases"]}
    assert made == {"new", "learning", "review", "relearning"}


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_each_key_gives_what_anki_gives(case: dict[str, Any]) -> None:
    settings = _settings(case)
    scheduler = build_scheduler(settings)
    memory = _memory(case["card"])
    shown = preview(scheduler, card_id=1, memory=memory, at=NOW, day_starts_at=4)
    for rating in Rating:
        expected = case["expected"][rating.name.lower()]
        after = answer(scheduler, card_id=1, memory=memory, rating=rating, at=NOW, day_starts_at=4)
        wait = (
            timedelta(days=expected["days"])
            if "days" in expected
            else timedelta(seconds=expected["seconds"])
        )
        got = (NAMES[after.state], after.due - NOW, shown[rating])
        assert got == (expected["state"], wait, wait), rating.name
        # the backend computes in 32-bit floats
        assert after.stability == pytest.approx(expected["stability"], rel=2e-5), rating.name
        assert after.difficulty == pytest.approx(expected["difficulty"], rel=2e-5), rating.name


def test_a_lapsed_card_keeps_its_keys_apart() -> None:
    # The reported fault: after a lapse every passing key read 1d. Anki keeps Good a day past
    # Hard and Easy a day past Good, on a relearning card and on the review card after it.
    scheduler = build_scheduler(replace(Settings.from_stored({}), enable_fuzzing=False))
    relearning = MemoryState(State.Relearning, 0, 0.6077, 7.39, NOW, NOW - timedelta(hours=1))
    shown = preview(scheduler, card_id=1, memory=relearning, at=NOW, day_starts_at=4)
    assert shown == {
        Rating.Again: timedelta(minutes=10),
        Rating.Hard: timedelta(minutes=15),
        Rating.Good: timedelta(days=1),
        Rating.Easy: timedelta(days=2),
    }
    lapsed = MemoryState(State.Review, None, 0.66, 7.38, NOW, NOW - timedelta(days=1))
    shown = preview(scheduler, card_id=1, memory=lapsed, at=NOW, day_starts_at=4)
    assert [shown[rating].days for rating in Rating][1:] == [2, 3, 4]


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    stability=st.floats(0.01, 400),
    difficulty=st.floats(1, 10),
    elapsed=st.integers(0, 500),
    scheduled=st.integers(1, 400),
    fuzz=st.booleans(),
    card_id=st.integers(1, 10**6),
)
def test_review_keys_are_in_order_and_apart(
    stability: float, difficulty: float, elapsed: int, scheduled: int, fuzz: bool, card_id: int
) -> None:
    settings = replace(Settings.from_stored({}), enable_fuzzing=fuzz)
    last = NOW - timedelta(days=elapsed)
    memory = MemoryState(
        State.Review, None, stability, difficulty, last + timedelta(days=scheduled), last
    )
    shown = preview(
        build_scheduler(settings), card_id=card_id, memory=memory, at=NOW, day_starts_at=4
    )
    hard, good, easy = (shown[rating].days for rating in (Rating.Hard, Rating.Good, Rating.Easy))
    assert 1 <= hard < good < easy <= settings.maximum_interval
    assert shown[Rating.Again] == settings.relearning_steps[0]
