"""A class on PostgreSQL (``recall class``): each student's collection is a schema their own role
owns, and the database itself refuses every other student, reading or writing, by name or by
search_path; the teacher's ``class stats`` reads each collection as its student, without writing,
and shows each student's own ``recall stats`` figures and the class's spread of them.

The tests marked ``postgres`` run on the session's throwaway server (tests/postgres.py). Roles
are the whole server's, not one database's, so each test's teacher and students are named after
the test process and dropped with the test (:class:`Classroom`). The rest needs no server.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import NOW
from postgres import PostgresServer
from recall1924.classroom import (
    ClassReport,
    StudentNameError,
    StudentStats,
    check_name,
    login_url,
    student_location,
)
from recall1924.cli import app
from recall1924.clock import FixedClock
from recall1924.context import App
from recall1924.db import HEAD_REVISION
from recall1924.location import DatabaseLocation
from recall1924.readiness import stats_report
from recall1924.review import Action, run
from recall1924.review.service import start_review
from recall1924.store import Scope, Store
from recall1924.ui.classroom import print_class_stats

SERVER = pytest.mark.postgres
SUFFIX = f"_{os.getpid()}"


def recall(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, list(args), input=input, env={"RECALL_NOW": NOW.isoformat()}, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


@dataclass
class Classroom:
    """A database owned by a teacher with CREATEROLE, on the session's server; students' names
    get the test process's suffix (roles are the server's)."""

    server: PostgresServer
    database: str
    teacher: str = f"teacher{SUFFIX}"
    roles: list[str] = field(default_factory=list)

    def url(self, user: str, **options: str) -> str:
        """The URL ``user`` connects with (trust authentication: no password is checked)."""
        extra = "".join(f"&options=-c{k}%3D{v}" for k, v in options.items())
        return f"postgresql+psycopg://{user}@/{self.database}?host={self.server.folder}{extra}"

    @property
    def teacher_url(self) -> str:
        return self.url(self.teacher)

    def name(self, student: str) -> str:
        return f"{student}{SUFFIX}"

    def add(self, *students: str) -> list[str]:
        """Students added by the teacher (set up first); their role names."""
        names = [self.name(student) for student in students]
        for name in names:
            self.roles.append(name)
            code, _, err = recall(
                "class", "add-student", name, "--no-password", "--db", self.teacher_url
            )
            assert code == 0, err
        return names

    def connect(self, user: str) -> Any:
        return psycopg.connect(host=str(self.server.folder), user=user, dbname=self.database)

    def superuser(self, statement: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(
            host=str(self.server.folder), user="postgres", dbname=self.database, autocommit=True
        ) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def classroom(postgres_server: PostgresServer, postgres_url: str) -> Iterator[Classroom]:
    database = urlsplit(postgres_url).path.lstrip("/")
    room = Classroom(postgres_server, database)
    admin = postgres_server._connection()
    admin.execute(f"CREATE ROLE {room.teacher} LOGIN CREATEROLE")
    admin.execute(f"ALTER DATABASE {database} OWNER TO {room.teacher}")
    try:
        yield room
    finally:
        postgres_server.drop_database(database)  # first: the students' schemas are in it
        for role in [*room.roles, room.teacher, "recall_teacher"]:
            admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def set_up(classroom: Classroom) -> Classroom:
    code, _, err = recall("class", "setup", "--db", classroom.teacher_url)
    assert code == 0, err
    return classroom


class _ScriptedUI:
    def __init__(self, actions: list[Action]) -> None:
        self.actions = list(actions)

    def show(self, session: object) -> None:
        pass

    def next_action(self, session: object) -> Action:
        return self.actions.pop(0) if self.actions else Action.QUIT


def _review(url: str, actions: list[Action]) -> None:
    """A review through the session API, as the student's own recall gives it."""
    student = App(DatabaseLocation.parse(url), FixedClock(NOW))
    try:
        run(start_review(student, Scope()), _ScriptedUI(actions))
    finally:
        student.close()


# No server needed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["setup"],
        ["add-student", "alice", "--no-password"],
        ["remove-student", "alice"],
        ["list"],
        ["stats"],
        ["stats", "--json"],
    ],
)
def test_every_class_command_on_sqlite_says_a_class_needs_postgresql(
    args: list[str], tmp_path: Path
) -> None:
    file = tmp_path / "one.db"
    code, out, err = recall("class", *args, "--db", str(file))
    assert (code, out) == (1, "")
    assert err == (
        f"recall: a class needs a PostgreSQL database, and {file} is a SQLite file: give "
        "--db postgresql://TEACHER@HOST/DATABASE (see docs/class.md)\n"
    )
    assert not file.exists()


@pytest.mark.parametrize(
    "name",
    ["Alice", "1alice", "al-ice", "al ice", "", "pg_alice", "public", "recall_teacher", "a" * 64],
)
def test_a_bad_name_is_refused_in_one_line_with_exit_2(name: str, tmp_path: Path) -> None:
    with pytest.raises(StudentNameError):
        check_name(name)
    code, out, err = recall("class", "add-student", name, "--db", str(tmp_path / "x.db"))
    assert (code, out) == (2, "")
    assert err.startswith(f"recall: {name!r} cannot be a student's name: use 1 to 63")
    assert err.count("\n") == 1


def test_good_names_pass() -> None:
    assert [check_name(n) for n in ("alice", "bob_2", "a" * 63)] == ["alice", "bob_2", "a" * 63]


def test_a_students_location_sets_role_and_search_path_and_keeps_the_rest() -> None:
    teacher = DatabaseLocation.parse(
        "postgresql://teacher:secret@db.example.org:6543/class?sslmode=require"
        "&options=-c%20search_path%3Dother%20-cstatement_timeout%3D5s%20-crole%3Dx"
    )
    found = student_location(teacher, "alice", read_only=True)
    assert found.url == (
        "postgresql+psycopg://teacher:secret@db.example.org:6543/class?sslmode=require"
        "&options=-c%20statement_timeout%3D5s%20-c%20search_path%3Dalice%20-c%20role%3Dalice"
        "%20-c%20default_transaction_read_only%3Don"
    )
    assert "secret" not in str(found)
    assert login_url(teacher, "alice") == (
        "postgresql://alice@db.example.org:6543/class?sslmode=require"
    )


def test_the_mastery_table_splits_many_students_into_tables_that_fit(demo_store: Store) -> None:
    reader = App(demo_store.location, FixedClock(NOW))
    try:
        report = stats_report(reader, full=True)
    finally:
        reader.close()
    names = [f"student_{n:02}" for n in range(12)]
    students = [StudentStats(name, "ok", report) for name in names] + [
        StudentStats("late", "not_opened")
    ]
    console = Console(file=io.StringIO(), width=80, no_color=True)
    print_class_stats(console, ClassReport("postgresql://t@/class", NOW, students))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in out.splitlines()) <= 80
    assert all(name in out for name in names)
    assert out.count("Section ") >= 2  # more than one table
    assert "Not opened their collection yet: late." in out


# On the server
# ---------------------------------------------------------------------------------------------


@SERVER
def test_setup_makes_the_class_and_again_changes_nothing(classroom: Classroom) -> None:
    code, out, _ = recall("class", "setup", "--db", classroom.teacher_url)
    assert code == 0
    assert "- created the group role recall_teacher\n" in out
    assert "- created the register recall_class.student\n" in out
    code, again, _ = recall("class", "setup", "--db", classroom.teacher_url)
    assert code == 0 and again.startswith(
        f"Already set up: the class in database {classroom.database}, with {classroom.teacher} "
    )
    [(owner,)] = classroom.superuser(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'recall_class'"
    )
    assert owner == "recall_teacher"
    [(member,)] = classroom.superuser(
        f"SELECT pg_has_role('{classroom.teacher}', 'recall_teacher', 'USAGE')"
    )
    assert member is True


@SERVER
def test_a_students_plain_url_opens_their_own_collection_in_their_schema(set_up: Classroom) -> None:
    [alice] = set_up.add("alice")
    code, out, _ = recall("decks", "--json", "--db", set_up.url(alice))
    assert code == 0 and json.loads(out)[0]["cards"] == 141  # the bundled deck, first open
    tables = set_up.superuser(
        f"SELECT tablename, tableowner FROM pg_tables WHERE schemaname = '{alice}'"
    )
    assert {"card", "review_log", "alembic_version", "media"} <= {name for name, _ in tables}
    assert {owner for _, owner in tables} == {alice}
    assert set_up.superuser("SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []
    # Nobody but its owner holds any privilege on the schema.
    [(acl,)] = set_up.superuser(f"SELECT nspacl::text FROM pg_namespace WHERE nspname = '{alice}'")
    assert acl is None or acl == f"{{{alice}=UC/{alice}}}"
    code, out, _ = recall("class", "list", "--json", "--db", set_up.teacher_url)
    assert json.loads(out) == [{"name": alice, "added_at": "2026-11-27T09:00:00Z", "opened": True}]


@SERVER
def test_a_name_taken_is_refused_with_exit_1_and_nothing_added(set_up: Classroom) -> None:
    [alice] = set_up.add("alice")
    code, out, err = recall(
        "class", "add-student", alice, "--no-password", "--db", set_up.teacher_url
    )
    assert (code, out) == (1, "")
    assert err == (
        f"recall: a role named {alice} already exists on this server: choose another name "
        "(roles are the whole server's, not one database's)\n"
    )
    code, _, err = recall(
        "class", "add-student", "user", "--no-password", "--db", set_up.teacher_url
    )
    assert code == 2 and "reserved words" in err
    assert [
        s["name"]
        for s in json.loads(recall("class", "list", "--json", "--db", set_up.teacher_url)[1])
    ] == [alice]


@SERVER
def test_the_password_goes_to_the_server_hashed(set_up: Classroom) -> None:
    alice = set_up.name("alice")
    set_up.roles.append(alice)
    code, _, err = recall(
        "class", "add-student", alice, "--password-from-stdin", "--db", set_up.teacher_url,
        input="s3cret pass\n",
    )  # fmt: skip
    assert code == 0, err
    [(stored,)] = set_up.superuser(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{alice}'")
    assert stored.startswith("SCRAM-SHA-256$") and "s3cret" not in stored


@SERVER
def test_another_students_connection_is_refused_their_rows(set_up: Classroom) -> None:
    alice, bob = set_up.add("alice", "bob")
    assert recall("decks", "--db", set_up.url(alice))[0] == 0
    _review(set_up.url(alice), [Action.REVEAL, Action.GOOD, Action.REVEAL, Action.AGAIN])
    before = set_up.superuser(f"SELECT count(*), max(id) FROM {alice}.review_log")
    assert before[0][0] == 2
    refused = [
        f"SELECT * FROM {alice}.card",
        f"SELECT count(*) FROM {alice}.review_log",
        f"UPDATE {alice}.card SET stability = 100",
        f"DELETE FROM {alice}.review_log",
        f"INSERT INTO {alice}.setting (scope, key, value) VALUES ('', 'x', 'y')",
        f"SET ROLE {alice}",
    ]
    for statement in refused:
        with set_up.connect(bob) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(statement)
    # Her schema on his search_path is skipped, as the server skips a schema one may not use.
    with set_up.connect(bob) as connection:
        connection.execute(f"SET search_path = {alice}")
        assert connection.execute("SELECT current_schema()").fetchone() == (None,)
        with pytest.raises(psycopg.errors.UndefinedTable):
            connection.execute("SELECT * FROM card")
    # And bob's recall, pointed at her schema, creates and reads nothing there.
    code, out, err = recall("decks", "--json", "--db", set_up.url(bob, search_path=alice))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "no schema has been selected to create in" in err
    assert set_up.superuser(f"SELECT count(*), max(id) FROM {alice}.review_log") == before


@SERVER
def test_a_student_cannot_run_the_class_commands(set_up: Classroom) -> None:
    [bob] = set_up.add("bob")
    for args in (["stats"], ["list"], ["add-student", "mallory", "--no-password"]):
        code, out, err = recall("class", *args, "--db", set_up.url(bob))
        assert (code, out) == (1, "")
        assert f"is for a teacher: {bob} is not a member of recall_teacher" in err
        assert err.count("\n") == 1
    code, _, err = recall("class", "setup", "--db", set_up.url(bob))
    assert code == 1 and f"{bob} may not create roles" in err


@SERVER
def test_class_stats_before_setup_says_to_run_it(classroom: Classroom) -> None:
    code, _, err = recall("class", "stats", "--db", classroom.teacher_url)
    assert code == 1 and "holds no class yet" in err and "recall class setup" in err


def _own_stats(url: str) -> dict[str, Any]:
    code, out, err = recall("stats", "--json", "--db", url)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


@SERVER
def test_class_stats_shows_each_students_own_figures(set_up: Classroom) -> None:
    alice, bob, carol, dave = set_up.add("alice", "bob", "carol", "dave")
    # First opens at once: the advisory lock is the database's, so each waits its turn, and
    # each gets the bundled deck, once, in their own schema.
    failures: list[BaseException] = []

    def first_open(name: str) -> None:
        try:
            student = App(DatabaseLocation.parse(set_up.url(name)), FixedClock(NOW))
            try:
                assert student.store.deck_count() == 1
            finally:
                student.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=first_open, args=(n,)) for n in (alice, bob, carol)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    good, again = [Action.REVEAL, Action.GOOD], [Action.REVEAL, Action.AGAIN]
    _review(set_up.url(alice), good * 6)
    _review(set_up.url(bob), (good + again) * 2)
    assert recall("exam", "2026-12-20", "--db", set_up.url(alice))[0] == 0
    code, out, err = recall("class", "stats", "--json", "--db", set_up.teacher_url)
    assert code == 0, err
    report = json.loads(out)
    by_name = {student["name"]: student for student in report["students"]}
    assert list(by_name) == [alice, bob, carol, dave]
    for name in (alice, bob, carol):
        own = _own_stats(set_up.url(name))
        assert by_name[name]["status"] == "ok"
        assert {key: by_name[name][key] for key in ("horizon", "totals", "decks", "exam")} == {
            key: own.get(key) for key in ("horizon", "totals", "decks", "exam")
        }
    assert by_name[alice]["totals"]["mastery"] > by_name[bob]["totals"]["mastery"] > 0
    assert by_name[carol]["totals"]["mastery"] == 0
    assert by_name[alice]["exam"] is not None and by_name[bob]["exam"] is None
    assert [by_name[n]["on_track"] for n in (alice, bob, carol)] == [
        all(
            s["recall_on_schedule"] >= by_name[alice]["exam"]["target"]
            for s in by_name[alice]["exam"]["sections"]
        )
        and by_name[alice]["exam"]["new_left"] <= by_name[alice]["exam"]["new_possible"],
        None,
        None,
    ]
    assert by_name[dave] == {
        "name": dave, "status": "not_opened", "problem": None, "on_track": None,
        "horizon": None, "totals": None, "decks": None, "exam": None,
    }  # fmt: skip
    whole = report["class"]
    assert (whole["students"], whole["with_collection"], whole["with_exam"]) == (4, 3, 1)
    first = whole["sections"][0]
    masteries = [by_name[n]["decks"][0]["sections"][0]["mastery"] for n in (alice, bob, carol)]
    assert first["mastery"] == {
        "students": 3,
        "mean": pytest.approx(statistics.fmean(masteries)),
        "median": statistics.median(masteries),
    }
    assert first["recall_on_schedule"]["students"] == 1
    # Read-only: dave's schema was not touched, no deck imported into it.
    assert set_up.superuser(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{dave}'") == [(0,)]
    code, out, _ = recall("class", "stats", "--db", set_up.teacher_url)
    assert code == 0
    assert f"Not opened their collection yet: {dave}." in out
    assert "On track: " in out and "of 1 student with an exam." in out
    for name in (alice, bob, carol):
        assert name in out, out


@SERVER
def test_class_stats_reads_a_current_collection_through_a_read_only_connection(
    set_up: Classroom,
) -> None:
    [alice] = set_up.add("alice")
    assert recall("decks", "--db", set_up.url(alice))[0] == 0
    found = student_location(DatabaseLocation.parse(set_up.teacher_url), alice, read_only=True)
    store = Store.open(found, NOW)
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            assert connection.exec_driver_sql("SELECT current_user").scalar() == alice
    finally:
        store.close()


@SERVER
def test_class_stats_upgrades_an_older_collection_as_its_student(set_up: Classroom) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from recall1924.db import _alembic_config

    [alice] = set_up.add("alice")
    engine = create_engine(set_up.url(alice))
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0003")  # before the media table
    finally:
        engine.dispose()
    code, out, err = recall("class", "stats", "--json", "--db", set_up.teacher_url)
    assert code == 0, err
    assert json.loads(out)["students"][0]["status"] == "ok"
    assert set_up.superuser(f"SELECT version_num FROM {alice}.alembic_version") == [
        (HEAD_REVISION,)
    ]
    # What the upgrade created is hers, so her own recall goes on working in it.
    assert set_up.superuser(
        f"SELECT tableowner FROM pg_tables WHERE schemaname = '{alice}' AND tablename = 'media'"
    ) == [(alice,)]
    code, out, err = recall("decks", "--json", "--db", set_up.url(alice))
    assert code == 0, err


@SERVER
def test_a_collection_that_cannot_be_read_is_one_students_problem(set_up: Classroom) -> None:
    alice, bob = set_up.add("alice", "bob")
    assert recall("decks", "--db", set_up.url(bob))[0] == 0
    with set_up.connect(alice) as connection:
        connection.execute("CREATE TABLE notes (x int)")  # her own table, but no recall schema
    code, out, err = recall("class", "stats", "--json", "--db", set_up.teacher_url)
    assert code == 0, err
    found = {s["name"]: (s["status"], s["problem"]) for s in json.loads(out)["students"]}
    assert found == {alice: ("unreadable", "not a recall collection"), bob: ("ok", None)}


@SERVER
def test_remove_student_unregisters_and_drops_only_when_asked(set_up: Classroom) -> None:
    alice, bob = set_up.add("alice", "bob")
    code, out, _ = recall("class", "remove-student", alice, "--db", set_up.teacher_url)
    assert code == 0 and "their login and collection stay" in out
    assert set_up.superuser(f"SELECT count(*) FROM pg_roles WHERE rolname = '{alice}'") == [(1,)]
    code, _, err = recall("class", "remove-student", alice, "--db", set_up.teacher_url)
    assert code == 1 and f"there is no student {alice} in this class" in err
    code, out, err = recall(
        "class", "remove-student", bob, "--drop-collection", "--yes", "--db", set_up.teacher_url
    )
    assert code == 0, err
    assert set_up.superuser(f"SELECT count(*) FROM pg_roles WHERE rolname = '{bob}'") == [(0,)]
    assert set_up.superuser(f"SELECT count(*) FROM pg_namespace WHERE nspname = '{bob}'") == [(0,)]
    assert json.loads(recall("class", "list", "--json", "--db", set_up.teacher_url)[1]) == []
