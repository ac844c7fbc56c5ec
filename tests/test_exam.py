"""Exam day: recall on the day, the on-schedule simulation and the plan, checked against the FSRS
formulas written out here with fsrs's own parameters; and `recall exam` on the command line."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS as W
from typer.testing import CliRunner

from conftest import NOW
from recall1924.cli import app
from recall1924.clock import day_start
from recall1924.errors import SettingError
from recall1924.exam import (
    Exam,
    PlanInput,
    parse_target,
    plan,
    read_exam,
    recall_on,
)
from recall1924.scheduling import MemoryState, State
from recall1924.settings import Settings

DECAY = W[20]
FACTOR = 0.9 ** (1 / -DECAY) - 1
SETTINGS = replace(Settings.from_stored({}), enable_fuzzing=False)
STARTS = SETTINGS.day_starts_at  # 4; the tests run in UTC


def r(days: int, stability: float) -> float:
    return float((1 + FACTOR * days / stability) ** -DECAY)


def interval(stability: float, retention: float) -> int:
    return max(1, round(stability / FACTOR * (retention ** (1 / -DECAY) - 1)))


def after_good(stability: float, difficulty: float, days: int) -> tuple[float, float]:
    """FSRS-6 after a Good answer to a review card ``days`` days after its last review."""
    grown = stability * (
        1
        + math.exp(W[8])
        * (11 - difficulty)
        * stability ** -W[9]
        * (math.exp((1 - r(days, stability)) * W[10]) - 1)
    )
    easy_start = W[4] - math.exp(W[5] * 3) + 1
    return grown, min(10.0, max(1.0, W[7] * easy_start + (1 - W[7]) * difficulty))


def good_path(
    stability: float, difficulty: float, last: date, due: date, exam: date, retention: float
) -> tuple[int, float]:
    """Reviews on schedule before ``exam`` (all at the same hour, so days are review days),
    and the chance of recall at the start of exam day."""
    reviews = 0
    today = NOW.date()
    while due < exam:
        when = max(due, today)
        stability, difficulty = after_good(stability, difficulty, (when - last).days)
        last, due = when, when + timedelta(days=interval(stability, retention))
        reviews += 1
    return reviews, r((exam - last).days, stability)


def review_card(stability: float, difficulty: float, last: datetime, due: datetime) -> MemoryState:
    return MemoryState(State.Review, None, stability, difficulty, due, last)


def test_recall_on_counts_review_days_to_the_start_of_the_day() -> None:
    memory = review_card(12.0, 5.0, NOW - timedelta(days=3), NOW + timedelta(days=9))
    decay = -DECAY
    assert recall_on(memory, date(2026, 12, 20), decay, STARTS) == pytest.approx(r(26, 12.0))
    # 02:00 belongs to the day before: one review day more.
    late = replace(memory, last_review=datetime(2026, 11, 24, 2, tzinfo=UTC))
    assert recall_on(late, date(2026, 12, 20), decay, STARTS) == pytest.approx(r(27, 12.0))
    assert recall_on(MemoryState.new(NOW), date(2026, 12, 20), decay, STARTS) == 0.0
    assert day_start(date(2026, 12, 20), STARTS) == datetime(2026, 12, 20, 4, tzinfo=UTC)


@pytest.mark.parametrize("target", [0.9, 0.95])
def test_plan_of_one_review_card_matches_the_good_path(target: float) -> None:
    last = NOW - timedelta(days=5)
    card = PlanInput(1, ("d", "s"), review_card(10.0, 5.0, last, last + timedelta(days=10)))
    exam = Exam(date(2027, 3, 1), target)
    result = plan([card], exam=exam, now=NOW, settings=SETTINGS, decay=-DECAY)
    section = result.sections["d", "s"]
    days_left = (exam.day - NOW.date()).days
    assert result.days_left == days_left
    assert section.recall_if_no_reviews == pytest.approx(r((exam.day - last.date()).days, 10.0))
    kept_reviews, kept_recall = good_path(
        10.0, 5.0, last.date(), (last + timedelta(days=10)).date(), exam.day, 0.9
    )
    assert section.recall_on_schedule == pytest.approx(kept_recall)
    needed, recall_at_target = good_path(
        10.0, 5.0, last.date(), (last + timedelta(days=10)).date(), exam.day, target
    )
    assert section.reviews_needed == needed
    assert section.reviews_per_day_needed == pytest.approx(needed / days_left)
    assert recall_at_target >= target - 0.01  # reviewed in time, the card stays near the target
    if target > 0.9:
        assert needed > kept_reviews


def test_overdue_card_is_reviewed_today_and_a_safe_card_needs_nothing() -> None:
    overdue = PlanInput(
        1, ("d", "s"), review_card(3.0, 6.0, NOW - timedelta(days=20), NOW - timedelta(days=17))
    )
    safe = PlanInput(
        2,
        ("d", "t"),
        review_card(900.0, 3.0, NOW - timedelta(days=1), NOW + timedelta(days=899)),
    )
    exam = Exam(date(2026, 12, 11), 0.9)
    result = plan([overdue, safe], exam=exam, now=NOW, settings=SETTINGS, decay=-DECAY)
    needed, recall = good_path(3.0, 6.0, date(2026, 11, 7), date(2026, 11, 10), exam.day, 0.9)
    assert result.sections["d", "s"].reviews_needed == needed >= 1
    assert result.sections["d", "s"].recall_on_schedule == pytest.approx(recall)
    assert result.sections["d", "t"].reviews_needed == 0
    assert result.sections["d", "t"].recall_on_schedule == pytest.approx(r(15, 900.0))
    assert result.busiest_day >= 1


def test_new_cards_beyond_what_new_per_day_allows_count_zero_and_warn() -> None:
    cards = [PlanInput(n, ("d", "s"), MemoryState.new(NOW)) for n in range(5)]
    settings = replace(SETTINGS, new_per_day=1)
    exam = Exam(NOW.date() + timedelta(days=3), 0.9)
    result = plan(cards, exam=exam, now=NOW, settings=settings, decay=-DECAY)
    assert result.new_left == 5 and result.new_possible == 3 and result.too_many_new
    section = result.sections["d", "s"]
    assert section.recall_if_no_reviews == 0.0
    # Three cards learnt (one a day), two never seen by the exam: at most 3/5.
    assert 0 < section.recall_on_schedule < 3 / 5
    assert section.reviews_needed >= 3 * 2  # each new card: two learning steps at least
    enough = plan(
        cards, exam=exam, now=NOW, settings=replace(settings, new_per_day=2), decay=-DECAY
    )
    assert not enough.too_many_new


def test_suspended_cards_are_never_reviewed() -> None:
    memory = review_card(3.0, 6.0, NOW - timedelta(days=20), NOW - timedelta(days=17))
    card = PlanInput(1, ("d", "s"), memory, suspended=True)
    result = plan([card], exam=Exam(date(2027, 1, 1)), now=NOW, settings=SETTINGS, decay=-DECAY)
    section = result.sections["d", "s"]
    assert section.reviews_needed == 0
    assert section.recall_on_schedule == section.recall_if_no_reviews


def test_reading_what_is_stored() -> None:
    assert read_exam({}) is None
    assert read_exam({"exam_date": "2027-06-01"}) == Exam(date(2027, 6, 1), 0.9)
    assert read_exam({"exam_date": "2027-06-01", "exam_target": "0.85"}) == Exam(
        date(2027, 6, 1), 0.85
    )
    assert read_exam({"exam_date": "soon"}) is None
    assert parse_target("85%") == pytest.approx(0.85)
    with pytest.raises(SettingError):
        parse_target("2")


runner = CliRunner()


def recall(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_exam_command_sets_shows_and_clears() -> None:
    code, out, _ = recall("exam", "2027-01-15", "--target", "0.85")
    assert code == 0
    assert out.startswith("Exam for every deck: 2027-01-15 (in 49 days), target 85%.")
    code, out, _ = recall("exam")
    assert out.strip() == "Exam for every deck: 2027-01-15, target 85%"
    code, out, _ = recall("stats", "--json")
    data = json.loads(out)
    assert data["horizon"]["kind"] == "exam" and data["horizon"]["day"] == "2027-01-15"
    exam = data["exam"]
    assert exam["date"] == "2027-01-15" and exam["target"] == 0.85
    assert {s["id"] for s in exam["sections"]} == {s["id"] for s in data["decks"][0]["sections"]}
    assert set(exam["sections"][0]) >= {
        "id",
        "recall_if_no_reviews",
        "recall_on_schedule",
        "reviews_per_day_needed",
    }
    # Nothing learnt yet: nothing remembered without reviews; the new cards, at 20 a day, fit.
    assert all(s["recall_if_no_reviews"] == 0 for s in exam["sections"])
    assert exam["new_left"] == data["totals"]["new"] <= exam["new_possible"] == 49 * 20
    code, out, _ = recall("stats")
    assert code == 0 and "Exam 2027-01-15, in 49 days" in out
    code, out, _ = recall("exam", "--clear")
    assert code == 0 and out.strip() == "Cleared the exam of every deck (2027-01-15)."
    _, out, _ = recall("stats", "--json")
    assert "exam" not in json.loads(out)


def test_exam_for_one_deck_and_bad_input() -> None:
    code, out, _ = recall("exam", "2027-02-01", "--deck", "stalin-1924")
    assert code == 0 and "deck 'stalin-1924'" in out
    _, out, _ = recall("stats", "--json", "--deck", "stalin-1924")
    assert json.loads(out)["exam"]["date"] == "2027-02-01"
    _, out, _ = recall("stats", "--json")
    assert "exam" not in json.loads(out)  # the deck's exam is not every deck's
    code, _, err = recall("exam", "2026-11-27")
    assert code == 2 and "not after today" in err
    code, _, err = recall("exam", "27/11/2027")
    assert code != 0 and "YYYY-MM-DD" in err
    code, _, err = recall("exam", "2027-01-01", "--deck", "nope")
    assert code != 0 and "no deck 'nope'" in err


def test_a_deck_without_an_exam_of_its_own_says_whose_it_follows() -> None:
    # stats --deck uses every deck's exam for a deck with none of its own: recall exam --deck
    # must not say it has none.
    assert recall("exam", "2027-02-01")[0] == 0
    assert recall("exam", "2027-01-10", "--deck", "stalin-1924")[0] == 0
    code, out, _ = recall("exam", "--clear", "--deck", "stalin-1924")
    assert code == 0
    assert out.strip() == (
        "Cleared the exam of deck 'stalin-1924' (2027-01-10); "
        "it follows every deck's: 2027-02-01, target 90%"
    )
    code, out, _ = recall("exam", "--deck", "stalin-1924")
    assert code == 0
    assert out.strip() == (
        "No exam of its own for deck 'stalin-1924'; it follows every deck's: 2027-02-01, "
        "target 90%. Set one for it with: recall exam YYYY-MM-DD --deck stalin-1924"
    )
    _, out, _ = recall("stats", "--json", "--deck", "stalin-1924")
    assert json.loads(out)["exam"]["date"] == "2027-02-01"
    _, out, _ = recall("exam", "--deck", "stalin-1924", "--json")
    shown = json.loads(out)
    assert shown["date"] is None and shown["follows"] == {"date": "2027-02-01", "target": 0.9}
    code, out, _ = recall("exam", "--clear")
    assert code == 0 and out.strip() == "Cleared the exam of every deck (2027-02-01)."
    code, out, _ = recall("exam", "--clear")
    assert code == 0 and out.strip() == "No exam was set for every deck: nothing to clear."
    code, out, _ = recall("exam", "--deck", "stalin-1924")
    assert out.strip() == (
        "No exam set for deck 'stalin-1924'. "
        "Set one with: recall exam YYYY-MM-DD --deck stalin-1924"
    )


def test_deadline_aware_intervals_stop_before_an_exam_they_would_fail() -> None:
    from datetime import UTC, datetime, timedelta

    from fsrs.scheduler import DEFAULT_PARAMETERS

    from recall1924.exam import Exam
    from recall1924.review import before_exam
    from recall1924.scheduling import MemoryState, State

    w20 = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (-1 / w20) - 1
    at = datetime(2026, 11, 27, 9, tzinfo=UTC)
    exam_day = (at + timedelta(days=20)).date()
    learnt = MemoryState(State.Review, None, 30.0, 5.0, at + timedelta(days=30), at)
    # R on exam day (20 review days on): (1 + factor * 20 / 30) ** -w20, about 0.93.
    on_the_day = (1 + factor * 20 / 30) ** -w20
    assert 0.92 < on_the_day < 0.94
    strict = before_exam(learnt, Exam(exam_day, 0.95), -w20, 4, at)
    # Due again when R falls to 0.95: t = S * (0.95 ** (-1 / w20) - 1) / factor days on.
    days = 30 * (0.95 ** (-1 / w20) - 1) / factor
    assert strict.due == at + timedelta(days=days)
    assert strict.stability == learnt.stability and strict.last_review == at
    # A target it meets, or a due date before the exam, leaves it alone.
    assert before_exam(learnt, Exam(exam_day, 0.9), -w20, 4, at) == learnt
    soon = MemoryState(State.Review, None, 30.0, 5.0, at + timedelta(days=5), at)
    assert before_exam(soon, Exam(exam_day, 0.95), -w20, 4, at) == soon
    # Never past the eve of the exam, however the curve runs.
    weak_target = before_exam(learnt, Exam(exam_day, 0.99), -w20, 4, at)
    assert weak_target.due <= day_start(exam_day, 4) - timedelta(days=1)
