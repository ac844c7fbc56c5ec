"""Cards outside a review's answers: finding them by key, suspending, burying, and reading
them for the browser (the cards a :class:`CardQuery` selects, streamed with their answer
counts; one card with its history).

A listing is filtered, searched and ordered in SQL, with constructs PostgreSQL shares (``LIKE``
on ``lower()``, ``CASE``, ``COALESCE``), so that a collection of any size costs one pass and
one chunk of rows in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import func, update
from sqlmodel import col, select

from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.scheduling import CardStatus, MemoryState, Rating, State
from recall1924.store.base import Scope, StoreBase, memory_of, stored_moment


class CardOrder(Enum):
    """The orders :meth:`CardStore.card_records` lists cards in. Ties keep deck order (deck,
    then section, then card, each by position)."""

    Deck = "deck"
    Due = "due"
    """Soonest due first; cards never answered after all others."""
    Lapses = "lapses"
    """Most lapses first."""


@dataclass(frozen=True)
class CardQuery:
    """Which cards a listing wants, and in what order: by default every card, in deck order.

    Attributes:
        scope: the deck or section.
        search: only cards whose question or answer holds this text in any case (see
            :func:`search_pattern` for what "any case" covers).
        statuses: only cards in one of these statuses (empty: any).
        suspended: only suspended cards (True), or only the others (False).
        min_lapses: only cards with at least this many lapses.
        order: the order.
    """

    scope: Scope = Scope()
    search: str | None = None
    statuses: frozenset[CardStatus] = frozenset()
    suspended: bool | None = None
    min_lapses: int | None = None
    order: CardOrder = CardOrder.Deck

    @property
    def filtered(self) -> bool:
        """Whether some cards of the scope may be left out."""
        limited = self.suspended is not None or self.min_lapses is not None
        return bool(self.search or self.statuses or limited)


class CardRecord(NamedTuple):
    """One card as the browser lists it, with counts of its scheduled answers.

    A tuple rather than a dataclass: a listing streams every card of the collection through
    it, and a tuple is built several times faster.
    """

    deck: str
    section: str
    key: str
    question: str
    state: State
    suspended: bool
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reviews: int
    """Answers of kind Review (not cram practice, not schedule edits)."""
    lapses: int
    """Again answers given to the card in the Review state."""


@dataclass(frozen=True)
class CardDetail:
    """One card's content, place and memory state."""

    id: int
    deck: str
    deck_title: str
    section: str
    section_title: str
    key: str
    question: str
    answer: str
    note: str | None
    tags: tuple[str, ...]
    source_id: str | None
    suspended: bool
    buried_until: datetime | None
    memory: MemoryState


@dataclass(frozen=True)
class HistoryEntry:
    """One answer to a card, as its history shows it."""

    reviewed_at: datetime
    kind: ReviewKind
    rating: Rating
    duration_ms: int | None
    before: MemoryState
    after: MemoryState


_CHUNK = 500
"""Cards read from the database at a time."""

_DECK_ORDER = "deck.id, section.position, card.position, card.id"
_ORDER = {
    CardOrder.Deck: _DECK_ORDER,
    CardOrder.Due: f"CASE WHEN card.last_review IS NULL THEN 1 ELSE 0 END, card.due, {_DECK_ORDER}",
    CardOrder.Lapses: f"COALESCE(answers.lapses, 0) DESC, {_DECK_ORDER}",
}

# Every card's answers and lapses, for a listing of every card: one pass over the review log.
_ANSWERS = """
    LEFT JOIN (
        -- "+": group from a narrow covering index (state_before, kind, card_id, rating, ...);
        -- SQLite would rather walk ix_review_log_card_time in card order and look up every
        -- row, ten times slower on a million answers. A hint for SQLite only: PostgreSQL
        -- wants the column grouped as it is selected (and "+card_id AS card_id" would cost
        -- SQLite its index on the result, a scan of it per card).
        SELECT card_id,
               COUNT(*) AS reviews,
               SUM(CASE WHEN state_before = :review_state AND rating = :again THEN 1 ELSE 0 END)
                   AS lapses
        FROM review_log
        WHERE kind = :review_kind
        GROUP BY +card_id
    ) AS answers ON answers.card_id = card.id"""

# Only the lapses, for a filter or an order by them when the answers are counted for the
# rows shown: that covering index holds these answers side by side, in card order.
_LAPSES = """
    LEFT JOIN (
        SELECT card_id, COUNT(*) AS lapses
        FROM review_log
        WHERE state_before = :review_state AND kind = :review_kind AND rating = :again
        GROUP BY card_id
    ) AS answers ON answers.card_id = card.id"""

_COUNTS = """
    SELECT card_id,
           COUNT(*),
           SUM(CASE WHEN state_before = :review_state AND rating = :again THEN 1 ELSE 0 END)
    FROM review_log
    -- Every state named, so that the answers are read from that covering index; by
    -- ix_review_log_card_time, every answer's row would be read, five times slower.
    WHERE state_before IN ({states}) AND kind = :review_kind AND card_id IN ({cards})
    GROUP BY card_id"""

_COUNT_PARAMS = {
    "review_state": int(State.Review),
    "review_kind": int(ReviewKind.Review),
    "again": int(Rating.Again),
    **{f"state{int(state)}": int(state) for state in State},
}
_STATES = {int(state): state for state in State}
_NO_ANSWERS = (0, 0)


def search_pattern(text: str) -> tuple[str, bool]:
    """The ``LIKE`` pattern (``\\`` escaping) that ``lower()`` of every text holding ``text``
    in any case matches, and whether every text it matches holds it.

    ASCII letters match in either case on any database. A letter outside ASCII that has
    cases stands for any one character, since ``lower()`` folds such letters in PostgreSQL but
    not in SQLite; the pattern is then not exact, and a match is checked with
    :meth:`str.casefold`. Either way, a letter whose folded form is several letters or ASCII
    ("ß" and "ss", "ﬁ" and "fi", the Kelvin sign and "k") matches only itself.
    """
    exact = True
    parts = []
    for char in text:
        if char.isascii():
            parts.append("\\" + char if char in "\\%_" else char.lower())
        elif char == char.lower() == char.upper() == char.casefold():
            parts.append(char)  # no case: as it is
        else:
            parts.append("_")
            exact = False
    return f"%{''.join(parts)}%", exact


class _Selection(NamedTuple):
    """The ``FROM ... WHERE ...`` of a listing, its parameters, and the check of a search's
    candidates (by question and answer) when the SQL cannot decide alone."""

    sql: str
    params: dict[str, Any]
    check: Callable[[str, str], bool] | None


def _selection(query: CardQuery, *, counted: bool = False, ordered: bool = False) -> _Selection:
    """``counted``: every card's answers and lapses are joined (as ``answers``); ``ordered``:
    the rows are listed, in the query's order (else only counted)."""
    params: dict[str, Any] = dict(_COUNT_PARAMS)
    where: list[str] = []
    if query.scope.deck_id is not None:
        where.append("card.deck_id = :deck_id")
        params["deck_id"] = query.scope.deck_id
    if query.scope.section_id is not None:
        where.append("card.section_id = :section_id")
        params["section_id"] = query.scope.section_id
    if query.statuses:
        either = []
        if CardStatus.New in query.statuses:
            either.append("card.last_review IS NULL")
        # An answered card's status is its state.
        answered = sorted(int(status) for status in query.statuses if status is not CardStatus.New)
        if answered:
            names = ", ".join(f":state{state}" for state in answered)
            either.append(f"(card.last_review IS NOT NULL AND card.state IN ({names}))")
        where.append(f"({' OR '.join(either)})")
    if query.suspended is not None:
        where.append("card.suspended = :suspended")
        params["suspended"] = query.suspended
    if query.min_lapses is not None:
        where.append("COALESCE(answers.lapses, 0) >= :min_lapses")
        params["min_lapses"] = query.min_lapses
    check = None
    if query.search:
        params["pattern"], exact = search_pattern(query.search)
        where.append(
            "(lower(card.question) LIKE :pattern ESCAPE '\\'"
            " OR lower(card.answer) LIKE :pattern ESCAPE '\\')"
        )
        if not exact:
            folded = query.search.casefold()

            def check(question: str, answer: str) -> bool:
                return folded in question.casefold() or folded in answer.casefold()

    sql = "FROM card"
    if ordered:
        # Only the order (and the rows) need them: every card has its deck and section, as the
        # foreign keys make sure, so a count does without.
        sql += " JOIN deck ON deck.id = card.deck_id JOIN section ON section.id = card.section_id"
    if counted:
        sql += _ANSWERS
    elif query.min_lapses is not None or (ordered and query.order is CardOrder.Lapses):
        sql += _LAPSES
    if where:
        sql += "\n    WHERE " + "\n      AND ".join(where)
    return _Selection(sql, params, check)


def _answer_counts(driver: Any, card_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Scheduled answers and lapses of each of these cards that has any."""
    if not card_ids:
        return {}
    states = ", ".join(f":state{int(state)}" for state in State)
    cards = ", ".join(f":card{index}" for index in range(len(card_ids)))
    params = _COUNT_PARAMS | {f"card{index}": card_id for index, card_id in enumerate(card_ids)}
    rows = driver.execute(_COUNTS.format(states=states, cards=cards), params)
    return {card_id: (reviews, lapses) for card_id, reviews, lapses in rows}


class CardStore(StoreBase):
    def card_ids(self, keys: Iterable[str], deck_key: str | None = None) -> dict[str, int]:
        """The database ids of the cards with these keys (in one deck, or in any).

        Raises:
            NotFoundError: naming the keys no card has, or a key several decks share when no
                deck is given.
        """
        wanted = list(dict.fromkeys(keys))
        query = select(Card.key, Card.id, Deck.key).join(Deck, col(Card.deck_id) == col(Deck.id))
        query = query.where(col(Card.key).in_(wanted))
        if deck_key is not None:
            query = query.where(Deck.key == deck_key)
        found: dict[str, list[tuple[int, str]]] = {}
        with self._session() as session:
            for key, card_id, deck in session.exec(query):
                assert card_id is not None
                found.setdefault(key, []).append((card_id, deck))
        missing = [key for key in wanted if key not in found]
        if missing:
            where = f" in deck {deck_key!r}" if deck_key else ""
            raise NotFoundError(f"no card {', '.join(map(repr, missing))}{where}")
        shared = [key for key, cards in found.items() if len(cards) > 1]
        if shared:
            raise NotFoundError(
                f"card {shared[0]!r} is in several decks "
                f"({', '.join(deck for _id, deck in found[shared[0]])}); name one with --deck"
            )
        return {key: cards[0][0] for key, cards in found.items()}

    def set_suspended(self, card_ids: Iterable[int], suspended: bool) -> None:
        """Suspend cards (never due until unsuspended) or unsuspend them."""
        with self._session() as session:
            session.execute(
                update(Card).where(col(Card.id).in_(list(card_ids))).values(suspended=suspended)
            )
            session.commit()

    def set_buried(self, card_id: int, until: datetime | None) -> None:
        """Keep a card out of the queue until ``until`` (None: no longer buried)."""
        with self._session() as session:
            session.execute(update(Card).where(col(Card.id) == card_id).values(buried_until=until))
            session.commit()

    def card_records(
        self, query: CardQuery | None = None, *, limit: int | None = None
    ) -> Iterator[CardRecord]:
        """The cards ``query`` selects, in its order, with their answers and lapses counted.

        Read a chunk at a time, as they are consumed: a listing of any size holds one chunk
        (and keeps a connection until it is read to the end or closed).

        Args:
            query: which cards, and their order (every card in deck order by default).
            limit: at most this many; None for all.
        """
        query = query or CardQuery()
        # The answers of every card of the scope are counted in one pass over the review log,
        # joined; those of fewer (a limit, a filter) with a look-up per chunk, which costs less
        # the fewer they are.
        counted = limit is None and not query.filtered
        selection = _selection(query, counted=counted, ordered=True)
        columns = (
            "card.id, deck.key, section.key, card.key, card.question, card.state,"
            " card.suspended, card.stability, card.difficulty, card.due, card.last_review"
        )
        columns += (
            ", COALESCE(answers.reviews, 0), COALESCE(answers.lapses, 0)" if counted else ", 0, 0"
        )
        if selection.check is not None:
            columns += ", card.answer"
        sql = f"SELECT {columns}\n    {selection.sql}\n    ORDER BY {_ORDER[query.order]}"
        params = selection.params
        if limit is not None and selection.check is None:
            sql += "\n    LIMIT :limit"
            params = params | {"limit": limit}
        left, check = limit, selection.check
        with self.engine.connect() as connection:
            # The driver's own cursor: SQLAlchemy's result rows would cost a second or so more
            # on a collection of 100,000 cards.
            driver = connection.connection.driver_connection
            assert driver is not None
            cursor = driver.execute(sql, params)
            while left is None or left > 0:
                rows = cursor.fetchmany(_CHUNK)
                if not rows:
                    break
                if check is not None:
                    rows = [row[:-1] for row in rows if check(row[4], row[-1])]
                if left is not None:
                    rows = rows[:left]
                    left -= len(rows)
                counts = {} if counted else _answer_counts(driver, [row[0] for row in rows])
                for (
                    card_id,
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
                ) in rows:
                    if not counted:
                        reviews, lapses = counts.get(card_id, _NO_ANSWERS)
                    yield CardRecord(
                        deck,
                        section,
                        key,
                        question,
                        _STATES[state],
                        bool(suspended),
                        stability,
                        difficulty,
                        stored_moment(due),
                        None if last_review is None else stored_moment(last_review),
                        reviews,
                        lapses,
                    )

    def card_count(self, query: CardQuery | None = None) -> int:
        """How many cards ``query`` selects."""
        selection = _selection(query or CardQuery())
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            if selection.check is None:
                sql = f"SELECT COUNT(*) {selection.sql}"
                return int(driver.execute(sql, selection.params).fetchone()[0])
            sql = f"SELECT card.question, card.answer {selection.sql}"
            check = selection.check
            cursor = driver.execute(sql, selection.params)
            return sum(1 for question, answer in cursor if check(question, answer))

    def card_detail(self, card_id: int) -> CardDetail:
        """One card by its database id, with its deck and section.

        Raises:
            NotFoundError: if there is no such card (deleted meanwhile).
        """
        query = (
            select(Card, Deck, Section)
            .join(Deck, col(Card.deck_id) == col(Deck.id))
            .join(Section, col(Card.section_id) == col(Section.id))
            .where(Card.id == card_id)
        )
        with self._session() as session:
            row = session.exec(query).first()
        if row is None:
            raise NotFoundError(f"card {card_id} no longer exists")
        card, deck, section = row
        assert card.id is not None
        return CardDetail(
            id=card.id,
            deck=deck.key,
            deck_title=deck.title,
            section=section.key,
            section_title=section.title,
            key=card.key,
            question=card.question,
            answer=card.answer,
            note=card.note,
            tags=tuple(card.tags),
            source_id=card.source_id,
            suspended=card.suspended,
            buried_until=card.buried_until,
            memory=memory_of(card),
        )

    def card_history(self, card_id: int) -> list[HistoryEntry]:
        """Every answer to a card (of every kind), oldest first."""
        query = (
            select(ReviewLog)
            .where(ReviewLog.card_id == card_id)
            .order_by(col(ReviewLog.reviewed_at), col(ReviewLog.id))
        )
        with self._session() as session:
            logs = session.exec(query).all()
        return [
            HistoryEntry(
                reviewed_at=log.reviewed_at,
                kind=ReviewKind(log.kind),
                rating=Rating(log.rating),
                duration_ms=log.duration_ms,
                before=memory_of(log, "_before"),
                after=memory_of(log, "_after"),
            )
            for log in logs
        ]

    def section_sizes(self, section_ids: Iterable[int]) -> dict[int, int]:
        """How many cards each of these sections holds."""
        query = (
            select(Card.section_id, func.count())
            .where(col(Card.section_id).in_(list(section_ids)))
            .group_by(col(Card.section_id))
        )
        with self._session() as session:
            return dict(session.exec(query).all())
