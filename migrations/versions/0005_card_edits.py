"""Cards the student changed or flagged: their own wording, the deck's newer one, a flag.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: a student can now edit a card and flag it, in review or from the shell. A card whose
    # wording is the student's (edited_at set) is never overwritten by an update of the deck it
    # came from; the deck's own wording is kept beside it (upstream: the one the card had, then
    # any newer one an update brings) so recall can say that a newer one exists and show it. A
    # flag is a colour-free mark with an optional reason ("ask in class"). Adding nullable or
    # defaulted columns needs no copy of the table.
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("flag", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("flag_reason", sa.String(), nullable=True))
        batch.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("upstream", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.drop_column("upstream")
        batch.drop_column("edited_at")
        batch.drop_column("flag_reason")
        batch.drop_column("flag")
