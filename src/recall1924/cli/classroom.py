"""A class on PostgreSQL: ``recall class setup``, ``add-student``, ``remove-student``, ``list``
and ``stats``, run by the teacher against the class's database (docs/class.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.context import App

class_app = typer.Typer(
    help="A class on PostgreSQL: each student's collection their own, the teacher's report on "
    "them all (docs/class.md).",
    no_args_is_help=True,
)
app.add_typer(class_app, name="class")

ClassDbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        "--database-url",
        metavar="URL",
        help="The class's database, as the teacher: postgresql://TEACHER@HOST/DATABASE "
        "[env: RECALL_DATABASE_URL].",
    ),
]
NameArgument = Annotated[
    str,
    typer.Argument(
        help="The student's name: their login role and schema (lower-case letters, digits, _).",
        show_default=False,
    ),
]


def _class_app(ctx: typer.Context, db: str | None) -> App:
    """The App of a class command: its database is never opened as a collection (the
    teacher's own login holds none); the services connect to it themselves."""
    return app_for(ctx, db, bundled=False)


@class_app.command()
def setup(ctx: typer.Context, db: ClassDbOption = None) -> None:
    """Make the database a class: the recall_teacher group role (you in it), the register of
    students, and no CREATE for PUBLIC on schema public. Running it again changes nothing."""
    from recall1924.classroom import set_up

    app_obj = _class_app(ctx, db)
    done = set_up(app_obj.location)
    for line in done.done:
        typer.echo(f"- {line}")
    state = "Set up" if done.done else "Already set up:"
    typer.echo(
        f"{state} the class in database {done.database}, with {done.user} as a teacher. "
        "Add a student with: recall class add-student NAME"
    )
    if done.public_may_create:
        typer.echo(
            "Warning: PUBLIC may still create objects in schema public; only its owner can "
            "revoke that: ask the server's superuser to run REVOKE CREATE ON SCHEMA public "
            "FROM PUBLIC in this database (docs/class.md).",
            err=True,
        )


def _password(name: str, from_stdin: bool, none: bool) -> str | None:
    """The new student's password: none, one line of stdin, or asked for twice (hidden)."""
    from recall1924.errors import SettingError

    if from_stdin and none:
        raise SettingError("give --password-from-stdin or --no-password, not both")
    if none:
        return None
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(
            f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
    if not password:
        raise SettingError("the password is empty: give one, or --no-password for a role without")
    return password


@class_app.command("add-student")
def add_student(
    ctx: typer.Context,
    name: NameArgument,
    password_from_stdin: Annotated[
        bool,
        typer.Option(
            "--password-from-stdin", help="Read the password from the first line of stdin."
        ),
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password", help="No password: the server authenticates otherwise (peer, certs)."
        ),
    ] = False,
    db: ClassDbOption = None,
) -> None:
    """Add a student: a login role NAME, a schema NAME only that role (and the teachers) can
    use, where their recall keeps their collection, and a line in the register. Asks for the
    password unless --password-from-stdin or --no-password."""
    from recall1924 import classroom

    classroom.check_name(name)
    app_obj = _class_app(ctx, db)
    location = classroom.server_location(app_obj.location)
    password = _password(name, password_from_stdin, no_password)
    classroom.add_student(location, name, password=password, now=app_obj.clock.now())
    typer.echo(
        f"Added {name}. Their recall opens their own collection with: "
        f"--db {classroom.login_url(location, name)}"
    )


@class_app.command("remove-student")
def remove_student(
    ctx: typer.Context,
    name: NameArgument,
    drop_collection: Annotated[
        bool,
        typer.Option(
            "--drop-collection",
            help="Also delete their collection (every card and answer) and their login role.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: ClassDbOption = None,
) -> None:
    """Take a student off the register (their login and collection stay, unless
    --drop-collection)."""
    from recall1924 import classroom

    classroom.check_name(name)
    app_obj = _class_app(ctx, db)
    location = classroom.server_location(app_obj.location)
    if drop_collection and not yes:
        typer.confirm(
            f"Delete {name}'s collection, with every card and answer in it, and their login?",
            abort=True,
        )
    classroom.remove_student(location, name, drop_collection=drop_collection)
    kept = (
        "; their collection and login are deleted"
        if drop_collection
        else "; their login and collection stay (--drop-collection deletes them)"
    )
    typer.echo(f"Removed {name} from the class{kept}")


@class_app.command("list")
def list_students(
    ctx: typer.Context, as_json: JsonOption = False, db: ClassDbOption = None
) -> None:
    """The students: when each was added, and whether their collection exists yet."""
    from recall1924 import classroom

    app_obj = _class_app(ctx, db)
    register = classroom.students(app_obj.location)

    def table(console: Console) -> None:
        from recall1924.ui.classroom import print_students

        print_students(console, register)

    emit(app_obj, as_json, json=lambda: [classroom.student_json(s) for s in register], table=table)


@class_app.command()
def stats(ctx: typer.Context, as_json: JsonOption = False, db: ClassDbOption = None) -> None:
    """Each student's mastery per section and exam readiness, read from their own collection as
    their recall stats shows them, and the class's mean, median and students on track."""
    from recall1924.classroom import class_stats

    app_obj = _class_app(ctx, db)
    report = class_stats(app_obj.location, app_obj.clock)

    def table(console: Console) -> None:
        from recall1924.ui.classroom import print_class_stats

        print_class_stats(console, report)

    emit(app_obj, as_json, json=report.to_json, table=table)
