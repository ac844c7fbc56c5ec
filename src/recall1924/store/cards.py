"""Cards outside a review's answers: finding them by key, suspending, burying, and reading
them for the browser (the cards a :class:`CardQuery` selects, streamed with their answer
counts; one card with its history).

A listing is filtered, searched and ordered in SQL, with constructs PostgreSQL shares (``LIKE``
on the folded text, ``CASE``, ``COALESCE``), so that a collection of any size costs one pass
and one chunk of rows in memory. A query (:mod:`recall1924.query`) comes in the scope
(:attr:`~recall1924.store.base.Scope.match`), compiled by :mod:`recall1924.store.search`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import partial
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    String,
    Subquery,
    Table,
    and_,
    case,
    column,
    func,
    literal_column,
    or_,
    text,
    type_coerce,
    update,
)
from sqlalchemy import select as sql_select
from sqlmodel import col, select

from recall1924.errors import NotFoundError
from recall1924.models import Card, Deck, ReviewKind, ReviewLog, Section
from recall1924.query import Pattern
from recall1924.scheduling import CardStatus, MemoryState, Rating, State
from recall1924.store import dialect
from recall1924.store.base import (
    STATES,
    Scope,
    StoreBase,
    driver_marks,
    driver_rows,
    memory_of,
    stored_moment,
    time_text,
)
from recall1924.store.edits import Upstream
from recall1924.store.search import found_text


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
        search: only cards whose question, answer or note holds this text, in any case and
            with or without accents (``--search``: :func:`recall1924.query.literal`).
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
        return bool(self.search or self.statuses or limited or self.scope.match is not None)


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


class StoredCard(NamedTuple):
    """One card's listed fields as stored, for a reader of every card that writes them out
    itself (``recall cards --json``), the times in their one stored text form
    (:func:`~recall1924.store.base.time_text`: naive UTC with microseconds, which sorts as the
    times do) whatever the database hands back.

    Its fields are the columns of :data:`_SECTION_CARDS` in their order, so that a driver's
    row of them becomes one with a copy (:data:`_stored_card`) and is read by name after.
    """

    id: int
    key: str
    question: str
    state: int
    """The stored number (:data:`~recall1924.store.base.STATES`)."""
    suspended: Any
    """Anything true or false (sqlite3 hands back 0 or 1)."""
    stability: float | None
    difficulty: float | None
    due: str
    last_review: str | None
    lapses: int


_stored_card = partial(tuple.__new__, StoredCard)
"""A StoredCard from a driver's row of :data:`_SECTION_CARDS` (or a tuple in its order): the
row copied, as ``StoredCard._make`` copies it but with no Python call nor length check of its
own (100,000 rows in 16 ms, against _make's 19 and the constructor's 25)."""


class StoredCards(NamedTuple):
    """Cards of one section next to each other in a listing, as stored
    (:meth:`CardStore.stored_cards`): a whole section's rows come as the driver reads them,
    each only copied into its :class:`StoredCard`, with no wider tuple made for each to add
    its deck, section and answer count."""

    deck: str
    section: str
    cards: list[StoredCard]
    reviews: Mapping[int, int]
    """Answers of kind Review by card id (:attr:`CardRecord.reviews`), for those with any;
    it may hold other cards too."""


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
    flag: int = 0
    flag_reason: str | None = None
    edited_at: datetime | None = None
    """When the wording became the student's own (it lives in the collection only)."""
    upstream: Upstream | None = None
    """The deck's own wording beside the student's, if it has one."""


@dataclass(frozen=True)
class HistoryEntry:
    """One answer to a card (or a reset), as its history shows it."""

    reviewed_at: datetime
    kind: ReviewKind
    rating: Rating | None
    """None for a reset or a reschedule, which are no answers."""
    duration_ms: int | None
    before: MemoryState
    after: MemoryState


_CHUNK = 500
"""Cards read from the database at a time."""

_CARD: Table = Card.__table__  # type: ignore[attr-defined]
_DECK: Table = Deck.__table__  # type: ignore[attr-defined]
_SECTION: Table = Section.__table__  # type: ignore[attr-defined]
_DECK_ORDER = (_DECK.c.id, _SECTION.c.position, _CARD.c.position, _CARD.c.id)

# Every card's answers and lapses, for a listing of every card: one pass over the review log.
_ANSWERS = """
    SELECT card_id,
           COUNT(*) AS reviews,
           SUM(CASE WHEN state_before = :review_state AND rating = :again THEN 1 ELSE 0 END)
               AS lapses
    FROM review_log
    WHERE kind = :review_kind
    GROUP BY {card_id}"""
""":data:`_ANSWERS`' grouping is :func:`~recall1924.store.dialect.unindexed`: written when the
covering index led with state_before, so that SQLite grouped from it rather than walk the
(card_id, reviewed_at) index and look up every row, ten times slower on a million answers.
Since migration 0009 that index is the covering one, (card_id, reviewed_at, state_before, kind,
rating), which SQLite reads whole either way; a plain grouping would save it a sort (alone, on
a million answers: 0.14 s against 0.40 s; not yet tried inside the listing). PostgreSQL groups
the column as it is selected (and "+card_id AS card_id" would cost SQLite its index on the
result, a scan of it per card)."""

# Only the lapses, for a filter or an order by them when the answers are counted for the
# rows shown: read from that covering index, in card order.
_LAPSES = """
    SELECT card_id, 0 AS reviews, COUNT(*) AS lapses
    FROM review_log
    WHERE state_before = :review_state AND kind = :review_kind AND rating = :again
    GROUP BY card_id"""

_COUNTS = f"""
    SELECT card_id,
           COUNT(*),
           SUM(CASE WHEN state_before = {int(State.Review)} AND rating = {int(Rating.Again)}
               THEN 1 ELSE 0 END)
    FROM review_log
    -- Every state named: the answers are read from the covering ix_review_log_card_time,
    -- a range per card.
    WHERE state_before IN ({", ".join(str(int(state)) for state in State)})
        AND kind = {int(ReviewKind.Review)} AND card_id IN ({{cards}})
    GROUP BY card_id"""
""":func:`_answer_counts`' statement: only the cards' ids are bound, in the driver's own
placeholders (``{cards}``)."""
_NO_ANSWERS = (0, 0)
_UNRATED = (int(ReviewKind.Reset), int(ReviewKind.Reschedule))

_SECTIONS_IN_ORDER = (
    sql_select(_SECTION.c.id, _DECK.c.key, _SECTION.c.key)
    .select_from(_SECTION.join(_DECK, _DECK.c.id == _SECTION.c.deck_id))
    .order_by(_DECK.c.id, _SECTION.c.position)
)
_SECTION_CARDS = (
    "SELECT id, key, question, state, suspended, stability, difficulty, due, last_review, "
    "review_lapses FROM card WHERE section_id = {section} ORDER BY position, id"
)
""":meth:`CardStore._every_card`'s statement, in the driver's placeholder (``{section}``): the
times come as stored, and the columns in :class:`StoredCard`'s order."""
_REVIEW_COUNTS = (
    f"SELECT card_id, {dialect.count_if(f'kind = {int(ReviewKind.Review)}')} FROM review_log "
    "GROUP BY card_id"
)


def _review_counts(connection: Connection) -> dict[int, int]:
    """Each card's scheduled answers (kind Review), for the cards that have any answer.

    Counted in one pass over ``ix_review_log_card_time``, which holds each answer's kind
    beside its card (migration 0009), in card order with no sort.
    """
    # iter(): SQLAlchemy's result (PostgreSQL's) has keys(), which dict() would take it by
    every: Iterator[Any] = iter(driver_rows(connection, _REVIEW_COUNTS, ()))
    return dict(every)


def _answers(sql: str) -> Subquery:
    """The answer counts of :data:`_ANSWERS` (its grouping filled in) or :data:`_LAPSES`, to
    join as ``answers``."""
    counts = text(sql).bindparams(
        review_state=int(State.Review), again=int(Rating.Again), review_kind=int(ReviewKind.Review)
    )
    return counts.columns(
        column("card_id", Integer), column("reviews", Integer), column("lapses", Integer)
    ).subquery("answers")


class _Selection(NamedTuple):
    """What a listing reads: the tables joined, the conditions, and the answer counts joined
    (as ``answers``), if they are."""

    joined: FromClause
    where: list[ColumnElement[bool]]
    answers: Subquery | None


def _selection(
    query: CardQuery, *, name: dialect.Name, counted: bool = False, ordered: bool = False
) -> _Selection:
    """``counted``: every card's answers and lapses are joined (as ``answers``); ``ordered``:
    the rows are listed, in the query's order (else only counted). ``name``: the database's
    dialect."""
    where = query.scope.where()
    if query.statuses:
        either: list[ColumnElement[bool]] = []
        if CardStatus.New in query.statuses:
            either.append(_CARD.c.last_review.is_(None))
        # An answered card's status is its state.
        answered = sorted(int(status) for status in query.statuses if status is not CardStatus.New)
        if answered:
            either.append(and_(_CARD.c.last_review.is_not(None), _CARD.c.state.in_(answered)))
        where.append(or_(*either))
    if query.suspended is not None:
        where.append(_CARD.c.suspended.is_(query.suspended))
    if query.search:
        where.append(found_text(Pattern.of([query.search])))
    joined: FromClause = _CARD
    if ordered:
        # Only the order (and the rows) need them: every card has its deck and section, as the
        # foreign keys make sure, so a count does without.
        joined = joined.join(_DECK, _DECK.c.id == _CARD.c.deck_id).join(
            _SECTION, _SECTION.c.id == _CARD.c.section_id
        )
    answers = None
    if counted:
        answers = _answers(_ANSWERS.format(card_id=dialect.unindexed("card_id", name=name)))
    elif query.min_lapses is not None or (ordered and query.order is CardOrder.Lapses):
        answers = _answers(_LAPSES)
    if answers is not None:
        joined = joined.outerjoin(answers, answers.c.card_id == _CARD.c.id)
    if query.min_lapses is not None:
        assert answers is not None
        where.append(func.coalesce(answers.c.lapses, 0) >= query.min_lapses)
    return _Selection(joined, where, answers)


def _order(query: CardQuery, answers: Subquery | None) -> list[Any]:
    if query.order is CardOrder.Due:
        return [case((_CARD.c.last_review.is_(None), 1), else_=0), _CARD.c.due, *_DECK_ORDER]
    if query.order is CardOrder.Lapses:
        assert answers is not None
        return [func.coalesce(answers.c.lapses, 0).desc(), *_DECK_ORDER]
    return list(_DECK_ORDER)


def _answer_counts(connection: Connection, card_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Scheduled answers and lapses of each of these cards that has any."""
    if not card_ids:
        return {}
    sql = _COUNTS.format(cards=driver_marks(connection, len(card_ids)))
    rows = driver_rows(connection, sql, card_ids)
    return {card_id: (reviews, lapses) for card_id, reviews, lapses in rows}


_new_record = CardRecord._make
"""A CardRecord from one tuple: half the time of its constructor's keyword handling."""


def _records(stored: StoredCards) -> Iterator[CardRecord]:
    """The :class:`CardRecord` of each stored card: the one place a listing decodes them."""
    deck, section, reviews = stored.deck, stored.section, stored.reviews
    for card in stored.cards:
        last_review = card.last_review
        yield _new_record(
            (
                deck,
                section,
                card.key,
                card.question,
                STATES[card.state],
                bool(card.suspended),
                card.stability,
                card.difficulty,
                stored_moment(card.due),
                None if last_review is None else stored_moment(last_review),
                reviews.get(card.id, 0),
                card.lapses,
            )
        )


def _texts_of(connection: Connection) -> bool:
    """Whether the driver hands stored times back as their stored text (sqlite3), so that a
    :class:`StoredCard` takes them as they are; psycopg hands back a naive ``datetime``."""
    return connection.dialect.name == "sqlite"


def _time_text(stored: str | datetime) -> str:
    """A stored time as the driver hands it back, in its stored text form."""
    return stored if isinstance(stored, str) else time_text(stored_moment(stored))


def _with_time_texts(card: StoredCard) -> StoredCard:
    """``card`` with its times in their stored text form, from a driver that hands them back
    as something else (psycopg: a naive ``datetime``)."""
    last_review = card.last_review
    return card._replace(
        due=_time_text(card.due),
        last_review=None if last_review is None else _time_text(last_review),
    )


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
            # deck/card, as a section is named (deck/section): a card's id has no '/'
            deck, slash, card = missing[0].partition("/")
            hint = f"; a card's id has no '/': give {card} --deck {deck}" if slash and deck else ""
            raise NotFoundError(f"no card {', '.join(map(repr, missing))}{where}{hint}")
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
        for stored in self.stored_cards(query, limit=limit):
            yield from _records(stored)

    def stored_cards(
        self, query: CardQuery | None = None, *, limit: int | None = None
    ) -> Iterator[StoredCards]:
        """The records of :meth:`card_records` as stored, each run of one section's cards
        apart (:class:`StoredCards`), a chunk at a time: for ``recall cards --json``, which
        writes a whole collection's cards out and needs no ``datetime`` of them."""
        query = query or CardQuery()
        if not query.filtered and query.order is CardOrder.Deck:
            yield from self._every_card(query.scope, limit)
            return
        # The answers of every card of the scope are counted in one pass over the review log,
        # joined; those of fewer (a limit, a filter) with a look-up per chunk, which costs less
        # the fewer they are.
        counted = limit is None and not query.filtered
        joined, where, answers = _selection(query, name=self.dialect, counted=counted, ordered=True)
        if not where:
            # Always true (ids start at 1), but a rowid range: without any condition SQLite
            # walks the whole of ix_card_due and looks every card up from it, five times
            # slower than reading the table (115 ms against 25 on 100,000 cards) before sorting
            # them all the same. 0, not -2**63: PostgreSQL's integer ids refuse that bound.
            where = [_CARD.c.id > 0]
        counts_columns: list[Any] = [literal_column("0"), literal_column("0")]
        if answers is not None and counted:
            counts_columns = [
                func.coalesce(answers.c.reviews, 0),
                func.coalesce(answers.c.lapses, 0),
            ]
        statement = (
            sql_select(
                _CARD.c.id,
                _DECK.c.key,
                _SECTION.c.key,
                _CARD.c.key,
                _CARD.c.question,
                _CARD.c.state,
                # As stored: no column type's processing, which shows over a whole collection.
                type_coerce(_CARD.c.suspended, Integer),
                _CARD.c.stability,
                _CARD.c.difficulty,
                type_coerce(_CARD.c.due, String),
                type_coerce(_CARD.c.last_review, String),
                *counts_columns,
            )
            .select_from(joined)
            .where(*where)
            .order_by(*_order(query, answers))
        )
        if limit is not None:
            statement = statement.limit(limit)
        with self.engine.connect() as connection:
            texts = _texts_of(connection)
            result = connection.execute(statement)
            while rows := result.fetchmany(_CHUNK):
                counts = {} if counted else _answer_counts(connection, [row.id for row in rows])
                reviews: dict[int, int] = {}
                cards: list[StoredCard] = []
                place: tuple[str, str] | None = None
                # The statement's columns, in its order: the one place they are read.
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
                    answered,
                    lapses,
                ) in rows:
                    if (deck, section) != place:
                        if place is not None:
                            yield StoredCards(*place, cards, reviews)
                        place, cards = (deck, section), []
                    if not counted:
                        answered, lapses = counts.get(card_id, _NO_ANSWERS)
                    reviews[card_id] = answered
                    if not texts:
                        due = _time_text(due)
                        last_review = None if last_review is None else _time_text(last_review)
                    cards.append(
                        _stored_card(
                            (
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
                            ),
                        )
                    )
                if place is not None:
                    yield StoredCards(*place, cards, reviews)

    def _every_card(self, scope: Scope, limit: int | None = None) -> Iterator[StoredCards]:
        """Every card of ``scope`` (a deck, a section or all), in deck order, with its answers
        counted: ``recall cards --json --limit 0``; or its first ``limit`` (``recall cards``).

        Section by section, each one's cards by position (its index, then a sort of its few
        rows): one statement for all, ordered by section position and joined with the
        answers, sorted the whole collection's rows and took three times as long, and a
        limited listing stops reading where it is cut instead of sorting every card (40 ms
        for 200 of 103,000). Lapses are the card's own counter
        (:data:`dialect.ANSWER_COUNTERS`' ``review_lapses``, the same answers); the answers
        are counted apart: every card's in one pass (:func:`_review_counts`), or, with a
        limit, each chunk's (:func:`_answer_counts`). SQLite's rows come from its own cursor
        (:func:`~recall1924.store.base.driver_rows`), each copied into its
        :class:`StoredCard`.
        """
        sections = _SECTIONS_IN_ORDER
        if scope.deck_id is not None:
            sections = sections.where(_SECTION.c.deck_id == scope.deck_id)
        if scope.section_id is not None:
            sections = sections.where(_SECTION.c.id == scope.section_id)
        left = limit  # cards still wanted; None: every one
        with self.engine.connect() as connection:
            texts = _texts_of(connection)
            every = _review_counts(connection) if limit is None else None
            sql = _SECTION_CARDS.format(section=driver_marks(connection, 1))
            for section_id, deck, section in connection.execute(sections).all():
                if left == 0:
                    return
                # Each row in StoredCard's order: one copy makes it one
                rows: Iterator[Any] = iter(driver_rows(connection, sql, (section_id,)))
                while left != 0:
                    wanted = _CHUNK if left is None else min(_CHUNK, left)
                    cards = list(map(_stored_card, islice(rows, wanted)))
                    if not cards:
                        break
                    if left is not None:
                        left -= len(cards)
                    if not texts:
                        cards = [_with_time_texts(card) for card in cards]
                    reviews = every
                    if reviews is None:
                        counts = _answer_counts(connection, [card.id for card in cards])
                        reviews = {card_id: answers for card_id, (answers, _) in counts.items()}
                    yield StoredCards(deck, section, cards, reviews)

    def card_count(self, query: CardQuery | None = None) -> int:
        """How many cards ``query`` selects."""
        joined, where, _answers = _selection(query or CardQuery(), name=self.dialect)
        statement = sql_select(func.count()).select_from(joined).where(*where)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def card_ids_where(self, scope: Scope) -> list[int]:
        """The database ids of every card of ``scope`` (a query's cards: ``forget --query``),
        in the order they were added."""
        with self._session() as session:
            found = session.exec(select(Card.id).where(*scope.where()).order_by(col(Card.id)))
            return [card_id for card_id in found if card_id is not None]

    def set_suspended_where(self, scope: Scope, suspended: bool) -> int:
        """Suspend (or unsuspend) every card of ``scope`` (a query's cards: ``suspend --query``)
        that is not so already, in one statement; returns how many changed."""
        statement = (
            update(Card)
            .where(*scope.where(), col(Card.suspended).is_(not suspended))
            .values(suspended=suspended)
        )
        with self._writing() as session:
            done = session.execute(statement)
            session.commit()
        return int(done.rowcount)  # type: ignore[attr-defined]

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
            flag=card.flag,
            flag_reason=card.flag_reason,
            edited_at=card.edited_at,
            upstream=Upstream.from_stored(card.upstream),
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
                # a reset and a reschedule are no answers: rating 0
                rating=None if log.kind in _UNRATED else Rating(log.rating),
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
