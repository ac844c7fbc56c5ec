"""recall's schema at one revision, as a file of DDL per database: what a new collection is
made from, instead of replaying every migration.

``sqlite.sql`` and ``postgresql.sql`` beside this module each hold a header of comment lines,
one of them ``-- revision: <id>`` (the Alembic revision the statements stand for), then the
statements, each ending with ``;`` and separated by a blank line (none holds one).
``tests/make_schema_snapshot.py`` writes them from databases the migrations built, and
``tests/test_schema_snapshot.py`` checks that a collection made from them and one made by the
migrations have the same schema, so that they cannot drift apart.

This module reads a file and nothing else: a new collection is made without importing Alembic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
"""SQLAlchemy's name for the database a snapshot is for (``engine.dialect.name``)."""

SQLITE: Dialect = "sqlite"
POSTGRESQL: Dialect = "postgresql"

_FOLDER = Path(__file__).resolve().parent
_REVISION = "-- revision: "


@dataclass(frozen=True)
class Snapshot:
    """The statements that make the schema at ``revision``, in the order to run them."""

    revision: str
    statements: tuple[str, ...]


def path(dialect: Dialect) -> Path:
    """The snapshot file for ``dialect``."""
    return _FOLDER / f"{dialect}.sql"


def load(dialect: Dialect) -> Snapshot:
    """The snapshot for ``dialect``, read from :func:`path`."""
    return parse(path(dialect).read_text(encoding="utf-8"))


def parse(text: str) -> Snapshot:
    """A snapshot file's revision and statements (each without its closing ``;``).

    Raises:
        ValueError: the text names no revision, or a statement does not end with ``;``.
    """
    revision = None
    statements = []
    for block in text.split("\n\n"):
        lines = [line for line in block.strip("\n").split("\n") if line]
        if all(line.startswith("--") for line in lines):
            for line in lines:
                if line.startswith(_REVISION):
                    revision = line.removeprefix(_REVISION).strip()
            continue
        statement = "\n".join(lines)
        if not statement.endswith(";"):
            raise ValueError(f"a schema snapshot's statement does not end with ';': {statement}")
        statements.append(statement.removesuffix(";"))
    if not revision:
        raise ValueError("a schema snapshot names no revision (a '-- revision: ' line)")
    return Snapshot(revision, tuple(statements))


def render(snapshot: Snapshot, header: str) -> str:
    """The file :func:`parse` reads back as ``snapshot``: ``header`` (plain lines, made
    comments here) with the revision line, then the statements.

    Raises:
        ValueError: a statement holds a blank line, which would split it in two.
    """
    comments = [f"-- {line}".rstrip() for line in header.strip("\n").split("\n")]
    blocks = ["\n".join([*comments, "--", f"{_REVISION}{snapshot.revision}"])]
    for statement in snapshot.statements:
        lines = statement.strip("\n").split("\n")
        if any(not line.strip() for line in lines):
            raise ValueError(f"a statement with a blank line cannot be snapshotted: {statement}")
        blocks.append("\n".join(lines) + ";")
    return "\n\n".join(blocks) + "\n"
