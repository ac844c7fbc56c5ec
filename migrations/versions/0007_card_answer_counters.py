"""Each card counts its review answers; narrow covering indexes for the queue and the stats.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall1924.store import dialect

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEMORY_INDEX = [
    "deck_id",
    "section_id",
    "last_review",
    "state",
    "due",
    "suspended",
    "buried_until",
    "stability",
    "difficulty",
    *dialect.ANSWER_COUNTERS,
    "position",
]
_DUE_INDEX = [
    "due",
    "state",
    "last_review",
    "suspended",
    "buried_until",
    "deck_id",
    "section_id",
    "stability",
]


def _dialect_name() -> dialect.Name:
    name = op.get_bind().dialect.name
    if name not in (dialect.SQLITE, dialect.POSTGRESQL):
        raise NotImplementedError(f"migration 0007 has no SQL for {name}")
    return dialect.POSTGRESQL if name == dialect.POSTGRESQL else dialect.SQLITE


def upgrade() -> None:
    # Why: true retention in stats read every answer ever given (a million answers: 0.2 s of
    # CPU on every `recall stats`). Each card now keeps the counts it needs, its answers in the
    # Review state and how many were Again, both also at a mature interval, kept by triggers
    # whatever writes the answers; stats sums them with the other per-card figures. Adding
    # defaulted columns needs no copy of the table; the counts are filled once from the log.
    with op.batch_alter_table("card") as batch:
        for name in dialect.ANSWER_COUNTERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    # Why the dialect's name: the recount and the triggers are SQL no standard covers
    # (SQLite's CREATE TRIGGER ... BEGIN ... END, PostgreSQL's PL/pgSQL function).
    # The answers' times were stored as the other times then (0009 made them integers).
    written_for = _dialect_name()
    op.execute(dialect.recount_answers(name=written_for, times=dialect.TEXT_TIMES))
    for statement in dialect.create_counter_triggers(name=written_for, times=dialect.TEXT_TIMES):
        op.execute(statement)
    # Why: every per-card figure the glance, stats and the review queue count (states, due
    # times, stability, the counters) was read from the wide card rows, questions and answers
    # and all: 44 MB for 100,000 cards, read per query. These two narrow indexes hold exactly
    # those columns, in the orders the queries group and range by (deck and section; due), so
    # each is read instead (100,000 cards: 50 ms -> 10 ms a pass).
    op.create_index("ix_card_memory", "card", _MEMORY_INDEX)
    op.drop_index("ix_card_due", table_name="card")
    op.create_index("ix_card_due", "card", _DUE_INDEX)


def downgrade() -> None:
    op.drop_index("ix_card_due", table_name="card")
    op.create_index("ix_card_due", "card", ["due"])
    op.drop_index("ix_card_memory", table_name="card")
    for statement in dialect.drop_counter_triggers(name=_dialect_name()):
        op.execute(statement)
    with op.batch_alter_table("card") as batch:
        for name in reversed(dialect.ANSWER_COUNTERS):
            batch.drop_column(name)
