"""The database file: migrations, refusals, backups, and the fast path for an up-to-date file."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import recall1924.models  # noqa: F401 - registers the tables
from conftest import NOW
from recall1924 import db
from recall1924.backups import list_backups
from recall1924.db import HEAD_REVISION, _alembic_config, open_database
from recall1924.errors import DatabaseBusyError, DatabaseError, NewerDatabaseError
from recall1924.paths import migrations_path

pytestmark = pytest.mark.sqlite_only  # the SQLite file's own migrations, pragmas and backups


def test_head_revision_constant_matches_the_migrations() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    assert script.get_current_head() == HEAD_REVISION


def test_empty_database_upgraded_to_head_matches_the_models(db_path: Path) -> None:
    opened = open_database(db_path, NOW)
    engine, saved = opened.engine, opened.backup
    assert saved is None
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    with engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert pragmas == ["wal", 1, 5000]
    opened.close()


def test_newer_database_is_refused_and_untouched(db_path: Path) -> None:
    open_database(db_path, NOW).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = db_path.read_bytes()
    with pytest.raises(NewerDatabaseError, match=r"newer recall \(schema 9999\)"):
        open_database(db_path, NOW)
    assert db_path.read_bytes() == before
    assert list_backups(db_path) == []


def test_foreign_database_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(DatabaseError, match="is not a recall database"):
        open_database(db_path, NOW)


def test_garbage_file_is_refused(db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        open_database(db_path, NOW)


def test_a_collection_another_recall_is_filling_is_busy_not_broken(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a first import writes through SQLite's rollback journal (store.decks): a reader waits
    # the busy timeout, then hears that the file is busy, not that it is unusable
    open_database(db_path, NOW).close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=DELETE")
        writer.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseBusyError, match="is busy: another recall is writing it"):
            open_database(db_path, NOW)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    open_database(db_path, NOW).close()  # and opens once the writer is done


def test_a_collection_another_recall_begins_to_fill_is_waited_for(db_path: Path) -> None:
    # The first import's writer holds the write lock, not yet the file to itself: a recall
    # opening the collection then (two started together on a new one) was told at once that
    # "database is locked", busy timeout or not. It waits, and opens when the writer is done.
    open_database(db_path, NOW).close()
    writer = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=DELETE")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO setting VALUES ('*', 'new_per_day', '7')")

    def finish() -> None:
        time.sleep(0.3)
        writer.execute("COMMIT")
        writer.execute("PRAGMA journal_mode=WAL")  # as the import puts it back

    done = threading.Thread(target=finish)
    done.start()
    try:
        started = time.monotonic()
        opened = open_database(db_path, NOW)
        with opened.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("SELECT value FROM setting").scalar() == "7"
        opened.close()
        assert time.monotonic() - started >= 0.25  # it waited for the writer
    finally:
        done.join()
        writer.close()


SECOND_MIGRATION = """
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = HEAD
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("deck", sa.Column("colour", sa.String(), nullable=True))
"""


def test_older_database_is_backed_up_then_upgraded_keeping_rows(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_database(db_path, NOW).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO setting VALUES ('global', 'new_per_day', '7')")

    # A later recall: the shipped migrations plus one more.
    newer = tmp_path / "migrations"
    shutil.copytree(migrations_path(), newer, ignore=shutil.ignore_patterns("__pycache__"))
    head = db.HEAD_REVISION
    migration = SECOND_MIGRATION.replace("HEAD", repr(head))
    (newer / "versions" / "9999_colour.py").write_text(migration)
    monkeypatch.setattr(db, "migrations_path", lambda: newer)
    monkeypatch.setattr(db, "HEAD_REVISION", "9999")

    opened = open_database(db_path, NOW)
    saved = opened.backup
    opened.close()
    assert saved is not None and saved.name == "recall.db.20261127T090000.000000Z.bak"
    assert saved.parent == db_path.parent / "backups"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]
        assert conn.execute("SELECT value FROM setting").fetchall() == [("7",)]
        assert "colour" in {row[1] for row in conn.execute("PRAGMA table_info(deck)")}
    with sqlite3.connect(saved) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert conn.execute("SELECT value FROM setting").fetchall() == [("7",)]


def test_a_large_collection_is_told_before_its_upgrade_starts(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    open_database(db_path, NOW).close()
    newer = tmp_path / "migrations"
    shutil.copytree(migrations_path(), newer, ignore=shutil.ignore_patterns("__pycache__"))
    migration = SECOND_MIGRATION.replace("HEAD", repr(db.HEAD_REVISION))
    (newer / "versions" / "9999_colour.py").write_text(migration)
    monkeypatch.setattr(db, "migrations_path", lambda: newer)
    monkeypatch.setattr(db, "HEAD_REVISION", "9999")
    monkeypatch.setattr(db, "LARGE_UPGRADE_BYTES", db_path.stat().st_size)

    open_database(db_path, NOW).close()
    said = capsys.readouterr().err
    assert said.startswith(f"recall: upgrading {db_path} to this version's layout (0 MB;")
    open_database(db_path, NOW).close()  # up to date: nothing said
    assert capsys.readouterr().err == ""


def test_an_up_to_date_database_opens_without_alembic(db_path: Path) -> None:
    open_database(db_path, NOW).close()
    code = (
        "import sys; from pathlib import Path; from datetime import datetime, UTC;"
        "from recall1924.db import open_database;"
        f"open_database(Path({str(db_path)!r}), datetime.now(UTC));"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_first_release_database_upgrades_to_head_keeping_cards_and_answers(
    db_path: Path,
) -> None:
    # A collection written by the first release (schema 0001), with a card and an answer.
    engine = db.make_engine(db_path)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        connection.exec_driver_sql(
            "INSERT INTO deck (id, key, title, created_at, updated_at) "
            "VALUES (1, 'd', 'D', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO section (id, deck_id, key, title, position) VALUES (1, 1, 's', 'S', 0)"
        )
        connection.exec_driver_sql(
            "INSERT INTO card (id, deck_id, section_id, key, position, question, answer, tags,"
            " state, due, created_at, updated_at) VALUES (1, 1, 1, 'c', 0, 'Q', 'A', '[]', 1,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    engine.dispose()

    opened = open_database(db_path, NOW)
    engine, saved = opened.engine, opened.backup
    opened.close()
    assert saved is not None
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            db.HEAD_REVISION,
        )
        assert conn.execute(
            "SELECT key, suspended, buried_until, source_id FROM card"
        ).fetchall() == [("c", 0, None, None)]
