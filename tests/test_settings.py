"""Settings: parsing, validation, canonical text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recall1924.errors import SettingError
from recall1924.settings import DEFINITIONS, Settings, canonical_text, format_duration, parse_value


def test_defaults() -> None:
    settings = Settings.from_stored({})
    assert settings.desired_retention == 0.9
    assert settings.learning_steps == (timedelta(minutes=1), timedelta(minutes=10))
    assert settings.relearning_steps == (timedelta(minutes=10),)
    assert settings.new_per_day == 20
    assert settings.reviews_per_day == 200
    assert settings.day_starts_at == 4
    assert settings.enable_fuzzing is True
    assert settings.parameters is None


def test_every_setting_round_trips_through_its_text() -> None:
    text = Settings.from_stored({}).as_text()
    assert list(text) == list(DEFINITIONS)
    assert Settings.from_stored(text) == Settings.from_stored({})


@pytest.mark.parametrize(
    ("key", "given", "stored"),
    [
        ("learning_steps", "1m,10m , 1h", "1m 10m 1h"),
        ("learning_steps", "30s 1d", "30s 1d"),
        ("relearning_steps", "", ""),
        ("enable_fuzzing", "off", "false"),
        ("desired_retention", "0.85", "0.85"),
        ("day_starts_at", "0", "0"),
        ("parameters", "default", "default"),
    ],
)
def test_canonical_text(key: str, given: str, stored: str) -> None:
    assert canonical_text(key, given) == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("desired_retention", "1.5", "expected a number from 0.70 to 0.99"),
        ("desired_retention", "high", "could not convert"),
        ("learning_steps", "1x", "'1x' is not a step like 1m"),
        ("new_per_day", "-1", "expected a whole number from 0 to 10000"),
        ("day_starts_at", "24", "from 0 to 23"),
        ("enable_fuzzing", "maybe", "expected true or false"),
        ("parameters", "1 2 3", "expected 21 numbers, got 3"),
    ],
)
def test_invalid_values(key: str, value: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        parse_value(key, value)


def test_unknown_key_suggests() -> None:
    with pytest.raises(SettingError, match="did you mean 'new_per_day'"):
        parse_value("new_per_dya", "3")


def test_parameters_out_of_bounds_are_refused() -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    values = list(DEFAULT_PARAMETERS)
    assert parse_value("parameters", " ".join(map(str, values))) == tuple(values)
    values[0] = 500.0
    with pytest.raises(SettingError, match="invalid value"):
        parse_value("parameters", " ".join(map(str, values)))


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
