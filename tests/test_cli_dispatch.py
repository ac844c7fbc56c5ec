"""``recall`` has typer build only the command it runs: every command and group still answers
as it does in the whole app, and anything that is not a command's name gets the whole app."""

from __future__ import annotations

import pytest
from typer.core import TyperGroup
from typer.main import get_command, get_command_name
from typer.testing import CliRunner

from recall1924.cli import app, app_for

runner = CliRunner()

NAMES = [
    command.name or get_command_name(command.callback.__name__)
    for command in app.registered_commands
    if command.callback is not None
] + [group.name for group in app.registered_groups if group.name]


def test_every_command_and_group_is_walked() -> None:
    assert {"review", "stats", "cards", "config", "decks"} <= set(NAMES)
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("name", NAMES)
def test_a_command_is_built_alone_and_answers_as_in_the_whole_app(name: str) -> None:
    only = get_command(app_for([name, "--help"]))
    assert isinstance(only, TyperGroup)
    assert list(only.commands) == [name]
    alone = runner.invoke(app_for([name, "--help"]), [name, "--help"], prog_name="recall")
    whole = runner.invoke(app, [name, "--help"], prog_name="recall")
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)
    assert alone.exit_code == 0


def test_the_glance_builds_no_command(db_path: object) -> None:
    only = get_command(app_for([]))
    assert isinstance(only, TyperGroup) and not only.commands
    result = runner.invoke(app_for([]), [], env={"RECALL_NOW": "2026-11-27T09:00:00+00:00"})
    assert result.exit_code == 0, result.output
    assert "Next:" in result.output


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["--db", "x.db", "stats"], ["stat"], ["-h"]]
)
def test_options_first_or_no_command_get_the_whole_app(args: list[str]) -> None:
    assert app_for(args) is app


def test_a_misspelt_command_is_answered_with_the_names_there_are() -> None:
    result = runner.invoke(app_for(["stat"]), ["stat"], prog_name="recall")
    assert result.exit_code == 2
    assert "Did you mean 'stats'?" in result.output
