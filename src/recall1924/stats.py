"""How the revision is going: per-section mastery and retention, the forecast, the history and,
once an exam is set, exam readiness.

Holds :class:`SectionStats`, :class:`DeckStats`, :class:`Totals`, :class:`Horizon`,
:class:`History`, :class:`Distribution`, :class:`ExamReport`, :class:`StatsReport` and
:func:`build_report` (the exam it is given comes from :func:`recall1924.readiness.find_exam`).

Mastery is the mean FSRS chance of recall of a section's cards at a *horizon* (a new card counts
as 0): the start of the next review day, or the start of exam day once an exam is set. Time is
counted in whole review days since each card's last review (``scheduling.elapsed_days``), so a
card answered a minute ago counts 1 day at tomorrow's start, as its next answer would.

Daily load and estimated total knowledge are Anki's: the reviews a day the seen cards cost in
their stride (the sum of one over each interval) and the cards that would be recalled now (the
sum of their chances of recall), with the latter's value on exam day once an exam is set; see
:mod:`recall1924.store.load`. Both are sums, not means: they grow with the deck.

Retention is "true retention": the share of answers to cards in the Review state (scheduled
reviews, not practice) that were not Again; young and mature split those answers by the interval
the card had before them (under or at least 21 days), as Anki's True Retention table does. It is
None until there are such answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from recall1924 import clock
from recall1924.budget import AnswerTime, DailyBudget, answers_left_today
from recall1924.clock import day_bounds, day_start, iso, review_date
from recall1924.exam import (
    BudgetAdvice,
    Exam,
    PlanInput,
    Suggestion,
    advise_budget,
    plan,
)
from recall1924.settings import Settings
from recall1924.store import Scope, SectionRow, Store
from recall1924.store.load import SectionLoad
from recall1924.store.stats import STABILITY_BOUNDS, DayActivity, Distributions

FORECAST_DAYS = 30
HEATMAP_WEEKS = 12
SortOrder = Literal["deck", "mastery"]


@dataclass(frozen=True)
class SectionStats:
    """One section's numbers."""

    id: str
    title: str
    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    mastery: float
    retention: float | None
    suspended: int = 0
    retention_young: float | None = None
    retention_mature: float | None = None
    average_stability: float | None = None
    """Mean stability (days) of the section's cards answered at least once."""
    daily_load: float = 0.0
    """Reviews a day its seen, unsuspended cards cost: the sum of one over each interval."""
    knowledge: float = 0.0
    """Cards it would recall now: the sum of its seen cards' chances of recall."""
    knowledge_on_exam_day: float | None = None
    """The same at the start of exam day, with no review before it; None without an exam."""


@dataclass(frozen=True)
class DeckStats:
    """One deck's sections."""

    id: str
    title: str
    sections: list[SectionStats]


@dataclass(frozen=True)
class Totals:
    """The whole collection (or the chosen deck)."""

    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    reviews_today: int
    mastery: float
    suspended: int = 0
    retention: float | None = None
    retention_young: float | None = None
    retention_mature: float | None = None
    average_stability: float | None = None
    daily_load: float = 0.0
    knowledge: float = 0.0
    knowledge_on_exam_day: float | None = None


@dataclass(frozen=True)
class Horizon:
    """The moment mastery is the chance of recall at."""

    at: datetime
    """The start of the review day (UTC)."""
    day: date
    """That review day."""
    kind: Literal["next_day", "exam"]

    def to_json(self) -> dict[str, str | None]:
        return {"at": iso(self.at), "day": self.day.isoformat(), "kind": self.kind}


@dataclass(frozen=True)
class DayCount:
    """A number of reviews on one review day (due, or given) and the minutes they took."""

    day: date
    count: int
    minutes: float = 0.0


@dataclass(frozen=True)
class History:
    """The answers of the last weeks, and the streak of days with answers up to today."""

    days: list[DayCount]
    """One entry per review day, oldest first, ending today."""
    streak: int
    today: DayCount


@dataclass(frozen=True)
class Distribution:
    """How many reviewed cards fall in each bucket."""

    name: str
    labels: list[str]
    counts: list[int]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"bucket": label, "cards": count}
            for label, count in zip(self.labels, self.counts, strict=True)
        ]


@dataclass(frozen=True)
class ExamSection:
    """One section on exam day (means over all its cards, new cards counting 0)."""

    id: str
    deck: str
    title: str
    recall_if_no_reviews: float
    recall_on_schedule: float
    reviews_per_day_needed: float
    cards: int = 0
    knowledge_if_no_reviews: float = 0.0
    """Cards recalled at the start of exam day with no more reviews: the sum of the chances
    of recall (the stats' pass over the cards, :mod:`recall1924.store.load`)."""
    recall_within_budget: float | None = None
    """The same if the student keeps to the daily budget (the budgeted plan's); None without
    a budget."""
    desired_retention: float | None = None
    """The desired retention the plan keeps for it when it is its own or its deck's, not the
    settings' the stats are of; None: those."""

    @property
    def knowledge_on_schedule(self) -> float:
        """Cards recalled at the start of exam day if the schedule is kept (the plan's)."""
        return self.recall_on_schedule * self.cards


@dataclass(frozen=True)
class BudgetScope:
    """Where the exam's budget and the plan's settings are set: what a suggested command
    names."""

    exam_deck: str | None
    """The deck whose exam (and budget) it is; None: every deck's."""
    deck: str | None
    """The deck the stats (and the plan's settings) are of; None: every deck."""


@dataclass(frozen=True)
class BudgetHint:
    """A change the re-run plan shows reaches the target, and the command that makes it."""

    kind: str
    """``more_budget``, ``fewer_new`` or ``lower_section_retention``."""
    unit: str
    """What ``value`` counts: ``minutes``, ``reviews``, ``new_per_day`` or
    ``desired_retention``."""
    value: float
    command: str
    lowest_recall: float
    """The lowest section's recall on exam day in the re-run."""
    section: tuple[str, str] | None = None
    section_title: str | None = None
    section_recall: float | None = None
    """``section``'s own recall on exam day in the re-run (the one lowered)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "value": self.value,
            "command": self.command,
            "lowest_recall": self.lowest_recall,
            "deck": None if self.section is None else self.section[0],
            "section": None if self.section is None else self.section[1],
            "section_recall": self.section_recall,
        }


@dataclass(frozen=True)
class ExamBudget:
    """The plan kept to the student's daily budget."""

    budget: DailyBudget
    time: AnswerTime
    answers_per_day: int
    reached: bool
    """Every section reaches the target on exam day within the budget."""
    busiest_day: int
    introduced: int
    """New cards the plan begins before the exam."""
    waiting: int
    """Cards due before the exam the budget never reaches."""
    hints: list[BudgetHint] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.budget.to_json(self.time),
            "reached": self.reached,
            "busiest_day": self.busiest_day,
            "new_introduced": self.introduced,
            "waiting_on_exam_day": self.waiting,
            "suggestions": [hint.to_json() for hint in self.hints],
        }


@dataclass(frozen=True)
class ExamReport:
    """Exam readiness: per section, and the work per day to stay above the target."""

    day: date
    target: float
    days_left: int
    sections: list[ExamSection]
    reviews_per_day_needed: float
    busiest_day: int
    new_left: int
    new_possible: int
    budget: ExamBudget | None = None
    desired_retention: float = 0.9
    """The settings' desired retention, which every section without one of its own (or of
    its deck's) is planned at."""

    @property
    def too_many_new(self) -> bool:
        return self.new_left > self.new_possible

    @property
    def knowledge_if_no_reviews(self) -> float:
        return sum(section.knowledge_if_no_reviews for section in self.sections)

    @property
    def knowledge_on_schedule(self) -> float:
        return sum(section.knowledge_on_schedule for section in self.sections)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "target": self.target,
            "days_left": self.days_left,
            "knowledge_if_no_reviews": self.knowledge_if_no_reviews,
            "knowledge_on_schedule": self.knowledge_on_schedule,
            "reviews_per_day_needed": self.reviews_per_day_needed,
            "busiest_day": self.busiest_day,
            "new_left": self.new_left,
            "new_possible": self.new_possible,
            "desired_retention": self.desired_retention,
            "budget": None if self.budget is None else self.budget.to_json(),
            "sections": [
                {
                    "id": s.id,
                    "deck": s.deck,
                    "recall_if_no_reviews": s.recall_if_no_reviews,
                    "recall_on_schedule": s.recall_on_schedule,
                    "recall_within_budget": s.recall_within_budget,
                    "desired_retention": s.desired_retention,
                    "reviews_per_day_needed": s.reviews_per_day_needed,
                    "cards": s.cards,
                    "knowledge_if_no_reviews": s.knowledge_if_no_reviews,
                    "knowledge_on_schedule": s.knowledge_on_schedule,
                }
                for s in self.sections
            ],
        }


@dataclass(frozen=True)
class StatsReport:
    """Everything ``recall stats`` shows."""

    totals: Totals
    decks: list[DeckStats]
    horizon: Horizon | None = None
    forecast: list[DayCount] = field(default_factory=list)
    history: History | None = None
    distributions: list[Distribution] = field(default_factory=list)
    exam: ExamReport | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (see docs/json.md)."""
        data: dict[str, Any] = {
            "totals": asdict(self.totals),
            "decks": [asdict(deck) for deck in self.decks],
        }
        if self.horizon is not None:
            data["horizon"] = self.horizon.to_json()
        data["forecast"] = [{"date": d.day.isoformat(), "due": d.count} for d in self.forecast]
        if self.history is not None:
            data["heatmap"] = [
                {"date": d.day.isoformat(), "reviews": d.count, "minutes": d.minutes}
                for d in self.history.days
            ]
            data["streak"] = self.history.streak
        data["distributions"] = {d.name: d.to_json() for d in self.distributions}
        if self.exam is not None:
            data["exam"] = self.exam.to_json()
        return data


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _section(row: SectionRow, load: SectionLoad | None, *, exam: bool) -> SectionStats:
    load = load or _NO_LOAD
    return SectionStats(
        id=row.section_key,
        title=row.section_title,
        cards=row.cards,
        new=row.new,
        learning=row.learning,
        review=row.review,
        due_now=row.due_now,
        mastery=row.retrievability_sum / row.cards if row.cards else 0.0,
        retention=_ratio(row.recalled, row.recall_attempts),
        suspended=row.suspended,
        retention_young=_ratio(row.young_recalled, row.young_attempts),
        retention_mature=_ratio(row.mature_recalled, row.mature_attempts),
        average_stability=row.stability_sum / row.stability_count if row.stability_count else None,
        daily_load=load.daily_load,
        knowledge=load.knowledge,
        # With an exam the horizon is exam day: the sum is the one mastery is the mean of.
        knowledge_on_exam_day=row.retrievability_sum if exam else None,
    )


_NO_LOAD = SectionLoad(0.0, 0.0)
"""The glance's, which sums no load (a section without cards has its zeros from the pass)."""


def _totals(rows: list[SectionRow], reviews_today: int, sections: list[SectionStats]) -> Totals:
    def total(name: str) -> Any:
        return sum(getattr(row, name) for row in rows)

    cards = total("cards")
    stability_count = total("stability_count")
    return Totals(
        cards=cards,
        new=total("new"),
        learning=total("learning"),
        review=total("review"),
        due_now=total("due_now"),
        reviews_today=reviews_today,
        mastery=total("retrievability_sum") / cards if cards else 0.0,
        suspended=total("suspended"),
        retention=_ratio(total("recalled"), total("recall_attempts")),
        retention_young=_ratio(total("young_recalled"), total("young_attempts")),
        retention_mature=_ratio(total("mature_recalled"), total("mature_attempts")),
        average_stability=total("stability_sum") / stability_count if stability_count else None,
        daily_load=math.fsum(section.daily_load for section in sections),
        knowledge=math.fsum(section.knowledge for section in sections),
        knowledge_on_exam_day=None
        if all(section.knowledge_on_exam_day is None for section in sections)
        else math.fsum(section.knowledge_on_exam_day or 0.0 for section in sections),
    )


def _forecast(
    store: Store, *, today: date, day_starts_at: int, deck_id: int | None
) -> list[DayCount]:
    # Overdue cards are due today.
    since = day_start(today, day_starts_at)
    until = day_start(today + timedelta(days=FORECAST_DAYS), day_starts_at)
    due = store.due_by_day(since=since, until=until, day_starts_at=day_starts_at, deck_id=deck_id)
    return [
        DayCount(day, due.get(day, 0))
        for offset in range(FORECAST_DAYS)
        for day in [today + timedelta(days=offset)]
    ]


def _history(store: Store, *, today: date, day_starts_at: int, deck_id: int | None) -> History:
    first = today - timedelta(days=HEATMAP_WEEKS * 7 - 1)
    found = _activity(store, first, today, day_starts_at, deck_id)
    days = [
        DayCount(day, act.reviews, round(act.duration_ms / 60000, 1))
        for offset in range((today - first).days + 1)
        for day in [first + timedelta(days=offset)]
        for act in [found.get(day, DayActivity(day, 0, 0))]
    ]
    streak = _streak(found, today, first)
    latest = today if today in found else today - timedelta(days=1)
    end, stretch = first, len(days)
    while streak and latest - timedelta(days=streak - 1) == end and streak < MAX_STREAK:
        # As long as the heatmap: go on back, twice as many days each time (one indexed look
        # a day, a few hundred days a statement), so that a streak of years takes a handful
        # of statements and looks at no more than twice its days.
        begin = max(end - timedelta(days=stretch), latest - timedelta(days=MAX_STREAK - 1))
        stretch *= 2
        answered = store.answered_days(
            since=day_start(begin, day_starts_at),
            until=day_start(end, day_starts_at),
            day_starts_at=day_starts_at,
            deck_id=deck_id,
        )
        day = end - timedelta(days=1)
        while day >= begin and day in answered:
            streak += 1
            day -= timedelta(days=1)
        end = begin
    return History(days, streak, days[-1])


MAX_STREAK = 36500


def _activity(
    store: Store, first: date, last: date, day_starts_at: int, deck_id: int | None
) -> dict[date, DayActivity]:
    # Up to the end of the last day, not to now: an answer stamped later today is today's
    # (as in the day's count), one stamped on a later day is not in the heatmap at all.
    since = day_start(first, day_starts_at)
    until = day_start(last + timedelta(days=1), day_starts_at)
    found = store.activity(since=since, until=until, day_starts_at=day_starts_at, deck_id=deck_id)
    return {act.day: act for act in found}


def _streak(found: dict[date, DayActivity], today: date, first: date) -> int:
    """Days in a row with answers, ending today (or yesterday, while today is still open)."""
    day = today if today in found else today - timedelta(days=1)
    streak = 0
    while day >= first and day in found:
        streak += 1
        day -= timedelta(days=1)
    return streak


STABILITY_LABELS = [
    "<1d",
    *(f"{low}-{high}d" for low, high in zip(STABILITY_BOUNDS, STABILITY_BOUNDS[1:], strict=False)),
    f"{STABILITY_BOUNDS[-1]}d+",
]
DIFFICULTY_LABELS = [f"{n}-{n + 1}" for n in range(1, 9)] + ["9-10"]
RETRIEVABILITY_LABELS = [f"{10 * n}-{10 * n + 10}%" for n in range(10)]


def _distributions(found: Distributions) -> list[Distribution]:
    def counts(buckets: dict[int, int], size: int) -> list[int]:
        return [buckets.get(index, 0) for index in range(size)]

    return [
        Distribution("stability", STABILITY_LABELS, counts(found.stability, len(STABILITY_LABELS))),
        Distribution(
            "difficulty", DIFFICULTY_LABELS, counts(found.difficulty, len(DIFFICULTY_LABELS))
        ),
        Distribution(
            "retrievability",
            RETRIEVABILITY_LABELS,
            counts(found.retrievability, len(RETRIEVABILITY_LABELS)),
        ),
    ]


def _exam_report(
    store: Store,
    exam: Exam,
    *,
    now: datetime,
    settings: Settings,
    decay: float,
    deck_id: int | None,
    titles: dict[tuple[str, str], str],
    new_today: int,
    knowledge: Mapping[tuple[str, str], float],
    own_retentions: Mapping[tuple[str, str] | str, float],
    budget: _Budgeted | None,
) -> ExamReport:
    cards = [
        PlanInput(card.id, (card.deck_key, card.section_key), card.memory, card.suspended)
        for card in store.plan_cards(deck_id=deck_id)
    ]
    retentions = _section_retentions(cards, own_retentions)
    result = plan(
        cards,
        exam=exam,
        now=now,
        settings=settings,
        decay=decay,
        new_today=new_today,
        retentions=retentions,
    )
    advice = (
        None
        if budget is None
        else advise_budget(
            cards,
            exam=exam,
            now=now,
            settings=settings,
            decay=decay,
            budget=budget.budget,
            time=budget.time,
            retentions=retentions,
            answers_today=budget.spent_today,
            reviews_today=budget.reviews_today,
            new_today=new_today,
        )
    )
    within = {} if advice is None else advice.run.recall
    sections = [
        ExamSection(
            id=key[1],
            deck=key[0],
            title=titles.get(key, key[1]),
            recall_if_no_reviews=section.recall_if_no_reviews,
            recall_on_schedule=section.recall_on_schedule,
            reviews_per_day_needed=section.reviews_per_day_needed,
            cards=section.cards,
            knowledge_if_no_reviews=knowledge.get(key, 0.0),
            recall_within_budget=within.get(key) if advice is not None else None,
            desired_retention=retentions.get(key),
        )
        for key, section in result.sections.items()
    ]
    return ExamReport(
        day=exam.day,
        target=exam.target,
        days_left=result.days_left,
        sections=sections,
        reviews_per_day_needed=result.reviews_per_day_needed,
        busiest_day=result.busiest_day,
        new_left=result.new_left,
        new_possible=result.new_possible,
        desired_retention=settings.desired_retention,
        budget=None
        if advice is None or budget is None
        else _exam_budget(advice, exam, budget.scope, titles),
    )


def _section_retentions(
    cards: list[PlanInput], retentions: Mapping[tuple[str, str] | str, float]
) -> dict[tuple[str, str], float]:
    """Each section's desired retention that is not the settings': its own, else its deck's
    (``retentions`` holds decks by key, sections by deck and section key)."""
    found: dict[tuple[str, str], float] = {}
    for card in cards:
        section = card.section
        if section in found:
            continue
        own = retentions.get(section, retentions.get(section[0]))
        if own is not None:
            found[section] = own
    return found


@dataclass(frozen=True)
class _Budgeted:
    """What the budgeted plan needs beyond the exam's plan."""

    budget: DailyBudget
    time: AnswerTime
    scope: BudgetScope
    answers_today: int
    reviews_today: int
    milliseconds_today: int = 0

    @property
    def spent_today(self) -> int:
        """Today's answers as the budget counts them: what it holds less what is left of it
        (a budget in minutes counts the time the answers took)."""
        left = answers_left_today(
            self.budget, self.time, answers=self.answers_today, milliseconds=self.milliseconds_today
        )
        return self.budget.answers(self.time) - left


def _exam_budget(
    advice: BudgetAdvice, exam: Exam, scope: BudgetScope, titles: Mapping[tuple[str, str], str]
) -> ExamBudget:
    run = advice.run
    return ExamBudget(
        budget=advice.budget,
        time=advice.time,
        answers_per_day=advice.answers_per_day,
        reached=run.reaches(exam.target),
        busiest_day=run.busiest_day,
        introduced=run.introduced,
        waiting=run.waiting,
        hints=[_hint(found, advice.budget, scope, titles) for found in advice.suggestions],
    )


def _hint(
    found: Suggestion,
    budget: DailyBudget,
    scope: BudgetScope,
    titles: Mapping[tuple[str, str], str],
) -> BudgetHint:
    """A suggestion with the command that makes it (the scope's options spelt out)."""
    lowest = min(found.run.recall.values(), default=0.0)
    exam_deck = f" --deck {scope.exam_deck}" if scope.exam_deck else ""
    deck = f" --deck {scope.deck}" if scope.deck else ""
    if found.kind == "more_budget":
        value = f"{found.value:g}"
        command = f"recall exam --{budget.unit} {value}{exam_deck}"
        return BudgetHint(found.kind, budget.unit, found.value, command, lowest)
    if found.kind == "fewer_new":
        command = f"recall config set new_per_day {found.value:g}{deck}"
        return BudgetHint(found.kind, "new_per_day", found.value, command, lowest)
    assert found.section is not None
    command = (
        f"recall config set desired_retention {found.value:.2f} "
        f"--deck {found.section[0]} --section {found.section[1]}"
    )
    others = [value for key, value in found.run.recall.items() if key != found.section]
    return BudgetHint(
        found.kind,
        "desired_retention",
        found.value,
        command,
        min(others, default=lowest),
        section=found.section,
        section_title=titles.get(found.section, found.section[1]),
        section_recall=found.run.recall.get(found.section),
    )


def build_report(
    store: Store,
    *,
    now: datetime,
    decay: float,
    day_start: datetime | None = None,
    day_starts_at: int | None = None,
    scope: Scope | None = None,
    settings: Settings | None = None,
    exam: Exam | None = None,
    sort: SortOrder = "deck",
    full: bool = False,
    deck_decays: Mapping[int, float] | None = None,
    glance: bool = False,
    budget: DailyBudget | None = None,
    answer_time: AnswerTime | None = None,
    budget_scope: BudgetScope | None = None,
    retentions: Mapping[tuple[str, str] | str, float] | None = None,
) -> StatsReport:
    """Compute the stats of every deck (or of the scope's deck) at ``now``.

    Args:
        store: the collection.
        now: the present: "due now" is counted at it; the horizon follows from it.
        decay: the FSRS forgetting curve's decay (see ``scheduling.decay_of``).
        day_start: when today's review day began (for reviews today); by default from
            ``day_starts_at``.
        day_starts_at: the local hour review days start; by default the settings' (4).
        scope: only this deck (a section in the scope is ignored: stats show whole decks).
        settings: the collection's settings (for the exam plan: retention, steps, new cards).
        exam: the exam to predict for; ignored unless it is after today. Its day's start becomes
            the horizon.
        sort: ``"mastery"`` puts each deck's weakest sections first.
        full: also the forecast, the history and the distributions (``recall stats``), not
            only the per-section table (the overview).
        deck_decays: the decay of each deck (by id) whose parameters are its own, for its
            sections' mastery when stats cover every deck.
        glance: only what the glance shows, due now, new and mastery per section: not
            retention (each None), nor the learning, review and suspended counts or the
            stability (0 and None), each a sum the glance would not show.
        budget: the exam's daily budget: the plan is also kept to it (with ``answer_time``,
            how long an answer takes; by default the default time), and what would reach the
            target is worked out when it falls short (``budget_scope`` names the decks the
            suggested commands set).
        retentions: for the plan, the desired retention of each deck (by key) and section
            (by deck and section key) with one of its own, when not the settings'.
    """
    scope = scope or Scope()
    settings = settings or Settings.from_stored({})
    starts = settings.day_starts_at if day_starts_at is None else day_starts_at
    if starts != settings.day_starts_at:
        settings = replace(settings, day_starts_at=starts)
    today_start, tomorrow_start = day_bounds(now, starts)
    today = review_date(now, starts)
    if exam is not None and exam.day <= today:
        exam = None  # past: nothing left to predict
    horizon = (
        Horizon(clock.day_start(exam.day, starts), exam.day, "exam")
        if exam is not None
        else Horizon(tomorrow_start, review_date(tomorrow_start, starts), "next_day")
    )
    deck_id = scope.deck_id
    forecast: list[DayCount] = []
    history: History | None = None
    distributions: list[Distribution] = []
    exam_report: ExamReport | None = None
    rows = _rows(
        store,
        now=now,
        decay=decay,
        deck_id=deck_id,
        horizon_day=horizon.day,
        day_starts_at=starts,
        deck_decays=deck_decays or {},
        counts=not glance,
        answered_before=tomorrow_start,
    )
    loads = (
        {}
        if glance
        else _loads(store, now=now, decay=decay, deck_id=deck_id, deck_decays=deck_decays or {})
    )
    # Today is [start, end): answers stamped on a later day are not today's. A caller's own
    # day_start ends when its day does (the store's default end), not at this day's end.
    counts = store.day_counts(
        day_start or today_start,
        Scope(deck_id=deck_id),
        day_end=tomorrow_start if day_start is None or day_start == today_start else None,
    )
    if full:
        forecast = _forecast(store, today=today, day_starts_at=starts, deck_id=deck_id)
        history = _history(store, today=today, day_starts_at=starts, deck_id=deck_id)
        distributions = _distributions(
            store.distributions(
                decay=decay, horizon_day=horizon.day, day_starts_at=starts, deck_id=deck_id
            )
        )
        if exam is not None:
            exam_report = _exam_report(
                store,
                exam,
                now=now,
                settings=settings,
                decay=decay,
                deck_id=deck_id,
                titles={(row.deck_key, row.section_key): row.section_title for row in rows},
                new_today=counts.new_introduced,
                knowledge={(row.deck_key, row.section_key): row.retrievability_sum for row in rows},
                own_retentions=retentions or {},
                budget=None
                if budget is None
                else _Budgeted(
                    budget,
                    answer_time or AnswerTime.of(0, 0),
                    budget_scope or BudgetScope(None, None),
                    answers_today=counts.answers,
                    reviews_today=counts.reviews,
                    milliseconds_today=counts.milliseconds,
                ),
            )
    decks: dict[str, DeckStats] = {}
    for row in rows:
        deck = decks.setdefault(row.deck_key, DeckStats(row.deck_key, row.deck_title, []))
        load = loads.get((row.deck_key, row.section_key))
        deck.sections.append(_section(row, load, exam=exam is not None))
    if sort == "mastery":
        for deck in decks.values():
            deck.sections.sort(key=lambda section: section.mastery)
        if exam_report is not None:
            exam_report.sections.sort(key=lambda section: section.recall_on_schedule)
    sections = [section for deck in decks.values() for section in deck.sections]
    return StatsReport(
        totals=_totals(rows, counts.answers, sections),
        decks=list(decks.values()),
        horizon=horizon,
        forecast=forecast,
        history=history,
        distributions=distributions,
        exam=exam_report,
    )


def _rows(
    store: Store,
    *,
    now: datetime,
    decay: float,
    deck_id: int | None,
    horizon_day: date,
    day_starts_at: int,
    deck_decays: Mapping[int, float],
    counts: bool,
    answered_before: datetime,
) -> list[SectionRow]:
    """The cards' figures per section (with retention unless only ``counts`` for the glance),
    each deck's mastery on its own forgetting curve."""
    rows = store.section_rows(
        now=now,
        decay=decay,
        deck_id=deck_id,
        horizon_day=horizon_day,
        day_starts_at=day_starts_at,
        answered_before=answered_before,
        retention=counts,
        counts=counts,
    )
    for own_deck, own_decay in deck_decays.items():
        # A deck with parameters of its own: its sections' mastery on its own curve (nothing
        # else depends on the curve).
        if deck_id is None and own_decay != decay:
            own = store.section_rows(
                now=now,
                decay=own_decay,
                deck_id=own_deck,
                horizon_day=horizon_day,
                day_starts_at=day_starts_at,
                retention=False,
                counts=False,
            )
            keys = {row.deck_key for row in own}
            rows = [
                replace(row, retrievability_sum=own.pop(0).retrievability_sum)
                if row.deck_key in keys
                else row
                for row in rows
            ]
    return rows


def _loads(
    store: Store,
    *,
    now: datetime,
    decay: float,
    deck_id: int | None,
    deck_decays: Mapping[int, float],
) -> dict[tuple[str, str], SectionLoad]:
    """Each section's daily load and knowledge now, each deck's knowledge on its own
    forgetting curve, as its mastery is."""
    found = store.section_load(now=now, decay=decay, deck_id=deck_id)
    for own_deck, own_decay in deck_decays.items():
        if deck_id is None and own_decay != decay:
            found.update(store.section_load(now=now, decay=own_decay, deck_id=own_deck))
    return found
