"""Settings: parsing, validation, canonical (stored) text and display text."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from recall1924.balance import EasyDay
from recall1924.cli import app
from recall1924.errors import SettingError
from recall1924.settings import DEFINITIONS, Settings, canonical_text, format_duration, parse_value

DEFAULTS = Settings.from_stored({})
LONGEST_STEP = 36500 * 86400  # seconds


def _seconds(unit: int, most: int) -> st.SearchStrategy[timedelta]:
    return st.integers(1, most).map(lambda n: timedelta(seconds=n * unit))


# Steps are whole seconds up to 36500 days; mix in whole minutes, hours and days, which
# uniform seconds would almost never hit.
STEP = st.one_of(
    _seconds(1, LONGEST_STEP),
    _seconds(60, LONGEST_STEP // 60),
    _seconds(3600, LONGEST_STEP // 3600),
    _seconds(86400, 36500),
)
STEPS = st.lists(STEP, max_size=6).map(tuple)
PARAMETERS = st.one_of(
    st.none(),
    st.tuples(
        *(
            st.floats(low, high)
            for low, high in zip(LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
        )
    ),
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "desired_retention": st.floats(0.7, 0.99),
    "learning_steps": STEPS,
    "relearning_steps": STEPS,
    "maximum_interval": st.integers(1, 36500),
    "enable_fuzzing": st.booleans(),
    "load_balancing": st.booleans(),
    "easy_days": st.lists(st.sampled_from(EasyDay), min_size=7, max_size=7).map(tuple),
    "new_per_day": st.integers(0, 10000),
    "reviews_per_day": st.integers(0, 100000),
    "day_starts_at": st.integers(0, 23),
    "timezone": st.sampled_from(["local", "UTC", "Europe/London", "America/New_York"]),
    "parameters": PARAMETERS,
    "leech_threshold": st.integers(1, 1000),
    "leech_suspend": st.booleans(),
    "answer_time_cap": st.integers(5, 3600),
    "type_answers": st.booleans(),
}
SETTINGS = st.builds(Settings, **VALUES)


def test_defaults() -> None:
    settings = DEFAULTS
    assert settings.desired_retention == 0.9
    assert settings.learning_steps == (timedelta(minutes=1), timedelta(minutes=10))
    assert settings.relearning_steps == (timedelta(minutes=10),)
    assert settings.new_per_day == 20
    assert settings.reviews_per_day == 200
    assert settings.day_starts_at == 4
    assert settings.enable_fuzzing is True
    assert settings.parameters is None


def test_every_setting_has_a_value_strategy() -> None:
    assert list(VALUES) == list(DEFINITIONS)


def test_defaults_are_canonical() -> None:
    assert DEFAULTS.as_text() == {key: item.default for key, item in DEFINITIONS.items()}


@pytest.mark.parametrize("key", list(DEFINITIONS))
@given(data=st.data())
def test_every_value_reads_back_equal(key: str, data: st.DataObject) -> None:
    value = data.draw(VALUES[key], label=key)
    text = replace(DEFAULTS, **{key: value}).as_text()[key]
    assert parse_value(key, text) == value
    assert canonical_text(key, text) == text


@given(SETTINGS)
def test_settings_read_back_equal_from_their_stored_text(settings: Settings) -> None:
    assert Settings.from_stored(settings.as_text()) == settings
    assert Settings.load(settings.as_text()) == (settings, [])


@given(SETTINGS)
def test_display_text_parses_and_is_stable(settings: Settings) -> None:
    shown = settings.as_display()
    assert list(shown) == list(DEFINITIONS)
    again, problems = Settings.load(shown)
    assert problems == []
    assert again.as_display() == shown


# Text a user might type, and text nobody would: either a one-line SettingError or a value whose
# canonical text reads back as the same value. Never another exception.
TYPED = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.-+e_, smhdy"),
    st.from_regex(r"[0-9]{1,30}(\.[0-9]{1,30})?[smhd]", fullmatch=True),
)


@pytest.mark.parametrize("key", list(DEFINITIONS))
@given(text=TYPED)
def test_any_text_is_a_value_or_a_setting_error(key: str, text: str) -> None:
    try:
        value = parse_value(key, text)
    except SettingError as exc:
        assert str(exc).startswith(f"invalid value {text!r} for {key}: ")
        assert "\n" not in str(exc)
        return
    stored = canonical_text(key, text)
    assert parse_value(key, stored) == value
    assert canonical_text(key, stored) == stored


@pytest.mark.parametrize(
    ("key", "given", "stored"),
    [
        ("learning_steps", "1m,10m , 1h", "1m 10m 1h"),
        ("learning_steps", "30s 1d", "30s 1d"),
        ("learning_steps", "60s 120m 24h", "1m 2h 1d"),
        ("learning_steps", "90m 100m 36h", "90m 100m 36h"),
        ("learning_steps", "1.5h 0.1m 0.5d", "90m 6s 12h"),
        ("relearning_steps", "45d", "45d"),
        ("relearning_steps", "30d 400d 36500d", "30d 400d 36500d"),
        ("relearning_steps", "", ""),
        ("enable_fuzzing", "off", "false"),
        ("desired_retention", "0.85", "0.85"),
        ("desired_retention", " 0.9000 ", "0.9"),
        ("desired_retention", "0.912345678901234", "0.912345678901234"),
        ("new_per_day", "+007", "7"),
        ("new_per_day", "-0", "0"),
        ("day_starts_at", "0", "0"),
        ("parameters", "default", "default"),
    ],
)
def test_canonical_text(key: str, given: str, stored: str) -> None:
    assert canonical_text(key, given) == stored


def test_parameters_are_stored_at_full_precision() -> None:
    values = [value + 1e-9 for value in DEFAULT_PARAMETERS]
    values[0] = 0.21234567890123456
    text = canonical_text("parameters", " ".join(map(repr, values)))
    assert tuple(float(part) for part in text.split()) == tuple(values)
    assert parse_value("parameters", text) == tuple(values)


def test_parameters_display_is_short_but_stored_text_is_exact() -> None:
    values = (0.2123456789012345, *DEFAULT_PARAMETERS[1:])
    settings = replace(DEFAULTS, parameters=values)
    assert settings.as_display()["parameters"].startswith("0.212346 1.2931 ")
    assert settings.as_text()["parameters"].startswith("0.2123456789012345 1.2931 ")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("desired_retention", "1.5", "expected a number from 0.70 to 0.99"),
        ("desired_retention", "high", "expected a number from 0.70 to 0.99"),
        ("desired_retention", "nan", "expected a number from 0.70 to 0.99"),
        ("learning_steps", "1x", "'1x' is not a step like 30s, 10m, 1h or 2d"),
        ("learning_steps", "1.5mo", "'1.5mo' is not a step like 30s, 10m, 1h or 2d"),
        ("learning_steps", "0m", "steps must be longer than zero"),
        ("learning_steps", "0.5s", "'0.5s' is not a whole number of seconds"),
        ("learning_steps", "36501d", "'36501d' is longer than the longest step, 36500d"),
        ("learning_steps", "9" * 40 + "d", "is longer than the longest step"),
        ("new_per_day", "-1", "expected a whole number from 0 to 10000"),
        ("new_per_day", "1e9", "expected a whole number from 0 to 10000"),
        ("new_per_day", "2.5", "expected a whole number from 0 to 10000"),
        ("new_per_day", "9" * 5000, "expected a whole number from 0 to 10000"),
        ("day_starts_at", "24", "from 0 to 23"),
        ("enable_fuzzing", "maybe", "expected true or false"),
        ("parameters", "1 2 3", "expected 'default' or 21 numbers, got 3"),
        ("parameters", "x " * 21, "w0 'x' is not a number"),
    ],
)
def test_invalid_values(key: str, value: str, message: str) -> None:
    with pytest.raises(SettingError, match=message) as caught:
        parse_value(key, value)
    for pythons_words in ("invalid literal", "could not convert", "base 10", "Exceeds"):
        assert pythons_words not in str(caught.value)


def test_unknown_key_suggests() -> None:
    with pytest.raises(SettingError, match="did you mean 'new_per_day'"):
        parse_value("new_per_dya", "3")


def test_parameters_out_of_bounds_are_refused() -> None:
    values = list(DEFAULT_PARAMETERS)
    assert parse_value("parameters", " ".join(map(str, values))) == tuple(values)
    values[0] = 500.0
    values[20] = 0.05
    with pytest.raises(SettingError) as caught:
        parse_value("parameters", " ".join(map(str, values)))
    message = str(caught.value)
    assert "w0 = 500.0 is outside 0.001 to 100; w20 = 0.05 is outside 0.1 to 0.8" in message
    assert "\n" not in message


def test_an_unreadable_stored_value_falls_back_to_its_default_and_says_how_to_fix_it() -> None:
    settings, problems = Settings.load(
        {"relearning_steps": "1.5mo", "new_per_day": "5", "retired_setting": "x"}
    )
    assert settings == replace(DEFAULTS, new_per_day=5)
    assert problems == [
        "setting relearning_steps: stored value '1.5mo' is not valid ('1.5mo' is not a step "
        "like 30s, 10m, 1h or 2d); using the default '10m' for now. Fix it with: recall config "
        "set relearning_steps VALUE, or recall config reset relearning_steps"
    ]


def test_from_stored_refuses_an_unreadable_value_in_one_line() -> None:
    with pytest.raises(SettingError) as caught:
        Settings.from_stored({"learning_steps": "274.0y"})
    assert str(caught.value) == (
        "setting learning_steps: stored value '274.0y' is not valid ('274.0y' is not a step "
        "like 30s, 10m, 1h or 2d). Fix it with: recall config set learning_steps VALUE, or "
        "recall config reset learning_steps"
    )


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=12), "12d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=730), "2.0y"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_row(key: str) -> str:
    (row,) = [line for line in README.read_text().splitlines() if line.startswith(f"| `{key}` |")]
    return row


def test_the_readme_says_how_steps_read_back() -> None:
    """The README's Settings table shows what a step typed one way reads back as, and
    ``recall config set`` agrees: steps are kept in one canonical form, not as typed."""
    row = _readme_row("learning_steps")
    assert "exactly as given" not in row
    examples = re.findall(r"`([^`]+)` (?:reads back )?as `([^`]+)`", row)
    assert ("60m", "1h") in examples
    runner = CliRunner()
    for given_text, shown in examples:
        result = runner.invoke(app, ["config", "set", "learning_steps", given_text])
        assert result.stdout == f"learning_steps = {shown}\n", given_text
        result = runner.invoke(app, ["config", "--json"])
        assert json.loads(result.stdout)["learning_steps"] == shown
