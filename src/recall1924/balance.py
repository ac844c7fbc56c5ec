"""Where a review interval lands: its fuzz range, and the day load balancing picks in it. Pure.

Holds :func:`fuzz_bounds` and :func:`fuzzed` (Anki's fuzz), :func:`balanced` (Anki's load
balancer), :class:`EasyDay` and :func:`review_shares` (easy days), and :class:`DayLoads` (the
cards due per day that the balancer weighs, kept up to date as a session answers).

The rules are Anki's (rslib ``scheduler/states/fuzz.rs`` and ``load_balancer.rs``): an interval
of 2.5 days or more may move by a day plus 15% of its days from 2.5 to 7, 10% from 7 to 20 and
5% past 20. Without balancing, a uniform draw picks the day in that range. With balancing, and
an interval of at most 90 days, each day of the range is weighed by how few cards already fall
due on it, ``(1 / due)^2.15``, and by how soon it is, ``(1 / interval)^3`` (else the latest day
would always win, being the emptiest), times the easy-day and sibling factors; the same draw
then picks a day by weight. So the schedule a draw gives is reproducible, and the interval shown
on a key is the interval that key gives.

Siblings (the other cards of the card's note) are kept apart as Anki keeps them: a day one is
due on weighs a millionth, the days one to four away 0.2, 0.4, 0.6 and 0.8 of their weight, a
factor for each sibling. Nothing is closed outright: a range with a sibling on every day still
balances by load, each day's weight times its factor (alike factors: as if there were none).
Anki does this only where "bury review siblings" is on; recall, which buries no sibling,
always does it while balancing. Anki's days also hold the card being answered on the day it
was due, its own "sibling", which weighs down its next few days; here the card is not its own.

One difference from Anki, on purpose: Anki gives a day with nothing due the full weight 1
whatever its easy-day setting or siblings, so in a young collection an empty "minimum" Saturday
or an empty day a sibling is due on draws the cards of every range that reaches it. Here such a
day weighs as if it held one card, times its factors, so it stays (almost) free from the start;
an empty normal day keeps Anki's full weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from enum import Enum

from recall1924.clock import review_date

__all__ = [
    "LOAD_DAYS",
    "MAX_BALANCED_INTERVAL",
    "NORMAL_WEEK",
    "DayLoads",
    "EasyDay",
    "balanced",
    "fuzz_bounds",
    "fuzzed",
    "review_shares",
    "round_half_up",
]

MAX_BALANCED_INTERVAL = 90
"""Longer intervals are only fuzzed: a card sent that far out hardly makes a day's load."""
LOAD_DAYS = 100
"""How many review days from today :class:`DayLoads` should count (Anki keeps 90 + 10%)."""

# (start, end, factor): the share of an interval's days in each range that fuzz may move it by
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))
_DUE_POWER = 2.15
_INTERVAL_POWER = 3
# a sibling's day is all but closed, the days beside it less so (Anki's nudge, 5 days each way)
_SIBLING_FACTORS = {-5: 1.0, -4: 0.8, -3: 0.6, -2: 0.4, -1: 0.2, 0: 0.000001}
_SIBLING_FACTORS.update({-step: value for step, value in _SIBLING_FACTORS.items()})


class EasyDay(Enum):
    """How much of a normal day's reviews a weekday should take (Anki's easy days): the value is
    the share Anki stores for it."""

    Normal = 1.0
    Reduced = 0.5
    Minimum = 0.0

    @property
    def load_factor(self) -> float:
        """The balancer's weight for the day: a minimum day is not quite closed, so that a week
        of minimum days still balances as a week of normal ones."""
        return 0.0001 if self is EasyDay.Minimum else self.value


NORMAL_WEEK: tuple[EasyDay, ...] = (EasyDay.Normal,) * 7
"""No easy days: Monday to Sunday all normal."""


def round_half_up(value: float) -> int:
    """``value`` rounded as Rust's ``f32::round`` does for the positive numbers used here
    (2.5 to 3; Python's ``round`` gives 2)."""
    return math.floor(value + 0.5)


# the ranges' bounds and factors, and the delta at the end of the first two (the sums the
# delta's terms add up to there, in the same order)
(_START_1, _END_1, _FACTOR_1), (_, _END_2, _FACTOR_2), (_, _, _FACTOR_3) = _FUZZ_RANGES
_DELTA_AT_END_1 = 1.0 + _FACTOR_1 * (_END_1 - _START_1)
_DELTA_AT_END_2 = _DELTA_AT_END_1 + _FACTOR_2 * (_END_2 - _END_1)


def fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """The first and last day fuzz may move ``interval`` (days) to, kept within ``minimum`` and
    ``maximum``; two days wide at least where the bounds allow and the interval is past 2."""
    # Comparisons written out where min() and max() would do, and the ranges' deltas summed
    # ahead: this runs once or twice for each rating of every answer an import replays. Each
    # comparison keeps the value min() or max() would keep, ties and NaN included.
    if maximum < minimum:
        minimum = maximum
    if minimum > interval:
        interval = minimum
    if maximum < interval:
        interval = maximum
    if interval < _START_1:
        delta = 0.0
    elif interval <= _END_1:
        delta = 1.0 + _FACTOR_1 * (interval - _START_1)
    elif interval <= _END_2:
        delta = _DELTA_AT_END_1 + _FACTOR_2 * (interval - _END_1)
    else:
        delta = _DELTA_AT_END_2 + _FACTOR_3 * (interval - _END_2)
    lower = math.floor(interval - delta + 0.5)
    if minimum > lower:
        lower = minimum
    if maximum < lower:
        lower = maximum
    upper = math.floor(interval + delta + 0.5)
    if minimum > upper:
        upper = minimum
    if maximum < upper:
        upper = maximum
    if upper == lower and 2 < upper < maximum:
        upper = lower + 1
    return lower, upper


def fuzzed(interval: float, minimum: int, maximum: int, draw: float | None) -> int:
    """``interval`` (days) as whole days: the day ``draw`` (uniform in [0, 1)) picks in its fuzz
    range, or with no draw (fuzz off) the interval rounded, within ``minimum`` and ``maximum``."""
    if draw is None:
        return min(max(round_half_up(interval), minimum), maximum)
    lower, upper = fuzz_bounds(interval, minimum, maximum)
    return math.floor(lower + draw * (1 + upper - lower))


def _easy_factors(
    easy_days: Sequence[EasyDay], days: Sequence[date], due: Sequence[int]
) -> list[float]:
    # A reduced day stays open while taking it would keep it under half of what the other
    # days of the range hold on average (each weighed by its share); past that it counts as a
    # minimum day. Anki's rule.
    kinds = [easy_days[day.weekday()] for day in days]
    if all(kind is EasyDay.Normal for kind in kinds):
        return [1.0] * len(days)
    total_due = sum(due)
    total_share = sum(kind.load_factor for kind in kinds)
    factors = []
    for kind, count in zip(kinds, due, strict=True):
        if kind is EasyDay.Reduced:
            others = total_due - count
            threshold = others / (total_share - 0.5) if total_share > 0.5 else math.inf
            kind = EasyDay.Minimum if count / 0.5 > threshold else EasyDay.Normal
        factors.append(kind.load_factor)
    return factors


def _sibling_factor(day: date, sibling_days: Collection[date]) -> float:
    factor = 1.0
    for sibling in sibling_days:
        factor *= _SIBLING_FACTORS.get((day - sibling).days, 1.0)
    return factor


def balanced(
    interval: float,
    minimum: int,
    maximum: int,
    *,
    today: date,
    due: Mapping[date, int],
    easy_days: Sequence[EasyDay] = NORMAL_WEEK,
    sibling_days: Collection[date] = (),
    draw: float,
) -> int | None:
    """The interval (days from ``today``) load balancing picks for ``interval``: a day of its
    fuzz range, by weight (see the module docstring). None past :data:`MAX_BALANCED_INTERVAL`,
    where the caller fuzzes as usual.

    Args:
        interval: the interval FSRS asks for, in days.
        minimum: the shortest interval allowed (at least 1).
        maximum: the longest.
        today: the review day the card is answered on.
        due: cards due per review day (days not in it have none).
        easy_days: Monday to Sunday.
        sibling_days: the days the card's siblings are due on, to keep away from.
        draw: uniform in [0, 1), seeded per card and review.
    """
    if int(interval) > MAX_BALANCED_INTERVAL or minimum > MAX_BALANCED_INTERVAL:
        return None
    lower, upper = fuzz_bounds(interval, minimum, maximum)
    offsets = range(lower, upper + 1)
    days = [date.fromordinal(today.toordinal() + offset) for offset in offsets]
    counts = [due.get(day, 0) for day in days]
    easy = _easy_factors(easy_days, days, counts)
    weights = []
    for offset, day, count, easy_factor in zip(offsets, days, counts, easy, strict=True):
        factor = easy_factor * _sibling_factor(day, sibling_days)
        if count == 0 and factor == 1.0:
            weights.append(1.0)  # an empty day: Anki's full weight
        else:
            load = (1 / max(count, 1)) ** _DUE_POWER * (1 / max(offset, 1)) ** _INTERVAL_POWER
            weights.append(load * factor)
    total = sum(weights)
    if total <= 0:
        return None
    point = draw * total
    for offset, weight in zip(offsets, weights, strict=True):
        point -= weight
        if point < 0:
            return offset
    return upper  # draw * total rounded up to the total itself


def review_shares(days: Sequence[date], easy_days: Sequence[EasyDay]) -> dict[date, float]:
    """The share of a run of reviews each of ``days`` should take under ``easy_days`` (normal
    1, reduced 0.5, minimum 0, then scaled to add up to 1): what a plan spreading reviews over
    the days before an exam should ask of each day. A week of minimum days shares equally."""
    weights = [easy_days[day.weekday()].value for day in days]
    total = sum(weights)
    if total == 0:
        weights, total = [1.0] * len(days), float(len(days))
    return {day: weight / total for day, weight in zip(days, weights, strict=True)}


class DayLoads:
    """What the balancer weighs: the cards due on each review day from today, the week's easy
    days and the days the siblings of the card being answered are due.

    A session makes one, counted from the forecast when first needed (a review that never
    reveals a review card does not count), and moves each card it answers from its old day to
    its new one, so later answers see the load the earlier ones made.

    The siblings' days are one card's at a time (:meth:`find_siblings`): looked up once when
    the card's intervals are first shown and kept for its answer, then dropped when any card
    moves, since that card may be a sibling of the next.

    Args:
        due: cards due per review day, or a function counting them (called once, when first
            needed).
        day_starts_at: the local hour a review day starts.
        easy_days: Monday to Sunday.
    """

    def __init__(
        self,
        due: dict[date, int] | Callable[[], dict[date, int]],
        day_starts_at: int,
        easy_days: tuple[EasyDay, ...] = NORMAL_WEEK,
    ) -> None:
        self._due = due if isinstance(due, dict) else None
        self._count = None if isinstance(due, dict) else due
        self.day_starts_at = day_starts_at
        self.easy_days = easy_days
        self._siblings_of: int | None = None
        self._sibling_days: frozenset[date] = frozenset()

    @property
    def due(self) -> dict[date, int]:
        """Cards due per review day (days not in it have none)."""
        if self._due is None:
            assert self._count is not None
            self._due = dict(self._count())
        return self._due

    def find_siblings(self, card_id: int, find: Callable[[], Collection[date]]) -> None:
        """Keep the days ``card_id``'s siblings are due on, asking ``find`` unless they are
        kept already (the card's preview and its answer ask once between them)."""
        if self._siblings_of != card_id:
            self._sibling_days = frozenset(find())
            self._siblings_of = card_id

    def sibling_days(self, card_id: int) -> frozenset[date]:
        """The days ``card_id``'s siblings are due on, as :meth:`find_siblings` last kept them
        (none if it was not asked for this card since a card last moved)."""
        return self._sibling_days if card_id == self._siblings_of else frozenset()

    def move(self, before: datetime | None, after: datetime | None) -> None:
        """A card due at ``before`` (None: not counted) is now due at ``after`` (None: no
        longer counted)."""
        self._siblings_of = None  # the card may be a sibling of the next one answered
        if self._due is None:
            return  # not counted yet: the count will see the card where it is now
        due = self._due
        if before is not None:
            day = review_date(before, self.day_starts_at)
            if due.get(day, 0) > 0:
                due[day] -= 1
        if after is not None:
            day = review_date(after, self.day_starts_at)
            due[day] = due.get(day, 0) + 1
