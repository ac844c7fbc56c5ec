"""An answer's five times are integers, milliseconds since the epoch; two indexes narrower.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from recall1924.store import dialect

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMES = ("reviewed_at", "due_before", "last_review_before", "due_after", "last_review_after")

# review_log's columns in order, as 0001 made them; the times' type is the one that changes.
_COLUMNS = (
    ("card_id", sa.Integer, False),
    ("kind", sa.Integer, False),
    ("rating", sa.Integer, False),
    ("reviewed_at", None, False),
    ("duration_ms", sa.Integer, True),
    ("state_before", sa.Integer, False),
    ("step_before", sa.Integer, True),
    ("stability_before", sa.Float, True),
    ("difficulty_before", sa.Float, True),
    ("due_before", None, False),
    ("last_review_before", None, True),
    ("state_after", sa.Integer, False),
    ("step_after", sa.Integer, True),
    ("stability_after", sa.Float, True),
    ("difficulty_after", sa.Float, True),
    ("due_after", None, False),
    ("last_review_after", None, True),
)

_OLD_INDEXES = {
    "ix_review_log_card_time": ["card_id", "reviewed_at"],
    "ix_review_log_time": ["reviewed_at"],
    "ix_review_log_recall_interval": [
        "state_before",
        "kind",
        "card_id",
        "rating",
        "due_before",
        "last_review_before",
    ],
    "ix_review_log_time_kind": ["reviewed_at", "kind", "duration_ms"],
}
_NEW_INDEXES = {
    "ix_review_log_card_time": ["card_id", "reviewed_at", "state_before", "kind", "rating"],
    "ix_review_log_time_kind": ["reviewed_at", "kind", "duration_ms"],
}

# The card's due and last review to the millisecond too, so that a card's last review and its
# last answer's time, read back, are equal (doctor replays the one against the other).
_CARD_TIMES = ("due", "last_review")


def _dialect_name() -> dialect.Name:
    name = op.get_bind().dialect.name
    if name not in (dialect.SQLITE, dialect.POSTGRESQL):
        raise NotImplementedError(f"migration 0009 has no SQL for {name}")
    return dialect.POSTGRESQL if name == dialect.POSTGRESQL else dialect.SQLITE


def _sqlite_millis(column: str) -> str:
    """SQLite: the stored text ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC) as milliseconds since
    the epoch, its microseconds rounded down; null stays null. ``strftime('%s')`` rather than
    ``julianday``, whose double is not exact to the millisecond; no ``unixepoch``, which needs
    SQLite 3.38."""
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000 "
        f"+ CAST(substr({column}, 21, 3) AS INTEGER))"
    )


def _sqlite_text(column: str) -> str:
    """SQLite: :func:`_sqlite_millis` undone, the text the column type wrote (rounded down to
    whole seconds and milliseconds, before 1970 too)."""
    millis = f"((({column}) % 1000 + 1000) % 1000)"
    seconds = f"((({column}) - {millis}) / 1000)"
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || printf('.%03d000', {millis}))"
    )


def _postgresql_millis(column: str) -> str:
    """PostgreSQL: a naive UTC ``timestamp`` as milliseconds since the epoch, rounded down:
    whole seconds and the seconds field's microseconds apart, each exact as a double (a
    server before 14 gives ``EXTRACT`` as one, and ``epoch * 1000`` of one is not exact)."""
    seconds = f"CAST(EXTRACT(EPOCH FROM date_trunc('second', {column})) AS bigint)"
    fraction = f"CAST(floor(EXTRACT(MICROSECONDS FROM {column}) / 1000) AS bigint) % 1000"
    return f"({seconds} * 1000 + {fraction})"


def _postgresql_timestamp(column: str) -> str:
    return f"(TIMESTAMP '1970-01-01 00:00:00' + {column} * INTERVAL '1 millisecond')"


def _drop_indexes(indexes: dict[str, list[str]]) -> None:
    for index in indexes:
        op.drop_index(index, table_name="review_log")


def _create_indexes(indexes: dict[str, list[str]]) -> None:
    for index, columns in indexes.items():
        op.create_index(index, "review_log", columns)


def _rebuild_sqlite(time_type: sa.types.TypeEngine[object], convert: str) -> None:
    """SQLite: copy review_log into a table whose times have ``time_type``, each converted by
    ``convert`` (a function of a column), then put it in the old one's place. A column's type
    cannot change in place; the copy is written in id order, the rows' own, and the indexes are
    made after it, each in one sorted pass."""
    columns = [
        sa.Column(name, time_type if kind is None else kind(), nullable=nullable)
        for name, kind, nullable in _COLUMNS
    ]
    op.create_table(
        "_review_log_0009",
        sa.Column("id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["card_id"], ["card.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    names = ["id"] + [name for name, _kind, _nullable in _COLUMNS]
    values = [convert(name) if name in TIMES else name for name in names]
    op.execute(
        f"INSERT INTO _review_log_0009 ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM review_log ORDER BY id"
    )
    op.drop_table("review_log")
    op.rename_table("_review_log_0009", "review_log")


def upgrade() -> None:
    # Why: a million answers took 402 bytes each on disk, indexes included, against the 150
    # of issue 14. Each stored five times as 27 characters of text; as integer milliseconds
    # (Anki's own precision) a time takes 6 bytes, and is compared and subtracted as an
    # integer, one SQL for both databases. ix_review_log_time was the prefix of
    # ix_review_log_time_kind: dropped. ix_review_log_recall_interval carried two times for a
    # retention query that reads each card's counters since 0007, and led with the state, so
    # a card's answers needed ix_review_log_card_time too: one index by card now holds what
    # both served (card, time, state, kind, rating), 24 bytes an answer where they took 40.
    # The counters' triggers read the times, so they are made again for integers. Every
    # answer is kept, to the millisecond.
    name = _dialect_name()
    for statement in dialect.drop_counter_triggers(name=name):
        op.execute(statement)
    _drop_indexes(_OLD_INDEXES)
    if name == dialect.POSTGRESQL:
        changes = ", ".join(
            f"ALTER COLUMN {column} TYPE bigint USING {_postgresql_millis(column)}"
            for column in TIMES
        )
        op.execute(f"ALTER TABLE review_log {changes}")
        for column in _CARD_TIMES:
            op.execute(
                f"UPDATE card SET {column} = date_trunc('milliseconds', {column}) "
                f"WHERE {column} <> date_trunc('milliseconds', {column})"
            )
    else:
        _rebuild_sqlite(sa.BigInteger(), _sqlite_millis)
        for column in _CARD_TIMES:
            op.execute(
                f"UPDATE card SET {column} = substr({column}, 1, 23) || '000' "
                f"WHERE length({column}) = 26 AND substr({column}, 24, 3) <> '000'"
            )
    _create_indexes(_NEW_INDEXES)
    for statement in dialect.create_counter_triggers(name=name, times=dialect.MILLIS):
        op.execute(statement)


def downgrade() -> None:
    # The times back to the text (timestamps) 0008 read, to the millisecond they now hold;
    # the card's times stay truncated, which 0008 reads as it reads any time.
    name = _dialect_name()
    for statement in dialect.drop_counter_triggers(name=name):
        op.execute(statement)
    _drop_indexes(_NEW_INDEXES)
    if name == dialect.POSTGRESQL:
        changes = ", ".join(
            f"ALTER COLUMN {column} TYPE timestamp without time zone "
            f"USING {_postgresql_timestamp(column)}"
            for column in TIMES
        )
        op.execute(f"ALTER TABLE review_log {changes}")
    else:
        _rebuild_sqlite(sa.DateTime(), _sqlite_text)
    _create_indexes(_OLD_INDEXES)
    for statement in dialect.create_counter_triggers(name=name, times=dialect.TEXT_TIMES):
        op.execute(statement)
