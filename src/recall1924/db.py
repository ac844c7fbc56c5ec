"""The database file: engine, UTC datetime column type, and migrations.

Holds :class:`UTCDateTime`, :func:`open_database` (migrate if needed, then an engine with WAL,
foreign keys and a busy timeout) and :data:`HEAD_REVISION`. An up-to-date database is
recognised with one query through :mod:`sqlite3`, so the common path never imports Alembic; an
older one is backed up next to itself and then upgraded; one from a newer recall is refused
and left untouched.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.types import TypeDecorator

from recall1924.errors import DatabaseError, NewerDatabaseError
from recall1924.paths import migrations_path
from recall1924.scheduling import retrievability

# The newest migration in migrations/versions; tests check that Alembic agrees.
HEAD_REVISION = "0003"

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


def _stored_revision(path: Path) -> tuple[bool, str | None]:
    """Whether the file holds any table, and the Alembic revision it records."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                return bool(tables), None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc})") from None
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


KEEP_BACKUPS = 5


def backup(path: Path, now: datetime) -> Path:
    """Copy the database (with whatever its WAL holds) to a timestamped file beside it, and
    delete all but the newest :data:`KEEP_BACKUPS` such copies."""
    target = path.with_name(f"{path.name}.{now.strftime('%Y%m%dT%H%M%SZ')}.bak")
    with sqlite3.connect(path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    copies = sorted(path.parent.glob(f"{path.name}.*.bak"), key=lambda copy: copy.name)
    for old in copies[:-KEEP_BACKUPS]:
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    dbapi_connection.create_function("fsrs_retrievability", 3, retrievability, deterministic=True)


def make_engine(path: Path) -> Engine:
    """An engine for the SQLite file at ``path`` (no migration)."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_connect)
    return engine


def upgrade(engine: Engine) -> None:
    """Run every pending migration on ``engine``'s database."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


def open_database(path: Path, now: datetime) -> tuple[Engine, Path | None]:
    """Open (creating or upgrading as needed) the database at ``path``.

    Args:
        path: the SQLite file; its folder is created if missing.
        now: used to name the backup taken before an upgrade.

    Returns:
        The engine, and the backup made before upgrading (None when no upgrade was needed or
        the database was new).

    Raises:
        NewerDatabaseError: the file was written by a newer recall; it is not touched.
        DatabaseError: the file is not a recall database or cannot be opened.
    """
    has_tables, revision = (False, None)
    if path.exists():
        has_tables, revision = _stored_revision(path)
    if revision == HEAD_REVISION:
        return make_engine(path), None
    if has_tables and revision is None:
        raise DatabaseError(f"{path} is not a recall database; refusing to change it")
    if revision is not None and revision not in known_revisions():
        raise NewerDatabaseError(
            f"{path} was written by a newer recall (schema {revision}); "
            "upgrade recall to use it. The file was not changed."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from None
    saved = backup(path, now) if has_tables else None
    engine = make_engine(path)
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"could not prepare {path}: {exc}") from exc
    return engine, saved
