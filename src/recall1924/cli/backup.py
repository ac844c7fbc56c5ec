"""Keeping the collection safe: making a backup, listing them, restoring one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recall1924.cli.base import DbOption, app, app_for
from recall1924.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it


def _sqlite_file(ctx: typer.Context, db: str | None, command: str) -> Path:
    """The collection's SQLite file: these commands copy the file itself, so a collection on
    a PostgreSQL server is refused in one line (the server has pg_dump and pg_restore)."""
    return app_for(ctx, db, bundled=False).location.sqlite_file(f"recall {command}")


def _existing(ctx: typer.Context, db: str | None) -> Path:
    """The collection's file, which must exist (these commands never create one)."""
    from recall1924.errors import NotFoundError

    path = _sqlite_file(ctx, db, "backup")
    if not path.exists():
        raise NotFoundError(f"there is no collection at {path} yet")
    return path


@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Write the copy here [default: the backups folder].", dir_okay=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """Back the collection up now: a consistent copy, whatever another recall is doing."""
    from recall1924.backups import copy_to, take_backup

    path = _existing(ctx, db)
    app_obj = app_for(ctx, db, bundled=False)
    if file is None:
        made = take_backup(path, app_obj.clock.now())
    else:
        made = copy_to(path, file, force=force)
    typer.echo(f"Backed up {path} to {made}")


@app.command()
def backups(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the backups of the collection, newest first: when, size, cards and answers."""
    from recall1924.backups import backup_folder, list_backups, read_contents
    from recall1924.clock import iso
    from recall1924.errors import DatabaseError

    app_obj = app_for(ctx, db, bundled=False)
    path = _sqlite_file(ctx, db, "backups")
    found = []
    for item in list_backups(path):
        try:
            contents = read_contents(item.path, check=False)
        except DatabaseError:
            contents = None
        found.append((item, contents))

    def table(console: Console) -> None:
        from recall1924.ui.backups import print_backups

        print_backups(console, found, str(backup_folder(path)))

    emit(
        app_obj,
        as_json,
        json=lambda: [
            {
                "file": str(item.path),
                "taken_at": iso(item.taken_at),
                "size": item.size,
                "cards": None if contents is None else contents.cards,
                "answers": None if contents is None else contents.answers,
                "schema": None if contents is None else contents.revision,
            }
            for item, contents in found
        ],
        table=table,
    )


@app.command()
def restore(
    ctx: typer.Context,
    which: Annotated[
        str, typer.Argument(metavar="FILE|latest", help="A backup (see recall backups), or latest.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Put a backup in place of the collection (the collection as it is now is backed up
    first, so a restore can itself be undone). Refused while another recall has it open."""
    from recall1924.backups import read_contents, resolve_backup, restore_backup

    app_obj = app_for(ctx, db, bundled=False)
    _sqlite_file(ctx, db, "restore")
    source = resolve_backup(app_obj.db_path, which)
    contents = read_contents(source)
    if not yes:
        typer.confirm(
            f"Replace {app_obj.db_path} with {source} ({contents.cards} cards, "
            f"{contents.answers} answers)?",
            abort=True,
        )
    restored = restore_backup(app_obj.db_path, source, app_obj.clock.now())
    typer.echo(
        f"Restored {source} ({contents.cards} cards, {contents.answers} answers) to "
        f"{app_obj.db_path}."
    )
    if restored.damaged:
        typer.echo(f"The damaged collection before is kept, as it was, at {restored.saved}")
    elif restored.saved is not None:
        typer.echo(f"The collection before is kept at {restored.saved}")
