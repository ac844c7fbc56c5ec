"""How the revision is going: per-section mastery and retention, totals, today's work.

Holds :class:`SectionStats`, :class:`DeckStats`, :class:`Totals`, :class:`StatsReport` and
:func:`build_report`. Mastery is the mean FSRS retrievability of a section's cards now (a new
card counts as 0): the chance of recalling a card picked at random from it. Retention is the share
of answers to cards in the Review state that were not Again ("true retention"); it is None until
there are such answers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from recall1924.store import Scope, SectionRow, Store


@dataclass(frozen=True)
class SectionStats:
    """One section's numbers."""

    id: str
    title: str
    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    mastery: float
    retention: float | None


@dataclass(frozen=True)
class DeckStats:
    """One deck's sections."""

    id: str
    title: str
    sections: list[SectionStats]


@dataclass(frozen=True)
class Totals:
    """The whole collection (or the chosen deck)."""

    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    reviews_today: int
    mastery: float


@dataclass(frozen=True)
class StatsReport:
    """Everything ``recall stats`` shows."""

    totals: Totals
    decks: list[DeckStats]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"totals": asdict(self.totals), "decks": [asdict(deck) for deck in self.decks]}


def _section(row: SectionRow) -> SectionStats:
    return SectionStats(
        id=row.section_key,
        title=row.section_title,
        cards=row.cards,
        new=row.new,
        learning=row.learning,
        review=row.review,
        due_now=row.due_now,
        mastery=row.retrievability_sum / row.cards if row.cards else 0.0,
        retention=row.recalled / row.recall_attempts if row.recall_attempts else None,
    )


def build_report(
    store: Store,
    *,
    now: datetime,
    day_start: datetime,
    decay: float,
    scope: Scope | None = None,
) -> StatsReport:
    """Compute the stats of every deck (or of the scope's deck) at ``now``.

    Args:
        store: the collection.
        now: the moment retrievability and "due now" are computed for.
        day_start: when today's review day began (for reviews today).
        decay: the FSRS forgetting curve's decay (see ``scheduling.decay_of``).
        scope: only this deck (a section in the scope is ignored: stats show whole decks).
    """
    scope = scope or Scope()
    rows = store.section_rows(now=now, decay=decay, deck_id=scope.deck_id)
    decks: dict[str, DeckStats] = {}
    for row in rows:
        deck = decks.setdefault(row.deck_key, DeckStats(row.deck_key, row.deck_title, []))
        deck.sections.append(_section(row))
    cards = sum(row.cards for row in rows)
    totals = Totals(
        cards=cards,
        new=sum(row.new for row in rows),
        learning=sum(row.learning for row in rows),
        review=sum(row.review for row in rows),
        due_now=sum(row.due_now for row in rows),
        reviews_today=store.day_counts(day_start, Scope(deck_id=scope.deck_id)).answers,
        mastery=sum(row.retrievability_sum for row in rows) / cards if cards else 0.0,
    )
    return StatsReport(totals=totals, decks=list(decks.values()))
