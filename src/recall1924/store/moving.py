"""The copying SQL of ``recall migrate-store``: a whole collection from one database into an
empty one, every table with its ids, in one transaction on the target.

Holds :data:`TABLES` (every table of the models, parents first), :func:`held_rows` (what a
database holds of them), :func:`tally` (the counts and checksums both sides must agree on),
:func:`copy_table` (one table, streamed) and :func:`copy_collection` (all of it, all
or nothing).

Each value goes through its column's type in the models (SQLAlchemy's result processor on the
reading side, its bind processor on the writing side): a stored time is SQLite's text on one
side and PostgreSQL's ``timestamp`` on the other, ``tags`` JSON text or ``json``, ``suspended``
0/1 or a boolean, and the one codec of each type converts between them. What differs between
the two databases beyond the types (a consistent read, bulk writing, the id sequences) is
written here for both, each in a few lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Engine, Integer, Table, func, inspect, select
from sqlalchemy.exc import DBAPIError

from recall1924.errors import MoveError
from recall1924.models import Card, Deck, Media, ReviewLog, Section, Setting
from recall1924.store.base import driver_marks, driver_rows, lock_for_writing
from recall1924.store.dialect import (
    ANSWER_COUNTERS,
    POSTGRESQL,
    SQLITE,
    Name,
    create_counter_triggers,
    drop_counter_triggers,
    settle_after_filling,
)

__all__ = [
    "BATCH",
    "TABLES",
    "Tally",
    "copy_collection",
    "copy_table",
    "held_rows",
    "tally",
]

TABLES: tuple[Table, ...] = tuple(
    cast(Table, getattr(model, "__table__"))  # noqa: B009 - SQLModel types no __table__
    for model in (Deck, Section, Card, ReviewLog, Setting, Media)
)
"""Every table of the models, each after the tables its foreign keys name: inserted in this
order, every row's parent is already there (tests check that no table of the models is left
out). Alembic's own ``alembic_version`` is not one: the target is at head before anything is
copied."""

BATCH = 5000
"""Rows read and written at a time: a million answers are never held in memory at once."""


def _table(name: str) -> Table:
    return next(table for table in TABLES if table.name == name)


def _id_column(table: Table) -> str | None:
    """The table's integer primary key that the database numbers itself (``id``), if it has
    one: those get a sequence on PostgreSQL and a checksum here."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and isinstance(keys[0].type, Integer):
        return keys[0].name
    return None


def held_rows(connection: Connection) -> dict[str, int]:
    """How many rows each of :data:`TABLES` holds in ``connection``'s database, for those it
    has (an older schema, or an empty database, lacks some or all)."""
    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in TABLES
        if table.name in present
    }


@dataclass(frozen=True)
class Tally:
    """What one side of a move holds: rows per table, and checksums that two copies of the
    same collection share (a dropped or doubled row, or a card in the wrong deck, changes
    them)."""

    rows: dict[str, int]
    checks: dict[str, int] = field(default_factory=dict)

    def difference(self, other: Tally) -> str | None:
        """The first figure in which ``other`` differs from this one, in words; None if none."""
        for name, count in self.rows.items():
            if other.rows.get(name) != count:
                return f"{name} has {count} rows here and {other.rows.get(name)} there"
        for name, value in self.checks.items():
            if other.checks.get(name) != value:
                return f"{name} is {value} here and {other.checks.get(name)} there"
        return None


def tally(connection: Connection) -> Tally:
    """The rows of each of :data:`TABLES` and the checksums: per table the sum of its ids,
    the cards of each deck, the sum of each answer counter and of the cards' row versions, and
    the sum of the answers' card ids (an answer moved to another card)."""
    rows = held_rows(connection)
    checks: dict[str, int] = {}
    for table in TABLES:
        key = _id_column(table)
        if key is not None:
            total = connection.execute(select(func.coalesce(func.sum(table.c[key]), 0)))
            checks[f"{table.name} ids"] = int(total.scalar_one())
    card, answer = _table("card"), _table("review_log")
    sums = [*ANSWER_COUNTERS, "version"]
    totals = connection.execute(
        select(*(func.coalesce(func.sum(card.c[name]), 0) for name in sums))
    ).one()
    checks.update({f"card {name}": int(value) for name, value in zip(sums, totals, strict=True)})
    answered = connection.execute(select(func.coalesce(func.sum(answer.c.card_id), 0)))
    checks["review_log card ids"] = int(answered.scalar_one())
    per_deck = select(card.c.deck_id, func.count()).group_by(card.c.deck_id)
    for deck_id, count in connection.execute(per_deck.order_by(card.c.deck_id)):
        checks[f"cards of deck {deck_id}"] = int(count)
    return Tally(rows, checks)


def _begin_snapshot(connection: Connection) -> None:
    """Begin a read on ``connection`` that sees one moment of the collection throughout, so
    that an answer saved meanwhile by another recall is either in every table copied or in
    none. SQLite: a deferred ``BEGIN``, whose first read fixes the snapshot (sqlite3 begins
    none before a ``SELECT`` itself). PostgreSQL: ``REPEATABLE READ`` (its default, ``READ
    COMMITTED``, takes a new snapshot per statement), read-only."""
    if connection.dialect.name == POSTGRESQL:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    else:
        connection.exec_driver_sql("BEGIN")


def copy_table(reading: Connection, writing: Connection, table: Table, *, batch: int) -> int:
    """Copy every row of ``table``, ids and all, in primary key order; how many were copied.

    Rows go through the drivers' own cursors as tuples (SQLAlchemy's Row and parameter dict per
    row would be most of the cost of a million answers), and each value through its column's
    type (:func:`_converters`). A NULL stays NULL: the JSON type would read it as None and
    write None back as the JSON text ``null``. Into SQLite, ``batch`` rows per executemany;
    into PostgreSQL, one ``COPY`` per table, which it parses and plans once for all the rows
    rather than once per row. The source is read as it is written, a few thousand rows at a
    time: a million answers are never held in memory.
    """
    names = [column.name for column in table.columns]
    order = ", ".join(column.name for column in table.primary_key.columns)
    listed = ", ".join(names)
    rows = driver_rows(
        reading, f"SELECT {listed} FROM {table.name} ORDER BY {order}", (), streamed=True
    )
    convert = _converters(table, reading, writing, _described(rows))
    values: Iterable[Sequence[Any]] = rows
    if convert is not None:
        values = (
            tuple(
                value if value is None or change is None else change(value)
                for value, change in zip(row, convert, strict=True)
            )
            for row in rows
        )
    copied = 0
    if writing.dialect.name == POSTGRESQL:
        driver = writing.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({listed}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
                copied += 1
        return copied
    insert = f"INSERT INTO {table.name} ({listed}) VALUES ({driver_marks(writing, len(names))})"
    iterator = iter(values)
    while chunk := list(islice(iterator, batch)):
        writing.exec_driver_sql(insert, chunk)
        copied += len(chunk)
    return copied


Change = Callable[[Any], Any]


def _described(rows: Any) -> Sequence[Any]:
    """The cursor description of ``rows`` (sqlite3's cursor, or SQLAlchemy's result on one)."""
    cursor = getattr(rows, "cursor", rows)
    return cast(Sequence[Any], cursor.description)


def _converters(
    table: Table, reading: Connection, writing: Connection, description: Sequence[Any]
) -> list[Change | None] | None:
    """For each column of ``table``, what turns a value as ``reading``'s driver gives it into
    what ``writing``'s driver takes: the column type's own result processor on the reading
    dialect, then its bind processor on the writing one (the codec every query of the store goes
    through: ``UTCDateTime``, JSON, booleans, SQLite's time text). None where nothing changes.

    None for the whole table from one SQLite file to another: sqlite3 gives and takes the
    stored text and numbers themselves, so they are copied as they are, byte for byte (and
    without parsing five times per answer). psycopg does not: it gives JSON decoded, and
    would send a list back as an array, so PostgreSQL to PostgreSQL converts too."""
    read_as, write_as = reading.dialect, writing.dialect
    if read_as.name == write_as.name == SQLITE:
        return None
    changes: list[Change | None] = []
    for column, described in zip(table.columns, description, strict=True):
        read = column.type.dialect_impl(read_as).result_processor(read_as, described[1])
        write = column.type.dialect_impl(write_as).bind_processor(write_as)
        changes.append(_then(read, write))
    return changes


def _then(first: Change | None, second: Change | None) -> Change | None:
    if first is None or second is None:
        return first or second
    return lambda value: second(first(value))


def _advance_sequences(writing: Connection) -> None:
    """PostgreSQL: set each table's id sequence past the ids copied in, so that the next
    card or answer saved gets a new one (the copy gave ids explicitly, which leaves a sequence
    where it was: at 1). SQLite numbers a new row from the largest id there already."""
    if writing.dialect.name != POSTGRESQL:
        return
    for table in TABLES:
        key = _id_column(table)
        if key is not None:
            writing.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key}'), "
                f"COALESCE(MAX({key}), 0) + 1, false) FROM {table.name}"
            )


_NAMES = {"review_log": "answer", "media": "media file"}


def _held_words(held: Mapping[str, int]) -> str:
    """``held`` in words, in :data:`TABLES`' order: ``1 deck, 7 sections, 141 cards``."""
    words = []
    for table in TABLES:
        count = held.get(table.name, 0)
        if count:
            word = _NAMES.get(table.name, table.name)
            words.append(f"{count:,} {word}{'' if count == 1 else 's'}")
    return ", ".join(words)


def refuse_held(where: object, held: Mapping[str, int]) -> None:
    """Refuse a target that holds anything of a collection already: copying into it would
    mix two collections (or collide on their ids).

    Raises:
        MoveError: ``held`` counts some row.
    """
    if any(held.values()):
        raise MoveError(
            f"{where} already holds {_held_words(held)}: recall moves a collection only into "
            "a new file, an empty database or a collection with nothing in it; nothing was "
            "copied"
        )


def copy_collection(
    source: Engine,
    target: Engine,
    *,
    where: object,
    batch: int = BATCH,
) -> tuple[Tally, Tally]:
    """Copy the collection in ``source`` into the empty one at head in ``target`` (``where``
    names it in messages), all of it or nothing: the tallies of both sides, equal.

    One transaction on the target, which no other recall can write meanwhile
    (:func:`~recall1924.store.base.lock_for_writing`); one consistent read of the source, which
    is never written. The answer counters' triggers and the indexes are dropped for the copy
    and made again before the end, in the same transaction (:func:`_set_aside`): the cards
    arrive with their counters as they are in the source. Both sides are tallied before the
    commit; any difference rolls everything back.

    Raises:
        MoveError: the target holds rows already, or the copy differs from the source.
    """
    name = cast(Name, target.dialect.name)
    with source.connect() as reading, target.connect() as writing:
        _begin_snapshot(reading)
        try:
            lock_for_writing(writing, *(table.name for table in TABLES))
            refuse_held(where, held_rows(writing))
            _set_aside(writing, name)
            for table in TABLES:
                copy_table(reading, writing, table, batch=batch)
            _put_back(writing, name)
            before, after = tally(reading), tally(writing)
            differs = before.difference(after)
            if differs is not None:
                raise MoveError(
                    f"the copy in {where} does not match the collection ({differs}); "
                    "nothing was copied"
                )
            _advance_sequences(writing)
            writing.commit()
        except BaseException:
            writing.rollback()
            raise
        finally:
            reading.rollback()
    settle = settle_after_filling([table.name for table in TABLES], name=name)
    if settle is not None:  # statistics for the next command's planner (dialect.py says why)
        # After the commit: should it fail, the copy is whole all the same, and the server's
        # autovacuum does the same a minute later.
        with (
            contextlib.suppress(DBAPIError),
            target.connect().execution_options(isolation_level="AUTOCOMMIT") as settling,
        ):
            settling.exec_driver_sql(settle)
    return before, after


def _set_aside(writing: Connection, name: Name) -> None:
    """Drop, for the copy, what the target would otherwise do for every row copied: the answer
    counters' triggers (which would also count every copied answer a second time: the cards
    come with their counters) and the tables' indexes (built once each afterwards, from sorted
    rows, rather than kept up to date row by row: a million answers copy in half the time).
    In the copy's transaction: a copy that fails gives them back with its rollback."""
    for statement in drop_counter_triggers(name=name):
        writing.exec_driver_sql(statement)
    for table in TABLES:
        for index in table.indexes:
            writing.exec_driver_sql(f"DROP INDEX {index.name}")


def _put_back(writing: Connection, name: Name) -> None:
    """Create again what :func:`_set_aside` dropped: the models' indexes (the very ones the
    migrations make: tests/test_migrations.py compares them) and the counters' triggers."""
    for table in TABLES:
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            index.create(writing)
    for statement in create_counter_triggers(name=name):
        writing.exec_driver_sql(statement)
