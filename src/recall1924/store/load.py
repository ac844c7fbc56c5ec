"""Each section's daily load and estimated total knowledge, summed in the database over its cards.

Holds :class:`SectionLoad` and :class:`LoadStore`.

Both are Anki's figures. *Daily load* (under Anki's "Future due") is the reviews a day the
cards cost once the schedule runs in its stride: every card answered at least once and not
suspended comes back once per interval, so it adds ``1 / interval`` reviews a day; the interval
is the days from its last review to its due time, at least one (a card in its learning steps
counts as due daily, as Anki's ``max(1, interval)``). *Estimated total knowledge* (under
Anki's "Card retrievability") is the number of cards the student would recall if asked every
one now: the sum of the chance of recall of every card answered at least once (suspended
ones too: they are known or not all the same), new cards counting 0. Its value on exam day,
had no card been reviewed before it, is the stats' own sum of retrievability at that horizon
(:meth:`~recall1924.store.stats.StatsStore.section_rows`): counted here again, it would cost the
stats a second pass of local-time arithmetic for a number they hold already.

Only the card table is read, never an answer: one grouped pass over ``ix_card_memory``, which
holds every column these sums need. What SQLite writes differently from PostgreSQL comes from
:mod:`~recall1924.store.dialect`, to which the pass names its engine's dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import text

from recall1924.store import dialect
from recall1924.store.base import StoreBase, sql_time

__all__ = ["LoadStore", "SectionLoad"]

_BITS = 40
"""Both sums add numbers from 0 to 1, each as whole units of 2**-40
(:func:`~recall1924.store.dialect.in_units`): the same sum to the last bit whatever order a
database adds a section's cards in, at most 5e-13 per card off its double, and room for 8
million cards in a section."""


@dataclass(frozen=True)
class SectionLoad:
    """One section's sums."""

    daily_load: float
    """Σ 1 / max(1, interval in days) over its seen, unsuspended cards."""
    knowledge: float
    """Σ chance of recall now over its seen cards."""


class LoadStore(StoreBase):
    def section_load(
        self, *, now: datetime, decay: float, deck_id: int | None = None
    ) -> dict[tuple[str, str], SectionLoad]:
        """Daily load and total knowledge per section, keyed by ``(deck key, section key)``;
        a section without cards is not there.

        Args:
            now: the moment knowledge is counted at: whole days of 24 hours since each card's
                last review, as the stats count them for "now".
            decay: the forgetting curve's decay.
            deck_id: only this deck.
        """
        name = cast(dialect.Name, self.engine.dialect.name)
        now_at = "CAST(:now AS timestamp)" if name == dialect.POSTGRESQL else ":now"
        seen = "last_review IS NOT NULL"
        interval = dialect.greatest(
            "1.0", dialect.days_between("due", "last_review", name=name), name=name
        )
        knowledge = dialect.retrievability(
            dialect.days_between(now_at, "last_review", name=name),
            native=self.has_power,
            name=name,
        )
        load = dialect.in_units(f"1.0 / {interval}", _BITS, name=name)
        known = dialect.in_units(knowledge, _BITS, name=name)
        # Grouped by deck and section, the order of ix_card_memory: no sorting, and one deck is
        # one range of it.
        sql = text(
            f"""
            WITH sums AS (
                SELECT section_id,
                       SUM(CASE WHEN {seen} AND NOT suspended THEN {load} ELSE 0 END)
                           AS daily_load,
                       SUM(CASE WHEN {seen} THEN {known} ELSE 0 END) AS knowledge
                FROM card {"" if deck_id is None else "WHERE deck_id = :deck_id"}
                GROUP BY deck_id, section_id
            )
            SELECT deck.key, section.key, sums.daily_load, sums.knowledge
            FROM sums
            JOIN section ON section.id = sums.section_id
            JOIN deck ON deck.id = section.deck_id
            """
        )
        params: dict[str, Any] = {"now": sql_time(now), "decay": decay, "deck_id": deck_id}
        with self.engine.connect() as connection:
            found = connection.execute(sql, params).all()
        # PostgreSQL sums bigints as numeric: int() keeps every digit before the division.
        return {
            (deck_key, section_key): SectionLoad(
                int(load or 0) / 2**_BITS, int(known or 0) / 2**_BITS
            )
            for deck_key, section_key, load, known in found
        }
