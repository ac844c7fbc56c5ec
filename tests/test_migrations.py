"""Every migration keeps every row: on a collection written by the first release, and on a
database at each revision's predecessor with rows in every table."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from conftest import NOW
from recall1924 import db
from recall1924.backups import list_backups
from recall1924.cli import app
from recall1924.db import _alembic_config, open_database, to_millis
from recall1924.settings import GLOBAL_SCOPE

pytestmark = (
    pytest.mark.sqlite_only
)  # each migration on a SQLite file (tests/test_postgres_server.py runs them on a server)

RELEASE_1 = Path(__file__).parent / "data" / "release1.db"
"""A collection the first release (commit 3048934, schema 0001) wrote: the bundled deck, nine
answers given in two review sessions, and two settings."""


def dump(path: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Every row of every table, by table and column list."""
    with sqlite3.connect(path) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
                " AND name NOT LIKE 'sqlite_%'"
            )
        ]
        result: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for table in tables:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            rows = connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            result[table] = {"columns": columns, "rows": rows}  # type: ignore[dict-item]
    return result


def as_stored(value: Any, *, scope: bool = False) -> Any:
    """A stored value as the newest schema keeps it: a time (text) as the milliseconds since
    the epoch it holds (migration 0009 made the answers' times those integers, and keeps the
    others to the millisecond); a setting's ``scope`` 'global' as '*' (migration 0010);
    anything else as it is."""
    if scope:
        return GLOBAL_SCOPE if value == "global" else value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return to_millis(moment.replace(tzinfo=UTC))
    return value


def same_rows(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Each table's rows before are in it after, column for column (new columns aside), each
    time the same to the millisecond."""
    for table, old in before.items():
        assert table in after, table
        new = after[table]
        picks = [new["columns"].index(column) for column in old["columns"]]
        kept = [tuple(as_stored(row[index]) for index in picks) for row in new["rows"]]
        scopes = [table == "setting" and column == "scope" for column in old["columns"]]
        assert kept == [
            tuple(as_stored(value, scope=scope) for value, scope in zip(row, scopes, strict=True))
            for row in old["rows"]
        ], table
        assert old["rows"], f"the fixture has no {table} rows: the test would prove nothing"


def test_a_first_release_collection_keeps_every_answer_through_the_upgrade(
    db_path: Path,
) -> None:
    shutil.copy(RELEASE_1, db_path)
    before = dump(db_path)
    assert len(before["review_log"]["rows"]) == 9

    opened = open_database(db_path, NOW)
    opened.close()

    same_rows(before, dump(db_path))
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA foreign_keys").fetchone() == (0,)  # per connection
    assert opened.backup is not None and opened.backup in [b.path for b in list_backups(db_path)]


def test_a_first_release_collection_opened_by_a_command_keeps_its_history(db_path: Path) -> None:
    shutil.copy(RELEASE_1, db_path)
    answers = dump(db_path)["review_log"]

    result = CliRunner().invoke(app, ["stats"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "Upgraded the database" in result.output
    after = dump(db_path)["review_log"]
    picks = [after["columns"].index(column) for column in answers["columns"]]
    assert [tuple(as_stored(row[i]) for i in picks) for row in after["rows"]] == [
        tuple(map(as_stored, row)) for row in answers["rows"]
    ]


def _revisions() -> list[tuple[str, str]]:
    """Each migration with the revision before it, oldest first."""
    script = ScriptDirectory.from_config(_alembic_config())
    pairs = [
        (rev.revision, rev.down_revision)
        for rev in script.walk_revisions()
        if isinstance(rev.down_revision, str)
    ]
    return sorted(pairs)


SAMPLE = {
    "INTEGER": 1,
    "BIGINT": 1_795_770_000_123,
    "BOOLEAN": 0,
    "FLOAT": 2.5,
    "DATETIME": "2026-01-02 03:04:05.000000",
    "JSON": "[]",
}


def fill_every_table(connection: sqlite3.Connection) -> None:
    """Three rows in every table, parents first, each column with a value of its type."""
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
        )
    ]
    done: set[str] = set()
    while len(done) < len(tables):
        for table in tables:
            if table in done:
                continue
            parents = {
                row[2]: row[3] for row in connection.execute(f"PRAGMA foreign_key_list({table})")
            }
            if any(parent not in done and parent != table for parent in parents):
                continue
            references = {
                row[3]: row[2] for row in connection.execute(f"PRAGMA foreign_key_list({table})")
            }
            columns = list(connection.execute(f"PRAGMA table_info({table})"))
            for n in (1, 2, 3):
                values = []
                for _cid, name, kind, _notnull, _default, _pk in columns:
                    if name in references:
                        values.append(1)  # every row points at its parent's first row
                    elif kind.upper().startswith(("VARCHAR", "TEXT")) or kind == "":
                        values.append(f"{name} {n}")
                    elif kind.upper() == "INTEGER":
                        values.append(n)
                    else:
                        values.append(SAMPLE[kind.upper()])
                marks = ", ".join("?" for _ in values)
                names = ", ".join(column[1] for column in columns)
                connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
            done.add(table)


@pytest.mark.parametrize(("revision", "previous"), _revisions())
def test_each_migration_keeps_every_row_of_the_revision_before_it(
    db_path: Path, revision: str, previous: str
) -> None:
    # As the release before wrote it: its migrations run as recall runs them (foreign keys
    # off while a table is rebuilt, which 0012 checks).
    engine = db.make_engine(db_path)
    db.upgrade(engine, previous)
    engine.dispose()
    with sqlite3.connect(db_path) as connection:
        fill_every_table(connection)
    before = dump(db_path)

    engine = db.make_engine(db_path)  # foreign keys on, as every recall connection has them
    db.upgrade(engine, revision)
    engine.dispose()

    same_rows(before, dump(db_path))
