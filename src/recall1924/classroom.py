"""A class on PostgreSQL: students' collections in one database, each the student's own, and
the teacher's report on them all (``recall class``).

Holds the refusals (:class:`ClassError`, :class:`StudentNameError`), :func:`check_name`,
:func:`student_location`, the commands' services (:func:`set_up`, :func:`add_student`,
:func:`remove_student`, :func:`students`, :func:`class_stats`) and the report they return
(:class:`ClassReport`, :class:`StudentStats`, :class:`ClassSection`, :class:`Spread`).

Each student's collection is a whole recall collection in a schema named after them and owned
by their login role, so a student's recall runs exactly as a single student's does (the same
tables, keys, migrations and first import of the bundled deck) and the database's privileges
keep each student out of the others' (:mod:`recall1924.store.classroom`, docs/class.md). The
teacher reads each collection as its student (``SET ROLE`` through the connection's options),
read-only, with the same stats service ``recall stats`` uses (:func:`~recall1924.readiness.
stats_report`): the class report is that service's figures side by side, never recomputed.

The report is plain data with ``to_json``; ``ui/classroom.py`` draws it for a terminal, and a
web page can draw the same.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from recall1924.errors import RecallError
from recall1924.location import DatabaseLocation

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from recall1924.clock import Clock
    from recall1924.stats import StatsReport
    from recall1924.store.classroom import Registered

__all__ = [
    "ClassError",
    "ClassReport",
    "ClassSection",
    "SetUp",
    "Spread",
    "StudentNameError",
    "StudentStats",
    "add_student",
    "check_name",
    "class_stats",
    "login_url",
    "remove_student",
    "server_location",
    "set_up",
    "student_json",
    "student_location",
    "students",
]


class ClassError(RecallError):
    """A class command that cannot run here: no server, no class yet, not a teacher, a name
    already taken."""


class StudentNameError(RecallError):
    """A student's name that cannot be a PostgreSQL role and schema name (bad input)."""

    exit_code = 2


_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_RESERVED = frozenset({"public", "postgres", "information_schema"})


def check_name(name: str) -> str:
    """``name`` if it can be a student's role and schema name, written the same everywhere
    without quotes (in a URL, ``psql``, SQL): 1 to 63 lower-case ASCII letters, digits and
    underscores, starting with a letter; not ``pg_…`` (PostgreSQL's own), not recall's class
    names, not ``public``.

    Raises:
        StudentNameError: it is not one.
    """
    from recall1924.store.classroom import CLASS_SCHEMA, TEACHER_ROLE

    if (
        not _NAME.fullmatch(name)
        or name.startswith("pg_")
        or name in _RESERVED | {CLASS_SCHEMA, TEACHER_ROLE}
    ):
        raise StudentNameError(
            f"{name!r} cannot be a student's name: use 1 to 63 lower-case letters, digits and "
            "underscores, starting with a letter (not pg_…, public, recall_class, recall_teacher)"
        )
    return name


def server_location(location: DatabaseLocation) -> DatabaseLocation:
    """``location``, which must be a database on a PostgreSQL server.

    Raises:
        ClassError: it is a SQLite file.
    """
    if location.is_sqlite:
        raise ClassError(
            f"a class needs a PostgreSQL database, and {location} is a SQLite file: give "
            "--db postgresql://TEACHER@HOST/DATABASE (see docs/class.md)"
        )
    return location


@contextmanager
def _connected(location: DatabaseLocation) -> Iterator[Connection]:
    """A connection to the class's database as whoever ``location`` names, in one transaction
    committed when the block ends without an error (rolled back otherwise).

    Raises:
        ClassError: ``location`` is a SQLite file.
        UnreachableDatabaseError: the server did not answer or refused the login.
    """
    # _reach: the one line db.py makes of a server that cannot be reached.
    from recall1924.db import _reach, make_server_engine

    engine = make_server_engine(server_location(location))
    try:
        with _reach(engine, location) as connection:
            yield connection
            connection.commit()
    finally:
        engine.dispose()


def _teacher(connection: Connection, location: DatabaseLocation, what: str) -> None:
    """Refuse ``what`` unless the class is set up here and the connected role is a teacher."""
    from recall1924.store.classroom import CLASS_SCHEMA, TEACHER_ROLE, standing

    found = standing(connection)
    if not found.class_exists:
        raise ClassError(
            f"{location} holds no class yet (no schema {CLASS_SCHEMA}): run recall class setup "
            "first, as the database's owner"
        )
    if not found.teacher:
        raise ClassError(
            f"{what} is for a teacher: {found.user} is not a member of {TEACHER_ROLE} "
            f"(GRANT {TEACHER_ROLE} TO {found.user}, or connect as a teacher)"
        )


@dataclass(frozen=True)
class SetUp:
    """What ``recall class setup`` did, and what is left for the server's superuser."""

    database: str
    user: str
    done: list[str]
    """One line per step this run took; empty when the class was set up already."""
    public_may_create: bool
    """PUBLIC may still create in schema ``public`` (below PostgreSQL 15 only its owner, the
    superuser, can revoke that)."""


def set_up(location: DatabaseLocation) -> SetUp:
    """Make the database at ``location`` a class, as far as it is not one yet (idempotent).

    Raises:
        ClassError: a SQLite file; or the connected role may not create roles or schemas here.
    """
    from recall1924.store import classroom as sql

    with _connected(location) as connection:
        found = sql.standing(connection)
        if not (found.may_create_roles and found.may_create_schemas):
            raise ClassError(
                f"recall class setup needs a role with CREATEROLE that may create schemas in "
                f"{found.database} (its owner): {found.user} "
                + (
                    "may not create roles"
                    if not found.may_create_roles
                    else "may not create schemas"
                )
            )
        done = sql.set_up(connection, found)
        left = sql.public_may_create(connection)
    return SetUp(found.database, found.user, done, left)


def _name_free(connection: Connection, name: str) -> None:
    from recall1924.store import classroom as sql

    if sql.reserved_word(connection, name):
        raise StudentNameError(
            f"{name!r} cannot be a student's name: it is one of PostgreSQL's reserved words"
        )
    holder = sql.taken(connection, name)
    if holder == "role":
        raise ClassError(
            f"a role named {name} already exists on this server: choose another name "
            "(roles are the whole server's, not one database's)"
        )
    if holder == "schema":
        raise ClassError(
            f"a schema named {name} already exists in this database: choose another name"
        )


def add_student(
    location: DatabaseLocation, name: str, *, password: str | None, now: datetime
) -> Registered:
    """Add student ``name`` to the class at ``location``: their login role (with ``password``,
    or none), their schema, and their line in the register, all or nothing.

    Raises:
        StudentNameError: ``name`` cannot be a role's and schema's name.
        ClassError: a SQLite file, no class here, not a teacher, or ``name`` is taken.
    """
    from recall1924.store import classroom as sql

    check_name(name)
    with _connected(location) as connection:
        _teacher(connection, location, "adding a student")
        found = sql.standing(connection)
        if not (found.may_create_roles and found.may_create_schemas):
            raise ClassError(
                "adding a student creates a login role and a schema: connect as a teacher with "
                f"CREATEROLE and CREATE on {found.database} ({found.user} has not both)"
            )
        _name_free(connection, name)
        sql.add_student(connection, name, password=password, added_at=now)
    return sql.Registered(name, now, opened=False)


def remove_student(location: DatabaseLocation, name: str, *, drop_collection: bool) -> None:
    """Take ``name`` off the register; with ``drop_collection``, also drop their collection
    (schema) and login role.

    Raises:
        StudentNameError: ``name`` cannot be a student's.
        ClassError: a SQLite file, no class here, not a teacher, or no such student.
    """
    from recall1924.store import classroom as sql

    check_name(name)
    with _connected(location) as connection:
        _teacher(connection, location, "removing a student")
        if not sql.remove_student(connection, name, drop_collection=drop_collection):
            raise ClassError(f"there is no student {name} in this class (see: recall class list)")


def students(location: DatabaseLocation) -> list[Registered]:
    """The class's register, by name.

    Raises:
        ClassError: a SQLite file, no class here, or not a teacher.
    """
    from recall1924.store import classroom as sql

    with _connected(location) as connection:
        _teacher(connection, location, "the class list")
        return sql.registered(connection)


def student_json(student: Registered) -> dict[str, Any]:
    """A student on the register as JSON-ready data (``recall class list --json``)."""
    from recall1924.clock import iso

    return {"name": student.name, "added_at": iso(student.added_at), "opened": student.opened}


def login_url(location: DatabaseLocation, name: str) -> str:
    """The URL student ``name`` gives their recall: the class's server and database, logged in
    as them (their role's search_path finds their schema), with no password or options."""
    parts = urlsplit(location.url)
    host = parts.netloc.rpartition("@")[2]
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in {"options", "user", "password", "passfile"}
    ]
    text = urlunsplit(
        (
            parts.scheme,
            f"{name}@{host}",
            parts.path,
            urlencode(query, safe="/", quote_via=quote),
            "",
        )
    )
    return DatabaseLocation.parse(text).display


# The class report
# ---------------------------------------------------------------------------------------------

_OPTIONS_SET_HERE = frozenset({"search_path", "role", "default_transaction_read_only"})


def student_location(
    location: DatabaseLocation, name: str, *, read_only: bool = False
) -> DatabaseLocation:
    """The collection of student ``name``, reached through the teacher's ``location``.

    The same server, database and login, with libpq's ``options`` setting the session's role
    to the student's (``SET ROLE``: the teacher works with exactly the student's privileges,
    and whatever an upgrade creates is the student's) and search_path to the student's schema;
    ``read_only`` also makes every transaction read-only, so the database refuses any write.
    Other options the URL gives are kept.
    """
    parts = urlsplit(location.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = " ".join(value for key, value in query if key == "options")
    settings = [*_other_options(given), f"-c search_path={name}", f"-c role={name}"]
    if read_only:
        settings.append("-c default_transaction_read_only=on")
    query = [(key, value) for key, value in query if key != "options"]
    query.append(("options", " ".join(settings)))
    text = urlunsplit((*parts[:3], urlencode(query, quote_via=quote), parts.fragment))
    return DatabaseLocation.parse(text)


def _other_options(options: str) -> list[str]:
    """libpq ``options`` without the settings :func:`student_location` gives itself."""
    words = options.split()
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            setting, index = words[index + 1], index + 2
        elif word.startswith("-c"):
            setting, index = word[2:], index + 1
        elif word.startswith("--"):
            setting, index = word[2:], index + 1
        else:
            kept.append(word)
            index += 1
            continue
        if setting.partition("=")[0].replace("-", "_").lower() not in _OPTIONS_SET_HERE:
            kept.append(f"-c {setting}")
    return kept


Status = Literal["ok", "not_opened", "unreadable"]


@dataclass(frozen=True)
class StudentStats:
    """One student's figures, as their own ``recall stats`` gives them."""

    name: str
    status: Status
    """``ok``; ``not_opened``: their recall has not created their collection yet;
    ``unreadable``: it could not be read (:attr:`problem` says why)."""
    report: StatsReport | None = None
    problem: str | None = None

    @property
    def on_track(self) -> bool | None:
        """With an exam set: whether every section reaches the exam's target on exam day if
        the student keeps to the schedule, and the new cards left can all start before it (what
        ``recall stats`` marks red or warns about otherwise). None without an exam."""
        exam = None if self.report is None else self.report.exam
        if exam is None:
            return None
        below = any(section.recall_on_schedule < exam.target for section in exam.sections)
        return not below and not exam.too_many_new

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "problem": self.problem,
            "on_track": self.on_track,
        }
        figures = {} if self.report is None else self.report.to_json()
        for key in ("horizon", "totals", "decks", "exam"):
            data[key] = figures.get(key)
        return data


@dataclass(frozen=True)
class Spread:
    """A figure over the students who have it: their mean and median."""

    students: int
    mean: float
    median: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        return cls(len(values), statistics.fmean(values), statistics.median(values))

    def to_json(self) -> dict[str, Any]:
        return {"students": self.students, "mean": self.mean, "median": self.median}


@dataclass(frozen=True)
class ClassSection:
    """One section over the class: its mastery, and on exam day on schedule."""

    deck: str
    id: str
    title: str
    mastery: Spread
    recall_on_schedule: Spread | None
    """Over the students with an exam; None when none has one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "deck": self.deck,
            "id": self.id,
            "title": self.title,
            "mastery": self.mastery.to_json(),
            "recall_on_schedule": None
            if self.recall_on_schedule is None
            else self.recall_on_schedule.to_json(),
        }


@dataclass(frozen=True)
class ClassReport:
    """``recall class stats``: each student's mastery and exam readiness, and the class's."""

    database: str
    now: datetime
    students: list[StudentStats]
    sections: list[ClassSection] = field(default_factory=list)
    mastery: Spread | None = None
    """The students' overall mastery (their totals')."""

    @property
    def with_exam(self) -> int:
        return sum(student.on_track is not None for student in self.students)

    @property
    def on_track(self) -> int:
        return sum(student.on_track is True for student in self.students)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (see docs/json.md)."""
        from recall1924.clock import iso

        return {
            "database": self.database,
            "now": iso(self.now),
            "students": [student.to_json() for student in self.students],
            "class": {
                "students": len(self.students),
                "with_collection": sum(s.status == "ok" for s in self.students),
                "with_exam": self.with_exam,
                "on_track": self.on_track,
                "mastery": None if self.mastery is None else self.mastery.to_json(),
                "sections": [section.to_json() for section in self.sections],
            },
        }


def class_stats(location: DatabaseLocation, clock: Clock) -> ClassReport:
    """Every registered student's stats now, read from their own collection as they would see
    it, and the class's spread of them.

    A collection at this recall's schema is read through a read-only connection; an older one
    is upgraded first (as its student, so the student owns what the upgrade creates); one never
    opened is reported as such and left untouched (no schema is created, no deck imported).

    Raises:
        ClassError: a SQLite file, no class here, or not a teacher.
    """
    with _connected(location) as connection:
        _teacher(connection, location, "recall class stats")
        from recall1924.store.classroom import registered

        register = registered(connection)
    found = [_student_stats(location, student.name, clock) for student in register]
    return ClassReport(
        database=str(location),
        now=clock.now(),
        students=found,
        sections=_class_sections(found),
        mastery=Spread.of([s.report.totals.mastery for s in found if s.report is not None]),
    )


def _student_stats(location: DatabaseLocation, name: str, clock: Clock) -> StudentStats:
    """One student's stats, or why there are none (a collection that cannot be read is one
    student's problem, not the whole report's)."""
    from sqlalchemy.exc import DBAPIError

    from recall1924.context import App
    from recall1924.db import HEAD_REVISION, server_schema
    from recall1924.readiness import stats_report

    try:
        has_tables, revision = server_schema(student_location(location, name))
        if revision is None:
            if has_tables:
                return StudentStats(name, "unreadable", problem="not a recall collection")
            return StudentStats(name, "not_opened")
        reader = App(
            student_location(location, name, read_only=revision == HEAD_REVISION),
            clock,
            bundled=False,  # never import or update a deck in a student's collection
        )
        try:
            return StudentStats(name, "ok", stats_report(reader, full=True))
        finally:
            reader.close()
    except RecallError as exc:
        return StudentStats(name, "unreadable", problem=_first_line(str(exc)))
    except DBAPIError as exc:
        return StudentStats(name, "unreadable", problem=_first_line(str(exc.orig or exc)))


def _first_line(text: str) -> str:
    return " ".join(text.strip().partition("\n")[0].split())


def _class_sections(found: Sequence[StudentStats]) -> list[ClassSection]:
    """Each section any student has, in the order they first appear: its mastery over the
    students who have it, and its recall on exam day on schedule over those with an exam."""
    titles: dict[tuple[str, str], str] = {}
    mastery: dict[tuple[str, str], list[float]] = {}
    on_schedule: dict[tuple[str, str], list[float]] = {}
    for student in found:
        if student.report is None:
            continue
        for deck in student.report.decks:
            for section in deck.sections:
                titles.setdefault((deck.id, section.id), section.title)
                mastery.setdefault((deck.id, section.id), []).append(section.mastery)
        exam = student.report.exam
        for exam_section in [] if exam is None else exam.sections:
            key = (exam_section.deck, exam_section.id)
            on_schedule.setdefault(key, []).append(exam_section.recall_on_schedule)
    sections = []
    for key, title in titles.items():
        spread = Spread.of(mastery[key])
        assert spread is not None
        sections.append(
            ClassSection(key[0], key[1], title, spread, Spread.of(on_schedule.get(key, [])))
        )
    return sections
