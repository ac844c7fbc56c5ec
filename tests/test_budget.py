"""The daily budget: the plan kept to it day by day (its predicted exam-day recall is what a
replay of its own schedule through ``scheduling.answer`` gives, and no day goes over it), the
suggestions that reach the target (each re-checked here), and the student's answer time."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS as W

from conftest import NOW
from recall1924.budget import (
    AnswerTime,
    DailyBudget,
    answer_time,
    answers_left_today,
    parse_minutes,
    parse_reviews,
    read_budget,
)
from recall1924.clock import day_start, review_date
from recall1924.errors import SettingError
from recall1924.exam import (
    BudgetRun,
    Exam,
    GoodAnswers,
    PlanInput,
    advise_budget,
    keep_to_budget,
    recall_on,
)
from recall1924.scheduling import MemoryState, Rating, State, answer, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store

DECAY = -W[20]
SETTINGS = replace(Settings.from_stored({}), enable_fuzzing=False)
STARTS = SETTINGS.day_starts_at
OWN = {("d", "a"): 0.85}
"""Section a keeps a desired retention of its own."""


def review(stability: float, last_days_ago: float, due_in_days: float) -> MemoryState:
    last = NOW - timedelta(days=last_days_ago)
    return MemoryState(State.Review, None, stability, 5.0, NOW + timedelta(days=due_in_days), last)


def mixed_cards() -> list[PlanInput]:
    """Review cards overdue and due later, a card in its learning steps, one relearning, a
    suspended one and new ones, in two sections."""
    cards = [
        PlanInput(1, ("d", "a"), review(3.0, 10, -7)),
        PlanInput(2, ("d", "a"), review(12.0, 5, 7)),
        PlanInput(3, ("d", "b"), review(1.5, 2, -0.5)),
        PlanInput(4, ("d", "b"), review(40.0, 30, 10)),
        PlanInput(
            5,
            ("d", "a"),
            MemoryState(
                State.Learning, 1, 1.2, 6.0, NOW + timedelta(minutes=8), NOW - timedelta(minutes=2)
            ),
        ),
        PlanInput(
            6,
            ("d", "b"),
            MemoryState(
                State.Relearning, 0, 2.0, 7.0, NOW - timedelta(hours=1), NOW - timedelta(hours=2)
            ),
        ),
        PlanInput(7, ("d", "b"), review(2.0, 20, -18), suspended=True),
    ]
    cards += [
        PlanInput(10 + n, ("d", "a" if n % 2 else "b"), MemoryState.new(NOW)) for n in range(14)
    ]
    return cards


def replay(cards: list[PlanInput], run: BudgetRun, exam: Exam) -> dict[tuple[str, str], float]:
    """Each card's answers at the plan's own times through ``scheduling.answer`` (Good, with
    its section's retention), then the mean recall at the start of exam day per section."""
    sums: dict[tuple[str, str], list[float]] = {}
    for card in cards:
        scheduler = build_scheduler(replace(SETTINGS, desired_retention=OWN.get(card.section, 0.9)))
        memory = card.memory
        for at in run.schedule.get(card.id, []):
            memory = answer(
                scheduler,
                card_id=card.id,
                memory=memory,
                rating=Rating.Good,
                at=at,
                day_starts_at=STARTS,
            )
        sums.setdefault(card.section, []).append(recall_on(memory, exam.day, DECAY, STARTS))
    return {key: sum(values) / len(values) for key, values in sums.items()}


@pytest.mark.parametrize("per_day", [4, 9, 40])
def test_predicted_recall_equals_a_replay_of_the_plans_own_schedule(per_day: int) -> None:
    cards = mixed_cards()
    exam = Exam(NOW.date() + timedelta(days=40), 0.9)
    run = keep_to_budget(
        cards,
        exam=exam,
        now=NOW,
        settings=SETTINGS,
        decay=DECAY,
        answers_per_day=per_day,
        retentions=OWN,
        answers_today=2,
    )
    assert run.schedule  # something was answered
    assert 7 not in run.schedule  # suspended: never
    assert run.recall == pytest.approx(replay(cards, run, exam), abs=1e-12)
    assert set(run.recall) == {("d", "a"), ("d", "b")}
    # Every answer before the exam starts, each card's in order.
    for times in run.schedule.values():
        assert times == sorted(times) and times[-1] < day_start(exam.day, STARTS)
    # The section with a retention of its own is scheduled at it: its cards' days differ
    # from those at the collection's, the other section's (with room to spare) do not.
    plain = keep_to_budget(
        cards, exam=exam, now=NOW, settings=SETTINGS, decay=DECAY, answers_per_day=per_day
    )
    if per_day == 40:
        assert any(
            run.schedule.get(c.id) != plain.schedule.get(c.id) for c in cards if c.section[1] == "a"
        )
        assert all(
            run.schedule.get(c.id) == plain.schedule.get(c.id) for c in cards if c.section[1] == "b"
        )


def test_the_budget_is_never_exceeded_on_any_day() -> None:
    cards = mixed_cards()
    exam = Exam(NOW.date() + timedelta(days=30), 0.9)
    run = keep_to_budget(
        cards,
        exam=exam,
        now=NOW,
        settings=SETTINGS,
        decay=DECAY,
        answers_per_day=5,
        answers_today=3,
    )
    per_day = Counter(review_date(at, STARTS) for times in run.schedule.values() for at in times)
    today = review_date(NOW, STARTS)
    assert per_day[today] <= 5 - 3
    assert all(count <= 5 for count in per_day.values())
    assert max(per_day.values()) == 5  # the budget binds: the check is not empty
    assert [per_day[today + timedelta(days=n)] for n in range(30)] == run.day_answers
    # Reviews come first: with two answers left today and reviews due, no new card today.
    assert all(review_date(run.schedule[c.id][0], STARTS) > today for c in cards if c.id >= 10)


def test_cards_due_go_weakest_on_exam_day_first_and_new_cards_only_in_the_room_left() -> None:
    weak = PlanInput(1, ("d", "s"), review(2.0, 6, -4))
    strong = PlanInput(2, ("d", "s"), review(30.0, 20, -1))
    new = PlanInput(3, ("d", "s"), MemoryState.new(NOW))
    exam = Exam(NOW.date() + timedelta(days=10), 0.9)
    run = keep_to_budget(
        [strong, weak, new], exam=exam, now=NOW, settings=SETTINGS, decay=DECAY, answers_per_day=1
    )
    today = review_date(NOW, STARTS)
    assert run.review_days(1)[0] == today  # the weaker one first
    assert run.review_days(2)[0] == today + timedelta(days=1)
    # A new card takes two answers (two learning steps): never within one a day.
    assert run.introduced == 0 and 3 not in run.schedule
    roomy = keep_to_budget(
        [strong, weak, new], exam=exam, now=NOW, settings=SETTINGS, decay=DECAY, answers_per_day=4
    )
    assert roomy.review_days(3)[0] == today
    assert [review_date(at, STARTS) for at in roomy.schedule[3][:2]] == [today, today]


def test_remembered_answers_are_the_schedulers() -> None:
    answers = GoodAnswers(SETTINGS)
    scheduler = build_scheduler(SETTINGS)

    def both(memory: MemoryState, at: datetime, card_id: int = 1) -> None:
        expected = answer(
            scheduler,
            card_id=card_id,
            memory=memory,
            rating=Rating.Good,
            at=at,
            day_starts_at=STARTS,
        )
        assert answers.good(memory, at, 0.9, card_id) == expected

    # The same card answered on time and later, on the same day twice, and by another card.
    memory = review(5.0, 6, -1)
    for late in (0, 1, 2, 5, 0, 9):
        both(memory, memory.due + timedelta(days=late, hours=late % 2))
    both(memory, memory.due, card_id=2)
    # The same memory answered on the same day, but given another interval last time: one
    # about as long as Good gives now is kept (22 days: 22, 24: 24, 40: 22).
    assert memory.last_review is not None
    at = memory.last_review + timedelta(days=8)
    for given in (3, 24, 40):
        both(replace(memory, due=memory.last_review + timedelta(days=given)), at)
    # A new card through its steps, and a card in them.
    new = MemoryState.new(NOW)
    first = answer(
        scheduler, card_id=3, memory=new, rating=Rating.Good, at=NOW, day_starts_at=STARTS
    )
    both(new, NOW)
    both(first, first.due)
    both(first, first.due + timedelta(days=2))


def bundled_like(new: int, reviewed: int) -> list[PlanInput]:
    cards = [
        PlanInput(n, ("d", f"s{n % 3}"), review(2.0 + n % 9, 3 + n % 4, -(n % 3)))
        for n in range(reviewed)
    ]
    cards += [PlanInput(reviewed + n, ("d", f"s{n % 3}"), MemoryState.new(NOW)) for n in range(new)]
    return cards


def test_more_minutes_is_the_least_that_reaches_the_target() -> None:
    cards = bundled_like(new=60, reviewed=60)
    exam = Exam(NOW.date() + timedelta(days=60), 0.9)
    time = AnswerTime(12.0, 50)
    kwargs = {"exam": exam, "now": NOW, "settings": SETTINGS, "decay": DECAY}
    advice = advise_budget(cards, **kwargs, budget=DailyBudget(minutes=1), time=time)  # type: ignore[arg-type]
    assert not advice.run.reaches(0.9)
    more = next(s for s in advice.suggestions if s.kind == "more_budget")
    minutes = more.value
    assert minutes > 1 and minutes == int(minutes)

    def reaches(budget: DailyBudget) -> bool:
        run = keep_to_budget(cards, **kwargs, answers_per_day=budget.answers(time))  # type: ignore[arg-type]
        return run.reaches(0.9)

    assert reaches(DailyBudget(minutes=minutes))
    assert not reaches(DailyBudget(minutes=minutes - 1))
    # In answers a day the same.
    advice = advise_budget(cards, **kwargs, budget=DailyBudget(reviews=3), time=time)  # type: ignore[arg-type]
    reviews = next(s for s in advice.suggestions if s.kind == "more_budget").value
    assert reaches(DailyBudget(reviews=int(reviews)))
    assert not reaches(DailyBudget(reviews=int(reviews) - 1))
    # Every suggestion's own run reaches the target (or, lowering one section, every other).
    for found in advice.suggestions:
        short = found.run.short_of(0.9)
        assert short == [] or short == [found.section]


def test_fewer_new_cards_only_when_a_lower_number_reaches_it() -> None:
    # Every card already learnt but one section of new ones: none a day leaves that section at
    # 0, so fewer new cards never reaches the target and is not suggested.
    cards = bundled_like(new=40, reviewed=0)
    exam = Exam(NOW.date() + timedelta(days=20), 0.9)
    advice = advise_budget(
        cards,
        exam=exam,
        now=NOW,
        settings=SETTINGS,
        decay=DECAY,
        budget=DailyBudget(reviews=4),
        time=AnswerTime(10.0),
    )
    assert not advice.run.reaches(0.9)
    assert "fewer_new" not in {s.kind for s in advice.suggestions}


def test_parsing_a_budget() -> None:
    assert parse_minutes("25") == 25.0 and parse_minutes(" 12.5 ") == 12.5
    assert parse_reviews("40") == 40
    for bad in ("0", "-3", "601", "soon", "", "nan"):
        with pytest.raises(SettingError, match="--minutes"):
            parse_minutes(bad)
    for bad in ("0", "2.5", "10001", "many"):
        with pytest.raises(SettingError, match="--reviews"):
            parse_reviews(bad)
    assert read_budget({}) is None
    assert read_budget({"exam_minutes": "25.0"}) == DailyBudget(minutes=25.0)
    assert read_budget({"exam_reviews": "40"}) == DailyBudget(reviews=40)
    assert read_budget({"exam_reviews": "lots"}) is None
    assert DailyBudget(minutes=25).answers(AnswerTime(10.0, 30)) == 150
    assert DailyBudget(minutes=1).answers(AnswerTime(90.0, 30)) == 1
    assert DailyBudget(minutes=1).label == "1 minute a day"
    assert DailyBudget(reviews=40).label == "40 reviews a day"


def test_what_is_left_of_todays_budget() -> None:
    pace = AnswerTime(10.0, 30)
    left = answers_left_today
    assert left(DailyBudget(reviews=40), pace, answers=15, milliseconds=999_000) == 25
    assert left(DailyBudget(reviews=40), pace, answers=50, milliseconds=0) == 0
    # Minutes: the time the answers took, when recorded (15 answers in 5 minutes leave 5).
    assert left(DailyBudget(minutes=10), pace, answers=15, milliseconds=300_000) == 30
    assert left(DailyBudget(minutes=10), pace, answers=15, milliseconds=0) == 45
    assert left(DailyBudget(minutes=10), pace, answers=15, milliseconds=900_000) == 0


def given(store: Store, key: str, at: datetime, duration_ms: int | None) -> None:
    card_id = store.card_ids([key], "demo")[key]
    before = store.card(card_id).memory
    after = answer(
        build_scheduler(SETTINGS), card_id=card_id, memory=before, rating=Rating.Good, at=at
    )
    store.record_answer(
        card_id, before=before, after=after, rating=Rating.Good, at=at, duration_ms=duration_ms
    )


def test_answer_time_is_the_mean_of_timed_answers_of_the_last_30_days(demo_store: Store) -> None:
    store = demo_store
    deck_id = store.scope("demo").deck_id
    assert answer_time(store, now=NOW, day_starts_at=STARTS) == AnswerTime(10.0, 0)
    for n in range(24):
        given(store, "abcde"[n % 5], NOW - timedelta(days=n % 20, hours=1), 6000)
    # Untimed answers (older imports) are left out, not counted as 0 s.
    for n in range(30):
        given(store, "abcde"[n % 5], NOW - timedelta(days=n % 20, hours=2), None)
    # Too old to count: 40 days ago, and slow.
    for n in range(10):
        given(store, "a", NOW - timedelta(days=40 + n), 60_000)
    found = answer_time(store, now=NOW, day_starts_at=STARTS, deck_id=deck_id)
    assert found == AnswerTime(6.0, 24)
    assert answer_time(store, now=NOW, day_starts_at=STARTS) == AnswerTime(6.0, 24)
    # Under 20 timed answers: the default.
    later = NOW + timedelta(days=25)
    assert answer_time(store, now=later, day_starts_at=STARTS).answers == 0


def test_a_sequence_of_days_is_the_same_day_numbering_as_the_clock() -> None:
    answers = GoodAnswers(SETTINGS)
    moment = datetime(2026, 11, 27, 3, 59, tzinfo=NOW.tzinfo)
    assert answers.day(moment) == review_date(moment, STARTS).toordinal()
    assert answers.day(moment) == date(2026, 11, 26).toordinal()


def test_easy_days_hold_their_share_of_the_budget_in_the_plan() -> None:
    from recall1924.balance import EasyDay

    week = list(SETTINGS.easy_days)
    week[5], week[6] = EasyDay.Minimum, EasyDay.Reduced  # Saturday none, Sunday half
    easy = replace(SETTINGS, easy_days=tuple(week))
    cards = bundled_like(new=60, reviewed=60)
    exam = Exam(NOW.date() + timedelta(days=28), 0.9)
    run = keep_to_budget(cards, exam=exam, now=NOW, settings=easy, decay=DECAY, answers_per_day=12)
    today = review_date(NOW, STARTS)
    by_weekday: dict[int, list[int]] = {}
    for offset, given in enumerate(run.day_answers):
        by_weekday.setdefault((today + timedelta(days=offset)).weekday(), []).append(given)
    assert by_weekday[5] == [0] * 4  # every Saturday: nothing planned
    assert all(given <= 6 for given in by_weekday[6])  # every Sunday: half of 12 at most
    assert max(by_weekday[0]) == 12  # the budget binds on a normal day: the check is not empty
    assert run.recall == pytest.approx(replay(cards, run, exam), abs=1e-12)
