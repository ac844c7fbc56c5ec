"""Replaying past answers: Anki's stability and difficulty for the same history, days counted
as review days, before/after states that chain, and a real Anki history checked card by card."""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import SHARED_TESTDATA
from recall1924.deck import PastAnswer
from recall1924.history import replay
from recall1924.scheduling import MemoryState, Rating, answer, build_scheduler
from recall1924.settings import Settings

DAY_STARTS_AT = 4
# Anki counts days back from its real "today" and takes a future answer as given today: keep
# every history in the past.
MONDAY = datetime(2010, 1, 4, tzinfo=UTC)
LATEST = datetime(2024, 1, 1, tzinfo=UTC)

# (day, "HH:MM" UTC, rating): the conftest makes UTC the local time
Step = tuple[int, str, int]

HISTORIES: dict[str, list[Step]] = {
    # the case: fsrs alone sees 10 hours, a same-day review; Anki sees the next day
    "late night then morning": [(0, "22:00", 3), (1, "08:00", 3), (3, "21:00", 3)],
    "learning steps then graduate": [
        (0, "09:00", 1),
        (0, "09:01", 3),
        (0, "09:11", 3),
        (1, "10:00", 3),
        (4, "10:00", 3),
    ],
    # 03:59 belongs to the review day before, 04:01 starts a new one
    "around the rollover": [(0, "03:59", 3), (0, "04:01", 3), (1, "03:59", 3), (2, "04:01", 3)],
    "lapse and relearn": [
        (0, "10:00", 3),
        (2, "10:00", 3),
        (9, "10:00", 1),
        (9, "10:10", 3),
        (10, "10:00", 3),
        (15, "23:30", 3),
    ],
    "long gaps": [(0, "12:00", 3), (30, "12:00", 3), (400, "12:00", 3), (1200, "12:00", 1)],
    "hard and easy": [(0, "08:00", 2), (0, "08:06", 2), (1, "08:00", 4), (8, "20:00", 2)],
    "again and again": [(0, "10:00", 1), (0, "10:01", 1), (1, "10:00", 1), (2, "03:00", 1)],
    "single answer": [(0, "10:00", 4)],
}

# Anki 26.9.3's compute_memory_state for each history (default FSRS-6 parameters, rollover 4)
GOLDEN: dict[str, tuple[float, float]] = {
    "late night then morning": (16.1273, 2.10433),
    "learning steps then graduate": (8.07500, 6.36863),
    "around the rollover": (16.1341, 2.09746),
    "lapse and relearn": (10.6302, 7.35578),
    "long gaps": (6.88268, 7.38998),
    "hard and easy": (14.2552, 7.08853),
    "again and again": (0.0204694, 9.85141),
    "single answer": (8.29560, 1.00000),
}


def answers_of(steps: list[Step]) -> list[PastAnswer]:
    """The answers of ``steps``, days counted from a Monday."""
    answers = []
    for day, clock_time, rating in steps:
        hour, minute = map(int, clock_time.split(":"))
        at = MONDAY + timedelta(days=day, hours=hour, minutes=minute)
        answers.append(PastAnswer(at, rating))
    return answers


def random_histories(count: int, seed: int = 1924) -> dict[int, list[PastAnswer]]:
    """Histories with every kind of gap: seconds, minutes, hours, days, months, years."""
    rng = random.Random(seed)
    gaps = [
        timedelta(seconds=20),
        timedelta(minutes=10),
        timedelta(hours=5),
        timedelta(hours=20),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=12),
        timedelta(days=70),
        timedelta(days=500),
    ]
    histories = {}
    for key in range(count):
        at = MONDAY + timedelta(minutes=rng.randrange(60 * 24 * 365))
        answers = []
        for _ in range(rng.randint(1, 18)):
            answers.append(PastAnswer(at, rng.choices([1, 2, 3, 4], weights=[2, 1, 6, 1])[0]))
            at += rng.choice(gaps) * rng.uniform(0.5, 1.5)
            if at > LATEST:
                break
        histories[key] = answers
    return histories


def final_memory(answers: list[PastAnswer], settings: Settings, card_id: int = 1) -> MemoryState:
    steps = replay(
        answers,
        card_id=card_id,
        scheduler=build_scheduler(settings),
        day_starts_at=DAY_STARTS_AT,
        start=MemoryState.new(answers[0].at),
    )
    return steps[-1][1]


def within_1_percent(got: MemoryState, expected: tuple[float, float] | None) -> bool:
    if expected is None:
        return False
    stability, difficulty = expected
    return bool(
        got.stability == pytest.approx(stability, rel=0.01)
        and got.difficulty == pytest.approx(difficulty, rel=0.01)
    )


@pytest.mark.parametrize("name", list(HISTORIES))
def test_golden_replays(name: str, settings: Settings) -> None:
    got = final_memory(answers_of(HISTORIES[name]), settings)
    assert got.stability == pytest.approx(GOLDEN[name][0], rel=1e-3)
    assert got.difficulty == pytest.approx(GOLDEN[name][1], rel=1e-3)


def test_24_hour_periods_were_the_bug(settings: Settings) -> None:
    # answering each time through fsrs alone takes 22:00 -> 08:00 for a same-day review
    answers = answers_of(HISTORIES["late night then morning"])
    scheduler = build_scheduler(settings)
    memory = MemoryState.new(answers[0].at)
    for past in answers:
        memory = answer(scheduler, card_id=1, memory=memory, rating=Rating(past.rating), at=past.at)
    assert memory.stability is not None
    assert memory.stability < 0.9 * GOLDEN["late night then morning"][0]


def test_states_chain_from_a_new_card(settings: Settings) -> None:
    answers = answers_of(HISTORIES["lapse and relearn"])
    created = MONDAY - timedelta(days=3)
    steps = replay(
        answers,
        card_id=5,
        scheduler=build_scheduler(settings),
        day_starts_at=DAY_STARTS_AT,
        start=MemoryState.new(created),
    )
    assert len(steps) == len(answers)
    assert steps[0][0] == MemoryState.new(created)
    for (_, after), (before, _) in zip(steps, steps[1:], strict=False):
        assert before == after
    assert [after.last_review for _, after in steps] == [past.at for past in answers]
    assert [int(after.state) for _, after in steps] == [1, 2, 3, 2, 2, 2]


def test_replay_is_answer_in_turn_even_with_fuzz(settings: Settings) -> None:
    fuzzy = build_scheduler(replace(settings, enable_fuzzing=True))
    answers = answers_of(HISTORIES["long gaps"])
    random.seed(7)
    expected_draw = random.random()
    random.seed(7)
    steps = replay(
        answers, card_id=9, scheduler=fuzzy, day_starts_at=4, start=MemoryState.new(MONDAY)
    )
    assert random.random() == expected_draw  # the caller's random state is left alone
    memory = MemoryState.new(MONDAY)
    for (before, after), past in zip(steps, answers, strict=True):
        assert before == memory
        memory = answer(
            fuzzy,
            card_id=9,
            memory=memory,
            rating=Rating(past.rating),
            at=past.at,
            day_starts_at=4,
        )
        assert after == memory


def test_no_answers_no_states(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    assert (
        replay([], card_id=1, scheduler=scheduler, day_starts_at=4, start=MemoryState.new(MONDAY))
        == []
    )


def test_answers_out_of_order_are_refused(settings: Settings) -> None:
    answers = list(reversed(answers_of(HISTORIES["hard and easy"])))
    with pytest.raises(ValueError, match="out of time order"):
        replay(
            answers,
            card_id=1,
            scheduler=build_scheduler(settings),
            day_starts_at=4,
            start=MemoryState.new(MONDAY),
        )


def test_day_starts_at_moves_the_day_boundary(settings: Settings) -> None:
    # 03:00 and 05:00: two review days when days start at 4, one when they start at midnight
    answers = [PastAnswer(MONDAY.replace(hour=3), 3), PastAnswer(MONDAY.replace(hour=5), 3)]
    scheduler = build_scheduler(settings)
    at_four = replay(
        answers, card_id=1, scheduler=scheduler, day_starts_at=4, start=MemoryState.new(MONDAY)
    )
    at_midnight = replay(
        answers, card_id=1, scheduler=scheduler, day_starts_at=0, start=MemoryState.new(MONDAY)
    )
    good_once = 2.3065  # the default initial stability of Good
    assert at_midnight[-1][1].stability == pytest.approx(good_once)  # same day: no growth
    assert (at_four[-1][1].stability or 0) > 3 * good_once


def test_replay_matches_anki(tmp_path: Path, settings: Settings) -> None:
    pytest.importorskip("anki")
    from anki_memory import anki_memory_states

    named = {index: answers_of(HISTORIES[name]) for index, name in enumerate(HISTORIES)}
    generated = {1000 + key: answers for key, answers in random_histories(150).items()}
    histories = named | generated
    expected = anki_memory_states(histories, folder=tmp_path / "anki", rollover=DAY_STARTS_AT)
    final = {
        key: final_memory(answers, settings, card_id=key) for key, answers in histories.items()
    }
    wrong = {
        key: (final[key], expected[key])
        for key in histories
        if not within_1_percent(final[key], expected[key])
    }
    assert wrong == {}


SPANISH_REVLOG = SHARED_TESTDATA / "revlog" / "derived_pedscoffee_spanish_revlog.csv"
SPANISH_PACKAGE = SHARED_TESTDATA / "apkg" / "pedscoffee_SpanishAnkiExportReal.apkg"
MANUAL, RESCHEDULED = 5, 6  # review_state in the CSV is Anki's revlog type + 1


@pytest.mark.corpus
@pytest.mark.skipif(not SHARED_TESTDATA.is_dir(), reason="../shared/testdata is absent")
def test_a_real_anki_history_keeps_its_memory_states(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    from anki_memory import package_memory_states

    anki = package_memory_states(SPANISH_PACKAGE, folder=tmp_path / "anki", rollover=4)
    histories: defaultdict[int, list[PastAnswer]] = defaultdict(list)
    with SPANISH_REVLOG.open(newline="") as file:
        for row in csv.DictReader(file):
            card_id, moment = int(row["card_id"]), int(row["review_time"])
            rating, kind = int(row["review_rating"]), int(row["review_state"])
            # what Anki leaves out: no rating, manual or rescheduled, crammed without reschedule
            if rating == 0 or kind in (MANUAL, RESCHEDULED) or (card_id, moment) in anki.cramming:
                continue
            at = datetime.fromtimestamp(moment / 1000, UTC)
            histories[card_id].append(PastAnswer(at, rating, int(row["review_duration"])))
    assert sum(map(len, histories.values())) == 31_363 - 2  # two crammed answers
    assert len(anki.cramming) == 2

    # the default settings, fuzz on: the slowest replay
    scheduler = build_scheduler(Settings.from_stored({}))
    started = time.process_time()  # CPU time: other processes on the machine do not count
    final = {
        card_id: replay(
            answers,
            card_id=card_id,
            scheduler=scheduler,
            day_starts_at=4,
            start=MemoryState.new(answers[0].at),
        )[-1][1]
        for card_id, answers in sorted(histories.items())
    }
    elapsed = time.process_time() - started

    compared = {card_id: state for card_id, state in anki.states.items() if state is not None}
    assert len(compared) == len(final) == 2878
    wrong = {
        card_id: (final[card_id], expected)
        for card_id, expected in compared.items()
        if not within_1_percent(final[card_id], expected)
    }
    assert wrong == {}
    assert elapsed < 1.5, f"replaying 31,361 answers took {elapsed:.2f} s"
