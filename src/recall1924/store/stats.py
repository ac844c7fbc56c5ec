"""The aggregates behind stats, computed in SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from recall1924.models import ReviewKind
from recall1924.store.base import StoreBase, sql_time


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


class StatsStore(StoreBase):
    def section_rows(
        self, *, now: datetime, decay: float, deck_id: int | None = None
    ) -> list[SectionRow]:
        """Per-section counts, summed retrievability and review-card recall, in deck order.

        Aggregated in SQLite (retrievability through the registered ``fsrs_retrievability``),
        so the cost does not grow with what Python has to hold.
        """
        sql = text(
            """
            WITH cards AS (
                SELECT section_id,
                       COUNT(*) AS cards,
                       SUM(last_review IS NULL) AS new,
                       SUM(last_review IS NOT NULL AND state IN (1, 3)) AS learning,
                       SUM(last_review IS NOT NULL AND state = 2) AS review,
                       SUM(last_review IS NOT NULL AND due <= :now) AS due_now,
                       SUM(CASE WHEN last_review IS NULL THEN 0.0 ELSE fsrs_retrievability(
                           julianday(:now) - julianday(last_review), stability, :decay) END)
                           AS r_sum
                FROM card GROUP BY section_id
            ), per_card AS (
                -- grouped by card first, from ix_review_log_recall alone
                SELECT card_id, SUM(rating > 1) AS recalled, COUNT(*) AS attempts
                FROM review_log
                WHERE state_before = 2 AND kind = :kind
                GROUP BY card_id
            ), recall AS (
                SELECT card.section_id,
                       SUM(per_card.recalled) AS recalled,
                       SUM(per_card.attempts) AS attempts
                FROM per_card JOIN card ON card.id = per_card.card_id
                GROUP BY card.section_id
            )
            SELECT deck.key, deck.title, section.key, section.title,
                   COALESCE(cards.cards, 0), COALESCE(cards.new, 0),
                   COALESCE(cards.learning, 0), COALESCE(cards.review, 0),
                   COALESCE(cards.due_now, 0), COALESCE(cards.r_sum, 0.0),
                   COALESCE(recall.recalled, 0), COALESCE(recall.attempts, 0)
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
        }
        with self.engine.connect() as connection:
            return [SectionRow(*row) for row in connection.execute(sql, params)]
