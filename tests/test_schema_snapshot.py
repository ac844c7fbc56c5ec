"""A new collection is made from the schema snapshot (``src/recall1924/schema/``), not by the
migrations; here a collection made each way has the same schema, on SQLite and PostgreSQL.

When these fail after a migration was added or changed, write the snapshot again::

    .venv/bin/python tests/make_schema_snapshot.py

and check its diff: it should show just what the migration changed.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine

from conftest import NOW
from postgres import PostgresServer
from recall1924 import db, schema
from recall1924.db import HEAD_REVISION, _alembic_config, open_database
from recall1924.errors import DatabaseError
from recall1924.location import DatabaseLocation

REGENERATE = (
    "the schema snapshot is not what the migrations leave: run tests/make_schema_snapshot.py"
)


# SQLite
# ---------------------------------------------------------------------------------------------


def _table_lines(sql: str) -> list[str]:
    """A ``CREATE TABLE``'s lines as a sorted list, trailing commas and spaces off: the
    migrations' table copies (Alembic's batch mode) write a table's constraints in an order
    that changes from run to run, which nothing reads; columns' order is compared through
    ``table_xinfo``."""
    return sorted(line.rstrip().removesuffix(",").rstrip() for line in sql.split("\n"))


def sqlite_schema(path: Path) -> dict[str, Any]:
    """Everything of the SQLite file's schema that a collection's behaviour can depend on:
    every ``sqlite_master`` row in SQLite's order (its root page aside, each line's trailing
    spaces off, a table's statement as :func:`_table_lines`), each table's columns, foreign
    keys and indexes as the pragmas report them, the file's ``user_version``,
    ``application_id``, encoding and auto-vacuum, and the ``alembic_version`` rows."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
        ).fetchall()
        master = []
        tables: dict[str, Any] = {}
        for kind, name, table, sql in rows:
            if sql is not None:
                sql = "\n".join(line.rstrip() for line in sql.split("\n"))
            if kind == "table" and sql is not None:
                master.append((kind, name, table, _table_lines(sql)))
                keys = connection.execute(f"PRAGMA foreign_key_list({name})").fetchall()
                indexes = connection.execute(f"PRAGMA index_list({name})").fetchall()
                tables[name] = {
                    "columns": connection.execute(f"PRAGMA table_xinfo({name})").fetchall(),
                    # (table, from, to, on update, on delete, match) by its place in a key
                    "foreign_keys": sorted(key[1:] for key in keys),
                    "indexes": sorted(
                        (
                            index[1:],
                            connection.execute(f"PRAGMA index_xinfo({index[1]})").fetchall(),
                        )
                        for index in indexes
                    ),
                }
            else:
                master.append((kind, name, table, sql))
        pragmas = {
            name: connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("user_version", "application_id", "encoding", "auto_vacuum")
        }
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    connection.close()
    return {"master": master, "tables": tables, "pragmas": pragmas, "alembic_version": version}


def migrated_file(path: Path) -> Path:
    """A SQLite collection made by the migrations alone, as before the snapshot."""
    engine = db.make_engine(path)
    db.upgrade(engine)
    engine.dispose()
    return path


def snapshot_file(path: Path) -> Path:
    """A SQLite collection made from the snapshot file, whatever revision it names."""
    engine = db.make_engine(path)
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        db._run_snapshot(connection, schema.load(schema.SQLITE))
        connection.commit()
    engine.dispose()
    return path


def test_the_snapshots_are_at_the_newest_migration() -> None:
    # Else a new collection is made by the migrations (still right, but slow again).
    assert schema.load(schema.SQLITE).revision == HEAD_REVISION, REGENERATE
    assert schema.load(schema.POSTGRESQL).revision == HEAD_REVISION, REGENERATE


@pytest.mark.sqlite_only
def test_a_collection_from_the_snapshot_has_the_migrations_schema(tmp_path: Path) -> None:
    by_migrations = sqlite_schema(migrated_file(tmp_path / "migrated.db"))
    by_snapshot = sqlite_schema(snapshot_file(tmp_path / "snapshot.db"))
    assert by_snapshot == by_migrations, REGENERATE
    assert by_snapshot["alembic_version"] == [(HEAD_REVISION,)]
    assert {"card", "review_log", "deck", "section", "media", "setting"} <= set(
        by_snapshot["tables"]
    )
    assert [row[1] for row in by_snapshot["master"] if row[0] == "trigger"] == [
        "review_log_counters_insert",
        "review_log_counters_delete",
        "review_log_counters_update",
    ]


@pytest.mark.sqlite_only
def test_the_comparison_sees_a_snapshot_behind_a_changed_migration(tmp_path: Path) -> None:
    # As if a migration had added a column and an index that the snapshot lacks.
    migrated = migrated_file(tmp_path / "migrated.db")
    with sqlite3.connect(migrated) as connection:
        connection.execute("ALTER TABLE deck ADD COLUMN colour VARCHAR")
        connection.execute("CREATE INDEX ix_deck_colour ON deck (colour)")
    connection.close()
    assert sqlite_schema(snapshot_file(tmp_path / "snapshot.db")) != sqlite_schema(migrated)


@pytest.mark.sqlite_only
def test_opening_a_new_collection_uses_the_snapshot(db_path: Path) -> None:
    opened = open_database(db_path, NOW)
    opened.close()
    assert opened.created and opened.backup is None
    assert sqlite_schema(db_path) == sqlite_schema(migrated_file(db_path.with_name("m.db")))
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def _first_run(db_path: Path, *arguments: str) -> list[str]:
    """What ``recall ARGUMENTS`` imports, run as a new process on a new collection."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "recall1924", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "RECALL_DB": str(db_path)},
        cwd=db_path.parent,
    )
    assert done.returncode == 0, done.stderr
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "sqlalchemy" in imported  # the listing is what it seems
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
    connection.close()
    return imported


@pytest.mark.sqlite_only
def test_a_students_first_recall_never_imports_alembic(db_path: Path) -> None:
    # The collection made and the bundled deck imported into it.
    imported = _first_run(db_path, "decks")
    assert [name for name in imported if name.split(".")[0] == "alembic"] == []
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM deck").fetchone() == (1,)
    connection.close()


@pytest.mark.sqlite_only
def test_an_import_into_a_new_collection_imports_neither_alembic_nor_a_progress_bar(
    db_path: Path,
) -> None:
    (db_path.parent / "words.csv").write_text("Hola,Hello\nAdiós,Goodbye\n", encoding="utf-8")
    imported = _first_run(db_path, "import", "words.csv")
    # No bar is drawn: stderr is not a terminal, and the import takes less than a second.
    assert [name for name in imported if name.split(".")[0] == "alembic"] == []
    assert "rich.progress" not in imported


@pytest.mark.sqlite_only
def test_a_snapshot_that_fails_half_way_leaves_no_schema(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schema.load(schema.SQLITE)
    broken = schema.Snapshot(real.revision, (*real.statements[:5], "CREATE TABLE deck (id)"))
    monkeypatch.setattr(schema, "load", lambda dialect: broken)
    with pytest.raises(DatabaseError, match=f"could not prepare {db_path}: .*already exists"):
        open_database(db_path, NOW)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    connection.close()
    monkeypatch.undo()
    opened = open_database(db_path, NOW)  # the next recall makes it whole
    opened.close()
    assert opened.created


def test_a_snapshot_file_reads_back_as_written() -> None:
    snapshot = schema.Snapshot(
        "0042", ("CREATE TABLE a (\n\tid INTEGER\n)", "CREATE INDEX i ON a (id)")
    )
    text = schema.render(snapshot, "A header\nof two lines")
    assert text.startswith("-- A header\n-- of two lines\n--\n-- revision: 0042\n\n")
    assert schema.parse(text) == snapshot
    with pytest.raises(ValueError, match="blank line"):
        schema.render(schema.Snapshot("1", ("SELECT 1\n\nFROM a",)), "h")


# PostgreSQL
# ---------------------------------------------------------------------------------------------

_CATALOG = {
    # Every relation of the schema: tables, sequences, indexes, views; their kind and options.
    "relations": """
        SELECT c.relname, c.relkind, c.relpersistence, c.reloptions::text
        FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
        ORDER BY c.relname""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation,
               replace(pg_get_serial_sequence(quote_ident(c.relname), a.attname),
                       current_schema() || '.', '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
        ORDER BY 1, 2""",
    "indexes": """
        SELECT indexname, replace(indexdef, current_schema() || '.', '')
        FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value,
               increment_by, cycle, cache_size
        FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename""",
    "triggers": """
        SELECT t.tgname, replace(pg_get_triggerdef(t.oid), current_schema() || '.', ''),
               t.tgenabled
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
        ORDER BY t.tgname""",
    "functions": """
        SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
               l.lanname, p.prosrc, p.provolatile, p.prosecdef, p.proconfig::text
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = current_schema()::regnamespace ORDER BY p.proname""",
    "alembic_version": "SELECT version_num FROM alembic_version",
}


def postgresql_schema(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The catalog of the engine's schema (the first of its ``search_path``), every name in it
    unqualified (the schema's name taken out where PostgreSQL writes it), so that two schemas
    compare: each relation, column (type, default,
    nullability, its sequence), constraint, index, sequence, trigger and function."""
    with engine.connect() as connection:
        return {
            part: [tuple(row) for row in connection.exec_driver_sql(query)]
            for part, query in _CATALOG.items()
        }


def _in_schema(server: PostgresServer, database: str, name: str) -> str:
    server.execute(database, f"CREATE SCHEMA {name}")
    return f"{server.url(database)}&options=-csearch_path%3D{name}"


@pytest.mark.postgres
def test_a_schema_from_the_snapshot_has_the_migrations_catalog_on_postgresql(
    postgres_server: PostgresServer,
) -> None:
    database = postgres_server.create_database()
    engines = []
    try:
        migrated = create_engine(_in_schema(postgres_server, database, "by_migrations"))
        snapshot = create_engine(_in_schema(postgres_server, database, "by_snapshot"))
        changed = create_engine(_in_schema(postgres_server, database, "changed"))
        engines = [migrated, snapshot, changed]
        for engine in (migrated, changed):
            with engine.begin() as connection:
                command.upgrade(_alembic_config(connection), "head")
        with snapshot.begin() as connection:
            db._run_snapshot(connection, schema.load(schema.POSTGRESQL))
        by_migrations = postgresql_schema(migrated)
        assert postgresql_schema(snapshot) == by_migrations, REGENERATE
        assert by_migrations["alembic_version"] == [(HEAD_REVISION,)]
        assert len(by_migrations["triggers"]) == 3 and len(by_migrations["functions"]) == 1
        assert len(by_migrations["sequences"]) == 5

        # As if a migration had changed a default and added an index the snapshot lacks.
        with changed.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE card ALTER COLUMN flag SET DEFAULT 1")
        assert postgresql_schema(changed) != by_migrations
        with changed.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE card ALTER COLUMN flag SET DEFAULT 0")
            connection.exec_driver_sql("CREATE INDEX ix_deck_title ON deck (title)")
        assert postgresql_schema(changed) != by_migrations
    finally:
        for engine in engines:
            engine.dispose()
        postgres_server.drop_database(database)


@pytest.mark.postgres
def test_opening_an_empty_postgresql_database_uses_the_snapshot(postgres_url: str) -> None:
    code = (
        "import sys; from datetime import datetime, UTC;"
        "from recall1924.db import open_database; from recall1924.location import "
        f"DatabaseLocation; opened = open_database(DatabaseLocation.parse({postgres_url!r}), "
        "datetime.now(UTC)); print(opened.created);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "[]"]
    engine = create_engine(postgres_url)
    try:
        made = postgresql_schema(engine)
    finally:
        engine.dispose()
    assert made["alembic_version"] == [(HEAD_REVISION,)]
    assert len(made["triggers"]) == 3
    opened = open_database(DatabaseLocation.parse(postgres_url), NOW)  # at head: just opens
    opened.close()
    assert not opened.created


@pytest.mark.postgres
def test_a_snapshot_that_fails_half_way_leaves_an_empty_postgresql_database(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schema.load(schema.POSTGRESQL)
    broken = schema.Snapshot(real.revision, (*real.statements[:5], "CREATE TABLE card (id int)"))
    monkeypatch.setattr(schema, "load", lambda dialect: broken)
    location = DatabaseLocation.parse(postgres_url)
    with pytest.raises(DatabaseError, match=re.escape(f"could not prepare {location}: relation")):
        open_database(location, NOW)
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            relations = connection.exec_driver_sql(_CATALOG["relations"]).all()
            functions = connection.exec_driver_sql(_CATALOG["functions"]).all()
    finally:
        engine.dispose()
    assert (relations, functions) == ([], [])
