"""Sixty days before an exam, reviewed every day: how even the days are with load balancing.

A simulated student with an established collection (cards due evenly over the weeks ahead) who
also learns a batch of new cards every day, and has an exam set for the end
(deadline-aware intervals, as ``recall review`` gives them). Every day they answer everything
due: a review is recalled with its FSRS chance (Good, now and then Hard or Easy), else Again;
learning and relearning steps are answered the same day until the card leaves them. The same
run is made with load balancing off (fuzz only) and on, and then on with easy days.

It prints, for each run, the reviews per day (cards in review due that day), the mean, the
busiest day and its ratio to the mean, and the largest jump from one day to the next::

    .venv/bin/python benchmarks/load_balance.py             # 1,500 cards + 40 new a day
    .venv/bin/python benchmarks/load_balance.py --mature 3000 --new 60 --seed 2

Everything is recall's own code (``scheduling.answer`` with ``balance.DayLoads``, the review
session's deadline rule), so the figures are what the review would give; nothing is written to
a database. ``tests/test_balance.py`` runs it smaller and checks the busiest day.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

if __name__ == "__main__":
    os.environ["TZ"] = "UTC"  # review days are local days: pin them
    time.tzset()

from recall1924.balance import NORMAL_WEEK, DayLoads, EasyDay
from recall1924.clock import review_date
from recall1924.exam import Exam
from recall1924.review.policies import before_exam
from recall1924.scheduling import (
    MemoryState,
    Rating,
    State,
    answer,
    build_scheduler,
    decay_of,
    elapsed_days,
    fuzz_draw,
    retrievability,
)
from recall1924.settings import Settings

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY_STARTS_AT = 4


@dataclass(frozen=True)
class Run:
    """One simulated run: reviews per day, from the first day to the eve of the exam."""

    reviews: list[int]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.reviews)

    @property
    def busiest(self) -> int:
        return max(self.reviews)

    @property
    def peak_ratio(self) -> float:
        """The busiest day's reviews over the mean day's."""
        return self.busiest / self.mean

    @property
    def week_peak_ratio(self) -> float:
        """The most any day's reviews stand above the mean of the week around it (three days
        each side, fewer at the ends): a wall, whatever the trend of the weeks."""
        ratios = []
        for day, count in enumerate(self.reviews):
            week = self.reviews[max(0, day - 3) : day + 4]
            ratios.append(count / statistics.fmean(week) if any(week) else 1.0)
        return max(ratios)

    @property
    def largest_jump(self) -> int:
        return max(abs(b - a) for a, b in zip(self.reviews, self.reviews[1:], strict=False))


def _collection(rng: random.Random, mature: int) -> list[MemoryState]:
    # Due evenly over the 60 days from today, each card part way through an interval at least as
    # long as the wait (up to twice it), its stability that interval: no wall to start from.
    cards = []
    for _ in range(mature):
        wait = rng.randint(0, 59)
        interval = max(1, wait + rng.randint(0, wait))
        due = START + timedelta(days=wait)
        cards.append(
            MemoryState(
                State.Review,
                None,
                float(interval),
                rng.uniform(3, 8),
                due,
                due - timedelta(days=interval),
            )
        )
    return cards


def _rating(rng: random.Random, memory: MemoryState, at: datetime, decay: float) -> Rating:
    if memory.state is not State.Review or memory.last_review is None:
        return Rating.Good if rng.random() < 0.85 else Rating.Again
    elapsed = elapsed_days(memory.last_review, at, day_starts_at=DAY_STARTS_AT)
    if rng.random() >= retrievability(elapsed, memory.stability, decay):
        return Rating.Again
    roll = rng.random()
    return Rating.Hard if roll < 0.1 else Rating.Easy if roll > 0.95 else Rating.Good


def simulate(
    *,
    mature: int = 1500,
    new_per_day: int = 40,
    new_days: int = 60,
    burst: int = 0,
    days: int = 60,
    balancing: bool,
    easy_days: Sequence[EasyDay] = NORMAL_WEEK,
    exam_target: float | None = 0.9,
    seed: int = 1,
) -> Run:
    """Review every day for ``days`` days before an exam (see the module docstring).

    Args:
        mature: cards already learnt, due evenly over the weeks ahead.
        new_per_day: new cards learnt a day, for the first ``new_days`` days.
        new_days: how many days new cards come in.
        burst: new cards learnt on the first day besides (a deck learnt in one sitting).
        days: days until the exam.
        balancing: balance intervals over the days ahead (else fuzz only).
        easy_days: Monday to Sunday, for the balancer.
        exam_target: the exam's target chance of recall (None: no exam set).
        seed: the student's answers and the collection.

    Returns:
        Reviews per day (cards in review that fell due that day).
    """
    rng = random.Random(seed)
    settings = Settings.from_stored({})
    scheduler = build_scheduler(settings)
    decay = decay_of(scheduler)
    cards = _collection(rng, mature)
    ids = list(range(1, len(cards) + 1))
    due_days = [review_date(memory.due, DAY_STARTS_AT) for memory in cards]
    exam = Exam(review_date(START, DAY_STARTS_AT) + timedelta(days=days), exam_target or 0.9)
    loads = None
    if balancing:
        due: dict[date, int] = {}
        for memory in cards:
            day = review_date(memory.due, DAY_STARTS_AT)
            due[day] = due.get(day, 0) + 1
        loads = DayLoads(due, DAY_STARTS_AT, tuple(easy_days))
    reviews: list[int] = []
    for offset in range(days):
        morning = START + timedelta(days=offset)
        today = review_date(morning, DAY_STARTS_AT)
        if offset < new_days:
            for _ in range(new_per_day + (burst if offset == 0 else 0)):
                cards.append(MemoryState.new(morning))
                ids.append(len(ids) + 1)
                due_days.append(today)
        waiting = [index for index, day in enumerate(due_days) if day <= today]
        reviews.append(sum(cards[index].state is State.Review for index in waiting))
        for index in waiting:
            at = morning
            while True:
                memory = cards[index]
                at = max(at, memory.due) if memory.last_review is not None else at
                after = answer(
                    scheduler,
                    card_id=ids[index],
                    memory=memory,
                    rating=_rating(rng, memory, at, decay),
                    at=at,
                    day_starts_at=DAY_STARTS_AT,
                    loads=loads,
                )
                if exam_target is not None:
                    draw = fuzz_draw(ids[index], memory.last_review)
                    after = before_exam(after, exam, decay, DAY_STARTS_AT, at, loads, draw)
                if loads is not None:
                    loads.move(memory.due if memory.last_review else None, after.due)
                cards[index] = after
                due_days[index] = review_date(after.due, DAY_STARTS_AT)
                if due_days[index] > today:
                    break
    return Run(reviews)


def _row(name: str, run: Run) -> str:
    return (
        f"{name:<24} mean {run.mean:6.1f}  busiest {run.busiest:4d} ({run.peak_ratio:4.2f}x the "
        f"mean)  worst day/its week {run.week_peak_ratio:4.2f}  largest jump {run.largest_jump:4d}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mature", type=int, default=1500)
    parser.add_argument("--new", type=int, default=40, help="new cards a day")
    parser.add_argument("--new-days", type=int, default=60)
    parser.add_argument("--burst", type=int, default=0, help="new cards on the first day besides")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-exam", action="store_true", help="no deadline-aware intervals")
    arguments = parser.parse_args(argv)
    shape = {
        "mature": arguments.mature,
        "new_per_day": arguments.new,
        "new_days": arguments.new_days,
        "burst": arguments.burst,
        "days": arguments.days,
        "seed": arguments.seed,
        "exam_target": None if arguments.no_exam else 0.9,
    }
    weekend = list(NORMAL_WEEK)
    weekend[5], weekend[6] = EasyDay.Minimum, EasyDay.Reduced
    runs = {
        "balancing off": simulate(balancing=False, **shape),  # type: ignore[arg-type]
        "balancing on": simulate(balancing=True, **shape),  # type: ignore[arg-type]
        "on, sat=min sun=reduced": simulate(balancing=True, easy_days=weekend, **shape),  # type: ignore[arg-type]
    }
    for name, run in runs.items():
        print(_row(name, run))
        print("  per day:", " ".join(str(count) for count in run.reviews))
    off, on = runs["balancing off"], runs["balancing on"]
    print(f"busiest/mean: {off.peak_ratio:.2f} off, {on.peak_ratio:.2f} on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
