"""A class's SQL, on PostgreSQL only: the roles, schemas and grants that keep each student's
collection theirs, and the class's register of students.

Holds :data:`CLASS_SCHEMA`, :data:`TEACHER_ROLE`, :class:`Standing` and :func:`standing` (what
the connected role may do in this database), :func:`set_up`, :func:`add_student`,
:func:`remove_student`, :func:`registered` and :func:`reserved_word`.

Each student's collection is a whole recall collection in a schema of its own, owned by the
student's login role; PUBLIC has no privilege on it, so the database itself refuses every other
student (docs/class.md says why schemas and not row-level security). A teacher reads the
collections through membership: each student's role is granted to :data:`TEACHER_ROLE`, whose
members (the teachers) then hold the students' privileges and may ``SET ROLE`` to them.

Every function takes a SQLAlchemy connection, runs in its transaction and leaves the commit to
the caller, so one command's statements are all or nothing (PostgreSQL creates roles, schemas and
grants transactionally). Names reach the SQL quoted by psycopg (:func:`_name`), never pasted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

__all__ = [
    "CLASS_SCHEMA",
    "TEACHER_ROLE",
    "Registered",
    "Standing",
    "add_student",
    "registered",
    "remove_student",
    "reserved_word",
    "public_may_create",
    "set_up",
    "standing",
    "taken",
]

CLASS_SCHEMA = "recall_class"
"""The schema of the class's register (``recall_class.student``), owned by the teachers' role."""
TEACHER_ROLE = "recall_teacher"
"""The group role of the class's teachers: every student's role is granted to it."""


@dataclass(frozen=True)
class Standing:
    """The connected role, and what it may do in the connected database."""

    user: str
    database: str
    may_create_roles: bool
    """CREATEROLE (or superuser): needed to add, and to remove, a student's login role."""
    may_create_schemas: bool
    """CREATE on the database (its owner has it): needed for the class's and students' schemas."""
    class_exists: bool
    """``recall class setup`` has run here: the register's schema exists."""
    teacher: bool
    """The role holds :data:`TEACHER_ROLE`'s privileges (directly or through another role)."""
    public_may_create: bool
    """PUBLIC may still create objects in the ``public`` schema (PostgreSQL 14 and older grant
    it; 15 no longer does)."""


def standing(connection: Connection) -> Standing:
    """What the connected role may do here (reads the catalogs only)."""
    user, database, create_roles, create_schemas = connection.execute(
        text(
            "SELECT current_user, current_database(), rolcreaterole OR rolsuper, "
            "has_database_privilege(current_database(), 'CREATE') "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    teacher_oid = _role_oid(connection, TEACHER_ROLE)
    # Asked only of a role that exists: pg_has_role raises on an unknown one.
    teacher = teacher_oid is not None and bool(
        connection.execute(
            text("SELECT pg_has_role(current_user, :role, 'USAGE')"), {"role": teacher_oid}
        ).scalar()
    )
    return Standing(
        user=user,
        database=database,
        may_create_roles=bool(create_roles),
        may_create_schemas=bool(create_schemas),
        class_exists=_schema_exists(connection, CLASS_SCHEMA),
        teacher=teacher,
        public_may_create=public_may_create(connection),
    )


def public_may_create(connection: Connection) -> bool:
    """Whether PUBLIC may create objects in the ``public`` schema (False when there is none)."""
    if not _schema_exists(connection, "public"):
        return False  # has_schema_privilege raises on an unknown schema
    return bool(
        connection.execute(
            text("SELECT has_schema_privilege('public', 'public', 'CREATE')")
        ).scalar()
    )


def _role_oid(connection: Connection, name: str) -> int | None:
    found = connection.execute(
        text("SELECT oid FROM pg_roles WHERE rolname = :name"), {"name": name}
    ).scalar()
    return None if found is None else int(found)


def _schema_exists(connection: Connection, name: str) -> bool:
    return bool(
        connection.execute(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"), {"name": name}
        ).scalar()
    )


def _driver(connection: Connection) -> Any:
    """psycopg's own connection under ``connection`` (for its quoting and password hashing)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _name(connection: Connection, name: str) -> str:
    """``name`` as a quoted SQL identifier (roles and schemas cannot be bound parameters)."""
    from psycopg import sql

    return str(sql.Identifier(name).as_string(_driver(connection)))


def _run(connection: Connection, statement: str, *names: str) -> None:
    """A utility statement with ``{}`` for each of ``names``, quoted."""
    connection.exec_driver_sql(statement.format(*(_name(connection, n) for n in names)))


def reserved_word(connection: Connection, name: str) -> bool:
    """Whether ``name`` is one of the server's reserved key words (``user``, ``select``,
    ``left``…), which would have to be quoted wherever a teacher writes it in SQL."""
    return bool(
        connection.execute(
            text(
                "SELECT count(*) FROM pg_get_keywords() "
                "WHERE word = :word AND catcode IN ('R', 'T')"
            ),
            {"word": name},
        ).scalar()
    )


def set_up(connection: Connection, standing: Standing) -> list[str]:
    """Make this database a class, as far as it is not one yet; what was done, one line each.

    The teachers' group role, the connected role's membership of it, the register
    (``recall_class.student``, owned by the group so that every teacher may read and change it),
    and no CREATE for PUBLIC on the ``public`` schema. Each step is skipped when already done, so
    running it again changes nothing.
    """
    done: list[str] = []
    if _role_oid(connection, TEACHER_ROLE) is None:
        _run(connection, "CREATE ROLE {} NOLOGIN", TEACHER_ROLE)
        done.append(f"created the group role {TEACHER_ROLE}")
    if not standing.teacher:
        _run(connection, "GRANT {} TO {}", TEACHER_ROLE, standing.user)
        done.append(f"made {standing.user} a member of {TEACHER_ROLE}")
    if standing.public_may_create:
        # Without it a student could put a table or function in a schema on everyone's default
        # search_path, where another role's unqualified names would find it (CVE-2018-1058).
        # Only the schema's owner can revoke it: below 15 that is the superuser, and the
        # statement is then a no-op with a warning (the command's report says so).
        connection.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if not public_may_create(connection):
            done.append("revoked CREATE on schema public from PUBLIC")
    if not standing.class_exists:
        _run(connection, "CREATE SCHEMA {} AUTHORIZATION {}", CLASS_SCHEMA, TEACHER_ROLE)
        done.append(f"created the schema {CLASS_SCHEMA}, owned by {TEACHER_ROLE}")
    # As the group, so the group owns the table: any teacher may add to the register.
    _run(connection, "SET LOCAL ROLE {}", TEACHER_ROLE)
    created = connection.execute(
        text("SELECT to_regclass(:table) IS NULL"), {"table": f"{CLASS_SCHEMA}.student"}
    ).scalar()
    connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {CLASS_SCHEMA}.student ("
        "name TEXT PRIMARY KEY, added_at TIMESTAMP WITH TIME ZONE NOT NULL)"
    )
    connection.exec_driver_sql("RESET ROLE")
    if created:
        done.append(f"created the register {CLASS_SCHEMA}.student")
    return done


def taken(connection: Connection, name: str) -> str | None:
    """What already holds ``name`` on this server: ``"role"`` (roles are the server's, not one
    database's), ``"schema"`` (in this database), or None."""
    if _role_oid(connection, name) is not None:
        return "role"
    if _schema_exists(connection, name):
        return "schema"
    return None


def add_student(
    connection: Connection, name: str, *, password: str | None, added_at: datetime
) -> None:
    """Create student ``name``: a login role, a schema of the same name owned by it (where their
    recall creates their collection on its first open), the role's search_path in this database
    set to that schema, the role granted to the teachers' group, and a line in the register.

    ``password`` goes to the server already hashed (SCRAM, as ``psql``'s ``\\password`` does),
    so it never appears in a statement or the server's log; None: a role without one, for a
    server that authenticates otherwise (peer, certificates).
    """
    from psycopg import sql

    driver = _driver(connection)
    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
    if password is not None:
        hashed = driver.pgconn.encrypt_password(password.encode(), name.encode()).decode()
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(hashed))
    connection.exec_driver_sql(statement.as_string(driver))
    # First: creating a schema for another role takes being able to become that role.
    _run(connection, "GRANT {} TO {}", name, TEACHER_ROLE)
    _run(connection, "CREATE SCHEMA {} AUTHORIZATION {}", name, name)
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    _run(connection, "ALTER ROLE {} IN DATABASE {} SET search_path = {}", name, database, name)
    connection.execute(
        text(f"INSERT INTO {CLASS_SCHEMA}.student (name, added_at) VALUES (:name, :added_at)"),
        {"name": name, "added_at": added_at},
    )


def remove_student(connection: Connection, name: str, *, drop_collection: bool) -> bool:
    """Take ``name`` off the register; whether they were on it. With ``drop_collection``, also
    drop their schema (their collection: every card and answer) and their login role."""
    gone = connection.execute(
        text(f"DELETE FROM {CLASS_SCHEMA}.student WHERE name = :name"), {"name": name}
    ).rowcount
    if drop_collection:
        if _schema_exists(connection, name):
            _run(connection, "DROP SCHEMA {} CASCADE", name)
        if _role_oid(connection, name) is not None:
            _run(connection, "DROP ROLE {}", name)
    return bool(gone)


@dataclass(frozen=True)
class Registered:
    """One student on the register."""

    name: str
    added_at: datetime
    opened: bool
    """Their recall has created their collection (their schema holds recall's tables)."""


def registered(connection: Connection) -> list[Registered]:
    """The register, by name; whether each collection exists is read from the catalog, which
    every role may read, so it needs no privilege on the students' schemas."""
    rows = connection.execute(
        text(
            f"SELECT s.name, s.added_at, EXISTS (SELECT 1 FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = s.name AND c.relname = 'alembic_version') "
            f"FROM {CLASS_SCHEMA}.student s ORDER BY s.name"
        )
    )
    return [Registered(name, added_at, bool(opened)) for name, added_at, opened in rows]
