"""The collection's own settings are stored under the scope '*', no longer 'global'.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Why: a setting's scope is the collection's ('global' until now), a deck's (its id) or a
    # section's ('section:deck/section'). 'global' is also a deck id a file may give (an Anki
    # deck named "Global" gets it), and then `recall config set --deck global` changed every
    # deck's setting. No deck id can hold '*' (deck.ID_PATTERN). The rows stored as 'global'
    # acted for every deck, a deck called global's own included, so they all move: nothing
    # changes meaning.
    op.execute(sa.text("UPDATE setting SET scope = '*' WHERE scope = 'global'"))


def downgrade() -> None:
    # The older layout has one scope for the collection and a deck called global: that deck's
    # own settings since the upgrade become the collection's, the collection's value winning
    # where both have the key.
    op.execute(
        sa.text(
            "DELETE FROM setting WHERE scope = 'global' "
            "AND key IN (SELECT key FROM setting WHERE scope = '*')"
        )
    )
    op.execute(sa.text("UPDATE setting SET scope = 'global' WHERE scope = '*'"))
