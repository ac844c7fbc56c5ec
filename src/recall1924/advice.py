"""What desired retention to choose: the student's own cards simulated at each retention tried.

Holds :data:`RETENTIONS`, :class:`SimCard`, :class:`Limits`, :class:`Odds`, :class:`Outcome` and
:func:`simulate` (one retention, one run), :class:`RetentionRow` and
:func:`compare_retentions` (every retention, averaged over runs), :class:`Budget`,
:class:`RetentionAdvice` and :func:`advise_retention`, the service behind
``recall optimize --retention``.

The question depends on what the student is studying for. With an exam, what counts is what
is remembered on exam day, and the work is bounded by the time the student has each day: the
advice is the retention that remembers the most cards at the start of exam day within a daily
budget of answers. A higher retention reviews each card sooner, so up to a point it remembers
more; past it, the budget runs out, due cards wait, and fewer are remembered. Without an exam
there is no day to aim at: the advice shows the trade-off, as Anki's "Help me decide" does
(retention, answers a day, cards remembered after a year at the daily limits), and suggests
the retention with the fewest answers per card remembered (the criterion of Anki's "minimum
recommended retention"). A best retention at either end of the range tried is reported as
such and never recommended as if it were an optimum: the true best may lie beyond it.

The simulation is recall's own, since fsrs-rs's simulator, as its Python binding exposes it,
starts from an empty deck: every card starts from its stored memory state and due day, and
every answer's new state comes from fsrs-rs's ``next_states`` (the FSRS-6 model recall fits
and schedules with). Each day, due cards are answered most overdue first until the budget or
``reviews_per_day`` runs out (the rest wait), then new cards in deck order up to
``new_per_day``. A due card is recalled with its retrievability that day; a recalled one is
rated Hard, Good or Easy, a new card first rated Again to Easy, in the proportions of
fsrs-rs's defaults (from Anki users' histories); every learning and relearning step is one
more answer, answered Good, on the same day. Each card draws its own random numbers, the same
at every retention, so the retentions are compared on the same luck; the figures are means
over a few runs.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from recall1924.context import App
    from recall1924.exam import Exam

__all__ = [
    "RECENT_DAYS",
    "RETENTIONS",
    "RUNS",
    "SIMULATED_DAYS",
    "WORK",
    "Budget",
    "Limits",
    "Odds",
    "Outcome",
    "RetentionAdvice",
    "RetentionRow",
    "SimCard",
    "advise_retention",
    "best_retention",
    "compare_retentions",
    "simulate",
]

RETENTIONS = tuple(round(0.70 + 0.03 * step, 2) for step in range(10))
"""The desired retentions compared: 0.70 to 0.97."""

SIMULATED_DAYS = 365
"""Without an exam: how far ahead the trade-off is simulated."""

RECENT_DAYS = 28
"""The review days before today whose answers make the student's usual day."""

RUNS = 4
"""Runs averaged per retention: each run's luck differs, the retentions' within a run not."""

WORK = 1_000_000
"""Simulated answers, across every retention and run, beyond which fewer runs are made (about
8 seconds): a year of 20,000 cards at 200 reviews a day is 80,000 a run, 800,000 over the ten
retentions."""


@dataclass(frozen=True)
class SimCard:
    """A card as the simulation starts it. Days count from today (day 0)."""

    stability: float | None
    """None for a card never answered (new)."""
    difficulty: float | None
    last_day: int
    """The review day of its last answer (0 or less); not read for a new card."""
    due_day: int
    """The review day it falls due (0 or less: due today)."""
    suspended: bool = False
    """Never answered; still remembered as its state says."""


@dataclass(frozen=True)
class Limits:
    """The days simulated and what bounds each day's answers."""

    days: int
    """Days simulated from today; what is remembered is counted at the start of the next."""
    new_per_day: int
    reviews_per_day: int
    learning_steps: int
    relearning_steps: int
    maximum_interval: int
    budget: int | None = None
    """Answers a day at most, every step counted; None: only the daily limits."""
    done_today: tuple[int, int, int] = (0, 0, 0)
    """Already given today: answers, answers to review cards, new cards introduced."""


@dataclass(frozen=True)
class Outcome:
    """One run at one retention."""

    answers: int
    """Every answer given, learning and relearning steps included."""
    remembered: float
    """The sum of every card's chance of recall at the start of the day after the last
    simulated (exam day), new cards never introduced counting 0."""
    introduced: int


_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(value: int) -> int:
    """splitmix64's finaliser: consecutive inputs give unrelated 64-bit outputs."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _pick(weights: Sequence[float], u: float) -> int:
    """The index whose share of ``weights`` holds ``u`` (0 <= u < 1)."""
    total = sum(weights)
    running = 0.0
    for index, weight in enumerate(weights):
        running += weight / total
        if u < running:
            return index
    return len(weights) - 1


@dataclass(frozen=True)
class Odds:
    """How the simulated student rates: fsrs-rs's defaults, from Anki users' histories."""

    first: tuple[float, ...]
    """A new card's first rating, Again to Easy."""
    recalled: tuple[float, ...]
    """A recalled review's rating, Hard to Easy."""


def _default_odds() -> Odds:
    import fsrs_rs_python as engine

    config = engine.default_simulator_config()
    return Odds(tuple(config.first_rating_prob), tuple(config.review_rating_prob))


def simulate(
    cards: Sequence[SimCard],
    *,
    retention: float,
    parameters: Sequence[float],
    limits: Limits,
    seed: int,
    odds: Odds | None = None,
) -> Outcome:
    """One run of ``cards`` for ``limits.days`` days at desired retention ``retention`` (see
    the module docstring).

    Args:
        cards: new ones in the order they are introduced.
        retention: the desired retention every interval is computed for.
        parameters: the 21 FSRS-6 parameters.
        limits: the days and each day's bounds.
        seed: the run's luck; the same seed at another retention draws the same numbers for
            the same card.
    """
    import fsrs_rs_python as engine

    odds = odds or _default_odds()
    model = engine.FSRS(list(parameters))
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    # FSRS's interval for the desired retention is the stability times this.
    stretch = (retention ** (1 / decay) - 1) / factor
    longest = max(1, limits.maximum_interval)
    memory: list[Any] = [
        # A card seen but with no usable memory state (none stored) starts as a new one.
        None
        if card.stability is None or card.stability <= 0 or card.difficulty is None
        else engine.MemoryState(card.stability, card.difficulty)
        for card in cards
    ]
    last = [card.last_day for card in cards]
    streams = [_mix((seed * 0x100000001B3 + index) & _MASK) for index in range(len(cards))]

    def draw(index: int) -> float:
        streams[index] = (streams[index] + _GOLDEN) & _MASK
        return _mix(streams[index]) / 2.0**64

    due = [
        (card.due_day, index, index)
        for index, card in enumerate(cards)
        if memory[index] is not None and not card.suspended
    ]
    heapq.heapify(due)
    waiting = [
        index for index, card in enumerate(cards) if memory[index] is None and not card.suspended
    ]
    waiting.reverse()  # popped from the end: deck order
    learning_steps, relearning_steps = limits.learning_steps, limits.relearning_steps
    # A new card's remaining learning steps after its first rating: Again and Hard start (or
    # stay at) the first, Good moves on to the next, Easy graduates.
    steps_after_first = (
        learning_steps,
        learning_steps,
        max(0, learning_steps - 1),
        0,
    )
    answers = introduced = 0
    order = len(cards)

    def schedule(index: int, day: int) -> None:
        nonlocal order
        interval = min(longest, max(1, round(memory[index].stability * stretch)))
        order += 1
        heapq.heappush(due, (day + interval, order, index))

    for day in range(limits.days):
        done, reviewed, new = limits.done_today if day == 0 else (0, 0, 0)
        left = math.inf if limits.budget is None else limits.budget - done
        reviews_left = limits.reviews_per_day - reviewed
        new_left = limits.new_per_day - new
        while due and due[0][0] <= day and left > 0 and reviews_left > 0:
            _due, _order, index = heapq.heappop(due)
            state = memory[index]
            elapsed = day - last[index]
            chance = (1 + factor * max(0, elapsed) / state.stability) ** decay
            nexts = model.next_states(state, retention, max(0, elapsed))
            used = 1
            if draw(index) < chance:
                rating = _pick(odds.recalled, draw(index))
                state = (nexts.hard, nexts.good, nexts.easy)[rating].memory
            else:
                state = nexts.again.memory
                for _ in range(relearning_steps):
                    state = model.next_states(state, retention, 0).good.memory
                    used += 1
            memory[index] = state
            last[index] = day
            schedule(index, day)
            answers += used
            left -= used
            reviews_left -= 1
        while waiting and new_left > 0 and left > 0:
            index = waiting.pop()
            first = _pick(odds.first, draw(index))
            firsts = model.next_states(None, retention, 0)
            state = (firsts.again, firsts.hard, firsts.good, firsts.easy)[first].memory
            used = 1
            for _ in range(steps_after_first[first]):
                state = model.next_states(state, retention, 0).good.memory
                used += 1
            memory[index] = state
            last[index] = day
            schedule(index, day)
            answers += used
            left -= used
            new_left -= 1
            introduced += 1
    remembered = math.fsum(
        (1 + factor * max(0, limits.days - last[index]) / state.stability) ** decay
        for index, state in enumerate(memory)
        if state is not None and state.stability > 0
    )
    return Outcome(answers, remembered, introduced)


@dataclass(frozen=True)
class RetentionRow:
    """One desired retention, as the mean of its runs."""

    retention: float
    answers: float
    """Answers in all, every step counted."""
    reviews_per_day: float
    """Those a day."""
    remembered: float
    """Cards expected to be remembered at the end (on exam day)."""
    introduced: float
    """New cards begun."""

    @property
    def answers_per_card(self) -> float:
        """Answers per card remembered: what the advice without an exam minimises."""
        return math.inf if self.remembered <= 0 else self.answers / self.remembered


def compare_retentions(
    cards: Sequence[SimCard],
    *,
    parameters: Sequence[float],
    limits: Limits,
    retentions: Sequence[float] = RETENTIONS,
    runs: int = RUNS,
    seed: int = 1924,
) -> tuple[list[RetentionRow], int]:
    """:func:`simulate` at every one of ``retentions``, up to ``runs`` times each (seeds
    ``seed`` onwards), as the means of the runs.

    Fewer runs where one run is long (:data:`WORK`), so that a big collection's year costs
    seconds, not a minute: with each card's own luck the same at every retention, one run
    already compares them fairly; more runs only smooth the figures.

    Returns:
        The rows, and the runs each is the mean of.
    """
    odds = _default_odds()

    def run(retention: float, number: int) -> Outcome:
        return simulate(
            cards,
            retention=retention,
            parameters=parameters,
            limits=limits,
            seed=seed + number,
            odds=odds,
        )

    first = run(retentions[0], 0)
    runs = max(1, min(runs, WORK // max(1, first.answers * len(retentions))))
    rows = []
    for retention in retentions:
        outcomes = [
            first if retention == retentions[0] and number == 0 else run(retention, number)
            for number in range(runs)
        ]
        answers = sum(o.answers for o in outcomes) / runs
        rows.append(
            RetentionRow(
                retention=retention,
                answers=answers,
                reviews_per_day=answers / max(1, limits.days),
                remembered=math.fsum(o.remembered for o in outcomes) / runs,
                introduced=sum(o.introduced for o in outcomes) / runs,
            )
        )
    return rows, runs


@dataclass(frozen=True)
class Budget:
    """The answers a day the simulation allows, and where that number comes from."""

    answers: int | None
    """None: only the daily limits bound a day."""
    source: Literal["set", "recent", "limits"]
    """``set``: the exam's daily budget (``recall exam DATE --minutes``), in answers at the
    student's pace; ``recent``: without one, the mean answers a day over the last
    :data:`RECENT_DAYS` review days (with an exam); ``limits``: only ``new_per_day`` and
    ``reviews_per_day`` (without an exam, or with no recent answers)."""


@dataclass(frozen=True)
class RetentionAdvice:
    """What ``recall optimize --retention`` found."""

    deck: str | None
    """The deck simulated; None for the whole collection."""
    exam: Exam | None
    days: int
    budget: Budget
    rows: list[RetentionRow]
    best: float
    """The retention tried that does best: most remembered on exam day, or without an exam
    fewest answers per card remembered."""
    current: float
    cards: int
    runs: int

    @property
    def at_edge(self) -> bool:
        """The best is the lowest or the highest retention tried: the real best may lie
        beyond, so it is not recommended as one."""
        tried = [row.retention for row in self.rows]
        return self.best in (min(tried), max(tried))

    @property
    def suggested(self) -> float | None:
        """The recommendation: the best, when it is inside the range tried."""
        return None if self.at_edge else self.best

    @property
    def spread(self) -> float:
        """How many more cards the best retention tried remembers than the worst."""
        remembered = [row.remembered for row in self.rows]
        return max(remembered) - min(remembered)

    @property
    def matters_little(self) -> bool:
        """With an exam: every retention tried remembers within 1 % of the cards (or one card)
        of every other, as when the budget is used up at every one of them; the best is then
        best by a hair, and saying so is the honest advice."""
        return self.exam is not None and self.spread < max(1.0, 0.01 * self.cards)

    @property
    def scope(self) -> str:
        """What was simulated, as a heading names it."""
        return "your whole collection" if self.deck is None else f"deck {self.deck}"

    def to_json(self) -> dict[str, Any]:
        """The advice as JSON-ready data (see docs/json.md)."""
        return {
            "deck": self.deck,
            "cards": self.cards,
            "exam": None
            if self.exam is None
            else {"date": self.exam.day.isoformat(), "target": self.exam.target},
            "days": self.days,
            "criterion": "remembered_on_exam_day"
            if self.exam is not None
            else "answers_per_card_remembered",
            "budget": {"answers_per_day": self.budget.answers, "source": self.budget.source},
            "current": self.current,
            "best": self.best,
            "at_edge": self.at_edge,
            "suggested": self.suggested,
            "matters_little": self.matters_little,
            "runs": self.runs,
            "rows": [
                {
                    "retention": row.retention,
                    "answers": row.answers,
                    "reviews_per_day": row.reviews_per_day,
                    "remembered": row.remembered,
                    "introduced": row.introduced,
                }
                for row in self.rows
            ],
        }


def best_retention(rows: Sequence[RetentionRow], *, exam: bool) -> float:
    """The retention of ``rows`` that remembers most (``exam``) or costs the fewest answers
    per card remembered; the lower of two that tie."""
    if exam:
        return max(rows, key=lambda row: (row.remembered, -row.retention)).retention
    return min(rows, key=lambda row: (row.answers_per_card, row.retention)).retention


def advise_retention(
    app: App, deck: str | None = None, *, runs: int = RUNS, seed: int = 1924
) -> RetentionAdvice:
    """The retention advice for ``deck`` (or the whole collection), now.

    With an exam set (the deck's, else every deck's) and still ahead, the simulation runs to
    exam day within the student's budget; otherwise a year, at the daily limits.

    Raises:
        NotFoundError: there is no deck ``deck``, or no card to simulate.
    """
    from recall1924.clock import day_start, review_date
    from recall1924.errors import NotFoundError
    from recall1924.readiness import find_exam
    from recall1924.scheduling import review_day
    from recall1924.store import Scope

    store = app.store
    scope = store.scope(deck)  # names the decks there are when there is no such deck
    settings = app.settings if deck is None else app.settings_for(deck)
    starts = app.settings.day_starts_at
    now = app.clock.now()
    today = review_date(now, starts)
    exam = find_exam(store, deck)
    if exam is not None and exam.day <= today:
        exam = None
    days = (exam.day - today).days if exam is not None else SIMULATED_DAYS
    cards = [
        SimCard(
            stability=card.memory.stability,
            difficulty=card.memory.difficulty,
            last_day=0
            if card.memory.last_review is None
            else review_day(card.memory.last_review, starts) - today.toordinal(),
            due_day=review_day(card.memory.due, starts) - today.toordinal(),
            suspended=card.suspended,
        )
        for card in store.plan_cards(deck_id=scope.deck_id)
    ]
    if not cards:
        where = "the collection" if deck is None else f"deck {deck}"
        raise NotFoundError(f"no cards in {where} to simulate: import a deck first")
    budget = None
    if exam is not None:
        budget = _set_budget(app, deck) or _recent_budget(app, scope.deck_id, today, starts)
    if budget is None:
        budget = Budget(None, "limits")
    counts = store.day_counts(day_start(today, starts), Scope(deck_id=scope.deck_id))
    limits = Limits(
        days=days,
        new_per_day=settings.new_per_day,
        reviews_per_day=settings.reviews_per_day,
        learning_steps=len(settings.learning_steps),
        relearning_steps=len(settings.relearning_steps),
        maximum_interval=settings.maximum_interval,
        budget=budget.answers,
        done_today=(counts.answers, counts.reviews, counts.new_introduced),
    )
    parameters = list(settings.model_parameters)
    rows, runs = compare_retentions(
        cards, parameters=parameters, limits=limits, runs=runs, seed=seed
    )
    return RetentionAdvice(
        deck=deck,
        exam=exam,
        days=days,
        budget=budget,
        rows=rows,
        best=best_retention(rows, exam=exam is not None),
        current=settings.desired_retention,
        cards=len(cards),
        runs=runs,
    )


def _set_budget(app: App, deck: str | None) -> Budget | None:
    """The exam's daily budget in answers, as the exam plan counts it, or None without one."""
    from recall1924.readiness import budget_time, find_budget

    budget = find_budget(app.store, deck)
    return None if budget is None else Budget(budget.answers(budget_time(app, deck)), "set")


def _recent_budget(app: App, deck_id: int | None, today: date, starts: int) -> Budget | None:
    """The student's usual day: the mean answers a day (reviews and practice) over the last
    :data:`RECENT_DAYS` review days before today, days without answers counting 0; None when
    there were none."""
    from recall1924.clock import day_start

    found = app.store.activity(
        since=day_start(today - timedelta(days=RECENT_DAYS), starts),
        until=day_start(today, starts),
        day_starts_at=starts,
        deck_id=deck_id,
    )
    total = sum(day.reviews for day in found)
    if total == 0:
        return None
    return Budget(max(1, round(total / RECENT_DAYS)), "recent")
