"""Settings: what can be configured, how each value is parsed, validated and shown.

Holds :data:`DEFINITIONS` (every setting with its default and help), :class:`Settings` (the
typed values a command runs with) and :func:`parse_value`. Values are stored as text, one row
per changed setting; a setting never written keeps its default. Pure: no database, no terminal.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from recall1924.errors import SettingError

_STEP = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_steps(text: str) -> tuple[timedelta, ...]:
    steps = []
    for part in text.replace(",", " ").split():
        match = _STEP.match(part)
        if not match:
            raise ValueError(f"{part!r} is not a step like 1m, 10m, 1h or 1d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds <= 0:
            raise ValueError("steps must be longer than zero")
        steps.append(timedelta(seconds=seconds))
    return tuple(steps)


def format_duration(delta: timedelta) -> str:
    """A short human duration: ``45s``, ``10m``, ``3h``, ``12d``, ``4.2mo``, ``1.5y``."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{max(0, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def _format_steps(steps: tuple[timedelta, ...]) -> str:
    return " ".join(format_duration(step) for step in steps)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "on", "1"}:
        return True
    if lowered in {"false", "no", "off", "0"}:
        return False
    raise ValueError("expected true or false")


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return parse


def _parse_retention(text: str) -> float:
    value = float(text)
    if not 0.7 <= value <= 0.99:
        raise ValueError("expected a number from 0.70 to 0.99")
    return value


def _parse_parameters(text: str) -> tuple[float, ...]:
    from fsrs.scheduler import DEFAULT_PARAMETERS, Scheduler

    values = tuple(float(part) for part in text.replace(",", " ").split())
    if len(values) != len(DEFAULT_PARAMETERS):
        raise ValueError(f"expected {len(DEFAULT_PARAMETERS)} numbers, got {len(values)}")
    Scheduler(parameters=values)  # raises ValueError naming any parameter out of bounds
    return values


@dataclass(frozen=True)
class Definition:
    """One setting: its key, default (as text), meaning, and how to parse and show it."""

    key: str
    default: str
    help: str
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = str


def _show_bool(value: bool) -> str:
    return "true" if value else "false"


def _show_parameters(values: tuple[float, ...]) -> str:
    return " ".join(f"{value:g}" for value in values)


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "desired_retention",
            "0.9",
            "Chance of recall FSRS aims for when a card comes due (0.70-0.99).",
            _parse_retention,
        ),
        Definition(
            "learning_steps",
            "1m 10m",
            "Waits between the first answers to a new card, e.g. '1m 10m'.",
            _parse_steps,
            _format_steps,
        ),
        Definition(
            "relearning_steps",
            "10m",
            "Waits after a forgotten card, e.g. '10m'.",
            _parse_steps,
            _format_steps,
        ),
        Definition(
            "maximum_interval",
            "36500",
            "Longest interval in days.",
            _int_between(1, 36500),
        ),
        Definition(
            "enable_fuzzing",
            "true",
            "Spread intervals a little so cards learnt together do not stay together.",
            _parse_bool,
            _show_bool,
        ),
        Definition(
            "new_per_day",
            "20",
            "New cards introduced per day.",
            _int_between(0, 10000),
        ),
        Definition(
            "reviews_per_day",
            "200",
            "Most answers to review cards per day.",
            _int_between(0, 100000),
        ),
        Definition(
            "day_starts_at",
            "4",
            "Local hour (0-23) at which a new day of reviews begins.",
            _int_between(0, 23),
        ),
        Definition(
            "parameters",
            "default",
            "FSRS model weights (21 numbers), or 'default'.",
            lambda text: None if text.strip() == "default" else _parse_parameters(text),
            lambda value: "default" if value is None else _show_parameters(value),
        ),
    )
}


def definition(key: str) -> Definition:
    """The definition of ``key``.

    Raises:
        SettingError: for an unknown key, suggesting the closest one.
    """
    try:
        return DEFINITIONS[key]
    except KeyError:
        close = difflib.get_close_matches(key, DEFINITIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SettingError(f"unknown setting {key!r}{hint}") from None


def parse_value(key: str, text: str) -> Any:
    """Parse and validate ``text`` for setting ``key``.

    Raises:
        SettingError: if the key is unknown or the value is not acceptable.
    """
    item = definition(key)
    try:
        return item.parse(text)
    except ValueError as exc:
        raise SettingError(f"invalid value {text!r} for {key}: {exc}") from None


def canonical_text(key: str, text: str) -> str:
    """The value as stored: parsed, then shown (``'1m,10m'`` becomes ``'1m 10m'``)."""
    return str(definition(key).show(parse_value(key, text)))


@dataclass(frozen=True)
class Settings:
    """The settings a command runs with."""

    desired_retention: float
    learning_steps: tuple[timedelta, ...]
    relearning_steps: tuple[timedelta, ...]
    maximum_interval: int
    enable_fuzzing: bool
    new_per_day: int
    reviews_per_day: int
    day_starts_at: int
    parameters: tuple[float, ...] | None

    @classmethod
    def from_stored(cls, stored: Mapping[str, str]) -> Settings:
        """Settings from stored text values; keys not stored take their defaults.

        Raises:
            SettingError: if a stored value is no longer valid (a hand-edited database).
        """
        values = {
            key: parse_value(key, stored.get(key, item.default))
            for key, item in DEFINITIONS.items()
        }
        return cls(**values)

    def as_text(self) -> dict[str, str]:
        """Every setting shown as text, in definition order."""
        return {key: str(item.show(getattr(self, key))) for key, item in DEFINITIONS.items()}
