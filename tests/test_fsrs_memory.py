"""recall's own FSRS-6 memory update (``fsrs_memory``) gives exactly py-fsrs's floats: on one
answer, over random histories replayed through ``answer_in_turn``, and over every Anki history
in the shared test data. Equality is ``==``: the same stability, difficulty and due dates,
not near ones, as the replay gave when py-fsrs's ``review_card`` computed them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import pytest
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SHARED_TESTDATA
from recall1924 import scheduling
from recall1924.deck import PastAnswer
from recall1924.fsrs_memory import memory_model
from recall1924.history import replay
from recall1924.scheduling import MemoryState, ReviewKind, answer_in_turn, build_scheduler
from recall1924.settings import Settings

# what an optimizer fitted to a real history gives: far from the defaults, short-term terms on
FITTED = (
    0.4197, 1.8729, 4.5163, 10.9223, 6.9063, 0.6215, 2.3431, 0.0151, 1.6305, 0.1632, 1.0158,
    1.9141, 0.0854, 0.3322, 2.2035, 0.2156, 2.8823, 0.6302, 0.2517, 0.1342, 0.1926,
)  # fmt: skip
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
T = TypeVar("T")


@lru_cache(maxsize=32)
def _py_fsrs(parameters: tuple[float, ...]) -> Scheduler:
    return Scheduler(parameters=parameters, enable_fuzzing=False)


def _by_py_fsrs(self: scheduling._Answering, rating: int) -> tuple[float, float]:
    """The memory update as it was: py-fsrs's ``review_card`` on the card in learning, its
    last review as many whole days before the answer as the replay counts."""
    card = self.memory.to_fsrs(self.card_id)
    card.state, card.step = State.Learning, 0
    card.last_review = None if self.days is None else self.at - timedelta(days=self.days)
    after, _log = _py_fsrs(self.rules.parameters).review_card(
        card, Rating(rating), review_datetime=self.at
    )
    assert after.stability is not None and after.difficulty is not None
    return after.stability, after.difficulty


def _both(run: Callable[[], T]) -> tuple[T, T]:
    """``run()`` by recall's update, then again by py-fsrs's."""
    ours = run()
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(
            scheduling._Answering, "_stability", lambda self, rating: _by_py_fsrs(self, rating)[0]
        )
        patched.setattr(
            scheduling._Answering, "_difficulty", lambda self, rating: _by_py_fsrs(self, rating)[1]
        )
        theirs = run()
    return ours, theirs


def _exact(ours: object, theirs: object) -> None:
    assert ours == theirs
    # == holds 1 == 1.0 and 0.0 == -0.0; the stored floats must be the same floats too
    assert repr(ours) == repr(theirs)


parameter_sets = st.one_of(
    st.just(tuple(DEFAULT_PARAMETERS)),
    st.just(FITTED),
    st.tuples(
        *(
            st.floats(low, high, allow_nan=False)
            for low, high in zip(LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
        )
    ),
)
ratings = st.sampled_from(list(Rating))


@settings(max_examples=400, deadline=None)
@given(
    parameters=parameter_sets,
    stability=st.none() | st.floats(0.001, 36500, allow_nan=False),
    difficulty=st.floats(1.0, 10.0),
    days=st.none() | st.integers(-3, 4000),
    rating=ratings,
)
def test_one_update_is_py_fsrs_s(
    parameters: tuple[float, ...],
    stability: float | None,
    difficulty: float,
    days: int | None,
    rating: Rating,
) -> None:
    at = START + timedelta(days=5000)
    card = Card(card_id=1, state=State.Learning, step=0, stability=stability)
    card.difficulty = None if stability is None else difficulty
    card.last_review = None if days is None else at - timedelta(days=days, hours=3)
    after, _log = _py_fsrs(parameters).review_card(card, rating, review_datetime=at)
    ours = memory_model(parameters).after(card.stability, card.difficulty, days, rating)
    _exact(ours, (after.stability, after.difficulty))


def test_a_rating_outside_1_to_4_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown rating"):
        memory_model(tuple(DEFAULT_PARAMETERS)).after(2.0, 5.0, 3, 5)


@settings(max_examples=150, deadline=None)
@given(
    parameters=parameter_sets,
    retention=st.sampled_from([0.9, 0.8, 0.95]) | st.floats(0.7, 0.97),
    steps=st.sampled_from([(), (60, 600), (1800,)]),
    fuzz=st.booleans(),
    day_starts_at=st.none() | st.integers(0, 23),
    answers=st.lists(
        st.tuples(
            ratings,
            # same minute, same day, across a rollover, weeks and years later
            st.one_of(
                st.integers(0, 120),
                st.integers(0, 86400),
                st.integers(86400, 86400 * 60),
                st.integers(86400 * 60, 86400 * 900),
            ),
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_random_histories_replay_as_by_py_fsrs(
    parameters: tuple[float, ...],
    retention: float,
    steps: tuple[int, ...],
    fuzz: bool,
    day_starts_at: int | None,
    answers: list[tuple[Rating, int]],
) -> None:
    scheduler = Scheduler(
        parameters=parameters,
        desired_retention=retention,
        learning_steps=tuple(timedelta(seconds=step) for step in steps),
        relearning_steps=tuple(timedelta(seconds=step) for step in steps[1:]),
        enable_fuzzing=fuzz,
    )
    at, timed = START, []
    for rating, gap in answers:
        at += timedelta(seconds=gap)
        timed.append((rating, at))

    def run() -> list[MemoryState]:
        return answer_in_turn(
            scheduler,
            card_id=7,
            memory=MemoryState.new(START),
            answers=timed,
            day_starts_at=day_starts_at,
        )

    _exact(*_both(run))


def _histories(path: Path) -> list[list[PastAnswer]]:
    from recall1924.importers import read_decks

    result = read_decks(path)
    return [
        list(card.history)
        for deck in result.decks
        for section in deck.sections
        for card in section.cards
        if card.history
    ]


APKG = SHARED_TESTDATA / "apkg"
PACKAGES = sorted(APKG.iterdir()) if APKG.is_dir() else []


@pytest.mark.corpus
@pytest.mark.skipif(not PACKAGES, reason="../shared/testdata/apkg is absent")
@pytest.mark.parametrize("path", PACKAGES, ids=lambda path: path.name)
def test_every_anki_history_replays_as_by_py_fsrs(path: Path) -> None:
    histories = _histories(path)
    schedulers = [
        build_scheduler(Settings.from_stored({})),
        Scheduler(parameters=FITTED, desired_retention=0.85, learning_steps=()),
    ]

    def run() -> list[list[tuple[MemoryState, MemoryState]]]:
        return [
            replay(
                history,
                card_id=index,
                scheduler=scheduler,
                day_starts_at=4,
                start=MemoryState.new(history[0].at),
            )
            for scheduler in schedulers
            for index, history in enumerate(histories)
        ]

    ours, theirs = _both(run)
    _exact(ours, theirs)
    reviews = sum(past.kind == ReviewKind.Review for history in histories for past in history)
    assert len(ours) == len(schedulers) * len(histories)
    assert reviews == 0 or any(after.stability for pairs in ours for _before, after in pairs)
