"""Cards carry a row version, and a cloze card its cloze text and number.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: two machines answering one collection on a server decided "answered elsewhere
    # meanwhile" by comparing times read before the write, so two sessions could both pass and
    # one answer was saved from a stale state. Each card now has a version that every write of
    # its memory state raises; a write names the version it read and changes nothing when it
    # moved. Clocks never decide it. A cloze card (a deck file's `cloze = "… {{c1::…}} …"`, an
    # Anki Cloze note) keeps the whole cloze text and which deletion it asks, so review can hide
    # just that one and an export can write the note back as Anki's Cloze note type. Adding
    # defaulted or nullable columns needs no copy of the table.
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("cloze", sa.String(), nullable=True))
        batch.add_column(sa.Column("cloze_ord", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Not a batch copy of the table: 0007's triggers name the card table, and both SQLite
    # (3.35 and later) and PostgreSQL drop a column that no index or trigger uses in place.
    for name in ("cloze_ord", "cloze", "version"):
        op.drop_column("card", name)
