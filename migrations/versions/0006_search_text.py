"""Cards carry their text and tags folded for searching.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall1924.folding import folded_tags, folded_text

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 5000


def _tags(stored: object) -> list[str]:
    # A hand-edited or damaged tags value searches as no tags rather than stop the upgrade.
    try:
        tags = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return []
    if not isinstance(tags, list):
        return []
    return [tag for tag in tags if isinstance(tag, str)]


def upgrade() -> None:
    # Why: recall's query language finds words in any case and with or without accents, in the
    # question, answer or note, and tags by name, all in the database. SQLite's lower() and LIKE
    # fold ASCII only, so the folded forms are stored beside the text, written with it, and
    # searched with a plain LIKE that PostgreSQL runs the same. Adding defaulted columns needs
    # no copy of the table; the existing cards are folded once here, a chunk at a time
    # (100,000 cards: about 5 s, nearly all of it SQLite rewriting each row).
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("search_text", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("search_tags", sa.String(), nullable=False, server_default=""))
    connection = op.get_bind()
    last = -1
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, question, answer, note, tags FROM card WHERE id > :last "
                "ORDER BY id LIMIT :chunk"
            ),
            {"last": last, "chunk": _CHUNK},
        ).all()
        if not rows:
            break
        connection.execute(
            sa.text("UPDATE card SET search_text = :text, search_tags = :tags WHERE id = :id"),
            [
                {
                    "id": card_id,
                    "text": folded_text(question or "", answer or "", note),
                    "tags": folded_tags(_tags(tags)),
                }
                for card_id, question, answer, note, tags in rows
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.drop_column("search_tags")
        batch.drop_column("search_text")
