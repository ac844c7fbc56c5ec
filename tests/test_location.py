"""Choosing the store: a path or a ``sqlite:///`` URL is a SQLite file, a ``postgresql://`` URL a
server; which option or variable wins; and the one-line refusals that need no server at all
(a URL recall cannot use, a server that does not answer, a missing driver, the commands that
work on a SQLite file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import NOW
from recall1924.cli import app
from recall1924.db import open_database
from recall1924.errors import DatabaseError, DatabaseURLError, NotSqliteError
from recall1924.location import DatabaseLocation, locate

runner = CliRunner()
NOWHERE = "postgresql://student:s3cret@/recall?host=/nonexistent/socket/folder"
"""A server no test can reach: its unix socket's folder does not exist."""


def recall(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("recall.db", Path("recall.db")),
        ("/data/recall.db", Path("/data/recall.db")),
        ("sqlite:///rel/recall.db", Path("rel/recall.db")),
        ("sqlite:////abs/recall.db", Path("/abs/recall.db")),
        ("sqlite:////abs/with%20space.db", Path("/abs/with space.db")),
        # A Windows path is a path, not a URL with the scheme "c".
        ("C:\\decks\\recall.db", Path("C:\\decks\\recall.db")),
    ],
)
def test_a_path_or_a_sqlite_url_is_a_sqlite_file(given: str, path: Path) -> None:
    location = DatabaseLocation.parse(given)
    assert location.is_sqlite and location.path == path
    assert location.url == f"sqlite:///{path.absolute()}"
    assert str(location) == str(path)
    assert location.sqlite_file("recall backup") == path


def test_a_home_path_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert DatabaseLocation.parse("~/recall.db").path == tmp_path / "recall.db"
    assert DatabaseLocation.parse("sqlite:///~/recall.db").path == tmp_path / "recall.db"


@pytest.mark.parametrize(
    ("given", "url", "shown"),
    [
        (
            "postgresql://student:s3cret@db.school.example:5433/recall",
            "postgresql+psycopg://student:s3cret@db.school.example:5433/recall",
            "postgresql://student@db.school.example:5433/recall",
        ),
        (
            "postgres://student@db/recall",
            "postgresql+psycopg://student@db/recall",
            "postgresql://student@db/recall",
        ),
        (
            "postgresql+psycopg://postgres@/recall?host=/tmp/pg&password=s3cret",
            "postgresql+psycopg://postgres@/recall?host=/tmp/pg&password=s3cret",
            "postgresql://postgres@/recall?host=/tmp/pg",
        ),
    ],
)
def test_a_postgres_url_is_a_server_shown_without_its_password(
    given: str, url: str, shown: str
) -> None:
    location = DatabaseLocation.parse(given)
    assert not location.is_sqlite and location.path is None
    assert location.url == url
    assert str(location) == shown
    assert "s3cret" not in repr(str(location))


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mysql://me@db/recall", "not in mysql://"),
        ("postgresql+psycopg2://me@db/recall", "through psycopg 3"),
        ("postgresql://me@db", "names no database"),
        ("postgresql://me:s3cret@db/", "postgresql://me@db/ names no database"),
        ("sqlite://", "is not a SQLite file"),
        ("sqlite:///:memory:", "is not a SQLite file"),
        ("sqlite:///recall.db?mode=ro", "is not a SQLite file"),
    ],
)
def test_a_url_recall_cannot_use_is_refused(given: str, says: str) -> None:
    with pytest.raises(DatabaseURLError, match=says) as raised:
        DatabaseLocation.parse(given)
    assert "s3cret" not in str(raised.value)


def test_a_folder_is_not_a_database_file(tmp_path: Path) -> None:
    code, out, err = recall("decks", "--db", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"recall: {tmp_path} is a folder: give the database file in it\n"


def test_the_option_beats_the_url_variable_which_beats_the_file_variable(tmp_path: Path) -> None:
    env = {"RECALL_DATABASE_URL": "postgresql://me@db/recall", "RECALL_DB": "file.db"}
    assert locate("given.db", env) == DatabaseLocation.parse("given.db")
    assert locate(None, env) == DatabaseLocation.parse("postgresql://me@db/recall")
    assert locate(None, {"RECALL_DB": "file.db", "RECALL_DATABASE_URL": ""}).path == Path("file.db")
    default = locate(None, {})
    assert default.path is not None and default.path.name == "recall.db"


def test_database_url_after_the_command_beats_the_one_before(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    url = f"sqlite:///{second}"
    assert recall("--db", str(first), "decks", "--database-url", url)[0] == 0
    assert second.exists() and not first.exists()


def test_recall_database_url_selects_a_sqlite_file(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    code, _out, err = recall("decks", env={"RECALL_DATABASE_URL": f"sqlite:///{chosen}"})
    assert code == 0 and chosen.exists()
    assert f"into {chosen}" in " ".join(err.split())  # the first-run notice names the file


def test_an_unreachable_server_is_one_line_and_no_traceback() -> None:
    pytest.importorskip("psycopg")
    code, out, err = recall("decks", "--database-url", NOWHERE)
    assert (code, out) == (1, "")
    assert err.startswith(
        "recall: cannot reach the database at "
        "postgresql://student@/recall?host=/nonexistent/socket/folder: "
    )
    assert err.count("\n") == 1 and "s3cret" not in err and "Traceback" not in err


def test_a_missing_driver_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(DatabaseError, match=r"pip install 'recall1924\[postgres\]'"):
        open_database(DatabaseLocation.parse(NOWHERE), NOW)
    code, _out, err = recall("decks", "--database-url", NOWHERE)
    assert code == 1
    assert err == (
        "recall: postgresql://student@/recall?host=/nonexistent/socket/folder is a PostgreSQL "
        "database, and recall needs the psycopg driver for it: "
        "pip install 'recall1924[postgres]'\n"
    )


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["backup"], "recall backup"),
        (["backup", "copy.db"], "recall backup"),
        (["backups", "--json"], "recall backups"),
        (["restore", "latest", "--yes"], "recall restore"),
    ],
)
def test_file_commands_say_they_work_on_a_sqlite_collection(
    args: list[str], command: str, tmp_path: Path
) -> None:
    # Refused before anything is opened: the server need not exist.
    code, out, err = recall(*args, "--database-url", NOWHERE)
    assert (code, out) == (2, "")
    assert err == (
        f"recall: {command} works on a SQLite collection; "
        "postgresql://student@/recall?host=/nonexistent/socket/folder is on a PostgreSQL "
        "server, which has its own tools for that (pg_dump, pg_restore)\n"
    )
    assert not (tmp_path / "copy.db").exists()


def test_sqlite_file_refuses_a_server() -> None:
    with pytest.raises(NotSqliteError, match="^recall backup works on a SQLite collection"):
        DatabaseLocation.parse(NOWHERE).sqlite_file("recall backup")
