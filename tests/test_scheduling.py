"""The FSRS adapter: golden intervals, exact previews, retrievability, and invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from hypothesis import given, settings
from hypothesis import strategies as st

from recall1924.scheduling import (
    CardStatus,
    MemoryState,
    Rating,
    State,
    answer,
    build_scheduler,
    decay_of,
    preview,
    retrievability,
)
from recall1924.settings import Settings

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def run(ratings: list[int], settings_: Settings) -> list[timedelta]:
    """Answer a new card with ``ratings``, each when it comes due; return the intervals."""
    scheduler = build_scheduler(settings_)
    memory = MemoryState.new(START)
    intervals = []
    for rating in ratings:
        at = memory.due
        memory = answer(scheduler, card_id=7, memory=memory, rating=Rating(rating), at=at)
        intervals.append(memory.due - at)
    return intervals


M, D = timedelta(minutes=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([3, 3, 3, 3, 3], [10 * M, 2 * D, 11 * D, 46 * D, 163 * D]),
        ([1, 3, 3, 3, 1, 3, 3], [1 * M, 10 * M, 1 * D, 2 * D, 10 * M, 1 * D, 2 * D]),
        ([4, 4, 4], [8 * D, 66 * D, 397 * D]),
        ([2, 2, 2], [6 * M, 6 * M, 6 * M]),
    ],
)
def test_golden_intervals(
    ratings: list[int], expected: list[timedelta], settings: Settings
) -> None:
    got = [timedelta(minutes=round(interval / M)) for interval in run(ratings, settings)]
    assert got == expected


def test_settings_reach_the_scheduler(settings: Settings) -> None:
    slow = replace(settings, learning_steps=(timedelta(minutes=5), timedelta(hours=1)))
    assert run([3, 3], slow)[:1] == [timedelta(hours=1)]
    capped = replace(settings, maximum_interval=3)
    assert max(run([4, 4, 4], capped)) == 3 * D


def test_new_card_status_and_first_answer(settings: Settings) -> None:
    memory = MemoryState.new(START)
    assert memory.status is CardStatus.New
    after = answer(
        build_scheduler(settings), card_id=1, memory=memory, rating=Rating.Good, at=START
    )
    assert after.status is CardStatus.Learning
    assert after.last_review == START
    assert memory.last_review is None  # the input is not changed


def test_preview_matches_answer_even_with_fuzz(settings: Settings) -> None:
    fuzzy = build_scheduler(replace(settings, enable_fuzzing=True))
    memory = MemoryState(State.Review, None, 30.0, 5.0, START, START - timedelta(days=30))
    shown = preview(fuzzy, card_id=3, memory=memory, at=START)
    for rating, interval in shown.items():
        given_ = answer(fuzzy, card_id=3, memory=memory, rating=rating, at=START)
        assert given_.due - START == interval
    # fuzz differs between cards, so cards learnt together drift apart
    others = {
        preview(fuzzy, card_id=card_id, memory=memory, at=START)[Rating.Good]
        for card_id in range(20)
    }
    assert len(others) > 1


def test_retrievability_matches_fsrs(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    card = FsrsCard(
        card_id=1,
        state=State.Review,
        stability=12.5,
        difficulty=5.0,
        due=START,
        last_review=START - timedelta(days=9, hours=5),
    )
    expected = scheduler.get_card_retrievability(card, START)
    assert retrievability(9.2, 12.5, decay_of(scheduler)) == pytest.approx(expected)
    assert retrievability(0, None, decay_of(scheduler)) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    ratings=st.lists(st.sampled_from(list(Rating)), min_size=1, max_size=12),
    delays=st.lists(st.floats(0, 2.0), min_size=12, max_size=12),
    fuzz=st.booleans(),
)
def test_due_is_never_before_the_review(
    ratings: list[Rating], delays: list[float], fuzz: bool
) -> None:
    scheduler = build_scheduler(replace(Settings.from_stored({}), enable_fuzzing=fuzz))
    memory = MemoryState.new(START)
    at = START
    for rating, delay in zip(ratings, delays, strict=False):
        # answer on time, late, or early (delay is a fraction of the interval)
        at = at + (memory.due - at) * delay if memory.due > at else at
        memory = answer(scheduler, card_id=11, memory=memory, rating=rating, at=at)
        assert memory.due >= at
        assert memory.last_review == at
        assert memory.stability is not None and memory.stability > 0
        assert 1 <= (memory.difficulty or 0) <= 10
