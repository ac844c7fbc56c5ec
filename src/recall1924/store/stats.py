"""The aggregates behind stats, computed in the database.

Holds :class:`SectionRow` (per-section counts, summed retrievability, true retention),
:class:`SectionRecall` (the answers behind true retention), :class:`Distributions`,
:class:`DayActivity`, :class:`PlanCard` and :class:`StatsStore`.

A card's elapsed review days (for retrievability) are counted in SQL as Python counts them
(``scheduling.review_day``): a stored UTC time is turned into local time (``'localtime'``, the
same C library zone Python's ``astimezone`` uses) and moved back by the day-start hour, so its
date is its review day. Answers and due cards per day are counted the other way round: Python
works out when each review day starts (``clock.day_start``) and SQL counts between those times,
through the indexes on ``reviewed_at`` and ``due``, with no date arithmetic per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, text

from recall1924.clock import day_start, review_date
from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, Rating, State
from recall1924.store.base import LEARNING_STATES, StoreBase, sql_time, stored_moment

MATURE_DAYS = 21
"""An interval of at least this many days makes a review card mature, as in Anki."""

# The answers history counts: scheduled reviews and practice, not hand edits of the schedule.
_ANSWER_KINDS = f"({int(ReviewKind.Review)}, {int(ReviewKind.Cram)})"

_REVIEW = int(State.Review)
_AGAIN = int(Rating.Again)

_EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Before any stored time."""

_DAYS_PER_QUERY = 100
"""Review days counted in one statement (one ``UNION ALL`` branch each): under SQLite's limit
of 500 branches, and more than the heatmap's 84 days."""


def _shift(day_starts_at: int) -> str:
    # The modifier that turns local time into its review day's date.
    return f"-{day_starts_at} hours"


def _days_to_horizon(column: str) -> str:
    """SQL for the whole review days from the one holding the stored time ``column`` to the
    review day ``:horizon`` (a date).

    Dialect-specific (SQLite): the Julian day of the local time moved back by the day-start
    hour, rounded down to its day by adding a half (Julian days begin at noon) and truncating.
    The same number as going through ``date()`` and back, without writing and parsing a date
    per card.
    """
    return (
        f"julianday(:horizon) + 0.5 - CAST(julianday({column}, 'localtime', :shift) + 0.5 "
        "AS INTEGER)"
    )


def _at_least_days_after(later: str, earlier: str, days: float) -> str:
    """SQL that is true when the stored time ``later`` is ``days`` days or more after
    ``earlier`` (null when either is).

    Dialect-specific: SQLite stores times as text, so the difference goes through
    ``julianday`` (to the millisecond); PostgreSQL will write ``later - earlier >= interval``.
    """
    return f"julianday({later}) - julianday({earlier}) >= {days}"


# Anki's interval is in whole days, rounded half away from zero (SQLite's ROUND): 20.5 days
# is 21 already. Compared without rounding, so the interval is worked out with one
# subtraction per answer.
_MATURE = _at_least_days_after("due_before", "last_review_before", MATURE_DAYS - 0.5)

_RECALLED_WEIGHT = 2**32
"""Mature answers and, of those, the recalled ones are counted in one sum: 1 for each mature
answer and this much more for each recalled one (no section has this many answers), so the
interval is worked out once per answer rather than once per count."""


def _retrievability(elapsed: str, *, native: bool) -> str:
    """SQL for ``scheduling.retrievability`` of a card's ``stability`` after ``elapsed`` days
    (an SQL expression), on the forgetting curve of ``:decay``.

    ``native``: written out with SQL's ``power``, no call into Python per card: the same IEEE
    operations in the same order, and the same C ``pow`` that Python's ``**`` calls, so the
    very same double. SQLite's (when built with its math functions, as Python's usually is):
    ``CAST`` truncates as ``int()`` does (not ``floor``, which SQLAlchemy replaces with a
    Python function); PostgreSQL will write ``GREATEST(0, trunc(...))``. Else the Python
    function registered as ``fsrs_retrievability``.
    """
    if not native:
        return f"fsrs_retrievability({elapsed}, stability, :decay)"
    factor = "(power(0.9, 1.0 / :decay) - 1)"
    days = f"MAX(0, CAST({elapsed} AS INTEGER))"
    curve = f"power(1 + {factor} * {days} / stability, :decay)"
    return f"CASE WHEN stability > 0 THEN {curve} ELSE 0.0 END"


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
    branch: str,
    params: dict[str, Any],
) -> Iterator[tuple[date, tuple[Any, ...]]]:
    """Run ``branch`` (a SELECT of aggregates between ``:start_N`` and ``:end_N``) once per
    review day, as one ``UNION ALL`` statement per hundred days: each day is one range of an
    index, and no row needs its date worked out or sorting into days."""
    for chunk in _chunks(spans):
        sql = " UNION ALL ".join(
            f"SELECT {n}, {branch.format(start=f':start_{n}', end=f':end_{n}')}"
            for n in range(len(chunk))
        )
        bounds = {}
        for n, (_day, start, end) in enumerate(chunk):
            bounds[f"start_{n}"], bounds[f"end_{n}"] = sql_time(start), sql_time(end)
        for n, *values in connection.execute(text(sql), {**params, **bounds}):
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

        Aggregated in the database in one pass over the cards, so the cost does not grow with
        what Python has to hold.

        Args:
            now: the moment "due now" is counted at (and retrievability, without a horizon).
            decay: the forgetting curve's decay.
            deck_id: only this deck.
            horizon_day: sum retrievability at the start of this review day, counting whole
                review days since each card's last review; ``None``: 24-hour periods to ``now``.
            day_starts_at: the local hour a review day starts.
            answered_before: count only answers given before this (the end of today) in
                retention, so one stamped on a later day by a wrong clock is left out.
            retention: also the recall of review cards (:meth:`section_recall`), the one
                figure that reads every answer; without it the recall fields are 0.
            counts: also the learning, review and suspended counts and the stability sums;
                without them (the glance) those are 0.
        """
        if horizon_day is None:
            elapsed = "julianday(:now) - julianday(last_review)"
        else:
            elapsed = _days_to_horizon("last_review")
        learning = ", ".join(str(state) for state in LEARNING_STATES)
        retrievability = _retrievability(elapsed, native=self._has_power)
        seen = "last_review IS NOT NULL"
        # (name, aggregate, its value for a section without cards), in SectionRow's order.
        aggregates = [
            ("cards", "COUNT(*)", "0"),
            ("new", "SUM(last_review IS NULL)", "0"),
            ("learning", f"SUM({seen} AND state IN ({learning}))", "0"),
            ("review", f"SUM({seen} AND state = {_REVIEW})", "0"),
            (
                "due_now",
                f"SUM({seen} AND due <= :now AND NOT suspended "
                "AND (buried_until IS NULL OR buried_until <= :now))",
                "0",
            ),
            ("r_sum", f"SUM(CASE WHEN {seen} THEN {retrievability} ELSE 0.0 END)", "0.0"),
            # the recall of review cards: from section_recall
            ("recalled", "0", "0"),
            ("recall_attempts", "0", "0"),
            ("suspended", "SUM(suspended)", "0"),
            ("s_sum", f"SUM(CASE WHEN {seen} THEN stability ELSE 0.0 END)", "0.0"),
            ("s_count", f"SUM({seen} AND stability IS NOT NULL)", "0"),
        ]
        # For every deck, no test on each card at all. For one deck, a test no index on deck_id
        # can answer: its cards are still read in ix_card_section_id's order, so the sums add
        # up in the same order and come out the same to the last bit.
        in_deck = "" if deck_id is None else "WHERE :deck_id IS NULL OR deck_id = :deck_id"
        if not counts:
            # Only what the glance shows: each left-out sum costs a few ms over 100,000 cards.
            shown = {"cards", "new", "due_now", "r_sum"}
            aggregates = [
                (name, aggregate if name in shown else empty, empty)
                for name, aggregate, empty in aggregates
            ]
        sql = text(
            f"""
            WITH cards AS (
                SELECT section_id,
                       {", ".join(f"{aggregate} AS {name}" for name, aggregate, _ in aggregates)}
                FROM card {in_deck}
                GROUP BY section_id
            )
            SELECT deck.key, deck.title, section.key, section.title,
                   {", ".join(f"COALESCE(cards.{name}, {empty})" for name, _, empty in aggregates)}
            FROM section
            JOIN deck ON deck.id = section.deck_id
            LEFT JOIN cards ON cards.section_id = section.id
            WHERE :deck_id IS NULL OR deck.id = :deck_id
            ORDER BY deck.id, section.position
            """
        )
        params = {
            "now": sql_time(now),
            "decay": decay,
            "deck_id": deck_id,
            "horizon": horizon_day.isoformat() if horizon_day else None,
            "shift": _shift(day_starts_at),
        }
        with self.engine.connect() as connection:
            found = connection.execute(sql, params).all()
        rows = [SectionRow(*row) for row in found]
        if not retention:
            return rows
        recall = self.section_recall(deck_id=deck_id, answered_before=answered_before)
        return [
            row.with_recall(recall.get((row.deck_key, row.section_key), SectionRecall()))
            for row in rows
        ]

    def section_recall(
        self, *, deck_id: int | None = None, answered_before: datetime | None = None
    ) -> dict[tuple[str, str], SectionRecall]:
        """Per section (deck and section key) with answers: the scheduled answers to cards in
        the Review state, and how many were not Again; all of them and those at a mature
        interval. Only answers given before ``answered_before`` (the end of today) count, so
        one stamped on a later day by a wrong clock is left out.

        One pass over ``ix_review_log_recall_interval``, which covers it, grouped by card in
        the index's order (no sorting); only the per-card sums are joined to their cards.
        """
        with self.engine.connect() as connection:
            # Answers stamped on a later day (a clock that was wrong) are rare, usually none:
            # one seek on the index on reviewed_at says whether there are any. Only then is
            # every answer checked against them (reviewed_at is not in the covering index).
            late = answered_before is not None and (
                connection.execute(
                    text("SELECT 1 FROM review_log WHERE reviewed_at >= :at LIMIT 1"),
                    {"at": sql_time(answered_before)},
                ).first()
                is not None
            )
            not_late = (
                "AND id NOT IN (SELECT id FROM review_log WHERE reviewed_at >= :answered_before)"
                if late
                else ""
            )
            sql = text(
                f"""
                WITH per_card AS (
                    SELECT card_id,
                           COUNT(*) AS attempts,
                           SUM(rating > {_AGAIN}) AS recalled,
                           SUM(CASE WHEN {_MATURE} THEN CASE WHEN rating > {_AGAIN}
                               THEN {1 + _RECALLED_WEIGHT} ELSE 1 END END) AS mature
                    FROM review_log
                    WHERE state_before = {_REVIEW} AND kind = :kind {not_late}
                    GROUP BY card_id
                ), per_section AS (
                    SELECT card.section_id, SUM(per_card.attempts) AS attempts,
                           SUM(per_card.recalled) AS recalled, SUM(per_card.mature) AS mature
                    FROM per_card JOIN card ON card.id = per_card.card_id
                    WHERE TRUE {_deck_where(deck_id)}
                    GROUP BY card.section_id
                )
                SELECT deck.key, section.key, per_section.attempts, per_section.recalled,
                       per_section.mature
                FROM per_section
                JOIN section ON section.id = per_section.section_id
                JOIN deck ON deck.id = section.deck_id
                """
            )
            params = {
                "kind": int(ReviewKind.Review),
                "deck_id": deck_id,
                "answered_before": None if answered_before is None else sql_time(answered_before),
            }
            found = {}
            for deck_key, section_key, attempts, recalled, mature in connection.execute(
                sql, params
            ):
                # Null without mature answers (one with no last review before it never is).
                mature_recalled, mature_attempts = divmod(mature or 0, _RECALLED_WEIGHT)
                found[deck_key, section_key] = SectionRecall(
                    attempts, recalled, mature_attempts, mature_recalled
                )
        return found

    def due_by_day(
        self, *, since: datetime, until: datetime, day_starts_at: int, deck_id: int | None = None
    ) -> dict[date, int]:
        """Cards already seen, not suspended, falling due from ``since`` to before ``until``,
        per review day of their due time; the cards overdue before ``since`` count on its day.
        Every review day in between is there, 0 when nothing falls due."""
        branch = (
            "COUNT(*) FROM card WHERE due >= {start} AND due < {end} "
            f"AND last_review IS NOT NULL AND NOT suspended {_deck_where(deck_id, 'deck_id')}"
        )
        spans = list(_day_spans(since, until, day_starts_at))
        if spans:
            first_day, _start, first_end = spans[0]
            spans[0] = first_day, _EARLIEST, first_end
        with self.engine.connect() as connection:
            return {
                day: count
                for day, (count,) in _per_day(connection, spans, branch, {"deck_id": deck_id})
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
        branch = (
            f"COUNT(*), COALESCE(SUM(duration_ms), 0) FROM review_log {_deck_join(deck_id)} "
            f"WHERE reviewed_at >= {{start}} AND reviewed_at < {{end}} "
            f"AND kind IN {_ANSWER_KINDS} {_deck_where(deck_id)}"
        )
        with self.engine.connect() as connection:
            return [
                DayActivity(day, reviews, int(duration))
                for day, (reviews, duration) in _per_day(
                    connection,
                    _day_spans(since, until, day_starts_at),
                    branch,
                    {"deck_id": deck_id},
                )
                if reviews
            ]

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
        branch = (
            f"EXISTS (SELECT 1 FROM review_log {_deck_join(deck_id)} "
            f"WHERE reviewed_at >= {{start}} AND reviewed_at < {{end}} "
            f"AND kind IN {_ANSWER_KINDS} {_deck_where(deck_id)})"
        )
        with self.engine.connect() as connection:
            return {
                day
                for day, (answered,) in _per_day(
                    connection,
                    _day_spans(since, until, day_starts_at),
                    branch,
                    {"deck_id": deck_id},
                )
                if answered
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
        elapsed = _days_to_horizon("last_review")
        retrievability = _retrievability(elapsed, native=self._has_power)
        # One pass, grouped by all three buckets at once (a few hundred groups).
        sql = text(
            f"""
            SELECT CASE {stability_case} ELSE {len(STABILITY_BOUNDS)} END,
                   MIN(8, MAX(0, CAST(difficulty AS INTEGER) - 1)),
                   MIN(9, CAST({retrievability} * 10 AS INTEGER)),
                   COUNT(*)
            FROM card
            WHERE last_review IS NOT NULL AND stability IS NOT NULL
              {_deck_where(deck_id, "deck_id")}
            GROUP BY 1, 2, 3
            """
        )
        params: dict[str, Any] = {
            "decay": decay,
            "horizon": horizon_day.isoformat(),
            "shift": _shift(day_starts_at),
            "deck_id": deck_id,
        }
        found = Distributions({}, {}, {})
        with self.engine.connect() as connection:
            for stability, difficulty, recall, count in connection.execute(sql, params):
                for buckets, bucket in (
                    (found.stability, stability),
                    (found.difficulty, difficulty),
                    (found.retrievability, recall),
                ):
                    buckets[int(bucket)] = buckets.get(int(bucket), 0) + count
        return found

    @cached_property
    def _has_power(self) -> bool:
        """Whether SQL has ``power`` (SQLite only with its math functions)."""
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT power(2.0, 0.5)"))
        except OperationalError:
            return False
        return True

    def plan_cards(self, *, deck_id: int | None = None) -> list[PlanCard]:
        """Every card with its memory state, in deck order (the order new cards come in)."""
        sql = text(
            """
            SELECT card.id, deck.key, section.key, card.suspended, card.state, card.step,
                   card.stability, card.difficulty, card.due, card.last_review
            FROM card
            JOIN deck ON deck.id = card.deck_id
            JOIN section ON section.id = card.section_id
            WHERE :deck_id IS NULL OR card.deck_id = :deck_id
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
                memory=MemoryState(
                    State(state),
                    step,
                    stability,
                    difficulty,
                    stored_moment(due),
                    None if last_review is None else stored_moment(last_review),
                ),
            )
            for (
                card_id,
                deck_key,
                section_key,
                suspended,
                state,
                step,
                stability,
                difficulty,
                due,
                last_review,
            ) in rows
        ]


def _deck_join(deck_id: int | None) -> str:
    return "JOIN card ON card.id = review_log.card_id" if deck_id is not None else ""


def _deck_where(deck_id: int | None, column: str = "card.deck_id") -> str:
    # Written only when there is a deck: "(:deck_id IS NULL OR ...)" costs a test on every row.
    return f"AND {column} = :deck_id" if deck_id is not None else ""
