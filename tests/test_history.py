"""Replaying past answers: Anki's stability and difficulty for the same history, days counted
as review days, before/after states that chain, and a real Anki history checked card by card.
Then the stored history in bulk: each card's answers as review days, in any time zone and
across clock changes, and histories read and rewritten a chunk of cards at a time."""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import recall1924.store.history as stored_history
from conftest import SHARED_TESTDATA, make_deck
from recall1924.deck import PastAnswer
from recall1924.history import replay
from recall1924.importing import import_deck
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, Rating, State, answer, build_scheduler, review_day
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.store.history import CardHistory

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


@pytest.mark.parametrize("rating", [0, 5])
def test_an_answer_without_a_rating_is_refused(rating: int, settings: Settings) -> None:
    # the replay hands the ratings on as plain ints: the scheduler still checks them
    answers = [PastAnswer(MONDAY, 3), PastAnswer(MONDAY + timedelta(days=1), rating)]
    with pytest.raises(ValueError, match="Unknown rating"):
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


# The stored history in bulk
# ---------------------------------------------------------------------------------------------


def log_answers(
    store: Store,
    card_id: int,
    answers: list[tuple[int, datetime]],
    kind: ReviewKind = ReviewKind.Review,
) -> None:
    """Record ``answers`` to a card in turn, each with a made-up "after" state (the readers
    under test give back what is stored)."""
    memory = store.card(card_id).memory
    for rating, at in answers:
        after = MemoryState(State.Review, None, 1.0 + rating, 5.0, at + timedelta(days=1), at)
        store.record_answer(
            card_id,
            before=memory,
            after=after,
            rating=Rating(rating),
            at=at,
            duration_ms=None,
            kind=kind,
        )
        memory = after


def around(moment: datetime, *, hours: int = 13, step_minutes: int = 13) -> list[datetime]:
    """Times every ``step_minutes`` from ``hours`` before ``moment`` to as long after: odd
    steps land on both sides of every quarter and half hour."""
    steps = 2 * hours * 60 // step_minutes
    return [moment + timedelta(minutes=step_minutes * step - hours * 60) for step in range(steps)]


# UTC moments where the zone's clocks change, or (Kolkata, +5:30) where its review days start
# in the middle of a UTC hour.
CLOCK_CHANGES = {
    "Europe/London": [datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC)],
    "America/St_Johns": [  # -3:30 and -2:30
        datetime(2025, 3, 9, 5, 30, tzinfo=UTC),
        datetime(2025, 11, 2, 4, 30, tzinfo=UTC),
    ],
    "Australia/Lord_Howe": [  # +10:30 and +11: the clocks move half an hour
        datetime(2025, 4, 5, 15, tzinfo=UTC),
        datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
    ],
    "Asia/Kolkata": [datetime(2025, 6, 1, 22, 30, tzinfo=UTC)],
    # Made up (POSIX rules, +1:15 and +2:15): summer time ends at 02:45, so in the UTC hour
    # from 00:00 the clock reads 02:15 (days starting at 2: today), 01:45 (yesterday) and
    # 02:14 (today again). Both ends of that hour are on one review day; its middle is not.
    "XST-1:15XDT-2:15,M3.5.0/2,M10.5.0/2:45": [datetime(2025, 10, 26, 0, 30, tzinfo=UTC)],
}


@pytest.mark.parametrize("zone", list(CLOCK_CHANGES))
def test_answer_days_are_review_days_across_clock_changes(
    store: Store, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    moments = CLOCK_CHANGES[zone]
    keys = [f"c{index}" for index in range(len(moments))]
    import_deck(store, make_deck("zoned", {"all": keys}), now=MONDAY)
    ids = store.card_ids(keys, "zoned")
    answered = {}
    for key, moment in zip(keys, moments, strict=True):
        answers = [(1 + index % 4, at) for index, at in enumerate(around(moment))]
        log_answers(store, ids[key], answers)
        answered[ids[key]] = answers
    for day_starts_at in (0, 2, 4):
        got = dict(store.answer_days(["zoned"], day_starts_at=day_starts_at))
        assert got == {
            card_id: [(rating, review_day(at, day_starts_at)) for rating, at in answers]
            for card_id, answers in answered.items()
        }


def test_answer_days_leave_out_cram_and_manual_rows(demo_store: Store) -> None:
    ids = demo_store.card_ids(["a", "b", "c"], "demo")
    log_answers(demo_store, ids["a"], [(3, MONDAY), (1, MONDAY + timedelta(days=2))])
    log_answers(demo_store, ids["a"], [(4, MONDAY + timedelta(days=3))], kind=ReviewKind.Cram)
    log_answers(demo_store, ids["a"], [(3, MONDAY + timedelta(days=5))])
    log_answers(demo_store, ids["b"], [(3, MONDAY + timedelta(days=1))], kind=ReviewKind.Manual)
    log_answers(demo_store, ids["c"], [(2, MONDAY + timedelta(hours=3))])
    day = MONDAY.toordinal()  # UTC, and days starting at midnight
    assert list(demo_store.answer_days(["demo"], day_starts_at=0)) == [
        (ids["a"], [(3, day), (1, day + 2), (3, day + 5)]),
        (ids["c"], [(2, day)]),
    ]


def test_answer_days_keep_answers_of_one_millisecond_in_the_order_given(
    demo_store: Store,
) -> None:
    # Read from the (card_id, reviewed_at, state_before, kind, rating) index, two answers of
    # one millisecond would come rating first (Again before Easy): the history says Easy first.
    ids = demo_store.card_ids(["a", "b"], "demo")
    same = MONDAY + timedelta(days=2)
    log_answers(demo_store, ids["a"], [(3, MONDAY), (4, same), (1, same), (2, same)])
    log_answers(demo_store, ids["b"], [(2, same), (1, same)])
    day = MONDAY.toordinal()  # UTC, and days starting at midnight
    assert list(demo_store.answer_days(["demo"], day_starts_at=0)) == [
        (ids["a"], [(3, day), (4, day + 2), (1, day + 2), (2, day + 2)]),
        (ids["b"], [(2, day + 2), (1, day + 2)]),
    ]


def test_answer_days_read_only_the_decks_asked_for(store: Store) -> None:
    # a small deck beside a big one, and both: each card's answers once, in card order
    import_deck(store, make_deck("small", {"s": ["x", "y"]}), now=MONDAY)
    import_deck(store, make_deck("big", {"b": [f"k{n}" for n in range(12)]}), now=MONDAY)
    small = store.card_ids(["x", "y"], "small")
    big = store.card_ids(["k0", "k5"], "big")
    for offset, card_id in enumerate([*small.values(), *big.values()]):
        log_answers(store, card_id, [(3, MONDAY + timedelta(days=offset))])

    def cards(deck_keys: list[str] | None) -> list[int]:
        return [card_id for card_id, _ in store.answer_days(deck_keys, day_starts_at=4)]

    assert cards(["small"]) == sorted(small.values())
    assert cards(["big"]) == sorted(big.values())
    assert cards(["small", "big"]) == cards(None) == sorted([*small.values(), *big.values()])
    assert cards([]) == []


def histories_store(store: Store, cards: int = 7) -> Store:
    keys = [f"h{index}" for index in range(cards)]
    import_deck(store, make_deck("hist", {"all": keys}), now=MONDAY - timedelta(days=1))
    ids = store.card_ids(keys, "hist")
    for index, key in enumerate(keys):
        if index % 3 == 2:
            continue  # some cards never answered
        answers = [
            (1 + (index + step) % 4, MONDAY + timedelta(days=index + step)) for step in range(3)
        ]
        log_answers(store, ids[key], answers)
        log_answers(store, ids[key], [(3, MONDAY + timedelta(days=30))], kind=ReviewKind.Cram)
    return store


def test_card_histories_are_the_same_in_any_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    histories_store(store)
    whole = store.card_histories(["hist"])
    assert [len(card.rows) for card in whole] == [4, 4, 4, 4, 4]
    assert all(card.deck_key == "hist" for card in whole)
    assert whole == [*store.each_card_history()] == store.card_histories()
    monkeypatch.setattr(stored_history, "_CHUNK", 2)
    assert store.card_histories(["hist"]) == whole
    assert store.card_histories([]) == []


Recomputed = tuple[MemoryState, list[tuple[int, MemoryState, MemoryState]]]


def steadier(card: CardHistory) -> Recomputed:
    """Every state of the card with a stability of 42."""

    def changed(memory: MemoryState) -> MemoryState:
        return replace(memory, stability=42.0)

    rows = [(row.id, changed(row.before), changed(row.after)) for row in card.rows]
    return changed(card.memory), rows


def test_recompute_memory_rewrites_chunk_by_chunk(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    histories_store(store)
    monkeypatch.setattr(stored_history, "_CHUNK", 2)
    before = store.card_histories(["hist"])
    skipped = before[1].card_id

    def recompute(card: CardHistory) -> Recomputed | None:
        return None if card.card_id == skipped else steadier(card)

    counts = store.recompute_memory(["hist"], recompute, setting=("hist", "new_per_day", "7"))
    assert counts == (4, 16)
    after = store.card_histories(["hist"])
    assert after[1] == before[1]
    for card in after[:1] + after[2:]:
        states = [
            card.memory,
            *(row.before for row in card.rows),
            *(row.after for row in card.rows),
        ]
        assert {state.stability for state in states} == {42.0}
    assert store.settings("hist") == {"new_per_day": "7"}


def test_recompute_memory_is_all_or_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    histories_store(store)
    monkeypatch.setattr(stored_history, "_CHUNK", 2)
    before = store.card_histories(["hist"])
    seen: list[int] = []

    def recompute(card: CardHistory) -> Recomputed:
        seen.append(card.card_id)
        if len(seen) == 4:  # in the second chunk, once the first is written
            raise RuntimeError("stop")
        return steadier(card)

    with pytest.raises(RuntimeError, match="stop"):
        store.recompute_memory(["hist"], recompute, setting=("hist", "new_per_day", "7"))
    assert seen == [card.card_id for card in before[:4]]
    assert store.card_histories(["hist"]) == before
    assert store.settings("hist") == {}
