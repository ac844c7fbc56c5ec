"""What every part of the store shares: the engine and sessions, the scope of a command, and
how a memory state maps to columns. No queries of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, event, or_, text
from sqlmodel import Session, SQLModel, col

from recall1924.clock import whole_milliseconds
from recall1924.db import (
    BUSY_TIMEOUT_MS,
    OpenedDatabase,
    UTCMillis,
    file_identity,
    from_millis,
    to_millis,
)
from recall1924.errors import (
    DatabaseBusyError,
    DatabaseReplacedError,
    ReadOnlyDatabaseError,
)
from recall1924.location import DatabaseLocation
from recall1924.models import Card
from recall1924.scheduling import MemoryState, State, retrievability
from recall1924.store.dialect import (
    POSTGRESQL,
    PYTHON_RETRIEVABILITY,
    SQLITE,
    Name,
    refusal,
    write_lock,
)

LEARNING_STATES = (int(State.Learning), int(State.Relearning))


@dataclass(frozen=True, eq=False)
class CardFilter:
    """A query (``recall cards QUERY``, ``--query``) compiled to a condition on one ``card``
    row (:mod:`recall1924.store.search` builds them). Equal only to itself."""

    clause: ColumnElement[bool]


@dataclass(frozen=True)
class Scope:
    """Which cards a command works on: all, one deck, or one section; and of those, only the
    ones a query matches (``match``)."""

    deck_id: int | None = None
    section_id: int | None = None
    match: CardFilter | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.deck_id is not None:
            clauses.append(col(Card.deck_id) == self.deck_id)
        if self.section_id is not None:
            clauses.append(col(Card.section_id) == self.section_id)
        if self.match is not None:
            clauses.append(self.match.clause)
        return clauses


def time_text(value: datetime) -> str:
    """``value`` as UTCDateTime stores it: naive UTC text to the millisecond, always written
    with six digits of microseconds (the one text form of a stored time; :func:`stored_moment`
    reads it back)."""
    utc = whole_milliseconds(value.astimezone(UTC).replace(tzinfo=None))
    return utc.isoformat(" ", "microseconds")


# Cached for imports: in a history one answer's "before" times are the last answer's "after"
# times. A pass that writes each time once (rewriting every card) uses time_text itself.
_stored_time = lru_cache(maxsize=4096)(time_text)


# A bool stays one: sqlite3 stores it as 1 or 0 itself, and PostgreSQL's boolean columns take
# no integer.
_PLAIN = frozenset({str, int, float, bool, type(None)})
_CONVERT: dict[type, Any] = {datetime: _stored_time, list: json.dumps}

_stored_millis = lru_cache(maxsize=4096)(to_millis)


def stored_millis(value: datetime | None) -> int | None:
    """A time as :class:`~recall1924.db.UTCMillis` stores it (an answer's times, in
    ``review_log``), for bulk writes that skip SQLAlchemy's per-value processing; cached, as
    one answer's "before" times are the last answer's "after" times."""
    return None if value is None else _stored_millis(value)


def millis_moment(stored: int) -> datetime:
    """An answer's time as raw SQL hands it back (:func:`stored_millis`'s integer), as a
    timezone-aware UTC datetime. Not cached here: a reader of many answers caches what it
    holds (a chunk's), so that a long history's times are not all kept."""
    return from_millis(stored)


def stored(value: Any) -> Any:
    """A Python value as the column types store it: for bulk writes that skip SQLAlchemy's
    per-value processing (a few microseconds each, seconds over a big import)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _CONVERT.get(kind)
    if convert is not None:
        return convert(value)
    if isinstance(value, IntEnum):
        return int(value)
    raise TypeError(f"cannot store a {kind.__name__}")


def driver_marks(connection: Connection, count: int) -> str:
    """``count`` placeholders in the driver's own style (sqlite3's ``?``, psycopg's ``%s``),
    comma-separated, for a bulk write through ``exec_driver_sql``: positional tuples straight
    to the driver's executemany, without SQLAlchemy building and processing a dict per row."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return ", ".join(mark for _ in range(count))


def driver_rows(
    connection: Connection, sql: str, params: Sequence[object], *, streamed: bool = False
) -> Iterable[Sequence[Any]]:
    """The rows of ``sql`` (in the driver's placeholders, :func:`driver_marks`), on
    ``connection`` and in its transaction: for a reader of many rows that unpacks each itself.

    SQLite: sqlite3's own cursor and tuples, stepped through as they are read (SQLAlchemy's
    Row for each of a million rows cost 0.3 s). PostgreSQL: SQLAlchemy's result; ``streamed``,
    through a server-side cursor, a few thousand rows at a time (psycopg's own cursor fetches
    every row first).
    """
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        rows: Iterable[tuple[Any, ...]] = driver.execute(sql, tuple(params))
        return rows
    if streamed:
        connection = connection.execution_options(yield_per=_STREAMED)
    return connection.exec_driver_sql(sql, tuple(params))


_STREAMED = 5000
"""Rows a server-side cursor hands over at a time."""


_MILLIS_COLUMNS = frozenset(
    (table.name, column.name)
    for table in SQLModel.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, UTCMillis)
)
"""The columns whose times are integer milliseconds (UTCMillis), by table and column name."""


def insert_many(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in one executemany, each value
    as its column's type stores it."""
    if not rows:
        return
    columns = list(rows[0])
    connection = session.connection()
    marks = driver_marks(connection, len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    codecs = [stored_millis if (table, column) in _MILLIS_COLUMNS else stored for column in columns]
    values = [
        tuple(codec(row[column]) for codec, column in zip(codecs, columns, strict=True))
        for row in rows
    ]
    connection.exec_driver_sql(sql, values)


def dialect_of(bind: Connection | Engine) -> Name:
    """The dialect ``bind`` speaks, as :mod:`recall1924.store.dialect` names it."""
    return POSTGRESQL if bind.dialect.name == POSTGRESQL else SQLITE


def lock_for_writing(connection: Connection, *tables: str) -> None:
    """Begin the transaction on ``connection`` so that no other recall writes ``tables`` until
    it ends (:func:`recall1924.store.dialect.write_lock`): for a write of what it has just read.
    Waits as long as the busy timeout, then raises the driver's error, which
    :meth:`StoreBase._writing` turns into :class:`DatabaseBusyError`."""
    for statement in write_lock(tables, wait_ms=BUSY_TIMEOUT_MS, name=dialect_of(connection)):
        connection.exec_driver_sql(statement)


def available(at: datetime) -> ColumnElement[bool]:
    """Cards that may be shown at ``at``: not suspended, and not buried past it."""
    buried_until = col(Card.buried_until)
    return and_(col(Card.suspended).is_(False), or_(buried_until.is_(None), buried_until <= at))


def _sql_functions(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Give a SQLite connection the Python functions the store's SQL calls
    (:data:`~recall1924.store.dialect.PYTHON_RETRIEVABILITY`), once per connection.

    On checking it out, not on connecting: the engine may hold connections made before the
    store was built on it (the upgrade's, on a first open)."""
    if "recall_functions" in record.info:
        return
    dbapi_connection.create_function(PYTHON_RETRIEVABILITY, 3, retrievability, deterministic=True)
    record.info["recall_functions"] = True


class StoreBase:
    """The engine, and sessions on it, that every part of the :class:`Store` uses."""

    def __init__(self, opened: OpenedDatabase | Engine, location: DatabaseLocation | Path) -> None:
        if not isinstance(opened, OpenedDatabase):
            opened = OpenedDatabase(opened)
        self.engine = opened.engine
        self.location = DatabaseLocation.of(location)
        """Where the collection is: a SQLite file or a PostgreSQL database."""
        self.path = self.location.local_path
        """The SQLite file; for a collection on a server, the name in the user data folder
        that this machine's files of it (media) are kept beside."""
        self.backup = opened.backup
        """The copy taken before this open upgraded the database, if it did."""
        self.read_only = opened.read_only
        """The database or its folder cannot be written."""
        self.created = opened.created
        """This open created the collection."""
        self._opened = opened
        if self.dialect == SQLITE and not event.contains(self.engine, "checkout", _sql_functions):
            event.listen(self.engine, "checkout", _sql_functions)

    @property
    def dialect(self) -> Name:
        """Which SQL the database speaks, by SQLAlchemy's name (``"sqlite"``,
        ``"postgresql"``): the ``name`` every function of :mod:`recall1924.store.dialect`
        takes."""
        return dialect_of(self.engine)

    @cached_property
    def has_power(self) -> bool:
        """Whether the database's SQL has ``power`` (PostgreSQL always; SQLite only when built
        with its math functions): the forgetting curve is then SQL, else the Python function
        registered on each connection (:mod:`recall1924.store.dialect` ``retrievability``)."""
        from sqlalchemy.exc import OperationalError

        if self.dialect == "postgresql":
            return True
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT power(2.0, 0.5)"))
        except OperationalError:
            return False
        return True

    def close(self) -> None:
        self._opened.close()

    def check_same_file(self) -> None:
        """Make sure the file at :attr:`path` is still the one this store opened.

        Raises:
            DatabaseReplacedError: it was deleted, moved away or replaced by another file
                (a backup restored by hand, a sync tool): nothing more may be written, since
                it would go to the old file, not the one at the path.
        """
        if self._opened.identity is None:
            return
        now = file_identity(self.path)
        if now == self._opened.identity:
            return
        what = "deleted or moved away" if now is None else "replaced by another file"
        # Close now: SQLite then moves this file's write-ahead log into it and removes the log
        # from the path, where it would otherwise be read as the new file's and damage it.
        self.engine.dispose()
        self._opened.identity = None
        raise DatabaseReplacedError(
            f"{self.path} was {what} while recall had it open; nothing more was saved"
        )

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session for one write; a database another process holds past the busy timeout
        is :class:`DatabaseBusyError`, so a caller can wait and try again."""
        # Any driver error, not only OperationalError: PostgreSQL's read-only transaction is
        # psycopg's InternalError.
        from sqlalchemy.exc import DBAPIError

        self.check_same_file()
        try:
            with self._session() as session:
                yield session
        except DBAPIError as exc:
            refused = refusal(exc)
            if refused == "busy":
                raise DatabaseBusyError("the database is busy in another recall") from exc
            if refused == "readonly":
                raise self.read_only_error("cannot save there") from None
            raise
        # A file swapped in while this write ran: the write went to the old one.
        self.check_same_file()

    def read_only_error(self, consequence: str) -> ReadOnlyDatabaseError:
        """The one-line error for a write to a database that cannot be written."""
        return ReadOnlyDatabaseError.at(self.location, consequence)

    def check_writable(self) -> None:
        """Make sure answers can be saved, before a session shows its first card.

        Raises:
            DatabaseError: if the database (or its folder) is read-only.
        """
        from sqlalchemy.exc import OperationalError

        if self.read_only:
            raise self.read_only_error("cannot save answers there")
        if not self.location.is_sqlite:
            self._check_server_writable()
            return
        try:
            with self.engine.connect() as connection:
                # Only a real write finds a read-only file; this one is rolled back.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql("CREATE TABLE recall_write_check (x)")
                connection.exec_driver_sql("ROLLBACK")
        except OperationalError as exc:
            refused = refusal(exc)
            if refused == "readonly":
                raise self.read_only_error("cannot save answers there") from None
            if refused != "busy":
                raise

    def _check_server_writable(self) -> None:
        """On PostgreSQL: the session may write (not a standby, not a read-only default) and
        this role may save answers and change cards."""
        from sqlalchemy import text

        with self.engine.connect() as connection:
            writable = connection.execute(
                text(
                    "SELECT current_setting('transaction_read_only') = 'off' "
                    "AND has_table_privilege('review_log', 'INSERT') "
                    "AND has_table_privilege('card', 'UPDATE')"
                )
            ).scalar()
        if not writable:
            raise self.read_only_error("cannot save answers there")


def sql_time(moment: datetime) -> str:
    """``moment`` in the text form UTCDateTime stores, for raw SQL comparisons and julianday():
    the very same text, so that equal times compare equal."""
    return _stored_time(moment)


def stored_moment(stored: str | datetime) -> datetime:
    """A time as raw SQL hands it back (the naive UTC time UTCDateTime stores, which an
    aggregate or a driver cursor does not convert), timezone-aware: :func:`sql_time` undone.

    sqlite3 hands back text: parsing it with its offset is ten times cheaper than the column
    type's parser or ``.replace(tzinfo=UTC)``, which shows over a whole collection. psycopg
    hands back a naive ``datetime`` (a ``timestamp`` column), which only needs its zone.
    """
    if isinstance(stored, str):
        return datetime.fromisoformat(stored + "+00:00")
    return stored.replace(tzinfo=UTC)


CONTENT_COLUMNS = (
    col(Card.id),
    col(Card.key),
    col(Card.section_id),
    col(Card.position),
    col(Card.question),
    col(Card.answer),
    col(Card.note),
    col(Card.tags),
)

MEMORY_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")


_MEMORY_NAMES = {
    suffix: tuple(f"{name}{suffix}" for name in MEMORY_FIELDS)
    for suffix in ("", "_before", "_after")
}


def memory_columns(memory: MemoryState, suffix: str = "") -> dict[str, Any]:
    """A memory state as the columns of a card (no suffix) or of a review log's side."""
    state, step, stability, difficulty, due, last_review = _MEMORY_NAMES[suffix]
    return {
        state: int(memory.state),
        step: memory.step,
        stability: memory.stability,
        difficulty: memory.difficulty,
        due: memory.due,
        last_review: memory.last_review,
    }


def memory_of(row: Any, suffix: str = "") -> MemoryState:
    """The memory state kept in a card's columns (a row or a Card), or in one side of a review
    log."""
    values = {name: getattr(row, f"{name}{suffix}") for name in MEMORY_FIELDS}
    values["state"] = State(values["state"])
    return MemoryState(**values)


STATES = {int(state): state for state in State}
"""Each state by its stored number: ``State(n)`` goes through ``Enum.__call__`` (about 2 µs),
and rows come by the thousand."""


def memory_to_raw(
    memory: MemoryState, time: Callable[[datetime], Any] = sql_time
) -> tuple[Any, ...]:
    """A memory state as a card's six columns (:data:`MEMORY_FIELDS`, in order) take it in a
    driver-level write, its times as ``time`` writes them: the one text form of a card's
    (:func:`sql_time`)."""
    last_review = memory.last_review
    return (
        int(memory.state),
        memory.step,
        memory.stability,
        memory.difficulty,
        time(memory.due),
        None if last_review is None else time(last_review),
    )


def logged_memory_to_raw(memory: MemoryState) -> tuple[Any, ...]:
    """A memory state as one side of a review_log row takes it in a driver-level write: as
    :func:`memory_to_raw`, with the times as :class:`~recall1924.db.UTCMillis` integers. Not
    through a cache: a writer of a history hands an answer's "after" on as the next one's
    "before" itself, and a rewrite of every answer would fill one for nothing."""
    return memory_to_raw(memory, to_millis)


def memory_from_raw(
    values: Sequence[Any], time: Callable[[Any], datetime] = stored_moment
) -> MemoryState:
    """Six memory columns as raw SQL hands them back, in :data:`MEMORY_FIELDS`' order, their
    times read by ``time`` (a card's stored times by default; a reader of many answers may
    pass one that parses each distinct time once): :func:`memory_to_raw` undone."""
    state, step, stability, difficulty, due, last_review = values
    return MemoryState(
        STATES[state],
        step,
        stability,
        difficulty,
        time(due),
        None if last_review is None else time(last_review),
    )


def set_memory(card: Card, memory: MemoryState) -> None:
    for column, value in memory_columns(memory).items():
        setattr(card, column, value)
