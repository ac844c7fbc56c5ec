"""The output every command shares: ``--json``, notices, and one way to print either.

Holds :data:`JsonOption` (the ``--json`` flag), :func:`print_json`, :func:`show_notices` and
:func:`emit`. A listing takes ``as_json: JsonOption = False`` and ends with one call::

    emit(app_obj, as_json, json=lambda: report.to_json(), table=lambda c: print_x(c, report))

so that every listing behaves the same: notices go to stderr first, then stdout holds either
one JSON document and nothing else, or the tables. docs/json.md documents the conventions and
each command's shape.
"""

from __future__ import annotations

import json as json_module
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.context import App

__all__ = ["JsonOption", "emit", "print_json", "show_notices"]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (see docs/json.md) instead of tables.")
]


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, readable in any script (é, Кремль) and inert on a
    terminal: controls and invisible format characters in deck text are ``\\uXXXX`` escapes."""
    from recall1924.ui.text import visible_json

    typer.echo(visible_json(json_module.dumps(data, indent=2, ensure_ascii=False)))


def show_notices(app_obj: App) -> None:
    """Print what happened on the way (a first run, an upgrade, an unreadable setting) on
    stderr, once: stdout stays the command's own output."""
    if not app_obj.notices:
        return  # printing none would still load the report module
    from recall1924.ui.reports import print_notices

    print_notices(app_obj.err_console, app_obj.notices)
    app_obj.notices.clear()


def emit(
    app_obj: App,
    as_json: bool,
    *,
    json: Callable[[], Any],
    table: Callable[[Console], None],
) -> None:
    """End a listing: the notices on stderr, then ``json()`` as JSON (``as_json``) or
    ``table`` drawn on the command's console. Only the one asked for is built."""
    show_notices(app_obj)
    if as_json:
        print_json(json())
    else:
        table(app_obj.console)
