"""The card browser: every card with its memory state, filtered, searched and sorted; and one
card in full with its review history.

Holds :class:`CardRow`, :class:`Listing`, :func:`list_cards` (a table's worth of rows) and
:func:`iter_cards` (every row, streamed), :func:`json_rows` (the rows as ``recall cards
--json`` prints them, in pieces), :class:`HistoryRow`, :class:`CardReport`, :func:`card_report`
and the JSON forms of each (see ``docs/json.md``).

Filters, search and every order but retrievability run in SQL
(:class:`~recall1924.store.cards.CardQuery`); rows stream from the store a chunk at a time,
so a listing of any size holds a chunk, or the rows shown, in memory.

Retrievability is FSRS's chance of recall now, with the time since the last review counted in
review days (:func:`~recall1924.scheduling.elapsed_days` with the day start), as the next
answer will count it; a new card has none. A *lapse* is an Again answer given to a card in the
Review state; a *leech* is a card with at least ``leech_threshold`` lapses.
"""

from __future__ import annotations

import heapq
import json
import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import islice, repeat
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from recall1924.clock import day_start, iso, review_date
from recall1924.collector import collector_paused
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
from recall1924.store.base import Scope
from recall1924.store.cards import (
    CardDetail,
    CardOrder,
    CardQuery,
    CardRecord,
    CardStore,
    HistoryEntry,
)

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


class CardRow(NamedTuple):
    """One card as the browser lists it.

    A tuple rather than a dataclass: ``recall cards --json`` makes one per card of the
    collection, and a tuple is built several times faster.
    """

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

_RECENT_DAYS = 400
"""Review days back from today whose starts :class:`_Recall` bisects; a card last reviewed
before them has its day found from its local date."""


class _Recall:
    """Retrievability now, for cards by their last review and stability.

    The review days since a last review (:func:`~recall1924.scheduling.elapsed_days` with the
    day start) are found by bisecting the starts, in UTC, of the recent review days: the same
    count as from each review's local date, at a seventh of the cost over a collection.
    """

    def __init__(self, now: datetime, day_starts_at: int, decay: float) -> None:
        today = review_date(now, day_starts_at)
        self._today = today.toordinal()
        self._day_starts_at = day_starts_at
        self._decay = decay
        # Oldest first: _starts[-1] is when today began, _starts[-1 - n] when the day n days
        # ago began.
        self._starts = [
            day_start(today - timedelta(days=back), day_starts_at)
            for back in range(_RECENT_DAYS, -1, -1)
        ]

    def elapsed(self, last_review: datetime) -> int:
        """Review days from ``last_review`` to now, never negative."""
        later = bisect_right(self._starts, last_review)
        if later:
            return len(self._starts) - later
        return max(0, self._today - review_day(last_review, self._day_starts_at))

    def __call__(self, last_review: datetime | None, stability: float | None) -> float | None:
        if last_review is None:
            return None
        # elapsed(), written in: once per card of a listing
        later = bisect_right(self._starts, last_review)
        if later:
            days = len(self._starts) - later
        else:
            days = max(0, self._today - review_day(last_review, self._day_starts_at))
        return retrievability(days, stability, self._decay)


def card_query(
    scope: Scope | None = None,
    *,
    search: str | None = None,
    state: StateFilter | None = None,
    sort: SortKey | None = None,
    leech_threshold: int = LEECH_THRESHOLD,
) -> CardQuery:
    """The store's query for a browse: the filters, and the order unless it is by
    retrievability (which the store cannot compute, so it gives deck order)."""
    statuses: frozenset[CardStatus] = frozenset()
    match state:
        case StateFilter.New:
            statuses = frozenset({CardStatus.New})
        case StateFilter.Learning:
            statuses = frozenset({CardStatus.Learning, CardStatus.Relearning})
        case StateFilter.Relearning:
            statuses = frozenset({CardStatus.Relearning})
        case StateFilter.Review:
            statuses = frozenset({CardStatus.Review})
    order = CardOrder.Deck
    if sort is SortKey.Due:
        order = CardOrder.Due
    elif sort is SortKey.Lapses:
        order = CardOrder.Lapses
    return CardQuery(
        scope=scope or Scope(),
        search=search or None,
        statuses=statuses,
        suspended=True if state is StateFilter.Suspended else None,
        min_lapses=leech_threshold if state is StateFilter.Leech else None,
        order=order,
    )


_new_row = CardRow._make
"""A CardRow from one tuple: twice as fast as its constructor's keyword handling."""


def _row(record: CardRecord, recall: _Recall) -> CardRow:
    (
        deck,
        section,
        key,
        question,
        state,
        suspended,
        stability,
        difficulty,
        due,
        last_review,
        reviews,
        lapses,
    ) = record
    return _new_row(
        (
            deck,
            section,
            key,
            question,
            CardStatus.New if last_review is None else _STATUS[state],
            suspended,
            stability,
            difficulty,
            recall(last_review, stability),
            due,
            last_review,
            reviews,
            lapses,
        )
    )


def iter_cards(
    store: CardStore,
    scope: Scope | None = None,
    *,
    now: datetime,
    day_starts_at: int,
    decay: float,
    search: str | None = None,
    state: StateFilter | None = None,
    sort: SortKey | None = None,
    limit: int | None = None,
    leech_threshold: int = LEECH_THRESHOLD,
) -> Iterator[CardRow]:
    """The cards to browse, filtered, sorted and cut to ``limit``, as they are read.

    Args:
        store: the collection.
        scope: the deck or section (all cards by default).
        now: the moment retrievability is computed for.
        day_starts_at: the local hour a review day starts (days since the last review are
            review days).
        decay: the forgetting curve's decay (``scheduling.decay_of``).
        search: keep cards whose question, answer or note holds this text as it is, in any
            case and with or without accents (``--search``; a query, ``recall cards QUERY``,
            comes in ``scope``).
        state: keep only cards in this state (see :class:`StateFilter`).
        sort: the order (see :class:`SortKey`); None keeps deck order. Ties keep deck order.
        limit: at most this many rows; None for all.
        leech_threshold: lapses from which a card is a leech.

    Only the retrievability order holds more than a chunk of rows: the ``limit`` weakest,
    or, without a limit, every row.
    """
    query = card_query(
        scope, search=search, state=state, sort=sort, leech_threshold=leech_threshold
    )
    recall = _Recall(now, day_starts_at, decay)
    if sort is not SortKey.Retrievability:
        yield from map(_row, store.card_records(query, limit=limit), repeat(recall))
        return
    rows = (_row(record, recall) for record in store.card_records(query))
    # Weakest first, new cards last; ties in deck order (the position breaks them).
    keyed = (
        (row.retrievability is None, row.retrievability or 0.0, position, row)
        for position, row in enumerate(rows)
    )
    ranked = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
    for *_key, row in ranked:
        yield row


def list_cards(
    store: CardStore,
    scope: Scope | None = None,
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
    """The rows :func:`iter_cards` gives, and how many cards matched before the limit."""
    rows = list(
        iter_cards(
            store,
            scope,
            now=now,
            day_starts_at=day_starts_at,
            decay=decay,
            search=search,
            state=state,
            sort=sort,
            limit=limit,
            leech_threshold=leech_threshold,
        )
    )
    if limit is None or len(rows) < limit:
        return Listing(rows, len(rows))
    query = card_query(
        scope, search=search, state=state, sort=sort, leech_threshold=leech_threshold
    )
    return Listing(rows, store.card_count(query))


# -- JSON ----------------------------------------------------------------------------------

_ROW_JSON = (
    '{"deck": %s, "section": %s, "key": %s, "question": %s, "state": %s, "suspended": %s, '
    '"stability": %s, "difficulty": %s, "retrievability": %s, "due": %s, "last_review": %s, '
    '"reviews": %d, "lapses": %d}'
)
_STATUS_JSON = {status: encode_basestring(status_name(status)) for status in CardStatus}


def _number_json(value: float | None) -> str:
    if value is None:
        return "null"
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value)  # NaN and Infinity as json writes them


_TIME_JSON = '"%04d-%02d-%02dT%02d:%02d:%02dZ"'


def _time_json(moment: datetime) -> str:
    if moment.tzinfo is UTC:
        # clock.iso for a time already in UTC (as the store's are), in half the time
        return _TIME_JSON % (
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )
    return f'"{iso(moment)}"'


def row_json(row: CardRow) -> str:
    """``json.dumps(row.to_json(), ensure_ascii=False)``, written out: the same text in half the
    time, which shows over a whole collection."""
    (
        deck,
        section,
        key,
        question,
        status,
        suspended,
        stability,
        difficulty,
        chance,
        due,
        last_review,
        reviews,
        lapses,
    ) = row
    return _ROW_JSON % (
        encode_basestring(deck),
        encode_basestring(section),
        encode_basestring(key),
        encode_basestring(question),
        _STATUS_JSON[status],
        "true" if suspended else "false",
        "null" if stability is None else _number_json(stability),
        "null" if difficulty is None else _number_json(difficulty),
        "null" if chance is None else _number_json(chance),
        _time_json(due),
        "null" if last_review is None else _time_json(last_review),
        reviews,
        lapses,
    )


JSON_CHUNK = 1000
"""Rows in each piece of :func:`json_rows`."""


def json_rows(rows: Iterable[CardRow], *, chunk: int = JSON_CHUNK) -> Iterator[str]:
    """``rows`` as the JSON array ``recall cards --json`` prints (one card a line), in pieces
    of ``chunk`` rows that join to the whole. The first piece comes once its rows are read: a
    listing that fails before then has printed nothing.

    The cycle collector is paused until the last piece (or until the pieces are no longer
    read): a whole collection's rows are hundreds of thousands of tuples in no cycle, and its
    passes over them cost a twentieth of the listing."""
    rows = iter(rows)
    start = "[\n"
    with collector_paused():
        while lines := list(map(row_json, islice(rows, chunk))):
            yield start + ",\n".join(lines)
            start = ",\n"
    yield "[]" if start == "[\n" else "\n]"


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
    """One answer in a card's history, or a reset to new (no rating)."""

    reviewed_at: datetime
    kind: ReviewKind
    rating: Rating | None
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
            "rating": None if self.rating is None else self.rating.name.lower(),
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
            "flagged": bool(card.flag),
            "flag_reason": card.flag_reason,
            "edited_at": iso(card.edited_at),
            "upstream": None
            if card.upstream is None
            else {
                "question": card.upstream.question,
                "answer": card.upstream.answer,
                "note": card.upstream.note,
                "tags": list(card.upstream.tags),
                "updated_at": iso(card.upstream.updated_at),
            },
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
