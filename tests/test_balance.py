"""Fuzz ranges, load balancing and easy days: Anki's rules, the review session keeping the day
loads, and a simulated 60 days before an exam (benchmarks/load_balance.py, smaller)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import NOW
from recall1924.balance import (
    NORMAL_WEEK,
    DayLoads,
    EasyDay,
    balanced,
    fuzz_bounds,
    fuzzed,
    review_shares,
)
from recall1924.cli import app
from recall1924.clock import FixedClock, review_date
from recall1924.exam import Exam
from recall1924.review import Action, before_exam, scheduled_session
from recall1924.scheduling import MemoryState, Rating, State, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import load_balance  # noqa: E402

TODAY = review_date(NOW, 4)  # a Friday
SATURDAY = TODAY + timedelta(days=1)
WEEKEND = (*NORMAL_WEEK[:5], EasyDay.Minimum, EasyDay.Reduced)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@pytest.mark.parametrize(
    ("interval", "minimum", "maximum", "lower", "middle", "upper"),
    [
        # rslib scheduler/states/fuzz.rs, test with_review_fuzz: draws 0, 0.5 and 0.99
        (1.0, 1, 1000, 1, 1, 1),
        (2.49, 1, 1000, 2, 2, 2),
        (2.5, 1, 1000, 2, 3, 4),
        (7.0, 1, 1000, 5, 7, 9),
        (17.0, 1, 1000, 14, 17, 20),
        (37.0, 1, 1000, 33, 37, 41),
        (2.0, 2, 1000, 2, 2, 2),
        (2.0, 3, 1000, 3, 4, 4),
        (2.0, 3, 3, 3, 3, 3),
        (6.9, 3, 1000, 5, 7, 9),
        (7.1, 3, 1000, 5, 7, 9),
        (19.9, 3, 1000, 17, 20, 23),
        (20.1, 3, 1000, 17, 20, 23),
        (100.0, 101, 1000, 101, 105, 108),
        (100.0, 1, 99, 92, 96, 99),
        (100.0, 97, 103, 97, 100, 103),
    ],
)
def test_fuzz_is_anki_own(
    interval: float, minimum: int, maximum: int, lower: int, middle: int, upper: int
) -> None:
    got = [fuzzed(interval, minimum, maximum, draw) for draw in (0.0, 0.5, 0.99)]
    assert got == [lower, middle, upper]


def test_without_a_draw_the_interval_is_rounded_half_up() -> None:
    assert [fuzzed(value, 1, 100, None) for value in (1.5, 2.5, 0.1, 101.0)] == [2, 3, 1, 100]


def test_balancing_picks_the_empty_day_of_the_range() -> None:
    lower, upper = fuzz_bounds(10.0, 1, 36500)
    loads = {day(offset): 30 for offset in range(lower, upper + 1)}
    loads[day(11)] = 0
    picks = {
        balanced(10.0, 1, 36500, today=TODAY, due=loads, draw=(draw + 0.5) / 20)
        for draw in range(20)
    }
    assert picks == {11}


def test_balancing_weighs_load_and_nearness_and_stays_in_range() -> None:
    # two days in range with the same load: the sooner is likelier, (d2/d1)^3 times
    loads = {day(offset): 10 for offset in range(1, 40)}
    picks = [
        balanced(30.0, 1, 36500, today=TODAY, due=loads, draw=(draw + 0.5) / 1000)
        for draw in range(1000)
    ]
    lower, upper = fuzz_bounds(30.0, 1, 36500)
    assert set(picks) <= set(range(lower, upper + 1))
    assert picks.count(lower) > picks.count(upper) > 0
    assert picks.count(lower) / picks.count(upper) == pytest.approx((upper / lower) ** 3, rel=0.3)


def test_no_balancing_past_ninety_days() -> None:
    assert balanced(91.0, 1, 36500, today=TODAY, due={}, draw=0.5) is None
    assert balanced(50.0, 91, 36500, today=TODAY, due={}, draw=0.5) is None
    assert balanced(90.9, 1, 36500, today=TODAY, due={}, draw=0.5) is not None


def test_a_sibling_day_is_avoided() -> None:
    lower, upper = fuzz_bounds(10.0, 1, 36500)
    empty: dict[date, int] = {}
    picks = {
        balanced(
            10.0, 1, 36500, today=TODAY, due=empty, sibling_days={day(10)}, draw=(d + 0.5) / 50
        )
        for d in range(50)
    }
    assert 10 not in picks
    assert picks <= set(range(lower, upper + 1))


def test_a_minimum_day_gets_nothing_while_another_day_is_free_even_when_it_is_empty() -> None:
    # Anki would give an empty minimum day the full weight; recall keeps it free
    loads = {day(offset): 5 for offset in range(1, 20)}
    loads[SATURDAY + timedelta(days=7)] = 0
    picks = {
        balanced(8.0, 1, 36500, today=TODAY, due=loads, easy_days=WEEKEND, draw=(d + 0.5) / 50)
        for d in range(50)
    }
    assert all((TODAY + timedelta(days=pick)).weekday() != 5 for pick in picks if pick)


def test_a_reduced_day_closes_once_it_holds_half_the_others_mean() -> None:
    saturday, sunday = 8, 9  # the range of 8.0 is 6 to 10, Thursday to Monday
    assert (day(saturday).weekday(), day(sunday).weekday()) == (5, 6)
    lower, upper = fuzz_bounds(8.0, 1, 36500)
    # the other days of the range hold 60 over three normal days, 20 a day: half is 10
    for sunday_load, open_ in ((9, True), (11, False)):
        loads = {day(offset): 20 for offset in range(lower, upper + 1)}
        loads[day(sunday)] = sunday_load
        loads[day(saturday)] = 0  # minimum: weighed as a day of one card, times 0.0001
        week = (*NORMAL_WEEK[:5], EasyDay.Minimum, EasyDay.Reduced)
        picks = [
            balanced(8.0, 1, 36500, today=TODAY, due=loads, easy_days=week, draw=(d + 0.5) / 400)
            for d in range(400)
        ]
        assert (sunday in picks) is open_
        assert picks.count(saturday) <= 8  # 2%


def test_review_shares_follow_the_easy_days() -> None:
    days = [day(offset) for offset in range(7)]  # Friday to Thursday
    shares = review_shares(days, WEEKEND)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares[SATURDAY] == 0.0
    assert shares[SATURDAY + timedelta(days=1)] == pytest.approx(shares[TODAY] / 2)
    all_minimum = review_shares(days, (EasyDay.Minimum,) * 7)
    assert list(all_minimum.values()) == [pytest.approx(1 / 7)] * 7


def test_day_loads_move_a_card_from_its_old_day_to_its_new_one() -> None:
    loads = DayLoads({day(2): 1}, 4)
    loads.move(NOW + timedelta(days=2), NOW + timedelta(days=5))
    assert loads.due == {day(2): 0, day(5): 1}
    loads.move(None, NOW + timedelta(days=5))
    loads.move(NOW + timedelta(days=9), None)  # not counted: nothing to take away
    assert loads.due == {day(2): 0, day(5): 2}


def test_day_loads_are_counted_once_and_only_when_needed() -> None:
    counted: list[int] = []

    def count() -> dict[date, int]:
        counted.append(1)
        return {day(3): 7}

    loads = DayLoads(count, 4)
    loads.move(NOW, NOW + timedelta(days=3))  # not counted yet: the count will see it
    assert counted == []
    assert loads.due == {day(3): 7}
    loads.move(None, NOW + timedelta(days=3))
    assert (loads.due, counted) == ({day(3): 8}, [1])


def test_a_card_brought_forward_for_the_exam_is_balanced_too() -> None:
    exam = Exam(day(25), 0.95)
    memory = MemoryState(State.Review, None, 30.0, 5.0, NOW + timedelta(days=30), NOW)
    decay = -0.1542
    latest = (review_date(before_exam(memory, exam, decay, 4, NOW).due, 4) - TODAY).days
    assert 3 <= latest < 24  # brought forward to when recall falls to the target
    loads = DayLoads({day(offset): 50 for offset in range(1, 25)}, 4)
    loads.due[day(latest - 1)] = 0
    spread = {
        review_date(before_exam(memory, exam, decay, 4, NOW, loads, (d + 0.5) / 20).due, 4)
        for d in range(20)
    }
    assert spread == {day(latest - 1)}  # sooner, never later


# --- the review session keeps the loads ------------------------------------------------------


def _review_cards(store: Store, due: dict[str, int]) -> None:
    """Make the named cards review cards due ``due[key]`` days from now, stability 10."""
    from sqlmodel import Session, select

    from recall1924.models import Card
    from recall1924.store.base import set_memory

    with Session(store.engine) as session:
        for card in session.exec(select(Card)).all():
            if card.key in due:
                last = NOW - timedelta(days=10)
                memory = MemoryState(
                    State.Review, None, 10.0, 5.0, NOW + timedelta(days=due[card.key]), last
                )
                set_memory(card, memory)
                session.add(card)
        session.commit()


def test_a_review_shows_and_gives_the_balanced_day_and_counts_it(
    demo_store: Store, settings: Settings
) -> None:
    # 'a' due now; every day ahead busy but one in its Good range
    settings = replace(settings, enable_fuzzing=True)  # balancing picks in the fuzz range
    scheduler = build_scheduler(settings)
    _review_cards(demo_store, {"a": 0, "b": 30, "c": 30, "d": 30, "e": 30})
    exact = build_scheduler(replace(settings, enable_fuzzing=False))
    plain = scheduled_session(demo_store, lambda _deck: exact, settings, FixedClock(NOW))
    plain.start()
    plain.apply(Action.REVEAL)
    free = plain.intervals[Rating.Good].days + 1  # in the fuzz range of Good, not its middle
    review = scheduled_session(demo_store, lambda _deck: scheduler, settings, FixedClock(NOW))
    assert review.loads is not None
    assert review.loads.due[day(30)] == 4  # counted from the collection
    for offset in range(1, 100):
        review.loads.due[day(offset)] = 0 if offset == free else 40
    review.start()
    assert review.card is not None and review.card.key == "a"
    review.apply(Action.REVEAL)
    assert review.intervals[Rating.Good] == timedelta(days=free)
    review.apply(Action.GOOD)
    assert demo_store.card(review.answers[0].card_id).memory.due == NOW + timedelta(days=free)
    assert review.loads.due[day(free)] == 1  # the next answer sees it
    review.apply(Action.UNDO)
    assert review.loads.due[day(free)] == 0


def test_without_load_balancing_the_session_only_fuzzes(
    demo_store: Store, settings: Settings
) -> None:
    off = replace(settings, load_balancing=False)
    review = scheduled_session(demo_store, lambda _deck: build_scheduler(off), off, FixedClock(NOW))
    assert review.loads is None


# --- sixty days before an exam -----------------------------------------------------------------

SHAPE = {"mature": 400, "new_per_day": 10, "days": 60, "seed": 1}


@pytest.fixture(scope="module")
def balanced_run() -> load_balance.Run:
    return load_balance.simulate(balancing=True, **SHAPE)  # type: ignore[arg-type]


def test_balancing_spreads_sixty_days_before_an_exam(balanced_run: load_balance.Run) -> None:
    off = load_balance.simulate(balancing=False, **SHAPE)  # type: ignore[arg-type]
    assert len(balanced_run.reviews) == 60
    # about the same work: balancing leans a little early, as Anki's does
    assert balanced_run.mean == pytest.approx(off.mean, rel=0.1)
    # fuzz alone leaves the eve of the exam over twice the mean day; balanced, under 1.8
    assert off.peak_ratio > 2.0
    assert balanced_run.peak_ratio < 1.8
    assert balanced_run.largest_jump < off.largest_jump


def test_easy_days_hold_over_sixty_days(balanced_run: load_balance.Run) -> None:
    easy = load_balance.simulate(balancing=True, easy_days=WEEKEND, **SHAPE)  # type: ignore[arg-type]

    def mean_on(run: load_balance.Run, weekday: int) -> float:
        days = [
            count
            for offset, count in enumerate(run.reviews[1:], start=1)  # day 0 was set before
            if (load_balance.START + timedelta(days=offset)).weekday() == weekday
        ]
        return sum(days) / len(days)

    saturday, sunday, monday = (mean_on(easy, weekday) for weekday in (5, 6, 0))
    assert saturday < 0.7 * mean_on(balanced_run, 5)  # what cannot move (1-2 day intervals)
    assert saturday < sunday < monday
    assert easy.mean == pytest.approx(balanced_run.mean, rel=0.1)


# --- the setting --------------------------------------------------------------------------------

runner = CliRunner()


def test_easy_days_are_set_shown_and_refused_in_one_line() -> None:
    env = {"RECALL_NOW": NOW.isoformat()}
    set_ = runner.invoke(
        app, ["config", "set", "easy_days", "Saturday=minimum, sun=REDUCED"], env=env
    )
    assert set_.exit_code == 0, set_.output
    shown = runner.invoke(app, ["config", "--json"], env=env)
    assert json.loads(shown.stdout)["easy_days"] == "sat=minimum sun=reduced"
    listing = runner.invoke(app, ["config"], env=env)
    assert "sat=minimum sun=reduced" in listing.stdout
    bad = runner.invoke(app, ["config", "set", "easy_days", "sat=off"], env=env)
    assert bad.exit_code != 0
    assert bad.stderr.strip().splitlines() == [
        "recall: invalid value 'sat=off' for easy_days: 'off' for sat is not normal, reduced "
        "or minimum"
    ]
    again = runner.invoke(app, ["config", "--json"], env=env)
    assert json.loads(again.stdout)["easy_days"] == "sat=minimum sun=reduced"  # kept
    per_deck = runner.invoke(app, ["config", "set", "--deck", "x", "easy_days", "none"], env=env)
    assert per_deck.exit_code != 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sa=minimum", "'sa' is not a day of the week"),
        ("sat", "'sat' is not day=kind"),
        ("sat=minimum sat=reduced", "sat is given twice"),
        ("sun=easy", "'easy' for sun is not normal, reduced or minimum"),
    ],
)
def test_bad_easy_days(text: str, message: str) -> None:
    from recall1924.errors import SettingError
    from recall1924.settings import parse_value

    with pytest.raises(SettingError, match=message):
        parse_value("easy_days", text)


def test_easy_days_read_back_in_week_order() -> None:
    from recall1924.settings import canonical_text, parse_value

    assert canonical_text("easy_days", "sun=reduced sat=minimum mon=normal") == (
        "sat=minimum sun=reduced"
    )
    assert canonical_text("easy_days", "none") == "none"
    assert parse_value("easy_days", "wednesday=reduced")[2] is EasyDay.Reduced
