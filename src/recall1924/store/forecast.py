"""What comes due, per review day, deck and section (``recall due``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func
from sqlalchemy import select as sql_select
from sqlmodel import col

from recall1924.models import Card
from recall1924.store.base import Scope, StoreBase


class DueCount(NamedTuple):
    """Cards of one section falling due on one day of a forecast."""

    day: int
    """The day's place in the forecast (0: the first)."""
    deck_id: int
    section_id: int
    cards: int


class ForecastStore(StoreBase):
    def due_counts(self, scope: Scope, starts: Sequence[datetime]) -> list[DueCount]:
        """Cards of ``scope`` already seen and not suspended that fall due before the last of
        ``starts``, counted per day and section: day ``n`` runs from ``starts[n]`` to
        ``starts[n + 1]``, and a card due before ``starts[0]`` (overdue) counts on day 0.

        One statement over the index on ``due``: the days are a ``CASE`` of bound times, so the
        database does no date arithmetic. Suspended cards never come due; buried ones do, on
        their day.
        """
        if len(starts) < 2:
            return []
        due = col(Card.due)
        day = case(
            *((due < start, index) for index, start in enumerate(starts[1:-1])),
            else_=len(starts) - 2,
        ).label("day")
        query = (
            sql_select(day, col(Card.deck_id), col(Card.section_id), func.count())
            .where(
                col(Card.last_review).is_not(None),
                col(Card.suspended).is_(False),
                due < starts[-1],
                *scope.where(),
            )
            .group_by(day, col(Card.deck_id), col(Card.section_id))
        )
        with self.engine.connect() as connection:
            return [DueCount(*row) for row in connection.execute(query)]
