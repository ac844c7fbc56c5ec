"""Covering indexes for stats: retention by interval, and activity per day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: stats now splits retention into young and mature cards (by the interval before each
    # answer) and draws twelve weeks of activity. Without these, each query reads every wide
    # review_log row; with them, only the index (on 1M answers: 0.85 s -> 0.35 s and
    # 0.56 s -> 0.11 s). The new recall index covers the old one's columns, so that one goes.
    op.create_index(
        "ix_review_log_recall_interval",
        "review_log",
        ["state_before", "kind", "card_id", "rating", "due_before", "last_review_before"],
    )
    op.create_index("ix_review_log_time_kind", "review_log", ["reviewed_at", "kind", "duration_ms"])
    op.drop_index("ix_review_log_recall", table_name="review_log")


def downgrade() -> None:
    op.create_index(
        "ix_review_log_recall", "review_log", ["state_before", "kind", "card_id", "rating"]
    )
    op.drop_index("ix_review_log_time_kind", table_name="review_log")
    op.drop_index("ix_review_log_recall_interval", table_name="review_log")
