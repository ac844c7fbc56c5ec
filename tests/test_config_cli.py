"""`recall config`, `config set` and `config reset` through typer's CliRunner: exact stored
values, unreadable stored values, negative numbers and error messages in the user's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from typer.testing import CliRunner

import collection_sql
from conftest import NOW
from recall1924.cli import app
from recall1924.store import Store

runner = CliRunner()


def recall(*args: str, input: str | None = None) -> tuple[int, str, str]:
    env = {"RECALL_NOW": NOW.isoformat()}
    result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def shown() -> dict[str, str]:
    code, out, _ = recall("config", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def store_raw(db_path: Path, key: str, text: str) -> None:
    """Write ``text`` as it stands, as a hand-edited or older database would hold it."""
    store = Store.open(collection_sql.location(db_path), NOW)
    try:
        store.save_setting(key, text)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("relearning_steps", "45d"),
        ("relearning_steps", "30d"),
        ("relearning_steps", "36500d"),
        ("learning_steps", "90m 100m 36h"),
        ("learning_steps", "1m 10m 1h 1d 400d"),
    ],
)
def test_steps_are_stored_exactly_and_every_command_still_runs(key: str, value: str) -> None:
    assert recall("config", "set", key, value)[:2] == (0, f"{key} = {value}\n")
    assert shown()[key] == value
    for command in (["config"], ["stats"], ["decks"], []):
        code, _, err = recall(*command)
        assert code == 0, (command, err)
    assert recall("review", input="q")[0] == 0


def test_steps_given_in_other_units_are_stored_in_the_largest_exact_one() -> None:
    assert recall("config", "set", "learning_steps", "1.5h,0.5d 120s")[1] == (
        "learning_steps = 90m 12h 2m\n"
    )


def test_parameters_are_stored_at_full_precision() -> None:
    values = (0.2123456789012345, 1.29310000000001, *DEFAULT_PARAMETERS[2:])
    text = " ".join(map(repr, values))
    assert recall("config", "set", "parameters", text)[:2] == (0, f"parameters = {text}\n")
    assert tuple(shown()["parameters"]) == values  # --json gives numbers as numbers
    _, table, _ = recall("config")
    assert "0.212346 1.2931 2.3065" in table  # the table rounds for people; storage does not


def test_an_unreadable_stored_value_never_stops_recall(db_path: Path) -> None:
    recall("decks")
    store_raw(db_path, "relearning_steps", "1.5mo")
    notice = (
        "setting relearning_steps: stored value '1.5mo' is not valid ('1.5mo' is not a step "
        "like 30s, 10m, 1h or 2d); using the default '10m' for now. Fix it with: recall config "
        "set relearning_steps VALUE, or recall config reset relearning_steps"
    )
    for command in (["config"], ["config", "--json"], ["stats"], [], ["review"]):
        code, out, err = recall(*command, input="q")
        assert code == 0, (command, err)
        assert " ".join(err.split()) == notice, command
    code, out, _ = recall("config")
    assert "relearning_steps" in out and "desired_retention" in out
    assert shown()["relearning_steps"] == "10m"  # the value in effect


def test_config_reset_and_set_mend_an_unreadable_value(db_path: Path) -> None:
    recall("decks")
    store_raw(db_path, "learning_steps", "274.0y")
    store_raw(db_path, "relearning_steps", "1.5mo")
    assert recall("config", "reset", "relearning_steps") == (
        0,
        "relearning_steps = 10m (default)\n",
        "",
    )
    assert recall("config", "set", "learning_steps", "1m 45d") == (
        0,
        "learning_steps = 1m 45d\n",
        "",
    )
    code, _, err = recall("stats")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    "args",
    [
        ["config", "set", "new_per_day", "-1"],
        ["config", "set", "new_per_day", "-5", "--db", "{db}"],
        ["config", "set", "--db", "{db}", "new_per_day", "-1"],
        ["--db", "{db}", "config", "set", "new_per_day", "-1"],
        ["config", "set", "new_per_day", "--", "-1"],
    ],
)
def test_a_negative_value_reaches_the_setting_and_gets_its_range(
    args: list[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    code, out, err = recall(*(arg.replace("{db}", str(other)) for arg in args))
    value = "-5" if "-5" in args else "-1"
    assert (code, out) == (2, "")
    assert err == (
        f"recall: invalid value '{value}' for new_per_day: "
        "expected a whole number from 0 to 10000\n"
    )


def test_a_value_that_looks_like_an_option_is_still_a_value(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert recall("config", "set", "--db", str(other), "day_starts_at", "-0")[:2] == (
        0,
        "day_starts_at = 0\n",
    )
    assert other.exists()
    assert recall("config", "--db", str(other), "--json")[0] == 0
    assert json.loads(recall("config", "--db", str(other), "--json")[1])["day_starts_at"] == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("new_per_day", "1e9", "expected a whole number from 0 to 10000"),
        ("new_per_day", "lots", "expected a whole number from 0 to 10000"),
        ("maximum_interval", "0", "expected a whole number from 1 to 36500"),
        ("desired_retention", "high", "expected a number from 0.70 to 0.99"),
        ("desired_retention", "-0.9", "expected a number from 0.70 to 0.99"),
        ("learning_steps", "1.5mo", "'1.5mo' is not a step like 30s, 10m, 1h or 2d"),
        ("enable_fuzzing", "-1", "expected true or false"),
        ("parameters", "x", "expected 'default' or 21 numbers, got 1"),
        ("parameters", "x " * 21, "w0 'x' is not a number"),
        ("parameters", "-1 " * 21, "w0 = -1 is outside 0.001 to 100"),
    ],
)
def test_errors_speak_the_users_words(key: str, value: str, message: str) -> None:
    code, out, err = recall("config", "set", key, value)
    assert (code, out) == (2, "")
    assert err.startswith(f"recall: invalid value {value!r} for {key}: {message}")
    assert err.count("\n") == 1
    for pythons_words in ("invalid literal", "could not convert", "base 10", "Traceback"):
        assert pythons_words not in err


def test_config_json_gives_numbers_as_numbers() -> None:
    values = shown()
    assert values["desired_retention"] == 0.9 and values["new_per_day"] == 20
    assert values["enable_fuzzing"] is True and values["parameters"] is None
    assert values["learning_steps"] == "1m 10m"


GLOBAL_DECK = """\
[deck]
id = "global"
title = "Global history"

[[sections]]
id = "wars"
title = "Wars"

[[sections.cards]]
id = "first"
question = "When did the First World War begin?"
answer = "1914"
"""


def test_a_deck_called_global_has_settings_of_its_own(tmp_path: Path) -> None:
    # An Anki deck named "Global" is given the id global: its settings were the collection's.
    deck_file = tmp_path / "global.toml"
    deck_file.write_text(GLOBAL_DECK)
    assert recall("import", str(deck_file))[0] == 0
    assert recall("import", "--bundled")[0] == 0
    assert recall("config", "set", "--deck", "global", "new_per_day", "2")[:2] == (
        0,
        "new_per_day = 2 (deck global)\n",
    )
    assert recall("config", "set", "new_per_day", "7")[0] == 0

    def new_per_day(deck: str) -> tuple[object, list[str]]:
        code, out, _ = recall("config", "--json", "--deck", deck)
        assert code == 0
        shown = json.loads(out)
        return shown["settings"]["new_per_day"], shown["own"]

    assert new_per_day("global") == (2, ["new_per_day"])
    assert new_per_day("stalin-1924") == (7, [])
    assert shown()["new_per_day"] == 7
    assert recall("config", "reset", "--deck", "global", "new_per_day")[0] == 0
    assert new_per_day("global") == (7, [])
    assert shown()["new_per_day"] == 7
