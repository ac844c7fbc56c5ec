"""Decks keep their media: which stored file each name in a deck's cards is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: Anki decks name images and sounds that came as names only. Their files are now kept
    # in a folder beside the database, one copy per content (named by its SHA-256), and this
    # table says which copy a name in a deck's cards is: the same name can be another picture
    # in another deck. The index on file answers "is this copy still used?".
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "deck_id", sa.Integer(), sa.ForeignKey("deck.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.UniqueConstraint("deck_id", "name"),
    )
    op.create_index("ix_media_file", "media", ["file"])


def downgrade() -> None:
    op.drop_index("ix_media_file", table_name="media")
    op.drop_table("media")
