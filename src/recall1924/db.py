"""The database file: engine, UTC datetime column type, and migrations.

Holds :class:`UTCDateTime`, :func:`open_database` (migrate if needed, then an engine with WAL,
foreign keys and a busy timeout) and :data:`HEAD_REVISION`. An up-to-date database is
recognised with one query through :mod:`sqlite3`, so the common path never imports Alembic; an
older one is backed up (:mod:`recall1924.backups`) and then upgraded in one transaction, under
the collection's exclusive lock (:mod:`recall1924.locking`); one from a newer recall is refused
and left untouched. A database in a folder recall cannot write to opens read-only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.types import TypeDecorator

from recall1924.backups import sqlite_uri
from recall1924.errors import (
    CollectionInUseError,
    DatabaseError,
    NewerDatabaseError,
    ReadOnlyDatabaseError,
    RecallError,
)
from recall1924.locking import WAIT_SECONDS, CollectionLock
from recall1924.paths import migrations_path
from recall1924.scheduling import retrievability

# The newest migration in migrations/versions; tests check that Alembic agrees.
HEAD_REVISION = "0005"

BUSY_TIMEOUT_MS = 5000


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as naive UTC text that SQLite's date functions read."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def refusal(error: BaseException) -> str | None:
    """What SQLite's refusal of a statement means: ``"busy"`` (another connection holds the
    lock past the busy timeout), ``"readonly"`` (the file or its folder cannot be written),
    ``"full"`` (the disk), ``"io"`` (the disk failed, or filled mid-write), or None for
    anything else. Told from the driver's message, the only
    place SQLite says it: the one function that reads those words."""
    text = str(getattr(error, "orig", None) or error)
    if "locked" in text or "busy" in text:
        return "busy"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    if "full" in text:
        return "full"
    if "disk I/O" in text:
        return "io"
    return None


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
    """Whether the file holds any table, and the Alembic revision it records."""
    uri = sqlite_uri(path, "ro") if writable else _read_only_uri(path)
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
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
    dbapi_connection.create_function("fsrs_retrievability", 3, retrievability, deterministic=True)


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    dbapi_connection.create_function("fsrs_retrievability", 3, retrievability, deterministic=True)


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
    path: Path, now: datetime, *, setup: Callable[[Engine], None] | None = None
) -> OpenedDatabase:
    """Open (creating or upgrading as needed) the database at ``path``.

    Creating and upgrading happen under the collection's exclusive lock: of two recalls
    started together on a new machine, one creates the collection and the other waits and
    then opens it.

    Args:
        path: the SQLite file; its folder is created if missing.
        now: used to name the backup taken before an upgrade.
        setup: run on a collection this open created, before any other recall sees it (the
            first import of the bundled deck).

    Raises:
        NewerDatabaseError: the file was written by a newer recall; it is not touched.
        ReadOnlyDatabaseError: it needs creating or upgrading, and its folder is read-only.
        DatabaseError: the file is not a recall database or cannot be opened.
    """
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


def _check_known(path: Path, has_tables: bool, revision: str | None) -> None:
    if has_tables and revision is None:
        raise DatabaseError(f"{path} is not a recall database; refusing to change it")
    if revision is not None and revision not in known_revisions():
        raise NewerDatabaseError(
            f"{path} was written by a newer recall (schema {revision}); "
            "upgrade recall to use it. The file was not changed."
        )


def _prepare(path: Path, now: datetime, setup: Callable[[Engine], None] | None) -> OpenedDatabase:
    """Create or upgrade the database; the caller holds the exclusive lock."""
    from recall1924.backups import take_backup

    existed = path.exists() and path.stat().st_size > 0
    has_tables, revision = _stored_revision(path) if existed else (False, None)
    if revision == HEAD_REVISION:  # another recall did it while this one waited
        return OpenedDatabase(make_engine(path), identity=file_identity(path))
    _check_known(path, has_tables, revision)
    saved = take_backup(path, now) if has_tables else None
    engine = make_engine(path)
    try:
        upgrade(engine)
        if not has_tables and setup is not None:
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
