"""The aggregates behind stats, computed in SQLite.

Holds :class:`SectionRow` (per-section counts, summed retrievability, true retention),
:class:`Distributions`, :class:`DayActivity`, :class:`PlanCard` and :class:`StatsStore`.

Review days are counted in SQL as Python counts them (``scheduling.review_day``): a stored UTC
time is turned into local time (``'localtime'``, the same C library zone Python's
``astimezone`` uses) and moved back by the day-start hour, so its date is its review day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from recall1924.models import ReviewKind
from recall1924.scheduling import MemoryState, State
from recall1924.store.base import StoreBase, sql_time

MATURE_DAYS = 21
"""An interval of at least this many days makes a review card mature, as in Anki."""

# The answers history counts: scheduled reviews and practice, not hand edits of the schedule.
_ANSWER_KINDS = f"({int(ReviewKind.Review)}, {int(ReviewKind.Cram)})"


def _shift(day_starts_at: int) -> str:
    # The modifier that turns local time into its review day's date.
    return f"-{day_starts_at} hours"


def _review_date(column: str) -> str:
    return f"date({column}, 'localtime', :shift)"


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
    ) -> list[SectionRow]:
        """Per-section counts, summed retrievability and review-card recall, in deck order.

        Aggregated in SQLite (retrievability through the registered ``fsrs_retrievability``),
        so the cost does not grow with what Python has to hold.

        Args:
            now: the moment "due now" is counted at (and retrievability, without a horizon).
            decay: the forgetting curve's decay.
            deck_id: only this deck.
            horizon_day: sum retrievability at the start of this review day, counting whole
                review days since each card's last review; ``None``: 24-hour periods to ``now``.
            day_starts_at: the local hour a review day starts.
            answered_before: count only answers given before this (the end of today) in
                retention, so one stamped on a later day by a wrong clock is left out.
        """
        # Not "reviewed_at < :answered_before": reviewed_at is not in the covering index, and
        # reading every log row makes a million answers four times slower. The ids stamped
        # later are few (usually none) and found through the index on reviewed_at.
        answered = (
            ""
            if answered_before is None
            else "AND id NOT IN (SELECT id FROM review_log WHERE reviewed_at >= :answered_before)"
        )
        if horizon_day is None:
            elapsed = "julianday(:now) - julianday(last_review)"
        else:
            elapsed = f"julianday(:horizon) - julianday({_review_date('last_review')})"
        sql = text(
            f"""
            WITH cards AS (
                SELECT section_id,
                       COUNT(*) AS cards,
                       SUM(last_review IS NULL) AS new,
                       SUM(last_review IS NOT NULL AND state IN (1, 3)) AS learning,
                       SUM(last_review IS NOT NULL AND state = 2) AS review,
                       SUM(last_review IS NOT NULL AND due <= :now AND NOT suspended
                           AND (buried_until IS NULL OR buried_until <= :now)) AS due_now,
                       SUM(CASE WHEN last_review IS NULL THEN 0.0 ELSE fsrs_retrievability(
                           {elapsed}, stability, :decay) END) AS r_sum,
                       SUM(suspended) AS suspended,
                       SUM(CASE WHEN last_review IS NULL THEN 0.0 ELSE stability END) AS s_sum,
                       SUM(last_review IS NOT NULL AND stability IS NOT NULL) AS s_count
                FROM card GROUP BY section_id
            ), per_card AS (
                -- grouped by card first; young and mature by the interval the card had
                SELECT card_id,
                       SUM(rating > 1 AND mature) AS mature_recalled,
                       SUM(mature) AS mature_attempts,
                       SUM(rating > 1) AS recalled,
                       COUNT(*) AS attempts
                FROM (
                    SELECT card_id, rating,
                           ROUND(julianday(due_before) - julianday(last_review_before))
                               >= {MATURE_DAYS} AS mature
                    FROM review_log  -- covered by ix_review_log_recall_interval
                    WHERE state_before = 2 AND kind = :kind {answered}
                )
                GROUP BY card_id
            ), recall AS (
                SELECT card.section_id,
                       SUM(per_card.recalled) AS recalled,
                       SUM(per_card.attempts) AS attempts,
                       SUM(per_card.mature_recalled) AS mature_recalled,
                       SUM(per_card.mature_attempts) AS mature_attempts
                FROM per_card JOIN card ON card.id = per_card.card_id
                GROUP BY card.section_id
            )
            SELECT deck.key, deck.title, section.key, section.title,
                   COALESCE(cards.cards, 0), COALESCE(cards.new, 0),
                   COALESCE(cards.learning, 0), COALESCE(cards.review, 0),
                   COALESCE(cards.due_now, 0), COALESCE(cards.r_sum, 0.0),
                   COALESCE(recall.recalled, 0), COALESCE(recall.attempts, 0),
                   COALESCE(cards.suspended, 0), COALESCE(cards.s_sum, 0.0),
                   COALESCE(cards.s_count, 0),
                   COALESCE(recall.recalled - recall.mature_recalled, 0),
                   COALESCE(recall.attempts - recall.mature_attempts, 0),
                   COALESCE(recall.mature_recalled, 0), COALESCE(recall.mature_attempts, 0)
            FROM section
            JOIN deck ON deck.id = section.deck_id
            LEFT JOIN cards ON cards.section_id = section.id
            LEFT JOIN recall ON recall.section_id = section.id
            WHERE :deck_id IS NULL OR deck.id = :deck_id
            ORDER BY deck.id, section.position
            """
        )
        params = {
            "now": sql_time(now),
            "decay": decay,
            "kind": int(ReviewKind.Review),
            "deck_id": deck_id,
            "horizon": horizon_day.isoformat() if horizon_day else None,
            "shift": _shift(day_starts_at),
            "answered_before": None if answered_before is None else sql_time(answered_before),
        }
        with self.engine.connect() as connection:
            return [SectionRow(*row) for row in connection.execute(sql, params)]

    def due_by_day(
        self, *, until: datetime, day_starts_at: int, deck_id: int | None = None
    ) -> dict[date, int]:
        """Cards already seen, not suspended, falling due before ``until``, per review day of
        their due time (overdue cards on the day they fell due)."""
        sql = text(
            f"""
            SELECT {_review_date("due")} AS day, COUNT(*)
            FROM card
            WHERE due < :until AND last_review IS NOT NULL AND NOT suspended
              AND (:deck_id IS NULL OR deck_id = :deck_id)
            GROUP BY day
            """
        )
        params = {"until": sql_time(until), "shift": _shift(day_starts_at), "deck_id": deck_id}
        with self.engine.connect() as connection:
            return {
                date.fromisoformat(day): count for day, count in connection.execute(sql, params)
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
        join = "JOIN card ON card.id = review_log.card_id" if deck_id is not None else ""
        where = "AND card.deck_id = :deck_id" if deck_id is not None else ""
        sql = text(
            f"""
            SELECT {_review_date("reviewed_at")} AS day, COUNT(*),
                   COALESCE(SUM(duration_ms), 0)
            FROM review_log {join}
            WHERE reviewed_at >= :since AND reviewed_at < :until
              AND kind IN {_ANSWER_KINDS} {where}
            GROUP BY day ORDER BY day
            """
        )
        params = {
            "since": sql_time(since),
            "until": sql_time(until),
            "shift": _shift(day_starts_at),
            "deck_id": deck_id,
        }
        with self.engine.connect() as connection:
            return [
                DayActivity(date.fromisoformat(day), reviews, int(duration))
                for day, reviews, duration in connection.execute(sql, params)
            ]

    def answered_between(
        self, start: datetime, end: datetime, *, deck_id: int | None = None
    ) -> bool:
        """Whether any answer (review or practice) was given from ``start`` to before ``end``:
        one seek on the index on ``reviewed_at``, however long the history."""
        join = "JOIN card ON card.id = review_log.card_id" if deck_id is not None else ""
        where = "AND card.deck_id = :deck_id" if deck_id is not None else ""
        sql = text(
            f"""
            SELECT 1 FROM review_log {join}
            WHERE reviewed_at >= :start AND reviewed_at < :end AND kind IN {_ANSWER_KINDS}
            {where}
            LIMIT 1
            """
        )
        params = {"start": sql_time(start), "end": sql_time(end), "deck_id": deck_id}
        with self.engine.connect() as connection:
            return connection.execute(sql, params).first() is not None

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
        elapsed = f"julianday(:horizon) - julianday({_review_date('last_review')})"
        buckets = {
            "stability": f"CASE {stability_case} ELSE {len(STABILITY_BOUNDS)} END",
            "difficulty": "MIN(8, MAX(0, CAST(difficulty AS INTEGER) - 1))",
            "retrievability": (
                f"MIN(9, CAST(fsrs_retrievability({elapsed}, stability, :decay) * 10 AS INTEGER))"
            ),
        }
        params: dict[str, Any] = {
            "decay": decay,
            "horizon": horizon_day.isoformat(),
            "shift": _shift(day_starts_at),
            "deck_id": deck_id,
        }
        found: dict[str, dict[int, int]] = {}
        with self.engine.connect() as connection:
            for name, bucket in buckets.items():
                sql = text(
                    f"""
                    SELECT {bucket} AS bucket, COUNT(*) FROM card
                    WHERE last_review IS NOT NULL AND stability IS NOT NULL
                      AND (:deck_id IS NULL OR deck_id = :deck_id)
                    GROUP BY bucket
                    """
                )
                found[name] = {int(b): n for b, n in connection.execute(sql, params)}
        return Distributions(**found)

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
                    _utc(due),
                    None if last_review is None else _utc(last_review),
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


def _utc(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)
