"""Settings: what can be configured, how each value is parsed, stored and shown.

Holds :data:`DEFINITIONS` (every setting with its default and help), :class:`Settings` (the
typed values a command runs with), :func:`parse_value`, :func:`canonical_text` and
:func:`format_duration`. Pure: no database, no terminal.

Display is not storage. Each setting has one parser and one canonical format, and the
canonical text is what the settings table holds: it parses back to exactly the same value
(``45d`` stays ``45d``, a retention or FSRS weight keeps every digit). A setting may also have
a shorter display form for people; that parses too, but only the canonical form is stored.
:func:`format_duration` (``1.5mo``) is for showing intervals and never written anywhere.

Scopes. A row of the settings table belongs to one scope, and the narrower scope wins:

- :data:`GLOBAL_SCOPE` (``*``): the collection's value, for every deck;
- a deck key (``spanish``): that deck's own (``recall config set --deck``), for every setting
  but :data:`GLOBAL_ONLY`;
- ``section:DECK/SECTION`` (:func:`section_scope`): one section's own, only for
  :data:`SECTION_SETTINGS` (its desired retention: an exam student aims higher on the part
  that counts most). A deck key is lowercase letters, digits and '-' only
  (``deck.ID_PATTERN``), so no deck key has the colon: a section's scope is never a deck's,
  and the first '/' after the prefix ends the deck key. Nor has one the ``*``: a deck may be
  called ``global`` (an Anki deck named "Global" is) and keep settings of its own.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from fractions import Fraction
from typing import Any

from recall1924.balance import NORMAL_WEEK, EasyDay
from recall1924.clock import LOCAL, zone_named
from recall1924.errors import SettingError

_STEP = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhd])")
# Largest first: a step is written in the largest unit that divides it exactly.
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_UNIT_SECONDS = dict(_UNITS)
MAX_STEP = timedelta(days=36500)
"""The longest learning or relearning step: as long as the longest interval."""
_WHOLE = re.compile(r"[+-]?[0-9]+")


def format_duration(delta: timedelta) -> str:
    """A short human duration for display only: ``45s``, ``10m``, ``3h``, ``12d``, ``1.5mo``.

    Rounded, so it does not parse back: never store it.
    """
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


def _parse_step(part: str) -> timedelta:
    match = _STEP.fullmatch(part)
    if not match:
        raise ValueError(f"{part!r} is not a step like 30s, 10m, 1h or 2d")
    try:
        # Exact arithmetic: in floats 0.1m would be 6.000000000000001 seconds.
        seconds = Fraction(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    except ValueError:  # more digits than Python converts
        raise ValueError(f"{part!r} is not a step like 30s, 10m, 1h or 2d") from None
    if seconds <= 0:
        raise ValueError("steps must be longer than zero")
    if seconds > MAX_STEP.total_seconds():
        raise ValueError(f"{part!r} is longer than the longest step, {MAX_STEP.days}d")
    if seconds.denominator != 1:
        raise ValueError(f"{part!r} is not a whole number of seconds")
    return timedelta(seconds=int(seconds))


def _parse_steps(text: str) -> tuple[timedelta, ...]:
    return tuple(_parse_step(part) for part in text.replace(",", " ").split())


def _format_step(step: timedelta) -> str:
    seconds = step // timedelta(seconds=1)
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds divides by 1")


def _format_steps(steps: tuple[timedelta, ...]) -> str:
    return " ".join(_format_step(step) for step in steps)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "on", "1"}:
        return True
    if lowered in {"false", "no", "off", "0"}:
        return False
    raise ValueError("expected true or false")


def _format_bool(value: bool) -> str:
    return "true" if value else "false"


def _int_between(low: int, high: int) -> Callable[[str], int]:
    expected = f"expected a whole number from {low} to {high}"

    def parse(text: str) -> int:
        stripped = text.strip()
        if not _WHOLE.fullmatch(stripped):
            raise ValueError(expected)
        try:
            value = int(stripped)
        except ValueError:  # more digits than Python converts: far out of range anyway
            raise ValueError(expected) from None
        if not low <= value <= high:
            raise ValueError(expected)
        return value

    return parse


def _float(text: str) -> float | None:
    """``text`` as a finite float, or None if it is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_retention(text: str) -> float:
    value = _float(text)
    if value is None or not 0.7 <= value <= 0.99:
        raise ValueError("expected a number from 0.70 to 0.99")
    return value


def _parse_parameters(text: str) -> tuple[float, ...] | None:
    if text.strip() == "default":
        return None
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    parts = text.replace(",", " ").split()
    if len(parts) != len(LOWER_BOUNDS_PARAMETERS):
        raise ValueError(
            f"expected 'default' or {len(LOWER_BOUNDS_PARAMETERS)} numbers, got {len(parts)}"
        )
    values: list[float] = []
    problems: list[str] = []
    bounds = zip(parts, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    for index, (part, low, high) in enumerate(bounds):
        value = _float(part)
        if value is None:
            problems.append(f"w{index} {part!r} is not a number")
        elif not low <= value <= high:
            problems.append(f"w{index} = {part} is outside {low:g} to {high:g}")
        else:
            values.append(value)
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(values)


def _parse_timezone(text: str) -> str:
    name = text.strip()
    if name.lower() == LOCAL:
        return LOCAL
    zone_named(name)  # a name zoneinfo knows, or ValueError in the user's words
    return name


def _format_parameters(values: tuple[float, ...] | None) -> str:
    # repr is the shortest text that reads back as exactly the same float.
    return "default" if values is None else " ".join(repr(value) for value in values)


def _display_parameters(values: tuple[float, ...] | None) -> str:
    # Six significant digits for the table. Rounding is monotonic and every FSRS bound has
    # fewer digits, so the shown numbers are still within bounds and still parse.
    return "default" if values is None else " ".join(f"{value:.6g}" for value in values)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EASY_DAYS_FORM = (
    "expected 'none' or days like 'sat=minimum sun=reduced' (normal, reduced, minimum)"
)


def _parse_easy_days(text: str) -> tuple[EasyDay, ...]:
    parts = text.replace(",", " ").lower().split()
    week = list(NORMAL_WEEK)
    if parts in ([], ["none"]):
        return NORMAL_WEEK
    given: set[int] = set()
    for part in parts:
        day, equals, kind = part.partition("=")
        if not equals:
            raise ValueError(f"{part!r} is not day=kind; {_EASY_DAYS_FORM}")
        if day in _WEEKDAYS:
            index = _WEEKDAYS.index(day)
        elif day in _FULL_WEEKDAYS:
            index = _FULL_WEEKDAYS.index(day)
        else:
            raise ValueError(f"{day!r} is not a day of the week (mon, tue, ... sun)")
        if index in given:
            raise ValueError(f"{_WEEKDAYS[index]} is given twice")
        try:
            week[index] = EasyDay[kind.capitalize()]
        except KeyError:
            raise ValueError(
                f"{kind!r} for {_WEEKDAYS[index]} is not normal, reduced or minimum"
            ) from None
        given.add(index)
    return tuple(week)


def _format_easy_days(week: tuple[EasyDay, ...]) -> str:
    # the days that are not normal, Monday first; a normal week is 'none'
    days = [
        f"{name}={kind.name.lower()}"
        for name, kind in zip(_WEEKDAYS, week, strict=True)
        if kind is not EasyDay.Normal
    ]
    return " ".join(days) or "none"


@dataclass(frozen=True)
class Definition:
    """One setting: its key, default (canonical text), meaning, and its one parse and format.

    Attributes:
        parse: text to value; raises ValueError with a message in the user's words.
        format: value to its canonical text, which ``parse`` reads back as an equal value.
        display: value to text for people, if it differs from ``format``; it parses too.
    """

    key: str
    default: str
    help: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str] = repr
    display: Callable[[Any], str] | None = None

    def shown(self, value: Any) -> str:
        """``value`` as people read it in the settings table."""
        return (self.display or self.format)(value)


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
            "Waits between the first answers to a new card, e.g. '1m 10m' (s, m, h, d).",
            _parse_steps,
            _format_steps,
        ),
        Definition(
            "relearning_steps",
            "10m",
            "Waits after a forgotten card, e.g. '10m' (s, m, h, d).",
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
            _format_bool,
        ),
        Definition(
            "load_balancing",
            "true",
            "Pick each review's day in its fuzz range by how few cards fall due then (as Anki "
            "does), so the days ahead even out.",
            _parse_bool,
            _format_bool,
        ),
        Definition(
            "easy_days",
            "none",
            "Weekdays with fewer reviews, e.g. 'sat=minimum sun=reduced' (normal, reduced: half, "
            "minimum: almost none).",
            _parse_easy_days,
            _format_easy_days,
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
            "timezone",
            LOCAL,
            "Time zone of the review day: an IANA name such as Europe/London, or 'local' for "
            "this machine's.",
            _parse_timezone,
            str,
        ),
        Definition(
            "parameters",
            "default",
            "FSRS model weights (21 numbers), or 'default'.",
            _parse_parameters,
            _format_parameters,
            _display_parameters,
        ),
        Definition(
            "leech_threshold",
            "8",
            "Lapses (Again on a learnt card) that make a card a leech, to rewrite.",
            _int_between(1, 1000),
        ),
        Definition(
            "leech_suspend",
            "false",
            "Suspend a card when it becomes a leech (else it is only reported).",
            _parse_bool,
            _format_bool,
        ),
        Definition(
            "answer_time_cap",
            "60",
            "Longest time, in seconds, stored for one answer (as Anki caps it).",
            _int_between(5, 3600),
        ),
        Definition(
            "type_answers",
            "false",
            "Type each answer before it is shown, and check it (as recall review --type).",
            _parse_bool,
            _format_bool,
        ),
    )
}


GLOBAL_ONLY = frozenset({"day_starts_at", "timezone", "load_balancing", "easy_days"})
"""Settings a deck cannot override: one review day for the whole collection, so that "today",
the days between answers and the days the optimizer trains on agree across decks; and one
week of days to balance reviews over, since a day's load is every deck's."""


SECTION_SETTINGS = frozenset({"desired_retention"})
"""Settings a section may have of its own (``recall config set --section``). The rest are the
deck's: steps, limits and the FSRS model describe how the student learns the deck, not how
much of one part they want to keep."""

_SECTION_PREFIX = "section:"

GLOBAL_SCOPE = "*"
"""The settings table's scope of the collection's own values (see the module docstring; until
migration 0010 it was ``global``, which is also a deck id a file may give)."""


def section_scope(deck_key: str, section_key: str) -> str:
    """The settings table's scope of section ``section_key`` of deck ``deck_key`` (see the
    module docstring: it cannot be a deck key)."""
    return f"{_SECTION_PREFIX}{deck_key}/{section_key}"


def section_of_scope(scope: str) -> tuple[str, str] | None:
    """``(deck key, section key)`` of a section's scope; None for any other scope."""
    if not scope.startswith(_SECTION_PREFIX):
        return None
    deck_key, slash, section_key = scope[len(_SECTION_PREFIX) :].partition("/")
    return (deck_key, section_key) if slash and deck_key and section_key else None


def check_section_setting(key: str) -> None:
    """Whether ``key`` may be set for one section.

    Raises:
        SettingError: if it is unknown, or not one of :data:`SECTION_SETTINGS`.
    """
    definition(key)
    if key not in SECTION_SETTINGS:
        allowed = ", ".join(sorted(SECTION_SETTINGS))
        raise SettingError(
            f"{key} cannot be set for a section (only {allowed}); set it for the deck with --deck"
        )


def check_deck_setting(key: str) -> None:
    """Whether ``key`` may be set for one deck.

    Raises:
        SettingError: if it is unknown, or one of :data:`GLOBAL_ONLY`.
    """
    definition(key)
    if key in GLOBAL_ONLY:
        raise SettingError(f"{key} applies to every deck; set it without --deck")


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
        SettingError: if the key is unknown or the value is not acceptable, saying why in the
            user's words (``invalid value '1e9' for new_per_day: expected a whole number ...``).
    """
    item = definition(key)
    try:
        return item.parse(text)
    except ValueError as exc:
        raise SettingError(f"invalid value {text!r} for {key}: {exc}") from None


def canonical_text(key: str, text: str) -> str:
    """The value as stored: parsed, then formatted exactly (``'1m,10m'`` becomes ``'1m 10m'``).

    Raises:
        SettingError: as :func:`parse_value`.
    """
    return definition(key).format(parse_value(key, text))


def _fix_hint(key: str) -> str:
    return f"Fix it with: recall config set {key} VALUE, or recall config reset {key}"


def _read(stored: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Every setting's value from ``stored``; an unreadable one as its default, and why."""
    values: dict[str, Any] = {}
    unreadable: list[tuple[str, str, str]] = []
    for key, item in DEFINITIONS.items():
        text = stored.get(key)
        if text is not None:
            try:
                values[key] = item.parse(text)
                continue
            except ValueError as exc:
                unreadable.append((key, text, str(exc)))
        values[key] = item.parse(item.default)
    return values, unreadable


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
    leech_threshold: int = 8
    leech_suspend: bool = False
    answer_time_cap: int = 60
    type_answers: bool = False
    timezone: str = LOCAL
    """The review day's zone: an IANA name, or :data:`~recall1924.clock.LOCAL` for the
    machine's (``clock.zone_named`` reads it)."""
    load_balancing: bool = True
    easy_days: tuple[EasyDay, ...] = NORMAL_WEEK

    @property
    def model_parameters(self) -> tuple[float, ...]:
        """The FSRS parameters in use: the student's own (``recall optimize``), else fsrs's
        defaults."""
        from fsrs.scheduler import DEFAULT_PARAMETERS

        return tuple(self.parameters or DEFAULT_PARAMETERS)

    @classmethod
    def load(cls, stored: Mapping[str, str]) -> tuple[Settings, list[str]]:
        """Settings from stored text, tolerant of values recall can no longer read.

        A key not stored takes its default; so does a stored value that does not parse (a
        hand-edited database, or one written by an older recall), and then a problem says
        which setting it is and how to fix it. Stored keys recall does not know are ignored.

        Returns:
            The settings, and one message per setting that fell back to its default.
        """
        values, unreadable = _read(stored)
        problems = [
            f"setting {key}: stored value {text!r} is not valid ({reason}); using the default "
            f"{DEFINITIONS[key].default!r} for now. {_fix_hint(key)}"
            for key, text, reason in unreadable
        ]
        return cls(**values), problems

    @classmethod
    def load_for_deck(
        cls, global_stored: Mapping[str, str], deck_stored: Mapping[str, str], deck_key: str
    ) -> tuple[Settings, list[str]]:
        """A deck's effective settings: the global ones, overridden by the deck's own.

        Tolerant like :meth:`load`: a deck value recall cannot read falls back to the global
        value (and a problem says how to fix it); a global-only key stored for a deck is
        ignored.

        Returns:
            The settings, and one message per setting that fell back.
        """
        merged, problems = _read(global_stored)
        messages = [
            f"setting {key}: stored value {text!r} is not valid ({reason}); using the default "
            f"{DEFINITIONS[key].default!r} for now. {_fix_hint(key)}"
            for key, text, reason in problems
        ]
        for key, text in deck_stored.items():
            item = DEFINITIONS.get(key)
            if item is None or key in GLOBAL_ONLY:
                continue
            try:
                merged[key] = item.parse(text)
            except ValueError as exc:
                messages.append(
                    f"setting {key} of deck {deck_key}: stored value {text!r} is not valid "
                    f"({exc}); using the collection's value for now. Fix it with: recall config "
                    f"set --deck {deck_key} {key} VALUE, or recall config reset --deck "
                    f"{deck_key} {key}"
                )
        return cls(**merged), messages

    def for_section(
        self, section_stored: Mapping[str, str], deck_key: str, section_key: str
    ) -> tuple[Settings, list[str]]:
        """A section's effective settings: these (its deck's) with the section's own
        :data:`SECTION_SETTINGS` over them. Tolerant like :meth:`load_for_deck`: a value recall
        cannot read falls back to the deck's, and a problem says how to fix it.

        Returns:
            The settings, and one message per setting that fell back.
        """
        changes: dict[str, Any] = {}
        messages: list[str] = []
        for key, text in section_stored.items():
            if key not in SECTION_SETTINGS:
                continue
            try:
                changes[key] = DEFINITIONS[key].parse(text)
            except ValueError as exc:
                where = f"--section {deck_key}/{section_key}"
                messages.append(
                    f"setting {key} of section {deck_key}/{section_key}: stored value {text!r} "
                    f"is not valid ({exc}); using the deck's value for now. Fix it with: recall "
                    f"config set {where} {key} VALUE, or recall config reset {where} {key}"
                )
        return (replace(self, **changes) if changes else self), messages

    @classmethod
    def from_stored(cls, stored: Mapping[str, str]) -> Settings:
        """Settings from stored text values; keys not stored take their defaults.

        Raises:
            SettingError: if a stored value is not valid. Commands use :meth:`load` through
                ``App.settings`` instead, which falls back to the default and says so.
        """
        values, unreadable = _read(stored)
        if unreadable:
            key, text, reason = unreadable[0]
            raise SettingError(
                f"setting {key}: stored value {text!r} is not valid ({reason}). {_fix_hint(key)}"
            )
        return cls(**values)

    def as_text(self) -> dict[str, str]:
        """Every setting as its canonical (stored) text, in definition order."""
        return {key: item.format(getattr(self, key)) for key, item in DEFINITIONS.items()}

    def as_json(self) -> dict[str, Any]:
        """Every setting for ``--json``: numbers and booleans as themselves, the FSRS
        parameters as a list of numbers (null: the defaults), steps as their canonical text."""
        values: dict[str, Any] = {}
        for key, item in DEFINITIONS.items():
            value = getattr(self, key)
            if isinstance(value, bool | int | float) or value is None:
                values[key] = value
            elif key == "parameters":
                values[key] = list(value)
            else:
                values[key] = item.format(value)
        return values

    def as_display(self) -> dict[str, str]:
        """Every setting as people read it, in definition order."""
        return {key: item.shown(getattr(self, key)) for key, item in DEFINITIONS.items()}
