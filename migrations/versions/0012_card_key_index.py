"""A card's key is unique in its deck by a named index, not by the table's constraint.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from recall1924.store import dialect
from recall1924.store.base import dialect_of

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_card_deck_key"

# PostgreSQL's name for the constraint 0001 made (its default: table, columns, "key").
_SERVER_CONSTRAINT = "card_deck_id_key_key"

# The card table as 0011 left it on SQLite, column by column, in its order; the constraint on
# (deck_id, key) is the one line that changes.
_SQLITE_COLUMNS = (
    "id INTEGER NOT NULL",
    "deck_id INTEGER NOT NULL",
    "section_id INTEGER NOT NULL",
    '"key" VARCHAR NOT NULL',
    "position INTEGER NOT NULL",
    "question VARCHAR NOT NULL",
    "answer VARCHAR NOT NULL",
    "note VARCHAR",
    "tags JSON NOT NULL",
    "state INTEGER NOT NULL",
    "step INTEGER",
    "stability FLOAT",
    "difficulty FLOAT",
    "due DATETIME NOT NULL",
    "last_review DATETIME",
    "created_at DATETIME NOT NULL",
    "updated_at DATETIME NOT NULL",
    "source_id VARCHAR",
    "suspended BOOLEAN DEFAULT 0 NOT NULL",
    "buried_until DATETIME",
    "flag INTEGER DEFAULT '0' NOT NULL",
    "flag_reason VARCHAR",
    "edited_at DATETIME",
    "upstream JSON",
    "search_text VARCHAR DEFAULT '' NOT NULL",
    "search_tags VARCHAR DEFAULT '' NOT NULL",
    "review_answers INTEGER DEFAULT '0' NOT NULL",
    "review_lapses INTEGER DEFAULT '0' NOT NULL",
    "mature_answers INTEGER DEFAULT '0' NOT NULL",
    "mature_lapses INTEGER DEFAULT '0' NOT NULL",
    "version INTEGER DEFAULT '0' NOT NULL",
    "cloze VARCHAR",
    "cloze_ord INTEGER",
)
_SQLITE_KEYS = (
    "PRIMARY KEY (id)",
    "FOREIGN KEY(deck_id) REFERENCES deck (id) ON DELETE CASCADE",
    "FOREIGN KEY(section_id) REFERENCES section (id) ON DELETE CASCADE",
)
_SQLITE_UNIQUE = 'UNIQUE (deck_id, "key")'

# The card table's other indexes as 0011 left them on SQLite, made again after the copy.
_SQLITE_INDEXES = (
    "CREATE INDEX ix_card_section_id ON card (section_id)",
    "CREATE INDEX ix_card_memory ON card (deck_id, section_id, last_review, state, due, "
    "suspended, buried_until, stability, difficulty, review_answers, review_lapses, "
    "mature_answers, mature_lapses, position)",
    "CREATE INDEX ix_card_due ON card (due, state, last_review, suspended, buried_until, "
    "deck_id, section_id, stability)",
)


def _rebuild_sqlite(*, unique_constraint: bool) -> None:
    """SQLite: copy card into a table with the same columns, with or without the constraint on
    (deck_id, key) (a constraint cannot be dropped in place), then put it in the old one's
    place and make its indexes again, each in one sorted pass. The answers' counter triggers
    name the card table: they are dropped for the swap and made again. Foreign keys are off
    meanwhile (db.upgrade), so dropping the old table deletes no answer."""
    name = dialect.SQLITE
    for statement in dialect.drop_counter_triggers(name=name):
        op.execute(statement)
    lines = [*_SQLITE_COLUMNS, *_SQLITE_KEYS[:1]]
    if unique_constraint:
        lines.append(_SQLITE_UNIQUE)
    lines.extend(_SQLITE_KEYS[1:])
    body = ",\n\t".join(lines)
    op.execute(f'CREATE TABLE "_card_0012" (\n\t{body}\n)')
    columns = ", ".join(column.split(" ", 1)[0] for column in _SQLITE_COLUMNS)
    op.execute(f"INSERT INTO _card_0012 ({columns}) SELECT {columns} FROM card ORDER BY id")
    op.execute("DROP TABLE card")
    op.execute("ALTER TABLE _card_0012 RENAME TO card")
    for statement in _SQLITE_INDEXES:
        op.execute(statement)
    for statement in dialect.create_counter_triggers(name=name):
        op.execute(statement)


def _on_server() -> bool:
    """Whether the database is PostgreSQL; on SQLite, first that foreign keys are off, before
    anything is changed (a statement that is not a row's write is kept at once there, outside
    the transaction db.upgrade begins)."""
    if dialect_of(op.get_bind()) == dialect.POSTGRESQL:
        return True
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0012 rebuilds the card table: run it with foreign keys off")
    return False


def upgrade() -> None:
    # Why: a card's key is unique in its deck, and the table's constraint said so with an
    # index of its own that cannot be dropped. An import into a collection holding no card
    # yet writes the cards first and makes the card table's indexes after, each in one sorted
    # pass (store.decks): a million cards' keys, which are hashes, went into that index one at
    # a time in random order, 2.5-3.5 s of a 19 s import. A named unique index holds the same
    # rule and can be dropped and made again. The card ids, the rows and their order are kept.
    if _on_server():
        op.drop_constraint(_SERVER_CONSTRAINT, "card", type_="unique")
    else:
        _rebuild_sqlite(unique_constraint=False)
    op.create_index(INDEX, "card", ["deck_id", "key"], unique=True)


def downgrade() -> None:
    on_server = _on_server()
    op.drop_index(INDEX, table_name="card")
    if on_server:
        op.create_unique_constraint(_SERVER_CONSTRAINT, "card", ["deck_id", "key"])
    else:
        _rebuild_sqlite(unique_constraint=True)
