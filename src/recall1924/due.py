"""What comes due, day by day, per deck and section: ``recall due``.

Holds :class:`SectionDue`, :class:`DueDay`, :class:`DueForecast` (with its JSON, see
``docs/json.md``), :func:`forecast` and :func:`coming_due` (the query ``recall due --list``
lists the cards of).

A card comes due on the review day its due time is in; one already overdue counts today, as
the review will show it. Only cards already answered come due (a new card waits for the daily
limit, not a date), and never a suspended one; a buried card comes due on its day as any other.
The days are the collection's review days (``day_starts_at``), the counting one statement over
the index on ``card.due`` (:meth:`~recall1924.store.forecast.ForecastStore.due_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from recall1924.clock import day_start, review_date
from recall1924.query import CardIs, Is, Not, Op, Prop, Property, Query, both
from recall1924.store import Scope, Store


@dataclass(frozen=True)
class SectionDue:
    """The cards of one section that come due on one day."""

    deck: str
    deck_title: str
    section: str
    section_title: str
    cards: int

    def to_json(self) -> dict[str, Any]:
        return {
            "deck": self.deck,
            "deck_title": self.deck_title,
            "section": self.section,
            "section_title": self.section_title,
            "due": self.cards,
        }


@dataclass(frozen=True)
class DueDay:
    """One review day: what comes due on it, section by section in deck order."""

    day: date
    sections: tuple[SectionDue, ...]

    @property
    def cards(self) -> int:
        return sum(section.cards for section in self.sections)


@dataclass(frozen=True)
class DueForecast:
    """Every review day from today on, for ``len(days)`` days; today's count holds the
    ``overdue`` cards."""

    days: tuple[DueDay, ...]
    overdue: int

    @property
    def cards(self) -> int:
        return sum(day.cards for day in self.days)

    def to_json(self) -> dict[str, Any]:
        """The forecast as ``recall due --json`` prints it."""
        return {
            "days": [
                {
                    "date": day.day.isoformat(),
                    "due": day.cards,
                    "sections": [section.to_json() for section in day.sections],
                }
                for day in self.days
            ],
            "overdue": self.overdue,
            "total": self.cards,
        }


def forecast(
    store: Store, scope: Scope, *, now: datetime, day_starts_at: int, days: int
) -> DueForecast:
    """What comes due in ``scope`` (its query too) on each of the ``days`` review days from
    today's, overdue cards today.

    Args:
        store: the collection.
        scope: the deck, section and query.
        now: the moment today is today's for.
        day_starts_at: the local hour a review day starts.
        days: how many review days, today's included (``recall due --days``: 1 to 366).
    """
    today = review_date(now, day_starts_at)
    starts = [
        day_start(today + timedelta(days=offset), day_starts_at) for offset in range(days + 1)
    ]
    # Overdue is due before today starts: its own first day, merged into today below.
    counts = store.due_counts(scope, [starts[0], *starts])
    names = {
        place.section_id: (place.deck_key, place.deck_title, place.section_key, place.section_title)
        for place in store.places()
    }
    order = {section_id: position for position, section_id in enumerate(names)}
    per_day: list[dict[int, int]] = [{} for _ in range(days)]
    overdue = 0
    for found in counts:
        day = max(found.day - 1, 0)
        if found.day == 0:
            overdue += found.cards
        sections = per_day[day]
        sections[found.section_id] = sections.get(found.section_id, 0) + found.cards
    return DueForecast(
        tuple(
            DueDay(
                today + timedelta(days=offset),
                tuple(
                    SectionDue(*names[section_id], cards)
                    for section_id, cards in sorted(
                        per_day[offset].items(), key=lambda item: order.get(item[0], 0)
                    )
                    if section_id in names
                ),
            )
            for offset in range(days)
        ),
        overdue,
    )


def coming_due(days: int) -> Query:
    """The cards :func:`forecast` counts over ``days`` days: answered, due before the day after
    them (overdue included), not suspended (``prop:due<N -is:suspended``)."""
    return both(Prop(Property.Due, Op.Lt, float(days)), Not(Is(CardIs.Suspended)))
