"""The FSRS adapter: golden intervals, exact previews, retrievability, and invariants."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from copy import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fsrs import Card as FsrsCard
from fsrs import Scheduler
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recall1924.balance import DayLoads, fuzz_bounds
from recall1924.clock import day_bounds
from recall1924.scheduling import (
    CardStatus,
    MemoryState,
    Rating,
    State,
    answer,
    answer_in_turn,
    build_scheduler,
    decay_of,
    elapsed_days,
    preview,
    retrievability,
    review_day,
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


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_review_day_starts_at_the_rollover_hour() -> None:
    # UTC is local time here (conftest)
    before, after = utc("2026-11-27T03:59+00:00"), utc("2026-11-27T04:01+00:00")
    assert review_day(after, 4) == review_day(before, 4) + 1
    assert elapsed_days(before, after, day_starts_at=4) == 1
    assert elapsed_days(before, after) == 0  # 24-hour periods
    assert elapsed_days(before, after, day_starts_at=0) == 0
    late, morning = utc("2026-11-27T22:00+00:00"), utc("2026-11-28T08:00+00:00")
    assert elapsed_days(late, morning, day_starts_at=4) == 1
    assert elapsed_days(after, morning + timedelta(hours=20), day_starts_at=4) == 2
    assert elapsed_days(morning, late, day_starts_at=4) == 0  # never negative


@pytest.fixture
def london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.mark.usefixtures("london")
def test_review_days_follow_daylight_saving() -> None:
    # Clocks go forward at 01:00 GMT on 29 March 2026: 03:30 GMT on the 28th is still the
    # 27th's review day, 24 hours later it is 04:30 BST on the 29th, two review days on.
    spring = utc("2026-03-28T03:30+00:00")
    assert elapsed_days(spring, spring + timedelta(hours=24), day_starts_at=4) == 2
    # Clocks go back at 01:00 GMT on 25 October 2026: 04:30 BST on the 24th, then 24 hours
    # later 03:30 GMT on the 25th, which still belongs to the 24th.
    autumn = utc("2026-10-24T03:30+00:00")
    assert elapsed_days(autumn, autumn + timedelta(hours=24), day_starts_at=4) == 0
    # 03:59 and 04:01 local in summer are 02:59 and 03:01 UTC
    assert review_day(utc("2026-07-01T03:01+00:00"), 4) == (
        review_day(utc("2026-07-01T02:59+00:00"), 4) + 1
    )


@pytest.mark.usefixtures("london")
@settings(max_examples=200, deadline=None)
# The day before the spring change, with days starting at 1 am: 1 am on the day of the change
# does not exist in London (GMT 1:00 is BST 2:00), so the next day starts at 1:00 UTC.
@example(moment=datetime(2024, 3, 30, 1, 0, tzinfo=UTC), starts_at=1)
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    starts_at=st.integers(0, 23),
)
def test_review_day_is_the_day_of_day_bounds(moment: datetime, starts_at: int) -> None:
    start, end = day_bounds(moment, starts_at)
    assert start <= moment < end
    assert review_day(moment, starts_at) == start.astimezone().toordinal()
    assert review_day(end, starts_at) == review_day(moment, starts_at) + 1


REVIEWED_LATE = utc("2026-11-26T22:00+00:00")
NEXT_MORNING = utc("2026-11-27T08:00+00:00")


def test_answer_counts_review_days_when_told(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    memory = MemoryState(State.Review, None, 10.0, 5.0, REVIEWED_LATE, REVIEWED_LATE)
    by_day = answer(
        scheduler, card_id=1, memory=memory, rating=Rating.Good, at=NEXT_MORNING, day_starts_at=4
    )
    by_hours = answer(scheduler, card_id=1, memory=memory, rating=Rating.Good, at=NEXT_MORNING)
    # fsrs alone: 10 hours is a same-day review; by review days it is one day later, exactly as
    # if the last review had been 24 hours before
    a_day_before = replace(memory, last_review=NEXT_MORNING - timedelta(days=1))
    one_day = answer(scheduler, card_id=1, memory=a_day_before, rating=Rating.Good, at=NEXT_MORNING)
    assert by_day.stability == pytest.approx(one_day.stability)
    assert by_day.difficulty == pytest.approx(one_day.difficulty)
    assert (by_hours.stability or 0) < (by_day.stability or 0)
    assert by_day.last_review == NEXT_MORNING
    assert by_day.due == one_day.due
    # the same day by both counts: the same answer
    same_day = answer(
        scheduler, card_id=1, memory=memory, rating=Rating.Good, at=REVIEWED_LATE, day_starts_at=4
    )
    assert same_day == answer(
        scheduler, card_id=1, memory=memory, rating=Rating.Good, at=REVIEWED_LATE
    )


def test_preview_counts_review_days_like_answer(settings: Settings) -> None:
    fuzzy = build_scheduler(replace(settings, enable_fuzzing=True))
    memory = MemoryState(State.Review, None, 10.0, 5.0, REVIEWED_LATE, REVIEWED_LATE)
    shown = preview(fuzzy, card_id=3, memory=memory, at=NEXT_MORNING, day_starts_at=4)
    for rating, interval in shown.items():
        given_ = answer(
            fuzzy, card_id=3, memory=memory, rating=rating, at=NEXT_MORNING, day_starts_at=4
        )
        assert given_.due - NEXT_MORNING == interval
    assert shown != preview(fuzzy, card_id=3, memory=memory, at=NEXT_MORNING)


@pytest.mark.parametrize("fuzz", [False, True])
def test_answer_in_turn_is_answer_after_answer(fuzz: bool, settings: Settings) -> None:
    scheduler = build_scheduler(replace(settings, enable_fuzzing=fuzz))
    turns = [
        (Rating(rating), START + timedelta(days=day, hours=day % 7))
        for day, rating in [(0, 3), (0, 1), (1, 3), (4, 2), (20, 4), (21, 1), (60, 3)]
    ]
    random.seed(3)
    draw = random.random()
    random.seed(3)
    states = answer_in_turn(
        scheduler, card_id=4, memory=MemoryState.new(START), answers=turns, day_starts_at=4
    )
    assert random.random() == draw  # the caller's random state is given back
    memory = MemoryState.new(START)
    for state, (rating, at) in zip(states, turns, strict=True):
        memory = answer(scheduler, card_id=4, memory=memory, rating=rating, at=at, day_starts_at=4)
        assert state == memory


# a card in each state the rules tell apart: new, at a step (also one past the steps, as after
# the steps were shortened), in review (a stability from tiny to years), relearning, and a
# state with a memory but no review (the memory update then takes retrievability 0)
start_states = (
    st.builds(
        lambda state, step, stability, difficulty, ago, interval: MemoryState(
            state,
            None if state is State.Review else step,
            stability,
            difficulty,
            START - timedelta(seconds=ago) + timedelta(days=interval),
            START - timedelta(seconds=ago),
        ),
        state=st.sampled_from([State.Learning, State.Review, State.Relearning]),
        step=st.integers(0, 4),
        stability=st.floats(0.01, 3000),
        difficulty=st.floats(1, 10),
        ago=st.integers(0, 86400 * 400),
        interval=st.integers(0, 400),
    )
    | st.just(MemoryState.new(START))
    | st.just(MemoryState(State.Review, None, 5.0, 5.0, START, None))
)


@settings(max_examples=300, deadline=None)
@given(
    memory=start_states,
    learning=st.sampled_from([(), (10 * M,), (M, 10 * M, D)]),
    relearning=st.sampled_from([(), (10 * M,)]),
    retention=st.sampled_from([0.8, 0.9, 0.95]),
    short_term=st.booleans(),
    maximum=st.sampled_from([36500, 30]),
    day_starts_at=st.none() | st.integers(0, 23),
    balance=st.booleans(),
    answers=st.lists(
        st.tuples(
            st.sampled_from(list(Rating)),
            st.one_of(st.integers(0, 600), st.integers(0, 86400 * 3), st.integers(0, 86400 * 90)),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_answer_in_turn_is_answer_after_answer_in_every_state(
    memory: MemoryState,
    learning: tuple[timedelta, ...],
    relearning: tuple[timedelta, ...],
    retention: float,
    short_term: bool,
    maximum: int,
    day_starts_at: int | None,
    balance: bool,
    answers: list[tuple[Rating, int]],
) -> None:
    # One object answers all of a card's answers in turn: nothing of one answer (its draw, its
    # memory updates, its day) may leak into the next. With fuzz on, and balancing.
    parameters = list(Scheduler().parameters)
    if not short_term:
        parameters[17] = 0.0
    scheduler = Scheduler(
        parameters=parameters,
        desired_retention=retention,
        learning_steps=learning,
        relearning_steps=relearning,
        maximum_interval=maximum,
        enable_fuzzing=True,
    )
    loads = None
    if balance and day_starts_at is not None:
        counts = {START.date() + timedelta(days=day): day * 7 % 11 for day in range(0, 500, 3)}
        loads = DayLoads(counts, day_starts_at)
    turns, at = [], START
    for rating, gap in answers:
        at += timedelta(seconds=gap)
        turns.append((rating, at))
    states = answer_in_turn(
        scheduler,
        card_id=5,
        memory=memory,
        answers=turns,
        day_starts_at=day_starts_at,
        loads=loads,
    )
    one_by_one = []
    for rating, at in turns:
        memory = answer(
            scheduler,
            card_id=5,
            memory=memory,
            rating=rating,
            at=at,
            day_starts_at=day_starts_at,
            loads=loads,
        )
        one_by_one.append(memory)
    assert states == one_by_one
    assert repr(states) == repr(one_by_one)  # the same floats, not merely equal ones


@pytest.mark.parametrize("rating", [0, 5])
def test_a_rating_outside_1_to_4_is_refused(rating: int, settings: Settings) -> None:
    with pytest.raises(ValueError, match="Unknown rating"):
        answer_in_turn(
            build_scheduler(settings),
            card_id=1,
            memory=MemoryState.new(START),
            answers=[(rating, START)],
        )


def test_an_answer_not_in_utc_is_refused(settings: Settings) -> None:
    for at in (START.replace(tzinfo=None), START.astimezone(timezone(timedelta(hours=2)))):
        with pytest.raises(ValueError, match="timezone-aware and set to UTC"):
            answer(
                build_scheduler(settings),
                card_id=1,
                memory=MemoryState.new(START),
                rating=Rating.Good,
                at=at,
            )


def memory_by_fsrs(
    scheduler: Scheduler, turns: list[tuple[Rating, datetime]], after: list[MemoryState]
) -> list[tuple[float | None, float | None]]:
    """Stability and difficulty of each answer straight through fsrs, from the state before it
    (review days by ``elapsed_days``, as recall promises)."""
    plain = copy(scheduler)
    plain.enable_fuzzing = False
    memories = []
    for (rating, at), before in zip(turns, after, strict=True):
        card = before.to_fsrs(4)
        if before.last_review is not None:
            days = elapsed_days(before.last_review, at, day_starts_at=4)
            card.last_review = at - timedelta(days=days)
        reviewed, _log = plain.review_card(card, rating, review_datetime=at)
        memories.append((reviewed.stability, reviewed.difficulty))
    return memories


def test_answer_in_turn_gives_fsrs_memory_states(settings: Settings) -> None:
    # late at night and early next morning, same-day answers, long gaps: the stability and
    # difficulty an import stores for each answer are fsrs's own (the states and due times are
    # Anki's rules: test_scheduling_anki.py)
    scheduler = build_scheduler(replace(settings, enable_fuzzing=True))
    turns = [
        (Rating(rating), START + timedelta(days=day, hours=hours))
        for day, hours, rating in [
            (0, 0, 3), (0, 13, 1), (0, 13.2, 3), (1, -6, 3), (4, 12, 2), (20, 14, 4),
            (21, 1, 1), (21, 2, 3), (60, 0, 3), (400, 5, 3),
        ]
    ]  # fmt: skip
    start = MemoryState(State.Review, None, 3.0, 6.0, START, START - timedelta(days=3))
    for memory in (MemoryState.new(START), start):
        states = answer_in_turn(scheduler, card_id=4, memory=memory, answers=turns, day_starts_at=4)
        expected = memory_by_fsrs(scheduler, turns, [memory, *states[:-1]])
        assert [(state.stability, state.difficulty) for state in states] == expected
        assert [state.last_review for state in states] == [at for _rating, at in turns]


def test_answer_in_turn_works_out_each_review_day_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an Anki history replays tens of thousands of answers: one review day each, not the two
    # of both ends of every gap
    import recall1924.scheduling as scheduling

    counted = []

    def counting(at: datetime, day_starts_at: int) -> int:
        counted.append(at)
        return review_day(at, day_starts_at)

    monkeypatch.setattr(scheduling, "review_day", counting)
    turns = [(Rating.Good, START + timedelta(days=day)) for day in range(10)]
    memory = MemoryState(State.Review, None, 3.0, 6.0, START, START - timedelta(days=3))
    answer_in_turn(
        build_scheduler(settings), card_id=4, memory=memory, answers=turns, day_starts_at=4
    )
    # one per answer, and the ends of the interval the card came with
    assert len(counted) == len(turns) + 2


def plain_fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """Anki's fuzz range (rslib ``fuzz.rs``) written plainly with min() and max(), as
    ``balance.fuzz_bounds`` was before it was written out for speed."""
    minimum = min(minimum, maximum)
    interval = min(max(interval, minimum), maximum)
    delta = 0.0
    if interval >= 2.5:
        delta = 1.0 + 0.15 * (min(interval, 7.0) - 2.5)
        if interval > 7.0:
            delta += 0.1 * (min(interval, 20.0) - 7.0)
        if interval > 20.0:
            delta += 0.05 * (interval - 20.0)
    lower = min(max(math.floor(interval - delta + 0.5), minimum), maximum)
    upper = min(max(math.floor(interval + delta + 0.5), minimum), maximum)
    if upper == lower and 2 < upper < maximum:
        upper = lower + 1
    return lower, upper


@settings(max_examples=500, deadline=None)
@given(
    interval=st.floats(0, 40000)
    | st.integers(0, 400)
    | st.sampled_from([2.5, 7.0, 20.0, 2.4999999, 7.0000001, 20.0000001, math.inf]),
    minimum=st.integers(0, 400) | st.just(36500),
    maximum=st.integers(0, 400) | st.just(36500),
)
def test_fuzz_bounds_are_the_plain_formula_s(interval: float, minimum: int, maximum: int) -> None:
    got = fuzz_bounds(interval, minimum, maximum)
    assert got == plain_fuzz_bounds(interval, minimum, maximum)
    assert [type(bound) for bound in got] == [int, int]
