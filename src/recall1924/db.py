"""The database: engine, UTC datetime column types, and migrations, on SQLite or PostgreSQL.

Holds :class:`UTCDateTime` (a time as text, a ``timestamp`` on PostgreSQL) and
:class:`UTCMillis` (an answer's time as integer milliseconds), :func:`open_database` (migrate
if needed, then an engine) and :data:`HEAD_REVISION`. Where the collection is comes as a
:class:`~recall1924.location.DatabaseLocation`.

A SQLite file gets WAL, foreign keys and a busy timeout. An up-to-date file is recognised with
one query through :mod:`sqlite3`, so the common path never imports Alembic; an older one is
backed up (:mod:`recall1924.backups`) and then upgraded in one transaction, under the
collection's exclusive lock (:mod:`recall1924.locking`); one from a newer recall is refused and
left untouched. A database in a folder recall cannot write to opens read-only.

A new collection is not made by replaying every migration (Alembic's import and each schema
change in turn: an eighth of a second of CPU in every first command) but from the head
revision's schema snapshot (:mod:`recall1924.schema`), in one transaction, stamped with that
revision in ``alembic_version`` as Alembic would; ``tests/test_schema_snapshot.py`` keeps the
two equal.

A PostgreSQL database is upgraded the same way, in one transaction, under a PostgreSQL
advisory lock instead of the file lock; the server keeps its own backups (pg_dump), so none is
taken. A server that cannot be reached, or a missing driver, is one line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, create_engine, event
from sqlalchemy.types import TypeDecorator

from recall1924 import schema
from recall1924.backups import sqlite_uri
from recall1924.clock import whole_milliseconds
from recall1924.errors import (
    CollectionInUseError,
    DamagedDatabaseError,
    DatabaseBusyError,
    DatabaseError,
    NewerDatabaseError,
    ReadOnlyDatabaseError,
    RecallError,
    UnreachableDatabaseError,
)
from recall1924.location import DatabaseLocation
from recall1924.locking import WAIT_SECONDS, CollectionLock, ServerLock
from recall1924.paths import migrations_path

# The newest migration in migrations/versions; tests check that Alembic agrees.
HEAD_REVISION = "0012"

BUSY_TIMEOUT_MS = 5000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def to_millis(moment: datetime) -> int:
    """``moment`` (timezone-aware) as whole milliseconds since the Unix epoch, rounded down:
    :class:`UTCMillis`' stored integer. Exact (no float)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (moment - EPOCH) // _MILLISECOND


def from_millis(stored: int) -> datetime:
    """:func:`to_millis` undone: the timezone-aware UTC time ``stored`` milliseconds after the
    epoch. Exact (no float)."""
    return EPOCH + timedelta(milliseconds=stored)


class UTCMillis(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime stored as an integer, milliseconds since the Unix epoch
    (:func:`to_millis`), on both databases: the answers' five times (``review_log``), which a
    million answers store five million of. A 6-byte integer where the text took 27 bytes,
    compared and subtracted as integers, so a difference of two is the same SQL everywhere
    (:mod:`recall1924.store.dialect`)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> int | None:
        return None if value is None else to_millis(value)

    def process_result_value(self, value: int | None, dialect: Any) -> datetime | None:
        return None if value is None else from_millis(value)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as naive UTC text that SQLite's date functions read
    (a ``timestamp`` on PostgreSQL), to the millisecond (:func:`whole_milliseconds`), as
    :class:`UTCMillis` stores the answers' times."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return whole_milliseconds(value.astimezone(UTC).replace(tzinfo=None))

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def refusal(error: BaseException) -> str | None:
    """What a database's refusal of a statement means: ``"busy"``, ``"readonly"``, ``"full"``,
    ``"io"``, ``"damaged"`` or None; told from the driver's error code by the dialect seam
    (:func:`recall1924.store.dialect.refusal`)."""
    # Imported here: the store package imports this module.
    from recall1924.store.dialect import refusal as told

    return told(error)


def _sqlite_error(path: Path, exc: sqlite3.Error | OSError) -> DatabaseError:
    """One line for SQLite (or the file system) refusing ``path``, in the user's terms."""
    text = str(exc)
    folder = path.parent
    with contextlib.suppress(OSError):
        if shutil.disk_usage(folder).free < 1 << 20:
            return DatabaseError(f"the disk holding {path} is full: free some space and try again")
    if not _writable(path) and ("unable to open" in text or "readonly" in text):
        return ReadOnlyDatabaseError(
            f"{path} cannot be opened: its folder {folder} is read-only and the database's "
            "journal files are missing (copy the folder somewhere writable and use --db)"
        )
    if isinstance(exc, sqlite3.Error) and refusal(exc) == "busy":
        # Another recall writes it through the rollback journal (a first import into an
        # empty collection, store.decks) and holds it past the busy timeout: nothing is wrong.
        return DatabaseBusyError(
            f"{path} is busy: another recall is writing it (a first import); "
            "try again when that is done"
        )
    if isinstance(exc, sqlite3.Error) and refusal(exc) == "damaged":
        return DamagedDatabaseError.at(path, text)
    return DatabaseError(f"{path} is not a usable SQLite database ({text})")


def _writable(path: Path) -> bool:
    """Whether recall could change the database at ``path`` (its folder must take new files:
    SQLite writes its journal beside the database)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # a folder still to be made: its first existing ancestor
    if not os.access(folder, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _read_only_uri(path: Path) -> str:
    # With no write-ahead log beside it, nothing can have changed the file since it was
    # closed and nobody can write to the folder: SQLite may read it without its -shm file.
    wal = path.with_name(f"{path.name}-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    return sqlite_uri(path, "ro", immutable=not has_log)


def _stored_revision(path: Path, *, writable: bool = True) -> tuple[bool, str | None]:
    """Whether the file holds any table, and the Alembic revision it records.

    A file recall may write is read through a connection that may write it too: a recall
    killed in the middle of a write through the rollback journal (a first import) leaves that
    journal beside the file, and the next connection to read the file must first put back the
    pages it holds, which a read-only one cannot do ("attempt to write a readonly database",
    on every command until something else opened the file).
    """
    uri = sqlite_uri(path, "rw") if writable else _read_only_uri(path)
    try:
        timeout = BUSY_TIMEOUT_MS / 1000
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=timeout)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                return bool(tables), None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(path, exc) from None
    return True, row[0] if row else None


def _alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    config.attributes["connection"] = connection
    return config


def known_revisions() -> set[str]:
    """Every revision in migrations/versions."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _on_connect_read_only(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _journal_to_wal(dbapi_connection)
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


_RETRY_SECONDS = 0.01


def _journal_to_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode, waiting as the busy timeout does for another recall that
    writes it through the rollback journal (a first import into an empty collection,
    ``store.decks``: it puts WAL back when done).

    SQLite does not wait there itself: the change needs the file to itself, and a connection
    that holds a read lock while another holds the write lock would wait for a writer that
    waits for it, so SQLite answers at once that the database is locked, busy handler or not.
    Two recalls started together on a new collection (``recall`` and ``recall import``) met
    it, one in some tens under load.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if refusal(exc) != "busy" or time.monotonic() >= deadline:
                raise
        time.sleep(_RETRY_SECONDS)


def make_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine for the SQLite file at ``path`` (no migration); ``read_only`` for a database
    in a folder recall cannot write to."""
    if read_only:
        engine = create_engine(
            f"sqlite:///{_read_only_uri(path)}&uri=true",
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _on_connect_read_only)
        return engine
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_connect)
    return engine


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run every pending migration (up to ``target``) on ``engine``'s database, all or nothing.

    As SQLite's own procedure for changing a table's schema asks: foreign keys are off while
    tables are rebuilt (with them on, dropping the old copy of a table would cascade and
    delete every row that refers to it), checked with ``foreign_key_check`` before the commit,
    and on again after. ``BEGIN IMMEDIATE`` makes the whole upgrade one transaction.
    """
    from alembic import command

    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(_alembic_config(connection), target)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                tables = sorted({row[0] for row in broken})
                raise DatabaseError(
                    f"the upgrade would leave {len(broken)} rows pointing nowhere "
                    f"(in {', '.join(tables)}); nothing was changed"
                )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _current_snapshot(dialect: schema.Dialect) -> schema.Snapshot | None:
    """The schema snapshot a new collection is made from, or None while it is behind the
    migrations (one was added and the snapshot not yet written again: the tests say so)."""
    snapshot = schema.load(dialect)
    return snapshot if snapshot.revision == HEAD_REVISION else None


def _run_snapshot(connection: Any, snapshot: schema.Snapshot) -> None:
    """Make the snapshot's schema on ``connection``, in its open transaction, and stamp its
    revision as Alembic does (its one row in ``alembic_version``, which the snapshot makes)."""
    for statement in snapshot.statements:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(
        f"INSERT INTO alembic_version (version_num) VALUES ('{snapshot.revision}')"
    )


def create(engine: Engine) -> None:
    """Make the newest schema in the empty SQLite database of ``engine``, all or nothing: from
    the snapshot in one ``BEGIN IMMEDIATE`` transaction, without importing Alembic; by the
    migrations (:func:`upgrade`) while the snapshot is behind them."""
    snapshot = _current_snapshot(schema.SQLITE)
    if snapshot is None:
        upgrade(engine)
        return
    with engine.connect() as connection:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            _run_snapshot(connection, snapshot)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


@dataclass
class OpenedDatabase:
    """A database ready to use, and what opening it did."""

    engine: Engine
    backup: Path | None = None
    """The copy taken before this open upgraded the database, if it did."""
    read_only: bool = False
    """The database or its folder cannot be written: commands can read, not change it."""
    created: bool = False
    """This open created the collection (and ran ``setup`` on it)."""
    lock: CollectionLock | None = None
    """Held shared while the database is open."""
    identity: tuple[int, int] | None = None
    """The file's device and inode when opened: a different file at the path later means it
    was replaced, moved or deleted."""

    def close(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def file_identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of the file at ``path`` (None if there is none)."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def open_database(
    location: DatabaseLocation | Path,
    now: datetime,
    *,
    setup: Callable[[Engine], None] | None = None,
) -> OpenedDatabase:
    """Open (creating or upgrading as needed) the collection at ``location``.

    Creating and upgrading happen under the collection's exclusive lock: of two recalls
    started together on a new machine, one creates the collection and the other waits and
    then opens it.

    Args:
        location: the store; a :class:`Path` is a SQLite file, whose folder is created if
            missing.
        now: used to name the backup taken before a SQLite file is upgraded.
        setup: run on a collection this open created, before any other recall sees it (the
            first import of the bundled deck).

    Raises:
        NewerDatabaseError: the database was written by a newer recall; it is not touched.
        ReadOnlyDatabaseError: it needs creating or upgrading, and its folder is read-only.
        UnreachableDatabaseError: the PostgreSQL server did not answer or refused the login.
        DatabaseError: the database is not recall's, cannot be opened, or needs a driver
            that is not installed.
    """
    location = DatabaseLocation.of(location)
    if location.path is None:
        return _open_server(location, setup)
    path = location.path
    if not _writable(path):
        return _open_read_only(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from None
    lock = CollectionLock(path)
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            lock.share()
            if _ready(path):
                return OpenedDatabase(make_engine(path), lock=lock, identity=file_identity(path))
            lock.release()
            try:
                lock.own(wait=0)
            except CollectionInUseError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            opened = _prepare(path, now, setup)
            lock.share()
            opened.lock = lock
            return opened
    except BaseException:
        lock.release()
        raise


def _ready(path: Path) -> bool:
    """Whether the database at ``path`` exists at the newest schema (one quick query)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    has_tables, revision = _stored_revision(path)
    if revision == HEAD_REVISION:
        return True
    _check_known(path, has_tables, revision)
    return False


def _check_known(
    where: object, has_tables: bool, revision: str | None, *, kind: str = "file"
) -> None:
    """Refuse a database recall did not write (it has tables, but no revision) or one a
    newer recall wrote; ``kind`` is what the message calls it."""
    if has_tables and revision is None:
        raise DatabaseError(f"{where} is not a recall database; refusing to change it")
    if revision is not None and revision not in known_revisions():
        raise NewerDatabaseError(
            f"{where} was written by a newer recall (schema {revision}); "
            f"upgrade recall to use it. The {kind} was not changed."
        )


LARGE_UPGRADE_BYTES = 64 << 20
"""A file this big is told, before its upgrade starts, that the upgrade takes a while."""


def _prepare(path: Path, now: datetime, setup: Callable[[Engine], None] | None) -> OpenedDatabase:
    """Create or upgrade the database; the caller holds the exclusive lock."""
    from recall1924.backups import take_backup

    existed = path.exists() and path.stat().st_size > 0
    has_tables, revision = _stored_revision(path) if existed else (False, None)
    if revision == HEAD_REVISION:  # another recall did it while this one waited
        return OpenedDatabase(make_engine(path), identity=file_identity(path))
    _check_known(path, has_tables, revision)
    saved = take_backup(path, now) if has_tables else None
    if has_tables and path.stat().st_size >= LARGE_UPGRADE_BYTES:
        # Said before, not after: a million answers take a minute to convert, in silence.
        print(
            f"recall: upgrading {path} to this version's layout ({path.stat().st_size >> 20} MB; "
            "a large collection takes a minute or two, once)",
            file=sys.stderr,
            flush=True,
        )
    engine = make_engine(path)
    try:
        if has_tables:
            upgrade(engine)
            _reclaim(path)
        else:
            create(engine)
            if setup is not None:
                setup(engine)
    except RecallError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"could not prepare {path}: {exc}") from exc
    return OpenedDatabase(
        engine, backup=saved, created=not has_tables, identity=file_identity(path)
    )


def _reclaim(path: Path) -> None:
    """Give the disk back what an upgrade freed, when that is a quarter of the file or more
    (0009 stores each answer in a third of the bytes: a million answers leave 300 MB free
    inside the file). ``VACUUM`` rewrites the file, needing as much free disk again for a
    moment; if it cannot, the space stays free inside the file for the answers to come, and
    nothing is lost."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        free, pages = (
            connection.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("freelist_count", "page_count")
        )
        if pages and free * 4 >= pages:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("VACUUM")


def _open_read_only(path: Path) -> OpenedDatabase:
    if not path.exists():
        raise ReadOnlyDatabaseError(
            f"cannot create {path}: its folder {path.parent} is read-only "
            "(use --db or RECALL_DB to put the collection somewhere writable)"
        )
    has_tables, revision = _stored_revision(path, writable=False)
    if revision != HEAD_REVISION:
        _check_known(path, has_tables, revision)
        raise ReadOnlyDatabaseError(
            f"{path} needs upgrading to this recall's layout, but it or its folder is "
            "read-only; make it writable and run recall again"
        )
    return OpenedDatabase(
        make_engine(path, read_only=True), read_only=True, identity=file_identity(path)
    )


# PostgreSQL
# ---------------------------------------------------------------------------------------------

CONNECT_TIMEOUT_SECONDS = 10
"""How long opening waits for a server to answer before saying it cannot reach it."""

SESSION_SETTINGS = (
    ("jit", "off"),
    ("max_parallel_workers_per_gather", "0"),
    ("random_page_cost", "1.1"),
)
"""The planner settings each of recall's connections to a server takes, in place of the
server's defaults, which are made for long queries on data read from disk; recall's are one
pass over a collection's cards (tens of ms at 100,000 cards), from a command that is over in
half a second, on data the server has in memory. Measured at 100,000 cards on PostgreSQL 15
(benchmarks/README.md):

- ``jit``: compiling a statement costs 30 ms without optimisation and 300 ms with it (a pass
  over the cards forced to compile); the server compiles any statement its planner costs
  over 100,000, which a pass over about half a million cards is.
- ``max_parallel_workers_per_gather``: each parallel statement starts two worker processes,
  which cost more than they save: the glance's passes took 50 + 26 ms with them and 30 +
  15 ms without, on a two-core server (and 30 ms of the server's CPU less).
- ``random_page_cost``: 1.1, PostgreSQL's own advice for data in memory or on SSD, rather
  than 4, made for disks that seek: with 4 the learning cards of a review's start (5,000 of
  103,000) were found by reading every card (45 ms) rather than through an index (15 ms).
"""


def make_server_engine(location: DatabaseLocation) -> Engine:
    """An engine for the PostgreSQL database at ``location`` (no connection yet, no migration).

    Raises:
        DatabaseError: psycopg, the driver, is not installed.
    """
    try:
        import psycopg  # noqa: F401 - only to say what to install; SQLAlchemy imports it
    except ImportError:
        raise DatabaseError(
            f"{location} is a PostgreSQL database, and recall needs the psycopg driver for it: "
            "pip install 'recall1924[postgres]'"
        ) from None
    from sqlalchemy.engine import make_url

    url = make_url(location.url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # No hstore column anywhere: its type's look-up on the first connection (a catalog query
    # in a savepoint, 1.6 ms of every command) is skipped.
    engine = create_engine(url, connect_args=connect_args, use_native_hstore=False)
    event.listen(engine, "connect", _on_server_connect)
    # Imported here: the models import this module.
    from recall1924.models import add_server_index_options

    add_server_index_options()  # the tables as the server's migrations made them
    return engine


_SET_SESSION = "; ".join(f"SET {name} = {value}" for name, value in SESSION_SETTINGS)


def _on_server_connect(dbapi_connection: Any, _record: Any) -> None:
    """:data:`SESSION_SETTINGS` on a new connection, in one round trip, committed: a ``SET``
    in a transaction rolled back (as the pool rolls back each connection it takes back) would
    be undone with it."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_SET_SESSION)
    dbapi_connection.commit()


def _reach(engine: Engine, location: DatabaseLocation) -> Any:
    """A connection to the server, or the one line saying why there is none."""
    from sqlalchemy.exc import DBAPIError

    try:
        return engine.connect()
    except DBAPIError as exc:
        lines = str(exc.orig or exc).strip().splitlines() or [type(exc).__name__]
        reason = " ".join(lines[0].split())  # libpq pads "FATAL:  ..."
        for prefix in ("connection failed: ", "connection is bad: "):
            reason = reason.removeprefix(prefix)
        if "does not exist" in reason and "database" in reason:
            reason += " (create it first: createdb, or CREATE DATABASE)"
        raise UnreachableDatabaseError(
            f"cannot reach the database at {location}: {reason}"
        ) from None


def server_revision(connection: Any) -> tuple[bool, str | None]:
    """Whether the connection's schema holds any table, and the Alembic revision it records
    (what :func:`_stored_revision` reads from a SQLite file)."""
    from sqlalchemy import text

    tables = set(
        connection.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ).scalars()
    )
    if "alembic_version" not in tables:
        return bool(tables), None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return True, revision


def server_schema(location: DatabaseLocation) -> tuple[bool, str | None]:
    """:func:`server_revision` of the PostgreSQL database at ``location``, read without
    creating, upgrading or locking anything: for what must not create a collection in an empty
    database (a dry run, doctor).

    Raises:
        UnreachableDatabaseError: the server did not answer or refused the login.
        DatabaseError: psycopg is not installed.
    """
    engine = make_server_engine(location)
    try:
        with _reach(engine, location) as connection:
            return server_revision(connection)
    finally:
        engine.dispose()


def _open_server(
    location: DatabaseLocation, setup: Callable[[Engine], None] | None
) -> OpenedDatabase:
    """Open the PostgreSQL database at ``location``, creating or upgrading its schema first.

    The common case, a schema at head, is a few quick statements under the advisory lock
    held shared. Otherwise the upgrade runs under that lock held exclusively, in one
    transaction (PostgreSQL changes a schema transactionally: all of it or none), and
    ``setup`` fills a collection this open created while the lock is still held, so a second
    recall started at the same moment waits and then finds the bundled deck imported once.
    """
    engine = make_server_engine(location)
    try:
        with _reach(engine, location) as connection:
            with ServerLock(connection, str(location)) as lock:
                lock.share()  # a recall preparing the schema is done first
                has_tables, revision = server_revision(connection)
            if revision == HEAD_REVISION:
                return OpenedDatabase(engine)
            _check_known(location, has_tables, revision, kind="database")
            created = _prepare_server(connection, location, setup, engine)
        return OpenedDatabase(engine, created=created)
    except BaseException:
        engine.dispose()
        raise


def _prepare_server(
    connection: Any,
    location: DatabaseLocation,
    setup: Callable[[Engine], None] | None,
    engine: Engine,
) -> bool:
    """Upgrade the schema to head under the advisory lock; whether this created it. An empty
    schema is made from the snapshot (:func:`create` on SQLite), an older one by the
    migrations."""
    with ServerLock(connection, str(location)) as lock:
        lock.own()
        has_tables, revision = server_revision(connection)
        if revision == HEAD_REVISION:  # another recall did it while this one waited
            connection.commit()
            return False
        _check_known(location, has_tables, revision, kind="database")
        snapshot = None if has_tables else _current_snapshot(schema.POSTGRESQL)
        try:
            if snapshot is not None:
                _run_snapshot(connection, snapshot)
            else:
                from alembic import command

                command.upgrade(_alembic_config(connection), "head")
            connection.commit()
        except BaseException as exc:
            connection.rollback()
            if isinstance(exc, RecallError) or not isinstance(exc, Exception):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise DatabaseError(
                f"could not prepare {location}: {reason[0] if reason else type(exc).__name__}"
            ) from exc
        if not has_tables and setup is not None:
            setup(engine)
        return not has_tables
