"""The aggregates behind stats, computed in the database.

Holds :class:`SectionRow` (per-section counts, summed retrievability, true retention),
:class:`SectionRecall` (the answers behind true retention), :class:`Distributions`,
:class:`DayActivity`, :class:`PlanCard` and :class:`StatsStore`.

A card's elapsed review days (for retrievability) are counted in SQL as Python counts them
(``scheduling.review_day``; :func:`~recall1924.store.dialect.review_days_to`). Answers and due
cards per day are counted the other way round: Python works out when each review day starts
(``clock.day_start``) and SQL counts between those times, through the indexes on
``reviewed_at`` and ``due``, with no date arithmetic per row. True retention reads no answer:
each card counts its own (:data:`~recall1924.store.dialect.ANSWER_COUNTERS`, kept by the
database), and only answers stamped on a later day are looked up, to be left out.

Portable: what SQLite writes differently from PostgreSQL comes from
:mod:`~recall1924.store.dialect`, by the engine's name (``StoreBase.dialect``), and the review
days' zone and the bound times from :mod:`~recall1924.store.zone`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, text

from recall1924.clock import day_start, review_date
from recall1924.db import to_millis
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, State
from recall1924.store import dialect
from recall1924.store.base import (
    LEARNING_STATES,
    StoreBase,
    memory_from_raw,
    sql_time,
)
from recall1924.store.dialect import (
    MATURE_DAYS,
    Name,
    count_if,
    days_between,
    greatest,
    in_units,
    least,
    truncate,
)
from recall1924.store.zone import review_days, time_param

__all__ = [
    "MATURE_DAYS",
    "STABILITY_BOUNDS",
    "DayActivity",
    "Distributions",
    "PlanCard",
    "SectionRecall",
    "SectionRow",
    "StatsStore",
]

# The answers history counts: scheduled reviews and practice, not hand edits of the schedule.
_ANSWER_KINDS = f"({int(ReviewKind.Review)}, {int(ReviewKind.Cram)})"

_REVIEW = int(State.Review)

_EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Before any stored time."""

_DAYS_PER_QUERY = 1000
"""Review days counted in one statement, at most: more than the heatmap and a few years of
streak, few enough that a statement never holds a long one's memory."""


@dataclass(frozen=True)
class SectionRow:
    """The raw per-section aggregates stats are computed from."""

    deck_key: str
    deck_title: str
    section_key: str
    section_title: str
    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    retrievability_sum: float
    recalled: int
    recall_attempts: int
    suspended: int = 0
    stability_sum: float = 0.0
    stability_count: int = 0
    young_recalled: int = 0
    young_attempts: int = 0
    mature_recalled: int = 0
    mature_attempts: int = 0

    def with_recall(self, recall: SectionRecall) -> SectionRow:
        """This row with the section's recall of review cards."""
        return replace(
            self,
            recalled=recall.recalled,
            recall_attempts=recall.attempts,
            young_recalled=recall.recalled - recall.mature_recalled,
            young_attempts=recall.attempts - recall.mature_attempts,
            mature_recalled=recall.mature_recalled,
            mature_attempts=recall.mature_attempts,
        )


@dataclass(frozen=True)
class SectionRecall:
    """One section's scheduled answers to cards in the Review state, and how many were not
    Again: all of them, and those at a mature interval."""

    attempts: int = 0
    recalled: int = 0
    mature_attempts: int = 0
    mature_recalled: int = 0


@dataclass(frozen=True)
class Distributions:
    """How many reviewed cards fall in each bucket (bucket index -> count)."""

    stability: dict[int, int]
    difficulty: dict[int, int]
    retrievability: dict[int, int]


@dataclass(frozen=True)
class DayActivity:
    """Answers given on one review day, and the time they took."""

    day: date
    reviews: int
    duration_ms: int


@dataclass(frozen=True)
class PlanCard:
    """A card as the exam plan simulates it."""

    id: int
    deck_key: str
    section_key: str
    suspended: bool
    memory: MemoryState


_R_BITS = 40
"""Retrievability (0 to 1) is summed in units of 2**-40
(:func:`~recall1924.store.dialect.in_units`): at most 5e-13 per card off its double, and room
for 8 million cards in a section."""

_S_BITS = 20
_S_MOST = 2**17
"""Stability is summed in units of 2**-20 days, each card's counted up to 2**17 days (359 years;
FSRS bounds it only below): room for 60 million cards in a section."""

STABILITY_BOUNDS = (1, 3, 7, 21, 90, 365)
"""Upper bounds (days) of the stability buckets; the last bucket is everything longer."""


def _day_spans(
    since: datetime, until: datetime, day_starts_at: int
) -> Iterator[tuple[date, datetime, datetime]]:
    """The review days from ``since`` to before ``until``, each with the part of
    [``since``, ``until``) it covers."""
    start, day = since, review_date(since, day_starts_at)
    while start < until:
        end = min(until, day_start(day + timedelta(days=1), day_starts_at))
        if end > start:
            yield day, start, end
            start = end
        day += timedelta(days=1)


def _chunks(
    spans: Iterable[tuple[date, datetime, datetime]],
) -> Iterator[list[tuple[date, datetime, datetime]]]:
    chunk: list[tuple[date, datetime, datetime]] = []
    for span in spans:
        chunk.append(span)
        if len(chunk) == _DAYS_PER_QUERY:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _per_day(
    connection: Connection,
    spans: Iterable[tuple[date, datetime, datetime]],
    figures: Sequence[str],
    params: dict[str, Any],
    name: Name,
    *,
    answers: bool = False,
) -> Iterator[tuple[date, tuple[Any, ...]]]:
    """Each of ``figures`` (scalar subqueries on the rows from ``{start}`` to before
    ``{end}``) for each review day in ``spans``, in one statement per few hundred days: the
    days' bounds come as one parameter (:func:`~recall1924.store.dialect.json_rows`), and each
    figure of a day is one range of an index, so no row needs its date worked out or sorting
    into days, and the statement is the same however many days it covers. ``answers``: the
    figures range over the answers' times (integer milliseconds), not the cards'."""
    bound: Callable[[datetime], Any] = to_millis if answers else sql_time
    days = dialect.json_rows(
        ":days",
        ("n", "day_start", "day_end"),
        types=("integer", *(("bigint",) * 2 if answers else ("timestamp",) * 2)),
        name=name,
    )
    columns = ", ".join(
        figure.format(start="day.day_start", end="day.day_end") for figure in figures
    )
    sql = text(f"SELECT day.n, {columns} FROM {days} AS day ORDER BY day.n")
    for chunk in _chunks(spans):
        bounds = [[n, bound(start), bound(end)] for n, (_day, start, end) in enumerate(chunk)]
        for n, *values in connection.execute(sql, {**params, "days": json.dumps(bounds)}):
            yield chunk[n][0], tuple(values)


class StatsStore(StoreBase):
    def section_rows(
        self,
        *,
        now: datetime,
        decay: float,
        deck_id: int | None = None,
        horizon_day: date | None = None,
        day_starts_at: int = 4,
        answered_before: datetime | None = None,
        retention: bool = True,
        counts: bool = True,
    ) -> list[SectionRow]:
        """Per-section counts, summed retrievability and review-card recall, in deck order.

        Aggregated in the database in one pass over ``ix_card_memory``, which holds every
        column it reads (the cards' own answer counters included, so no answer is read), so
        the cost does not grow with the history or with what Python has to hold.

        Args:
            now: the moment "due now" is counted at (and retrievability, without a horizon).
            decay: the forgetting curve's decay.
            deck_id: only this deck.
            horizon_day: sum retrievability at the start of this review day, counting whole
                review days since each card's last review; ``None``: 24-hour periods to ``now``.
            day_starts_at: the local hour a review day starts.
            answered_before: count only answers given before this (the end of today) in
                retention, so one stamped on a later day by a wrong clock is left out.
            retention: also the recall of review cards; without it the recall fields are 0.
            counts: also the learning, review and suspended counts and the stability sums;
                without them (the glance) those are 0.
        """
        which = self.dialect
        zone: dict[str, Any] = {}
        if horizon_day is None:
            elapsed = days_between(":now", "last_review", name=which)
        else:
            elapsed, zone = review_days("last_review", horizon_day, day_starts_at, name=which)
        retrievability = dialect.retrievability(
            elapsed, native=self.has_power, whole=horizon_day is not None, name=which
        )
        rows_where = partial(count_if, name=which)
        units = partial(in_units, name=which)
        stability = least("stability", str(_S_MOST), name=which)

        seen = "last_review IS NOT NULL"
        learning = ", ".join(str(state) for state in LEARNING_STATES)
        # (name, aggregate, its value for a section without cards), in SectionRow's order.
        aggregates = [
            ("cards", "COUNT(*)", "0"),
            ("new", rows_where("last_review IS NULL"), "0"),
            ("learning", rows_where(f"{seen} AND state IN ({learning})"), "0"),
            ("review", rows_where(f"{seen} AND state = {_REVIEW}"), "0"),
            (
                "due_now",
                rows_where(
                    f"{seen} AND due <= :now AND NOT suspended "
                    "AND (buried_until IS NULL OR buried_until <= :now)"
                ),
                "0",
            ),
            ("r_sum", f"SUM(CASE WHEN {seen} THEN {units(retrievability, _R_BITS)} END)", "0"),
            ("suspended", rows_where("suspended"), "0"),
            ("s_sum", f"SUM(CASE WHEN {seen} THEN {units(stability, _S_BITS)} END)", "0"),
            ("s_count", rows_where(f"{seen} AND stability IS NOT NULL"), "0"),
            *((name, f"SUM({name})", "0") for name in dialect.ANSWER_COUNTERS),
        ]
        shown = {"cards", "new", "due_now", "r_sum"}  # what the glance shows
        shown |= {"learning", "review", "suspended", "s_sum", "s_count"} if counts else set()
        shown |= set(dialect.ANSWER_COUNTERS) if retention else set()
        # Each left-out sum costs a few ms over 100,000 cards.
        aggregates = [
            (name, aggregate if name in shown else empty, empty)
            for name, aggregate, empty in aggregates
        ]
        # Grouped by deck and section, the order of ix_card_memory: no sorting, and one deck is
        # one range of it. The sums of doubles are sums of integers (dialect.in_units), the
        # same to the last bit whatever order a database adds a section's cards in.
        sql = text(
            f"""
            WITH cards AS (
                SELECT section_id,
                       {", ".join(f"{aggregate} AS {name}" for name, aggregate, _ in aggregates)}
                FROM card {"" if deck_id is None else "WHERE deck_id = :deck_id"}
                GROUP BY deck_id, section_id
            )
            SELECT section.id, deck.key, deck.title, section.key, section.title,
                   {", ".join(f"COALESCE(cards.{name}, {empty})" for name, _, empty in aggregates)}
            FROM section
            JOIN deck ON deck.id = section.deck_id
            LEFT JOIN cards ON cards.section_id = section.id
            {"" if deck_id is None else "WHERE deck.id = :deck_id"}
            ORDER BY deck.id, section.position
            """
        )
        params = {"now": time_param(now, name=which), "decay": decay, "deck_id": deck_id, **zone}
        with self.engine.connect() as connection:
            found = connection.execute(sql, params).all()
            late = (
                _late_answers(connection, answered_before, deck_id, which)
                if retention and answered_before is not None
                else {}
            )
        names = [name for name, _, _ in aggregates]
        rows = []
        for section_id, deck_key, deck_title, section_key, section_title, *values in found:
            sums = dict(zip(names, values, strict=True))
            counters = [sums[name] for name in dialect.ANSWER_COUNTERS]
            gone = late.get(section_id)
            if gone is not None:
                counters = [
                    total - left_out for total, left_out in zip(counters, gone, strict=True)
                ]
            answers, lapses, mature_answers, mature_lapses = counters
            rows.append(
                SectionRow(
                    deck_key,
                    deck_title,
                    section_key,
                    section_title,
                    cards=sums["cards"],
                    new=sums["new"],
                    learning=sums["learning"],
                    review=sums["review"],
                    due_now=sums["due_now"],
                    retrievability_sum=int(sums["r_sum"]) / 2**_R_BITS,
                    recalled=0,
                    recall_attempts=0,
                    suspended=sums["suspended"],
                    stability_sum=int(sums["s_sum"]) / 2**_S_BITS,
                    stability_count=sums["s_count"],
                ).with_recall(
                    SectionRecall(
                        attempts=answers,
                        recalled=answers - lapses,
                        mature_attempts=mature_answers,
                        mature_recalled=mature_answers - mature_lapses,
                    )
                )
            )
        return rows

    def due_by_day(
        self, *, since: datetime, until: datetime, day_starts_at: int, deck_id: int | None = None
    ) -> dict[date, int]:
        """Cards already seen, not suspended, falling due from ``since`` to before ``until``,
        per review day of their due time; the cards overdue before ``since`` count on its day.
        Every review day in between is there, 0 when nothing falls due."""
        due = (
            "(SELECT COUNT(*) FROM card WHERE due >= {start} AND due < {end} "
            f"AND last_review IS NOT NULL AND NOT suspended {_deck_where(deck_id, 'deck_id')})"
        )
        spans = list(_day_spans(since, until, day_starts_at))
        if spans:
            first_day, _start, first_end = spans[0]
            spans[0] = first_day, _EARLIEST, first_end
        with self.engine.connect() as connection:
            return {
                day: count
                for day, (count,) in _per_day(
                    connection, spans, [due], {"deck_id": deck_id}, self.dialect
                )
            }

    def activity(
        self,
        *,
        since: datetime,
        until: datetime,
        day_starts_at: int,
        deck_id: int | None = None,
    ) -> list[DayActivity]:
        """Answers (reviews and practice) per review day from ``since`` to before ``until``,
        oldest first; days without answers are left out. Read through the index on
        ``reviewed_at``.

        ``until`` is the end of the last day wanted (today's end for the heatmap): answers
        stamped on a later day, by a clock that was wrong, are that day's, not today's.
        """
        answers = (
            f"FROM review_log {_deck_join(deck_id)} "
            f"WHERE reviewed_at >= {{start}} AND reviewed_at < {{end}} "
            f"AND kind IN {_ANSWER_KINDS} {_deck_where(deck_id)}"
        )
        # Both figures from one pass over the day's answers, as one text: the day's answers
        # are read once (a million answers: 0.03 s for twelve weeks) rather than once each.
        both = f"(SELECT COUNT(*) || ' ' || COALESCE(SUM(duration_ms), 0) {answers})"
        with self.engine.connect() as connection:
            return [
                DayActivity(day, reviews, duration)
                for day, (found,) in _per_day(
                    connection,
                    _day_spans(since, until, day_starts_at),
                    [both],
                    {"deck_id": deck_id},
                    self.dialect,
                    answers=True,
                )
                for reviews, duration in [map(int, found.split())]
                if reviews
            ]

    def timed_answers(
        self, *, since: datetime, until: datetime, deck_id: int | None = None
    ) -> tuple[int, int]:
        """The answers (reviews and practice) from ``since`` to before ``until`` that have a
        duration, and their milliseconds in all: the student's answer time
        (:func:`recall1924.budget.answer_time`). Answers with none (older imports) are left
        out of both, so they do not pull the mean down. One range of the index on
        ``reviewed_at``, which holds the duration too."""
        sql = text(
            f"SELECT COUNT(duration_ms), COALESCE(SUM(duration_ms), 0) "
            f"FROM review_log {_deck_join(deck_id)} "
            f"WHERE reviewed_at >= :since AND reviewed_at < :until "
            f"AND kind IN {_ANSWER_KINDS} AND duration_ms > 0 {_deck_where(deck_id)}"
        )
        params = {
            "since": to_millis(since),
            "until": to_millis(until),
            "deck_id": deck_id,
        }
        with self.engine.connect() as connection:
            answers, milliseconds = connection.execute(sql, params).one()
        return int(answers), int(milliseconds)

    def answered_days(
        self,
        *,
        since: datetime,
        until: datetime,
        day_starts_at: int,
        deck_id: int | None = None,
    ) -> set[date]:
        """The review days from ``since`` to before ``until`` with at least one answer
        (review or practice): one seek on the index on ``reviewed_at`` a day, however long
        the history."""
        answered = (
            f"EXISTS (SELECT 1 FROM review_log {_deck_join(deck_id)} "
            f"WHERE reviewed_at >= {{start}} AND reviewed_at < {{end}} "
            f"AND kind IN {_ANSWER_KINDS} {_deck_where(deck_id)})"
        )
        with self.engine.connect() as connection:
            return {
                day
                for day, (found,) in _per_day(
                    connection,
                    _day_spans(since, until, day_starts_at),
                    [answered],
                    {"deck_id": deck_id},
                    self.dialect,
                    answers=True,
                )
                if found
            }

    def distributions(
        self,
        *,
        decay: float,
        horizon_day: date,
        day_starts_at: int,
        deck_id: int | None = None,
    ) -> Distributions:
        """Stability, difficulty and retrievability (at the horizon) of the cards answered at
        least once, bucketed in SQL: stability by :data:`STABILITY_BOUNDS`, difficulty by whole
        points 1-10 (bucket 0 is 1 to under 2), retrievability by tenths (bucket 9 is 90-100%)."""
        stability_case = " ".join(
            f"WHEN stability < {bound} THEN {index}" for index, bound in enumerate(STABILITY_BOUNDS)
        )
        which = self.dialect
        elapsed, zone = review_days("last_review", horizon_day, day_starts_at, name=which)
        retrievability = dialect.retrievability(
            elapsed, native=self.has_power, whole=True, name=which
        )
        stability = f"CASE {stability_case} ELSE {len(STABILITY_BOUNDS)} END"
        difficulty = least(
            "8", greatest("0", truncate("difficulty", name=which) + " - 1", name=which), name=which
        )
        recall = least("9", truncate(f"{retrievability} * 10", name=which), name=which)
        # One pass, grouped by all three buckets at once (a few hundred groups), each card's
        # three buckets as the digits of one number: a sort by one number costs half what a
        # sort by three does, and the grouping is the longest part.
        sql = text(
            f"""
            SELECT ({stability}) * 100 + ({difficulty}) * 10 + ({recall}) AS buckets, COUNT(*)
            FROM card
            WHERE last_review IS NOT NULL AND stability IS NOT NULL
              {_deck_where(deck_id, "deck_id")}
            GROUP BY buckets
            """
        )
        params: dict[str, Any] = {"decay": decay, "deck_id": deck_id, **zone}
        found = Distributions({}, {}, {})
        with self.engine.connect() as connection:
            for buckets, count in connection.execute(sql, params):
                for kind, bucket in zip(
                    (found.stability, found.difficulty, found.retrievability),
                    divmod(buckets // 10, 10) + (buckets % 10,),
                    strict=True,
                ):
                    kind[bucket] = kind.get(bucket, 0) + count
        return found

    def plan_cards(self, *, deck_id: int | None = None) -> list[PlanCard]:
        """Every card with its memory state, in deck order (the order new cards come in)."""
        sql = text(
            f"""
            SELECT card.id, deck.key, section.key, card.suspended, card.state, card.step,
                   card.stability, card.difficulty, card.due, card.last_review
            FROM card
            JOIN deck ON deck.id = card.deck_id
            JOIN section ON section.id = card.section_id
            WHERE true {_deck_where(deck_id)}
            ORDER BY card.deck_id, section.position, card.position, card.id
            """
        )
        with self.engine.connect() as connection:
            rows = connection.execute(sql, {"deck_id": deck_id}).all()
        return [
            PlanCard(
                id=card_id,
                deck_key=deck_key,
                section_key=section_key,
                suspended=bool(suspended),
                memory=memory_from_raw(memory),
            )
            # the memory columns come last (MEMORY_FIELDS)
            for card_id, deck_key, section_key, suspended, *memory in rows
        ]


def _late_answers(
    connection: Connection, since: datetime, deck_id: int | None, name: Name
) -> dict[int, tuple[int, ...]]:
    """Per section id, the part in each card's answer counters of the answers stamped at or
    after ``since`` (a later review day, by a clock that was wrong): one seek on the index on
    ``reviewed_at``, and usually nothing found."""
    # Found by reviewed_at alone: the few answers there are, not the many that are counted or
    # in the deck.
    parts = ", ".join(f"SUM({part})" for part in dialect.answer_counts("review_log.", name=name))
    sql = text(
        f"""
        SELECT card.section_id, {parts}
        FROM review_log JOIN card ON card.id = review_log.card_id
        WHERE review_log.reviewed_at >= :since
              AND {dialect.counted("review_log.", by_index=False, name=name)}
              {_deck_where(deck_id, dialect.unindexed("card.deck_id", name=name))}
        GROUP BY card.section_id
        """
    )
    found = connection.execute(sql, {"since": to_millis(since), "deck_id": deck_id})
    return {section_id: tuple(sums) for section_id, *sums in found}


def _deck_join(deck_id: int | None) -> str:
    return "JOIN card ON card.id = review_log.card_id" if deck_id is not None else ""


def _deck_where(deck_id: int | None, column: str = "card.deck_id") -> str:
    # Written only when there is a deck: "(:deck_id IS NULL OR ...)" costs a test on every row.
    return f"AND {column} = :deck_id" if deck_id is not None else ""
