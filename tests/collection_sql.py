"""Plain SQL on the test's collection, whichever store it is in, for tests that set up or look
at rows the commands under test do not expose.

:func:`connect` opens the collection the test's commands open: given the test's SQLite file
(``db_path``, which ``RECALL_DB`` names), it is that file, unless ``RECALL_DATABASE_URL`` names
a server (the server pass of the suite sets it, and it wins over ``RECALL_DB`` for the
commands too); any other file or URL is itself. It returns a DB-API connection that runs the
same statements on both: ``?`` placeholders (translated to psycopg's ``%s``), committed when
the ``with`` block ends without an error, closed after it. Rows come back as sqlite3 gives them
on both (times as the stored text, booleans as 0 or 1, JSON as text; an answer's times are
integers on both), so rows of two collections on different stores compare; :func:`moment`
reads a stored time.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recall1924.db import from_millis
from recall1924.location import DatabaseLocation


def _as_sqlite_gives(value: Any) -> Any:
    """A value psycopg gives as the sqlite3 module gives the same stored value: a time as the
    text recall stores (see ``recall1924.store.base.time_text``), a boolean as 0 or 1, JSON as
    its text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


class _Rows:
    """psycopg's cursor, its rows as sqlite3 gives them."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def _row(self, row: Any) -> Any:
        if row is None:
            return None
        if isinstance(row, dict):
            return {name: _as_sqlite_gives(value) for name, value in row.items()}
        return tuple(_as_sqlite_gives(value) for value in row)

    def fetchone(self) -> Any:
        return self._row(self._cursor.fetchone())

    def fetchall(self) -> list[Any]:
        return [self._row(row) for row in self._cursor.fetchall()]

    def __iter__(self) -> Iterator[Any]:
        return (self._row(row) for row in self._cursor)

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)


class _ServerConnection:
    """psycopg's connection, taking the ``?`` placeholders the tests write for SQLite and
    giving rows as sqlite3 would."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> _Rows:
        return _Rows(self._connection.execute(statement.replace("?", "%s"), tuple(parameters)))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(statement.replace("?", "%s"), [tuple(row) for row in rows])

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


def location(given: str | Path) -> str | Path:
    """The collection the test's commands open (see :func:`connect`): for the test's SQLite
    file (``RECALL_DB``), the server's URL on the server pass; any other file (a second
    collection, an Anki package's) as it is. A test opening a
    ``Store`` or an ``App`` itself passes this, so that it opens what the commands open."""
    own = os.environ.get("RECALL_DB")
    if isinstance(given, Path) and own is not None and given == Path(own):
        return os.environ.get("RECALL_DATABASE_URL") or given
    return given


@contextmanager
def connect(given: str | Path, *, dicts: bool = False) -> Iterator[Any]:
    """A connection to the collection at ``given``, committed and closed at the end;
    ``dicts``: rows that map column names to values (``sqlite3.Row``, psycopg's dict rows)."""
    where = DatabaseLocation.of(location(given))
    if where.path is not None:
        connection = sqlite3.connect(where.path)
        if dicts:
            connection.row_factory = sqlite3.Row
        try:
            with connection:
                yield connection
        finally:
            connection.close()
        return
    import psycopg
    from psycopg.rows import dict_row

    # libpq reads the same URL without SQLAlchemy's driver name.
    with psycopg.connect(
        where.url.replace("+psycopg", "", 1), **({"row_factory": dict_row} if dicts else {})
    ) as server:
        yield _ServerConnection(server)


def media_folder(given: str | Path) -> Path:
    """The media folder of the collection :func:`connect` opens (a server's is kept on this
    machine, in the user data folder)."""
    from recall1924.media import media_folder as folder_of

    return folder_of(DatabaseLocation.of(location(given)).local_path)


def moment(stored: str | datetime | int) -> datetime:
    """A stored time as an aware UTC datetime, from either driver: a card's (text, a
    ``timestamp``) or an answer's (integer milliseconds, ``UTCMillis``)."""
    if isinstance(stored, int):
        return from_millis(stored)
    if isinstance(stored, str):
        stored = datetime.fromisoformat(stored)
    return stored if stored.tzinfo else stored.replace(tzinfo=UTC)
