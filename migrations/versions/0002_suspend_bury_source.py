"""Cards remember where they came from and can be suspended or buried; decks carry a version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: decks now come from Anki and CSV too. A card keeps its identity there (an Anki
    # note's GUID and template) so a newer export updates it instead of adding a copy; Anki's
    # suspended cards stay suspended, and a student can suspend or bury a card in a session.
    # A deck's version lets a newer recall tell that the bundled deck it holds is older.
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("source_id", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("suspended", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("buried_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("deck") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deck") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("card") as batch:
        batch.drop_column("buried_until")
        batch.drop_column("suspended")
        batch.drop_column("source_id")
