"""The card browser: every card with its memory state, filtered, searched and sorted; and one
card in full with its review history.

Holds :class:`CardRow`, :class:`Listing` (what a listing asks for: the one argument of each
of the following), :func:`list_cards` (a table's worth of rows, a :class:`CardPage`) and
:func:`iter_cards` (every row, streamed), :func:`json_cards` (the cards as ``recall cards
--json`` prints them, in pieces, written from the store's rows as stored), :class:`HistoryRow`,
:class:`CardReport`, :func:`card_report` and the JSON forms of each (see ``docs/json.md``).

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
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import groupby, repeat
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
from recall1924.scheduling import _factor as curve_factor  # retrievability's own, written in
from recall1924.store.base import Scope, stored_moment, time_text
from recall1924.store.cards import (
    CardDetail,
    CardOrder,
    CardQuery,
    CardRecord,
    CardStore,
    HistoryEntry,
    StoredCard,
    StoredCards,
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
class CardPage:
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
        self._factor = curve_factor(decay)
        # Oldest first: _starts[-1] is when today began, _starts[-1 - n] when the day n days
        # ago began.
        self._starts = [
            day_start(today - timedelta(days=back), day_starts_at)
            for back in range(_RECENT_DAYS, -1, -1)
        ]
        # The same starts in the stored text form, which sorts as the times do: for the
        # stored rows of a JSON listing, which are never parsed.
        self._start_texts = [time_text(start) for start in self._starts]

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

    def of_stored(self, last_review: str, stability: float | None) -> float:
        """Retrievability now of a card last reviewed at ``last_review``, a stored time's
        text (:attr:`~recall1924.store.cards.StoredCard.last_review`): :meth:`__call__`'s
        figure, to the bit, found without a ``datetime`` and with
        :func:`~recall1924.scheduling.retrievability` written in (once per card of a JSON
        listing)."""
        later = bisect_right(self._start_texts, last_review)
        if later:
            days = len(self._start_texts) - later
        else:
            day = review_day(stored_moment(last_review), self._day_starts_at)
            days = max(0, self._today - day)
        if stability is None or stability <= 0:
            return 0.0
        # A float's power is a float: retrievability's float() spared
        return (1 + self._factor * days / stability) ** self._decay  # type: ignore[no-any-return]


@dataclass(frozen=True, kw_only=True)
class Listing:
    """What a listing of cards asks for (``recall cards``, ``recall due --list``): which
    cards, in what order, how many, and the moment and curve their retrievability is found
    for. One argument for the table's rows (:func:`iter_cards`, :func:`list_cards`) and the
    JSON (:func:`json_cards`) alike, so that they cannot be asked different things.

    Attributes:
        now: the moment retrievability is computed for.
        day_starts_at: the local hour a review day starts (days since the last review are
            review days).
        decay: the forgetting curve's decay (``scheduling.decay_of``).
        scope: the deck or section (all cards by default); a query, ``recall cards QUERY``,
            comes in it.
        search: keep cards whose question, answer or note holds this text as it is, in any
            case and with or without accents (``--search``); None or empty: every card.
        state: keep only cards in this state (see :class:`StateFilter`).
        sort: the order (see :class:`SortKey`); None keeps deck order. Ties keep deck order.
        limit: at most this many cards; None for all.
        leech_threshold: lapses from which a card is a leech.
    """

    now: datetime
    day_starts_at: int
    decay: float
    scope: Scope = Scope()
    search: str | None = None
    state: StateFilter | None = None
    sort: SortKey | None = None
    limit: int | None = None
    leech_threshold: int = LEECH_THRESHOLD

    def card_query(self) -> CardQuery:
        """The store's query for the listing: the filters, and the order unless it is by
        retrievability (which the store cannot compute, so it gives deck order)."""
        statuses: frozenset[CardStatus] = frozenset()
        match self.state:
            case StateFilter.New:
                statuses = frozenset({CardStatus.New})
            case StateFilter.Learning:
                statuses = frozenset({CardStatus.Learning, CardStatus.Relearning})
            case StateFilter.Relearning:
                statuses = frozenset({CardStatus.Relearning})
            case StateFilter.Review:
                statuses = frozenset({CardStatus.Review})
        order = CardOrder.Deck
        if self.sort is SortKey.Due:
            order = CardOrder.Due
        elif self.sort is SortKey.Lapses:
            order = CardOrder.Lapses
        return CardQuery(
            scope=self.scope,
            search=self.search or None,
            statuses=statuses,
            suspended=True if self.state is StateFilter.Suspended else None,
            min_lapses=self.leech_threshold if self.state is StateFilter.Leech else None,
            order=order,
        )

    def recall(self) -> _Recall:
        """Retrievability now, as the listing finds it."""
        return _Recall(self.now, self.day_starts_at, self.decay)


_new_row = CardRow._make
"""A CardRow from one tuple: twice as fast as its constructor's keyword handling."""


def _row(record: CardRecord, recall: _Recall) -> CardRow:
    last_review = record.last_review
    return _new_row(
        (
            record.deck,
            record.section,
            record.key,
            record.question,
            CardStatus.New if last_review is None else _STATUS[record.state],
            record.suspended,
            record.stability,
            record.difficulty,
            recall(last_review, record.stability),
            record.due,
            last_review,
            record.reviews,
            record.lapses,
        )
    )


def iter_cards(store: CardStore, listing: Listing) -> Iterator[CardRow]:
    """The cards to browse, filtered, sorted and cut to the listing's limit, as they are
    read.

    Only the retrievability order holds more than a chunk of rows: the ``limit`` weakest,
    or, without a limit, every row.
    """
    query = listing.card_query()
    recall = listing.recall()
    limit = listing.limit
    if listing.sort is not SortKey.Retrievability:
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


def list_cards(store: CardStore, listing: Listing) -> CardPage:
    """The rows :func:`iter_cards` gives, and how many cards matched before the limit."""
    rows = list(iter_cards(store, listing))
    if listing.limit is None or len(rows) < listing.limit:
        return CardPage(rows, len(rows))
    return CardPage(rows, store.card_count(listing.card_query()))


# -- JSON ----------------------------------------------------------------------------------

_ROW_JSON = (
    '{"deck": %s, "section": %s, "key": %s, "question": %s, "state": %s, "suspended": %s, '
    '"stability": %s, "difficulty": %s, "retrievability": %s, "due": "%sT%sZ", '
    '"last_review": %s, "reviews": %d, "lapses": %d}'
)
"""One card's line, as ``json.dumps(row.to_json(), ensure_ascii=False)`` writes it; the due
time goes in as its date and its time of day, cut from its stored text."""
_STATE_JSON = {int(state): encode_basestring(status_name(_STATUS[state])) for state in State}
_NEW_JSON = encode_basestring(status_name(CardStatus.New))


def _number_json(value: float) -> float | str:
    """A number as ``json.dumps`` writes it, for ``%s``: the number itself when it is finite
    (``%s`` writes ``str``, which for a float is the ``repr`` json writes; the caller tests
    ``value - value == 0`` itself, to spare a call per number), else NaN or Infinity as
    json spells them."""
    if value - value == 0:
        return value
    return json.dumps(value)


def _json_lines(stored: StoredCards, recall: _Recall) -> list[str]:
    """Each card's line (:data:`_ROW_JSON`), straight from its stored fields: what
    :meth:`CardRow.to_json` gives through ``json.dumps``, byte for byte, in half the
    time of making the row and then its dict.

    A stored time's text (``2026-11-27 09:00:00.123456``) is written as
    :func:`~recall1924.clock.iso` writes the time, from its date and its time of day to the
    second; retrievability is :meth:`_Recall.of_stored`'s.
    """
    chance = recall.of_stored
    encode = encode_basestring
    deck, section = encode(stored.deck), encode(stored.section)
    reviews = stored.reviews.get
    return [
        _ROW_JSON
        % (
            deck,
            section,
            encode(key),
            encode(question),
            _NEW_JSON if last_review is None else _STATE_JSON[state],
            "true" if suspended else "false",
            "null"
            if stability is None
            else stability
            if stability - stability == 0
            else _number_json(stability),
            "null"
            if difficulty is None
            else difficulty
            if difficulty - difficulty == 0
            else _number_json(difficulty),
            "null"
            if last_review is None
            else odds
            if (odds := chance(last_review, stability)) - odds == 0
            else _number_json(odds),
            due[:10],
            due[11:19],
            "null" if last_review is None else f'"{last_review[:10]}T{last_review[11:19]}Z"',
            reviews(card_id, 0),
            lapses,
        )
        # StoredCard's fields unpacked in their order, not read by name (card.key, ...): this
        # loop runs once per card of the collection, and named reads (a descriptor call each)
        # cost `recall cards --json` on 100,000 cards 1.2% more instructions (10.19 billion
        # against 10.07) and about as much more CPU.
        for (
            card_id,
            key,
            question,
            state,
            suspended,
            stability,
            difficulty,
            due,
            last_review,
            lapses,
        ) in stored.cards
    ]


def _weakest_first(
    chunks: Iterable[StoredCards], recall: _Recall, limit: int | None
) -> Iterator[StoredCards]:
    """The cards of ``chunks`` by retrievability, weakest first and new cards last, ties in
    the order they came; the ``limit`` first (all of them if None)."""

    def key(ranked: tuple[int, StoredCard, StoredCards]) -> tuple[bool, float, int]:
        position, card, _chunk = ranked
        last_review = card.last_review
        if last_review is None:
            return True, 0.0, position
        return False, recall.of_stored(last_review, card.stability), position

    def place(ranked: tuple[int, StoredCard, StoredCards]) -> tuple[str, str, Mapping[int, int]]:
        _position, _card, chunk = ranked
        return chunk.deck, chunk.section, chunk.reviews

    cards = enumerate((card, chunk) for chunk in chunks for card in chunk.cards)
    flat = ((position, card, chunk) for position, (card, chunk) in cards)
    ranked = sorted(flat, key=key) if limit is None else heapq.nsmallest(limit, flat, key=key)
    # Runs of one section's cards, as the store gives them.
    for (deck, section, reviews), run in groupby(ranked, place):
        yield StoredCards(deck, section, [card for _position, card, _chunk in run], reviews)


JSON_CHUNK = 1000
"""Cards in each piece of :func:`json_cards` (at least; a piece ends with a chunk read)."""


def json_cards(store: CardStore, listing: Listing, *, chunk: int = JSON_CHUNK) -> Iterator[str]:
    """The cards :func:`iter_cards` gives (the same listing), as the JSON array ``recall cards
    --json`` prints (one card a line, ``json.dumps`` of each :meth:`CardRow.to_json`), in
    pieces of about ``chunk`` cards that join to the whole. The first piece comes once its
    cards are read: a listing that fails before then has printed nothing.

    Written from the store's rows as stored (:meth:`CardStore.stored_cards`): a whole
    collection's ``CardRow``, two ``datetime`` and a dict each cost most of the listing.
    The cycle collector is paused until the last piece (or until the pieces are no longer
    read): a whole collection's rows are hundreds of thousands of tuples in no cycle, and its
    passes over them cost a twentieth of the listing.
    """
    query = listing.card_query()
    recall = listing.recall()
    start = "[\n"
    lines: list[str] = []
    with collector_paused():
        if listing.sort is SortKey.Retrievability:
            stored = _weakest_first(store.stored_cards(query), recall, listing.limit)
        else:
            stored = store.stored_cards(query, limit=listing.limit)
        for cards in stored:
            lines += _json_lines(cards, recall)
            if len(lines) >= chunk:
                yield start + ",\n".join(lines)
                start, lines = ",\n", []
        if lines:
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
        now, day_starts_at, decay: as a :class:`Listing` has them.
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
