"""The card browser: every card with its memory state, filtered, searched and sorted; and one
card in full with its review history.

Holds :class:`CardRow`, :class:`Listing`, :func:`list_cards` (pure: over the store's
:class:`~recall1924.store.cards.CardRecord` rows), :class:`HistoryRow`, :class:`CardReport`,
:func:`card_report` and the JSON forms of each (see ``docs/json.md``).

Retrievability is FSRS's chance of recall now, with the time since the last review counted in
review days (:func:`~recall1924.scheduling.elapsed_days` with the day start), as the next
answer will count it; a new card has none. A *lapse* is an Again answer given to a card in the
Review state; a *leech* is a card with at least ``leech_threshold`` lapses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from recall1924.clock import iso
from recall1924.models import ReviewKind
from recall1924.scheduling import (
    CardStatus,
    MemoryState,
    Rating,
    State,
    elapsed_days,
    retrievability,
    review_day,
)
from recall1924.store.cards import CardDetail, CardRecord, HistoryEntry

LEECH_THRESHOLD = 8
"""Lapses from which a card counts as a leech (to become a setting)."""

TABLE_ROWS = 200
"""Cards the table shows unless ``--limit`` says otherwise (``--json`` prints all)."""


class StateFilter(StrEnum):
    """What ``--state`` selects. ``learning`` includes relearning cards, as stats counts them;
    ``suspended`` and ``leech`` cut across the memory states."""

    New = "new"
    Learning = "learning"
    Relearning = "relearning"
    Review = "review"
    Suspended = "suspended"
    Leech = "leech"


class SortKey(StrEnum):
    """The orders ``--sort`` offers; without one, cards come in deck order."""

    Due = "due"
    """Soonest due first; new cards after all others."""
    Retrievability = "retrievability"
    """Weakest first; new cards after all others."""
    Lapses = "lapses"
    """Most lapses first."""


def status_name(status: CardStatus) -> str:
    """``new``, ``learning``, ``review`` or ``relearning``."""
    return status.name.lower()


@dataclass(frozen=True, slots=True)
class CardRow:
    """One card as the browser lists it."""

    deck: str
    section: str
    key: str
    question: str
    status: CardStatus
    suspended: bool
    stability: float | None
    difficulty: float | None
    retrievability: float | None
    """Chance of recall now; None for a new card."""
    due: datetime
    last_review: datetime | None
    reviews: int
    lapses: int

    def to_json(self) -> dict[str, Any]:
        """The row as ``recall cards --json`` prints it."""
        return {
            "deck": self.deck,
            "section": self.section,
            "key": self.key,
            "question": self.question,
            "state": status_name(self.status),
            "suspended": self.suspended,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "retrievability": self.retrievability,
            "due": iso(self.due),
            "last_review": iso(self.last_review),
            "reviews": self.reviews,
            "lapses": self.lapses,
        }


@dataclass(frozen=True)
class Listing:
    """The cards a browse found: the rows to show, and how many matched in all."""

    rows: list[CardRow]
    matched: int

    @property
    def more(self) -> int:
        """Matching cards left out by the limit."""
        return self.matched - len(self.rows)


_STATUS = {state: CardStatus(int(state)) for state in State}


def _status(state: State, last_review: datetime | None) -> CardStatus:
    return CardStatus.New if last_review is None else _STATUS[state]


def _wanted(record: CardRecord, state: StateFilter, leech_threshold: int) -> bool:
    status = _status(record.state, record.last_review)
    match state:
        case StateFilter.New:
            return status is CardStatus.New
        case StateFilter.Learning:
            return status in (CardStatus.Learning, CardStatus.Relearning)
        case StateFilter.Relearning:
            return status is CardStatus.Relearning
        case StateFilter.Review:
            return status is CardStatus.Review
        case StateFilter.Suspended:
            return record.suspended
        case StateFilter.Leech:
            return record.lapses >= leech_threshold


def list_cards(
    records: Iterable[CardRecord],
    *,
    now: datetime,
    day_starts_at: int,
    decay: float,
    search: str | None = None,
    state: StateFilter | None = None,
    sort: SortKey | None = None,
    limit: int | None = None,
    leech_threshold: int = LEECH_THRESHOLD,
) -> Listing:
    """The cards to browse, filtered, sorted and cut to ``limit``.

    Args:
        records: the cards, in deck order (``Store.card_records``).
        now: the moment retrievability is computed for.
        day_starts_at: the local hour a review day starts (days since the last review are
            review days).
        decay: the forgetting curve's decay (``scheduling.decay_of``).
        search: keep cards whose question or answer holds this text, ignoring case.
        state: keep only cards in this state (see :class:`StateFilter`).
        sort: the order (see :class:`SortKey`); None keeps deck order. Ties keep deck order.
        limit: at most this many rows; None for all.
        leech_threshold: lapses from which a card is a leech.

    Returns:
        The rows, and how many cards matched before the limit.
    """
    needle = search.casefold() if search else None
    found = [
        record
        for record in records
        if (state is None or _wanted(record, state, leech_threshold))
        and (
            needle is None
            or needle in record.question.casefold()
            or needle in record.answer.casefold()
        )
    ]
    # scheduling.elapsed_days, with today's review day computed once rather than per card
    today = review_day(now, day_starts_at)

    def chance(record: CardRecord) -> float | None:
        if record.last_review is None:
            return None
        elapsed = max(0, today - review_day(record.last_review, day_starts_at))
        return retrievability(elapsed, record.stability, decay)

    # Retrievability is computed for the rows shown, unless the order needs it for all.
    chances: list[float | None] | None = None
    if sort is SortKey.Due:
        found.sort(key=lambda record: (record.last_review is None, record.due))
    elif sort is SortKey.Retrievability:
        pairs = sorted(
            ((chance(record), record) for record in found),
            key=lambda pair: (pair[0] is None, pair[0] or 0.0),
        )
        chances = [value for value, _record in pairs]
        found = [record for _value, record in pairs]
    elif sort is SortKey.Lapses:
        found.sort(key=lambda record: -record.lapses)
    shown = found if limit is None else found[:limit]
    if chances is None:
        chances = [chance(record) for record in shown]
    rows = [
        CardRow(
            record.deck,
            record.section,
            record.key,
            record.question,
            _status(record.state, record.last_review),
            record.suspended,
            record.stability,
            record.difficulty,
            value,
            record.due,
            record.last_review,
            record.reviews,
            record.lapses,
        )
        for record, value in zip(shown, chances[: len(shown)], strict=True)
    ]
    return Listing(rows, len(found))


def lapses_of(history: Iterable[HistoryEntry]) -> int:
    """Again answers given in the Review state, counting scheduled reviews only."""
    return sum(
        1
        for entry in history
        if entry.kind is ReviewKind.Review
        and entry.before.state is State.Review
        and entry.rating is Rating.Again
    )


@dataclass(frozen=True)
class HistoryRow:
    """One answer in a card's history."""

    reviewed_at: datetime
    kind: ReviewKind
    rating: Rating
    status_before: CardStatus
    due: datetime
    """When the answer made the card due."""
    stability: float | None
    """Stability after the answer."""
    difficulty: float | None
    """Difficulty after the answer."""
    duration_ms: int | None

    @property
    def interval_days(self) -> float:
        """The interval the answer gave, in days (``due - reviewed_at``)."""
        return (self.due - self.reviewed_at).total_seconds() / 86400

    def to_json(self) -> dict[str, Any]:
        return {
            "reviewed_at": iso(self.reviewed_at),
            "kind": self.kind.name.lower(),
            "rating": self.rating.name.lower(),
            "state_before": status_name(self.status_before),
            "due": iso(self.due),
            "interval_days": self.interval_days,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True)
class CardReport:
    """Everything ``recall card KEY`` shows."""

    card: CardDetail
    status: CardStatus
    retrievability: float | None
    reviews: int
    lapses: int
    history: list[HistoryRow]

    @property
    def memory(self) -> MemoryState:
        return self.card.memory

    def to_json(self) -> dict[str, Any]:
        """The report as ``recall card --json`` prints it."""
        card, memory = self.card, self.card.memory
        return {
            "deck": card.deck,
            "deck_title": card.deck_title,
            "section": card.section,
            "section_title": card.section_title,
            "key": card.key,
            "question": card.question,
            "answer": card.answer,
            "note": card.note,
            "tags": list(card.tags),
            "source_id": card.source_id,
            "suspended": card.suspended,
            "buried_until": iso(card.buried_until),
            "state": status_name(self.status),
            "stability": memory.stability,
            "difficulty": memory.difficulty,
            "retrievability": self.retrievability,
            "due": iso(memory.due),
            "last_review": iso(memory.last_review),
            "reviews": self.reviews,
            "lapses": self.lapses,
            "history": [row.to_json() for row in self.history],
        }


def card_report(
    card: CardDetail,
    history: Iterable[HistoryEntry],
    *,
    now: datetime,
    day_starts_at: int,
    decay: float,
) -> CardReport:
    """One card in full: its content, memory state now and every answer given to it.

    Args:
        card: the card (``Store.card_detail``).
        history: its answers, oldest first (``Store.card_history``).
        now, day_starts_at, decay: as for :func:`list_cards`.
    """
    entries = list(history)
    memory = card.memory
    chance = None
    if memory.last_review is not None:
        elapsed = elapsed_days(memory.last_review, now, day_starts_at=day_starts_at)
        chance = retrievability(elapsed, memory.stability, decay)
    return CardReport(
        card=card,
        status=memory.status,
        retrievability=chance,
        reviews=sum(1 for entry in entries if entry.kind is ReviewKind.Review),
        lapses=lapses_of(entries),
        history=[
            HistoryRow(
                reviewed_at=entry.reviewed_at,
                kind=entry.kind,
                rating=entry.rating,
                status_before=entry.before.status,
                due=entry.after.due,
                stability=entry.after.stability,
                difficulty=entry.after.difficulty,
                duration_ms=entry.duration_ms,
            )
            for entry in entries
        ],
    )
