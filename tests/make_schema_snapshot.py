"""Write src/recall1924/schema/sqlite.sql and postgresql.sql: the schema the migrations leave.

Run it after adding or changing a migration (``tests/test_schema_snapshot.py`` fails until
then)::

    .venv/bin/python tests/make_schema_snapshot.py

A new collection is made from these files (:func:`recall1924.db.open_database`) rather than
by replaying every migration. For each database this builds a scratch one by the migrations
alone (Alembic, as an older collection is upgraded) and writes down what they left:

- SQLite: every ``sqlite_master`` row's ``sql``, in the order SQLite keeps them (each object
  after the table it belongs to), trailing spaces off each line and each table's constraints
  in a fixed order (:func:`_constraints_in_order`). The indexes SQLite makes for a
  table's UNIQUE and PRIMARY KEY constraints have no ``sql``: their table's statement makes them.
- PostgreSQL: ``pg_dump --schema-only`` of a schema the migrations filled (tables, sequences,
  constraints, indexes, the counters' function and triggers), without its session settings,
  owners and the schema's name, so that the statements make the same objects in whichever
  schema the connection's ``search_path`` puts first. It starts a throwaway server as the
  tests do (``tests/postgres.py``; ``RECALL_TEST_POSTGRES_HOST`` names one already running).

``--sqlite-only`` skips PostgreSQL where no server can be started (its file then stays as it
was, and its test will say so if the migrations changed it).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/postgres.py

from alembic import command  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

from postgres import HOST, PostgresServer, find_binaries  # noqa: E402
from recall1924 import db, schema  # noqa: E402

SCHEMA = "recall_snapshot"
"""The PostgreSQL schema the migrations fill here: a name no statement holds otherwise."""

_HEADER = """recall's schema at revision {revision} on {database}:
{what}.
A new collection is made from these statements, in one transaction, and stamped with the
revision below; an older one is upgraded by the migrations. Do not edit by hand: after adding
or changing a migration, run

    .venv/bin/python tests/make_schema_snapshot.py

tests/test_schema_snapshot.py compares a collection made from this file with one made by the
migrations, and fails until this file is written again."""


def sqlite_statements() -> tuple[str, tuple[str, ...]]:
    """The head revision and the statements of a SQLite file the migrations made."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "migrated.db"
        engine = db.make_engine(path)
        db.upgrade(engine)
        engine.dispose()
        with sqlite3.connect(path) as connection:
            rows = connection.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
            ).fetchall()
            (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            pragmas = [
                connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("user_version", "application_id")
            ]
        connection.close()
    if pragmas != [0, 0]:
        raise SystemExit(
            "a migration set PRAGMA user_version or application_id: write it into the "
            "snapshot here (and in recall1924.db) before regenerating"
        )
    statements = tuple(
        _constraints_in_order("\n".join(line.rstrip() for line in sql.split("\n")))
        for (sql,) in rows
    )
    return revision, statements


_CONSTRAINT_RANK = {"CONSTRAINT": 0, "PRIMARY": 0, "UNIQUE": 1, "CHECK": 2, "FOREIGN": 3}


def _constraints_in_order(sql: str) -> str:
    """A ``CREATE TABLE`` with its table constraints (the lines after its columns) in one
    order: primary key, unique, check, foreign keys, each kind by its text. Alembic's copy of
    a table (batch mode) writes them in an order that changes from run to run, which nothing
    reads; in a fixed one, the file changes only where a migration did. Other statements are
    returned as they are."""
    lines = sql.split("\n")
    if not lines[0].startswith("CREATE TABLE") or lines[-1] != ")":
        return sql
    body = [line.removesuffix(",") for line in lines[1:-1]]
    first = len(body)
    while first > 0 and body[first - 1].strip().split(" ")[0].split("(")[0] in _CONSTRAINT_RANK:
        first -= 1
    constraints = sorted(
        body[first:],
        key=lambda line: (_CONSTRAINT_RANK[line.strip().split(" ")[0].split("(")[0]], line),
    )
    ordered = body[:first] + constraints
    return "\n".join([lines[0], *(f"{line}," for line in ordered[:-1]), ordered[-1], ")"])


_LEFT_OUT = re.compile(
    r"^(SET |SELECT pg_catalog\.set_config|CREATE SCHEMA |ALTER SCHEMA |COMMENT ON SCHEMA )"
    r"|\sOWNER TO\s"
)


def postgresql_statements() -> tuple[str, tuple[str, ...]]:
    """The head revision and the statements of a PostgreSQL schema the migrations made."""
    host = os.environ.get(HOST)
    server = PostgresServer.running(host) if host else PostgresServer.start()
    binaries = find_binaries()
    if binaries is None:
        raise SystemExit("no PostgreSQL binaries (pg_dump) found")
    # The server's own pg_dump: pg_ctl may be a link from a folder that holds nothing else.
    pg_dump = (binaries / "pg_ctl").resolve().parent / "pg_dump"
    try:
        database = server.create_database()
        server.execute(database, f"CREATE SCHEMA {SCHEMA}")
        engine = create_engine(f"{server.url(database)}&options=-csearch_path%3D{SCHEMA}")
        with engine.begin() as connection:
            command.upgrade(db._alembic_config(connection), "head")
        with engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            revision = revision.scalar_one()
        engine.dispose()
        dumped = subprocess.run(
            [
                str(pg_dump),
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                f"--schema={SCHEMA}",
                f"--host={server.folder}",
                "--username=postgres",
                database,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        server.drop_database(database)
    finally:
        server.stop()
    # Comments and psql's own commands (\restrict) are not SQL.
    lines = [line for line in dumped.split("\n") if not line.startswith(("--", "\\"))]
    statements = []
    for block in "\n".join(lines).split("\n\n"):
        statement = block.strip("\n")
        if not statement or _LEFT_OUT.search(statement):
            continue
        if not statement.endswith(";"):
            raise SystemExit(f"pg_dump gave a statement this script cannot split: {statement}")
        statement = statement.removesuffix(";").replace(f"{SCHEMA}.", "")
        if SCHEMA in statement:
            raise SystemExit(f"the schema's name is left in: {statement}")
        statements.append(statement)
    return revision, tuple(statements)


def write(dialect: schema.Dialect, revision: str, statements: tuple[str, ...]) -> None:
    database, what = {
        "sqlite": (
            "SQLite",
            "every table, index and trigger the migrations leave, as sqlite_master holds them",
        ),
        "postgresql": (
            "PostgreSQL",
            "what pg_dump --schema-only gives of a schema the migrations filled (tables,\n"
            "sequences, constraints, indexes, the counters' function and triggers), without the\n"
            "schema's name: the objects are made in the first schema of the search_path",
        ),
    }[dialect]
    snapshot = schema.Snapshot(revision, statements)
    header = _HEADER.format(revision=revision, database=database, what=what)
    text = schema.render(snapshot, header)
    if schema.parse(text) != snapshot:
        raise SystemExit(f"the {dialect} snapshot would not read back as written")
    schema.path(dialect).write_text(text, encoding="utf-8")
    print(f"wrote {schema.path(dialect)} ({len(statements)} statements, revision {revision})")


def main(arguments: list[str]) -> None:
    write("sqlite", *sqlite_statements())
    if "--sqlite-only" not in arguments:
        write("postgresql", *postgresql_statements())


if __name__ == "__main__":
    main(sys.argv[1:])
