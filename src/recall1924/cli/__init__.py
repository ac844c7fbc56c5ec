"""The ``recall`` command: parse the command line, build the :class:`~recall1924.context.App`,
call one service, print the result (or ``--json``). No SQL and no scheduling here.

The typer app and what every command shares live in :mod:`.base`; the commands in one module
per group, imported here so that they register, in the order ``recall --help`` lists them.
Imports inside the commands are lazy: ``recall --help`` and ``--version`` load typer and
nothing of the database, scheduler or terminal stack. :func:`main` has typer build only the
command it runs.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
from collections.abc import Sequence

import typer
from typer.main import get_command_name

# isort: off
# In the order recall --help lists them.
from recall1924.cli import study  # noqa: F401 - review, cram, suspend, unsuspend, forget
from recall1924.cli import readiness  # noqa: F401 - stats, exam
from recall1924.cli import collection  # noqa: F401 - import, export, decks, cards, card
from recall1924.cli import edit  # noqa: F401 - add, edit, flag, unflag, flagged
from recall1924.cli import draft  # noqa: F401 - draft
from recall1924.cli import config  # noqa: F401 - optimize, config
from recall1924.cli import doctor  # noqa: F401 - doctor
from recall1924.cli import backup  # noqa: F401 - backup, backups, restore
from recall1924.cli import moving  # noqa: F401 - migrate-store
from recall1924.cli import classroom  # noqa: F401 - class
from recall1924.cli.base import app

# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``recall`` command."""
    # Shell completion reads the words typed so far from its own variables: every command.
    completing = "_RECALL_COMPLETE" in os.environ
    try:
        (app if completing else app_for(sys.argv[1:]))(prog_name="recall")
    finally:
        leave_to_exit()


def leave_to_exit() -> None:
    """Leave the objects the command made to the process's end, not to Python's last
    collection.

    At exit Python drops every module and then collects the cycles among their objects, every
    function, class and table of typer, SQLAlchemy, pydantic and recall: 0.13 s of CPU after a
    glance, as much as the glance's own work, and 0.16 s after ``cards --json``, to give back
    memory the system takes back with the process anyway. :func:`gc.freeze` moves every object
    the collector knows out of its reach, so that collection finds nothing to do. The rest of
    the exit is as before: the ``atexit`` handlers run, stdout and stderr are flushed, and an
    object freed by its last reference is still freed (and a file closed). The command's own
    files and its database are closed before it returns (``App.close``), so nothing waits for
    that collection.
    """
    gc.freeze()


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app with only the command (or group) that ``args`` start with, or none for a bare
    ``recall`` (the glance); the whole app when they start with an option or name no command.

    Typer turns every command it holds into a click command on every run, reading each one's
    signature and annotations: 12 ms for two dozen commands, a tenth of what the glance does
    besides importing. The command asked for is all it needs: its help, its options, its
    errors are the same. Anything else (``--db PATH stats``, ``--help``, a misspelt command,
    which typer answers with the names it knows) goes to the whole app.
    """
    if args and args[0].startswith("-"):
        return app
    name = args[0] if args else None
    only = copy.copy(app)
    only.registered_commands = [
        command
        for command in app.registered_commands
        if (command.name or get_command_name(getattr(command.callback, "__name__", ""))) == name
    ]
    only.registered_groups = [group for group in app.registered_groups if group.name == name]
    if name is not None and not (only.registered_commands or only.registered_groups):
        return app
    return only
