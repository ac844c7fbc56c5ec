"""What the load of the days ahead is made of: each section's daily load and estimated total
knowledge, summed in the database over its cards, and the days a card's siblings are due on,
which load balancing keeps the card away from.

Holds :class:`SectionLoad`, :class:`LoadStore` and :func:`sibling_keys`.

The two sums are Anki's figures. *Daily load* (under Anki's "Future due") is the reviews a day the
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

The sums read only the card table, never an answer: one grouped pass over ``ix_card_memory``, which
holds every column these sums need. What SQLite writes differently from PostgreSQL comes from
:mod:`~recall1924.store.dialect`, to which the pass names its engine's dialect.

*Siblings* are the other cards of a card's note, as Anki calls them. recall has no note table:
a note's cards share the start of their keys, which both makers of them give from the note's
id. The cards of a cloze are ``<cloze id>-c1``, ``-c2``, ... (:func:`recall1924.cloze.card_key`),
in the cloze's deck; the cards of an Anki note are ``a-<hash of its GUID>-1``, ``-2``, ... by
template (:func:`recall1924.identity.hashed_card_key`; the ``source_id`` holds the GUID too,
but no index does), in whichever decks Anki kept them. So a card's siblings are one range of
the index on ``(deck_id, key)`` in each deck they may be in: no new index, and a card of no
note (most of a collection written in recall) costs no statement at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import text
from sqlmodel import col, select

from recall1924 import cloze
from recall1924.balance import LOAD_DAYS
from recall1924.clock import review_date
from recall1924.models import Card, Deck
from recall1924.store import dialect
from recall1924.store.base import StoreBase, sql_time
from recall1924.store.queue import CardView

__all__ = ["LoadStore", "SectionLoad", "SiblingKeys", "sibling_keys"]

_ANKI_KEY = re.compile(r"^(a-[0-9a-f]{14}-)[1-9][0-9]*$")
"""An Anki card's key: its note's part, then its template's number (from 1)."""

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

    def sibling_days(self, card: CardView, at: datetime, day_starts_at: int) -> frozenset[date]:
        """The review days from ``at``'s on which ``card``'s siblings are due, as far ahead as
        load balancing looks (:data:`~recall1924.balance.LOAD_DAYS`): siblings answered at
        least once and not suspended, as the day loads count cards. Empty, with no statement
        run, for a card of no note.

        Args:
            card: the card being answered.
            at: the moment it is answered.
            day_starts_at: the local hour a review day starts.
        """
        keys = sibling_keys(card.key, card.cloze_ord)
        if keys is None:
            return frozenset()
        decks = select(Deck.id)
        if not keys.any_deck:
            decks = decks.where(Deck.key == card.deck_key)
        # Every sibling's key is the prefix and digits, which sort after "0" and before "a" in
        # any collation (bytes, or a language's, which may pass over "-" but not a digit): one
        # range of the (deck_id, key) index in each deck, checked exactly below. The due time
        # is compared here, not in SQL: given a range of it, SQLite with statistics (ANALYZE)
        # walks ix_card_due over the hundred days instead, 10 ms on 20,000 cards.
        query = select(Card.key, Card.cloze_ord, Card.due).where(
            col(Card.deck_id).in_(decks),
            col(Card.key) >= keys.prefix + "0",
            col(Card.key) < keys.prefix + "a",
            col(Card.id) != card.id,
            col(Card.last_review).is_not(None),
            col(Card.suspended).is_(False),
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).all()
        today = review_date(at, day_starts_at)
        days = (
            review_date(due, day_starts_at) for key, number, due in found if keys.holds(key, number)
        )
        return frozenset(day for day in days if 0 <= (day - today).days < LOAD_DAYS)


class SiblingKeys(NamedTuple):
    """The keys a card's siblings may have: ``prefix`` and a number."""

    prefix: str
    """What the keys of every card of the note start with."""
    any_deck: bool
    """Whether the siblings may be in another deck (an Anki note's cards may be)."""

    def holds(self, key: str, cloze_ord: int | None) -> bool:
        """Whether a card keyed ``key`` (asking cloze number ``cloze_ord``) is of the note."""
        number = key[len(self.prefix) :]
        if not key.startswith(self.prefix) or not number.isdigit() or number.startswith("0"):
            return False
        return self.any_deck or cloze_ord == int(number)


def sibling_keys(key: str, cloze_ord: int | None) -> SiblingKeys | None:
    """The keys the siblings of card ``key`` (asking cloze number ``cloze_ord``) may have, or
    None for a card of no note of several cards (see the module docstring)."""
    if (anki := _ANKI_KEY.match(key)) is not None:
        return SiblingKeys(anki.group(1), any_deck=True)
    if cloze_ord is not None and cloze.note_key(key, cloze_ord) is not None:
        return SiblingKeys(key[: -len(str(cloze_ord))], any_deck=False)
    return None
