"""The ``recall`` command: parse the command line, build the :class:`~recall1924.context.App`,
call one service, print the result (or ``--json``). No SQL and no scheduling here.

The typer app and what every command shares live in :mod:`.base`; the commands in one module
per group, imported here so that they register, in the order ``recall --help`` lists them.
Imports inside the commands are lazy: ``recall --help`` and ``--version`` load typer and
nothing of the database, scheduler or terminal stack.
"""

from __future__ import annotations

# isort: off
# In the order recall --help lists them.
from recall1924.cli import study  # noqa: F401 - review, cram, suspend, unsuspend
from recall1924.cli import readiness  # noqa: F401 - stats, exam
from recall1924.cli import collection  # noqa: F401 - import, export, decks, cards, card
from recall1924.cli import config  # noqa: F401 - optimize, config
from recall1924.cli import doctor  # noqa: F401 - doctor
from recall1924.cli import backup  # noqa: F401 - backup, backups, restore
from recall1924.cli.base import app, main

# isort: on

__all__ = ["app", "main"]
